"""NTF-01/02: notifications are written in the transaction of their event (an outbox);
`send_outbox` mails each one once, in the recipient's language."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.markets import site_url

from .models import Notification

logger = logging.getLogger(__name__)

OUTBOX_BATCH = 200


def notify(recipient, kind, discussion, *, now, **params):
    """Queue a notification (in-app now, e-mail through the outbox)."""
    params.setdefault("number", discussion.number if discussion else "")
    return Notification.objects.create(
        recipient=recipient, kind=kind, discussion=discussion, params=params, created_at=now
    )


def recipient_language(user, market=None):
    """The language a user reads the site in: their last choice, else the language of the
    market the Discussion is on (a buyer of allegro.cz reads Czech), else the default.
    Never the language of whoever caused the notification (I18N-01)."""
    profile = getattr(user, "profile", None)
    return getattr(profile, "language", "") or getattr(market, "language", "") or settings.LANGUAGE_CODE


def render_email(notification):
    from .texts import render_notification_subject

    discussion = notification.discussion
    market = discussion.market
    with translation.override(recipient_language(notification.recipient, market)):
        subject = render_notification_subject(notification.kind, notification.params, market)
        is_buyer = notification.recipient_id == discussion.buyer_id
        link = discussion.get_absolute_url() if is_buyer else discussion.get_seller_url()
        body = render_to_string(
            "emails/notification.txt",
            {"subject": subject, "link": site_url(market.code) + link, "user": notification.recipient},
        )
    return subject, body


def send_outbox(now=None, batch=OUTBOX_BATCH):
    """Send pending e-mails. Each row is claimed with a compare-and-set (PENDING →
    SENDING) before sending, so two workers or a repeated run never send it twice.
    Returns the number sent."""
    now = now or timezone.now()
    pending = list(
        Notification.objects.filter(email_status=Notification.EmailStatus.PENDING)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    sent = 0
    for pk in pending:
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=pk, email_status=Notification.EmailStatus.PENDING).update(
                email_status=Notification.EmailStatus.SENDING, email_claimed_at=now
            )
        if not claimed:
            continue
        notification = Notification.objects.select_related("recipient", "discussion__market").get(pk=pk)
        try:
            subject, body = render_email(notification)
            if notification.recipient.email:
                send_mail(subject, body, None, [notification.recipient.email])
        except Exception:
            logger.exception("Sending notification %s failed", pk)
            Notification.objects.filter(pk=pk).update(email_status=Notification.EmailStatus.FAILED)
            continue
        Notification.objects.filter(pk=pk).update(
            email_status=Notification.EmailStatus.SENT, email_sent_at=timezone.now()
        )
        sent += 1
    return sent
