"""ORD-03 / ORD-07 races on PostgreSQL: real concurrent transactions and row locks.

Each test starts two threads (each with its own database connection) that wait at a
barrier and then act at the same moment. SQLite serialises every write transaction, so
these races only mean something on PostgreSQL.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orders import services
from orders.models import Offer, Order, OrderEvent, Refund
from tests.factories import OfferFactory, UserFactory
from tests.races import POSTGRES_RACES, race, split

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ROUNDS = 5

pytestmark = POSTGRES_RACES


def test_ord_03_two_buyers_racing_for_the_last_unit_only_one_gets_it(seller_account):
    buyers = [UserFactory(username="racer_a"), UserFactory(username="racer_b")]

    for round_ in range(ROUNDS):
        offer = OfferFactory(seller_account=seller_account, stock=1, title=f"Last unit {round_}")

        def buy(who, offer_pk=offer.pk, now=NOW + round_ * HOUR):
            # Each buyer's page loaded the offer with one unit left.
            seen = Offer.objects.select_related("seller_account").get(pk=offer_pk)
            return services.buy_offer(seen, buyer=who, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=now)

        won, refused = split(race(lambda: buy(buyers[0]), lambda: buy(buyers[1])), Order)

        assert len(won) == 1 and len(refused) == 1, (round_, won, refused)
        assert Order.objects.filter(lines__offer=offer).count() == 1
        assert Offer.objects.get(pk=offer.pk).stock == 0
        assert OrderEvent.objects.filter(order__lines__offer=offer, kind=OrderEvent.Kind.CREATED).count() == 1


def test_ord_07_two_refunds_that_together_exceed_the_paid_amount_only_one_succeeds(offer, buyer, seller):
    for round_ in range(ROUNDS):
        order = services.buy_offer(
            offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=NOW + round_ * HOUR
        )
        services.pay_order(order, buyer=buyer, now=NOW + round_ * HOUR)

        def refund(amount, order_pk=order.pk, now=NOW + round_ * HOUR):
            return services.refund_order(Order.objects.get(pk=order_pk), seller=seller, amount=amount, now=now)

        # 60 + 70 = 130 > 100 paid.
        won, refused = split(race(lambda: refund("60.00"), lambda: refund("70.00")), Refund)

        assert len(won) == 1 and len(refused) == 1, (round_, won, refused)
        refunds = Refund.objects.filter(order=order)
        assert refunds.count() == 1
        assert sum(r.amount for r in refunds) <= Decimal("100.00")
        assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.REFUNDED).count() == 1


def test_ord_07_two_refunds_that_fit_together_both_succeed(offer, buyer, seller):
    order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=NOW)
    services.pay_order(order, buyer=buyer, now=NOW)

    def refund(amount):
        return services.refund_order(Order.objects.get(pk=order.pk), seller=seller, amount=amount, now=NOW + HOUR)

    won, refused = split(race(lambda: refund("40.00"), lambda: refund("60.00")), Refund)

    assert len(won) == 2 and not refused
    assert Order.objects.get(pk=order.pk).refundable_amount() == Decimal("0.00")
