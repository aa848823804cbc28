"""Counts of the order lists that do not scan on every view (issue 13).

*Zamówienia* shows how many of the seller's orders are unpaid, overdue, to ship and with
a Discussion, and both order lists say how many pages there are: for a seller (or a
buyer) with 10,000 orders each of those is a count of up to 10,000 rows, a millisecond
of the database's time per count and view. They change only when an order, its
shipment or one of its Discussions does, so they are kept in the cache under a version
of the seller's (the buyer's) orders that every such change replaces, when it is made
and again once it commits. A reader that finds counts made at another version computes
them again (`core.versioned`). With the cache in each process's memory (no REDIS_URL), a
change made by another process is seen after `TIMEOUT`.

Writes that bypass the model layer (bulk inserts of bench and demo data, raw SQL) send
no signal; the counts then catch up after `TIMEOUT` at the latest. The overdue count
also changes with time alone: the counts keep the next instant an unpaid order becomes
overdue and are computed again once it has passed.
"""

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.versioned import cached_at_version, replace_versions

from .models import Order, Shipment
from .signals import order_event_recorded

TIMEOUT = 60
SELLER = "seller"
BUYER = "buyer"


def _version_key(scope, owner_id):
    return f"orders:tally:{scope}:{owner_id}:version"


def seller_version_key(account_id):
    """The version of the seller account's orders (other apps' values made of them)."""
    return _version_key(SELLER, account_id)


def _counts_key(scope, owner_id, stamp):
    # The owner's creation instant tells apart owners that reuse a primary key (SQLite
    # reuses those of rolled-back rows, as in tests).
    return f"orders:tally:{scope}:{owner_id}:{stamp}"


def _tally(scope, owner_id, stamp, compute, now):
    """`compute(now)` → (counts, valid_until or None), cached at the owner's version."""
    return cached_at_version(
        _version_key(scope, owner_id), _counts_key(scope, owner_id, stamp), lambda: compute(now), TIMEOUT, now
    )


def _seller_counts(account_id):
    def compute(now):
        discussions = Order._meta.get_field("discussions").related_model
        unpaid = Q(status=Order.Status.AWAITING_PAYMENT)
        orders = Order.objects.filter(seller_account_id=account_id)
        row = orders.aggregate(
            total=Count("pk"),
            unpaid=Count("pk", filter=unpaid),
            overdue=Count("pk", filter=unpaid & Q(payment_due_at__lt=now)),
            next_overdue_at=Min("payment_due_at", filter=unpaid & Q(payment_due_at__gte=now)),
        )
        # EXISTS in WHERE, which PostgreSQL joins once, not once per order.
        handed_over = Shipment.objects.filter(order=OuterRef("pk"), handed_over_at__isnull=False)
        row["to_ship"] = orders.filter(status=Order.Status.PAID).exclude(Exists(handed_over)).count()
        row["with_discussion"] = orders.filter(Exists(discussions.objects.filter(order=OuterRef("pk")))).count()
        valid_until = row.pop("next_overdue_at")
        return row, valid_until

    return compute


def seller_order_counts(account, now):
    """ORD-09: {"total", "unpaid", "overdue", "to_ship", "with_discussion"} of the
    account's orders (the tabs of *Zamówienia* and their page counts)."""
    return _tally(SELLER, account.pk, account.created_at.timestamp(), _seller_counts(account.pk), now)


def buyer_order_count(user, now):
    """ORD-09: how many orders *Moje zakupy* lists."""

    def compute(now):
        return Order.objects.filter(buyer_id=user.pk).count(), None

    return _tally(BUYER, user.pk, user.date_joined.timestamp(), compute, now)


# --- What makes the counts stale --------------------------------------------------------------


def orders_changed(*, seller_account_id=None, buyer_id=None):
    """The counts of this seller's and this buyer's orders are stale."""
    keys = []
    if seller_account_id is not None:
        keys.append(_version_key(SELLER, seller_account_id))
    if buyer_id is not None:
        keys.append(_version_key(BUYER, buyer_id))
    replace_versions(keys)


@receiver(order_event_recorded, dispatch_uid="orders_tallies_event")
def _event_recorded(sender, event, **kwargs):
    order = event.order
    orders_changed(seller_account_id=order.seller_account_id, buyer_id=order.buyer_id)


@receiver(post_save, sender=Order, dispatch_uid="orders_tallies_order_saved")
@receiver(post_delete, sender=Order, dispatch_uid="orders_tallies_order_deleted")
def _order_saved(sender, instance, **kwargs):
    orders_changed(seller_account_id=instance.seller_account_id, buyer_id=instance.buyer_id)


@receiver(post_save, sender=Shipment, dispatch_uid="orders_tallies_shipment_saved")
@receiver(post_delete, sender=Shipment, dispatch_uid="orders_tallies_shipment_deleted")
def _shipment_saved(sender, instance, **kwargs):
    seller = Order.objects.filter(pk=instance.order_id).values_list("seller_account_id", flat=True).first()
    orders_changed(seller_account_id=seller)


# Discussions are the discussions app's: named lazily, never imported (STYLE §1).
@receiver(post_save, sender="discussions.Discussion", dispatch_uid="orders_tallies_discussion_saved")
def _discussion_saved(sender, instance, created, **kwargs):
    if created:
        orders_changed(seller_account_id=instance.seller_account_id)


@receiver(post_delete, sender="discussions.Discussion", dispatch_uid="orders_tallies_discussion_deleted")
def _discussion_deleted(sender, instance, **kwargs):
    orders_changed(seller_account_id=instance.seller_account_id)
