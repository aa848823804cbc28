"""REB-01…08 and ORD-04: commission refunds (rabat transakcyjny) in orders/commission.py
and the order services that file applications automatically.

Orders are made through orders.services at explicit instants (STYLE §13). The default
order is three units of the `offer` fixture (100.00 PLN, commission 10 %, so 10.00 PLN
of commission per unit), bought on Wednesday 2026-11-25 08:00 in Warsaw (PL). No DST
change falls between the purchase and day 45, so local and UTC arithmetic agree.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from core.errors import ConcurrentUpdate, DomainError
from orders import commission, services
from orders.models import AuditRecord, CommissionRefund, CommissionRefundLine, Offer, Order, OrderLine
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

BOUGHT = datetime(2026, 11, 25, 8, 0, tzinfo=WARSAW)  # Wednesday
DUE_ONLINE = BOUGHT + 7 * DAY  # Wed 2026-12-02 08:00 CET
DUE_TRANSFER = BOUGHT + 14 * DAY  # Wed 2026-12-09 08:00 CET
OVERDUE = DUE_ONLINE + HOUR
CLAIM_DEADLINE = BOUGHT + 45 * DAY  # Sat 2027-01-09 08:00 CET

ONLINE = Order.PaymentMethod.ONLINE
TRANSFER = Order.PaymentMethod.TRADITIONAL_TRANSFER
Reason = CommissionRefund.Reason
Status = CommissionRefund.Status
Type = CommissionRefund.Type


def fresh(obj):
    """The row as the database holds it now."""
    if isinstance(obj, Order):
        return Order.objects.select_related("market").get(pk=obj.pk)
    return type(obj).objects.get(pk=obj.pk)


def buy(offer, buyer, *, quantity=3, method=ONLINE, now=BOUGHT, paid=False):
    """*Kup teraz* at `now`; paid five minutes later when `paid`."""
    order = services.buy_offer(offer, buyer=buyer, quantity=quantity, payment_method=method, now=now)
    if paid:
        if method == ONLINE:
            services.pay_order(order, buyer=buyer, now=now + 5 * MINUTE)
        else:
            services.mark_transfer_received(order, seller=offer.seller_account.user, now=now + 5 * MINUTE)
    return fresh(order)


def claim(order, seller, units=None, *, reason=Reason.NOT_PAID, now=OVERDUE, line=None):
    """The seller applies for `units` of the order's (only) line; all of them by default."""
    line = line or order.lines.get()
    return commission.apply(
        order, seller=seller, reason=reason, quantities={line.pk: line.quantity if units is None else units}, now=now
    )


def refund_units(order, units, *, now, line=None):
    line = line or order.lines.get()
    return services.refund_order(fresh(order), seller=order.seller_account.user, lines={line.pk: units}, now=now)


def codes(application):
    return [item["code"] for item in application.unmet_conditions]


def described(application, language="en"):
    with translation.override(language):
        return commission.describe_conditions(application.unmet_conditions, application.order)


@pytest.fixture
def offer(seller_account):
    """The 100.00 PLN headphones (10.00 PLN commission per unit), with stock for several orders."""
    return OfferFactory(seller_account=seller_account, title="Headphones", stock=50)


@pytest.fixture
def unpaid(offer, buyer):
    """Three units to be paid online; the buyer has not paid."""
    return buy(offer, buyer)


@pytest.fixture
def paid(offer, buyer):
    """Three units, paid online five minutes after the purchase."""
    return buy(offer, buyer, paid=True)


@pytest.fixture
def rejected(paid, seller):
    """A NOT_PAID application on a paid order: rejected (ORDER_PAID)."""
    application = claim(paid, seller, 1, reason=Reason.NOT_PAID, now=BOUGHT + DAY)
    assert application.status == Status.REJECTED
    return application


@pytest.fixture
def waiting(paid, seller):
    """A BUYER_CANCELLED application for 2 of 3 units of a paid order, not yet refunded."""
    application = claim(paid, seller, 2, reason=Reason.BUYER_CANCELLED, now=BOUGHT + DAY)
    assert application.status == Status.WAITING_FOR_PAYMENT_REFUND
    return application


@pytest.fixture
def appealed(rejected, seller):
    return commission.appeal(rejected, seller=seller, text="Kupujący zapłacił omyłkowo.", now=BOUGHT + 2 * DAY)


# --- ORD-04: the payment deadline ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "due"), [(ONLINE, DUE_ONLINE), (TRANSFER, DUE_TRANSFER)])
def test_ord_04_payment_deadline_is_7_days_online_and_14_days_by_traditional_transfer(offer, buyer, method, due):
    order = buy(offer, buyer, method=method)

    assert order.payment_due_at == due
    assert not order.is_payment_overdue(due)
    assert order.is_payment_overdue(due + SECOND)


@pytest.mark.parametrize(
    ("method", "due", "local_text"),
    [(ONLINE, DUE_ONLINE, "02.12.2026 08:00 CET"), (TRANSFER, DUE_TRANSFER, "09.12.2026 08:00 CET")],
)
def test_ord_04_reb_04_not_paid_a_second_before_the_payment_deadline_is_rejected_naming_the_date(
    offer, buyer, seller, method, due, local_text
):
    order = buy(offer, buyer, method=method)

    application = claim(order, seller, reason=Reason.NOT_PAID, now=due - SECOND)

    assert application.status == Status.REJECTED
    assert codes(application) == ["PAYMENT_DEADLINE_NOT_PASSED"]
    # Plain words with the date in the market's local time, in the reader's language.
    [text] = described(application, "pl")
    assert local_text in text
    [text] = described(application, "en")
    assert text.startswith("The buyer's payment deadline has not passed yet: it passes on ")
    assert text.endswith(" CET.")


@pytest.mark.parametrize(("method", "due"), [(ONLINE, DUE_ONLINE), (TRANSFER, DUE_TRANSFER)])
def test_ord_04_reb_04_not_paid_a_second_after_the_payment_deadline_is_granted(offer, buyer, seller, method, due):
    order = buy(offer, buyer, method=method)

    application = claim(order, seller, reason=Reason.NOT_PAID, now=due + SECOND)

    assert application.status == Status.GRANTED
    assert application.unmet_conditions == []


def test_ord_04_traditional_transfer_is_not_overdue_after_7_days(offer, buyer, seller):
    order = buy(offer, buyer, method=TRANSFER)

    application = claim(order, seller, reason=Reason.NO_CONTACT, now=DUE_ONLINE + DAY)

    assert application.status == Status.REJECTED
    assert codes(application) == ["PAYMENT_DEADLINE_NOT_PASSED"]


# --- REB-01: who applies, for which reasons ---------------------------------------------------


@pytest.mark.parametrize("reason", [Reason.NOT_PAID, Reason.NO_CONTACT, Reason.BUYER_CANCELLED])
def test_reb_01_the_seller_applies_for_each_of_the_three_reasons(paid, seller, seller_account, reason):
    application = claim(paid, seller, 1, reason=reason, now=BOUGHT + DAY)

    stored = fresh(application)
    assert stored.reason == reason
    assert stored.type == Type.MANUAL
    assert stored.created_by == seller
    assert stored.seller_account == seller_account
    assert stored.order_id == paid.pk
    assert stored.created_at == BOUGHT + DAY
    assert stored.deadline_at == CLAIM_DEADLINE
    assert stored.status in Status.values


@pytest.mark.parametrize("reason", ["", "SOMETHING_ELSE", None, "not_paid"])
def test_reb_01_an_unknown_reason_is_refused_and_nothing_is_stored(unpaid, seller, reason):
    with pytest.raises(DomainError) as error:
        claim(unpaid, seller, reason=reason)

    assert error.value.field == "reason"
    assert not CommissionRefund.objects.exists()


# --- REB-02: within 45 days ---------------------------------------------------------------------


def test_reb_02_the_seller_can_apply_until_45_days_after_the_purchase(unpaid, seller):
    assert commission.claim_deadline(unpaid) == CLAIM_DEADLINE
    assert commission.can_apply(unpaid, CLAIM_DEADLINE - SECOND) == (True, "")

    application = claim(unpaid, seller, reason=Reason.NOT_PAID, now=CLAIM_DEADLINE - SECOND)

    assert application.status == Status.GRANTED


def test_reb_02_after_45_days_the_action_is_disabled_with_the_reason_and_nothing_is_stored(unpaid, seller):
    with translation.override("en"):
        allowed, why = commission.can_apply(unpaid, CLAIM_DEADLINE + SECOND)
    assert allowed is False
    assert why.startswith("A commission refund can be requested within 45 days of the purchase")
    with translation.override("pl"):
        _allowed, why_pl = commission.can_apply(unpaid, CLAIM_DEADLINE + SECOND)
    assert "09.01.2027 08:00 CET" in why_pl

    for reason in Reason.values:
        with pytest.raises(DomainError):
            claim(unpaid, seller, reason=reason, now=CLAIM_DEADLINE + SECOND)

    assert not CommissionRefund.objects.exists()
    assert not CommissionRefundLine.objects.exists()


# --- REB-03: lines and quantities, each unit claimed once -----------------------------------------


def test_reb_03_a_partial_quantity_claims_only_those_units(unpaid, seller):
    line = unpaid.lines.get()

    application = claim(unpaid, seller, 2)

    [claimed] = application.lines.all()
    assert (claimed.line_id, claimed.quantity, claimed.commission) == (line.pk, 2, Decimal("20.00"))
    assert application.amount == 2 * line.commission_per_unit == Decimal("20.00")
    assert commission.claimed_units(unpaid) == {line.pk: 2}


@pytest.mark.parametrize("units", [4, 100])
def test_reb_03_claiming_more_units_than_bought_is_refused(unpaid, seller, units):
    with pytest.raises(DomainError) as error:
        claim(unpaid, seller, units)

    assert error.value.field == "lines"
    assert not CommissionRefund.objects.exists()


def test_reb_03_the_same_units_cannot_be_claimed_twice_but_the_remaining_unit_can(unpaid, seller):
    line = unpaid.lines.get()
    first = claim(unpaid, seller, 2, reason=Reason.NOT_PAID)

    with translation.override("en"), pytest.raises(DomainError) as error:
        claim(unpaid, seller, 2, reason=Reason.NO_CONTACT, now=OVERDUE + HOUR)

    assert error.value.field == "lines"
    assert "Headphones" in error.value.message
    assert "at most 1 more" in error.value.message
    assert "bought 3, already claimed 2" in error.value.message
    assert list(CommissionRefund.objects.values_list("pk", flat=True)) == [first.pk]

    last = claim(unpaid, seller, 1, reason=Reason.NO_CONTACT, now=OVERDUE + HOUR)

    assert last.status == Status.GRANTED
    assert commission.claimed_units(unpaid) == {line.pk: 3}
    with pytest.raises(DomainError):
        claim(unpaid, seller, 1, now=OVERDUE + 2 * HOUR)


def test_reb_03_a_cancelled_application_frees_its_units(waiting, paid, seller):
    with pytest.raises(DomainError):
        claim(paid, seller, 2, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 2 * DAY)

    commission.cancel(waiting, seller=seller, now=BOUGHT + 2 * DAY)

    assert commission.claimed_units(paid) == {}
    again = claim(paid, seller, 3, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 3 * DAY)
    assert again.status == Status.WAITING_FOR_PAYMENT_REFUND
    assert commission.claimed_units(paid) == {paid.lines.get().pk: 3}


@pytest.mark.parametrize("case", ["nothing", "zero", "negative", "not-a-number", "line-of-another-order"])
def test_reb_03_invalid_lines_are_refused(unpaid, offer, other_buyer, seller, case):
    line = unpaid.lines.get()
    foreign = buy(offer, other_buyer, quantity=1).lines.get()
    quantities = {
        "nothing": {},
        "zero": {line.pk: 0},
        "negative": {line.pk: -1},
        "not-a-number": {line.pk: "dwa"},
        "line-of-another-order": {foreign.pk: 1},
    }[case]

    with pytest.raises(DomainError) as error:
        commission.apply(unpaid, seller=seller, reason=Reason.NOT_PAID, quantities=quantities, now=OVERDUE)

    assert error.value.field == "lines"
    assert not CommissionRefund.objects.exists()


def test_reb_03_reb_05_an_application_covers_several_lines_each_claimed_separately(
    offer, buyer, seller, seller_account
):
    cable = OfferFactory(
        seller_account=seller_account, title="Cable", price=Decimal("20.00"), commission_rate=Decimal("0.0500")
    )
    order = buy(offer, buyer, quantity=3)
    # buy_offer makes one-line orders; the second line is added as a cart checkout would.
    cable_line = OrderLine.objects.create(
        order=order,
        offer=cable,
        title=cable.title,
        unit_price=cable.price,
        quantity=4,
        commission_per_unit=cable.commission_per_unit,
    )
    headphones_line = order.lines.get(offer=offer)

    first = commission.apply(
        order,
        seller=seller,
        reason=Reason.NOT_PAID,
        quantities={headphones_line.pk: 1, cable_line.pk: 3},
        now=OVERDUE,
    )

    assert first.status == Status.GRANTED
    assert first.amount == Decimal("10.00") + 3 * Decimal("1.00")
    assert sorted(first.lines.values_list("line_id", "quantity", "commission")) == sorted(
        [(headphones_line.pk, 1, Decimal("10.00")), (cable_line.pk, 3, Decimal("3.00"))]
    )
    with pytest.raises(DomainError) as error:
        commission.apply(
            order,
            seller=seller,
            reason=Reason.NOT_PAID,
            quantities={headphones_line.pk: 2, cable_line.pk: 2},
            now=OVERDUE,
        )
    assert error.value.field == "lines"

    second = commission.apply(
        order, seller=seller, reason=Reason.NOT_PAID, quantities={headphones_line.pk: 2, cable_line.pk: 1}, now=OVERDUE
    )

    assert second.amount == Decimal("21.00")
    assert commission.claimed_units(order) == {headphones_line.pk: 3, cable_line.pk: 4}


# --- REB-04: evaluation at once -------------------------------------------------------------------


@pytest.mark.parametrize("reason", [Reason.NOT_PAID, Reason.NO_CONTACT])
def test_reb_04_not_paid_or_no_contact_on_an_unpaid_overdue_order_is_granted_automatically(unpaid, seller, reason):
    application = claim(unpaid, seller, reason=reason, now=OVERDUE)

    stored = fresh(application)
    assert stored.status == Status.GRANTED
    assert stored.unmet_conditions == []
    assert stored.decided_at == OVERDUE
    assert stored.decided_by_mediator is None
    assert stored.decided_automatically


@pytest.mark.parametrize("reason", [Reason.NOT_PAID, Reason.NO_CONTACT])
def test_reb_04_not_paid_or_no_contact_on_a_paid_order_is_rejected_with_the_reason(paid, seller, reason):
    application = claim(paid, seller, reason=reason, now=OVERDUE)

    assert application.status == Status.REJECTED
    assert codes(application) == ["ORDER_PAID"]
    assert described(application) == ["The buyer paid for the order."]
    assert application.decided_at == OVERDUE
    assert application.decided_by_mediator is None


def test_reb_04_buyer_cancelled_on_an_unpaid_cancelled_order_is_granted(unpaid, buyer):
    services.cancel_order(unpaid, buyer=buyer, now=BOUGHT + DAY)
    order = fresh(unpaid)
    line = order.lines.get()

    # The condition itself (a seller's own application would find the units already
    # claimed by the automatic one, REB-08).
    result = commission.evaluate(order, Reason.BUYER_CANCELLED, {line.pk: 3}, BOUGHT + DAY)
    assert (result.status, result.unmet) == (Status.GRANTED, [])

    [automatic] = CommissionRefund.objects.filter(order=order)
    assert (automatic.reason, automatic.status) == (Reason.BUYER_CANCELLED, Status.GRANTED)


def test_reb_04_buyer_cancelled_on_an_unpaid_order_not_cancelled_is_rejected(unpaid, seller):
    application = claim(unpaid, seller, reason=Reason.BUYER_CANCELLED, now=BOUGHT + DAY)

    assert application.status == Status.REJECTED
    assert codes(application) == ["NOT_CANCELLED"]
    [text] = described(application)
    assert "has not cancelled" in text


def test_reb_04_buyer_cancelled_on_a_paid_order_waits_for_the_refund_then_is_granted(waiting, paid):
    assert codes(waiting) == ["REFUND_NOT_MADE"]
    assert waiting.decided_at is None
    assert described(waiting) == [
        "The money for the claimed units has not been refunded to the buyer through Allegro Finanse."
    ]

    refund_units(paid, 2, now=BOUGHT + 3 * DAY)

    stored = fresh(waiting)
    assert stored.status == Status.GRANTED
    assert stored.unmet_conditions == []
    assert stored.decided_at == BOUGHT + 3 * DAY
    assert stored.decided_by_mediator is None


def test_reb_04_a_full_refund_grants_the_waiting_application(waiting, paid, seller):
    services.refund_order(fresh(paid), seller=seller, full=True, now=BOUGHT + 3 * DAY)

    assert fresh(waiting).status == Status.GRANTED


def test_reb_04_a_refund_of_fewer_units_than_claimed_leaves_the_application_waiting(waiting, paid):
    refund_units(paid, 1, now=BOUGHT + 3 * DAY)

    assert fresh(waiting).status == Status.WAITING_FOR_PAYMENT_REFUND

    refund_units(paid, 1, now=BOUGHT + 4 * DAY)

    assert fresh(waiting).status == Status.GRANTED


def test_reb_04_buyer_cancelled_after_the_refund_is_granted_at_once(paid, seller):
    refund_units(paid, 2, now=BOUGHT + DAY)

    application = claim(paid, seller, 2, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 2 * DAY)

    assert application.status == Status.GRANTED
    assert application.decided_at == BOUGHT + 2 * DAY


def test_reb_04_one_refunded_unit_grants_one_claimed_unit_only(paid, seller):
    refund_units(paid, 1, now=BOUGHT + DAY)
    first = claim(paid, seller, 1, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 2 * DAY)

    second = claim(paid, seller, 1, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 3 * DAY)

    assert first.status == Status.GRANTED
    # The refunded unit already earned the first application its commission.
    assert second.status == Status.WAITING_FOR_PAYMENT_REFUND

    refund_units(paid, 1, now=BOUGHT + 4 * DAY)

    assert fresh(second).status == Status.GRANTED


def test_reb_04_a_refund_grants_waiting_applications_oldest_first_up_to_the_refunded_units(paid, seller):
    older = claim(paid, seller, 1, reason=Reason.BUYER_CANCELLED, now=BOUGHT + DAY)
    newer = claim(paid, seller, 1, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 2 * DAY)

    refund_units(paid, 1, now=BOUGHT + 3 * DAY)

    assert fresh(older).status == Status.GRANTED
    assert fresh(newer).status == Status.WAITING_FOR_PAYMENT_REFUND


def test_reb_04_a_waiting_application_without_refund_is_rejected_after_day_45_once(waiting, paid):
    assert commission.reject_unrefunded(now=CLAIM_DEADLINE) == 0
    assert fresh(waiting).status == Status.WAITING_FOR_PAYMENT_REFUND

    assert commission.reject_unrefunded(now=CLAIM_DEADLINE + SECOND) == 1

    stored = fresh(waiting)
    assert stored.status == Status.REJECTED
    assert codes(stored) == ["REFUND_NOT_MADE_IN_TIME"]
    assert described(stored) == ["The money was not refunded to the buyer within 45 days of the purchase."]
    assert stored.decided_at == CLAIM_DEADLINE + SECOND
    assert stored.decided_by_mediator is None
    # Idempotent: the next run finds nothing and changes nothing.
    assert commission.reject_unrefunded(now=CLAIM_DEADLINE + HOUR) == 0
    assert fresh(stored).decided_at == CLAIM_DEADLINE + SECOND


def test_reb_04_the_day_45_sweep_leaves_granted_and_fresh_applications_alone(waiting, paid, offer, buyer, seller):
    refund_units(paid, 2, now=BOUGHT + 2 * DAY)
    later = buy(offer, buyer, quantity=1, paid=True, now=BOUGHT + 10 * DAY)
    young = claim(later, seller, reason=Reason.BUYER_CANCELLED, now=BOUGHT + 11 * DAY)

    assert commission.reject_unrefunded(now=CLAIM_DEADLINE + SECOND) == 0

    assert fresh(waiting).status == Status.GRANTED
    assert fresh(young).status == Status.WAITING_FOR_PAYMENT_REFUND


def test_reb_04_a_refund_made_after_day_45_does_not_grant_the_waiting_application(waiting, paid):
    # The sweep runs every few minutes; a refund in between must not beat the deadline.
    refund_units(paid, 2, now=CLAIM_DEADLINE + SECOND)

    assert fresh(waiting).status == Status.WAITING_FOR_PAYMENT_REFUND
    commission.reject_unrefunded(now=CLAIM_DEADLINE + MINUTE)
    assert fresh(waiting).status == Status.REJECTED


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"code": "DEADLINE_PASSED", "at": "2027-01-09T07:00:00+00:00"}, "More than 45 days have passed"),
        ({"code": "ORDER_PAID"}, "The buyer paid for the order."),
        ({"code": "PAYMENT_DEADLINE_NOT_PASSED", "at": "2026-12-02T07:00:00+00:00"}, "it passes on"),
        ({"code": "NOT_CANCELLED"}, "has not cancelled the purchase"),
        ({"code": "REFUND_NOT_MADE"}, "has not been refunded"),
        ({"code": "REFUND_NOT_MADE_IN_TIME"}, "within 45 days"),
    ],
)
def test_reb_04_every_unmet_condition_is_described_in_plain_words(unpaid, condition, expected):
    with translation.override("en"):
        [text] = commission.describe_conditions([condition], unpaid)

    assert expected in text
    if "at" in condition:
        with translation.override("pl"):
            [text] = commission.describe_conditions([condition], unpaid)
        # 07:00 UTC is 08:00 in Warsaw in winter.
        assert "08:00 CET" in text


# --- REB-05: the amount -----------------------------------------------------------------------------


def test_reb_05_the_amount_is_the_claimed_units_commission_fixed_at_purchase(offer, buyer, seller):
    order = buy(offer, buyer, quantity=3)
    line = order.lines.get()
    # The seller changes the offer afterwards; the order keeps the commission it was sold with.
    Offer.objects.filter(pk=offer.pk).update(price=Decimal("300.00"), commission_rate=Decimal("0.2000"))

    assert commission.commission_of([(line, 2)]) == Decimal("20.00")
    application = claim(order, seller, 2, now=OVERDUE)

    assert line.commission_per_unit == Decimal("10.00")
    assert fresh(application).amount == Decimal("20.00")
    assert [c.commission for c in application.lines.all()] == [Decimal("20.00")]


def test_reb_05_the_amount_is_kept_whatever_the_status(rejected, waiting):
    assert rejected.amount == Decimal("10.00")
    assert waiting.amount == Decimal("20.00")


# --- REB-06: cancelling a pending application -----------------------------------------------------


def test_reb_06_the_seller_cancels_a_waiting_application(waiting, seller):
    cancelled = commission.cancel(waiting, seller=seller, now=BOUGHT + 2 * DAY)

    assert cancelled.status == Status.CANCELLED
    assert fresh(waiting).cancelled_at == BOUGHT + 2 * DAY
    # A cancelled application is no longer swept at day 45.
    assert commission.reject_unrefunded(now=CLAIM_DEADLINE + SECOND) == 0
    assert fresh(waiting).status == Status.CANCELLED


def test_reb_06_the_seller_cancels_an_appealed_application(appealed, seller):
    commission.cancel(appealed, seller=seller, now=BOUGHT + 3 * DAY)

    assert fresh(appealed).status == Status.CANCELLED


@pytest.mark.parametrize("status", [Status.GRANTED, Status.REJECTED, Status.REJECTED_AFTER_APPEAL, Status.CANCELLED])
def test_reb_06_a_decided_or_cancelled_application_cannot_be_cancelled(unpaid, paid, seller, mediator, status):
    if status == Status.GRANTED:
        application = claim(unpaid, seller, now=OVERDUE)
    else:
        application = claim(paid, seller, 1, reason=Reason.NOT_PAID, now=BOUGHT + DAY)
        if status == Status.REJECTED_AFTER_APPEAL:
            commission.appeal(application, seller=seller, text="Proszę.", now=BOUGHT + 2 * DAY)
            commission.decide_appeal(
                application, mediator=mediator, grant=False, reason="Zapłacono.", now=BOUGHT + 3 * DAY
            )
        elif status == Status.CANCELLED:
            application = claim(paid, seller, 1, reason=Reason.BUYER_CANCELLED, now=BOUGHT + DAY)
            commission.cancel(application, seller=seller, now=BOUGHT + 2 * DAY)
    application = fresh(application)
    assert application.status == status

    with pytest.raises(DomainError):
        commission.cancel(application, seller=seller, now=BOUGHT + 4 * DAY)

    assert fresh(application).status == status


# --- REB-07: appeal once, decided by a mediator ----------------------------------------------------


def test_reb_07_a_rejected_application_is_appealed_with_a_justification(rejected, seller):
    appealed = commission.appeal(rejected, seller=seller, text="  Kupujący zapłacił omyłkowo.  ", now=BOUGHT + 2 * DAY)

    stored = fresh(appealed)
    assert stored.status == Status.APPEALED
    assert stored.appeal_text == "Kupujący zapłacił omyłkowo."
    assert stored.appealed_at == BOUGHT + 2 * DAY
    assert stored.is_pending


@pytest.mark.parametrize("text", ["", "   \n ", None])
def test_reb_07_an_appeal_without_justification_is_refused(rejected, seller, text):
    with pytest.raises(DomainError) as error:
        commission.appeal(rejected, seller=seller, text=text, now=BOUGHT + 2 * DAY)

    assert error.value.field == "text"
    assert fresh(rejected).status == Status.REJECTED
    assert fresh(rejected).appealed_at is None


def test_reb_07_an_overlong_appeal_is_refused(rejected, seller):
    with pytest.raises(DomainError) as error:
        commission.appeal(rejected, seller=seller, text="x" * (commission.MAX_APPEAL + 1), now=BOUGHT + 2 * DAY)

    assert error.value.field == "text"
    assert fresh(rejected).status == Status.REJECTED


def test_reb_07_an_application_can_be_appealed_only_once(appealed, seller, mediator):
    with pytest.raises(DomainError):
        commission.appeal(fresh(appealed), seller=seller, text="Jeszcze raz.", now=BOUGHT + 3 * DAY)
    commission.decide_appeal(
        appealed, mediator=mediator, grant=False, reason="Zamówienie opłacone.", now=BOUGHT + 4 * DAY
    )

    with pytest.raises(DomainError):
        commission.appeal(fresh(appealed), seller=seller, text="Jeszcze raz.", now=BOUGHT + 5 * DAY)
    # Even through a stale copy that still shows the first status.
    stale = fresh(appealed)
    stale.status, stale.appealed_at = Status.REJECTED, None
    with pytest.raises(DomainError):
        commission.appeal(stale, seller=seller, text="Jeszcze raz.", now=BOUGHT + 5 * DAY)

    stored = fresh(appealed)
    assert stored.status == Status.REJECTED_AFTER_APPEAL
    assert stored.appeal_text == "Kupujący zapłacił omyłkowo."


def test_reb_07_only_a_rejected_application_can_be_appealed(unpaid, waiting, seller):
    granted = claim(unpaid, seller, now=OVERDUE)

    for application in (granted, waiting):
        with pytest.raises(DomainError):
            commission.appeal(application, seller=seller, text="Proszę.", now=BOUGHT + 10 * DAY)

    assert fresh(granted).status == Status.GRANTED
    assert fresh(waiting).status == Status.WAITING_FOR_PAYMENT_REFUND


def test_reb_07_med_07_the_mediator_grants_the_appeal_with_a_recorded_reason(appealed, mediator):
    decided = commission.decide_appeal(
        appealed, mediator=mediator, grant=True, reason="Płatność zwrócona poza Allegro.", now=BOUGHT + 3 * DAY
    )

    stored = fresh(decided)
    assert stored.status == Status.GRANTED
    assert stored.decided_by_mediator == mediator
    assert not stored.decided_automatically
    assert stored.decision_reason == "Płatność zwrócona poza Allegro."
    assert stored.decided_at == BOUGHT + 3 * DAY
    [record] = AuditRecord.objects.all()
    assert record.actor == mediator
    assert record.at == BOUGHT + 3 * DAY
    assert record.object_id == str(appealed.pk)
    assert record.content_type.model_class() is CommissionRefund
    assert record.reason == "Płatność zwrócona poza Allegro."
    assert record.before == {"status": Status.APPEALED}
    assert record.after == {"status": Status.GRANTED}


def test_reb_07_med_07_the_mediator_rejects_the_appeal_with_a_recorded_reason(appealed, mediator):
    commission.decide_appeal(
        appealed, mediator=mediator, grant=False, reason="Zamówienie opłacone.", now=BOUGHT + 3 * DAY
    )

    stored = fresh(appealed)
    assert stored.status == Status.REJECTED_AFTER_APPEAL
    assert stored.decided_by_mediator == mediator
    [record] = AuditRecord.objects.all()
    assert (record.reason, record.after) == ("Zamówienie opłacone.", {"status": Status.REJECTED_AFTER_APPEAL})


def test_reb_07_an_appeal_is_decided_once(appealed, mediator):
    commission.decide_appeal(appealed, mediator=mediator, grant=False, reason="Nie.", now=BOUGHT + 3 * DAY)

    with pytest.raises(ConcurrentUpdate):
        commission.decide_appeal(appealed, mediator=mediator, grant=True, reason="Jednak tak.", now=BOUGHT + 4 * DAY)

    assert fresh(appealed).status == Status.REJECTED_AFTER_APPEAL
    assert AuditRecord.objects.count() == 1


def test_reb_07_a_decision_needs_a_reason(appealed, mediator):
    with pytest.raises(DomainError) as error:
        commission.decide_appeal(appealed, mediator=mediator, grant=True, reason="  ", now=BOUGHT + 3 * DAY)

    assert error.value.field == "reason"
    assert fresh(appealed).status == Status.APPEALED
    assert not AuditRecord.objects.exists()


def test_reb_07_a_cancelled_appeal_cannot_be_decided(appealed, seller, mediator):
    commission.cancel(appealed, seller=seller, now=BOUGHT + 3 * DAY)

    with pytest.raises(DomainError):
        commission.decide_appeal(appealed, mediator=mediator, grant=True, reason="Tak.", now=BOUGHT + 4 * DAY)

    assert fresh(appealed).status == Status.CANCELLED
    assert not AuditRecord.objects.exists()


def test_reb_07_a_waiting_application_rejected_at_day_45_can_be_appealed(waiting, seller):
    commission.reject_unrefunded(now=CLAIM_DEADLINE + SECOND)

    appealed = commission.appeal(fresh(waiting), seller=seller, text="Zwrot był w drodze.", now=CLAIM_DEADLINE + DAY)

    assert appealed.status == Status.APPEALED


# --- REB-08: automatic applications ------------------------------------------------------------------


def test_reb_08_cancelling_an_unpaid_purchase_files_an_automatic_granted_application(unpaid, buyer):
    services.cancel_order(unpaid, buyer=buyer, now=BOUGHT + DAY)

    [application] = CommissionRefund.objects.filter(order=unpaid)
    assert application.type == Type.AUTOMATIC
    assert application.reason == Reason.BUYER_CANCELLED
    assert application.status == Status.GRANTED
    assert application.created_by is None
    assert application.decided_by_mediator is None
    assert application.created_at == application.decided_at == BOUGHT + DAY
    assert application.amount == Decimal("30.00")
    assert list(application.lines.values_list("line_id", "quantity")) == [(unpaid.lines.get().pk, 3)]


def test_reb_08_withdrawal_from_a_paid_purchase_and_a_full_refund_file_an_automatic_application(paid, buyer, seller):
    services.withdraw_from_paid(paid, buyer=buyer, now=BOUGHT + DAY)
    assert not CommissionRefund.objects.exists()

    services.refund_order(fresh(paid), seller=seller, full=True, now=BOUGHT + 2 * DAY)

    [application] = CommissionRefund.objects.filter(order=paid)
    assert (application.type, application.reason, application.status) == (
        Type.AUTOMATIC,
        Reason.BUYER_CANCELLED,
        Status.GRANTED,
    )
    assert application.created_by is None
    assert application.amount == Decimal("30.00")
    assert commission.claimed_units(paid) == {paid.lines.get().pk: 3}


def test_reb_08_refunds_of_some_units_after_a_withdrawal_claim_those_units(paid, buyer):
    services.withdraw_from_paid(paid, buyer=buyer, now=BOUGHT + DAY)

    refund_units(paid, 1, now=BOUGHT + 2 * DAY)
    [first] = CommissionRefund.objects.filter(order=paid)
    assert (first.type, first.status, first.amount) == (Type.AUTOMATIC, Status.GRANTED, Decimal("10.00"))

    refund_units(paid, 2, now=BOUGHT + 3 * DAY)

    second = CommissionRefund.objects.exclude(pk=first.pk).get(order=paid)
    assert (second.type, second.status, second.amount) == (Type.AUTOMATIC, Status.GRANTED, Decimal("20.00"))
    assert commission.claimed_units(paid) == {paid.lines.get().pk: 3}


def test_reb_08_each_partial_refund_after_a_withdrawal_claims_its_own_units(paid, buyer):
    services.withdraw_from_paid(paid, buyer=buyer, now=BOUGHT + DAY)

    for day in (2, 3, 4):
        refund_units(paid, 1, now=BOUGHT + day * DAY)

    applications = CommissionRefund.objects.filter(order=paid, type=Type.AUTOMATIC)
    assert applications.count() == 3
    assert {a.status for a in applications} == {Status.GRANTED}
    assert commission.claimed_units(paid) == {paid.lines.get().pk: 3}


def test_reb_08_a_refund_without_a_withdrawal_files_no_application(paid, seller):
    services.refund_order(fresh(paid), seller=seller, full=True, now=BOUGHT + 2 * DAY)

    assert not CommissionRefund.objects.exists()


def test_reb_08_units_claimed_by_the_seller_are_not_claimed_again_automatically(waiting, paid, buyer, seller):
    services.withdraw_from_paid(paid, buyer=buyer, now=BOUGHT + 2 * DAY)

    services.refund_order(fresh(paid), seller=seller, full=True, now=BOUGHT + 3 * DAY)

    assert fresh(waiting).status == Status.GRANTED
    automatic = CommissionRefund.objects.get(order=paid, type=Type.AUTOMATIC)
    assert list(automatic.lines.values_list("quantity", flat=True)) == [1]
    assert automatic.status == Status.GRANTED
    assert commission.claimed_units(paid) == {paid.lines.get().pk: 3}


def test_reb_08_a_cancellation_claims_only_the_units_the_seller_has_not_claimed(unpaid, buyer, seller):
    manual = claim(unpaid, seller, 1, reason=Reason.NOT_PAID, now=OVERDUE)

    services.cancel_order(fresh(unpaid), buyer=buyer, now=OVERDUE + HOUR)

    automatic = CommissionRefund.objects.get(order=unpaid, type=Type.AUTOMATIC)
    assert list(automatic.lines.values_list("quantity", flat=True)) == [2]
    assert automatic.amount == Decimal("20.00")
    assert fresh(manual).status == Status.GRANTED


def test_reb_08_no_automatic_application_when_every_unit_is_already_claimed(unpaid, buyer, seller):
    claim(unpaid, seller, reason=Reason.NOT_PAID, now=OVERDUE)

    services.cancel_order(fresh(unpaid), buyer=buyer, now=OVERDUE + HOUR)

    assert not CommissionRefund.objects.filter(type=Type.AUTOMATIC).exists()


def test_reb_03_a_rejected_application_releases_its_units_for_a_new_one(unpaid, seller):
    """Applied before the payment deadline: rejected. After it, the same units can be
    claimed again, and this time the application is granted."""
    early = claim(unpaid, seller, now=DUE_ONLINE - HOUR)
    assert early.status == Status.REJECTED
    again = claim(unpaid, seller, now=OVERDUE)
    assert again.status == Status.GRANTED
    assert commission.claimed_units(unpaid) == {unpaid.lines.get().pk: 3}


def test_reb_07_a_rejected_application_whose_units_were_claimed_again_cannot_be_appealed(unpaid, seller):
    early = claim(unpaid, seller, now=DUE_ONLINE - HOUR)
    claim(unpaid, seller, now=OVERDUE)
    with pytest.raises(DomainError):
        commission.appeal(early, seller=seller, text="Kupujący nie zapłacił.", now=OVERDUE + HOUR)
    assert fresh(early).status == Status.REJECTED


@pytest.mark.parametrize("units", [2.5, "2.5", True, "dwa"])
def test_reb_03_units_must_be_whole_numbers(unpaid, seller, units):
    with pytest.raises(DomainError) as error:
        claim(unpaid, seller, units=units)
    assert error.value.field == "lines"
    assert not CommissionRefund.objects.exists()
