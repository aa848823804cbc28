"""The building blocks every workflow of the package shares (STYLE §4): the instant of
the action, the compare-and-set of a Discussion's status/open pair with its StatusChange
and the notifications of both parties, the automatic message, the superseding of pending
proposals when a Discussion closes, and the reason a mediator's decision records.

Imports no other module of the package; the other modules import from it."""

from datetime import UTC

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError

from ..models import Discussion, Message, Notification, Proposal, Role, StatusChange
from ..notifications import notify


def _now(now):
    """The instant of the action, in UTC: periods are plain elapsed time (TIME-04), and
    Python adds a timedelta to a zone-aware local time on the wall clock, not in real time."""
    return (now or timezone.now()).astimezone(UTC)


def _auto_message(discussion, code, *, now, counts_as_seller_reply=False, **params):
    return Message.objects.create(
        discussion=discussion,
        author=None,
        author_role=Role.SYSTEM,
        kind=Message.Kind.AUTOMATIC,
        auto_code=code,
        auto_params=params,
        counts_as_seller_reply=counts_as_seller_reply,
        created_at=now,
    )


def _parties(discussion):
    return discussion.buyer, discussion.seller_account.user


def _record_change(discussion, *, old_status, old_open, actor, role, now, note=""):
    StatusChange.objects.create(
        discussion=discussion,
        at=now,
        actor=actor,
        actor_role=role,
        from_status=old_status or "",
        to_status=discussion.status,
        from_open=old_open,
        to_open=discussion.is_open,
        close_reason=discussion.close_reason,
        note=note,
    )


def _transition(discussion, *, actor, role, now, to_status, to_open, close_reason="", note="", expect=None, **fields):
    """Compare-and-set the status/open pair from what `discussion` holds now; record it;
    notify both parties. `expect` adds conditions the row must still meet."""
    old_status, old_open = discussion.status, discussion.is_open
    updates = {"status": to_status, "is_open": to_open, "close_reason": close_reason, **fields}
    if not to_open:
        updates["closed_at"] = now
    changed = Discussion.objects.filter(pk=discussion.pk, status=old_status, is_open=old_open, **(expect or {})).update(
        **updates
    )
    if not changed:
        raise ConcurrentUpdate(_("The Discussion changed in the meantime. Reload the page and try again."))
    for key, value in updates.items():
        setattr(discussion, key, value)
    _record_change(discussion, old_status=old_status, old_open=old_open, actor=actor, role=role, now=now, note=note)
    for recipient in _parties(discussion):
        if recipient != actor:
            notify(recipient, Notification.Kind.STATUS_CHANGED, discussion, now=now, status=to_status)
    return discussion


def _supersede_proposals(discussion, now):
    Proposal.objects.filter(discussion=discussion, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.SUPERSEDED, decided_at=now
    )


def _require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason; it is recorded in the audit trail."), field="reason")
    return reason
