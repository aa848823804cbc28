"""SAFE-01 on PostgreSQL: the money-moving order forms sent twice at the same instant
(two requests in two threads, each with its own database connection, released by a
barrier) have one effect, and both answers lead to the result of the one that did it.

Run with DATABASE_URL=postgres://…; skipped on SQLite, which serialises writers.
"""

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import CommissionRefund, Offer, Order, OrderEvent, Refund
from tests.factories import OfferFactory, UserFactory
from tests.forms import hidden_fields
from tests.races import POSTGRES_RACES, race

pytestmark = POSTGRES_RACES

ROUNDS = 3
ONLINE = Order.PaymentMethod.ONLINE


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def posted_together(user, page_url, action, data):
    """Two browsers of `user` send the form loaded once (the same hidden fields) at once."""
    first, second = signed_in(user), signed_in(user)
    fields = hidden_fields(first.get(page_url), action)
    post_to = action or page_url
    return race(
        lambda: first.post(post_to, {**data, **fields}),
        lambda: second.post(post_to, {**data, **fields}),
    )


def assert_both_lead_to(responses, location):
    for response in responses:
        assert not isinstance(response, Exception), response
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"] == location


def test_safe_01_a_partial_refund_sent_twice_at_once_pays_out_once(offer, buyer, seller):
    for round_ in range(ROUNDS):
        order = services.buy_offer(
            offer, buyer=buyer, quantity=1, payment_method=ONLINE, now=timezone.now() - timedelta(days=3)
        )
        services.pay_order(order, buyer=buyer)
        action = reverse("orders:seller_order_refund", args=[order.pk])

        # The confirmation page's form (SAFE-03), sent twice at once.
        responses = posted_together(
            seller, order.get_seller_url(), action, {"kind": "amount", "amount": "10.00", "confirm": "1"}
        )

        assert list(Refund.objects.filter(order=order).values_list("amount", flat=True)) == [Decimal("10.00")], round_
        assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.REFUNDED).count() == 1
        assert_both_lead_to(responses, order.get_seller_url())


def test_safe_01_a_purchase_sent_twice_at_once_makes_one_order(seller_account):
    buyer = UserFactory(username="double_clicker")
    for round_ in range(ROUNDS):
        offer = OfferFactory(seller_account=seller_account, stock=5, title=f"Racing offer {round_}")

        responses = posted_together(
            buyer, reverse("orders:offer_detail", args=[offer.pk]), None, {"quantity": 1, "payment_method": ONLINE}
        )

        orders = Order.objects.filter(lines__offer=offer)
        assert orders.count() == 1, round_
        assert Offer.objects.get(pk=offer.pk).stock == 4
        assert_both_lead_to(responses, orders.get().get_absolute_url())


def test_safe_01_a_commission_refund_application_sent_twice_at_once_is_filed_once(seller_account, seller, buyer):
    offer = OfferFactory(seller_account=seller_account, stock=100, price=Decimal("100.00"))
    for round_ in range(ROUNDS):
        order = services.buy_offer(
            offer, buyer=buyer, quantity=1, payment_method=ONLINE, now=timezone.now() - timedelta(days=10)
        )
        line = order.lines.get()

        responses = posted_together(
            seller,
            reverse("orders:commission_refund_new", args=[order.pk]),
            None,
            {"reason": "NOT_PAID", f"claim_{line.pk}": "on", f"units_{line.pk}": "1", "action": "apply"},
        )

        applications = CommissionRefund.objects.filter(order=order)
        assert applications.count() == 1, round_
        assert_both_lead_to(responses, reverse("orders:commission_refund_detail", args=[applications.get().pk]))
