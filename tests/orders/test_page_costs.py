"""What the order pages cost in Python (issue 13): the function calls of one request,
counted by cProfile, stay under a bound set from a measurement, and a page of 20 rows
costs little more than a page of 5, so per-row work (an include, a custom tag, a URL
reversed or a query per row) fails here before it shows in the benchmark.

The first request of each page warms what is kept per process (badges, unbound forms'
fields) and the cached counts; the second is measured. Bounds are about 1.3 times the
calls measured on SQLite and PostgreSQL (the larger), header included.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from buyers.models import BlockReason, InactiveBuyer
from core.templatetags.ui import iso_local, market_date, market_time, money
from discussions import services as discussion_services
from discussions.models import Reason
from orders import commission, presenters, services
from orders.models import CommissionRefund, Shipment
from tests.costs import request_cost
from tests.factories import OfferFactory, OrderFactory, SellerAccountFactory, UserFactory, market

DAY = timedelta(days=1)
FEW, MANY = 5, 25
SHOWN = 20  # a page of the lists
PER_ROW = 150  # calls a row may add


def calls(client, url):
    """Python function calls of one GET of `url`, after a first one."""
    return request_cost(client, url)[0]


def shaped_orders(offer, buyers, count, *, seller):
    """`count` orders of `offer` in the states the order pages tell apart: unpaid,
    overdue, paid with a Discussion, with a parcel on its way, cancelled, past the 45
    days of a commission refund, with a granted commission refund."""
    now = timezone.now()
    orders = []
    for index in range(count):
        buyer = buyers[index % len(buyers)]
        state = index % 6
        ago = 60 * DAY if state == 5 else (8 * DAY if state == 1 else DAY)
        order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method="ONLINE", now=now - ago)
        if state in (2, 3):
            services.pay_order(order, buyer=buyer, now=now - ago + timedelta(hours=1))
            discussion_services.open_discussion(
                order, buyer=buyer, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED, text="Where is it?"
            )
        if state == 3:
            services.enter_tracking(order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number=f"D{index:05d}")
        if state == 4:
            # The cancellation files a commission refund application by itself (REB-08).
            services.cancel_order(order, buyer=buyer, now=now - ago + timedelta(hours=1))
        orders.append(order)
    return orders


@pytest.fixture
def shop(seller_account, seller):
    offer = OfferFactory(seller_account=seller_account, title="Cable", price=Decimal("19.99"), stock=10_000)
    buyers = [UserFactory(username=f"cost_buyer_{i}") for i in range(3)]
    return offer, buyers


def grown(client, url, add, *, bound):
    """Calls of `url` with FEW rows and with MANY (a page of SHOWN), `add(count)` adding
    rows; checks the bound and the cost of a row."""
    add(FEW)
    few = calls(client, url)
    add(MANY - FEW)
    many = calls(client, url)
    assert many < bound, f"{many} calls"
    assert many - few < (SHOWN - FEW) * PER_ROW, f"{few} calls with {FEW} rows, {many} with {SHOWN}"
    return many


# --- Zamówienia and Moje zakupy ----------------------------------------------------------------


@pytest.mark.parametrize("show", ["", "to_ship", "with_discussion"])
def test_issue_13_seller_orders_cost_does_not_grow_with_rows(client, seller, shop, show):
    offer, buyers = shop
    client.force_login(seller)
    url = f"{reverse('orders:seller_order_list')}?show={show}"

    def add(count):
        shaped_orders(offer, buyers, count * (3 if show else 1), seller=seller)

    grown(client, url, add, bound=22_500)


def test_issue_13_purchases_cost_does_not_grow_with_rows(client, seller, shop):
    offer, buyers = shop
    client.force_login(buyers[0])

    def add(count):
        shaped_orders(offer, [buyers[0]], count, seller=seller)

    grown(client, reverse("orders:purchase_list"), add, bound=14_500)


# --- One order's page --------------------------------------------------------------------------


def test_issue_13_order_pages_cost(client, seller, shop):
    offer, buyers = shop
    order = shaped_orders(offer, buyers, 4, seller=seller)[3]  # paid, a Discussion, a parcel
    client.force_login(order.buyer)
    assert calls(client, reverse("orders:purchase_detail", args=[order.pk])) < 15_000
    client.force_login(seller)
    assert calls(client, reverse("orders:seller_order_detail", args=[order.pk])) < 19_000


# --- Commission refunds and inactive buyers ---------------------------------------------------


def test_issue_13_commission_refunds_cost_does_not_grow_with_rows(client, seller, shop):
    offer, buyers = shop
    client.force_login(seller)
    now = timezone.now()

    def add(count):
        for index in range(count):
            order = services.buy_offer(
                offer, buyer=buyers[index % 3], quantity=1, payment_method="ONLINE", now=now - 10 * DAY
            )
            reason = CommissionRefund.Reason.NOT_PAID if index % 2 else CommissionRefund.Reason.NO_CONTACT
            commission.apply(order, seller=seller, reason=reason, quantities={order.lines.get().pk: 1}, now=now)

    grown(client, reverse("orders:commission_refund_list"), add, bound=19_500)


def test_issue_13_inactive_buyers_tab_cost_does_not_grow_with_rows(client, seller, seller_account, shop):
    offer, _buyers = shop
    client.force_login(seller)
    now = timezone.now()

    def add(count):
        for _index in range(count):
            buyer = UserFactory()
            order = OrderFactory(offer=offer, buyer=buyer, created_at=now - 3 * DAY)
            entry = InactiveBuyer.objects.create(
                seller_account=seller_account,
                buyer=buyer,
                reason=BlockReason.FALSE_DATA,
                note="Gave a false address\ntwice",
                added_by=seller,
                added_at=now - DAY,
                expires_at=now + 179 * DAY,
            )
            entry.orders.add(order)

    grown(client, reverse("buyers:tab"), add, bound=20_000)


# --- Browsing -------------------------------------------------------------------------------


def test_issue_13_offer_list_cost_does_not_grow_with_rows(client, buyer):
    client.force_login(buyer)

    def add(count):
        for index in range(count):
            account = SellerAccountFactory(market=market("PL"))
            OfferFactory(seller_account=account, stock=index % 3)

    grown(client, reverse("orders:offer_list"), add, bound=14_700)


def test_issue_13_home_cost(client, buyer):
    for index in range(8):
        OfferFactory(seller_account=SellerAccountFactory(market=market("PL")), stock=index + 1)
    client.force_login(buyer)
    assert calls(client, reverse("home")) < 16_500


# --- The presenters write what the template filters wrote ------------------------------------


@pytest.mark.parametrize("language", ["pl", "en", "cs", "sk", "hu"])
def test_issue_13_presenters_format_as_the_template_filters(db, language):
    """orders.presenters.Formats formats dates with patterns compiled from the language's
    formats and escapes with one str.translate: the same text as core.templatetags.ui and
    django.utils.html.escape."""
    instants = [
        datetime(2026, 1, 5, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # the night the clocks go forward
        datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 5, 9, tzinfo=UTC),
    ]
    amounts = [Decimal("0.50"), Decimal("7"), Decimal("1234.50"), Decimal("1000000.00"), "19.99"]
    with translation.override(language):
        formats = presenters.Formats()
        for code in ("PL", "CZ", "SK", "HU"):
            place = market(code)
            for value in instants:
                assert formats.time(value, place.time_zone) == market_time(value, place)
                assert formats.date(value, place.time_zone) == market_date(value, place)
                assert formats.iso(value, place.time_zone) == iso_local(value, place)
            for amount in amounts:
                assert formats.money(amount, place.currency) == escape(money(amount, place.currency))
    text = "<b class='x'>Tom & \"Jerry\"</b>"
    assert text.translate(presenters.HTML_ESCAPES) == escape(text)
