"""Object access for orders pages: anything foreign is a 404 (SEC-01)."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import CommissionRefund, Order, Refund


def seller_account_for(user):
    """The signed-in user's seller account, or 404 for users who do not sell. The request's
    user comes with it and its market already read (orders.backends)."""
    account = getattr(user, "seller_account", None)
    if account is None:
        raise Http404
    return account


def _order_detail_queryset():
    refunded = (
        Refund.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Order.objects.select_related("market", "seller_account", "buyer", "shipment")
        .prefetch_related("lines")
        .annotate(refunded_sum=Coalesce(Subquery(refunded), Value(Decimal("0.00")), output_field=DecimalField()))
    )


def get_buyer_order(user, order_id):
    return get_object_or_404(_order_detail_queryset(), pk=order_id, buyer=user)


def get_seller_order(account, order_id):
    return get_object_or_404(_order_detail_queryset(), pk=order_id, seller_account=account)


def get_seller_commission_refund(account, application_id):
    """A commission-refund application of the seller account (REB-06/07); 404 otherwise."""
    return get_object_or_404(
        CommissionRefund.objects.select_related("order__market", "order__buyer").prefetch_related("lines__line"),
        pk=application_id,
        seller_account=account,
    )
