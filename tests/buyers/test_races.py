"""BLK-01 / ORD-03: a purchase at the moment the seller confirms the entry, with real
threads and real transactions on PostgreSQL.

SQLite serialises writers (BEGIN IMMEDIATE), so this race cannot happen there; the
rules themselves are covered on both databases by test_services.py.
"""

import time
from collections import Counter

import pytest

from buyers import services
from buyers.models import BlockReason, InactiveBuyer
from core.errors import DomainError
from orders import services as order_services
from orders.models import Offer, Order, OrderEvent
from orders.signals import order_event_recorded
from tests.buyers.test_services import ADDED, BOUGHT, bought
from tests.factories import OfferFactory, UserFactory
from tests.races import POSTGRES_RACES, race

pytestmark = POSTGRES_RACES

ROUNDS = 30
# The seller's confirmation reads more before it takes the lock than the purchase does;
# holding the purchase back a little in some rounds lets both orders of arrival happen.
PURCHASE_DELAYS = (0, 0.005, 0.01, 0.02)  # seconds, one per round in turn
RACE_AT = ADDED  # both actions at the same instant: the entry restricts a purchase at RACE_AT


def test_blk_01_ord_03_a_purchase_racing_the_entry_is_either_placed_first_or_refused(seller_account, seller):
    offer = OfferFactory(seller_account=seller_account, stock=1000)
    seen = Counter()
    for round_ in range(ROUNDS):
        buyer = UserFactory(username=f"racer{round_}")
        evidence = bought(offer, buyer, now=BOUGHT)
        # Inside the purchase's transaction, once the order row is written, a fresh
        # statement sees every entry committed so far (READ COMMITTED): it tells whether
        # the entry had already been confirmed when the order was placed.
        entry_seen_by_purchase = []

        def watch(sender, event, buyer=buyer, seen_by=entry_seen_by_purchase, **kwargs):
            if event.kind == OrderEvent.Kind.CREATED and event.order.buyer_id == buyer.pk:
                seen_by.append(
                    InactiveBuyer.objects.filter(
                        seller_account=seller_account, buyer=buyer, removed_at__isnull=True
                    ).exists()
                )

        delay = PURCHASE_DELAYS[round_ % len(PURCHASE_DELAYS)]

        def purchase(buyer=buyer, delay=delay):
            time.sleep(delay)
            return order_services.buy_offer(
                offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=RACE_AT
            )

        def confirm(buyer=buyer, evidence=evidence):
            return services.add_entry(
                seller_account,
                seller=seller,
                login=buyer.username,
                reason=BlockReason.RULES_BREACH,
                order_ids=[o.pk for o in evidence],
                now=RACE_AT,
            )

        order_event_recorded.connect(watch, weak=False, dispatch_uid="blk_01_race_watch")
        try:
            purchased, entry = race(purchase, confirm)
        finally:
            order_event_recorded.disconnect(dispatch_uid="blk_01_race_watch")

        # The seller's confirmation always succeeds: the entry exists either way.
        assert isinstance(entry, InactiveBuyer), repr(entry)
        assert InactiveBuyer.objects.filter(pk=entry.pk, buyer=buyer, removed_at__isnull=True).exists()
        placed = Order.objects.filter(buyer=buyer, created_at=RACE_AT)
        if isinstance(purchased, Order):
            seen["order placed first"] += 1
            assert list(placed) == [purchased]
            # ...and placed before the entry was committed, never after it.
            assert entry_seen_by_purchase == [False]
        else:
            seen["purchase refused"] += 1
            assert isinstance(purchased, DomainError), repr(purchased)
            assert purchased.message == services.restricted_refusal(buyer=buyer, offer=offer, now=RACE_AT)
            assert not placed.exists()
            assert entry_seen_by_purchase == []
        # Now that the entry exists, the buyer cannot buy from the account.
        with pytest.raises(DomainError):
            order_services.buy_offer(
                offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=RACE_AT
            )

    assert sum(seen.values()) == ROUNDS, seen
    # Stock: exactly the units of the orders that exist.
    assert Offer.objects.get(pk=offer.pk).stock == 1000 - Order.objects.filter(seller_account=seller_account).count()
    print(f"BLK-01 race outcomes over {ROUNDS} rounds: {dict(seen)}")
