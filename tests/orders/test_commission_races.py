"""REB-03 / REB-04 races on PostgreSQL: commission-refund applications submitted at the
same moment as each other or as a refund.

Each round starts two threads (each with its own database connection) that wait at a
barrier and then act at once. SQLite serialises every write transaction, so these races
only mean something on PostgreSQL.
"""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import DomainError
from orders import commission, services
from orders.models import CommissionRefund, Order, Refund
from tests.factories import OfferFactory
from tests.races import POSTGRES_RACES, race, split

BOUGHT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OVERDUE = BOUGHT + timedelta(days=8)
HOUR = timedelta(hours=1)
ROUNDS = 10

Reason = CommissionRefund.Reason
Status = CommissionRefund.Status

pytestmark = POSTGRES_RACES


@pytest.fixture
def offer(seller_account):
    return OfferFactory(seller_account=seller_account, title="Headphones", stock=1000)


def test_reb_03_two_applications_for_the_same_last_units_claim_them_once(offer, buyer, seller):
    for round_ in range(ROUNDS):
        bought = BOUGHT + round_ * HOUR
        order = services.buy_offer(
            offer, buyer=buyer, quantity=3, payment_method=Order.PaymentMethod.ONLINE, now=bought
        )
        line = order.lines.get()
        # One unit is claimed already; two are left.
        commission.apply(order, seller=seller, reason=Reason.NOT_PAID, quantities={line.pk: 1}, now=OVERDUE)

        def submit(reason, order_pk=order.pk, line_pk=line.pk):
            # Each seller's page loaded the order with two units left to claim.
            seen = Order.objects.select_related("market").get(pk=order_pk)
            return commission.apply(seen, seller=seller, reason=reason, quantities={line_pk: 2}, now=OVERDUE + HOUR)

        won, refused = split(race(lambda: submit(Reason.NOT_PAID), lambda: submit(Reason.NO_CONTACT)), CommissionRefund)

        assert len(won) == 1 and len(refused) == 1, (round_, won, refused)
        assert refused[0].field == "lines"
        assert commission.claimed_units(order) == {line.pk: 3}
        assert CommissionRefund.objects.filter(order=order).count() == 2


def test_reb_03_applications_for_single_units_never_claim_more_than_bought(offer, buyer, seller):
    for round_ in range(ROUNDS):
        bought = BOUGHT + round_ * HOUR
        order = services.buy_offer(
            offer, buyer=buyer, quantity=2, payment_method=Order.PaymentMethod.ONLINE, now=bought
        )
        line = order.lines.get()

        def submit(order_pk=order.pk, line_pk=line.pk):
            seen = Order.objects.select_related("market").get(pk=order_pk)
            return commission.apply(seen, seller=seller, reason=Reason.NOT_PAID, quantities={line_pk: 1}, now=OVERDUE)

        won, refused = split(race(submit, submit, submit), CommissionRefund)

        assert len(won) == 2 and len(refused) == 1, (round_, won, refused)
        assert commission.claimed_units(order) == {line.pk: 2}


def test_reb_04_a_refund_racing_a_waiting_application_never_leaves_it_waiting(offer, buyer, seller):
    for round_ in range(ROUNDS):
        bought = BOUGHT + round_ * HOUR
        order = services.buy_offer(
            offer, buyer=buyer, quantity=2, payment_method=Order.PaymentMethod.ONLINE, now=bought
        )
        services.pay_order(order, buyer=buyer, now=bought + HOUR)
        line = order.lines.get()
        at = bought + 2 * HOUR

        def submit(order_pk=order.pk, line_pk=line.pk, at=at):
            seen = Order.objects.select_related("market").get(pk=order_pk)
            return commission.apply(seen, seller=seller, reason=Reason.BUYER_CANCELLED, quantities={line_pk: 2}, now=at)

        def refund(order_pk=order.pk, line_pk=line.pk, at=at):
            return services.refund_order(Order.objects.get(pk=order_pk), seller=seller, lines={line_pk: 2}, now=at)

        submitted, refunded = race(submit, refund)

        assert isinstance(submitted, CommissionRefund), submitted
        assert isinstance(refunded, Refund), refunded
        # Either the application came first and the refund granted it, or the refund came
        # first and the application was granted at once; never waiting with its units refunded.
        assert CommissionRefund.objects.get(pk=submitted.pk).status == Status.GRANTED, round_


def test_reb_08_a_refund_after_a_withdrawal_racing_a_manual_application_claims_each_unit_once(offer, buyer, seller):
    for round_ in range(ROUNDS):
        bought = BOUGHT + round_ * HOUR
        order = services.buy_offer(
            offer, buyer=buyer, quantity=3, payment_method=Order.PaymentMethod.ONLINE, now=bought
        )
        services.pay_order(order, buyer=buyer, now=bought + HOUR)
        services.withdraw_from_paid(order, buyer=buyer, now=bought + 2 * HOUR)
        line = order.lines.get()
        at = bought + 3 * HOUR

        def submit(order_pk=order.pk, line_pk=line.pk, at=at):
            seen = Order.objects.select_related("market").get(pk=order_pk)
            return commission.apply(seen, seller=seller, reason=Reason.BUYER_CANCELLED, quantities={line_pk: 2}, now=at)

        def refund(order_pk=order.pk, at=at):
            return services.refund_order(Order.objects.get(pk=order_pk), seller=seller, full=True, now=at)

        submitted, refunded = race(submit, refund)

        assert isinstance(refunded, Refund), refunded
        # The seller's two units and the automatic application's one, or — when the refund
        # came first — all three automatically and the seller told they are claimed.
        if isinstance(submitted, DomainError):
            assert submitted.field == "lines", submitted
        else:
            assert isinstance(submitted, CommissionRefund), submitted
        assert commission.claimed_units(order) == {line.pk: 3}
        assert set(CommissionRefund.objects.filter(order=order).values_list("status", flat=True)) == {Status.GRANTED}
