"""What every order page uses (orders.presenters): fragments rendered once per state and
language (`fragment`, the status badges, `form_fields`), the values of one request
(`Formats`, `url_maker`, `Row`, `HTML_ESCAPES`), SQL by ids (`rows_for_ids`), and the
numbers and labels several pages show. buyers.presenters uses them too.
"""

from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.dates import date_formatter
from core.money import money

from ..models import Order

# --- Fragments rendered once per state -------------------------------------------------------

# Rendered fragments of this process; all forgotten when there are FRAGMENTS_KEPT (the
# forms' fields are kept per order, badges per state).
FRAGMENTS_KEPT = 2000
_fragments = {}


@receiver(setting_changed)
def _forget(**kwargs):
    # Tests that change settings (languages, templates, DEBUG) get fragments rendered anew.
    _fragments.clear()


def fragment(template_name, key, context, language=None):
    """`template_name` rendered with `context()`, once per (template, language, key) and
    process; `key` must determine the context. With DEBUG on it is rendered every time,
    so an edited template shows at once. Plain str (rows are composed with f-strings):
    mark it safe where a template shows it."""
    cache_key = (template_name, language or get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        html = str(render_to_string(template_name, context()))
        if not settings.DEBUG:
            if len(_fragments) >= FRAGMENTS_KEPT:
                _fragments.clear()
            _fragments[cache_key] = html
    return html


def form_fields(template_name, name, form, key):
    """The fields of `form` (its errors, labels, widgets) as `template_name` renders them
    with the form as `name`. Django renders every widget and option from a template, a
    few thousand calls per form; an unbound form is rendered once per `key`, which must
    determine its initial values and fields, and language."""
    if form.is_bound:
        return mark_safe(render_to_string(template_name, {name: form}))
    return mark_safe(fragment(template_name, key, lambda: {name: form}))


def order_status_badges(status, is_overdue, delivered, handed_over, has_shipment, language=None, is_refunded=False):
    """The payment and parcel badges of an order (orders/includes/order_status.html);
    `is_refunded`: a paid order refunded in full (SAFE-03)."""

    def context():
        state = SimpleNamespace(
            is_refunded=is_refunded,
            is_cancelled=status == Order.Status.CANCELLED,
            is_paid=status == Order.Status.PAID,
            is_overdue=is_overdue,
            is_delivered=delivered,
            is_handed_over=handed_over,
            has_shipment=has_shipment,
        )
        return {"state": state}

    key = (status, is_overdue, delivered, handed_over, has_shipment, is_refunded)
    return fragment("orders/includes/order_status.html", key, context, language)


def order_status_of(order, now, is_refunded=False):
    """`order_status_badges` of a loaded order (its shipment selected with it), for a
    template."""
    shipment = getattr(order, "shipment", None)
    badges = order_status_badges(
        order.status,
        is_overdue=order.payment_due_at < now,
        delivered=bool(shipment and shipment.delivered_at),
        handed_over=bool(shipment and shipment.handed_over_at),
        has_shipment=shipment is not None,
        is_refunded=is_refunded,
    )
    return mark_safe(badges)


def discussion_status_badges(status, is_open, mediator_active, language=None):
    """A Discussion's badges (discussions/includes/status.html, the discussions app's
    template: the same markup as on its own pages)."""

    def context():
        return {"discussion": SimpleNamespace(status=status, is_open=is_open, mediator_active=mediator_active)}

    key = (status, is_open, mediator_active)
    return fragment("discussions/includes/status.html", key, context, language)


def commission_refund_badge(status, label, language=None):
    """An application's status badge (orders/commission_refund_status.html)."""

    def context():
        return {"application": SimpleNamespace(status=status, get_status_display=label)}

    return fragment("orders/commission_refund_status.html", status, context, language)


# --- Values of one request -------------------------------------------------------------------


def url_maker(name):
    """A function pk → the URL `name` reverses to for that pk, reversed once."""
    sentinel = "987654321"
    head, tail = reverse(name, args=[sentinel]).split(sentinel)
    return lambda pk: f"{head}{pk}{tail}"


class Row(SafeString):
    """A row's markup, escaped where it must be, that also says which object it shows."""

    def __new__(cls, html, pk):
        row = super().__new__(cls, html)
        row.pk = pk
        return row


class Formats:
    """Instants and amounts as core.dates and core.money give them (`market_time`,
    `market_date`, `iso_local`, `money`), in the active language, with the language's
    formats and each market's zone looked up once."""

    def __init__(self):
        self._datetime_format = get_format("SHORT_DATETIME_FORMAT")
        self._date_format = get_format("SHORT_DATE_FORMAT")
        self._format_datetime = date_formatter(str(self._datetime_format))
        self._format_date = date_formatter(str(self._date_format))
        self._amounts = {}

    def _time(self, local):
        return f"{self._format_datetime(local)} {local.tzname()}"

    def _date(self, local):
        return self._format_date(local)

    def time(self, value, time_zone):
        """`market_time`: "26.11.2026 10:00 CET"."""
        if value is None:
            return ""
        return self._time(value.astimezone(ZoneInfo(time_zone)))

    def date(self, value, time_zone):
        """`market_date`: "26.11.2026"."""
        if value is None:
            return ""
        return self._date(value.astimezone(ZoneInfo(time_zone)))

    def iso(self, value, time_zone):
        """`iso_local`: for <time datetime=…>."""
        if value is None:
            return ""
        return value.astimezone(ZoneInfo(time_zone)).isoformat()

    def time_tag(self, value, time_zone, *, short=False):
        """<time datetime="{iso_local}">{market_time}</time>; `short`: the date shown and
        the time in the title."""
        local = value.astimezone(ZoneInfo(time_zone))
        if short:
            return f'<time datetime="{local.isoformat()}" title="{self._time(local)}">{self._date(local)}</time>'
        return f'<time datetime="{local.isoformat()}">{self._time(local)}</time>'

    def money(self, amount, currency):
        """`money`: "1 234,50 zł", escaped."""
        key = (amount, currency)
        text = self._amounts.get(key)
        if text is None:
            text = self._amounts[key] = money(amount, currency).translate(HTML_ESCAPES)
        return text


# django.utils.html.escape's output for a str in one call (a page escapes its rows' texts).
HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


# --- Numbers and labels several pages show --------------------------------------------------


def order_number(pk):
    return f"{pk:08d}"


def discussion_number(pk):
    return f"D{pk:07d}"


def discussion_reasons():
    """{reason: label} of the Discussions' reasons, translated now."""
    model = Order._meta.get_field("discussions").related_model
    return {value: str(label) for value, label in model._meta.get_field("reason").flatchoices}


# --- Rows by ids ----------------------------------------------------------------------------

# Through the ORM, each primary key of an `__in` costs some twenty calls and compiling the
# query two thousand, more than reading and showing the rows.


def rows_for_ids(sql, ids):
    """The rows of `sql`, in which `{ids}` stands for the primary keys `ids`
    (`… IN ({ids})`)."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(ids))), list(ids))
        return cursor.fetchall()
