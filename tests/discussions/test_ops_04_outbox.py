"""OPS-04: the mail outbox keeps up with a cluster's load: a run sends every due mail within its
time budget, batch after batch, not one batch per schedule tick."""

from discussions import notifications
from discussions.models import Notification
from tests.discussions import test_safe_05_mail
from tests.discussions.conftest import HOUR, OPENED
from tests.discussions.test_safe_05_mail import three_notifications

smtp_server = test_safe_05_mail.smtp_server  # the real SMTP server fixture of the SAFE-05 tests


def test_ops_04_one_outbox_run_drains_more_than_one_batch(smtp_server, offer, buyer, seller):
    rows = three_notifications(offer, buyer, seller)
    assert notifications.send_outbox(now=OPENED + 2 * HOUR, batch=1) == 3
    assert len(smtp_server.received) == 3
    statuses = set(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("email_status", flat=True))
    assert statuses == {Notification.EmailStatus.SENT}


def test_ops_04_a_run_tries_a_refused_mail_once_and_still_sends_the_rest(smtp_server, offer, buyer, seller):
    rows = three_notifications(offer, buyer, seller)
    smtp_server.script = ["refuse"]
    assert notifications.send_outbox(now=OPENED + 2 * HOUR, batch=1) == 2
    first = Notification.objects.get(pk=rows[0].pk)
    assert (first.email_status, first.email_attempts) == (Notification.EmailStatus.PENDING, 1)
