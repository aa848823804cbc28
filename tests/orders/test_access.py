"""Issue 13: the order pages read an order through one compiled query (orders.access):
the same order, related objects, lines and refunded sum as the ORM's select_related()
and prefetch_related(), with no further query; anything foreign is a 404 (SEC-01)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.access import get_buyer_order, get_seller_order
from orders.models import Order, Refund, Shipment
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _as_the_orm_reads_it(pk):
    refunded = Refund.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(t=Sum("amount"))
    return (
        Order.objects.select_related("market", "seller_account", "buyer", "shipment")
        .prefetch_related("lines")
        .annotate(
            refunded_sum=Coalesce(Subquery(refunded.values("t")), Value(Decimal("0.00")), output_field=DecimalField())
        )
        .get(pk=pk)
    )


def _facts(order):
    shipment = getattr(order, "shipment", None)
    return {
        "order": {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields},
        "market": order.market.code,
        "seller": (order.seller_account.pk, order.seller_account.display_name),
        "buyer": order.buyer.username,
        "shipment": shipment and (shipment.pk, shipment.tracking_number, shipment.order is order),
        "lines": [(line.pk, line.title, line.quantity, line.order is order) for line in order.lines.all()],
        "refunded": order.refunded_sum,
    }


@pytest.mark.parametrize("shipped", [False, True])
def test_issue_13_the_compiled_order_read_is_the_orms(seller_account, seller, buyer, shipped):
    offer = OfferFactory(seller_account=seller_account, stock=10)
    order = services.buy_offer(offer, buyer=buyer, quantity=2, payment_method=Order.PaymentMethod.ONLINE)
    services.pay_order(order, buyer=buyer)
    services.refund_order(order, seller=seller, amount=Decimal("10.00"))
    if shipped:
        services.enter_tracking(order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-123456")

    expected = _facts(_as_the_orm_reads_it(order.pk))
    expected["shipment"] = expected["shipment"] and (*expected["shipment"][:2], True)
    expected["lines"] = [(*line[:3], True) for line in expected["lines"]]
    for read in (get_seller_order(seller_account, order.pk), get_buyer_order(buyer, order.pk)):
        with CaptureQueriesContext(connection) as queries:
            facts = _facts(read)
        assert facts == expected
        assert len(queries) == 0
    assert expected["refunded"] == Decimal("10.00")
    assert (expected["shipment"] is not None) == shipped


def test_sec_01_an_order_of_someone_else_is_a_404(seller_account, other_seller_account, buyer, other_buyer):
    order = services.buy_offer(
        OfferFactory(seller_account=seller_account), buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE
    )
    with pytest.raises(Http404):
        get_seller_order(other_seller_account, order.pk)
    with pytest.raises(Http404):
        get_buyer_order(other_buyer, order.pk)
    for impossible in ("x", "", "99999999999999999999999", "-1"):
        with pytest.raises(Http404):
            get_buyer_order(buyer, impossible)
