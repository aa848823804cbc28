"""What the Discussion lists and the notifications page read and show (issue 13, STYLE §9).

Each row's markup is written here once, in one pass: instants already in the market's
zone and format, labels and badges translated once per language (not per row), links
built from one reversed prefix, every text escaped. The templates render one plain loop
(`{% for row in rows %}{{ row }}{% endfor %}`), with no per-row include, tag, `{% url %}`,
translation or query; at 20 rows, a dozen `{{ row.x }}` per row cost more Python calls
than all the rest of the page.

The lists read their rows and counts in SQL written here rather than through the ORM:
compiling the equivalent querysets cost more Python calls than the rest of the view.
Every query is served by an index of Discussion: a page of the seller's list reads 20
entries of dsc_seller_list_idx (in the list's order), its count line and number of
pages are index-only counts of dsc_seller_open_counts_idx (the open rows, with every
column the counts test) and dsc_seller_closed_idx; nothing is cached, so the counts
follow every change at once.
"""

import json
from datetime import UTC
from functools import lru_cache
from html import escape
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy

from core.dates import date_formatter
from orders.models import Market, OrderLine

from .forms import DiscussionFilterForm
from .models import Discussion, Notification, Reason
from .search import where as search_where
from .texts import render_notification_subject

# --- Formatting -------------------------------------------------------------------------


def local_time_formatter():
    """A function (instant, time zone name) -> the text `market_time` gives for it
    ("26.11.2026 10:00 CET": SHORT_DATETIME_FORMAT of the active language, then the
    zone's abbreviation), HTML-escaped; the format is looked up once per request."""
    format_date = date_formatter(str(formats.get_format("SHORT_DATETIME_FORMAT")))

    def local_text(instant, time_zone):
        local = instant.astimezone(ZoneInfo(time_zone))
        return escape(f"{format_date(local)} {local.tzname()}")

    return local_text


def url_maker(viewname):
    """A function pk -> the URL of `viewname` for that pk (the same text as
    reverse(viewname, args=[pk]) for an integer route), reversed once, HTML-escaped."""
    marker = 918273645
    prefix, suffix = (escape(part) for part in reverse(viewname, args=[marker]).split(str(marker)))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _escaped_labels(choices):
    return {value: escape(str(label)) for value, label in choices}


# --- Rows of the Discussion lists ---------------------------------------------------------
#
# The markup of the former per-row include (includes/list_row.html, with status.html).
# Texts from the database are escaped with html.escape (what Django's escape does).

# UX-01: each cell carries its column's label (data-label, the same text as the table's header),
# shown before the value where the rows stack on a phone.
_SELLER_ROW = (
    "\n<tr>\n"
    '  <td data-label="{l_discussion}"><a href="{url}">{number}</a>'
    '<br><span class="muted small">{created}</span></td>\n'
    '  <td data-label="{l_reason}">{reason}<br><span class="muted small">{product}</span></td>\n'
    '  <td data-label="{l_buyer}">{buyer}<br><span class="muted small">{domain}</span></td>\n'
    '  <td data-label="{l_status}">{badges}</td>\n'
    '  <td data-label="{l_last_message}">{last_message}</td>\n'
    '  <td data-label="{l_reply_by}">{deadline}</td>\n'
    "</tr>\n"
)
_BUYER_ROW = _SELLER_ROW.replace(
    '  <td data-label="{l_buyer}">{buyer}<br><span class="muted small">{domain}</span></td>\n', ""
)
# The column labels, as the templates' table headers say them (the buyer's last column differs).
_COLUMN_LABELS = {
    "l_discussion": gettext_lazy("Discussion"),
    "l_reason": gettext_lazy("Reason"),
    "l_buyer": gettext_lazy("Buyer"),
    "l_status": gettext_lazy("Status"),
    "l_last_message": gettext_lazy("Last message"),
}
_REPLY_BY = {True: gettext_lazy("Reply by"), False: gettext_lazy("Seller's reply by")}
_DEADLINE = '\n<time datetime="{iso}"{overdue_class}>{due}</time>\n{overdue_badge}\n'

_STATUS_BADGES = {
    Discussion.Status.IN_PROGRESS: ("badge badge-warn", gettext_lazy("In progress")),
    Discussion.Status.RESOLVED: ("badge badge-ok", gettext_lazy("Resolved")),
}
_OTHER_STATUS_BADGE = ("badge badge-alert", gettext_lazy("Unresolved"))


@lru_cache(maxsize=16)
def _row_texts(language):
    """The rows' texts in `language` (the active one), translated and escaped once per
    language: reasons, last messages, the status cell's badges by (status, open, Allegro
    joined) as status.html writes them, the overdue badge and the column labels (UX-01) of
    the seller's (True) and the buyer's (False) list."""
    open_badge = format_html('<span class="badge">{}</span>', gettext_lazy("Open"))
    closed_badge = format_html('<span class="badge badge-muted">{}</span>', gettext_lazy("Closed"))
    joined_badge = format_html('<span class="badge badge-allegro">{}</span>\n', gettext_lazy("Allegro joined"))
    badges = {}
    # Keyed by booleans; SQLite's 0 and 1 are equal to them as keys.
    for status in (*_STATUS_BADGES, None):
        css, label = _STATUS_BADGES.get(status, _OTHER_STATUS_BADGE)
        for is_open in (True, False):
            for joined in (True, False):
                badges[status, is_open, joined] = format_html(
                    '\n<span class="{}">{}</span>\n{}\n{}',
                    css,
                    label,
                    open_badge if is_open else closed_badge,
                    joined_badge if joined else "",
                )
    columns = {name: escape(str(label)) for name, label in _COLUMN_LABELS.items()}
    return (
        _escaped_labels(Reason.choices),
        _escaped_labels(Discussion.LastMessageStatus.choices),
        badges,
        format_html('<br><span class="badge badge-alert">{}</span>', gettext_lazy("Overdue")),
        {for_seller: {**columns, "l_reply_by": escape(str(label))} for for_seller, label in _REPLY_BY.items()},
    )


def discussion_rows(rows, *, for_seller, now):
    """The markup of one page of a Discussion list (the buyer's or the seller's), one
    `<tr>` per Discussion, from the rows `page_rows` read."""
    row_markup = _SELLER_ROW if for_seller else _BUYER_ROW
    url = url_maker("discussions:seller_detail" if for_seller else "discussions:buyer_detail")
    local_text = local_time_formatter()
    reasons, last_messages, badges, overdue_badge, column_labels = _row_texts(get_language())
    labels = column_labels[for_seller]
    local_tz = timezone.get_current_timezone()
    presented = []
    for (
        pk,
        created_at,
        reason,
        status,
        is_open,
        mediator_active,
        last_message_status,
        due,
        unanswered,
        product,
        time_zone,
        buyer,
        domain,
    ) in rows:
        if is_open and unanswered and due:
            is_overdue = due < now
            deadline = _DEADLINE.format(
                iso=due.astimezone(local_tz).isoformat(),
                overdue_class=' class="overdue"' if is_overdue else "",
                due=local_text(due, time_zone),
                overdue_badge=overdue_badge if is_overdue else "",
            )
        else:
            deadline = "—"
        presented.append(
            SafeString(
                row_markup.format(
                    **labels,
                    url=url(pk),
                    number=f"D{pk:07d}",
                    created=local_text(created_at, time_zone),
                    reason=reasons.get(reason) or escape(reason),
                    product=escape(product),
                    buyer=escape(buyer),
                    domain=escape(domain),
                    badges=badges[status if status in _STATUS_BADGES else None, is_open, mediator_active],
                    last_message=last_messages.get(last_message_status) or escape(last_message_status),
                    deadline=deadline,
                )
            )
        )
    return presented


# --- What the lists read ------------------------------------------------------------------


class ListedDiscussions:
    """The Discussions one list shows, in its order: what the Paginator slices (each
    slice is one query of that page's rows) and counts (given: the view knows it)."""

    ordered = True

    def __init__(self, where, params, order_by, count):
        self.where, self.params, self.order_by, self.total = where, params, order_by, count

    def __getitem__(self, page):
        if page.stop <= page.start:
            return []
        return page_rows(self.where, self.params, self.order_by, page.start, page.stop - page.start)


class ListPaginator(Paginator):
    """A Paginator of ListedDiscussions, whose count is already known (no COUNT query)."""

    def __init__(self, listed, per_page):
        super().__init__(listed, per_page)
        self.count = listed.total


def page_rows(where, params, order_by, offset, limit):
    """One page of Discussions (`where`, `order_by`: SQL on the Discussion table, aliased
    d), with what the list rows show: the columns discussion_rows unpacks. The page's
    ids are found first, from the index alone where it holds every column `where` and
    `order_by` test (the seller's list without filters: dsc_seller_list_idx), so that a
    page far down the list does not sort the seller's Discussions; then only its rows
    are read and joined.

    The page's LIMIT and OFFSET are written into the SQL (integers), not passed as
    parameters: PostgreSQL then keeps one plan per page (prepared statements) instead of
    planning the query on every run (0.5 ms), which it did while the LIMIT was a
    parameter, as a plan for an unknown LIMIT costs more than one for 25 rows."""
    table = Discussion._meta.db_table
    limit, offset = int(limit), int(offset)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.id, d.created_at, d.reason, d.status, d.is_open,"
            " d.mediator_joined_at IS NOT NULL AND d.mediation_concluded_at IS NULL,"
            " d.last_message_status, d.reply_due_at, d.seller_replied_at IS NULL,"
            " l.title, m.time_zone, u.username, m.domain"
            f" FROM (SELECT d.id FROM {table} d WHERE {where} ORDER BY {order_by} LIMIT {limit} OFFSET {offset}) page"
            f" JOIN {table} d ON d.id = page.id"
            f" JOIN {OrderLine._meta.db_table} l ON l.id = d.line_id"
            f" JOIN {Market._meta.db_table} m ON m.code = d.market_id"
            f" JOIN {get_user_model()._meta.db_table} u ON u.id = d.buyer_id"
            f" ORDER BY {order_by}",
            params,
        )
        rows = cursor.fetchall()
    if not connection.features.supports_timezones:
        rows = [_aware(row) for row in rows]
    return rows


_INSTANT_COLUMNS = (1, 7)


def _aware(row):
    """A row of page_rows with its instants aware: SQLite gives them naive, in UTC."""
    row = list(row)
    for i in _INSTANT_COLUMNS:
        if row[i] is not None:
            row[i] = row[i].replace(tzinfo=UTC)
    return row


# The seller's list: open first; of those, the ones waiting for the seller's reply first;
# soonest deadline first; newest first — models.SELLER_LIST_ORDER, the order of
# dsc_seller_list_idx, written as SQL.
SELLER_ORDER = (
    "d.is_open DESC, CASE WHEN d.seller_replied_at IS NULL THEN 0 ELSE 1 END,"
    " d.reply_due_at ASC, d.created_at DESC, d.id DESC"
)
BUYER_ORDER = "d.created_at DESC, d.id DESC"  # Discussion.Meta.ordering (dsc_buyer_recent_idx)


def buyer_discussions(user_id, status=None, search=None):
    """The buyer's Discussions, newest first; with a status (UX-06) only those, and with
    a search (discussions.search, UX-06: numbers, the seller's login or shop name, the
    product) only those it finds. One COUNT and one page query either way."""
    where, params = ["d.buyer_id = %s"], [user_id]
    if status:
        where.append("d.status = %s")
        params.append(status)
    if search is not None:
        condition, condition_params = search_where(search, other_party="seller")
        where.append(condition)
        params += condition_params
    where = " AND ".join(where)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Discussion._meta.db_table} d WHERE {where}", params)
        (count,) = cursor.fetchone()
    return ListedDiscussions(where, params, BUYER_ORDER, count)


def seller_discussions(account_id, filters, counts, now, search=None):
    """The seller's Discussions that `filters` (DiscussionFilterForm's cleaned data)
    and `search` (discussions.search, UX-06) select, with their number: one of `counts`
    when at most "show" narrows the list, else a COUNT of the same selection."""
    where, params = ["d.seller_account_id = %s"], [account_id]
    for name, column in (("status", "d.status"), ("reason", "d.reason"), ("market", "d.market_id")):
        if filters.get(name):
            where.append(f"{column} = %s")
            params.append(filters[name])
    show = filters.get("show")
    if show == "needs_reply":
        where.append("d.is_open AND NOT d.last_message_status = %s")
        params.append(Discussion.LastMessageStatus.SELLER_REPLIED.value)
    elif show == "overdue":
        where.append("d.is_open AND d.seller_replied_at IS NULL AND d.reply_due_at <= %s")
        params.append(connection.ops.adapt_datetimefield_value(now))
    if search is not None:
        condition, condition_params = search_where(search, other_party="buyer")
        where.append(condition)
        params += condition_params
    where = " AND ".join(where)
    if search is not None or filters.get("status") or filters.get("reason") or filters.get("market"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {Discussion._meta.db_table} d WHERE {where}", params)
            (count,) = cursor.fetchone()
    else:
        count = counts[show if show in ("needs_reply", "overdue") else "all"]
    return ListedDiscussions(where, params, SELLER_ORDER, count)


# --- The seller list's filter bar ---------------------------------------------------------


def _form(values):
    return DiscussionFilterForm(dict(values))


@lru_cache(maxsize=256)
def _cleaned_filters(values):
    form = _form(values)
    return form.cleaned_data if form.is_valid() else {}


@lru_cache(maxsize=256)
def _filter_fields(language, values):
    return format_html_join(
        "",
        '<label class="visually-hidden" for="{}">{}</label>{}',
        ((field.id_for_label, field.label, field) for field in _form(values)),
    )


def seller_filters(query):
    """The seller list's filters from the query string: the values DiscussionFilterForm
    cleans them to ({} when any is invalid: then nothing is filtered), and the filter
    bar's labelled selects as the form renders them. Both depend only on the four values
    (and the language), so the form is built and rendered once per such key and reused."""
    values = tuple((name, query.get(name)) for name in DiscussionFilterForm.base_fields)
    return dict(_cleaned_filters(values)), mark_safe(_filter_fields(get_language(), values))


# --- Notifications ------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _kind_labels(language):
    return {value: str(label) for value, label in Notification.Kind.choices}


def _latest_notifications(user_id, limit):
    """The user's latest notifications (ntf_recipient_idx), with what the page needs of
    their Discussion and its market. The LIMIT is in the SQL's text, so that PostgreSQL
    keeps one plan for it (see page_rows)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.kind, n.params, n.created_at, n.read_at, n.discussion_id, d.buyer_id,"
            " d.market_id, m.currency, m.time_zone"
            f" FROM {Notification._meta.db_table} n"
            f" LEFT JOIN {Discussion._meta.db_table} d ON d.id = n.discussion_id"
            f" LEFT JOIN {Market._meta.db_table} m ON m.code = d.market_id"
            f" WHERE n.recipient_id = %s ORDER BY n.created_at DESC, n.id DESC LIMIT {int(limit)}",
            [user_id],
        )
        return cursor.fetchall()


_NOTIFICATION = (
    '\n    <li class="card{unread_class}">\n'
    "      {text}\n"
    '      <span class="muted small">{time}{new}</span>\n'
    "    </li>\n  "
)
_NEW = gettext_lazy("new")


def notification_rows(user, limit=50):
    """The markup of the user's latest notifications, one `<li>` each: the text in the
    active language (the same as `{% notification_text %}`), linked to the Discussion as
    the user's role sees it, its time, and whether it is new."""
    buyer_url = url_maker("discussions:buyer_detail")
    seller_url = url_maker("discussions:seller_detail")
    local_text = local_time_formatter()
    naive = not connection.features.supports_timezones  # SQLite: in UTC
    kinds = _kind_labels(get_language())
    new = f" · {escape(str(_NEW))}"
    markets = {}
    rows = []
    latest = _latest_notifications(user.pk, limit)
    for kind, params, created_at, read_at, discussion_id, buyer_id, code, currency, time_zone in latest:
        if discussion_id is None:
            text, time = escape(kinds.get(kind, kind)), ""
        else:
            market = markets.get(code)
            if market is None:
                market = markets[code] = Market(code=code, currency=currency, time_zone=time_zone)
            url = (buyer_url if user.pk == buyer_id else seller_url)(discussion_id)
            text = f'<a href="{url}">{escape(render_notification_subject(kind, json.loads(params), market))}</a>'
            time = local_text(created_at.replace(tzinfo=UTC) if naive else created_at, time_zone)
        unread = read_at is None
        rows.append(
            SafeString(
                _NOTIFICATION.format(
                    unread_class=" is-unread" if unread else "", text=text, time=time, new=new if unread else ""
                )
            )
        )
    return rows
