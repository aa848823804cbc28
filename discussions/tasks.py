"""Scheduled sweeps of Discussions (JOB-01…04).

Each sweep, in one transaction: selects the due rows through a partial index, ordered
by the due time, in a bounded batch, locking them (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so a second run at the same moment takes other rows or none; SQLite's
BEGIN IMMEDIATE serialises the runs); changes exactly those rows with one UPDATE that
re-checks the due condition; and writes their automatic messages, status changes and
notifications with bulk inserts. A run costs a handful of statements, whatever the
table size. A user action that races a sweep waits for the row lock and then sees the
new state (and gets a clear error where it no longer applies), or it commits first and
the row is no longer due.
"""

import logging
import time
from datetime import UTC, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import rules
from .models import Discussion, Message, Notification, Proposal, Role, StatusChange
from .notifications import send_outbox  # noqa: F401  (a scheduled task)
from .rules import REMINDERS_BEFORE

logger = logging.getLogger(__name__)

BATCH = 500
RUN_BUDGET_SECONDS = 60  # django-q2 timeout is 240 s


def _claim(due, order_by, batch):
    """Lock and return the due rows (inside the caller's transaction)."""
    return list(
        due.select_for_update(skip_locked=True, of=("self",))
        .select_related("market", "buyer", "seller_account")
        .order_by(order_by, "pk")[:batch]
    )


def _auto_messages(rows, code, now, **params):
    Message.objects.bulk_create(
        Message(
            discussion=row,
            author_role=Role.SYSTEM,
            kind=Message.Kind.AUTOMATIC,
            auto_code=code,
            auto_params=params,
            created_at=now,
        )
        for row in rows
    )


def _notifications(pairs, kind, now, params=None):
    """pairs: (recipient_id, discussion)."""
    Notification.objects.bulk_create(
        Notification(
            recipient_id=recipient_id,
            kind=kind,
            discussion=discussion,
            params={"number": discussion.number, **(params(discussion) if params else {})},
            created_at=now,
            email_next_attempt_at=now,
        )
        for recipient_id, discussion in pairs
    )


def _sweep(due, order_by, batch, apply):
    """Drain the due rows batch by batch, each batch in its own short transaction, until
    none is left or the run has used its time budget (well inside django-q2's timeout;
    the next tick goes on)."""
    started = time.monotonic()
    done = 0
    while True:
        changed = _sweep_batch(due, order_by, batch, apply)
        done += changed
        if changed < batch or time.monotonic() - started > RUN_BUDGET_SECONDS:
            return done


def _sweep_batch(due, order_by, batch, apply):
    try:
        with transaction.atomic():
            rows = _claim(due, order_by, batch)
            if not rows:
                return 0
            return apply(rows)
    except Exception:
        # One bad row must not hold up the batch (STYLE §6): redo the batch row by row,
        # pushing failing rows aside (logged; the next tick tries them again).
        logger.exception("Sweep %s failed as a batch; retrying row by row", apply)
    done = 0
    for pk in due.order_by(order_by, "pk").values_list("pk", flat=True)[:batch]:
        try:
            with transaction.atomic():
                rows = _claim(due.filter(pk=pk), order_by, 1)
                done += apply(rows) if rows else 0
        except Exception:
            logger.exception("Sweep %s failed for Discussion %s", apply, pk)
    return done


SETTLE_TICK = timedelta(microseconds=1)


def _rows(due_q, pk):
    """The due Discussions, or only Discussion `pk` among them (`settle`)."""
    rows = Discussion.objects.filter(due_q)
    return rows if pk is None else rows.filter(pk=pk)


def settle(discussion, now):
    """DSC-23: what a scheduler on time would already have done to this Discussion before
    `now`, done now: each sweep restricted to its row and run just after the instant it
    was due, earliest first, so an action at `now` meets the same state however late the
    sweeps run (a seller message 30 s after the 30 days finds the Discussion resolved
    either way). The state machine calls it before every action (`rules.require`).
    Refreshes `discussion` when something changed; returns how many sweeps applied."""
    applied = 0
    while discussion.is_open:
        d = discussion
        due = []
        if d.seller_replied_at is None and d.seller_overdue_at is None and rules.late(now, d.reply_due_at):
            due.append((d.reply_due_at + SETTLE_TICK, mark_seller_overdue))
        if (
            d.seller_replied_to_mediator_at is None
            and d.seller_ignored_mediator_at is None
            and rules.late(now, d.mediator_reply_due_at)
        ):
            due.append((d.mediator_reply_due_at + SETTLE_TICK, mark_seller_overdue))
        for instant, sweep in ((d.delivery_close_at, close_after_delivery), (d.auto_resolve_at, auto_resolve)):
            if instant is not None and instant <= now:
                due.append((instant, sweep))
        if not due:
            break
        at, sweep = min(due, key=lambda item: item[0])
        if not sweep(now=at, pk=d.pk):
            break
        applied += 1
        discussion.refresh_from_db()
    return applied


# --- DSC-08 / DSC-09 ----------------------------------------------------------------


def mark_seller_overdue(now=None, batch=BATCH, pk=None):
    """DSC-08: the 24 business hours passed with no reply → seller overdue, the buyer
    may ask for help. DSC-09: no reply to a mediator in time → flagged (MED-08)."""
    now = (now or timezone.now()).astimezone(UTC)
    # DSC-23: a deadline passes after its instant (a reply at the instant is in time);
    # a late reply marks the seller overdue itself (services._record_seller_reply).
    overdue_q = Q(is_open=True, seller_replied_at__isnull=True, seller_overdue_at__isnull=True, reply_due_at__lt=now)

    def overdue(rows):
        Discussion.objects.filter(overdue_q, pk__in=[r.pk for r in rows]).update(seller_overdue_at=now)
        _auto_messages(rows, "SELLER_OVERDUE", now)
        _notifications([(r.buyer_id, r) for r in rows], Notification.Kind.DEADLINE_MISSED, now)
        return len(rows)

    ignored_q = Q(
        is_open=True,
        seller_replied_to_mediator_at__isnull=True,
        seller_ignored_mediator_at__isnull=True,
        mediator_reply_due_at__lt=now,
    )

    def ignored(rows):
        return Discussion.objects.filter(ignored_q, pk__in=[r.pk for r in rows]).update(seller_ignored_mediator_at=now)

    return _sweep(_rows(overdue_q, pk), "reply_due_at", batch, overdue) + _sweep(
        _rows(ignored_q, pk), "mediator_reply_due_at", batch, ignored
    )


def send_deadline_warnings(now=None, batch=BATCH):
    """NTF-01: warn the seller when 4 business hours are left."""
    now = (now or timezone.now()).astimezone(UTC)
    due_q = Q(
        is_open=True,
        seller_replied_at__isnull=True,
        deadline_warning_sent_at__isnull=True,
        reply_warning_at__lte=now,
        reply_due_at__gt=now,
    )

    def warn(rows):
        Discussion.objects.filter(due_q, pk__in=[r.pk for r in rows]).update(deadline_warning_sent_at=now)
        _notifications(
            [(r.seller_account.user_id, r) for r in rows],
            Notification.Kind.DEADLINE_APPROACHING,
            now,
            params=lambda r: {"due": r.reply_due_at.isoformat()},
        )
        return len(rows)

    return _sweep(Discussion.objects.filter(due_q), "reply_warning_at", batch, warn)


# --- DSC-18 / DSC-20(b): closing transitions -----------------------------------------


def _close(rows, *, due_q, close_reason, code, now):
    ids = [r.pk for r in rows]
    Discussion.objects.filter(due_q, pk__in=ids).update(
        status=Discussion.Status.RESOLVED,
        is_open=False,
        version=F("version") + 1,  # a page rendered before the close no longer applies (SAFE-02)
        close_reason=close_reason,
        closed_at=now,
        delivery_close_at=None,
    )
    # DSC-25: a close supersedes the proposals still waiting, as every other close does.
    Proposal.objects.filter(discussion_id__in=ids, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.SUPERSEDED, decided_at=now
    )
    StatusChange.objects.bulk_create(
        StatusChange(
            discussion=r,
            at=now,
            actor_role=Role.SYSTEM,
            from_status=r.status,
            to_status=Discussion.Status.RESOLVED,
            from_open=r.is_open,
            to_open=False,
            close_reason=close_reason,
        )
        for r in rows
    )
    _auto_messages(rows, code, now)
    _notifications(
        [(recipient, r) for r in rows for recipient in (r.buyer_id, r.seller_account.user_id)],
        Notification.Kind.STATUS_CHANGED,
        now,
        params=lambda r: {"status": Discussion.Status.RESOLVED, "close_reason": close_reason},
    )
    return len(rows)


def close_after_delivery(now=None, batch=BATCH, pk=None):
    """DSC-20(b): delivered, and the buyer wrote nothing for 24 hours → resolved. A buyer
    message clears `delivery_close_at` (under the same row lock), so it either lands
    first and prevents this, or waits and is refused with a clear error."""
    now = (now or timezone.now()).astimezone(UTC)
    due_q = Q(is_open=True, status=Discussion.Status.IN_PROGRESS, delivery_close_at__lte=now)
    return _sweep(
        _rows(due_q, pk),
        "delivery_close_at",
        batch,
        lambda rows: _close(
            rows,
            due_q=due_q,
            close_reason=Discussion.CloseReason.DELIVERED_NO_OBJECTION,
            code="CLOSED_DELIVERED",
            now=now,
        ),
    )


def auto_resolve(now=None, batch=BATCH, pk=None):
    """DSC-18: IN_PROGRESS and not marked for 30 days from its (re)opening → RESOLVED
    (EXPIRED). A joined mediator clears `auto_resolve_at`, so those are not touched."""
    now = (now or timezone.now()).astimezone(UTC)
    due_q = Q(is_open=True, status=Discussion.Status.IN_PROGRESS, auto_resolve_at__lte=now)
    return _sweep(
        _rows(due_q, pk),
        "auto_resolve_at",
        batch,
        lambda rows: _close(
            rows, due_q=due_q, close_reason=Discussion.CloseReason.EXPIRED, code="CLOSED_EXPIRED", now=now
        ),
    )


# --- NTF-03 --------------------------------------------------------------------------


def send_buyer_reminders(now=None, batch=BATCH):
    """NTF-03: remind the buyer 7 days and 1 day before the auto-resolve, once each."""
    now = (now or timezone.now()).astimezone(UTC)
    sent = 0
    for before, field in zip(REMINDERS_BEFORE, ("reminder_7d_sent_at", "reminder_1d_sent_at"), strict=True):
        due_q = Q(
            is_open=True,
            status=Discussion.Status.IN_PROGRESS,
            auto_resolve_at__lte=now + before,
            auto_resolve_at__gt=now,
            **{f"{field}__isnull": True},
        )
        if field == "reminder_7d_sent_at":
            # A Discussion already inside its last day gets only the 1-day reminder.
            due_q &= Q(auto_resolve_at__gt=now + timedelta(days=1))

        def remind(rows, due_q=due_q, field=field):
            Discussion.objects.filter(due_q, pk__in=[r.pk for r in rows]).update(**{field: now})
            _notifications(
                [(r.buyer_id, r) for r in rows],
                Notification.Kind.REMINDER,
                now,
                params=lambda r: {"at": r.auto_resolve_at.isoformat()},
            )
            return len(rows)

        sent += _sweep(Discussion.objects.filter(due_q), "auto_resolve_at", batch, remind)
    return sent
