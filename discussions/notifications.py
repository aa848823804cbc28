"""NTF-01/02 and SAFE-05: notifications are written in the transaction of their event (an
outbox); `send_outbox` mails each one in the recipient's language, and no mail is lost.

Each try claims its row with a compare-and-set (PENDING → SENDING, counting the try)
before it talks to the mail server, so two workers or a repeated run never send a row
at once. A try the server refused or did not answer within EMAIL_TIMEOUT puts the row
back in PENDING, due after the next of NOTIFICATION_RETRY_DELAYS; after the last the row
is FAILED, and mediators see it and can send it again (`retry_email`). A row whose worker
died mid-send stays SENDING: once NOTIFICATION_SENDING_TIMEOUT has passed since its claim
that try counts as failed and the row is taken up again. Such a mail may then reach the
server twice; it carries the same Message-ID both times (`message_id`), so the
recipient's client shows it once.
"""

import logging
import smtplib
import time
from datetime import UTC
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.markets import site_url
from orders import audit

from .models import Notification

logger = logging.getLogger(__name__)

OUTBOX_BATCH = 200
# Each try may wait EMAIL_TIMEOUT at each SMTP step; a run stops taking up rows after
# this many seconds, well inside django-q2's timeout (240 s); the next tick goes on.
RUN_BUDGET_SECONDS = 60
MAX_ERROR_LENGTH = 1000

EmailStatus = Notification.EmailStatus


def notify(recipient, kind, discussion, *, now, **params):
    """Queue a notification (in-app now, e-mail through the outbox)."""
    params.setdefault("number", discussion.number if discussion else "")
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        discussion=discussion,
        params=params,
        created_at=now,
        email_next_attempt_at=now,
    )


def recipient_language(user, market=None):
    """The language a user reads the site in: their last choice, else the language of the
    market the Discussion is on (a buyer of allegro.cz reads Czech), else the default.
    Never the language of whoever caused the notification (I18N-01)."""
    profile = getattr(user, "profile", None)
    return getattr(profile, "language", "") or getattr(market, "language", "") or settings.LANGUAGE_CODE


def mail_site_url(market):
    """UX-04: the address links in mail start with: the market's own site address (set on
    the market in the admin), else MARKET_SITE_URLS / SITE_URL of the server's settings."""
    return (getattr(market, "site_url", "") or "").rstrip("/") or site_url(market.code)


def _quoted_message(notification, market):
    """UX-04: the message a NEW_MESSAGE notification is about, as its reader sees it on the
    page: (author, text); None when there is none to show (hidden by Allegro, gone)."""
    from .models import Message, Role
    from .texts import render_automatic

    pk = notification.params.get("message")
    if not pk:
        return None
    message = Message.objects.filter(pk=pk, discussion_id=notification.discussion_id, hidden_at__isnull=True).first()
    if message is None:
        return None
    authors = {Role.MEDIATOR: _("Allegro"), Role.SYSTEM: _("Automatic message"), Role.BUYER: _("Buyer")}
    author = authors.get(message.author_role, _("Seller"))
    if message.kind == Message.Kind.AUTOMATIC:
        return author, render_automatic(message.auto_code, message.auto_params, market)
    if message.kind == Message.Kind.END_REQUEST and not message.text:
        return author, _("The seller asks you to mark the Discussion as resolved.")
    return author, message.text


def render_email(notification):
    """UX-04: the notification's mail in the recipient's language: subject, plain text and
    HTML, saying what happened (the message, the new status and why, the deadline in the
    market's time) with a link from the market's site address."""
    from .texts import notification_details, render_notification_subject

    discussion = notification.discussion
    market = discussion.market
    with translation.override(recipient_language(notification.recipient, market)):
        subject = render_notification_subject(notification.kind, notification.params, market)
        paragraphs, facts = notification_details(notification.kind, notification.params, market)
        if notification.kind in (Notification.Kind.NEW_DISCUSSION, Notification.Kind.REOPENED):
            facts[:0] = [(_("Reason"), discussion.get_reason_display()), (_("Product"), discussion.line.title)]
        is_buyer = notification.recipient_id == discussion.buyer_id
        link = discussion.get_absolute_url() if is_buyer else discussion.get_seller_url()
        context = {
            "subject": subject,
            "paragraphs": paragraphs,
            "facts": facts,
            "quote": _quoted_message(notification, market),
            "link": mail_site_url(market) + link,
            "user": notification.recipient,
            "language": translation.get_language(),
        }
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    return subject, text, html


def message_id(notification):
    """SAFE-05: the mail's Message-ID, derived from the row (its public ID, not its
    database key) and the sender's domain: the same at every try."""
    _name, at, domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")
    return f"<notification.{notification.public_id}@{domain if at and domain else DNS_NAME}>"


def send_outbox(now=None, batch=OUTBOX_BATCH):
    """Send the due e-mails: first take up rows left SENDING by a dead worker, then try
    the due PENDING rows, oldest due first, batch after batch (each read through a
    partial index) until none is due or the run's time budget is used (OPS-04: one batch
    per run capped the outbox at 200 mails a minute, whatever the number of task nodes).
    A try that fails makes its row due later than `now`, so a run never tries a row twice.
    Returns the number sent."""
    now = (now or timezone.now()).astimezone(UTC)
    _take_up_abandoned(now, batch)
    started = time.monotonic()
    sent = 0
    while True:
        due = list(
            Notification.objects.filter(email_status=EmailStatus.PENDING, email_next_attempt_at__lte=now)
            .order_by("email_next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        for pk in due:
            if time.monotonic() - started > RUN_BUDGET_SECONDS:
                return sent
            sent += _try(pk, now)
        if len(due) < batch:
            return sent


def _try(pk, now):
    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=pk, email_status=EmailStatus.PENDING, email_next_attempt_at__lte=now
        ).update(
            email_status=EmailStatus.SENDING,
            email_claimed_at=now,
            email_next_attempt_at=None,
            email_attempts=F("email_attempts") + 1,
        )
    if not claimed:
        return 0
    notification = Notification.objects.select_related(
        "recipient__profile", "discussion__market", "discussion__line"
    ).get(pk=pk)
    try:
        if notification.recipient.email:
            subject, text, html = render_email(notification)
            mail = EmailMultiAlternatives(
                subject, text, None, [notification.recipient.email], headers={"Message-ID": message_id(notification)}
            )
            mail.attach_alternative(html, "text/html")
            mail.send()
    except Exception as error:
        logger.exception("Sending notification %s failed (try %s)", pk, notification.email_attempts)
        _fail_try(pk, notification.email_attempts, _describe(error), now)
        return 0
    # Unconditional: the mail was delivered, even if a slow try was taken over meanwhile.
    Notification.objects.filter(pk=pk).update(email_status=EmailStatus.SENT, email_sent_at=timezone.now())
    return 1


def _describe(error):
    """The error as a mediator reads it: the server's own answer where there is one."""
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        return f"{error.smtp_code} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}"
    return f"{type(error).__name__}: {error}"


def _fail_try(pk, attempt, error, now, *, due_at=None):
    """End try number `attempt` of row `pk` as failed: back to PENDING, due after the next
    retry delay (or at `due_at`), or FAILED once the tries are used up. Compare-and-set
    on the try's number, so a try that was taken over does not undo the newer one."""
    delays = settings.NOTIFICATION_RETRY_DELAYS
    if attempt <= len(delays):
        outcome = {
            "email_status": EmailStatus.PENDING,
            "email_next_attempt_at": due_at or now + delays[max(attempt, 1) - 1],
        }
    else:
        outcome = {"email_status": EmailStatus.FAILED, "email_next_attempt_at": None}
    return Notification.objects.filter(pk=pk, email_status=EmailStatus.SENDING, email_attempts=attempt).update(
        email_last_error=error[:MAX_ERROR_LENGTH], **outcome
    )


def _take_up_abandoned(now, batch):
    """Rows still SENDING NOTIFICATION_SENDING_TIMEOUT after their claim: their worker
    died mid-send (a live one has finished or been killed by then). The try counts as
    failed; the row is due at once, the timeout having been its wait."""
    timeout = settings.NOTIFICATION_SENDING_TIMEOUT
    abandoned = (
        Notification.objects.filter(email_status=EmailStatus.SENDING, email_claimed_at__lte=now - timeout)
        .order_by("email_claimed_at", "pk")
        .values_list("pk", "email_attempts")[:batch]
    )
    for pk, attempt in list(abandoned):
        error = f"No result {timeout} after the try began: its worker stopped."
        if _fail_try(pk, attempt, error, now, due_at=now):
            logger.warning("Notification %s: try %s never finished; taken up again", pk, attempt)


def retry_email(notification, *, mediator, now=None):
    """SAFE-05: a mediator sends again the e-mail of a row that used up its tries: it is
    back in the outbox, due now, with a full set of tries. Audited (MED-07) on the
    notification's Discussion, where mediators look for what happened to a case."""
    now = (now or timezone.now()).astimezone(UTC)
    before = {
        "email_status": notification.email_status,
        "email_attempts": notification.email_attempts,
        "email_last_error": notification.email_last_error,
    }
    with transaction.atomic():
        if not Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.FAILED).update(
            email_status=EmailStatus.PENDING, email_attempts=0, email_next_attempt_at=now
        ):
            raise DomainError(_("Only an e-mail that used up its tries can be sent again."))
        audit.record(
            mediator,
            "RETRY_EMAIL",
            notification.discussion or notification,
            before=before,
            after={"notification": notification.pk, "email_status": EmailStatus.PENDING},
            now=now,
        )
    notification.refresh_from_db()
    return notification


def outbox_metrics(now=None):
    """OPS-05: the outbox's backlog for /metrics (core.ops.register_metrics), read through
    the outbox's partial indexes: mails waiting (PENDING) and being sent (SENDING), and how
    long the oldest due one has been waiting."""
    from django.db.models import Count, Min, Q
    from prometheus_client.core import GaugeMetricFamily

    now = now or timezone.now()
    backlog = GaugeMetricFamily(
        "desk_outbox_backlog", "Notification mails not yet sent, by state (SAFE-05).", labels=["state"]
    )
    pending = Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).aggregate(
        count=Count("pk"),
        due=Count("pk", filter=Q(email_next_attempt_at__lte=now)),
        oldest=Min("email_next_attempt_at"),
    )
    sending = Notification.objects.filter(email_status=Notification.EmailStatus.SENDING).count()
    backlog.add_metric(["pending"], pending["count"])
    backlog.add_metric(["due"], pending["due"])
    backlog.add_metric(["sending"], sending)
    oldest = GaugeMetricFamily(
        "desk_outbox_oldest_due_seconds", "How long the oldest due notification mail has waited (0 if none)."
    )
    waited = (now - pending["oldest"]).total_seconds() if pending["oldest"] else 0
    oldest.add_metric([], max(waited, 0))
    return [backlog, oldest]
