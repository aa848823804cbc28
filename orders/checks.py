"""Extension points other apps fill in AppConfig.ready(); orders never imports them.

Purchase checks (ORD-03). A check is `check(*, buyer, offer, now) -> str | None`: a
user-facing reason why the buyer cannot buy the offer, or None. The orders app runs its
own checks first and then every registered one, in registration order.

Order disputes (BLK-07). A dispute is `dispute(order) -> expression`: given a reference
to an order's primary key (an `OuterRef("pk")` in a query over orders), a boolean
expression — typically `Exists(...)` — true when the buyer raised a problem about that
order in another app (discussions: a Discussion the buyer opened). The inactive-buyers
tab asks it, in the same query, to warn that a refusal to sell may be unjustified.

Unlisted sellers (UX-08). `unlisted() -> queryset of seller account ids` (a values_list
of one column): accounts whose offers are listed nowhere (discussions: an active seller
block, MED-09). `listed_offers_q(path)` is the condition the offer listings add.

What a full refund closes (SAFE-03). `closes(order) -> list of pks`: the open
Discussions a full refund of the order would close (discussions: DSC-20(a)); the
refund's confirmation page names them.
"""

_checks = []
_disputes = []
_full_refund_closes = []
_unlisted = []


def register_purchase_check(check):
    if check not in _checks:
        _checks.append(check)
    return check


def registered_purchase_checks():
    return tuple(_checks)


def register_order_dispute(dispute):
    if dispute not in _disputes:
        _disputes.append(dispute)
    return dispute


def registered_order_disputes():
    return tuple(_disputes)


def register_full_refund_closes(closes):
    if closes not in _full_refund_closes:
        _full_refund_closes.append(closes)
    return closes


def closed_by_full_refund(order):
    """The pks of the Discussions a full refund of `order` would close (SAFE-03)."""
    return [pk for closes in _full_refund_closes for pk in closes(order)]


def register_unlisted_sellers(unlisted):
    if unlisted not in _unlisted:
        _unlisted.append(unlisted)
    return unlisted


def listed_offers_q(path=""):
    """UX-08: the condition on offers (reached through `path`, e.g. "offers__") that
    leaves out every registered unlisted seller account's offers."""
    from django.db.models import Q

    condition = Q()
    for unlisted in _unlisted:
        condition &= ~Q(**{f"{path}seller_account__in": unlisted()})
    return condition
