"""The one state machine of a Discussion (DSC-22).

`allowed_actions(discussion, role, now)` says, for an actor and an instant, which
actions are allowed and until when, or why not and from when. Pages render their
buttons from it (a disallowed action is shown disabled with its reason), the services
call `require()` before every transition, and the API returns it as `allowedActions`.
Single-row predicates and derived times live here; workflows live in discussions.services.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from core.business_time import add_business_time
from core.errors import DomainError

from .models import Discussion, Proposal, Reason, Role

OPEN_AFTER = timedelta(hours=1)  # DSC-01
OPEN_UNTIL = timedelta(days=730)  # DSC-01, DSC-19
UNRESOLVED_AFTER_NOT_RECEIVED = timedelta(days=7)  # DSC-17
UNRESOLVED_AFTER_OTHER = timedelta(days=14)  # DSC-17, DSC-21
AUTO_RESOLVE_AFTER = timedelta(days=30)  # DSC-18
REMINDERS_BEFORE = (timedelta(days=7), timedelta(days=1))  # NTF-03
DELIVERY_OBJECTION_WINDOW = timedelta(hours=24)  # DSC-20(b)
REPLY_ALLOWANCE = timedelta(hours=24)  # DSC-06
WARNING_BEFORE = timedelta(hours=4)  # NTF-01: deadline approaching when 4 business hours are left
END_REQUEST_AGAIN_AFTER = timedelta(hours=24)  # SAFE-04: plain elapsed time (TIME-04)

# DSC-07: order events that answer for the seller, for these reasons.
EVENT_REPLY_REASONS = {Reason.NOT_RECEIVED, Reason.NO_REFUND_AFTER_RETURN}
# DSC-20(a): a full refund closes Discussions with these reasons.
FULL_REFUND_CLOSES = {Reason.NOT_RECEIVED, Reason.WITHDRAWAL_PROBLEM, Reason.NO_PAYMENT_REFUND}


class Action:
    # Buyer
    REPLY = "REPLY"
    MARK_RESOLVED = "MARK_RESOLVED"
    MARK_UNRESOLVED = "MARK_UNRESOLVED"
    ASK_FOR_HELP = "ASK_FOR_HELP"
    REOPEN = "REOPEN"
    ACCEPT_PROPOSAL = "ACCEPT_PROPOSAL"
    DECLINE_PROPOSAL = "DECLINE_PROPOSAL"
    # Seller
    PROPOSE = "PROPOSE"
    REQUEST_END = "REQUEST_END"
    # Mediator
    JOIN = "JOIN"


ACTIONS_BY_ROLE = {
    Role.BUYER: [
        Action.REPLY,
        Action.MARK_RESOLVED,
        Action.MARK_UNRESOLVED,
        Action.ASK_FOR_HELP,
        Action.ACCEPT_PROPOSAL,
        Action.DECLINE_PROPOSAL,
        Action.REOPEN,
    ],
    Role.SELLER: [Action.REPLY, Action.PROPOSE, Action.REQUEST_END],
    Role.MEDIATOR: [Action.JOIN, Action.REPLY],
}


@dataclass(frozen=True)
class Availability:
    action: str
    allowed: bool
    reason: str = ""
    available_from: datetime | None = None
    available_until: datetime | None = None


# --- Derived times ------------------------------------------------------------------


def late(at, due):
    """DSC-23, the one boundary convention: an event at the deadline instant is in time;
    only one after it is late. Services, sweeps, the quality figures and this state
    machine all ask this."""
    return due is not None and at > due


def replied_in_time(discussion):
    """The seller's first reply of this opening came at or before the deadline."""
    return discussion.seller_replied_at is not None and not late(discussion.seller_replied_at, discussion.reply_due_at)


def reply_deadline(discussion_market, start):
    """DSC-06: 24 business hours of the order's market from `start`."""
    return add_business_time(start, discussion_market.holiday_country, discussion_market.time_zone, REPLY_ALLOWANCE)


def reply_warning_instant(discussion_market, start):
    return add_business_time(
        start, discussion_market.holiday_country, discussion_market.time_zone, REPLY_ALLOWANCE - WARNING_BEFORE
    )


def unresolved_wait(discussion):
    """DSC-17/21: 7 days for NOT_RECEIVED on Allegro, 14 days otherwise."""
    from orders.models import Order

    if discussion.reason == Reason.NOT_RECEIVED and discussion.service != Order.Service.ALLEGRO_LOKALNIE:
        return UNRESOLVED_AFTER_NOT_RECEIVED
    return UNRESOLVED_AFTER_OTHER


def can_mark_unresolved_from(discussion):
    return discussion.opened_at + unresolved_wait(discussion)


def opening_window(order):
    """DSC-01: (from, until) in which the buyer can open a Discussion about `order`."""
    return order.created_at + OPEN_AFTER, order.created_at + OPEN_UNTIL


def opening_availability(order, now):
    start, end = opening_window(order)
    if now < start:
        return Availability(
            "OPEN", False, _("You can start a Discussion one hour after the purchase."), available_from=start
        )
    if now > end:
        return Availability(
            "OPEN", False, _("A Discussion can be started up to 2 years after the purchase."), available_until=end
        )
    return Availability("OPEN", True, available_until=end)


def end_request_waits(asked, now):
    """SAFE-04: less than 24 hours have passed since the seller's last request to end
    (`asked`, None if none), so a new one waits for the buyer to write."""
    return asked is not None and now < asked + END_REQUEST_AGAIN_AFTER


def buyer_wrote_since(discussion, instant):
    """SAFE-04: the buyer posted a message after `instant`. The Discussion's last message
    answers without a query when it is the buyer's or is not later than `instant`; only
    when others wrote after the buyer does it take one (through message_discussion_idx)."""
    from .models import Message

    last = discussion.last_message_at
    if last is None or last <= instant:
        return False
    if discussion.last_message_status == Discussion.LastMessageStatus.BUYER_REPLIED:
        return True
    return Message.objects.filter(discussion_id=discussion.pk, author_role=Role.BUYER, created_at__gt=instant).exists()


def pending_proposal(discussion):
    proposals = getattr(discussion, "pending_proposals", None)
    if proposals is not None:  # prefetched by the page
        return proposals[0] if proposals else None
    return discussion.proposals.filter(status=Proposal.Status.PENDING).first()


# --- The state machine --------------------------------------------------------------


def _closed(action):
    return Availability(action, False, _("The Discussion is closed."))


def _buyer(discussion, action, now):
    d = discussion
    if action == Action.REOPEN:
        if d.is_open:
            return Availability(action, False, _("The Discussion is open."))
        if d.reopen_count >= 1:
            return Availability(action, False, _("A closed Discussion can be reopened only once."))
        until = d.order.created_at + OPEN_UNTIL
        if now > until:
            return Availability(
                action,
                False,
                _("A Discussion can be reopened up to 2 years after the purchase."),
                available_until=until,
            )
        return Availability(action, True, available_until=until)
    if not d.is_open:
        return _closed(action)
    if action == Action.REPLY:
        return Availability(action, True)
    if action == Action.MARK_RESOLVED:
        if d.status != Discussion.Status.IN_PROGRESS:
            return Availability(action, False, _("Allegro is handling this Discussion as unresolved."))
        return Availability(action, True)
    if action == Action.MARK_UNRESOLVED:
        if d.status != Discussion.Status.IN_PROGRESS:
            return Availability(action, False, _("The Discussion is already marked as unresolved."))
        available_from = can_mark_unresolved_from(d)
        if now < available_from:
            days = unresolved_wait(d).days
            # UX-05: after a reopening the days count from the reopening, which the page shows.
            reopened = d.reopen_count or d.opened_at != d.created_at
            text = (
                _("You can mark the Discussion as unresolved %(days)s days after it was reopened.")
                if reopened
                else _("You can mark the Discussion as unresolved %(days)s days after it started.")
            )
            return Availability(
                action,
                False,
                text % {"days": days},
                available_from=available_from,
            )
        return Availability(action, True, available_until=d.auto_resolve_at)
    if action == Action.ASK_FOR_HELP:
        if d.mediator_active or d.help_requested_at:
            return Availability(action, False, _("Allegro has already been asked to help."))
        if d.status != Discussion.Status.IN_PROGRESS:
            return Availability(action, False, _("The Discussion is already with Allegro."))
        # DSC-24: a late reply does not take the right away.
        if replied_in_time(d):
            return Availability(
                action,
                False,
                _("The seller replied in time. If you cannot agree, mark the Discussion as unresolved."),
                available_from=None,
            )
        if d.reply_due_at and not late(now, d.reply_due_at):
            return Availability(
                action,
                False,
                _("You can ask Allegro for help if the seller does not reply in time."),
                available_from=d.reply_due_at,
            )
        return Availability(action, True)
    if action in (Action.ACCEPT_PROPOSAL, Action.DECLINE_PROPOSAL):
        if pending_proposal(d) is None:
            return Availability(action, False, _("There is no proposal waiting for your answer."))
        return Availability(action, True)
    raise KeyError(action)


def _seller(discussion, action, now):
    d = discussion
    if not d.is_open:
        return _closed(action)
    if action == Action.REPLY:
        return Availability(action, True, available_until=d.reply_due_at if d.seller_replied_at is None else None)
    if action == Action.PROPOSE:
        if d.reason != Reason.PRODUCT_PROBLEM:
            return Availability(action, False, _("Solutions are proposed in Discussions about a product problem."))
        return Availability(action, True)
    if action == Action.REQUEST_END:
        if d.status != Discussion.Status.IN_PROGRESS:
            return Availability(action, False, _("Allegro is handling this Discussion as unresolved."))
        # SAFE-04: one request, then the buyer's turn: again once they write, or after 24 hours.
        asked = d.end_requested_at
        if end_request_waits(asked, now) and not buyer_wrote_since(d, asked):
            return Availability(
                action,
                False,
                _(
                    "You have already asked the buyer to mark the Discussion as resolved. You can ask again "
                    "when the buyer writes or 24 hours after your request."
                ),
                available_from=asked + END_REQUEST_AGAIN_AFTER,
            )
        return Availability(action, True)
    raise KeyError(action)


def _mediator(discussion, action, now):
    d = discussion
    if action == Action.JOIN:
        if d.mediator_active:
            return Availability(action, False, _("Allegro has already joined."))
        if not d.is_open:
            return _closed(action)
        return Availability(action, True)
    if action == Action.REPLY:
        if not d.is_open:
            return _closed(action)
        if not d.mediator_active:
            return Availability(action, False, _("Join the Discussion first."))
        return Availability(action, True)
    raise KeyError(action)


_BY_ROLE = {Role.BUYER: _buyer, Role.SELLER: _seller, Role.MEDIATOR: _mediator}


def availability(discussion, role, action, now):
    return _BY_ROLE[role](discussion, action, now)


def allowed_actions(discussion, role, now):
    """Every action of `role`, allowed or not, with reasons and dates (DSC-22)."""
    return {action: availability(discussion, role, action, now) for action in ACTIONS_BY_ROLE[role]}


def require(discussion, role, action, now):
    """Raise DomainError with the state machine's reason unless the action is allowed.
    DSC-23: first the Discussion is brought to the state a scheduler on time would have
    left it in before `now` (discussions.tasks.settle, which writes), so the answer does
    not depend on how late the sweeps run."""
    from .tasks import settle

    if discussion.pk is not None:
        settle(discussion, now)
    result = availability(discussion, role, action, now)
    if not result.allowed:
        raise DomainError(result.reason, code=action)
    return result
