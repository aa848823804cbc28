"""Jakość mojej sprzedaży: the seller account's sales-quality panel (QLT-01…03).

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
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from orders.models import Order

from .models import Discussion
from .presenters import duration_text

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
    return Q(first_reply_seconds__isnull=True, reply_due_at__lte=now) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=F("reply_due_at"))
    )


def pending_q(now):
    """No reply yet, and the seller still has time: not judged yet."""
    return Q(first_reply_seconds__isnull=True, reply_due_at__gt=now, is_open=True)


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
    WHEN reply_due_at <= %(now)s AND (closed_at IS NULL OR closed_at >= reply_due_at) THEN {MISSED}
    WHEN reply_due_at > %(now)s AND is_open THEN {PENDING}
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


# --- Charts (inline SVG geometry; the templates draw it) ----------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar and where its texts go, in the chart's viewBox units."""

    label: str  # the short label drawn in the chart
    label_extra: str  # a second label line ("" for none)
    description: str  # the row header of the data table
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    tone: str = ""

    @property
    def label_extra_y(self):
        return self.label_y + 15


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    description: str
    label_header: str
    value_header: str
    width: int
    height: int
    bars: list
    baseline: tuple  # x1, y1, x2, y2
    note: str = ""


def _scale(values):
    return max([*values, 1])


def column_chart(slug, items, *, title, description, label_header, value_header, note="", width=400, height=220):
    """Vertical bars, one per item (label, label_extra, description, value, tone), with the
    value above each bar and the labels under the baseline."""
    left, right, top, bottom = 4, 4, 22, 40
    plot_height = height - top - bottom
    slot = (width - left - right) / len(items)
    bar_width = slot * 0.68
    peak = _scale(value for *_rest, value, _tone in items)
    bars = []
    for index, (label, extra, text, value, tone) in enumerate(items):
        bar_height = round(value / peak * plot_height, 1)
        x = round(left + index * slot + (slot - bar_width) / 2, 1)
        y = round(top + plot_height - bar_height, 1)
        center = round(x + bar_width / 2, 1)
        bars.append(
            Bar(
                label=label,
                label_extra=extra,
                description=text,
                value=value,
                x=x,
                y=y,
                width=round(bar_width, 1),
                height=bar_height,
                label_x=center,
                label_y=top + plot_height + 16,
                value_x=center,
                value_y=round(y - 5, 1),
                tone=tone,
            )
        )
    baseline = (left, top + plot_height, width - right, top + plot_height)
    return Chart(slug, title, description, label_header, value_header, width, height, bars, baseline, note)


ROW_HEIGHT = 44


def row_chart(slug, items, *, title, description, label_header, value_header, note="", width=400):
    """Horizontal bars, one row per item (label, description, value, tone): the label on
    its own line above the bar, so long translations never collide with the bars."""
    value_room = 44
    peak = _scale(value for *_rest, value, _tone in items)
    bars = []
    for index, (label, text, value, tone) in enumerate(items):
        top = index * ROW_HEIGHT
        bar_width = round(value / peak * (width - value_room), 1)
        bars.append(
            Bar(
                label=label,
                label_extra="",
                description=text,
                value=value,
                x=0,
                y=top + 21,
                width=bar_width,
                height=14,
                label_x=0,
                label_y=top + 14,
                value_x=round(bar_width + 6, 1),
                value_y=top + 33,
                tone=tone,
            )
        )
    height = len(items) * ROW_HEIGHT
    return Chart(slug, title, description, label_header, value_header, width, height, bars, (0, 0, 0, 0), note)


def weekly_chart(account, now, figures=None):
    weeks = weekly_counts(account, now, figures)
    items = []
    previous_month = None
    for index, (monday, count) in enumerate(weeks):
        current = index == len(weeks) - 1
        month = formats.date_format(monday, "M") if monday.month != previous_month else ""
        previous_month = monday.month
        week_text = _("week from %(date)s") % {"date": formats.date_format(monday, "DATE_FORMAT")}
        if current:
            week_text = _("%(week)s (this week, so far)") % {"week": week_text}
        items.append((str(monday.day), month, week_text, count, "current" if current else ""))
    total = sum(count for _monday, count in weeks)
    busiest_monday, busiest = max(weeks, key=lambda week: (week[1], week[0]))
    if total:
        description = ngettext(
            "%(total)s Discussion started in the last 12 weeks; the most, %(busiest)s, in the week from %(week)s.",
            "%(total)s Discussions started in the last 12 weeks; the most, %(busiest)s, in the week from %(week)s.",
            total,
        ) % {"total": total, "busiest": busiest, "week": formats.date_format(busiest_monday, "DATE_FORMAT")}
    else:
        description = _("No Discussions started in the last 12 weeks.")
    return column_chart(
        "weekly",
        items,
        title=_("Discussions per week, last 12 weeks"),
        description=description,
        label_header=_("Week (Monday to Sunday)"),
        value_header=_("Discussions"),
        note=_("Weeks run from Monday to Sunday; the last, lighter bar is this week so far."),
    )


def distribution_chart(counts):
    buckets = [
        (_("Up to 2 h"), _("First reply within 2 business hours"), counts["bucket_up_to_2h"], "fast"),
        (_("2–12 h"), _("First reply after 2 to 12 business hours"), counts["bucket_up_to_12h"], "good"),
        (_("12–24 h"), _("First reply after 12 to 24 business hours"), counts["bucket_up_to_24h"], "ok"),
        (_("Over 24 h"), _("First reply after more than 24 business hours"), counts["bucket_over_24h"], "late"),
        (_("No reply by the deadline"), _("No reply, the deadline passed"), counts["bucket_no_reply"], "none"),
    ]
    total = sum(value for *_rest, value, _tone in buckets)
    within = sum(value for *_rest, value, _tone in buckets[:3])
    if total:
        description = ngettext(
            "First reply times in %(total)s Discussion of the last 90 days: %(within)s within 24 business hours.",
            "First reply times in %(total)s Discussions of the last 90 days: %(within)s within 24 business hours.",
            total,
        ) % {"total": total, "within": within}
    else:
        description = _("No first replies to show for the last 90 days.")
    pending = counts["bucket_pending"]
    note = (
        ngettext(
            "%(count)s Discussion still within your reply time is not shown.",
            "%(count)s Discussions still within your reply time are not shown.",
            pending,
        )
        % {"count": pending}
        if pending
        else ""
    )
    return row_chart(
        "replies",
        buckets,
        title=_("First reply time, last 90 days (business hours)"),
        description=description,
        label_header=_("First reply"),
        value_header=_("Discussions"),
        note=note,
    )


# --- The page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    window: str  # the column's heading, repeated where the table is stacked on a phone
    value: str
    detail: str = ""


@dataclass(frozen=True)
class FigureRow:
    slug: str
    label: str
    explanation: str
    cells: list


NO_VALUE = "—"


def _number(value, decimals=0):
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _percent(value):
    if value is None:
        return NO_VALUE
    return _("%(percent)s%%") % {"percent": _number(value)}


def _of(part, whole):
    return _("%(part)s of %(whole)s") % {"part": _number(part), "whole": _number(whole)} if whole else ""


def window_label(days):
    return ngettext("Last %(days)s day", "Last %(days)s days", days) % {"days": days}


def _cells(columns, value, detail=lambda figures: ""):
    return [Cell(window_label(figures.days), value(figures), detail(figures)) for figures in columns]


def figure_rows(columns):
    """The QLT-01 table: one row per figure, one cell per window, each with a line that
    says what it counts."""
    return [
        FigureRow(
            "discussions",
            _("Discussions"),
            _("Discussions buyers started with you in the period."),
            _cells(columns, lambda f: _number(f.discussions)),
        ),
        FigureRow(
            "per-100-orders",
            _("Discussions per 100 orders"),
            _("Discussions started for every 100 orders placed in the period."),
            _cells(
                columns,
                lambda f: NO_VALUE if f.per_100_orders is None else _number(f.per_100_orders, 1),
                lambda f: ngettext("%(count)s order", "%(count)s orders", f.orders) % {"count": _number(f.orders)},
            ),
        ),
        FigureRow(
            "within-24h",
            _("Answered within 24 business hours"),
            _("Of the Discussions that needed your reply: the first reply came within the 24-business-hour deadline."),
            _cells(columns, lambda f: _percent(f.share_24h), lambda f: _of(f.within_24h, f.needs_reply)),
        ),
        FigureRow(
            "within-2h",
            _("Answered within 2 hours"),
            _("Of the same Discussions: the first reply came within 2 business hours, as the best sellers do."),
            _cells(columns, lambda f: _percent(f.share_2h), lambda f: _of(f.within_2h, f.needs_reply)),
        ),
        FigureRow(
            "median",
            _("Median first reply time"),
            _("Half of your first replies came faster than this, counted in business hours."),
            _cells(
                columns,
                lambda f: NO_VALUE if f.median_seconds is None else duration_text(timedelta(seconds=f.median_seconds)),
                lambda f: (
                    ngettext("%(count)s reply", "%(count)s replies", f.answered) % {"count": f.answered}
                    if f.answered
                    else ""
                ),
            ),
        ),
        FigureRow(
            "unresolved",
            pgettext("quality figure", "Marked unresolved"),
            _("Discussions the buyer marked as unresolved, which sends them to Allegro."),
            _cells(columns, lambda f: _number(f.unresolved)),
        ),
        FigureRow(
            "mediator",
            _("Allegro stepped in"),
            _("Discussions an Allegro employee joined to help the parties agree."),
            _cells(columns, lambda f: _number(f.mediator_joined)),
        ),
        FigureRow(
            "refund",
            _("Closed by a full refund"),
            _("Discussions closed automatically because you refunded the full amount."),
            _cells(columns, lambda f: _number(f.refund_closed)),
        ),
    ]


# What the templates read is plain dicts of strings (issue 13, STYLE §9): a template
# looks a dict key up at once, where an object's attribute costs a failed key lookup
# first, and a string is written as it is, where a number is localized on the way.


def _svg_number(value):
    """A number as an SVG attribute needs it, "12.5": what Django writes for our rounded
    coordinates with localization off (`{% localize off %}`)."""
    return str(value)


# The bars' SVG elements, one `<g>` per bar, written once per bar here rather than by a
# template loop of a dozen variables each (issue 13: 17 bars were half the page's
# template work). Labels are escaped; every other value is a number or one of our
# class names. The whitespace is the chart templates' own.
_COLUMN_BAR = (
    '\n      <g class="{}">\n        {}\n'
    '        <text class="chart-value" x="{}" y="{}" text-anchor="middle">{}</text>\n'
    '        <text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>\n'
    "        {}\n      </g>\n    "
)
_COLUMN_RECT = '<rect x="{}" y="{}" width="{}" height="{}" rx="2"></rect>'
_COLUMN_EXTRA = '<text class="chart-label chart-label-extra" x="{}" y="{}" text-anchor="middle">{}</text>'
_ROW_BAR = (
    '\n      <g class="{}">\n'
    '        <text class="chart-label chart-row-label" x="{}" y="{}">{}</text>\n'
    '        <rect class="chart-track" x="0" y="{}" width="{}" height="{}" rx="2"></rect>\n'
    "        {}\n"
    '        <text class="chart-value" x="{}" y="{}">{}</text>\n      </g>\n    '
)


def _bar_class(bar):
    return f"chart-bar is-{bar.tone}" if bar.tone else "chart-bar"


def _column_bar_svg(bar):
    n = _svg_number
    rect = _COLUMN_RECT.format(n(bar.x), n(bar.y), n(bar.width), n(bar.height)) if bar.height else ""
    extra = (
        _COLUMN_EXTRA.format(n(bar.label_x), n(bar.label_extra_y), escape(bar.label_extra)) if bar.label_extra else ""
    )
    return _COLUMN_BAR.format(
        _bar_class(bar),
        rect,
        n(bar.value_x),
        n(bar.value_y),
        n(bar.value),
        n(bar.label_x),
        n(bar.label_y),
        escape(bar.label),
        extra,
    )


def _row_bar_svg(bar, chart_width):
    n = _svg_number
    rect = _COLUMN_RECT.format(n(bar.x), n(bar.y), n(bar.width), n(bar.height)) if bar.width else ""
    return _ROW_BAR.format(
        _bar_class(bar),
        n(bar.label_x),
        n(bar.label_y),
        escape(bar.label),
        n(bar.y),
        chart_width,
        n(bar.height),
        rect,
        n(bar.value_x),
        n(bar.value_y),
        n(bar.value),
    )


def chart_view(chart):
    """A `Chart` as the chart templates draw it."""
    width = _svg_number(chart.width)
    if chart.baseline == (0, 0, 0, 0):  # a row chart (`row_chart`)
        bars_svg = mark_safe("".join(_row_bar_svg(bar, width) for bar in chart.bars))
    else:
        bars_svg = mark_safe("".join(_column_bar_svg(bar) for bar in chart.bars))
    return {
        "bars_svg": bars_svg,
        "slug": chart.slug,
        "title": chart.title,
        "description": chart.description,
        "note": chart.note,
        "label_header": chart.label_header,
        "value_header": chart.value_header,
        "width": width,
        "height": _svg_number(chart.height),
        "baseline": [_svg_number(value) for value in chart.baseline],
        # The data table's rows: the values localized, as the page writes numbers.
        "bars": [{"description": bar.description, "value": formats.localize(bar.value)} for bar in chart.bars],
    }


def rows_view(rows):
    """The `FigureRow`s as the table's template reads them."""
    return [
        {
            "slug": row.slug,
            "label": row.label,
            "explanation": row.explanation,
            "cells": [{"window": cell.window, "value": cell.value, "detail": cell.detail} for cell in row.cells],
        }
        for row in rows
    ]


def panel(account, now):
    """Everything the page shows, for `account` at `now`."""
    figures = summary(account, now)
    counts = discussion_counts(account, now, figures)
    columns = window_figures(account, now, counts)
    return {
        "account": account,
        "market": account.market,
        "now": now,
        "columns": columns,
        "column_labels": [window_label(figures.days) for figures in columns],
        "rows": rows_view(figure_rows(columns)),
        "weekly_chart": chart_view(weekly_chart(account, now, figures)),
        "reply_chart": chart_view(distribution_chart(counts)),
    }
