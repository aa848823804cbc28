"""The seller's requests and proposals: the request to end the Discussion (DSC-12), a
proposed solution (DSC-13), and the buyer's acceptance or refusal of it."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.dates import market_time
from core.errors import ConcurrentUpdate, DomainError
from core.once import consume

from .. import rules
from ..models import Discussion, Message, Notification, Proposal, Reason, Role
from ..notifications import notify
from ..rules import Action
from .conversation import CLOSED_ERROR, _record_seller_reply, post_message, validate_expected_solution
from .transitions import _auto_message, _now, _raise_version, _require_seen, _supersede_proposals, _transition


def request_end(discussion, *, seller, now=None, once=None, seen_version=None):
    """DSC-12: the seller asks the buyer to mark the Discussion as resolved: one message
    (the END_REQUEST message, shown to the buyer in their language) and a notification.
    SAFE-04: asked again only once the buyer has written or 24 hours have passed; a
    refusal says from when. The request is claimed by compare-and-set on the instant of
    the previous one, so two sent at once post one message."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    try:
        rules.require(discussion, Role.SELLER, Action.REQUEST_END, now)
    except DomainError as error:
        raise _end_request_refused(discussion, now, error) from None
    with transaction.atomic():
        consume(once)
        if not Discussion.objects.filter(pk=discussion.pk, end_requested_at=discussion.end_requested_at).update(
            end_requested_at=now
        ):
            discussion.end_requested_at = Discussion.objects.values_list("end_requested_at", flat=True).get(
                pk=discussion.pk
            )
            raise _end_request_refused(discussion, now)
        discussion.end_requested_at = now
        message = post_message(
            discussion, author=seller, role=Role.SELLER, text="", kind=Message.Kind.END_REQUEST, now=now
        )
        notify(discussion.buyer, Notification.Kind.END_REQUESTED, discussion, now=now)
    return message


def _end_request_refused(discussion, now, error=None):
    """The refusal of a request to end (SAFE-04) with the instant from which it will be
    possible, in the market's time format; `error`: the state machine's own refusal, kept
    when it gives no such instant (a closed Discussion)."""
    refused = rules.availability(discussion, Role.SELLER, Action.REQUEST_END, now)
    if refused.available_from is None:
        return error or ConcurrentUpdate(
            _("The Discussion changed in the meantime. Reload the page and try again."), code=Action.REQUEST_END
        )
    when = _("Available from %(from)s.") % {"from": market_time(refused.available_from, discussion.market)}
    return DomainError(f"{refused.reason} {when}", code=Action.REQUEST_END)


def propose_solution(
    discussion,
    *,
    seller,
    solution,
    amount=None,
    percent=None,
    requires_return=False,
    now=None,
    once=None,
    seen_version=None,
):
    """DSC-13: the seller's own solution; a newer proposal replaces a pending one."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    rules.require(discussion, Role.SELLER, Action.PROPOSE, now)
    solution, amount, percent = validate_expected_solution(
        Reason.PRODUCT_PROBLEM, solution, amount, percent, line_value=discussion.line.total
    )
    with transaction.atomic():
        consume(once)
        _raise_version(discussion)
        _supersede_proposals(discussion, now)
        proposal = Proposal.objects.create(
            discussion=discussion,
            solution=solution,
            amount=amount,
            percent=percent,
            requires_return=bool(requires_return),
            created_at=now,
        )
        # The proposal is the seller's reply too.
        _seller_system_reply(discussion, seller, now)
        _auto_message(
            discussion,
            "PROPOSAL_RETURN" if requires_return else "PROPOSAL",
            now=now,
            solution=solution,
            solution_amount=str(amount or ""),
            solution_percent=percent or "",
        )
        notify(
            discussion.buyer,
            Notification.Kind.PROPOSAL,
            discussion,
            now=now,
            solution=solution,
            solution_amount=str(amount or ""),
            solution_percent=percent or "",
            requires_return=bool(requires_return),
        )
    return proposal


def _seller_system_reply(discussion, seller, now):
    """A seller action that is their reply without a text message of their own."""
    if not Discussion.objects.filter(pk=discussion.pk, is_open=True).update(
        last_message_at=now, last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED
    ):
        raise DomainError(_("The Discussion is closed."), code=CLOSED_ERROR)
    _record_seller_reply(discussion, now)


def _decide_proposal(discussion, *, buyer, accept, now, once, seen_version, seen_proposal):
    action = Action.ACCEPT_PROPOSAL if accept else Action.DECLINE_PROPOSAL
    _require_seen(discussion, seen_version, seen_proposal)
    rules.require(discussion, Role.BUYER, action, now)
    proposal = rules.pending_proposal(discussion)
    status = Proposal.Status.ACCEPTED if accept else Proposal.Status.DECLINED
    with transaction.atomic():
        consume(once)
        if not Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.PENDING).update(
            status=status, decided_at=now
        ):
            raise ConcurrentUpdate(_("The proposal changed in the meantime. Reload the page."))
        params = {
            "solution": proposal.solution,
            "solution_amount": str(proposal.amount or ""),
            "solution_percent": proposal.percent or "",
        }
        if accept:
            _transition(
                discussion,
                actor=buyer,
                role=Role.BUYER,
                now=now,
                to_status=Discussion.Status.RESOLVED,
                to_open=False,
                close_reason=Discussion.CloseReason.PROPOSAL_ACCEPTED,
                delivery_close_at=None,
            )
        else:
            _raise_version(discussion)
        message = _auto_message(discussion, "PROPOSAL_ACCEPTED" if accept else "PROPOSAL_DECLINED", now=now, **params)
        if not accept:
            notify(
                discussion.seller_account.user, Notification.Kind.NEW_MESSAGE, discussion, now=now, message=message.pk
            )
    proposal.status = status
    return proposal


def accept_proposal(discussion, *, buyer, now=None, once=None, seen_version=None, seen_proposal=None):
    """DSC-13: the buyer accepts the pending proposal (the one the page showed,
    `seen_proposal`, SAFE-02); the Discussion is resolved."""
    return _decide_proposal(
        discussion,
        buyer=buyer,
        accept=True,
        now=_now(now),
        once=once,
        seen_version=seen_version,
        seen_proposal=seen_proposal,
    )


def decline_proposal(discussion, *, buyer, now=None, once=None, seen_version=None, seen_proposal=None):
    """DSC-13: the buyer declines the pending proposal (the one the page showed)."""
    return _decide_proposal(
        discussion,
        buyer=buyer,
        accept=False,
        now=_now(now),
        once=once,
        seen_version=seen_version,
        seen_proposal=seen_proposal,
    )
