"""Registry of purchase checks (ORD-03), filled by other apps in AppConfig.ready().

A check is `check(*, buyer, offer, now) -> str | None`: a user-facing reason why the
buyer cannot buy the offer, or None. The orders app runs its own checks first and
then every registered one, in registration order; it never imports the other apps.
"""

_checks = []


def register_purchase_check(check):
    if check not in _checks:
        _checks.append(check)
    return check


def registered_purchase_checks():
    return tuple(_checks)
