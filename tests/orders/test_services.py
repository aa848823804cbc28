"""ORD-01…09: the order workflows in orders/services.py.

Orders are made through the services (never with OrderFactory) so stock, events and
payments are as real as on the pages. Time is always passed explicitly as `now=`.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import ConcurrentUpdate, DomainError
from orders import checks, services
from orders.models import (
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    RefundLine,
    Shipment,
)
from orders.signals import order_event_recorded
from tests.factories import OfferFactory

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ONLINE = Order.PaymentMethod.ONLINE
TRANSFER = Order.PaymentMethod.TRADITIONAL_TRANSFER
Kind = OrderEvent.Kind


def buy(offer, buyer, *, quantity=1, method=ONLINE, now=NOW, **kwargs):
    return services.buy_offer(offer, buyer=buyer, quantity=quantity, payment_method=method, now=now, **kwargs)


def stock_of(offer):
    return Offer.objects.values_list("stock", flat=True).get(pk=offer.pk)


def event_kinds(order):
    return list(OrderEvent.objects.filter(order=order).order_by("occurred_at", "pk").values_list("kind", flat=True))


def fresh(order):
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def unpaid_order(offer, buyer):
    """Two units of the 100.00 offer, unpaid (online)."""
    return buy(offer, buyer, quantity=2)


@pytest.fixture
def paid_order(unpaid_order, buyer):
    """Two units of the 100.00 offer, paid online an hour after purchase: 200.00."""
    return services.pay_order(unpaid_order, buyer=buyer, now=NOW + HOUR)


@pytest.fixture
def shipped_order(paid_order, seller):
    services.enter_tracking(
        paid_order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="INP-000111", now=NOW + DAY
    )
    return paid_order


@pytest.fixture
def purchase_checks(monkeypatch):
    """An empty copy of the ORD-03 check registry; the original comes back after the test."""
    monkeypatch.setattr(checks, "_checks", list(checks._checks))
    return checks


@pytest.fixture
def received_events():
    """Every event sent through orders.signals.order_event_recorded during the test."""
    received = []

    def receiver(sender, event, **kwargs):
        received.append(event)

    order_event_recorded.connect(receiver, weak=False, dispatch_uid="test_services_received_events")
    yield received
    order_event_recorded.disconnect(dispatch_uid="test_services_received_events")


# --- ORD-01: offers and Kup teraz ---------------------------------------------------------


def test_ord_01_buy_now_creates_an_order_from_the_offer(offer, buyer, seller_account):
    order = buy(offer, buyer)

    assert order.pk is not None
    assert order.buyer == buyer
    assert order.seller_account == seller_account
    assert order.market_id == offer.market_id == "PL"
    assert order.format == Offer.Format.BUY_NOW
    assert order.service == Order.Service.ALLEGRO
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_ord_01_offer_and_order_currency_come_from_the_market(linked_seller_account, buyer):
    offer = OfferFactory(seller_account=linked_seller_account, price=Decimal("790.00"))

    order = buy(offer, buyer)

    assert offer.currency == "CZK"
    assert order.market_id == "CZ"
    assert order.currency == "CZK"


def test_ord_01_auction_cannot_be_bought_with_buy_now(seller_account, buyer):
    auction = OfferFactory(seller_account=seller_account, format=Offer.Format.AUCTION, stock=3)

    with pytest.raises(DomainError):
        buy(auction, buyer)

    assert not Order.objects.exists()
    assert stock_of(auction) == 3


def test_ord_01_create_auction_order_makes_an_auction_order_and_takes_stock(seller_account, buyer):
    auction = OfferFactory(seller_account=seller_account, format=Offer.Format.AUCTION, stock=3, price=Decimal("450"))

    order = services.create_auction_order(auction, buyer=buyer, payment_method=ONLINE, now=NOW)

    assert order.format == Offer.Format.AUCTION
    assert order.total_amount == Decimal("450.00")
    assert order.created_at == NOW
    assert order.payment_due_at == NOW + 7 * DAY
    assert stock_of(auction) == 2
    assert event_kinds(order) == [Kind.CREATED]


def test_ord_01_create_auction_order_refuses_a_sold_out_auction(seller_account, buyer):
    auction = OfferFactory(seller_account=seller_account, format=Offer.Format.AUCTION, stock=0)

    with pytest.raises(DomainError):
        services.create_auction_order(auction, buyer=buyer, payment_method=ONLINE, now=NOW)

    assert not Order.objects.exists()
    assert stock_of(auction) == 0


def test_ord_01_create_auction_order_refuses_a_buy_now_offer(offer, buyer):
    with pytest.raises(DomainError):
        services.create_auction_order(offer, buyer=buyer, payment_method=ONLINE, now=NOW)

    assert not Order.objects.exists()
    assert stock_of(offer) == 5


@pytest.mark.parametrize(
    ("quantity", "method"),
    [(0, ONLINE), (-1, ONLINE), (1, "CASH"), (1, None)],
)
def test_ord_01_create_auction_order_refuses_bad_input(seller_account, buyer, quantity, method):
    auction = OfferFactory(seller_account=seller_account, format=Offer.Format.AUCTION, stock=3)

    with pytest.raises(DomainError):
        services.create_auction_order(auction, buyer=buyer, quantity=quantity, payment_method=method, now=NOW)

    assert not Order.objects.exists()
    assert stock_of(auction) == 3


# --- ORD-02: what an order holds -----------------------------------------------------------


def test_ord_02_order_line_snapshots_title_unit_price_and_commission(seller_account, buyer):
    offer = OfferFactory(
        seller_account=seller_account,
        title="Słuchawki ANC",
        price=Decimal("123.45"),
        commission_rate=Decimal("0.0875"),
        stock=10,
    )

    order = buy(offer, buyer, quantity=3)
    Offer.objects.filter(pk=offer.pk).update(title="Renamed", price=Decimal("1.00"), commission_rate=Decimal("0.5"))

    line = OrderLine.objects.get(order=order)
    assert line.offer_id == offer.pk
    assert line.title == "Słuchawki ANC"
    assert line.unit_price == Decimal("123.45")
    assert line.quantity == 3
    # 123.45 × 0.0875 = 10.801875 → 10.80 per unit
    assert line.commission_per_unit == Decimal("10.80")
    assert line.total == Decimal("370.35")
    assert fresh(order).total_amount == Decimal("370.35")


def test_ord_02_order_records_purchase_instant_method_service_and_created_event(offer, buyer):
    order = buy(offer, buyer, quantity=2, method=TRANSFER, service=Order.Service.ALLEGRO_LOKALNIE)

    order = fresh(order)
    assert order.created_at == NOW
    assert order.payment_method == TRANSFER
    assert order.service == Order.Service.ALLEGRO_LOKALNIE
    assert order.paid_at is None and order.cancelled_at is None
    event = OrderEvent.objects.get(order=order)
    assert event.kind == Kind.CREATED
    assert event.occurred_at == NOW
    assert event.actor == buyer
    assert event.data == {"quantity": 2, "offer": offer.pk}


# --- ORD-03: refusals and stock ------------------------------------------------------------


def test_ord_03_inactive_offer_is_refused_and_no_order_created(offer, buyer):
    Offer.objects.filter(pk=offer.pk).update(is_active=False)
    offer.refresh_from_db()

    assert services.purchase_refusal(buyer=buyer, offer=offer, now=NOW)
    with pytest.raises(DomainError) as error:
        buy(offer, buyer)

    assert str(error.value.message)
    assert not Order.objects.exists()
    assert stock_of(offer) == 5


def test_ord_03_sold_out_offer_is_refused(seller_account, buyer):
    offer = OfferFactory(seller_account=seller_account, stock=0)

    assert services.purchase_refusal(buyer=buyer, offer=offer, now=NOW)
    with pytest.raises(DomainError):
        buy(offer, buyer)

    assert not Order.objects.exists()
    assert stock_of(offer) == 0


def test_ord_03_more_units_than_in_stock_are_refused(offer, buyer):
    with pytest.raises(DomainError) as error:
        buy(offer, buyer, quantity=6)

    assert error.value.field == "quantity"
    assert not Order.objects.exists()
    assert stock_of(offer) == 5


def test_ord_03_seller_cannot_buy_own_offer(offer, seller):
    assert services.purchase_refusal(buyer=seller, offer=offer, now=NOW)
    with pytest.raises(DomainError):
        buy(offer, seller)

    assert not Order.objects.exists()
    assert stock_of(offer) == 5


def test_ord_03_registered_purchase_check_refuses_with_its_message(purchase_checks, offer, buyer, other_buyer):
    calls = []

    def no_sales_to_buyer(*, buyer, offer, now):
        calls.append((buyer, offer, now))
        return "Ten kupujący jest na liście nieaktywnych." if buyer.username == "buyer" else None

    purchase_checks.register_purchase_check(no_sales_to_buyer)

    assert services.purchase_refusal(buyer=buyer, offer=offer, now=NOW) == "Ten kupujący jest na liście nieaktywnych."
    with pytest.raises(DomainError) as error:
        buy(offer, buyer)
    assert error.value.message == "Ten kupujący jest na liście nieaktywnych."
    assert not Order.objects.exists()
    assert stock_of(offer) == 5
    assert calls[-1] == (buyer, offer, NOW)

    # The same check lets another buyer through.
    assert buy(offer, other_buyer).buyer == other_buyer


def test_ord_03_registered_purchase_check_is_registered_once(purchase_checks):
    def check(*, buyer, offer, now):
        return None

    purchase_checks.register_purchase_check(check)
    purchase_checks.register_purchase_check(check)

    assert purchase_checks.registered_purchase_checks().count(check) == 1


def test_ord_03_own_checks_run_before_registered_ones(purchase_checks, offer, seller):
    called = []
    purchase_checks.register_purchase_check(lambda **kwargs: called.append(kwargs) or "registered")

    reason = services.purchase_refusal(buyer=seller, offer=offer, now=NOW)

    assert reason != "registered"
    assert called == []


def test_ord_03_buying_decrements_stock(offer, buyer, other_buyer):
    buy(offer, buyer, quantity=2)
    assert stock_of(offer) == 3

    buy(offer, other_buyer, quantity=3)
    assert stock_of(offer) == 0


def test_ord_03_last_unit_cannot_be_sold_twice_from_a_stale_offer(seller_account, buyer, other_buyer):
    offer = OfferFactory(seller_account=seller_account, stock=1)
    first_view = Offer.objects.get(pk=offer.pk)
    second_view = Offer.objects.get(pk=offer.pk)

    buy(first_view, buyer)
    # The second page still shows one unit; the conditional UPDATE refuses it.
    with pytest.raises(ConcurrentUpdate):
        buy(second_view, other_buyer)

    assert Order.objects.count() == 1
    assert stock_of(offer) == 0


def test_ord_03_offer_ended_meanwhile_is_not_sold_from_a_stale_offer(offer, buyer):
    stale = Offer.objects.get(pk=offer.pk)
    Offer.objects.filter(pk=offer.pk).update(is_active=False)

    with pytest.raises(DomainError):
        buy(stale, buyer)

    assert not Order.objects.exists()
    assert stock_of(offer) == 5


# --- ORD-04: payment deadline --------------------------------------------------------------


def test_ord_04_payment_due_7_days_for_online_payment(offer, buyer):
    order = buy(offer, buyer, method=ONLINE)

    assert fresh(order).payment_due_at == NOW + timedelta(days=7)


def test_ord_04_payment_due_14_days_for_traditional_transfer(offer, buyer):
    order = buy(offer, buyer, method=TRANSFER)

    assert fresh(order).payment_due_at == NOW + timedelta(days=14)


def test_ord_04_auction_paid_online_due_in_7_days_by_transfer_in_14(seller_account, buyer):
    auction = OfferFactory(seller_account=seller_account, format=Offer.Format.AUCTION, stock=2)

    online = services.create_auction_order(auction, buyer=buyer, payment_method=ONLINE, now=NOW)
    transfer = services.create_auction_order(auction, buyer=buyer, payment_method=TRANSFER, now=NOW)

    assert online.payment_due_at == NOW + timedelta(days=7)
    assert transfer.payment_due_at == NOW + timedelta(days=14)


@pytest.mark.parametrize(
    ("method", "offset", "overdue"),
    [
        (ONLINE, timedelta(days=7) - timedelta(microseconds=1), False),
        (ONLINE, timedelta(days=7), False),
        (ONLINE, timedelta(days=7) + timedelta(microseconds=1), True),
        (TRANSFER, timedelta(days=7, seconds=1), False),
        (TRANSFER, timedelta(days=14), False),
        (TRANSFER, timedelta(days=14, microseconds=1), True),
    ],
)
def test_ord_04_is_payment_overdue_boundaries(offer, buyer, method, offset, overdue):
    order = fresh(buy(offer, buyer, method=method))

    assert order.is_payment_overdue(NOW + offset) is overdue


def test_ord_04_paid_or_cancelled_order_is_never_overdue(offer, buyer):
    paid = services.pay_order(buy(offer, buyer), buyer=buyer, now=NOW + HOUR)
    cancelled = services.cancel_order(buy(offer, buyer), buyer=buyer, now=NOW + HOUR)
    late = NOW + timedelta(days=30)

    assert not fresh(paid).is_payment_overdue(late)
    assert not fresh(cancelled).is_payment_overdue(late)


# --- ORD-05: payment ----------------------------------------------------------------------


def test_ord_05_pay_order_marks_online_order_paid_with_a_payment_row(unpaid_order, buyer):
    services.pay_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    order = fresh(unpaid_order)
    assert order.status == Order.Status.PAID
    assert order.paid_at == NOW + HOUR
    payment = Payment.objects.get(order=order)
    assert payment.amount == Decimal("200.00")
    assert payment.method == ONLINE
    assert payment.paid_at == NOW + HOUR
    assert payment.recorded_by == buyer
    assert event_kinds(order) == [Kind.CREATED, Kind.PAID]


def test_ord_05_pay_order_refuses_a_traditional_transfer_order(offer, buyer):
    order = buy(offer, buyer, method=TRANSFER)

    with pytest.raises(DomainError):
        services.pay_order(order, buyer=buyer, now=NOW + HOUR)

    assert fresh(order).status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()


def test_ord_05_paying_twice_is_refused(unpaid_order, buyer):
    stale = fresh(unpaid_order)
    services.pay_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    with pytest.raises(DomainError):
        services.pay_order(unpaid_order, buyer=buyer, now=NOW + 2 * HOUR)
    # A second tab that still shows "awaiting payment" is refused by the compare-and-set.
    with pytest.raises(ConcurrentUpdate):
        services.pay_order(stale, buyer=buyer, now=NOW + 2 * HOUR)

    assert Payment.objects.filter(order=unpaid_order).count() == 1
    assert fresh(unpaid_order).paid_at == NOW + HOUR
    assert event_kinds(unpaid_order) == [Kind.CREATED, Kind.PAID]


def test_ord_05_seller_marks_traditional_transfer_received(offer, buyer, seller):
    order = buy(offer, buyer, quantity=3, method=TRANSFER)

    services.mark_transfer_received(order, seller=seller, now=NOW + 2 * DAY)

    order = fresh(order)
    assert order.status == Order.Status.PAID
    assert order.paid_at == NOW + 2 * DAY
    payment = Payment.objects.get(order=order)
    assert (payment.amount, payment.method, payment.recorded_by) == (Decimal("300.00"), TRANSFER, seller)
    assert event_kinds(order) == [Kind.CREATED, Kind.TRANSFER_RECEIVED]


def test_ord_05_mark_transfer_received_refuses_an_online_order(unpaid_order, seller):
    with pytest.raises(DomainError):
        services.mark_transfer_received(unpaid_order, seller=seller, now=NOW + HOUR)

    assert fresh(unpaid_order).status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()


def test_ord_05_transfer_received_twice_is_refused(offer, buyer, seller):
    order = buy(offer, buyer, method=TRANSFER)
    services.mark_transfer_received(order, seller=seller, now=NOW + DAY)

    with pytest.raises(DomainError):
        services.mark_transfer_received(order, seller=seller, now=NOW + 2 * DAY)

    assert Payment.objects.filter(order=order).count() == 1


def test_ord_05_cancelled_order_cannot_be_paid(unpaid_order, buyer):
    stale = fresh(unpaid_order)
    services.cancel_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    with pytest.raises(DomainError):
        services.pay_order(unpaid_order, buyer=buyer, now=NOW + 2 * HOUR)
    with pytest.raises(DomainError):
        services.pay_order(stale, buyer=buyer, now=NOW + 2 * HOUR)

    assert fresh(unpaid_order).status == Order.Status.CANCELLED
    assert not Payment.objects.exists()


# --- ORD-06: shipment ---------------------------------------------------------------------


def test_ord_06_enter_tracking_normalises_the_number_and_records_an_event(paid_order, seller):
    shipment = services.enter_tracking(
        paid_order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="  dpd 1234-abc\t9 ", now=NOW + DAY
    )

    shipment = Shipment.objects.get(pk=shipment.pk)
    assert shipment.order_id == paid_order.pk
    assert shipment.carrier == Shipment.Carrier.DPD
    assert shipment.tracking_number == "DPD1234-ABC9"
    assert shipment.tracking_entered_at == NOW + DAY
    assert shipment.handed_over_at is None and shipment.delivered_at is None
    event = OrderEvent.objects.get(order=paid_order, kind=Kind.TRACKING_ENTERED)
    assert (event.occurred_at, event.actor) == (NOW + DAY, seller)
    assert event.data == {"carrier": "DPD", "tracking": "DPD1234-ABC9"}


@pytest.mark.parametrize(
    "tracking_number",
    [
        "<script>alert(1)</script>",
        "INP<b>12345</b>",
        '"><img src=x>',
        "12345",
        "A" * 41,
        "",
        None,
        "INP_123456",
        "-INP123456",
        "ŻÓŁW123456",
        "INP123456;DROP",
    ],
)
def test_ord_06_tracking_number_with_markup_or_bad_characters_is_refused(paid_order, seller, tracking_number):
    with pytest.raises(DomainError) as error:
        services.enter_tracking(
            paid_order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number=tracking_number, now=NOW
        )

    assert error.value.field == "tracking_number"
    assert not Shipment.objects.exists()
    assert event_kinds(paid_order) == [Kind.CREATED, Kind.PAID]


@pytest.mark.parametrize("carrier", ["UPS", "", None, "inpost"])
def test_ord_06_unknown_carrier_is_refused(paid_order, seller, carrier):
    with pytest.raises(DomainError) as error:
        services.enter_tracking(paid_order, seller=seller, carrier=carrier, tracking_number="INP123456", now=NOW)

    assert error.value.field == "carrier"
    assert not Shipment.objects.exists()


def test_ord_06_tracking_can_be_corrected_until_delivery_and_each_entry_is_an_event(shipped_order, seller):
    services.mark_handed_over(shipped_order, seller=seller, now=NOW + DAY + HOUR)
    services.enter_tracking(
        shipped_order, seller=seller, carrier=Shipment.Carrier.DHL, tracking_number="DHL-777888", now=NOW + 2 * DAY
    )

    shipment = Shipment.objects.get(order=shipped_order)
    assert (shipment.carrier, shipment.tracking_number) == (Shipment.Carrier.DHL, "DHL-777888")
    assert shipment.tracking_entered_at == NOW + 2 * DAY
    assert shipment.handed_over_at == NOW + DAY + HOUR
    assert Shipment.objects.count() == 1
    entries = OrderEvent.objects.filter(order=shipped_order, kind=Kind.TRACKING_ENTERED).order_by("occurred_at")
    assert [(e.data["carrier"], e.data["tracking"], e.occurred_at) for e in entries] == [
        ("INPOST", "INP-000111", NOW + DAY),
        ("DHL", "DHL-777888", NOW + 2 * DAY),
    ]


def test_ord_06_tracking_cannot_change_after_delivery(shipped_order, seller):
    shipment = Shipment.objects.get(order=shipped_order)
    services.record_delivery(shipment, delivered_at=NOW + 3 * DAY, now=NOW + 3 * DAY)

    with pytest.raises(DomainError):
        services.enter_tracking(
            shipped_order, seller=seller, carrier=Shipment.Carrier.DHL, tracking_number="DHL-777888", now=NOW + 4 * DAY
        )

    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == (Shipment.Carrier.INPOST, "INP-000111")
    assert OrderEvent.objects.filter(order=shipped_order, kind=Kind.TRACKING_ENTERED).count() == 1


def test_ord_06_cancelled_order_gets_no_tracking(unpaid_order, buyer, seller):
    services.cancel_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    with pytest.raises(DomainError):
        services.enter_tracking(
            unpaid_order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="INP123456", now=NOW + DAY
        )

    assert not Shipment.objects.exists()


def test_ord_06_mark_handed_over_records_the_instant_and_an_event(shipped_order, seller):
    services.mark_handed_over(shipped_order, seller=seller, now=NOW + DAY + HOUR)

    assert Shipment.objects.get(order=shipped_order).handed_over_at == NOW + DAY + HOUR
    event = OrderEvent.objects.get(order=shipped_order, kind=Kind.HANDED_OVER)
    assert (event.occurred_at, event.actor) == (NOW + DAY + HOUR, seller)


def test_ord_06_mark_handed_over_needs_a_tracking_number_first(paid_order, seller):
    with pytest.raises(DomainError):
        services.mark_handed_over(paid_order, seller=seller, now=NOW + DAY)

    assert not Shipment.objects.exists()
    assert not OrderEvent.objects.filter(kind=Kind.HANDED_OVER).exists()


def test_ord_06_mark_handed_over_twice_is_refused(shipped_order, seller):
    services.mark_handed_over(shipped_order, seller=seller, now=NOW + DAY + HOUR)

    with pytest.raises(DomainError):
        services.mark_handed_over(shipped_order, seller=seller, now=NOW + 2 * DAY)

    assert Shipment.objects.get(order=shipped_order).handed_over_at == NOW + DAY + HOUR
    assert OrderEvent.objects.filter(order=shipped_order, kind=Kind.HANDED_OVER).count() == 1


def test_ord_06_record_delivery_is_idempotent(shipped_order, seller):
    services.mark_handed_over(shipped_order, seller=seller, now=NOW + DAY + HOUR)
    shipment = Shipment.objects.get(order=shipped_order)
    stale = Shipment.objects.get(order=shipped_order)

    assert services.record_delivery(shipment, delivered_at=NOW + 3 * DAY, now=NOW + 3 * DAY) is True
    assert services.record_delivery(shipment, delivered_at=NOW + 3 * DAY, now=NOW + 4 * DAY) is False
    assert services.record_delivery(stale, delivered_at=NOW + 5 * DAY, now=NOW + 5 * DAY) is False

    shipment.refresh_from_db()
    assert shipment.delivered_at == NOW + 3 * DAY
    assert shipment.handed_over_at == NOW + DAY + HOUR
    events = OrderEvent.objects.filter(order=shipped_order, kind=Kind.DELIVERED)
    assert [(e.occurred_at, e.actor) for e in events] == [(NOW + 3 * DAY, None)]


def test_ord_06_delivery_implies_the_parcel_was_handed_over(shipped_order):
    shipment = Shipment.objects.get(order=shipped_order)

    services.record_delivery(shipment, delivered_at=NOW + 3 * DAY, now=NOW + 3 * DAY)

    shipment.refresh_from_db()
    assert shipment.handed_over_at == NOW + 3 * DAY


def test_ord_06_delivery_reported_in_the_future_is_recorded_at_now(shipped_order):
    shipment = Shipment.objects.get(order=shipped_order)

    services.record_delivery(shipment, delivered_at=NOW + 9 * DAY, now=NOW + 3 * DAY)

    shipment.refresh_from_db()
    assert shipment.delivered_at == NOW + 3 * DAY
    assert OrderEvent.objects.get(order=shipped_order, kind=Kind.DELIVERED).occurred_at == NOW + 3 * DAY


# --- ORD-07: refunds ----------------------------------------------------------------------


def test_ord_07_full_refund_returns_the_order_amount_and_every_unit(paid_order, seller):
    refund = services.refund_order(paid_order, seller=seller, full=True, now=NOW + 2 * DAY)

    refund = Refund.objects.get(pk=refund.pk)
    assert refund.amount == Decimal("200.00")
    assert refund.is_full is True
    assert (refund.created_at, refund.created_by) == (NOW + 2 * DAY, seller)
    line = paid_order.lines.get()
    assert list(refund.lines.values_list("line_id", "quantity", "amount")) == [(line.pk, 2, Decimal("200.00"))]
    assert fresh(paid_order).refundable_amount() == Decimal("0.00")


def test_ord_07_line_refund_returns_the_chosen_units(paid_order, seller):
    line = paid_order.lines.get()

    refund = services.refund_order(paid_order, seller=seller, lines={line.pk: 1}, now=NOW + 2 * DAY)

    assert refund.amount == Decimal("100.00")
    assert refund.is_full is False
    assert list(refund.lines.values_list("line_id", "quantity", "amount")) == [(line.pk, 1, Decimal("100.00"))]
    assert fresh(paid_order).refundable_amount() == Decimal("100.00")


def test_ord_07_line_refund_is_limited_to_units_not_yet_refunded(paid_order, seller):
    line = paid_order.lines.get()
    services.refund_order(paid_order, seller=seller, lines={line.pk: 1}, now=NOW + 2 * DAY)

    with pytest.raises(DomainError) as error:
        services.refund_order(paid_order, seller=seller, lines={line.pk: 2}, now=NOW + 3 * DAY)
    assert error.value.field == "lines"
    assert Refund.objects.count() == 1

    services.refund_order(paid_order, seller=seller, lines={str(line.pk): 1}, now=NOW + 3 * DAY)
    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, lines={line.pk: 1}, now=NOW + 4 * DAY)

    assert RefundLine.objects.filter(line=line).count() == 2
    assert fresh(paid_order).refunded_total() == Decimal("200.00")


def test_ord_07_line_refund_over_several_lines(offer, buyer, seller, seller_account):
    other_offer = OfferFactory(seller_account=seller_account, price=Decimal("30.00"), title="Cable")
    order = buy(offer, buyer, quantity=1)
    second = OrderLine.objects.create(
        order=order,
        offer=other_offer,
        title="Cable",
        unit_price=Decimal("30.00"),
        quantity=3,
        commission_per_unit=Decimal("3.00"),
    )
    Order.objects.filter(pk=order.pk).update(total_amount=Decimal("190.00"))
    order = services.pay_order(fresh(order), buyer=buyer, now=NOW + HOUR)
    first = order.lines.get(offer=offer)

    refund = services.refund_order(order, seller=seller, lines={first.pk: 1, second.pk: 2}, now=NOW + DAY)

    assert refund.amount == Decimal("160.00")
    assert sorted(refund.lines.values_list("line_id", "quantity", "amount")) == sorted(
        [(first.pk, 1, Decimal("100.00")), (second.pk, 2, Decimal("60.00"))]
    )
    assert fresh(order).refundable_amount() == Decimal("30.00")


def test_ord_07_amount_refund(paid_order, seller):
    refund = services.refund_order(paid_order, seller=seller, amount="12.34", now=NOW + 2 * DAY)

    assert Refund.objects.get(pk=refund.pk).amount == Decimal("12.34")
    assert not refund.lines.exists()
    assert refund.is_full is False


def test_ord_07_refund_never_exceeds_paid_minus_refunded(paid_order, seller):
    services.refund_order(paid_order, seller=seller, amount=Decimal("150.00"), now=NOW + DAY)

    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, amount=Decimal("50.01"), now=NOW + 2 * DAY)
    line = paid_order.lines.get()
    # One unit is 100.00 but only 50.00 is left to refund.
    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, lines={line.pk: 1}, now=NOW + 2 * DAY)
    services.refund_order(paid_order, seller=seller, amount=Decimal("50.00"), now=NOW + 3 * DAY)
    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, amount=Decimal("0.01"), now=NOW + 4 * DAY)

    assert list(Refund.objects.order_by("pk").values_list("amount", flat=True)) == [
        Decimal("150.00"),
        Decimal("50.00"),
    ]
    assert fresh(paid_order).refundable_amount() == Decimal("0.00")


def test_ord_07_refund_above_the_order_amount_is_refused(paid_order, seller):
    with pytest.raises(DomainError) as error:
        services.refund_order(paid_order, seller=seller, amount="200.01", now=NOW + DAY)

    assert error.value.field == "amount"
    assert not Refund.objects.exists()


def test_ord_07_full_refund_after_a_partial_one_is_refused(paid_order, seller):
    services.refund_order(paid_order, seller=seller, amount="10.00", now=NOW + DAY)

    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, full=True, now=NOW + 2 * DAY)

    assert Refund.objects.count() == 1


def test_ord_07_amount_equal_to_the_order_amount_counts_as_full(paid_order, seller):
    refund = services.refund_order(paid_order, seller=seller, amount="200", now=NOW + DAY)

    assert refund.is_full is True
    assert OrderEvent.objects.get(kind=Kind.REFUNDED).data["full"] is True


def test_ord_07_unpaid_or_cancelled_order_cannot_be_refunded(offer, buyer, seller):
    unpaid = buy(offer, buyer)
    cancelled = services.cancel_order(buy(offer, buyer), buyer=buyer, now=NOW + HOUR)

    for order in (unpaid, cancelled):
        with pytest.raises(DomainError):
            services.refund_order(order, seller=seller, full=True, now=NOW + DAY)
        with pytest.raises(DomainError):
            services.refund_order(order, seller=seller, amount="1.00", now=NOW + DAY)

    assert not Refund.objects.exists()
    assert not OrderEvent.objects.filter(kind=Kind.REFUNDED).exists()


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"full": True, "amount": "1.00"}, {"lines": {}, "full": False}, {"full": True, "lines": {1: 1}}],
)
def test_ord_07_exactly_one_kind_of_refund_must_be_chosen(paid_order, seller, kwargs):
    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, now=NOW + DAY, **kwargs)

    assert not Refund.objects.exists()


def test_ord_07_refunds_are_kept_as_rows_and_events(paid_order, seller):
    line = paid_order.lines.get()
    first = services.refund_order(paid_order, seller=seller, lines={line.pk: 1}, now=NOW + DAY)
    second = services.refund_order(paid_order, seller=seller, amount="25.50", now=NOW + 2 * DAY)

    assert list(Refund.objects.filter(order=paid_order).order_by("created_at")) == [first, second]
    events = OrderEvent.objects.filter(order=paid_order, kind=Kind.REFUNDED).order_by("occurred_at")
    assert [(e.occurred_at, e.actor, e.data) for e in events] == [
        (NOW + DAY, seller, {"amount": "100.00", "full": False, "lines": {str(line.pk): 1}}),
        (NOW + 2 * DAY, seller, {"amount": "25.50", "full": False, "lines": {}}),
    ]
    order = fresh(paid_order)
    assert order.refunded_total() == Decimal("125.50")
    assert order.refundable_amount() == Decimal("74.50")
    # Refunds never change the payment state.
    assert order.status == Order.Status.PAID


def test_ord_07_line_of_another_order_is_refused(paid_order, seller, offer, other_buyer):
    foreign_line = buy(offer, other_buyer).lines.get()

    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, lines={foreign_line.pk: 1}, now=NOW + DAY)

    assert not Refund.objects.exists()


# --- ORD-08: buyer cancellation -----------------------------------------------------------


def test_ord_08_buyer_cancels_unpaid_order_stock_restored_and_event_recorded(offer, unpaid_order, buyer):
    assert stock_of(offer) == 3

    services.cancel_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    order = fresh(unpaid_order)
    assert order.status == Order.Status.CANCELLED
    assert order.cancelled_at == NOW + HOUR
    assert stock_of(offer) == 5
    event = OrderEvent.objects.get(order=order, kind=Kind.CANCELLED)
    assert (event.occurred_at, event.actor) == (NOW + HOUR, buyer)


def test_ord_08_paid_order_cannot_be_cancelled(offer, paid_order, buyer):
    with pytest.raises(DomainError):
        services.cancel_order(paid_order, buyer=buyer, now=NOW + DAY)

    assert fresh(paid_order).status == Order.Status.PAID
    assert stock_of(offer) == 3
    assert not OrderEvent.objects.filter(kind=Kind.CANCELLED).exists()


def test_ord_08_cancelling_twice_restores_stock_once(offer, unpaid_order, buyer):
    stale = fresh(unpaid_order)
    services.cancel_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    with pytest.raises(DomainError):
        services.cancel_order(unpaid_order, buyer=buyer, now=NOW + 2 * HOUR)
    with pytest.raises(ConcurrentUpdate):
        services.cancel_order(stale, buyer=buyer, now=NOW + 2 * HOUR)

    assert stock_of(offer) == 5
    assert OrderEvent.objects.filter(kind=Kind.CANCELLED).count() == 1


def test_ord_08_order_paid_meanwhile_cannot_be_cancelled(offer, unpaid_order, buyer):
    stale = fresh(unpaid_order)
    services.pay_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    with pytest.raises(ConcurrentUpdate):
        services.cancel_order(stale, buyer=buyer, now=NOW + 2 * HOUR)

    assert fresh(unpaid_order).status == Order.Status.PAID
    assert stock_of(offer) == 3


# --- ORD-09: what the buyer's and the seller's lists are built from ------------------------


def test_ord_09_order_belongs_to_its_buyer_and_seller_account_only(
    offer, buyer, other_buyer, seller_account, other_seller_account
):
    order = buy(offer, buyer)
    other_offer = OfferFactory(seller_account=other_seller_account)
    other_order = buy(other_offer, other_buyer)

    assert list(buyer.purchases.all()) == [order]
    assert list(other_buyer.purchases.all()) == [other_order]
    assert list(seller_account.orders.all()) == [order]
    assert list(other_seller_account.orders.all()) == [other_order]


def test_ord_09_unpaid_and_overdue_predicates_follow_the_payment_state(offer, buyer):
    order = fresh(buy(offer, buyer))
    assert order.is_unpaid and not order.is_paid and not order.is_cancelled

    services.pay_order(order, buyer=buyer, now=NOW + HOUR)
    order = fresh(order)
    assert order.is_paid and not order.is_unpaid
    assert not order.is_payment_overdue(NOW + 30 * DAY)


# --- Bad input: a clear DomainError and nothing changed -----------------------------------


@pytest.mark.parametrize("quantity", [0, -1, -100, 101, 10**12, "2", 1.0, 1.5, None, True])
def test_ord_03_bad_quantity_is_refused_and_nothing_changes(offer, buyer, quantity):
    with pytest.raises(DomainError) as error:
        buy(offer, buyer, quantity=quantity)

    assert error.value.field == "quantity"
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()
    assert stock_of(offer) == 5


@pytest.mark.parametrize("method", ["BITCOIN", "", None, "online", "CASH_ON_DELIVERY"])
def test_ord_02_bad_payment_method_is_refused_and_nothing_changes(offer, buyer, method):
    with pytest.raises(DomainError) as error:
        buy(offer, buyer, method=method)

    assert error.value.field == "payment_method"
    assert not Order.objects.exists()
    assert stock_of(offer) == 5


@pytest.mark.parametrize(
    "amount",
    [0, "0", "0.00", "0.001", -5, "-5", Decimal("-0.01"), "abc", "", "1,50", "NaN", "sNaN", "Infinity", "1e400", []],
)
def test_ord_07_bad_refund_amount_is_refused_and_nothing_changes(paid_order, seller, amount):
    events_before = OrderEvent.objects.count()

    with pytest.raises(DomainError) as error:
        services.refund_order(paid_order, seller=seller, amount=amount, now=NOW + DAY)

    assert error.value.field == "amount"
    assert not Refund.objects.exists()
    assert OrderEvent.objects.count() == events_before
    assert fresh(paid_order).refundable_amount() == Decimal("200.00")


@pytest.mark.parametrize(
    "quantities",
    [
        lambda line: {line.pk: 0},
        lambda line: {line.pk: -1},
        lambda line: {line.pk: 3},
        lambda line: {line.pk: 10**9},
        lambda line: {line.pk: "1"},
        lambda line: {line.pk: 1.5},
        lambda line: {line.pk: True},
        lambda line: {line.pk + 10_000: 1},
        lambda line: {"abc": 1},
    ],
    ids=["zero", "negative", "more-than-bought", "huge", "string", "float", "bool", "unknown-line", "non-numeric-id"],
)
def test_ord_07_bad_refund_lines_are_refused_and_nothing_changes(paid_order, seller, quantities):
    line = paid_order.lines.get()

    with pytest.raises(DomainError):
        services.refund_order(paid_order, seller=seller, lines=quantities(line), now=NOW + DAY)

    assert not Refund.objects.exists()
    assert not RefundLine.objects.exists()
    assert not OrderEvent.objects.filter(kind=Kind.REFUNDED).exists()


# --- Events reach other apps inside the transaction ---------------------------------------


def test_order_event_recorded_is_sent_for_every_event(offer, buyer, seller, received_events):
    order = buy(offer, buyer, quantity=2)
    services.pay_order(order, buyer=buyer, now=NOW + HOUR)
    services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="INP123456", now=NOW + DAY
    )
    services.mark_handed_over(order, seller=seller, now=NOW + DAY + HOUR)
    services.record_delivery(order.shipment, delivered_at=NOW + 2 * DAY, now=NOW + 2 * DAY)
    services.record_delivery(order.shipment, delivered_at=NOW + 2 * DAY, now=NOW + 3 * DAY)
    services.refund_order(order, seller=seller, amount="10", now=NOW + 3 * DAY)
    transfer = buy(offer, buyer, method=TRANSFER, now=NOW + 4 * DAY)
    services.mark_transfer_received(transfer, seller=seller, now=NOW + 5 * DAY)
    cancelled = buy(offer, buyer, now=NOW + 6 * DAY)
    services.cancel_order(cancelled, buyer=buyer, now=NOW + 6 * DAY)

    assert [(e.order_id, e.kind) for e in received_events] == [
        (order.pk, Kind.CREATED),
        (order.pk, Kind.PAID),
        (order.pk, Kind.TRACKING_ENTERED),
        (order.pk, Kind.HANDED_OVER),
        (order.pk, Kind.DELIVERED),
        (order.pk, Kind.REFUNDED),
        (transfer.pk, Kind.CREATED),
        (transfer.pk, Kind.TRANSFER_RECEIVED),
        (cancelled.pk, Kind.CREATED),
        (cancelled.pk, Kind.CANCELLED),
    ]
    # Each signal carries the stored row, not a copy.
    assert [e.pk for e in received_events] == list(OrderEvent.objects.order_by("pk").values_list("pk", flat=True))


def test_order_event_recorded_receiver_sees_the_transition_written(offer, buyer):
    seen = []

    def receiver(sender, event, **kwargs):
        seen.append((Order.objects.get(pk=event.order_id).status, stock_of(offer)))

    order_event_recorded.connect(receiver, weak=False, dispatch_uid="test_sees_transition")
    try:
        order = buy(offer, buyer)
        services.pay_order(order, buyer=buyer, now=NOW + HOUR)
    finally:
        order_event_recorded.disconnect(dispatch_uid="test_sees_transition")

    assert seen == [(Order.Status.AWAITING_PAYMENT, 4), (Order.Status.PAID, 4)]


class ReceiverFailed(Exception):
    pass


@pytest.fixture
def failing_receiver():
    """A receiver that fails on the given event kinds, as a broken other app would."""
    kinds = set()

    def receiver(sender, event, **kwargs):
        if event.kind in kinds:
            raise ReceiverFailed(event.kind)

    order_event_recorded.connect(receiver, weak=False, dispatch_uid="test_services_failing_receiver")
    yield kinds
    order_event_recorded.disconnect(dispatch_uid="test_services_failing_receiver")


def test_order_event_recorded_is_sent_inside_the_purchase_transaction(offer, buyer, failing_receiver):
    failing_receiver.add(Kind.CREATED)

    with pytest.raises(ReceiverFailed):
        buy(offer, buyer)

    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not OrderEvent.objects.exists()
    assert stock_of(offer) == 5


def test_order_event_recorded_is_sent_inside_the_payment_transaction(unpaid_order, buyer, failing_receiver):
    failing_receiver.add(Kind.PAID)

    with pytest.raises(ReceiverFailed):
        services.pay_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    assert fresh(unpaid_order).status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()
    assert event_kinds(unpaid_order) == [Kind.CREATED]


def test_order_event_recorded_is_sent_inside_the_refund_transaction(paid_order, seller, failing_receiver):
    failing_receiver.add(Kind.REFUNDED)

    with pytest.raises(ReceiverFailed):
        services.refund_order(paid_order, seller=seller, full=True, now=NOW + DAY)

    assert not Refund.objects.exists()
    assert not RefundLine.objects.exists()


def test_order_event_recorded_is_sent_inside_the_cancellation_transaction(offer, unpaid_order, buyer, failing_receiver):
    failing_receiver.add(Kind.CANCELLED)

    with pytest.raises(ReceiverFailed):
        services.cancel_order(unpaid_order, buyer=buyer, now=NOW + HOUR)

    assert fresh(unpaid_order).status == Order.Status.AWAITING_PAYMENT
    assert stock_of(offer) == 3


def test_order_event_recorded_is_sent_inside_the_shipment_transactions(shipped_order, seller, failing_receiver):
    failing_receiver.update({Kind.TRACKING_ENTERED, Kind.HANDED_OVER, Kind.DELIVERED})
    shipment = Shipment.objects.get(order=shipped_order)

    with pytest.raises(ReceiverFailed):
        services.enter_tracking(
            shipped_order, seller=seller, carrier=Shipment.Carrier.DHL, tracking_number="DHL123456", now=NOW + 2 * DAY
        )
    with pytest.raises(ReceiverFailed):
        services.mark_handed_over(shipped_order, seller=seller, now=NOW + 2 * DAY)
    with pytest.raises(ReceiverFailed):
        services.record_delivery(shipment, delivered_at=NOW + 3 * DAY, now=NOW + 3 * DAY)

    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == (Shipment.Carrier.INPOST, "INP-000111")
    assert shipment.handed_over_at is None
    assert shipment.delivered_at is None
