"""Mediation: a mediator joins a Discussion (MED-02), opens one on the buyer's behalf
(MED-03), grants Allegro Protect (MED-04), concludes the mediation (MED-05) or reopens a
closed Discussion at the buyer's request (MED-06). Every decision is audited (MED-07).

Each takes the decision page's submission (`once`, SAFE-01) and the version of the
Discussion the page showed (`seen_version`, SAFE-02)."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError
from core.money import money
from core.once import consume
from orders import audit

from .. import rules
from ..models import Compensation, Discussion, MediationOutcome, Notification, Role
from ..notifications import notify
from ..rules import Action
from .conversation import open_discussion, reopen_discussion
from .transitions import (
    _auto_message,
    _now,
    _parties,
    _require_reason,
    _require_seen,
    _supersede_proposals,
    _transition,
)


def join_discussion(discussion, *, mediator, now=None, once=None, seen_version=None):
    """MED-02: a mediator joins; both parties see that Allegro joined. While a mediator
    is in, the Discussion is not auto-resolved (DSC-18 decision)."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    rules.require(discussion, Role.MEDIATOR, Action.JOIN, now)
    with transaction.atomic():
        consume(once)
        # DSC-25: after a reopen the earlier mediation is over and another may begin.
        not_active = Q(mediator_joined_at__isnull=True) | Q(mediation_concluded_at__isnull=False)
        if not Discussion.objects.filter(not_active, pk=discussion.pk, is_open=True).update(
            version=F("version") + 1,
            mediator=mediator,
            mediator_joined_at=now,
            mediation_concluded_at=None,
            mediation_outcome="",
            auto_resolve_at=None,
            delivery_close_at=None,
            mediator_first_message_at=None,
            mediator_reply_due_at=None,
            seller_replied_to_mediator_at=None,
            seller_ignored_mediator_at=None,
        ):
            raise ConcurrentUpdate(_("Another mediator has just joined this Discussion."))
        discussion.refresh_from_db()
        _auto_message(discussion, "MEDIATOR_JOINED", now=now)
        audit.record(mediator, "JOIN", discussion, now=now)
        for recipient in _parties(discussion):
            notify(recipient, Notification.Kind.MEDIATOR_JOINED, discussion, now=now)
    return discussion


def _snapshot(discussion):
    return {"status": discussion.status, "is_open": discussion.is_open, "close_reason": discussion.close_reason}


def grant_allegro_protect(discussion, *, mediator, amount, reason, now=None, once=None, seen_version=None):
    """MED-04 / DSC-20(c): Allegro Protect compensation (at most the order value), paid by
    the marketplace without charging the seller; the Discussion closes as resolved."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    reason = _require_reason(reason)
    if not discussion.is_open:
        raise DomainError(_("The Discussion is closed."))
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount."), field="amount") from None
    if not value.is_finite() or value <= 0 or value > discussion.order.total_amount:
        raise DomainError(
            _("The amount must be more than 0 and at most %(max)s.")
            % {"max": money(discussion.order.total_amount, discussion.market.currency)},
            field="amount",
        )
    before = _snapshot(discussion)
    with transaction.atomic():
        consume(once)
        compensation = Compensation.objects.create(
            discussion=discussion, amount=value, granted_by=mediator, granted_at=now, reason=reason
        )
        _transition(
            discussion,
            actor=mediator,
            role=Role.MEDIATOR,
            now=now,
            to_status=Discussion.Status.RESOLVED,
            to_open=False,
            close_reason=Discussion.CloseReason.ALLEGRO_PROTECT,
            note=reason,
            delivery_close_at=None,
            mediation_concluded_at=now if discussion.mediator_joined_at else None,
            mediation_outcome=MediationOutcome.ALLEGRO_PROTECT,
            notice={"outcome": MediationOutcome.ALLEGRO_PROTECT, "why": reason, "amount": str(value)},
        )
        _supersede_proposals(discussion, now)
        # UX-03: the justification is kept with the message; the page shows it as Allegro's decision.
        _auto_message(discussion, "CLOSED_ALLEGRO_PROTECT", now=now, amount=str(value), why=reason)
        audit.record(
            mediator,
            "GRANT_ALLEGRO_PROTECT",
            discussion,
            reason=reason,
            before=before,
            after={**_snapshot(discussion), "amount": str(value)},
            now=now,
        )
    return compensation


def conclude_mediation(discussion, *, mediator, outcome, reason, now=None, once=None, seen_version=None):
    """MED-05: the mediator concludes with a recorded outcome and the Discussion closes.
    An agreement closes it as resolved; any other outcome leaves it unresolved and
    closed (DSC-15)."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    reason = _require_reason(reason)
    if outcome not in MediationOutcome.values or outcome == MediationOutcome.ALLEGRO_PROTECT:
        raise DomainError(_("Choose the outcome of the mediation."), field="outcome")
    if not discussion.mediator_active or not discussion.is_open:
        raise DomainError(_("Only an open Discussion that Allegro joined can be concluded."))
    to_status = Discussion.Status.RESOLVED if outcome == MediationOutcome.AGREEMENT else Discussion.Status.UNRESOLVED
    before = _snapshot(discussion)
    with transaction.atomic():
        consume(once)
        _transition(
            discussion,
            actor=mediator,
            role=Role.MEDIATOR,
            now=now,
            to_status=to_status,
            to_open=False,
            close_reason=Discussion.CloseReason.MEDIATION_CONCLUDED,
            note=reason,
            delivery_close_at=None,
            mediation_concluded_at=now,
            mediation_outcome=outcome,
            notice={"outcome": outcome, "why": reason},
        )
        _supersede_proposals(discussion, now)
        _auto_message(discussion, "MEDIATION_CONCLUDED", now=now, outcome=outcome, why=reason)
        audit.record(
            mediator,
            "CONCLUDE_MEDIATION",
            discussion,
            reason=reason,
            before=before,
            after={**_snapshot(discussion), "outcome": outcome},
            now=now,
        )
    return discussion


def reopen_at_buyers_request(discussion, *, mediator, reason, now=None, once=None, seen_version=None):
    """MED-06 / DSC-19: a mediator reopens a closed Discussion at the buyer's request;
    it does not use up the buyer's one reopening. Audited."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    reason = _require_reason(reason)
    before = _snapshot(discussion)
    with transaction.atomic():
        consume(once)
        reopen_discussion(discussion, mediator=mediator, reason=reason, now=now)
        audit.record(mediator, "REOPEN", discussion, reason=reason, before=before, after=_snapshot(discussion), now=now)
    return discussion


def open_on_buyers_behalf(order, *, mediator, line_id, reason, expected_solution="", note, now=None, once=None):
    """MED-03: the buyer reported a problem to the marketplace; a mediator opens the
    Discussion for them, marked as opened by Allegro, with the mediator already joined.
    The 1-hour and 730-day windows of DSC-01 still bound it. Audited."""
    now = _now(now)
    note = _require_reason(note)
    window = rules.opening_availability(order, now)
    if not window.allowed:
        raise DomainError(window.reason)
    with transaction.atomic():
        claim = consume(once)
        discussion = open_discussion(
            order,
            buyer=order.buyer,
            line_id=line_id,
            reason=reason,
            expected_solution=expected_solution,
            now=now,
            opened_by_mediator=mediator,
        )
        claim.done(discussion)
        for recipient in _parties(discussion):
            notify(recipient, Notification.Kind.MEDIATOR_JOINED, discussion, now=now)
        audit.record(mediator, "OPEN_ON_BEHALF", discussion, reason=note, after=_snapshot(discussion), now=now)
    return discussion
