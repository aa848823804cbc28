"""SAFE-05: notification mail is never lost.

The outbox (discussions/notifications.py) talks to a real SMTP server started by the test
(aiosmtpd, on a free loopback port) and scripted to refuse, hang and accept. The server
counts the messages it accepted per Message-ID, so "arrives exactly once" is what a mail
client would see. Every run of the outbox gets an explicit `now=`; the only real waiting
is the client giving up on a hanging server after EMAIL_TIMEOUT (1 s here), and every
hang of the server is bounded.
"""

import asyncio
import contextlib
import smtplib
import socket
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.mail.backends import smtp
from django.db import connection
from django.urls import reverse

from discussions import notifications, services
from discussions.models import Discussion, Notification, Role
from orders.models import AuditRecord
from tests.discussions.conftest import DAY, HOUR, OPENED, SECOND, make_order, open_discussion
from tests.discussions.test_tasks import _indexes_read, _sweep_selects
from tests.factories import UserFactory

Status = Notification.EmailStatus
MINUTE = timedelta(minutes=1)
HANG_BOUND = 10  # seconds a hanging server keeps a client waiting, at most
CHANGELIST = "admin:discussions_notification_changelist"


class ScriptedSMTP:
    """An aiosmtpd handler that answers each message's DATA with the next step of
    `script`, or with `otherwise` once the script is used up:

    - "refuse": 451, a temporary refusal;
    - "reject": 550, a permanent one;
    - "hang": no answer for longer than the client's EMAIL_TIMEOUT (bounded by HANG_BOUND,
      then 451: a client still waiting would see that answer);
    - "accept": 250, counted in `accepted` under the message's Message-ID.
    """

    def __init__(self):
        self.script = []
        self.otherwise = "accept"
        self.received = []  # the Message-ID of every message whose DATA arrived, in order
        self.accepted = Counter()  # Message-ID → times accepted
        self.messages = []  # the accepted messages
        self.release = asyncio.Event()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.received.append(message["Message-ID"])
        step = self.script.pop(0) if self.script else self.otherwise
        if step == "refuse":
            return "451 4.3.0 Mail server busy, try again later"
        if step == "reject":
            return "550 5.7.1 Refused"
        if step == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), HANG_BOUND)
            return "451 4.4.2 Answered too late"
        self.accepted[message["Message-ID"]] += 1
        self.messages.append(message)
        return "250 2.0.0 Accepted"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to, with a 1 s
    EMAIL_TIMEOUT."""
    handler = ScriptedSMTP()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
    yield handler
    controller.loop.call_soon_threadsafe(handler.release.set)
    controller.stop()


def three_notifications(offer, buyer, seller):
    """Two Discussions opened at OPENED (a notification to the seller each) and the
    seller's message in the first an hour later (one to the buyer)."""
    first = open_discussion(make_order(offer, buyer))
    open_discussion(make_order(offer, buyer))
    services.post_message(first, author=seller, role=Role.SELLER, text="Wysłane wczoraj.", now=OPENED + HOUR)
    rows = list(Notification.objects.order_by("created_at", "pk"))
    assert len(rows) == 3
    return rows


def fresh(notification):
    return Notification.objects.get(pk=notification.pk)


# --- the outage: refuse, hang, accept ------------------------------------------------------


def test_safe_05_every_notification_arrives_exactly_once_through_refusals_and_a_hang(smtp_server, offer, buyer, seller):
    rows = three_notifications(offer, buyer, seller)
    ids = [notifications.message_id(row) for row in rows]
    first_try = OPENED + 2 * HOUR

    smtp_server.script = ["refuse", "reject", "refuse"]
    assert notifications.send_outbox(now=first_try) == 0
    assert smtp_server.received == ids
    for row in rows:
        row = fresh(row)
        assert (row.email_status, row.email_attempts) == (Status.PENDING, 1)
        assert row.email_next_attempt_at == first_try + django_settings.NOTIFICATION_RETRY_DELAYS[0]
    assert "451" in fresh(rows[0]).email_last_error
    assert "550" in fresh(rows[1]).email_last_error

    # Not due yet: the server hears nothing.
    assert notifications.send_outbox(now=first_try + 30 * SECOND) == 0
    assert len(smtp_server.received) == 3

    # The server hangs on the first mail: the client gives up after EMAIL_TIMEOUT and goes on.
    second_try = first_try + django_settings.NOTIFICATION_RETRY_DELAYS[0]
    smtp_server.script = ["hang", "accept", "refuse"]
    started = time.monotonic()
    assert notifications.send_outbox(now=second_try) == 1
    assert time.monotonic() - started < HANG_BOUND / 2
    hung = fresh(rows[0])
    assert (hung.email_status, hung.email_attempts) == (Status.PENDING, 2)
    assert "Answered too late" not in hung.email_last_error  # the client did not wait for the answer
    assert hung.email_next_attempt_at == second_try + django_settings.NOTIFICATION_RETRY_DELAYS[1]
    assert fresh(rows[1]).email_status == Status.SENT

    # The server is back.
    third_try = second_try + django_settings.NOTIFICATION_RETRY_DELAYS[1]
    assert notifications.send_outbox(now=third_try) == 2
    assert notifications.send_outbox(now=third_try + 30 * DAY) == 0

    assert smtp_server.accepted == Counter(dict.fromkeys(ids, 1))
    assert [fresh(row).email_status for row in rows] == [Status.SENT] * 3
    by_id = {message["Message-ID"]: message for message in smtp_server.messages}
    for row, message_id in zip(rows, ids, strict=True):
        assert by_id[message_id]["To"] == row.recipient.email
    # The first mail reached the server three times (refused, hung, accepted) under one Message-ID.
    assert smtp_server.received.count(ids[0]) == 3


def test_safe_05_each_mail_has_a_stable_message_id_of_its_own(smtp_server, offer, buyer, seller):
    rows = three_notifications(offer, buyer, seller)
    ids = [notifications.message_id(row) for row in rows]
    assert len(set(ids)) == 3
    assert ids == [notifications.message_id(fresh(row)) for row in rows]  # derived from the row alone
    for message_id in ids:
        assert message_id.startswith("<") and message_id.endswith("@localhost>")  # DEFAULT_FROM_EMAIL's domain
        assert message_id.count("@") == 1

    smtp_server.script = ["refuse"]
    notifications.send_outbox(now=OPENED + 2 * HOUR)
    notifications.send_outbox(now=OPENED + 3 * HOUR)
    assert smtp_server.received == [*ids, ids[0]]


# --- the backoff schedule ----------------------------------------------------------------


def test_safe_05_the_default_schedule_tries_at_least_6_times_over_24_hours_with_growing_delays():
    delays = django_settings.NOTIFICATION_RETRY_DELAYS
    assert len(delays) + 1 >= 6
    assert all(earlier < later for earlier, later in zip(delays, delays[1:], strict=False))
    assert sum(delays, timedelta()) >= timedelta(hours=24)


def test_safe_05_email_timeout_is_set_and_a_sending_row_outlives_any_live_send():
    assert 0 < django_settings.EMAIL_TIMEOUT <= 30
    bound = django_settings.NOTIFICATION_SENDING_TIMEOUT
    # A live worker holds a row in SENDING for one send (a few SMTP steps of at most
    # EMAIL_TIMEOUT each) and is killed by django-q2 after its timeout: both end before
    # the row is taken up again.
    assert bound > timedelta(seconds=10 * django_settings.EMAIL_TIMEOUT)
    assert bound > timedelta(seconds=django_settings.Q_CLUSTER["timeout"])


def test_safe_05_a_refused_mail_is_tried_with_growing_delays_then_listed_as_failed(smtp_server, discussion):
    smtp_server.otherwise = "refuse"
    (row,) = Notification.objects.all()
    at = OPENED + HOUR
    assert notifications.send_outbox(now=at) == 0
    tried_at = [at]
    for delay in django_settings.NOTIFICATION_RETRY_DELAYS:
        assert fresh(row).email_next_attempt_at == at + delay
        at += delay
        notifications.send_outbox(now=at - SECOND)
        assert len(smtp_server.received) == len(tried_at)  # not before its time
        notifications.send_outbox(now=at)
        assert len(smtp_server.received) == len(tried_at) + 1
        tried_at.append(at)

    row = fresh(row)
    assert row.email_status == Status.FAILED
    assert row.email_attempts == len(tried_at) >= 6
    assert row.email_next_attempt_at is None
    assert "451" in row.email_last_error
    assert tried_at[-1] - tried_at[0] >= timedelta(hours=24)
    gaps = [later - earlier for earlier, later in zip(tried_at, tried_at[1:], strict=False)]
    assert gaps == sorted(gaps) and len(set(gaps)) == len(gaps)

    # Used up: never tried again by the task.
    assert notifications.send_outbox(now=at + 30 * DAY) == 0
    assert len(smtp_server.received) == len(tried_at)


def test_safe_05_a_run_stops_at_its_time_budget_while_the_server_hangs(smtp_server, offer, buyer, seller, monkeypatch):
    rows = three_notifications(offer, buyer, seller)
    smtp_server.otherwise = "hang"
    monkeypatch.setattr(notifications, "RUN_BUDGET_SECONDS", 0.5)  # used up by the first hang (1 s)
    assert notifications.send_outbox(now=OPENED + 2 * HOUR) == 0
    assert len(smtp_server.received) == 1
    assert [fresh(row).email_attempts for row in rows] == [1, 0, 0]
    assert {fresh(row).email_status for row in rows} == {Status.PENDING}


# --- rows left in SENDING ---------------------------------------------------------------------


def _die_while_sending(monkeypatch, *, after_the_server_accepted):
    """The worker's process is killed in the middle of a send (django-q2's timeout, a
    deploy): no `except` of the outbox runs."""
    deliver = smtp.EmailBackend.send_messages

    def killed(self, messages):
        if after_the_server_accepted:
            deliver(self, messages)
        raise SystemExit("worker killed")

    monkeypatch.setattr(smtp.EmailBackend, "send_messages", killed)


def test_safe_05_a_row_left_sending_by_a_dead_worker_is_taken_up_again_after_the_bound(
    smtp_server, discussion, monkeypatch
):
    (row,) = Notification.objects.all()
    claimed = OPENED + HOUR
    with monkeypatch.context() as patched:
        _die_while_sending(patched, after_the_server_accepted=False)
        with pytest.raises(SystemExit):
            notifications.send_outbox(now=claimed)
    row = fresh(row)
    assert (row.email_status, row.email_claimed_at, row.email_attempts) == (Status.SENDING, claimed, 1)

    bound = django_settings.NOTIFICATION_SENDING_TIMEOUT
    assert notifications.send_outbox(now=claimed + bound - SECOND) == 0
    assert fresh(row).email_status == Status.SENDING
    assert smtp_server.received == []

    assert notifications.send_outbox(now=claimed + bound) == 1
    row = fresh(row)
    assert (row.email_status, row.email_attempts) == (Status.SENT, 2)
    assert smtp_server.accepted == Counter({notifications.message_id(row): 1})


def test_safe_05_a_mail_sent_again_after_a_crash_keeps_its_message_id(smtp_server, discussion, monkeypatch):
    (row,) = Notification.objects.all()
    claimed = OPENED + HOUR
    with monkeypatch.context() as patched:
        _die_while_sending(patched, after_the_server_accepted=True)
        with pytest.raises(SystemExit):
            notifications.send_outbox(now=claimed)
    assert notifications.send_outbox(now=claimed + django_settings.NOTIFICATION_SENDING_TIMEOUT) == 1
    # The server took it twice; a mail client shows one message (one Message-ID).
    assert smtp_server.accepted == Counter({notifications.message_id(row): 2})
    assert fresh(row).email_status == Status.SENT


def test_safe_05_a_row_left_sending_on_its_last_try_is_listed_as_failed(smtp_server, discussion, monkeypatch, settings):
    settings.NOTIFICATION_RETRY_DELAYS = [timedelta(minutes=1)]  # two tries
    (row,) = Notification.objects.all()
    smtp_server.script = ["refuse"]
    notifications.send_outbox(now=OPENED + HOUR)
    with monkeypatch.context() as patched:
        _die_while_sending(patched, after_the_server_accepted=False)
        with pytest.raises(SystemExit):
            notifications.send_outbox(now=OPENED + HOUR + MINUTE)
    assert notifications.send_outbox(now=OPENED + 2 * HOUR + MINUTE) == 0
    row = fresh(row)
    assert (row.email_status, row.email_attempts) == (Status.FAILED, 2)
    assert row.email_last_error
    assert len(smtp_server.received) == 1


def test_safe_05_a_slow_worker_does_not_undo_the_try_that_took_its_row_over(smtp_server, discussion, monkeypatch):
    """A worker that was only slow, not dead, reports its failure after another run took
    its row over and delivered the mail: the row stays SENT."""
    (row,) = Notification.objects.all()
    claimed = OPENED + HOUR
    deliver = smtp.EmailBackend.send_messages
    slow, taken_over = [], []

    def slow_then_refused(self, messages):
        if slow:  # the run that took the row over
            return deliver(self, messages)
        slow.append(self)
        taken_over.append(notifications.send_outbox(now=claimed + django_settings.NOTIFICATION_SENDING_TIMEOUT))
        raise smtplib.SMTPDataError(451, b"4.3.0 refused at last")

    monkeypatch.setattr(smtp.EmailBackend, "send_messages", slow_then_refused)
    assert notifications.send_outbox(now=claimed) == 0
    assert taken_over == [1]
    row = fresh(row)
    assert (row.email_status, row.email_attempts) == (Status.SENT, 2)
    assert smtp_server.accepted == Counter({notifications.message_id(row): 1})


# --- the mediators' list and retry action -----------------------------------------------------


@pytest.fixture
def used_up(smtp_server, discussion, settings):
    """The seller's notification, refused on its only try (no retries configured)."""
    settings.NOTIFICATION_RETRY_DELAYS = []
    smtp_server.script = ["reject"]
    notifications.send_outbox(now=OPENED + HOUR)
    row = Notification.objects.get()
    assert row.email_status == Status.FAILED
    return row


def test_safe_05_mediators_see_the_rows_that_used_up_their_tries(client, mediator, used_up, buyer, seller):
    services.post_message(
        Discussion.objects.get(), author=seller, role=Role.SELLER, text="Wysłane.", now=OPENED + 2 * HOUR
    )
    client.force_login(mediator)
    response = client.get(reverse(CHANGELIST), {"tries": "used_up"})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows == [used_up]
    page = response.content.decode()
    assert "550 5.7.1 Refused" in page  # the last error
    assert 'value="retry_email"' in page


def test_safe_05_the_retry_action_queues_the_mail_again_audited_and_it_arrives_once(
    client, mediator, used_up, smtp_server
):
    retried_at = OPENED + DAY
    with time_machine.travel(retried_at, tick=False):
        client.force_login(mediator)
        response = client.post(reverse(CHANGELIST), {"action": "retry_email", ACTION_CHECKBOX_NAME: [used_up.pk]})
    assert response.status_code == 302
    row = fresh(used_up)
    assert (row.email_status, row.email_attempts, row.email_next_attempt_at) == (Status.PENDING, 0, retried_at)

    (record,) = AuditRecord.objects.filter(action="RETRY_EMAIL")
    assert (record.actor, record.at) == (mediator, retried_at)
    assert record.before["email_status"] == Status.FAILED
    assert "550" in record.before["email_last_error"]
    assert record.after["notification"] == used_up.pk

    assert notifications.send_outbox(now=retried_at) == 1
    assert smtp_server.accepted == Counter({notifications.message_id(row): 1})


def test_safe_05_retry_leaves_mails_that_did_not_fail_alone(client, mediator, used_up, smtp_server):
    Notification.objects.filter(pk=used_up.pk).update(email_status=Status.SENT)
    client.force_login(mediator)
    response = client.post(
        reverse(CHANGELIST), {"action": "retry_email", ACTION_CHECKBOX_NAME: [used_up.pk]}, follow=True
    )
    assert fresh(used_up).email_status == Status.SENT
    assert not AuditRecord.objects.filter(action="RETRY_EMAIL").exists()
    assert any(message.level_tag == "warning" for message in response.context["messages"])


def test_safe_05_only_holders_of_the_retry_permission_can_retry(client, used_up):
    staff = UserFactory(username="support", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(staff)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert 'value="retry_email"' not in page
    client.post(reverse(CHANGELIST), {"action": "retry_email", ACTION_CHECKBOX_NAME: [used_up.pk]})
    assert fresh(used_up).email_status == Status.FAILED
    assert not AuditRecord.objects.exists()


# --- JOB-03: the outbox stays index-served --------------------------------------------------


@pytest.mark.postgres_only
def test_safe_05_due_and_stale_sending_rows_are_read_through_partial_indexes(discussion, buyer):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of partial indexes needs PostgreSQL (set DATABASE_URL=postgres://…).")
    Notification.objects.bulk_create(
        Notification(
            recipient=buyer,
            kind=Notification.Kind.NEW_MESSAGE,
            discussion=discussion,
            created_at=OPENED,
            email_status=Status.SENT,
        )
        for _ in range(400)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE discussions_notification")
    selects = _sweep_selects(notifications.send_outbox, "discussions_notification")
    (due,) = [sql for sql in selects if 'ORDER BY "discussions_notification"."email_next_attempt_at"' in sql]
    (stale,) = [sql for sql in selects if 'ORDER BY "discussions_notification"."email_claimed_at"' in sql]
    assert _indexes_read(due, "discussions_notification") == {"ntf_outbox_idx"}
    assert _indexes_read(stale, "discussions_notification") == {"ntf_sending_idx"}
