"""JOB-02 / NTF-02: a user action racing a sweep, and a sweep racing itself, with real
threads and real transactions on PostgreSQL.

SQLite serialises writers (BEGIN IMMEDIATE), so these races cannot happen there; the
compare-and-set logic they exercise is covered on both databases by test_tasks.py.
"""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from core.errors import DomainError
from discussions import notifications, services, tasks
from discussions.models import Discussion, Message, Notification, Role, StatusChange
from tests.discussions.conftest import (
    CLOSES_AT,
    DAY,
    DELIVERED,
    HOUR,
    OPENED,
    REPLY_DUE,
    SECOND,
    delivered_discussion,
    fresh,
    make_order,
    open_discussion,
)

pytestmark = [
    pytest.mark.postgres_only,
    # serialized_rollback: the flush after each test would otherwise remove the markets
    # and groups that migrations created, which the rest of the suite needs.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 20


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Races need PostgreSQL: real row locks and concurrent transactions "
            "(SQLite serialises all writers). Run with DATABASE_URL=postgres://…"
        )


def run_together(*calls):
    """Run each call in its own thread, released at the same instant by a barrier.
    Returns ("ok", result) or ("error", exception) per call, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except Exception as error:  # reported to the test, which decides
            outcomes[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return outcomes


def test_job_02_a_buyer_message_racing_the_delivery_auto_close_is_either_kept_or_refused(bulk_offer, buyer, seller):
    seen = Counter()
    for _ in range(ROUNDS):
        discussion = delivered_discussion(bulk_offer, buyer, seller)
        as_loaded = fresh(discussion)  # what the buyer's page loaded: still open

        message, sweep = run_together(
            # A second before the close instant: in time, unless the sweep takes the row first
            # (at the instant itself the close was due, DSC-23, and the message meets it).
            lambda d=as_loaded: services.post_message(
                d, author=buyer, role=Role.BUYER, text="To nie moja paczka.", now=CLOSES_AT - SECOND
            ),
            lambda: tasks.close_after_delivery(now=CLOSES_AT),
        )

        assert sweep[0] == "ok", sweep
        after = fresh(discussion)
        buyer_messages = Message.objects.filter(discussion=discussion, author=buyer, created_at__gt=DELIVERED)
        if message[0] == "ok":
            seen["message kept"] += 1
            assert sweep[1] == 0
            assert after.is_open
            assert after.status == Discussion.Status.IN_PROGRESS
            assert after.delivery_close_at is None
            assert list(buyer_messages) == [message[1]]
        else:
            seen["message refused"] += 1
            error = message[1]
            assert isinstance(error, DomainError), repr(error)
            assert error.code == services.CLOSED_ERROR
            assert sweep[1] == 1
            assert not after.is_open
            assert after.close_reason == Discussion.CloseReason.DELIVERED_NO_OBJECTION
            assert not buyer_messages.exists()
        # Never a closed Discussion with a buyer message posted after the delivery.
        assert after.is_open or not buyer_messages.exists()
        assert StatusChange.objects.filter(discussion=discussion, to_open=False).count() == (0 if after.is_open else 1)
    assert sum(seen.values()) == ROUNDS, seen


def _overdue(offer, buyer, seller):
    return open_discussion(make_order(offer, buyer)), REPLY_DUE + SECOND


def _after_delivery(offer, buyer, seller):
    return delivered_discussion(offer, buyer, seller), CLOSES_AT


def _auto_resolve(offer, buyer, seller):
    return open_discussion(make_order(offer, buyer)), OPENED + 30 * DAY


def _warning(offer, buyer, seller):
    return open_discussion(make_order(offer, buyer)), REPLY_DUE - 4 * HOUR


def _reminder(offer, buyer, seller):
    return open_discussion(make_order(offer, buyer)), OPENED + 23 * DAY


# sweep, setup, automatic message code (or None), notification kind, recipients, closes
SWEEPS = [
    pytest.param(
        tasks.mark_seller_overdue, _overdue, "SELLER_OVERDUE", Notification.Kind.DEADLINE_MISSED, 1, 0, id="overdue"
    ),
    pytest.param(
        tasks.close_after_delivery,
        _after_delivery,
        "CLOSED_DELIVERED",
        Notification.Kind.STATUS_CHANGED,
        2,
        1,
        id="close_after_delivery",
    ),
    pytest.param(
        tasks.auto_resolve, _auto_resolve, "CLOSED_EXPIRED", Notification.Kind.STATUS_CHANGED, 2, 1, id="auto_resolve"
    ),
    pytest.param(
        tasks.send_deadline_warnings, _warning, None, Notification.Kind.DEADLINE_APPROACHING, 1, 0, id="warnings"
    ),
    pytest.param(tasks.send_buyer_reminders, _reminder, None, Notification.Kind.REMINDER, 1, 0, id="reminders"),
]


@pytest.mark.parametrize(("sweep", "setup", "code", "kind", "recipients", "closes"), SWEEPS)
def test_job_02_the_same_sweep_run_twice_at_once_changes_each_row_once(
    bulk_offer, buyer, seller, sweep, setup, code, kind, recipients, closes
):
    rows = [setup(bulk_offer, buyer, seller) for _ in range(6)]
    now = rows[0][1]
    discussions = [discussion for discussion, _ in rows]

    first, second = run_together(lambda: sweep(now=now), lambda: sweep(now=now))

    assert first[0] == "ok", first
    assert second[0] == "ok", second
    assert first[1] + second[1] == len(discussions)
    for discussion in discussions:
        if code:
            assert Message.objects.filter(discussion=discussion, auto_code=code).count() == 1
        assert Notification.objects.filter(discussion=discussion, kind=kind).count() == recipients
        closing = StatusChange.objects.filter(discussion=discussion, to_open=False)
        assert closing.count() == closes
    assert sweep(now=now) == 0


def test_ntf_02_two_outbox_workers_at_once_send_each_mail_once(bulk_offer, buyer, seller):
    for _ in range(10):
        discussion = open_discussion(make_order(bulk_offer, buyer))
        services.post_message(discussion, author=seller, role=Role.SELLER, text="Wysłane.", now=OPENED + HOUR)
    pending = Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).count()
    assert pending == 20

    first, second = run_together(
        lambda: notifications.send_outbox(now=OPENED + 2 * HOUR),
        lambda: notifications.send_outbox(now=OPENED + 2 * HOUR),
    )

    assert first[0] == second[0] == "ok", (first, second)
    assert first[1] + second[1] == pending
    assert len(mail.outbox) == pending
    assert Notification.objects.filter(email_status=Notification.EmailStatus.SENT).count() == pending
