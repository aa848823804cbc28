"""Helpers for the Discussion tests: orders made through orders.services and Discussions
opened through discussions.services, each at an explicit instant (STYLE §13).

The default instants are in Warsaw (market PL): the order is bought on Wednesday
2026-11-25 at 08:00 and the Discussion is opened an hour later, so the seller's
24-business-hour deadline is Thursday 2026-11-26 09:00 local (08:00 UTC).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from discussions import services
from discussions.models import Discussion, Reason
from orders import services as order_services
from orders.models import Order, Shipment

WARSAW = ZoneInfo("Europe/Warsaw")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def local(year, month, day, hour=0, minute=0, second=0):
    """An instant given in Warsaw local time (the PL market)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=WARSAW)


BOUGHT = local(2026, 11, 25, 8)  # Wednesday
OPENED = local(2026, 11, 25, 9)  # Wednesday, one hour after the purchase
REPLY_DUE = local(2026, 11, 26, 9)  # OPENED + 24 business hours


def make_order(offer, buyer, *, now=BOUGHT, quantity=1, service=Order.Service.ALLEGRO, paid=True):
    """A real order: *Kup teraz* at `now`, paid online five minutes later."""
    order = order_services.buy_offer(
        offer, buyer=buyer, quantity=quantity, payment_method=Order.PaymentMethod.ONLINE, service=service, now=now
    )
    if paid:
        order_services.pay_order(order, buyer=buyer, now=now + timedelta(minutes=5))
    return order


def open_discussion(order, *, reason=Reason.NOT_RECEIVED, now=OPENED, buyer=None, line=None, **kwargs):
    """The buyer opens a Discussion about the order's (only) line at `now`."""
    line = line or order.lines.get()
    return services.open_discussion(
        order, buyer=buyer or order.buyer, line_id=line.pk, reason=reason, now=now, **kwargs
    )


DELIVERED = local(2026, 11, 27, 11)  # Friday
CLOSES_AT = DELIVERED + 24 * HOUR  # DSC-20(b): 24 hours after the delivery


def delivered_discussion(offer, buyer, seller):
    """NOT_RECEIVED, parcel delivered Fri 2026-11-27 11:00: closes at Sat 11:00 (DSC-20b)."""
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-123456", now=OPENED + HOUR
    )
    order_services.record_delivery(Shipment.objects.get(order=order), delivered_at=DELIVERED, now=DELIVERED)
    assert fresh(discussion).delivery_close_at == CLOSES_AT
    return discussion


def fresh(discussion):
    """The Discussion as the database holds it now (services work on the object given)."""
    return Discussion.objects.select_related("market", "seller_account__user", "buyer", "order", "line").get(
        pk=discussion.pk
    )


@pytest.fixture
def order(offer, buyer):
    """One unit of the 100.00 PLN offer, bought Wed 2026-11-25 08:00 Warsaw and paid."""
    return make_order(offer, buyer)


@pytest.fixture
def discussion(order):
    """NOT_RECEIVED, opened Wed 2026-11-25 09:00 Warsaw; reply due Thu 09:00."""
    return open_discussion(order)


@pytest.fixture
def product_discussion(order):
    """PRODUCT_PROBLEM expecting a replacement, opened Wed 2026-11-25 09:00 Warsaw."""
    return open_discussion(order, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPLACEMENT")
