"""ORD-09, issue 13: the seller's order tabs that do not depend on the time are read by a
query compiled once per tab and page (orders.views._PreparedOrderPages); every page of
every such tab shows exactly the rows the queryset itself gives, for any seller account."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import CommissionRefund, Order, Shipment
from orders.views import _PreparedOrderPages, _seller_orders
from tests.factories import OfferFactory, OrderFactory, SellerAccountFactory

pytestmark = pytest.mark.django_db


def _orders(account, count):
    offer = OfferFactory(seller_account=account)
    start = timezone.now() - timedelta(days=10)
    orders = [OrderFactory(offer=offer, created_at=start + timedelta(hours=i)) for i in range(count)]
    Order.objects.filter(pk__in=[o.pk for o in orders[::3]]).update(status=Order.Status.PAID)
    Shipment.objects.create(
        order=orders[0], carrier="INPOST", tracking_number="123", tracking_entered_at=timezone.now()
    )
    CommissionRefund.objects.create(
        order=orders[1],
        seller_account=account,
        reason=CommissionRefund.Reason.NOT_PAID,
        amount="10.00",
        status=CommissionRefund.Status.GRANTED,
        created_at=timezone.now(),
        deadline_at=timezone.now() + timedelta(days=5),
    )
    return orders


@pytest.mark.parametrize("show", ["", "unpaid", "with_discussion", "to_ship"])
def test_ord_09_a_prepared_tab_page_shows_what_the_queryset_gives(show):
    accounts = [SellerAccountFactory(), SellerAccountFactory()]
    for account, count in zip(accounts, (25, 7), strict=True):
        _orders(account, count)
    for account in (*accounts, *accounts):  # compiled once, then run for each account
        for page in (slice(0, 20), slice(20, 40)):
            expected = list(_seller_orders(account.pk, show, None)[page])
            assert _PreparedOrderPages(account.pk, show)[page] == expected
            assert all(row["pk"] for row in expected)


def test_ord_09_an_empty_tab_shows_no_rows():
    account = SellerAccountFactory()
    assert _PreparedOrderPages(account.pk, "")[slice(0, 0)] == []
    assert _PreparedOrderPages(account.pk, "unpaid")[slice(0, 20)] == []
