"""Jakość mojej sprzedaży: the seller account's sales-quality panel (QLT-01…03).

The page (`panel`): the QLT-01 table of figures for the last 30 and 90 days, one row
per figure with a line that says what it counts, and the two charts of QLT-02. The
figures and their aggregate queries (QLT-03) are discussions.quality_figures; the
charts' geometry and SVG markup discussions.quality_charts.

Issue 13: the four queries read up to 10,000 rows each for a large seller (several
milliseconds of the database's time per view), so their results are kept in the cache
per account and minute, under the versions of the account's Discussions
(discussions.history) and orders (orders.tallies): a change to either shows at once,
the passing of time within a minute at most. The page says "as of" the instant they
were computed.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.versioned import cached_at_version
from orders.tallies import seller_version_key

from .history import version_key
from .presenters import duration_text
from .quality_charts import chart_view, distribution_chart, weekly_chart
from .quality_figures import discussion_counts, summary, window_figures


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


KEPT_FOR = 60  # seconds: the figures follow the clock to the minute


def _kept_figures(account, now):
    """(instant, Summary, counts, window figures) of `account`, as of a moment of the
    minute of `now`."""
    minute = int(now.timestamp()) // KEPT_FOR

    def compute():
        figures = summary(account, now)
        counts = discussion_counts(account, now, figures)
        return (now, figures, counts, window_figures(account, now, counts)), None

    return cached_at_version(
        (version_key("seller", account.pk), seller_version_key(account.pk)),
        f"discussions:quality:{account.pk}:{account.created_at.timestamp()}:{minute}",
        compute,
        2 * KEPT_FOR,
    )


def panel(account, now):
    """Everything the page shows, for `account` at `now` (to the minute)."""
    at, figures, counts, columns = _kept_figures(account, now)
    return {
        "account": account,
        "market": account.market,
        "now": at,
        "columns": columns,
        "column_labels": [window_label(figures.days) for figures in columns],
        "rows": rows_view(figure_rows(columns)),
        "weekly_chart": chart_view(weekly_chart(account, at, figures)),
        "reply_chart": chart_view(distribution_chart(counts)),
    }
