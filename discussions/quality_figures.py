"""Jakość mojej sprzedaży: the figures of the seller account's sales-quality panel
(QLT-01, and the counts behind the charts of QLT-02); the page is discussions.quality.

Every figure is about the Discussions *started* (``created_at``) in a window that ends
now: the last 30 and the last 90 days, plain elapsed time (TIME-04). A Discussion counts
in the window it started in, whatever happened to it later (it may have been marked
unresolved or closed after the window began — it is still counted with its start).

Reply times are the first-reply times the services record in business seconds of the
Discussion's market (``Discussion.first_reply_seconds``, DSC-10): a Discussion opened on
Friday evening and answered on Monday morning took a few business hours, not a weekend.

QLT-03: the figures and both charts come from aggregate queries — one ``GROUP BY`` over
the Discussions of the last 90 days that counts them by period (within 30 days or not,
and the chart's week) and outcome (the reply-time bucket, missed, pending), one count
of the orders, and per window one ordered query that fetches at most the two middle
values for the median. The number of queries does not depend on the number of rows, and
each reads one index of the account's rows by start (issue 13: `dsc_quality_idx` holds
every column they read, so PostgreSQL answers them from the index alone). They are
written in SQL, with parameters: built with the ORM, the thirty conditions cost more
Python than the page's template.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from orders.models import Order

from .models import Discussion

WINDOW_DAYS = (30, 90)
WITHIN_24H = 24 * 3600  # the seller's reply allowance (DSC-06), in business seconds
WITHIN_2H = 2 * 3600  # what the best sellers do (DSC-14)
TWELVE_HOURS = 12 * 3600
CHART_WEEKS = 12
DISTRIBUTION_DAYS = 90


# --- What counts -------------------------------------------------------------------------


def answered_q():
    """The seller replied: a first-reply time is recorded (a message, or an order event
    that counts as the reply, DSC-07)."""
    return Q(first_reply_seconds__isnull=False)


def missed_q(now):
    """No reply, and the seller's deadline passed while the Discussion was still open:
    it is open now, or it was closed at or after the deadline. One the buyer closed
    before the deadline (nothing left to answer) is not a missed reply."""
    return Q(first_reply_seconds__isnull=True, reply_due_at__lt=now) & (
        Q(closed_at__isnull=True) | Q(closed_at__gt=F("reply_due_at"))
    )


def pending_q(now):
    """No reply yet, and the seller still has time: not judged yet."""
    return Q(first_reply_seconds__isnull=True, reply_due_at__gte=now, is_open=True)


def needs_reply_q(now):
    """The denominator of both reply shares: the Discussions that needed a reply and whose
    outcome is known — answered (at any time) or missed (``missed_q``). Left out: the
    ones still within the reply time (``pending_q``) and the ones closed before the
    deadline without a reply (for example the buyer marked it resolved after ten minutes).
    The same denominator serves the 2-hour share, so both shares read against one number."""
    return answered_q() | missed_q(now)


# --- The figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowFigures:
    """QLT-01 for one window. Shares are percentages; None when there is nothing to divide by."""

    days: int
    discussions: int
    orders: int
    needs_reply: int  # answered + missed (see `needs_reply_q`)
    answered: int
    within_24h: int  # first reply within 24 business hours (≤ 86 400 s)
    within_2h: int  # first reply within 2 business hours (≤ 7 200 s)
    missed: int
    pending: int
    median_seconds: float | None  # of the answered ones; None when none was answered
    unresolved: int  # `unresolved_at` set: the buyer marked it unresolved (DSC-17)
    mediator_joined: int  # `mediator_joined_at` set: Allegro stepped in (MED-02/03)
    refund_closed: int  # closed automatically by a full refund (DSC-20a)

    @property
    def per_100_orders(self):
        return self.discussions * 100 / self.orders if self.orders else None

    @property
    def share_24h(self):
        return self.within_24h * 100 / self.needs_reply if self.needs_reply else None

    @property
    def share_2h(self):
        return self.within_2h * 100 / self.needs_reply if self.needs_reply else None


def _bucket_filters(now):
    """QLT-02's first-reply-time buckets (as conditions; the page's query computes the
    same buckets in `_OUTCOME`). A boundary belongs to the faster bucket, so the first
    bucket is exactly "within 2 hours" and the first three add up to "within 24
    business hours" of QLT-01; the last is the missed replies of `missed_q`."""
    seconds = "first_reply_seconds"
    return {
        "up_to_2h": Q(**{f"{seconds}__lte": WITHIN_2H}),
        "up_to_12h": Q(**{f"{seconds}__gt": WITHIN_2H, f"{seconds}__lte": TWELVE_HOURS}),
        "up_to_24h": Q(**{f"{seconds}__gt": TWELVE_HOURS, f"{seconds}__lte": WITHIN_24H}),
        "over_24h": Q(**{f"{seconds}__gt": WITHIN_24H}),
        "no_reply": missed_q(now),
    }


def _since(now, days):
    return now - timedelta(days=days)


# --- The queries ---------------------------------------------------------------------------

# Outcomes of a Discussion's first reply, as `_OUTCOME` numbers them.
UP_TO_2H, UP_TO_12H, UP_TO_24H, OVER_24H, MISSED, PENDING, NOT_JUDGED = 1, 2, 3, 4, 5, 6, 0
ANSWERED = (UP_TO_2H, UP_TO_12H, UP_TO_24H, OVER_24H)
BUCKET_OUTCOMES = {"up_to_2h": UP_TO_2H, "up_to_12h": UP_TO_12H, "up_to_24h": UP_TO_24H, "over_24h": OVER_24H}

# The outcome of each row: `answered_q`, then its bucket; `missed_q`; `pending_q`; else
# nothing to judge (closed before the deadline without a reply). %(now)s is the instant.
_OUTCOME = f"""CASE
    WHEN first_reply_seconds IS NOT NULL THEN CASE
        WHEN first_reply_seconds <= {WITHIN_2H} THEN {UP_TO_2H}
        WHEN first_reply_seconds <= {TWELVE_HOURS} THEN {UP_TO_12H}
        WHEN first_reply_seconds <= {WITHIN_24H} THEN {UP_TO_24H}
        ELSE {OVER_24H} END
    WHEN reply_due_at < %(now)s AND (closed_at IS NULL OR closed_at > reply_due_at) THEN {MISSED}
    WHEN reply_due_at >= %(now)s AND is_open THEN {PENDING}
    ELSE {NOT_JUDGED} END"""


def _sql_instant(value):
    return connection.ops.adapt_datetimefield_value(value)


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Summary:
    """The grouped counts of an account's last 90 days: {(within 30 days, week index or
    -1, outcome): (count, unresolved, Allegro joined, closed by a full refund)}."""

    groups: dict
    mondays: list  # the chart's weeks (`week_starts`)

    def total(self, recent_only=False, outcomes=None, column=0):
        return sum(
            values[column]
            for (recent, _week, outcome), values in self.groups.items()
            if (recent or not recent_only) and (outcomes is None or outcome in outcomes)
        )


def summary(account, now):
    """One GROUP BY over the account's Discussions started in the last 90 days."""
    tz = account.market.tz
    mondays = week_starts(account, now)
    starts = [datetime.combine(monday, time.min, tzinfo=tz) for monday in mondays]
    week = " ".join(f"WHEN created_at >= %(week_{index})s THEN {index}" for index in range(len(starts) - 1, -1, -1))
    table = Discussion._meta.db_table
    sql = f"""SELECT
        CASE WHEN created_at >= %(since_30)s THEN 1 ELSE 0 END,
        CASE {week} ELSE -1 END,
        {_OUTCOME},
        COUNT(*),
        COUNT(unresolved_at),
        COUNT(mediator_joined_at),
        SUM(CASE WHEN close_reason = %(full_refund)s THEN 1 ELSE 0 END)
    FROM {table}
    WHERE seller_account_id = %(account)s AND created_at >= %(since_90)s AND created_at <= %(now)s
    GROUP BY 1, 2, 3"""
    params = {
        "account": account.pk,
        "now": _sql_instant(now),
        "since_30": _sql_instant(_since(now, 30)),
        "since_90": _sql_instant(_since(now, 90)),
        "full_refund": Discussion.CloseReason.FULL_REFUND.value,
        **{f"week_{index}": _sql_instant(start) for index, start in enumerate(starts)},
    }
    groups = {(bool(recent), week, outcome): counts for recent, week, outcome, *counts in _fetch(sql, params)}
    return Summary(groups, mondays)


def discussion_counts(account, now, figures=None):
    """Every QLT-01 count for both windows and the QLT-02 buckets (from `summary`)."""
    figures = figures or summary(account, now)
    counts = {}
    for days, recent_only in ((30, True), (90, False)):
        total = figures.total
        answered = total(recent_only, ANSWERED)
        missed = total(recent_only, (MISSED,))
        counts.update(
            {
                f"discussions_{days}": total(recent_only),
                f"needs_reply_{days}": answered + missed,
                f"answered_{days}": answered,
                f"within_24h_{days}": total(recent_only, (UP_TO_2H, UP_TO_12H, UP_TO_24H)),
                f"within_2h_{days}": total(recent_only, (UP_TO_2H,)),
                f"missed_{days}": missed,
                f"pending_{days}": total(recent_only, (PENDING,)),
                f"unresolved_{days}": total(recent_only, column=1),
                f"mediator_{days}": total(recent_only, column=2),
                f"refund_{days}": total(recent_only, column=3),
            }
        )
    for name, outcome in BUCKET_OUTCOMES.items():
        counts[f"bucket_{name}"] = figures.total(outcomes=(outcome,))
    counts["bucket_no_reply"] = counts["missed_90"]
    counts["bucket_pending"] = counts["pending_90"]
    return counts


def _order_counts(account, now):
    """One query: the account's orders placed in each window."""
    table = Order._meta.db_table
    rows = _fetch(
        f"""SELECT COUNT(*), SUM(CASE WHEN created_at >= %(since_30)s THEN 1 ELSE 0 END) FROM {table}
        WHERE seller_account_id = %(account)s AND created_at >= %(since_90)s AND created_at <= %(now)s""",
        {
            "account": account.pk,
            "now": _sql_instant(now),
            "since_30": _sql_instant(_since(now, 30)),
            "since_90": _sql_instant(_since(now, 90)),
        },
    )
    ninety, thirty = rows[0]
    return {"orders_30": thirty or 0, "orders_90": ninety or 0}


def median_reply_seconds(account, now, days, answered):
    """The median first-reply time of the `answered` Discussions started in the window,
    in business seconds: one ordered query that fetches the middle value (odd count) or
    the two middle values (even count) by OFFSET — PERCENTILE_CONT is PostgreSQL only."""
    if not answered:
        return None
    middle, take = (answered // 2, 1) if answered % 2 else (answered // 2 - 1, 2)
    rows = _fetch(
        f"""SELECT first_reply_seconds FROM {Discussion._meta.db_table}
        WHERE seller_account_id = %(account)s AND created_at >= %(since)s AND created_at <= %(now)s
            AND first_reply_seconds IS NOT NULL
        ORDER BY first_reply_seconds LIMIT %(take)s OFFSET %(middle)s""",
        {
            "account": account.pk,
            "since": _sql_instant(_since(now, days)),
            "now": _sql_instant(now),
            "take": take,
            "middle": middle,
        },
    )
    values = [value for (value,) in rows]
    return sum(values) / len(values) if values else None


def window_figures(account, now, counts=None):
    """QLT-01 for the last 30 and 90 days, in that order. `counts` is the result of
    `discussion_counts` when the caller already has it."""
    if counts is None:
        counts = discussion_counts(account, now)
    orders = _order_counts(account, now)
    return [_figures(account, now, days, counts, orders) for days in WINDOW_DAYS]


def _figures(account, now, days, counts, orders):
    answered = counts[f"answered_{days}"]
    return WindowFigures(
        days=days,
        discussions=counts[f"discussions_{days}"],
        orders=orders[f"orders_{days}"],
        needs_reply=counts[f"needs_reply_{days}"],
        answered=answered,
        within_24h=counts[f"within_24h_{days}"],
        within_2h=counts[f"within_2h_{days}"],
        missed=counts[f"missed_{days}"],
        pending=counts[f"pending_{days}"],
        median_seconds=median_reply_seconds(account, now, days, answered),
        unresolved=counts[f"unresolved_{days}"],
        mediator_joined=counts[f"mediator_{days}"],
        refund_closed=counts[f"refund_{days}"],
    )


def week_starts(account, now):
    """The Mondays (local dates in the account's market) of the last 12 weeks, oldest
    first; the last is the current week, still running."""
    today = timezone.localtime(now, account.market.tz).date()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]


def weekly_counts(account, now, figures=None):
    """QLT-02: (Monday, Discussions started that week) for the last 12 weeks, weeks
    counted Monday to Sunday in the market's time zone (from `summary`)."""
    figures = figures or summary(account, now)
    by_week = {}
    for (_recent, week, _outcome), values in figures.groups.items():
        if week >= 0:
            by_week[week] = by_week.get(week, 0) + values[0]
    return [(monday, by_week.get(index, 0)) for index, monday in enumerate(figures.mondays)]
