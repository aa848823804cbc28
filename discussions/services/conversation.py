"""The buyer's and the seller's conversation: opening a Discussion (DSC-01…05),
messages (DSC-11), the buyer's decisions and reopening (DSC-16…19)."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from core.business_time import business_time_between
from core.dates import market_time
from core.errors import ConcurrentUpdate, DomainError
from core.money import money
from core.once import consume
from core.uploads import check_uploads
from orders import audit
from orders.models import OrderLine

from .. import rules
from ..models import Attachment, Discussion, Message, Notification, Reason, Role, Solution
from ..notifications import notify
from ..rules import Action
from .transitions import (
    STATE_CHANGED,
    _auto_message,
    _now,
    _parties,
    _record_change,
    _require_seen,
    _supersede_proposals,
    _transition,
    what_changed,
)

MAX_MESSAGE_LENGTH = 20_000  # the marketplace's public API limit (DSC-11)
MAX_ATTACHMENTS = 5

CLOSED_ERROR = "closed"


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


def _writing_language():
    """The language a person's message is written in: the interface language they are
    using (the request's, or the API's Accept-Language)."""
    language = translation.get_language() or ""
    return language if language in dict(settings.LANGUAGES) else ""


def _reply_window(discussion, start):
    return {
        "reply_due_at": rules.reply_deadline(discussion.market, start),
        "reply_warning_at": rules.reply_warning_instant(discussion.market, start),
        "seller_replied_at": None,
        "seller_overdue_at": None,
        "deadline_warning_sent_at": None,
        "help_requested_at": None,
    }


def _mediation_over():
    """DSC-25: a reopening starts without the earlier mediation's deadline and flags (its
    join and conclusion stay on record; a mediator may join anew)."""
    return {
        "mediator_first_message_at": None,
        "mediator_reply_due_at": None,
        "seller_replied_to_mediator_at": None,
        "seller_ignored_mediator_at": None,
    }


def _thirty_days(start):
    return {
        "auto_resolve_at": start + rules.AUTO_RESOLVE_AFTER,
        "reminder_7d_sent_at": None,
        "reminder_1d_sent_at": None,
    }


# --- Opening ------------------------------------------------------------------------


def validate_expected_solution(reason, solution, amount, percent, *, line_value, currency=""):
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
                _("The amount must be more than 0 and at most %(max)s.")
                % {"max": money(line_value, currency) if currency else line_value},
                field="expected_amount",
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
    once=None,
):
    """DSC-01…05: the buyer (or a mediator on their behalf, MED-03) starts a Discussion
    about one order line; the automatic first message starts it; the seller has 24
    business hours to reply. `once`: the form's submission (SAFE-01, core.once)."""
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
        reason,
        expected_solution,
        expected_amount,
        expected_percent,
        line_value=line.total,
        currency=order.market.currency,
    )
    text = _clean_text(text, required=False)
    checked = _check_files(files)
    market = order.market
    try:
        with transaction.atomic():
            claim = consume(once)
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
            claim.done(discussion)
    except IntegrityError:
        raise DomainError(
            _("There is already an open Discussion about this product. Continue it instead."), field="line"
        ) from None
    return discussion


# --- Messages -----------------------------------------------------------------------


def post_message(discussion, *, author, role, text, files=(), kind=Message.Kind.REGULAR, now=None, once=None):
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
        consume(once)
        updates = {"last_message_at": now, "last_message_status": _last_status(role)}
        if not Discussion.objects.filter(pk=discussion.pk, is_open=True).update(**updates):
            raise DomainError(
                _("The Discussion was closed a moment ago; your message was not sent. It is kept below."),
                field="text",
                code=CLOSED_ERROR,
            )
        for key, value in updates.items():
            setattr(discussion, key, value)
        if role == Role.BUYER and Discussion.objects.filter(pk=discussion.pk, delivery_close_at__gt=now).update(
            delivery_close_at=None
        ):
            # DSC-20(b)/23: only a message before the close instant cancels the auto-close.
            discussion.delivery_close_at = None
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
                    notify(recipient, Notification.Kind.NEW_MESSAGE, discussion, now=now, message=message.pk)
    return message


def _last_status(role):
    return {
        Role.BUYER: Discussion.LastMessageStatus.BUYER_REPLIED,
        Role.SELLER: Discussion.LastMessageStatus.SELLER_REPLIED,
        Role.MEDIATOR: Discussion.LastMessageStatus.ALLEGRO_ADVISOR_REPLIED,
    }[role]


def _record_seller_reply(discussion, now):
    """DSC-07/09/10: the first seller reply of the current opening (and the first to a
    mediator) is recorded once, by compare-and-set. DSC-23: a first reply after the
    deadline is late whenever the sweep runs: the reply itself marks the seller overdue
    (as the sweep would have at the deadline) and, after the mediator's deadline, as
    ignoring Allegro (MED-08)."""
    if Discussion.objects.filter(pk=discussion.pk, seller_replied_at__isnull=True).update(seller_replied_at=now):
        discussion.seller_replied_at = now
        if rules.late(now, discussion.reply_due_at) and Discussion.objects.filter(
            pk=discussion.pk, seller_overdue_at__isnull=True
        ).update(seller_overdue_at=discussion.reply_due_at):
            discussion.seller_overdue_at = discussion.reply_due_at
            _auto_message(discussion, "SELLER_OVERDUE", now=discussion.reply_due_at)
            notify(discussion.buyer, Notification.Kind.DEADLINE_MISSED, discussion, now=now)
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
        if rules.late(now, discussion.mediator_reply_due_at) and Discussion.objects.filter(
            pk=discussion.pk, seller_ignored_mediator_at__isnull=True
        ).update(seller_ignored_mediator_at=discussion.mediator_reply_due_at):
            discussion.seller_ignored_mediator_at = discussion.mediator_reply_due_at


def _record_mediator_message(discussion, now):
    """DSC-09: the mediator's first message starts a new 24-business-hour seller deadline."""
    due = rules.reply_deadline(discussion.market, now)
    if Discussion.objects.filter(pk=discussion.pk, mediator_first_message_at__isnull=True).update(
        mediator_first_message_at=now, mediator_reply_due_at=due
    ):
        discussion.mediator_first_message_at, discussion.mediator_reply_due_at = now, due


# --- Buyer's decisions --------------------------------------------------------------


def mark_resolved(discussion, *, buyer, now=None, once=None, seen_version=None):
    """DSC-16."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    rules.require(discussion, Role.BUYER, Action.MARK_RESOLVED, now)
    with transaction.atomic():
        consume(once)
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


def mark_unresolved(discussion, *, buyer, now=None, once=None, seen_version=None):
    """DSC-17: after 7/14 days; the case goes to the mediators' queue (MED-01)."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    rules.require(discussion, Role.BUYER, Action.MARK_UNRESOLVED, now)
    with transaction.atomic():
        consume(once)
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


def ask_for_help(discussion, *, buyer, now=None, once=None, seen_version=None):
    """DSC-08: the seller missed the deadline; the buyer asks Allegro to join."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    rules.require(discussion, Role.BUYER, Action.ASK_FOR_HELP, now)
    with transaction.atomic():
        consume(once)
        if not Discussion.objects.filter(
            # DSC-24: no reply, or a late one.
            Q(seller_replied_at__isnull=True) | Q(seller_replied_at__gt=F("reply_due_at")),
            pk=discussion.pk,
            is_open=True,
            help_requested_at__isnull=True,
            version=discussion.version,
        ).update(
            version=discussion.version + 1,
            help_requested_at=now,
            seller_overdue_at=Coalesce("seller_overdue_at", "reply_due_at"),
            # With Allegro now: no 30-day auto-resolve and no delivery auto-close (DSC-18 decision).
            auto_resolve_at=None,
            delivery_close_at=None,
        ):
            raise ConcurrentUpdate(what_changed(discussion), code=STATE_CHANGED)
        discussion.refresh_from_db()
        message = _auto_message(discussion, "HELP_REQUESTED", now=now)
        notify(discussion.seller_account.user, Notification.Kind.NEW_MESSAGE, discussion, now=now, message=message.pk)
    return discussion


def reopen_discussion(discussion, *, buyer=None, mediator=None, reason="", now=None, once=None, seen_version=None):
    """DSC-19: the buyer reopens a closed Discussion once, up to 730 days after the
    purchase; a mediator can reopen at the buyer's request (with a reason) without
    using up the buyer's reopening. A new seller deadline and 30-day period start."""
    now = _now(now)
    _require_seen(discussion, seen_version)
    if mediator is None:
        rules.require(discussion, Role.BUYER, Action.REOPEN, now)
    elif discussion.is_open:
        raise DomainError(_("The Discussion is open."))
    elif not reason.strip():
        raise DomainError(_("Give the reason for reopening."), field="reason")
    try:
        with transaction.atomic():
            consume(once)
            fields = {
                "opened_at": now,
                "closed_at": None,
                "delivery_close_at": None,
                **_reply_window(discussion, now),
                **_thirty_days(now),
                **_mediation_over(),
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
            # UX-04: the seller's mail says the Discussion was reopened, not that it is new.
            notify(
                discussion.seller_account.user,
                Notification.Kind.REOPENED,
                discussion,
                now=now,
                due=discussion.reply_due_at.isoformat(),
            )
    except IntegrityError:
        raise DomainError(_("Another Discussion about this product is open; continue that one.")) from None
    return discussion
