"""Jakość mojej sprzedaży: the two charts of the sales-quality panel (QLT-02) —
Discussions per week and first-reply-time buckets — as inline-SVG geometry (`Chart`,
`Bar`) with a text alternative (a data table), and the bars' SVG markup the chart
templates include (`chart_view`). The counts come from discussions.quality_figures; no
JavaScript.
"""

from dataclasses import dataclass

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .quality_figures import weekly_counts


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
