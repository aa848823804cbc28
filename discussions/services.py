"""Discussion workflows: the only writer of a Discussion's status (SPEC §3).

Every transition has one shape (STYLE §4): check the state machine (`rules.require`),
write with a compare-and-set on the expected state, record a StatusChange, post the
automatic message and the notifications in the same transaction.
"""

from datetime import UTC
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.business_time import business_time_between
from core.errors import ConcurrentUpdate, DomainError
from core.templatetags.ui import market_time
from core.uploads import check_uploads
from orders import audit
from orders.models import OrderEvent, OrderLine

from . import rules
from .models import (
    Attachment,
    Compensation,
    Discussion,
    MediationOutcome,
    Message,
    Notification,
    Proposal,
    Reason,
    Report,
    Role,
    SellerBlock,
    Solution,
    StatusChange,
)
from .notifications import notify
from .rules import Action

MAX_MESSAGE_LENGTH = 20_000  # the marketplace's public API limit (DSC-11)
MAX_ATTACHMENTS = 5

CLOSED_ERROR = "closed"


def _now(now):
    """The instant of the action, in UTC: periods are plain elapsed time (TIME-04), and
    Python adds a timedelta to a zone-aware local time on the wall clock, not in real time."""
    return (now or timezone.now()).astimezone(UTC)


# --- Building blocks ----------------------------------------------------------------


def _clean_text(text, *, required):
    text = (text or "").strip()
    if required and not text:
        raise DomainError(_("Write a message."), field="text")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise DomainError(
            _("A message can have at most %(max)s characters; yours has %(count)s.")
            % {"max": f"{MAX_MESSAGE_LENGTH:,}".replace(",", "\u00a0"), "count": len(text)},
            field="text",
        )
    return text


def _check_files(files):
    return check_uploads(files or [], max_count=MAX_ATTACHMENTS)


def _store_attachments(message, checked_files):
    for checked in checked_files:
        attachment = Attachment(
            message=message, original_name=checked.name[:200], content_type=checked.content_type, size=checked.size
        )
        attachment.file.save(checked.name, checked.content, save=False)
        attachment.save()


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


def _writing_language():
    """The language a person's message is written in: the interface language they are
    using (the request's, or the API's Accept-Language)."""
    language = translation.get_language() or ""
    return language if language in dict(settings.LANGUAGES) else ""


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


def _reply_window(discussion, start):
    return {
        "reply_due_at": rules.reply_deadline(discussion.market, start),
        "reply_warning_at": rules.reply_warning_instant(discussion.market, start),
        "seller_replied_at": None,
        "seller_overdue_at": None,
        "deadline_warning_sent_at": None,
        "help_requested_at": None,
    }


def _thirty_days(start):
    return {
        "auto_resolve_at": start + rules.AUTO_RESOLVE_AFTER,
        "reminder_7d_sent_at": None,
        "reminder_1d_sent_at": None,
    }


# --- Opening ------------------------------------------------------------------------


def validate_expected_solution(reason, solution, amount, percent, *, line_value):
    """DSC-03: a product problem needs an expected solution; a partial refund needs an
    amount (0 < amount ≤ the line's value) or a percentage (1–99), not both."""
    if reason != Reason.PRODUCT_PROBLEM:
        if solution or amount not in (None, "") or percent not in (None, ""):
            raise DomainError(
                _("An expected solution is chosen only for a problem with the product."), field="expected_solution"
            )
        return "", None, None
    if solution not in Solution.values:
        raise DomainError(_("Choose the solution you expect from the seller."), field="expected_solution")
    if solution != Solution.PARTIAL_REFUND:
        if amount not in (None, "") or percent not in (None, ""):
            raise DomainError(_("An amount or percentage goes only with a partial refund."), field="expected_amount")
        return solution, None, None
    has_amount, has_percent = amount not in (None, ""), percent not in (None, "")
    if has_amount == has_percent:
        raise DomainError(
            _("For a partial refund, give either an amount or a percentage (not both)."), field="expected_amount"
        )
    if has_amount:
        try:
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise DomainError(_("Enter an amount."), field="expected_amount") from None
        if value <= 0 or value > line_value:
            raise DomainError(
                _("The amount must be more than 0 and at most %(max)s.") % {"max": line_value}, field="expected_amount"
            )
        return solution, value, None
    try:
        pct = int(percent)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole percentage from 1 to 99."), field="expected_percent") from None
    if not 1 <= pct <= 99:
        raise DomainError(_("Enter a whole percentage from 1 to 99."), field="expected_percent")
    return solution, None, pct


def open_discussion(
    order,
    *,
    buyer,
    line_id,
    reason,
    expected_solution="",
    expected_amount=None,
    expected_percent=None,
    text="",
    files=(),
    now=None,
    opened_by_mediator=None,
):
    """DSC-01…05: the buyer (or a mediator on their behalf, MED-03) starts a Discussion
    about one order line; the automatic first message starts it; the seller has 24
    business hours to reply."""
    now = _now(now)
    if order.buyer_id != buyer.pk:
        raise DomainError(_("Only the buyer of this order can start a Discussion."))
    if opened_by_mediator is None:
        window = rules.opening_availability(order, now)
        if not window.allowed:
            if window.available_from:
                when = _("Available from %(date)s.") % {"date": market_time(window.available_from, order.market)}
            else:
                when = _("It was possible until %(date)s.") % {
                    "date": market_time(window.available_until, order.market)
                }
            raise DomainError(f"{window.reason} {when}")
    if reason not in Reason.values:
        raise DomainError(_("Choose the reason for the Discussion."), field="reason")
    line = OrderLine.objects.filter(order=order, pk=line_id).first() if str(line_id).isdigit() else None
    if line is None:
        raise DomainError(_("Choose the product the Discussion is about."), field="line")
    solution, amount, percent = validate_expected_solution(
        reason, expected_solution, expected_amount, expected_percent, line_value=line.total
    )
    text = _clean_text(text, required=False)
    checked = _check_files(files)
    market = order.market
    try:
        with transaction.atomic():
            discussion = Discussion(
                order=order,
                line=line,
                buyer=buyer,
                seller_account_id=order.seller_account_id,
                market=market,
                service=order.service,
                reason=reason,
                expected_solution=solution,
                expected_amount=amount,
                expected_percent=percent,
                opened_by_marketplace=opened_by_mediator is not None,
                created_at=now,
                opened_at=now,
                last_message_at=now,
            )
            for key, value in {**_reply_window(discussion, now), **_thirty_days(now)}.items():
                setattr(discussion, key, value)
            if opened_by_mediator is not None:
                discussion.mediator = opened_by_mediator
                discussion.mediator_joined_at = now
                discussion.auto_resolve_at = None
            discussion.save()
            code = "OPENED_BY_ALLEGRO" if opened_by_mediator else ("OPENED_WITH_SOLUTION" if solution else "OPENED")
            params = {"reason": reason, "product": line.title}
            if solution:
                params.update(solution=solution, solution_amount=str(amount or ""), solution_percent=percent or "")
            _auto_message(discussion, code, now=now, **params)
            if text or checked:
                message = Message.objects.create(
                    discussion=discussion,
                    author=buyer,
                    author_role=Role.BUYER,
                    text=text,
                    language=_writing_language(),
                    created_at=now,
                )
                _store_attachments(message, checked)
            _record_change(
                discussion,
                old_status="",
                old_open=None,
                actor=opened_by_mediator or buyer,
                role=Role.MEDIATOR if opened_by_mediator else Role.BUYER,
                now=now,
            )
            notify(
                discussion.seller_account.user,
                Notification.Kind.NEW_DISCUSSION,
                discussion,
                now=now,
                due=discussion.reply_due_at.isoformat(),
            )
    except IntegrityError:
        raise DomainError(
            _("There is already an open Discussion about this product. Continue it instead."), field="line"
        ) from None
    return discussion


# --- Messages -----------------------------------------------------------------------


def post_message(discussion, *, author, role, text, files=(), kind=Message.Kind.REGULAR, now=None):
    """DSC-11: a message of the buyer, the seller or a joined mediator. A seller message
    is the seller's reply (DSC-07/10); a buyer message after a delivery cancels the
    DSC-20(b) auto-close. The Discussion row is claimed with a compare-and-set on
    `is_open`, so a message either lands in an open Discussion or gets a clear error —
    it is never lost in one that a task closed at the same moment."""
    now = _now(now)
    rules.require(discussion, role, Action.REPLY, now)
    text = _clean_text(text, required=kind == Message.Kind.REGULAR and not files)
    checked = _check_files(files)
    with transaction.atomic():
        updates = {"last_message_at": now, "last_message_status": _last_status(role)}
        if role == Role.BUYER:
            updates["delivery_close_at"] = None
        if not Discussion.objects.filter(pk=discussion.pk, is_open=True).update(**updates):
            raise DomainError(
                _("The Discussion was closed a moment ago; your message was not sent. It is kept below."),
                field="text",
                code=CLOSED_ERROR,
            )
        for key, value in updates.items():
            setattr(discussion, key, value)
        message = Message.objects.create(
            discussion=discussion,
            author=author,
            author_role=role,
            kind=kind,
            text=text,
            language=_writing_language(),
            created_at=now,
        )
        _store_attachments(message, checked)
        if role == Role.SELLER:
            _record_seller_reply(discussion, now)
        elif role == Role.MEDIATOR:
            _record_mediator_message(discussion, now)
            audit.record(author, "POST_MESSAGE", discussion, after={"message": message.pk}, now=now)
        if kind == Message.Kind.REGULAR:  # an END_REQUEST has its own notification (DSC-12)
            for recipient in _parties(discussion):
                if recipient != author:
                    notify(recipient, Notification.Kind.NEW_MESSAGE, discussion, now=now)
    return message


def _last_status(role):
    return {
        Role.BUYER: Discussion.LastMessageStatus.BUYER_REPLIED,
        Role.SELLER: Discussion.LastMessageStatus.SELLER_REPLIED,
        Role.MEDIATOR: Discussion.LastMessageStatus.ALLEGRO_ADVISOR_REPLIED,
    }[role]


def _record_seller_reply(discussion, now):
    """DSC-07/09/10: the first seller reply of the current opening (and the first to a
    mediator) is recorded once, by compare-and-set."""
    if Discussion.objects.filter(pk=discussion.pk, seller_replied_at__isnull=True).update(seller_replied_at=now):
        discussion.seller_replied_at = now
        if discussion.first_reply_seconds is None:
            seconds = int(
                business_time_between(
                    discussion.opened_at, now, discussion.market.holiday_country, discussion.market.time_zone
                ).total_seconds()
            )
            Discussion.objects.filter(pk=discussion.pk, first_reply_seconds__isnull=True).update(
                first_reply_seconds=seconds
            )
            discussion.first_reply_seconds = seconds
    if discussion.mediator_first_message_at and Discussion.objects.filter(
        pk=discussion.pk, seller_replied_to_mediator_at__isnull=True
    ).update(seller_replied_to_mediator_at=now):
        discussion.seller_replied_to_mediator_at = now


def _record_mediator_message(discussion, now):
    """DSC-09: the mediator's first message starts a new 24-business-hour seller deadline."""
    due = rules.reply_deadline(discussion.market, now)
    if Discussion.objects.filter(pk=discussion.pk, mediator_first_message_at__isnull=True).update(
        mediator_first_message_at=now, mediator_reply_due_at=due
    ):
        discussion.mediator_first_message_at, discussion.mediator_reply_due_at = now, due


# --- Buyer's decisions --------------------------------------------------------------


def mark_resolved(discussion, *, buyer, now=None):
    """DSC-16."""
    now = _now(now)
    rules.require(discussion, Role.BUYER, Action.MARK_RESOLVED, now)
    with transaction.atomic():
        _transition(
            discussion,
            actor=buyer,
            role=Role.BUYER,
            now=now,
            to_status=Discussion.Status.RESOLVED,
            to_open=False,
            close_reason=Discussion.CloseReason.BUYER_RESOLVED,
            delivery_close_at=None,
        )
        _supersede_proposals(discussion, now)
        _auto_message(discussion, "RESOLVED_BY_BUYER", now=now)
    return discussion


def mark_unresolved(discussion, *, buyer, now=None):
    """DSC-17: after 7/14 days; the case goes to the mediators' queue (MED-01)."""
    now = _now(now)
    rules.require(discussion, Role.BUYER, Action.MARK_UNRESOLVED, now)
    with transaction.atomic():
        _transition(
            discussion,
            actor=buyer,
            role=Role.BUYER,
            now=now,
            to_status=Discussion.Status.UNRESOLVED,
            to_open=True,
            unresolved_at=now,
            auto_resolve_at=None,
            delivery_close_at=None,
        )
        _auto_message(discussion, "UNRESOLVED_BY_BUYER", now=now)
    return discussion


def ask_for_help(discussion, *, buyer, now=None):
    """DSC-08: the seller missed the deadline; the buyer asks Allegro to join."""
    now = _now(now)
    rules.require(discussion, Role.BUYER, Action.ASK_FOR_HELP, now)
    with transaction.atomic():
        if not Discussion.objects.filter(
            pk=discussion.pk, is_open=True, help_requested_at__isnull=True, seller_replied_at__isnull=True
        ).update(
            help_requested_at=now,
            seller_overdue_at=Coalesce("seller_overdue_at", "reply_due_at"),
            # With Allegro now: no 30-day auto-resolve and no delivery auto-close (DSC-18 decision).
            auto_resolve_at=None,
            delivery_close_at=None,
        ):
            raise ConcurrentUpdate(_("The Discussion changed in the meantime. Reload the page and try again."))
        discussion.refresh_from_db()
        _auto_message(discussion, "HELP_REQUESTED", now=now)
        notify(discussion.seller_account.user, Notification.Kind.NEW_MESSAGE, discussion, now=now)
    return discussion


def reopen_discussion(discussion, *, buyer=None, mediator=None, reason="", now=None):
    """DSC-19: the buyer reopens a closed Discussion once, up to 730 days after the
    purchase; a mediator can reopen at the buyer's request (with a reason) without
    using up the buyer's reopening. A new seller deadline and 30-day period start."""
    now = _now(now)
    if mediator is None:
        rules.require(discussion, Role.BUYER, Action.REOPEN, now)
    elif discussion.is_open:
        raise DomainError(_("The Discussion is open."))
    elif not reason.strip():
        raise DomainError(_("Give the reason for reopening."), field="reason")
    try:
        with transaction.atomic():
            fields = {
                "opened_at": now,
                "closed_at": None,
                "delivery_close_at": None,
                **_reply_window(discussion, now),
                **_thirty_days(now),
            }
            if mediator is None:
                fields["reopen_count"] = discussion.reopen_count + 1
            _transition(
                discussion,
                actor=mediator or buyer,
                role=Role.MEDIATOR if mediator else Role.BUYER,
                now=now,
                to_status=Discussion.Status.IN_PROGRESS,
                to_open=True,
                note=reason,
                expect={"reopen_count": discussion.reopen_count},
                **fields,
            )
            _auto_message(discussion, "REOPENED", now=now)
            notify(
                discussion.seller_account.user,
                Notification.Kind.NEW_DISCUSSION,
                discussion,
                now=now,
                due=discussion.reply_due_at.isoformat(),
            )
    except IntegrityError:
        raise DomainError(_("Another Discussion about this product is open; continue that one.")) from None
    return discussion


# --- Seller's requests and proposals ------------------------------------------------


def request_end(discussion, *, seller, now=None):
    """DSC-12: the seller asks the buyer to mark the Discussion as resolved."""
    now = _now(now)
    rules.require(discussion, Role.SELLER, Action.REQUEST_END, now)
    with transaction.atomic():
        message = post_message(
            discussion, author=seller, role=Role.SELLER, text="", kind=Message.Kind.END_REQUEST, now=now
        )
        _auto_message(discussion, "END_REQUEST", now=now)
        notify(discussion.buyer, Notification.Kind.END_REQUESTED, discussion, now=now)
    return message


def propose_solution(discussion, *, seller, solution, amount=None, percent=None, requires_return=False, now=None):
    """DSC-13: the seller's own solution; a newer proposal replaces a pending one."""
    now = _now(now)
    rules.require(discussion, Role.SELLER, Action.PROPOSE, now)
    solution, amount, percent = validate_expected_solution(
        Reason.PRODUCT_PROBLEM, solution, amount, percent, line_value=discussion.line.total
    )
    with transaction.atomic():
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
        notify(discussion.buyer, Notification.Kind.PROPOSAL, discussion, now=now)
    return proposal


def _seller_system_reply(discussion, seller, now):
    """A seller action that is their reply without a text message of their own."""
    if not Discussion.objects.filter(pk=discussion.pk, is_open=True).update(
        last_message_at=now, last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED
    ):
        raise DomainError(_("The Discussion is closed."), code=CLOSED_ERROR)
    _record_seller_reply(discussion, now)


def _supersede_proposals(discussion, now):
    Proposal.objects.filter(discussion=discussion, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.SUPERSEDED, decided_at=now
    )


def _decide_proposal(discussion, *, buyer, accept, now):
    action = Action.ACCEPT_PROPOSAL if accept else Action.DECLINE_PROPOSAL
    rules.require(discussion, Role.BUYER, action, now)
    proposal = rules.pending_proposal(discussion)
    status = Proposal.Status.ACCEPTED if accept else Proposal.Status.DECLINED
    with transaction.atomic():
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
        _auto_message(discussion, "PROPOSAL_ACCEPTED" if accept else "PROPOSAL_DECLINED", now=now, **params)
        if not accept:
            notify(discussion.seller_account.user, Notification.Kind.NEW_MESSAGE, discussion, now=now)
    proposal.status = status
    return proposal


def accept_proposal(discussion, *, buyer, now=None):
    return _decide_proposal(discussion, buyer=buyer, accept=True, now=_now(now))


def decline_proposal(discussion, *, buyer, now=None):
    return _decide_proposal(discussion, buyer=buyer, accept=False, now=_now(now))


# --- Reports ------------------------------------------------------------------------


def can_report(message, user):
    """RPT-01: only the other party's own (non-automatic) messages, once per user."""
    if message.is_automatic or message.author_id is None or message.author_id == user.pk:
        return False
    return message.author_role in (Role.BUYER, Role.SELLER)


def report_message(message, *, reporter, category, comment="", now=None):
    """RPT-01/02: a report goes to the mediators' moderation queue."""
    now = _now(now)
    discussion = message.discussion
    is_party = reporter.pk in (discussion.buyer_id, discussion.seller_account.user_id)
    if not is_party or not can_report(message, reporter):
        raise DomainError(_("You can report only the other party's replies."))
    if category not in Report.Category.values:
        raise DomainError(_("Choose what the message contains."), field="category")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise DomainError(_("The comment can have at most 1000 characters."), field="comment")
    try:
        with transaction.atomic():
            return Report.objects.create(
                message=message, reporter=reporter, category=category, comment=comment, created_at=now
            )
    except IntegrityError:
        raise DomainError(_("You have already reported this message.")) from None


# --- Mediator hooks (the full back office is its own issue) ---------------------------


def join_discussion(discussion, *, mediator, now=None):
    """MED-02: a mediator joins; both parties see that Allegro joined. While a mediator
    is in, the Discussion is not auto-resolved (DSC-18 decision)."""
    now = _now(now)
    rules.require(discussion, Role.MEDIATOR, Action.JOIN, now)
    with transaction.atomic():
        if not Discussion.objects.filter(pk=discussion.pk, is_open=True, mediator_joined_at__isnull=True).update(
            mediator=mediator,
            mediator_joined_at=now,
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


# --- Order events (DSC-07, DSC-20) --------------------------------------------------

EVENT_CODES = {
    OrderEvent.Kind.TRACKING_ENTERED: "TRACKING_ENTERED",
    OrderEvent.Kind.HANDED_OVER: "HANDED_OVER",
    OrderEvent.Kind.DELIVERED: "DELIVERED",
    OrderEvent.Kind.REFUNDED: "REFUNDED",
}


def handle_order_event(event):
    """Called inside the transaction that records an order event (orders emits the
    `order_event_recorded` signal; discussions/apps.py connects this)."""
    if event.kind not in EVENT_CODES:
        return
    now = event.occurred_at
    order = event.order
    for discussion in Discussion.objects.filter(order=order, is_open=True).select_related(
        "market", "seller_account__user", "buyer", "order"
    ):
        if event.kind == OrderEvent.Kind.REFUNDED and discussion.reason in rules.FULL_REFUND_CLOSES:
            refunded = order.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")
            if refunded >= order.total_amount:
                _close_full_refund(discussion, now)
                continue
        _order_event_message(discussion, event, now)


def _order_event_message(discussion, event, now):
    code = EVENT_CODES[event.kind]
    params = {}
    if event.kind == OrderEvent.Kind.TRACKING_ENTERED:
        params = {"carrier": event.data.get("carrier", ""), "tracking": event.data.get("tracking", "")}
    elif event.kind == OrderEvent.Kind.REFUNDED:
        params = {"amount": event.data.get("amount", "0")}
    elif event.kind == OrderEvent.Kind.DELIVERED:
        params = {"at": now.isoformat()}
    counts = (
        discussion.reason in rules.EVENT_REPLY_REASONS
        and discussion.seller_replied_at is None
        and discussion.reply_due_at is not None
        and now <= discussion.reply_due_at
    )
    waiting = False
    if event.kind == OrderEvent.Kind.DELIVERED and discussion.reason == Reason.NOT_RECEIVED:
        until = now + rules.DELIVERY_OBJECTION_WINDOW
        # Only an IN_PROGRESS Discussion that is not with Allegro closes after delivery, so
        # only it gets the "we will close it in 24 hours" message.
        waiting = bool(
            Discussion.objects.filter(
                pk=discussion.pk,
                is_open=True,
                status=Discussion.Status.IN_PROGRESS,
                help_requested_at__isnull=True,
                mediator_joined_at__isnull=True,
            ).update(delivery_close_at=until)
        )
        if waiting:
            code, params = "DELIVERED_WAITING", {"at": now.isoformat(), "until": until.isoformat()}
            notify(discussion.buyer, Notification.Kind.DELIVERY_DETECTED, discussion, now=now, until=until.isoformat())
    _auto_message(discussion, code, now=now, counts_as_seller_reply=counts, **params)
    if counts:
        Discussion.objects.filter(pk=discussion.pk, is_open=True).update(
            last_message_at=now, last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED
        )
        _record_seller_reply(discussion, now)
    if not waiting:  # the delivery notification already tells the buyer
        notify(discussion.buyer, Notification.Kind.NEW_MESSAGE, discussion, now=now)


def _close_full_refund(discussion, now):
    """DSC-20(a), immediately. Inside the deadline it is also the seller's reply (DSC-07),
    so the first-reply time is recorded for the sales-quality figures."""
    if discussion.seller_replied_at is None and discussion.reply_due_at and now <= discussion.reply_due_at:
        _record_seller_reply(discussion, now)
    _transition(
        discussion,
        actor=None,
        role=Role.SYSTEM,
        now=now,
        to_status=Discussion.Status.RESOLVED,
        to_open=False,
        close_reason=Discussion.CloseReason.FULL_REFUND,
        delivery_close_at=None,
    )
    _supersede_proposals(discussion, now)
    _auto_message(discussion, "CLOSED_FULL_REFUND", now=now)


# --- Mediator decisions (MED-04…07) ---------------------------------------------------


def _require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason; it is recorded in the audit trail."), field="reason")
    return reason


def _snapshot(discussion):
    return {"status": discussion.status, "is_open": discussion.is_open, "close_reason": discussion.close_reason}


def grant_allegro_protect(discussion, *, mediator, amount, reason, now=None):
    """MED-04 / DSC-20(c): Allegro Protect compensation (at most the order value), paid by
    the marketplace without charging the seller; the Discussion closes as resolved."""
    now = _now(now)
    reason = _require_reason(reason)
    if not discussion.is_open:
        raise DomainError(_("The Discussion is closed."))
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount."), field="amount") from None
    if not value.is_finite() or value <= 0 or value > discussion.order.total_amount:
        raise DomainError(
            _("The amount must be more than 0 and at most %(max)s.") % {"max": discussion.order.total_amount},
            field="amount",
        )
    before = _snapshot(discussion)
    with transaction.atomic():
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
        )
        _supersede_proposals(discussion, now)
        _auto_message(discussion, "CLOSED_ALLEGRO_PROTECT", now=now, amount=str(value))
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


def conclude_mediation(discussion, *, mediator, outcome, reason, now=None):
    """MED-05: the mediator concludes with a recorded outcome and the Discussion closes.
    An agreement closes it as resolved; any other outcome leaves it unresolved and
    closed (DSC-15)."""
    now = _now(now)
    reason = _require_reason(reason)
    if outcome not in MediationOutcome.values or outcome == MediationOutcome.ALLEGRO_PROTECT:
        raise DomainError(_("Choose the outcome of the mediation."), field="outcome")
    if not discussion.mediator_active or not discussion.is_open:
        raise DomainError(_("Only an open Discussion that Allegro joined can be concluded."))
    to_status = Discussion.Status.RESOLVED if outcome == MediationOutcome.AGREEMENT else Discussion.Status.UNRESOLVED
    before = _snapshot(discussion)
    with transaction.atomic():
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
        )
        _supersede_proposals(discussion, now)
        _auto_message(discussion, "MEDIATION_CONCLUDED", now=now, outcome=outcome)
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


def reopen_at_buyers_request(discussion, *, mediator, reason, now=None):
    """MED-06 / DSC-19: a mediator reopens a closed Discussion at the buyer's request;
    it does not use up the buyer's one reopening. Audited."""
    now = _now(now)
    reason = _require_reason(reason)
    before = _snapshot(discussion)
    with transaction.atomic():
        reopen_discussion(discussion, mediator=mediator, reason=reason, now=now)
        audit.record(mediator, "REOPEN", discussion, reason=reason, before=before, after=_snapshot(discussion), now=now)
    return discussion


class ReportDecision:
    DISMISS = "DISMISS"
    HIDE = "HIDE"


class Sanction:
    NONE = ""
    WARN = "WARN"
    BLOCK = "BLOCK"


def decide_report(report, *, mediator, decision, sanction=Sanction.NONE, reason, now=None):
    """RPT-03: dismiss the report, or hide the message (kept, visible to mediators,
    shown to the parties as hidden by the marketplace), optionally warning the author
    or blocking their account (they can no longer sign in). Every other open report of
    the same message is settled with it. Audited (MED-07)."""
    now = _now(now)
    reason = _require_reason(reason)
    if decision not in (ReportDecision.DISMISS, ReportDecision.HIDE):
        raise DomainError(_("Choose what to do with the report."), field="decision")
    if sanction not in (Sanction.NONE, Sanction.WARN, Sanction.BLOCK):
        raise DomainError(_("Choose what to do with the report."), field="sanction")
    if decision == ReportDecision.DISMISS and sanction:
        raise DomainError(_("A dismissed report cannot carry a sanction."), field="sanction")
    message = report.message
    status = Report.Status.HIDDEN if decision == ReportDecision.HIDE else Report.Status.DISMISSED
    with transaction.atomic():
        settled = Report.objects.filter(message=message, status=Report.Status.OPEN).update(
            status=status, decided_at=now, decided_by=mediator
        )
        if not settled:
            raise ConcurrentUpdate(_("Another mediator has already decided this report."))
        if decision == ReportDecision.HIDE:
            Message.objects.filter(pk=message.pk, hidden_at__isnull=True).update(hidden_at=now, hidden_by=mediator)
        author = message.author
        if sanction == Sanction.WARN:
            notify(author, Notification.Kind.WARNING, message.discussion, now=now)
        elif sanction == Sanction.BLOCK and author.is_active:
            type(author).objects.filter(pk=author.pk).update(is_active=False)
        audit.record(
            mediator,
            f"REPORT_{decision}",
            report,
            reason=reason,
            before={"status": Report.Status.OPEN},
            after={"status": status, "sanction": sanction, "author": author.pk, "reports_settled": settled},
            now=now,
        )
    report.refresh_from_db()
    return report


def open_on_buyers_behalf(order, *, mediator, line_id, reason, expected_solution="", note, now=None):
    """MED-03: the buyer reported a problem to the marketplace; a mediator opens the
    Discussion for them, marked as opened by Allegro, with the mediator already joined.
    The 1-hour and 730-day windows of DSC-01 still bound it. Audited."""
    now = _now(now)
    note = _require_reason(note)
    window = rules.opening_availability(order, now)
    if not window.allowed:
        raise DomainError(window.reason)
    with transaction.atomic():
        discussion = open_discussion(
            order,
            buyer=order.buyer,
            line_id=line_id,
            reason=reason,
            expected_solution=expected_solution,
            now=now,
            opened_by_mediator=mediator,
        )
        for recipient in _parties(discussion):
            notify(recipient, Notification.Kind.MEDIATOR_JOINED, discussion, now=now)
        audit.record(mediator, "OPEN_ON_BEHALF", discussion, reason=note, after=_snapshot(discussion), now=now)
    return discussion


# --- Seller account blocks (MED-09) ---------------------------------------------------


def block_seller_account(account, *, mediator, statement, rule, discussions=(), now=None):
    """MED-09: block until the reported problems are explained; the block's offers can
    no longer be bought (ORD-03) and the seller sees the statement of reasons."""
    now = _now(now)
    statement = _require_reason(statement)
    if not (rule or "").strip():
        raise DomainError(_("Name the rule the block applies."), field="rule")
    discussions = list(discussions)
    if any(d.seller_account_id != account.pk for d in discussions):
        raise DomainError(_("Choose only Discussions of this seller account."), field="discussions")
    try:
        with transaction.atomic():
            block = SellerBlock.objects.create(
                seller_account=account, statement=statement, rule=rule.strip(), blocked_by=mediator, blocked_at=now
            )
            block.discussions.set(discussions)
            audit.record(
                mediator,
                "BLOCK_SELLER",
                account,
                reason=statement,
                after={"rule": block.rule, "discussions": [d.pk for d in discussions]},
                now=now,
            )
    except IntegrityError:
        raise DomainError(_("This seller account is already blocked.")) from None
    return block


def lift_seller_block(block, *, mediator, reason, now=None):
    now = _now(now)
    reason = _require_reason(reason)
    with transaction.atomic():
        if not SellerBlock.objects.filter(pk=block.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=mediator, lift_reason=reason
        ):
            raise ConcurrentUpdate(_("The block has already been lifted."))
        audit.record(mediator, "LIFT_SELLER_BLOCK", block.seller_account, reason=reason, now=now)
    block.refresh_from_db()
    return block


MAX_COMPLAINT_LENGTH = 5_000


def file_block_complaint(block, *, seller_user, text, now=None):
    """MED-09 / EU DSA art. 20: the blocked account's own user files one complaint against
    an active block, at the latest 6 calendar months after it (`SellerBlock.complaint_due_at`).
    Audited, with the seller as the actor."""
    now = _now(now)
    if block.seller_account.user_id != seller_user.pk:
        raise DomainError(_("Only the blocked seller account can file a complaint against its block."))
    if not block.is_active:
        raise DomainError(_("The block has been lifted; there is nothing to complain against."))
    if block.complaint_filed_at is not None:
        raise DomainError(_("You have already filed a complaint against this block; one complaint is possible."))
    if now > block.complaint_due_at:
        raise DomainError(
            _("The time to complain against this block ended on %(date)s.")
            % {"date": market_time(block.complaint_due_at, block.seller_account.market)}
        )
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write why the block should be lifted."), field="text")
    if len(text) > MAX_COMPLAINT_LENGTH:
        raise DomainError(
            _("A complaint can have at most %(max)s characters; yours has %(count)s.")
            % {"max": f"{MAX_COMPLAINT_LENGTH:,}".replace(",", "\u00a0"), "count": len(text)},
            field="text",
        )
    with transaction.atomic():
        # One complaint per block: of two submissions, only the first matches the row.
        if not SellerBlock.objects.filter(pk=block.pk, lifted_at__isnull=True, complaint_filed_at__isnull=True).update(
            complaint_text=text, complaint_filed_at=now
        ):
            raise ConcurrentUpdate(
                _("The block changed in the meantime: a complaint was already filed or the block was lifted.")
            )
        audit.record(
            seller_user,
            "FILE_BLOCK_COMPLAINT",
            block,
            reason=text,
            after={"complaint_filed_at": now.isoformat()},
            now=now,
        )
    block.refresh_from_db()
    return block


def _block_snapshot(block):
    return {"is_active": block.is_active, "complaint_decision": block.complaint_decision}


def decide_block_complaint(block, *, mediator, decision, reason, now=None):
    """MED-09 / EU DSA art. 20: a mediator other than the one who blocked decides the open
    complaint. UPHELD lifts the block in the same transaction (its offers can be bought
    again); REJECTED keeps it. Audited (MED-07)."""
    now = _now(now)
    reason = _require_reason(reason)
    if decision not in SellerBlock.ComplaintDecision.values:
        raise DomainError(_("Choose the decision on the complaint."), field="decision")
    if mediator.pk == block.blocked_by_id:
        raise DomainError(
            _("You blocked this account, so another mediator must decide the complaint against the block.")
        )
    if not block.has_open_complaint:
        raise DomainError(_("There is no open complaint against this block."))
    before = _block_snapshot(block)
    with transaction.atomic():
        if not SellerBlock.objects.filter(
            pk=block.pk, complaint_filed_at__isnull=False, complaint_decided_at__isnull=True
        ).update(
            complaint_decision=decision,
            complaint_decided_by=mediator,
            complaint_decided_at=now,
            complaint_decision_reason=reason,
        ):
            raise ConcurrentUpdate(_("Another mediator has already decided this complaint."))
        if decision == SellerBlock.ComplaintDecision.UPHELD:
            # A block lifted in the meantime keeps its own lift (who, when, why).
            SellerBlock.objects.filter(pk=block.pk, lifted_at__isnull=True).update(
                lifted_at=now, lifted_by=mediator, lift_reason=reason
            )
        block.refresh_from_db()
        audit.record(
            mediator,
            "DECIDE_BLOCK_COMPLAINT",
            block,
            reason=reason,
            before=before,
            after=_block_snapshot(block),
            now=now,
        )
    return block


def active_block(account):
    return SellerBlock.objects.filter(seller_account=account, lifted_at__isnull=True).first()


def blocked_seller_refusal(*, buyer, offer, now):
    """ORD-03 purchase check (registered in apps.py): a blocked account's offers cannot be bought."""
    if SellerBlock.objects.filter(seller_account_id=offer.seller_account_id, lifted_at__isnull=True).exists():
        return _("This seller cannot sell at the moment. Choose an offer of another seller.")
    return None
