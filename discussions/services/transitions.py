"""The building blocks every workflow of the package shares (STYLE §4): the instant of
the action, the compare-and-set of a Discussion's status/open pair with its StatusChange
and the notifications of both parties, the automatic message, the superseding of pending
proposals when a Discussion closes, and the reason a mediator's decision records.

SAFE-02: every change of the state the buttons are rendered from raises the
Discussion's `version`, by a compare-and-set on the version the change was decided on
(`_transition`, `_raise_version`). A service called from a page's button gets the
version the page showed (`seen_version`, and the proposal an answer names) and refuses
with `_require_seen` when the Discussion is no longer in that state; its error says
what changed (`what_changed`).

Imports no other module of the package; the other modules import from it."""

from datetime import UTC
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError
from core.money import money

from .. import rules
from ..models import Discussion, Message, Notification, Proposal, Role, StatusChange
from ..notifications import notify

STATE_CHANGED = "state_changed"


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


def _transition(
    discussion, *, actor, role, now, to_status, to_open, close_reason="", note="", expect=None, notice=None, **fields
):
    """Compare-and-set the status/open pair and the version from what `discussion` holds
    now; record it; notify both parties. `expect` adds conditions the row must still meet.
    The notification carries the new status and why (UX-04): the close reason, and in
    `notice` a mediator's outcome, written justification and amount (UX-03)."""
    old_status, old_open = discussion.status, discussion.is_open
    updates = {
        "status": to_status,
        "is_open": to_open,
        "close_reason": close_reason,
        "version": discussion.version + 1,
        **fields,
    }
    if not to_open:
        updates["closed_at"] = now
    changed = Discussion.objects.filter(
        pk=discussion.pk, status=old_status, is_open=old_open, version=discussion.version, **(expect or {})
    ).update(**updates)
    if not changed:
        raise ConcurrentUpdate(what_changed(discussion), code=STATE_CHANGED)
    for key, value in updates.items():
        setattr(discussion, key, value)
    _record_change(discussion, old_status=old_status, old_open=old_open, actor=actor, role=role, now=now, note=note)
    params = {"status": to_status, **({"close_reason": close_reason} if close_reason else {}), **(notice or {})}
    for recipient in _parties(discussion):
        if recipient != actor:
            notify(recipient, Notification.Kind.STATUS_CHANGED, discussion, now=now, **params)
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


# --- SAFE-02: the state a page showed ---------------------------------------------------


def _raise_version(discussion):
    """A change of the Discussion's state other than a transition (a proposal, the answer
    to one): compare-and-set the version it was decided on to the next."""
    if not Discussion.objects.filter(pk=discussion.pk, version=discussion.version).update(
        version=discussion.version + 1
    ):
        raise ConcurrentUpdate(what_changed(discussion), code=STATE_CHANGED)
    discussion.version += 1


def _require_seen(discussion, seen_version=None, seen_proposal=None):
    """The action applies to the state its page showed: the Discussion at `seen_version`
    and, for an answer to a proposal, the pending proposal `seen_proposal` (its id).
    None: not given (callers other than a page). Otherwise the action is refused and the
    error says what changed."""
    if seen_proposal is not None:
        pending = rules.pending_proposal(discussion)
        if pending is None or pending.pk != seen_proposal:
            seen = Proposal.objects.filter(pk=seen_proposal, discussion=discussion).first()
            if pending is not None and seen is not None:
                raise ConcurrentUpdate(
                    _nothing_done(
                        _("The seller replaced the proposal: %(new)s instead of %(old)s.")
                        % {"new": proposal_text(pending, discussion), "old": proposal_text(seen, discussion)}
                    ),
                    code=STATE_CHANGED,
                )
            raise ConcurrentUpdate(what_changed(discussion), code=STATE_CHANGED)
    if seen_version is not None and seen_version != discussion.version:
        raise ConcurrentUpdate(what_changed(discussion), code=STATE_CHANGED)


def proposal_text(proposal, discussion):
    """A proposal as the parties read it: the amount, or the percentage with the amount it
    makes of the product's value, in the market's money format; else the solution."""
    currency = discussion.market.currency
    if proposal.amount is not None:
        return money(proposal.amount, currency)
    if proposal.percent is not None:
        value = (discussion.line.total * proposal.percent / 100).quantize(Decimal("0.01"))
        return f"{proposal.percent}% ({money(value, currency)})"
    return str(proposal.get_solution_display())


def _nothing_done(what):
    return f"{what} {_('Nothing was done; check the Discussion as it is now and try again.')}"


def what_changed(discussion):
    """The latest change of the Discussion's state, in a sentence, and that the action was
    not done: read from the database as it is now."""
    current = Discussion.objects.select_related("market", "line").get(pk=discussion.pk)
    candidates = []  # (instant, priority on a tie, sentence)
    change = current.status_changes.order_by("-at", "-pk").first()
    if change is not None and change.from_open is not None:
        if not change.to_open and change.from_open:
            reason = Discussion.CloseReason(change.close_reason).label if change.close_reason else ""
            sentence = _("The Discussion was closed: %(reason)s.") % {"reason": reason}
        elif change.to_open and not change.from_open:
            sentence = _("The Discussion was reopened.")
        elif change.to_status == Discussion.Status.UNRESOLVED:
            sentence = _("The Discussion was marked as unresolved.")
        else:
            sentence = _("The Discussion is now: %(status)s.") % {"status": current.get_status_display()}
        candidates.append((change.at, 1, sentence))
    proposal = current.proposals.order_by("-created_at", "-pk").first()
    if proposal is not None:
        text = {"proposal": proposal_text(proposal, current)}
        candidates.append((proposal.created_at, 2, _("The seller sent a new proposal: %(proposal)s.") % text))
        if proposal.status == Proposal.Status.ACCEPTED:
            candidates.append((proposal.decided_at, 3, _("The buyer accepted the proposal: %(proposal)s.") % text))
        elif proposal.status == Proposal.Status.DECLINED:
            candidates.append((proposal.decided_at, 3, _("The buyer declined the proposal: %(proposal)s.") % text))
    if current.mediator_joined_at is not None:
        candidates.append((current.mediator_joined_at, 0, _("Allegro joined the Discussion.")))
    if current.help_requested_at is not None:
        candidates.append((current.help_requested_at, 0, _("The buyer asked Allegro for help.")))
    if not candidates:
        return _nothing_done(_("The Discussion changed after the page was shown."))
    return _nothing_done(max(candidates, key=lambda candidate: candidate[:2])[2])
