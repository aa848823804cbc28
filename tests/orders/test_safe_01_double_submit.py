"""SAFE-01 on the order pages: the same form sent twice (a double click, a reload, the
back button) has one effect, and the second answer shows the result of the first.

Each test loads the page as a browser would, takes the hidden fields of the form (the
one-time form token among them) and sends the form twice. The concurrent versions of
the money-moving forms are in test_safe_01_races.py (PostgreSQL).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import CommissionRefund, Offer, Order, OrderEvent, Payment, Refund
from tests.factories import OfferFactory
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db

ONLINE = Order.PaymentMethod.ONLINE


def sent_twice(client, page_url, action, data, page=None):
    """Load `page_url` (or take the `page` shown already), then post its form (the one
    posting to `action`) twice with the same hidden fields, as a double click does."""
    fields = hidden_fields(page or client.get(page_url), action)
    post_to = action or page_url
    return client.post(post_to, {**data, **fields}), client.post(post_to, {**data, **fields})


def assert_repeat_shows_the_first(first, second):
    assert first.status_code == 302, first.content.decode()[:500]
    assert second.status_code == 302, second.content.decode()[:500]
    assert second["Location"] == first["Location"]
    levels = [level for level, _text in flashed(second)]
    assert "error" not in levels and "info" in levels, flashed(second)


@pytest.fixture
def paid_order(offer, buyer):
    order = services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=ONLINE, now=timezone.now() - timedelta(days=3)
    )
    return services.pay_order(order, buyer=buyer, now=timezone.now() - timedelta(days=3))


def test_safe_01_a_partial_refund_sent_twice_pays_out_once(client, seller, paid_order):
    client.force_login(seller)
    action = reverse("orders:seller_order_refund", args=[paid_order.pk])

    # SAFE-03: the page's form shows the confirmation; its form is the one sent twice.
    fields = hidden_fields(client.get(paid_order.get_seller_url()), action)
    confirmation = client.post(action, {"kind": "amount", "amount": "10.00", **fields})
    first, second = sent_twice(client, None, action, hidden_fields(confirmation, action), page=confirmation)

    assert list(Refund.objects.filter(order=paid_order).values_list("amount", flat=True)) == [Decimal("10.00")]
    assert OrderEvent.objects.filter(order=paid_order, kind=OrderEvent.Kind.REFUNDED).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_a_purchase_sent_twice_makes_one_order_and_takes_stock_once(client, buyer, offer):
    client.force_login(buyer)

    first, second = sent_twice(
        client, reverse("orders:offer_detail", args=[offer.pk]), None, {"quantity": 1, "payment_method": ONLINE}
    )

    order = Order.objects.get(buyer=buyer)
    assert Offer.objects.get(pk=offer.pk).stock == 4
    assert first["Location"] == order.get_absolute_url()
    assert_repeat_shows_the_first(first, second)


def test_safe_01_a_payment_sent_twice_is_recorded_once(client, buyer, offer):
    order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=ONLINE)
    client.force_login(buyer)

    first, second = sent_twice(client, order.get_absolute_url(), reverse("orders:purchase_pay", args=[order.pk]), {})

    assert Payment.objects.filter(order=order).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_a_tracking_number_sent_twice_is_recorded_once(client, seller, paid_order):
    client.force_login(seller)

    first, second = sent_twice(
        client,
        paid_order.get_seller_url(),
        reverse("orders:seller_order_tracking", args=[paid_order.pk]),
        {"carrier": "DPD", "tracking_number": "DPD-123456"},
    )

    assert OrderEvent.objects.filter(order=paid_order, kind=OrderEvent.Kind.TRACKING_ENTERED).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_a_commission_refund_application_sent_twice_is_filed_once(client, seller, seller_account, buyer):
    offer = OfferFactory(seller_account=seller_account, stock=10, price=Decimal("100.00"))
    # Unpaid after the payment deadline: the NOT_PAID application is granted at once.
    order = services.buy_offer(
        offer, buyer=buyer, quantity=2, payment_method=ONLINE, now=timezone.now() - timedelta(days=10)
    )
    line = order.lines.get()
    client.force_login(seller)

    first, second = sent_twice(
        client,
        reverse("orders:commission_refund_new", args=[order.pk]),
        None,
        {"reason": "NOT_PAID", f"claim_{line.pk}": "on", f"units_{line.pk}": "2", "action": "apply"},
    )

    application = CommissionRefund.objects.get(order=order)
    assert first["Location"] == reverse("orders:commission_refund_detail", args=[application.pk])
    assert_repeat_shows_the_first(first, second)
