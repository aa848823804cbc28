"""JOB-01…04 and NTF-01…03: the scheduled sweeps of discussions/tasks.py, the outbox of
discussions/notifications.py and `manage.py run_due_tasks`.

Every sweep gets an explicit `now=`; time-machine is used only where the code reads the
clock itself (run_due_tasks without --now).
"""

import copy
import json
import uuid
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.module_loading import import_string
from django_q.models import Schedule

from core.errors import DomainError
from core.schedules import SCHEDULES, upsert_schedules
from discussions import notifications, services, tasks
from discussions.models import Discussion, Message, Notification, Reason, Role, StatusChange
from orders import services as order_services
from orders.models import OrderLine, Profile, Shipment
from tests.discussions.conftest import (
    DAY,
    HOUR,
    OPENED,
    REPLY_DUE,
    SECOND,
    fresh,
    local,
    make_order,
    open_discussion,
)

Kind = Notification.Kind
MINUTE = timedelta(minutes=1)
AUTO_RESOLVE = OPENED + 30 * DAY
DELIVERED = local(2026, 11, 27, 11)

DISCUSSION_TASKS = {
    "discussions.tasks.mark_seller_overdue",
    "discussions.tasks.send_deadline_warnings",
    "discussions.tasks.close_after_delivery",
    "discussions.tasks.auto_resolve",
    "discussions.tasks.send_buyer_reminders",
    "discussions.notifications.send_outbox",
}


def counts():
    return {
        "messages": Message.objects.count(),
        "notifications": Notification.objects.count(),
        "status_changes": StatusChange.objects.count(),
    }


def ship_and_deliver(order, seller, delivered_at=DELIVERED):
    order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="INP-000222", now=OPENED + HOUR
    )
    shipment = Shipment.objects.get(order=order)
    order_services.record_delivery(shipment, delivered_at=delivered_at, now=delivered_at)


# --- JOB-01 the schedules -------------------------------------------------------------


def test_job_01_schedules_list_every_discussion_task_once():
    funcs = [item["func"] for item in SCHEDULES]
    names = [item["name"] for item in SCHEDULES]
    assert set(funcs) >= DISCUSSION_TASKS
    assert len(set(names)) == len(names)
    assert len(set(funcs)) == len(funcs)
    for item in SCHEDULES:
        assert callable(import_string(item["func"]))
        assert 0 < item["minutes"] <= 15


def test_job_01_schedules_are_registered_by_migrate_and_upserted_idempotently(db):
    registered = dict(Schedule.objects.values_list("name", "func"))
    assert registered == {item["name"]: item["func"] for item in SCHEDULES}

    Schedule.objects.filter(name="discussions.auto_resolve").update(minutes=999, func="somewhere.else")
    upsert_schedules()
    upsert_schedules()
    assert Schedule.objects.count() == len(SCHEDULES)
    repaired = Schedule.objects.get(name="discussions.auto_resolve")
    declared = next(item for item in SCHEDULES if item["name"] == "discussions.auto_resolve")
    assert (repaired.func, repaired.minutes) == (declared["func"], declared["minutes"])
    assert repaired.repeats == -1


def test_job_01_the_cluster_never_redelivers_a_running_task():
    cluster = django_settings.Q_CLUSTER
    assert cluster["retry"] > cluster["timeout"]
    assert cluster["catch_up"] is False


# --- JOB-02 idempotent sweeps -------------------------------------------------------------


def _overdue(ctx):
    return tasks.mark_seller_overdue, REPLY_DUE + SECOND


def _warning(ctx):
    return tasks.send_deadline_warnings, REPLY_DUE - 4 * HOUR


def _after_delivery(ctx):
    ship_and_deliver(ctx["order"], ctx["seller"])
    return tasks.close_after_delivery, DELIVERED + 24 * HOUR


def _auto_resolve(ctx):
    return tasks.auto_resolve, AUTO_RESOLVE


def _reminder_7d(ctx):
    return tasks.send_buyer_reminders, AUTO_RESOLVE - 7 * DAY


def _reminder_1d(ctx):
    # The 7-day reminder went out earlier; now the 1-day one is due.
    tasks.send_buyer_reminders(now=AUTO_RESOLVE - 7 * DAY)
    return tasks.send_buyer_reminders, AUTO_RESOLVE - DAY


def _ignored_mediator(ctx):
    mediator, seller = ctx["mediator"], ctx["seller"]
    joined = services.join_discussion(fresh(ctx["discussion"]), mediator=mediator, now=OPENED + HOUR)
    # The seller answered the buyer before the mediator wrote, so only the mediator's
    # deadline (Thu 11:00) is left to sweep.
    services.post_message(joined, author=seller, role=Role.SELLER, text="Sprawdzam.", now=OPENED + 90 * MINUTE)
    services.post_message(
        joined, author=mediator, role=Role.MEDIATOR, text="Proszę o odpowiedź.", now=OPENED + 2 * HOUR
    )
    return tasks.mark_seller_overdue, REPLY_DUE + 2 * HOUR + SECOND


# sweep setup → (new automatic messages, new notifications {kind: recipient}, new status changes)
IDEMPOTENT = [
    pytest.param(_overdue, ["SELLER_OVERDUE"], {Kind.DEADLINE_MISSED: "buyer"}, 0, id="mark_seller_overdue"),
    pytest.param(_warning, [], {Kind.DEADLINE_APPROACHING: "seller"}, 0, id="send_deadline_warnings"),
    pytest.param(
        _after_delivery,
        ["CLOSED_DELIVERED"],
        {Kind.STATUS_CHANGED: "both"},
        1,
        id="close_after_delivery",
    ),
    pytest.param(_auto_resolve, ["CLOSED_EXPIRED"], {Kind.STATUS_CHANGED: "both"}, 1, id="auto_resolve"),
    pytest.param(_reminder_7d, [], {Kind.REMINDER: "buyer"}, 0, id="reminder_7_days"),
    pytest.param(_reminder_1d, [], {Kind.REMINDER: "buyer"}, 0, id="reminder_1_day"),
    pytest.param(_ignored_mediator, [], {}, 0, id="seller_ignored_mediator"),
]


@pytest.mark.parametrize(("setup", "codes", "notified", "changes"), IDEMPOTENT)
def test_job_02_running_a_sweep_twice_changes_a_row_once(
    discussion, order, buyer, seller, mediator, setup, codes, notified, changes
):
    ctx = {"discussion": discussion, "order": order, "seller": seller, "mediator": mediator}
    task, now = setup(ctx)
    before = counts()
    last_message = Message.objects.latest("pk").pk
    last_notification = Notification.objects.latest("pk").pk

    assert task(now=now) == 1
    after_first = counts()
    assert task(now=now) == 0
    assert task(now=now + SECOND) == 0
    assert counts() == after_first

    new_codes = list(Message.objects.filter(pk__gt=last_message).order_by("pk").values_list("auto_code", flat=True))
    assert new_codes == codes
    new_notifications = sorted(
        Notification.objects.filter(pk__gt=last_notification).values_list("kind", "recipient__username")
    )
    expected = []
    for kind, who in notified.items():
        expected += [(kind, "buyer"), (kind, "seller")] if who == "both" else [(kind, who)]
    assert new_notifications == sorted(expected)
    assert after_first["status_changes"] - before["status_changes"] == changes


def test_job_02_send_outbox_twice_sends_each_mail_once(discussion, buyer, seller):
    services.post_message(discussion, author=seller, role=Role.SELLER, text="Wysłane.", now=OPENED + HOUR)
    assert notifications.send_outbox(now=OPENED + 2 * HOUR) == 2
    assert notifications.send_outbox(now=OPENED + 2 * HOUR) == 0
    assert len(mail.outbox) == 2


# --- JOB-03 due rows only, bounded batches, partial indexes --------------------------------


def _open_many(offer, buyer, count, *, now):
    return [open_discussion(make_order(offer, buyer), now=now) for _ in range(count)]


def _due_for(sweep, discussions, seller):
    """Make `discussions` due for `sweep` at the sweep's instant (those opened at OPENED)."""
    if sweep == "close_after_delivery":
        for discussion in discussions:
            ship_and_deliver(discussion.order, seller)


# sweep → the instant at which Discussions opened at OPENED are due and those opened two
# days later are not.
SWEEP_NOW = {
    "mark_seller_overdue": REPLY_DUE + HOUR,
    "send_deadline_warnings": REPLY_DUE - 3 * HOUR,
    "close_after_delivery": DELIVERED + 25 * HOUR,
    "auto_resolve": AUTO_RESOLVE + HOUR,
    "send_buyer_reminders": AUTO_RESOLVE - 7 * DAY + HOUR,
}


@pytest.mark.parametrize("sweep", list(SWEEP_NOW))
def test_job_03_sweeps_touch_only_due_rows_and_their_cost_does_not_grow_with_the_table(
    bulk_offer, buyer, seller, sweep
):
    task = getattr(tasks, sweep)
    now = SWEEP_NOW[sweep]
    due = _open_many(bulk_offer, buyer, 3, now=OPENED)
    _due_for(sweep, due, seller)
    _open_many(bulk_offer, buyer, 15, now=OPENED + 2 * DAY)
    before = {d.pk: fresh(d) for d in Discussion.objects.all()}

    with CaptureQueriesContext(connection) as first:
        assert task(now=now) == 3

    changed = {d.pk for d in Discussion.objects.all() if _state(d) != _state(before[d.pk])}
    assert changed == {d.pk for d in due}

    # Three more due rows and fifteen more rows that are not due: the same work.
    more_due = _open_many(bulk_offer, buyer, 3, now=OPENED)
    _due_for(sweep, more_due, seller)
    _open_many(bulk_offer, buyer, 15, now=OPENED + 2 * DAY)
    with CaptureQueriesContext(connection) as second:
        assert task(now=now) == 3
    assert len(second.captured_queries) == len(first.captured_queries)


def _state(discussion):
    return (
        discussion.is_open,
        discussion.status,
        discussion.seller_overdue_at,
        discussion.deadline_warning_sent_at,
        discussion.reminder_7d_sent_at,
        discussion.reminder_1d_sent_at,
    )


def test_job_03_sweeps_work_in_bounded_batches(bulk_offer, buyer, monkeypatch):
    _open_many(bulk_offer, buyer, 5, now=OPENED)
    batches = []
    claim = tasks._claim
    monkeypatch.setattr(
        tasks, "_claim", lambda due, order_by, batch: batches.append(claim(due, order_by, batch)) or batches[-1]
    )
    # A run drains the due rows in batches of at most `batch`, each its own transaction.
    assert tasks.mark_seller_overdue(now=REPLY_DUE + HOUR, batch=2) == 5
    assert [len(rows) for rows in batches][:3] == [2, 2, 1]
    assert Discussion.objects.filter(seller_overdue_at__isnull=False).count() == 5
    assert tasks.mark_seller_overdue(now=REPLY_DUE + HOUR, batch=2) == 0


def test_job_03_a_run_stops_at_its_time_budget(bulk_offer, buyer, monkeypatch):
    _open_many(bulk_offer, buyer, 5, now=OPENED)
    monkeypatch.setattr(tasks, "RUN_BUDGET_SECONDS", -1)  # the budget is used up after one batch
    assert tasks.mark_seller_overdue(now=REPLY_DUE + HOUR, batch=2) == 2
    assert tasks.mark_seller_overdue(now=REPLY_DUE + HOUR, batch=2) == 2


ORDER_BY = 'ORDER BY "discussions_discussion".'
# Each sweep's query → the partial indexes it may read through (JOB-03, STYLE §5).
SWEEP_INDEXES = [
    ("mark_seller_overdue", f'{ORDER_BY}"reply_due_at"', {"dsc_reply_due_idx"}),
    ("mark_seller_overdue", f'{ORDER_BY}"mediator_reply_due_at"', {"dsc_mediator_due_idx"}),
    ("send_deadline_warnings", f'{ORDER_BY}"reply_warning_at"', {"dsc_reply_warning_idx"}),
    ("close_after_delivery", f'{ORDER_BY}"delivery_close_at"', {"dsc_delivery_close_idx"}),
    ("auto_resolve", f'{ORDER_BY}"auto_resolve_at"', {"dsc_auto_resolve_idx"}),
    # The reminder queries are also covered by the auto-resolve index (its condition is implied).
    ("send_buyer_reminders", '"reminder_7d_sent_at" IS NULL', {"dsc_reminder_7d_idx", "dsc_auto_resolve_idx"}),
    ("send_buyer_reminders", '"reminder_1d_sent_at" IS NULL', {"dsc_reminder_1d_idx", "dsc_auto_resolve_idx"}),
]


def _plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _explain(sql):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return list(_plan_nodes(plan[0]["Plan"]))


def _sweep_selects(task, table):
    with CaptureQueriesContext(connection) as captured:
        task(now=REPLY_DUE)
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    ]


def _indexes_read(sql, table):
    """The indexes of `table` that the plan of `sql` reads; fails on a sequential scan."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        own = {name for (name,) in cursor.fetchall()}
    nodes = _explain(sql)
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table], sql
    return {n["Index Name"] for n in nodes if n.get("Index Name") in own}


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of partial indexes needs PostgreSQL (set DATABASE_URL=postgres://…).")


@pytest.fixture
def production_like_tables(postgres, order, discussion, buyer):
    """Planner statistics as in production: most Discussions closed, the open ones not
    due, most notifications sent; both tables analysed."""
    line = order.lines.get()
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            offer_id=line.offer_id,
            title=line.title,
            unit_price=line.unit_price,
            quantity=1,
            commission_per_unit=line.commission_per_unit,
        )
        for _ in range(400)
    )
    template = Discussion.objects.get(pk=discussion.pk)
    rows = []
    for i, row_line in enumerate(lines):
        row = copy.copy(template)
        row.pk, row._state, row.line, row.public_id = None, ModelState(), row_line, uuid.uuid4()
        if i % 10:
            row.status, row.is_open = Discussion.Status.RESOLVED, False
            row.close_reason, row.closed_at = Discussion.CloseReason.BUYER_RESOLVED, OPENED + DAY
        else:
            row.seller_replied_at = OPENED + HOUR
            row.auto_resolve_at = OPENED + 30 * DAY + i * HOUR
        rows.append(row)
    Discussion.objects.bulk_create(rows)
    Notification.objects.bulk_create(
        Notification(
            recipient=buyer,
            kind=Kind.NEW_MESSAGE,
            discussion=template,
            created_at=OPENED,
            email_status=Notification.EmailStatus.SENT,
        )
        for _ in range(400)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE discussions_discussion")
        cursor.execute("ANALYZE discussions_notification")


@pytest.mark.postgres_only
@pytest.mark.parametrize(("sweep", "marker", "indexes"), SWEEP_INDEXES)
def test_job_03_each_sweep_query_reads_through_a_partial_index(production_like_tables, sweep, marker, indexes):
    selects = [sql for sql in _sweep_selects(getattr(tasks, sweep), "discussions_discussion") if marker in sql]
    assert len(selects) == 1, selects
    used = _indexes_read(selects[0], "discussions_discussion")
    assert used, selects[0]
    assert used <= indexes, used


@pytest.mark.postgres_only
def test_job_03_the_outbox_query_reads_through_its_partial_index(production_like_tables):
    (sql,) = [
        sql
        for sql in _sweep_selects(notifications.send_outbox, "discussions_notification")
        if 'ORDER BY "discussions_notification"."email_next_attempt_at"' in sql
    ]
    assert _indexes_read(sql, "discussions_notification") == {"ntf_outbox_idx"}


# --- JOB-04 running the tasks on demand ----------------------------------------------------


def test_job_04_run_due_tasks_with_now_runs_every_scheduled_task(discussion, buyer, seller):
    out = StringIO()
    call_command("run_due_tasks", "--now", (REPLY_DUE + SECOND).isoformat(), stdout=out)

    for item in SCHEDULES:
        assert f"{item['name']}:" in out.getvalue()
    assert fresh(discussion).seller_overdue_at == REPLY_DUE + SECOND
    # The outbox runs last: the notification the sweep just wrote is mailed in the same run.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([buyer.email, seller.email])
    assert not Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).exists()


def test_job_04_a_naive_now_is_taken_in_the_default_time_zone(discussion):
    naive = (REPLY_DUE + SECOND).replace(tzinfo=None).isoformat()  # Warsaw wall clock
    call_command("run_due_tasks", "--now", naive, "--only", "discussions.mark_seller_overdue", stdout=StringIO())
    assert fresh(discussion).seller_overdue_at == REPLY_DUE + SECOND


def test_job_04_only_runs_the_named_schedule(discussion):
    out = StringIO()
    call_command(
        "run_due_tasks", "--now", (AUTO_RESOLVE + DAY).isoformat(), "--only", "discussions.auto_resolve", stdout=out
    )
    assert out.getvalue().strip() == "discussions.auto_resolve: 1"
    discussion = fresh(discussion)
    assert discussion.close_reason == Discussion.CloseReason.EXPIRED
    assert discussion.seller_overdue_at is None  # the overdue sweep did not run
    assert not mail.outbox


def test_job_04_without_now_the_real_clock_is_used(discussion):
    with time_machine.travel(REPLY_DUE - HOUR, tick=False):
        call_command("run_due_tasks", "--only", "discussions.mark_seller_overdue", stdout=StringIO())
    assert fresh(discussion).seller_overdue_at is None
    with time_machine.travel(REPLY_DUE + HOUR, tick=False):
        call_command("run_due_tasks", "--only", "discussions.mark_seller_overdue", stdout=StringIO())
    assert fresh(discussion).seller_overdue_at == REPLY_DUE + HOUR


# --- NTF-01 deadline approaching ----------------------------------------------------------


def test_ntf_01_the_seller_is_warned_once_when_4_business_hours_are_left(discussion, seller):
    warn_at = REPLY_DUE - 4 * HOUR
    assert fresh(discussion).reply_warning_at == warn_at

    assert tasks.send_deadline_warnings(now=warn_at - SECOND) == 0
    assert tasks.send_deadline_warnings(now=warn_at) == 1
    assert tasks.send_deadline_warnings(now=warn_at + HOUR) == 0

    (warning,) = Notification.objects.filter(kind=Kind.DEADLINE_APPROACHING)
    assert warning.recipient == seller
    assert warning.discussion_id == discussion.pk
    assert datetime.fromisoformat(warning.params["due"]) == REPLY_DUE
    assert fresh(discussion).deadline_warning_sent_at == warn_at


def test_ntf_01_four_business_hours_skip_the_weekend(offer, buyer):
    order = make_order(offer, buyer, now=local(2026, 11, 27, 10))
    discussion = open_discussion(order, now=local(2026, 11, 27, 15))  # Friday 15:00, due Monday 15:00
    assert fresh(discussion).reply_warning_at == local(2026, 11, 30, 11)
    assert tasks.send_deadline_warnings(now=local(2026, 11, 30, 10, 59)) == 0
    assert tasks.send_deadline_warnings(now=local(2026, 11, 30, 11)) == 1


def test_ntf_01_no_warning_after_the_seller_replied_or_once_the_deadline_passed(offer, buyer, seller):
    replied = open_discussion(make_order(offer, buyer))
    services.post_message(replied, author=seller, role=Role.SELLER, text="Już sprawdzam.", now=OPENED + HOUR)
    open_discussion(make_order(offer, buyer))  # not swept before its deadline: it passes first
    assert tasks.send_deadline_warnings(now=REPLY_DUE + SECOND) == 0
    assert not Notification.objects.filter(kind=Kind.DEADLINE_APPROACHING).exists()


def test_ntf_01_the_deadline_missed_notification_goes_to_the_buyer(discussion, buyer):
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    (missed,) = Notification.objects.filter(kind=Kind.DEADLINE_MISSED)
    assert missed.recipient == buyer


# --- NTF-02 the outbox ------------------------------------------------------------------


def test_ntf_02_send_outbox_mails_each_notification_once_in_the_recipients_language(discussion, buyer, seller):
    Profile.objects.create(user=seller, language="en")
    services.post_message(discussion, author=seller, role=Role.SELLER, text="Wysłane wczoraj.", now=OPENED + HOUR)
    assert Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).count() == 2

    assert notifications.send_outbox(now=OPENED + 2 * HOUR) == 2
    assert notifications.send_outbox(now=OPENED + 3 * HOUR) == 0
    assert len(mail.outbox) == 2
    for notification in Notification.objects.all():
        assert notification.email_status == Notification.EmailStatus.SENT
        assert notification.email_claimed_at == OPENED + 2 * HOUR
        assert notification.email_sent_at is not None

    (to_seller,) = [m for m in mail.outbox if m.to == [seller.email]]
    (to_buyer,) = [m for m in mail.outbox if m.to == [buyer.email]]
    number = fresh(discussion).number
    assert to_seller.subject.startswith(f"New Discussion {number} — reply by ")
    english_for_buyer = f"New message in Discussion {number}"
    assert number in to_buyer.subject
    assert to_buyer.subject != english_for_buyer
    assert "Dyskusj" in to_buyer.subject  # Polish, the default language
    assert django_settings.SITE_URL.rstrip("/") + reverse("discussions:seller_detail", args=[discussion.pk]) in (
        to_seller.body
    )
    assert django_settings.SITE_URL.rstrip("/") + reverse("discussions:buyer_detail", args=[discussion.pk]) in (
        to_buyer.body
    )


def test_ntf_02_a_failed_mail_is_not_retried_before_its_next_try(discussion, seller, monkeypatch):
    # SAFE-05 changed this: a failed mail used to stay FAILED for good; it now waits for
    # its next try (tests/discussions/test_safe_05_mail.py has the whole schedule).
    def broken_send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", broken_send_messages)
    assert notifications.send_outbox(now=OPENED + HOUR) == 0
    monkeypatch.undo()
    failed = Notification.objects.get()
    assert (failed.email_status, failed.email_attempts) == (Notification.EmailStatus.PENDING, 1)
    assert "SMTP down" in failed.email_last_error
    next_try = OPENED + HOUR + django_settings.NOTIFICATION_RETRY_DELAYS[0]
    assert failed.email_next_attempt_at == next_try
    assert notifications.send_outbox(now=next_try - SECOND) == 0
    assert not mail.outbox
    assert notifications.send_outbox(now=next_try) == 1
    assert [m.to for m in mail.outbox] == [[seller.email]]


def test_ntf_02_notifications_are_written_with_the_event_or_not_at_all(order):
    open_discussion(order)
    with pytest.raises(DomainError):  # the duplicate is refused (DSC-05)
        open_discussion(order, now=OPENED + HOUR)
    assert Notification.objects.count() == 1


# --- NTF-03 reminders before auto-resolve ----------------------------------------------


def test_ntf_03_the_buyer_is_reminded_7_days_and_1_day_before_auto_resolve_once_each(discussion, buyer):
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - 7 * DAY - SECOND) == 0
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - 7 * DAY) == 1
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - 7 * DAY + HOUR) == 0
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - 3 * DAY) == 0
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - DAY - SECOND) == 0
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - DAY) == 1
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - HOUR) == 0

    reminders = Notification.objects.filter(kind=Kind.REMINDER).order_by("pk")
    assert [(r.recipient, r.created_at) for r in reminders] == [
        (buyer, AUTO_RESOLVE - 7 * DAY),
        (buyer, AUTO_RESOLVE - DAY),
    ]
    assert all(datetime.fromisoformat(r.params["at"]) == AUTO_RESOLVE for r in reminders)


def test_ntf_03_a_late_first_run_sends_only_the_1_day_reminder(discussion):
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - 12 * HOUR) == 1
    assert tasks.send_buyer_reminders(now=AUTO_RESOLVE - 6 * HOUR) == 0
    discussion = fresh(discussion)
    assert discussion.reminder_7d_sent_at is None
    assert discussion.reminder_1d_sent_at == AUTO_RESOLVE - 12 * HOUR
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 1


def test_ntf_03_no_reminders_for_unresolved_closed_or_mediated_discussions(offer, buyer, mediator):
    unresolved = open_discussion(make_order(offer, buyer))
    services.mark_unresolved(unresolved, buyer=buyer, now=OPENED + 7 * DAY)
    closed = open_discussion(make_order(offer, buyer))
    services.mark_resolved(closed, buyer=buyer, now=OPENED + HOUR)
    mediated = open_discussion(make_order(offer, buyer))
    services.join_discussion(fresh(mediated), mediator=mediator, now=OPENED + HOUR)

    for now in (AUTO_RESOLVE - 7 * DAY, AUTO_RESOLVE - DAY):
        assert tasks.send_buyer_reminders(now=now) == 0
    assert not Notification.objects.filter(kind=Kind.REMINDER).exists()


def test_ntf_03_reopening_starts_new_reminders(discussion, buyer):
    tasks.send_buyer_reminders(now=AUTO_RESOLVE - 7 * DAY)
    tasks.send_buyer_reminders(now=AUTO_RESOLVE - DAY)
    tasks.auto_resolve(now=AUTO_RESOLVE)
    reopened_at = AUTO_RESOLVE + DAY
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=reopened_at)
    assert tasks.send_buyer_reminders(now=reopened_at + 23 * DAY) == 1
    assert tasks.send_buyer_reminders(now=reopened_at + 29 * DAY) == 1
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 4


def test_ntf_01_delivery_detected_goes_to_the_buyer(order, buyer, seller):
    open_discussion(order, reason=Reason.NOT_RECEIVED)
    ship_and_deliver(order, seller)
    (detected,) = Notification.objects.filter(kind=Kind.DELIVERY_DETECTED)
    assert detected.recipient == buyer
    assert datetime.fromisoformat(detected.params["until"]) == DELIVERED + 24 * HOUR
