"""`manage.py seed_demo`: demo data for every role, market and order state, idempotent."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from core.mediators import MEDIATORS_GROUP
from orders.models import (
    LinkedAccountGroup,
    Market,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    SellerAccount,
    Shipment,
    SimulatedParcel,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SEEDED_MODELS = [
    get_user_model(),
    LinkedAccountGroup,
    SellerAccount,
    Offer,
    Order,
    OrderLine,
    OrderEvent,
    Payment,
    Refund,
    Shipment,
    SimulatedParcel,
]


def seed(at=NOW):
    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """The demo data, loaded once for the tests of this module that only read it (seeding
    takes seconds): inside a transaction rolled back after the module's last test, with
    each test in its own savepoint, as Django's setUpTestData does."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    return None


def test_seed_demo_run_twice_creates_no_duplicates(db):
    seed()
    first = counts()
    stock = dict(Offer.objects.values_list("pk", "stock"))

    seed(NOW + 3 * DAY)

    assert counts() == first
    assert dict(Offer.objects.values_list("pk", "stock")) == stock
    assert all(first[name] > 0 for name in ("Order", "Shipment", "Payment", "Refund", "OrderEvent"))


def test_seed_demo_prints_the_demo_sign_ins(db):
    output = seed()

    for login in ("kupujacy", "sprzedawca", "mediator", "admin"):
        assert login in output


def test_seed_demo_orders_in_every_payment_state(seeded):
    orders = list(Order.objects.all())

    assert {o.status for o in orders} == set(Order.Status.values)
    assert any(o.is_payment_overdue(NOW) for o in orders)
    assert any(o.is_unpaid and not o.is_payment_overdue(NOW) for o in orders)
    # Overdue and on time, for both payment methods.
    for method in Order.PaymentMethod.values:
        assert any(o.payment_method == method and o.is_payment_overdue(NOW) for o in orders)
        assert any(o.payment_method == method and o.is_unpaid and not o.is_payment_overdue(NOW) for o in orders)


def test_seed_demo_paid_orders_have_their_payment_and_refunds(seeded):
    paid = Order.objects.filter(status=Order.Status.PAID)

    assert paid.exists()
    assert Payment.objects.filter(order__in=paid).count() == paid.count()
    assert not Payment.objects.exclude(order__in=paid).exists()
    assert Refund.objects.filter(is_full=True).exists()
    assert Refund.objects.filter(is_full=False).exists()


def test_seed_demo_shipments_in_every_state(seeded):
    shipments = Shipment.objects.all()

    assert shipments.filter(handed_over_at__isnull=True, delivered_at__isnull=True).exists()
    assert shipments.filter(handed_over_at__isnull=False, delivered_at__isnull=True).exists()
    assert shipments.filter(delivered_at__isnull=False).exists()
    # Paid orders still to ship.
    assert Order.objects.filter(status=Order.Status.PAID, shipment__isnull=True).exists()


def test_seed_demo_deliveries_are_known_to_the_simulated_carrier(seeded):
    for shipment in Shipment.objects.filter(delivered_at__isnull=False):
        parcel = SimulatedParcel.objects.get(carrier=shipment.carrier, tracking_number=shipment.tracking_number)
        assert parcel.delivered_at == shipment.delivered_at


def test_seed_demo_orders_older_than_45_and_180_days(seeded):
    assert Order.objects.filter(created_at__lt=NOW - 45 * DAY, created_at__gt=NOW - 180 * DAY).exists()
    assert Order.objects.filter(created_at__lt=NOW - 180 * DAY).exists()
    assert Order.objects.filter(created_at__gt=NOW - 45 * DAY).exists()


def test_seed_demo_i18n_01_covers_all_four_markets_in_their_languages(seeded):
    from discussions.models import Discussion, Message, Role

    every = set(Market.Code.values)
    assert set(Order.objects.values_list("market_id", flat=True)) == every
    assert set(SellerAccount.objects.values_list("market_id", flat=True)) == every
    assert set(Discussion.objects.values_list("market_id", flat=True)) == every
    written = Message.objects.filter(author_role__in=[Role.BUYER, Role.SELLER])
    for code, language in [("CZ", "cs"), ("SK", "sk"), ("HU", "hu")]:
        assert set(written.filter(discussion__market_id=code).values_list("language", flat=True)) == {language}
    for order in Order.objects.select_related("market", "seller_account"):
        assert order.market_id == order.lines.get().offer.market_id


def test_seed_demo_auction_and_allegro_lokalnie_orders(seeded):
    assert Order.objects.filter(format=Offer.Format.AUCTION).exists()
    assert Order.objects.filter(service=Order.Service.ALLEGRO_LOKALNIE).exists()


def test_seed_demo_has_a_linked_group_of_two_accounts(seeded):
    groups = [group for group in LinkedAccountGroup.objects.all() if group.accounts.count() >= 2]

    assert len(groups) == 1
    first, second = groups[0].accounts.all()[:2]
    assert first.is_linked_to(second)
    assert first.user != second.user
    assert {first.market_id, second.market_id} == {"PL", "CZ"}
    assert SellerAccount.objects.filter(linked_group__isnull=True).exists()


def test_seed_demo_has_a_staff_mediator_in_the_mediators_group(seeded):
    mediator = get_user_model().objects.get(username="mediator")

    assert mediator.is_staff
    assert not mediator.is_superuser
    assert mediator.groups.filter(name=MEDIATORS_GROUP).exists()
    assert mediator.has_perm("orders.view_order")
    assert mediator.check_password("demo-2026")


def test_seed_demo_has_a_superuser(seeded):
    User = get_user_model()

    admin = User.objects.get(is_superuser=True)
    assert admin.is_staff and admin.is_active
    assert User.objects.filter(is_superuser=True).count() == 1


def test_seed_demo_buyers_and_sellers_can_sign_in(seeded):
    for login in ("kupujacy", "kupujacy2", "kupujici_cz", "sprzedawca", "sprzedawca_cz", "sklep_ogrod"):
        user = get_user_model().objects.get(username=login)
        assert user.check_password("demo-2026")
        assert not user.is_staff


def test_seed_demo_leaves_an_offer_sold_out_and_an_auction_listed(seeded):
    assert Offer.objects.filter(stock=0, format=Offer.Format.BUY_NOW).exists()
    assert Offer.objects.filter(format=Offer.Format.AUCTION).exists()


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 28, 10, tzinfo=UTC),  # Monday after Christmas: deadlines lie 5 days off
        datetime(2027, 3, 30, 9, tzinfo=UTC),  # Tuesday after Easter Monday
        datetime(2026, 12, 4, 17, tzinfo=UTC),  # Friday evening
    ],
)
def test_seed_demo_works_on_any_day_with_its_overdue_cases(db, at):
    """The demo is seeded relative to today: its overdue and mediation cases must not
    depend on the weekday or the holidays (it once failed on a Friday)."""
    from discussions.models import Discussion

    seed(at)

    assert Discussion.objects.filter(help_requested_at__isnull=False, is_open=True).count() >= 2
    assert Discussion.objects.filter(seller_ignored_mediator_at__isnull=False).exists()
