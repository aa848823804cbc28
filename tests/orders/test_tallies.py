"""The counts of Zamówienia and Moje zakupy kept per version (orders.tallies, issue 13):
every change that moves an order between tabs makes them stale at once, and the
overdue count follows the clock."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from discussions import services as discussion_services
from discussions.models import Reason
from orders import services, tallies
from orders.models import Order, Shipment
from tests.factories import OrderFactory

DAY = timedelta(days=1)


def counts(account, now=None):
    return tallies.seller_order_counts(account, now or timezone.now())


def test_issue_13_seller_counts_follow_each_transition(seller_account, seller, offer, buyer):
    assert counts(seller_account) == {"total": 0, "unpaid": 0, "overdue": 0, "to_ship": 0, "with_discussion": 0}

    # DSC-01: a Discussion can be started an hour after the purchase.
    order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method="ONLINE", now=timezone.now() - DAY)
    assert counts(seller_account) == {"total": 1, "unpaid": 1, "overdue": 0, "to_ship": 0, "with_discussion": 0}

    services.pay_order(order, buyer=buyer)
    assert counts(seller_account) == {"total": 1, "unpaid": 0, "overdue": 0, "to_ship": 1, "with_discussion": 0}

    discussion_services.open_discussion(
        order, buyer=buyer, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED, text="Where is it?"
    )
    assert counts(seller_account)["with_discussion"] == 1

    services.enter_tracking(order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-000001")
    assert counts(seller_account)["to_ship"] == 1
    services.mark_handed_over(order, seller=seller)
    assert counts(seller_account)["to_ship"] == 0


def test_issue_13_orders_made_directly_count_at_once(seller_account, offer, buyer):
    """Factories and the admin save orders without a service: the save itself counts."""
    counts(seller_account)
    OrderFactory(offer=offer, buyer=buyer)

    assert counts(seller_account)["total"] == 1
    assert tallies.buyer_order_count(buyer, timezone.now()) == 1


def test_issue_13_overdue_count_follows_the_clock(seller_account, offer, buyer):
    now = timezone.now()
    services.buy_offer(offer, buyer=buyer, quantity=1, payment_method="ONLINE", now=now)

    assert counts(seller_account, now)["overdue"] == 0
    # ORD-04: online payment is due 7 days after the purchase; nothing else changed.
    assert counts(seller_account, now + 8 * DAY)["overdue"] == 1


def test_issue_13_counts_are_read_from_the_cache(seller_account, offer, buyer, django_assert_num_queries):
    services.buy_offer(offer, buyer=buyer, quantity=1, payment_method="ONLINE")
    counts(seller_account)

    with django_assert_num_queries(0):
        assert counts(seller_account)["total"] == 1


def test_issue_13_a_lost_version_never_matches_old_counts(seller_account, offer, buyer):
    """The cache may evict a version: the counts made under it are then not used."""
    counts(seller_account)
    now = timezone.now()
    order = Order(
        buyer=buyer,
        seller_account=seller_account,
        market=offer.market,
        created_at=now,
        payment_method=Order.PaymentMethod.ONLINE,
        total_amount=offer.price,
        payment_due_at=Order.compute_payment_due_at(now, Order.PaymentMethod.ONLINE),
    )
    Order.objects.bulk_create([order])  # no signal: only a new version can tell
    cache.delete(tallies._version_key(tallies.SELLER, seller_account.pk))

    assert counts(seller_account)["total"] == 1
