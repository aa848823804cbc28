"""Object access for orders pages: anything foreign is a 404 (SEC-01)."""

from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.prepared import PreparedQuery, RowReader, attnames

from .models import CommissionRefund, Order, OrderLine, Refund, Shipment


def seller_account_for(user):
    """The signed-in user's seller account, or 404 for users who do not sell. The request's
    user comes with it and its market already read (orders.backends)."""
    account = getattr(user, "seller_account", None)
    if account is None:
        raise Http404
    return account


def _refunded_sum():
    refunded = (
        Refund.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(refunded), Value(Decimal("0.00")), output_field=DecimalField())


# Issue 13: the order pages read the order with its market, seller account, buyer,
# shipment and refunded sum in one query, and its lines in another, both compiled once
# per connection (core.prepared), and rebuild what select_related(...) and
# prefetch_related("lines") would give: the related objects cached, the lines prefetched.
_RELATED = ("market", "seller_account", "buyer", "shipment")


def _related_model(relation):
    return Order._meta.get_field(relation).related_model


def _order_query(owner):
    def build(pk, owner_id):
        names = list(attnames(Order))
        for relation in _RELATED:
            names += [f"{relation}__{attname}" for attname in attnames(_related_model(relation))]
        return (
            Order.objects.filter(pk=pk, **{owner: owner_id})
            .annotate(refunded_sum=_refunded_sum())
            .values_list(*names, "refunded_sum")
        )

    return PreparedQuery(build)


_ORDER = {"buyer_id": _order_query("buyer_id"), "seller_account_id": _order_query("seller_account_id")}
_LINES = PreparedQuery(
    lambda pk: OrderLine.objects.filter(order_id=pk).order_by("pk").values_list(*attnames(OrderLine))
)


def _order_detail(owner, owner_id, order_id):
    try:
        pk = int(order_id)
    except (TypeError, ValueError):
        raise Http404 from None
    low, high = connection.ops.integer_field_range(Order._meta.pk.get_internal_type())
    if (low is not None and pk < low) or (high is not None and pk > high):
        raise Http404  # as Django's lookup finds no row for a key no column can hold
    rows = _ORDER[owner].rows(pk, owner_id)
    if not rows:
        raise Http404
    row = RowReader(rows[0])
    order = row.instance(Order)
    for relation in _RELATED:
        related = row.optional_instance(_related_model(relation))
        if relation == "shipment":  # a reverse one-to-one: cached on both sides
            Order.shipment.related.set_cached_value(order, related)
            if related is not None:
                Shipment.order.field.set_cached_value(related, order)
        else:
            Order._meta.get_field(relation).set_cached_value(order, related)
    (order.refunded_sum,) = row.rest()
    lines = [RowReader(values).instance(OrderLine) for values in _LINES.rows(pk)]
    for line in lines:
        OrderLine.order.field.set_cached_value(line, order)
    prefetched = order.lines.all()
    prefetched._result_cache, prefetched._prefetch_done = lines, True
    order._prefetched_objects_cache = {"lines": prefetched}
    return order


def get_buyer_order(user, order_id):
    return _order_detail("buyer_id", user.pk, order_id)


def get_seller_order(account, order_id):
    return _order_detail("seller_account_id", account.pk, order_id)


def get_seller_commission_refund(account, application_id):
    """A commission-refund application of the seller account (REB-06/07); 404 otherwise."""
    return get_object_or_404(
        CommissionRefund.objects.select_related("order__market", "order__buyer").prefetch_related("lines__line"),
        pk=application_id,
        seller_account=account,
    )
