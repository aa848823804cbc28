"""Reports of violations: a party reports the other party's message (RPT-01/02); a
mediator dismisses it or hides the message, optionally warning or blocking the author
(RPT-03), audited (MED-07)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError
from core.once import consume
from orders import audit

from ..models import Message, Notification, Report, Role
from ..notifications import notify
from .transitions import _now, _require_reason


def can_report(message, user):
    """RPT-01: only the other party's own (non-automatic) messages, once per user."""
    if message.is_automatic or message.author_id is None or message.author_id == user.pk:
        return False
    return message.author_role in (Role.BUYER, Role.SELLER)


def report_message(message, *, reporter, category, comment="", now=None, once=None):
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
            consume(once)
            return Report.objects.create(
                message=message, reporter=reporter, category=category, comment=comment, created_at=now
            )
    except IntegrityError:
        raise DomainError(_("You have already reported this message.")) from None


class ReportDecision:
    DISMISS = "DISMISS"
    HIDE = "HIDE"


class Sanction:
    NONE = ""
    WARN = "WARN"
    BLOCK = "BLOCK"


def decide_report(report, *, mediator, decision, sanction=Sanction.NONE, reason, now=None, once=None):
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
        consume(once)
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
