"""What the order pages show, computed once per request (issue 13, STYLE §9).

A page costs its Python calls: a template variable costs some thirty, an `{% include %}`,
`{% url %}` or `{% blocktranslate %}` a hundred or more, and a 20-row list used to make
a hundred thousand of them. So each row is written here, once, from the columns its
query fetched, as the markup the page's template used to produce: instants already in the
market's zone and the language's format (`Formats`), amounts in the market's currency,
URLs built from one reversed prefix (`url_maker`), labels translated once per request,
texts escaped as Django escapes them (`HTML_ESCAPES`). Badges come from their own
templates, rendered once per state and language (`fragment`). A list's template is one
plain loop over its rows (`Row`: the row's HTML, which also knows its object's pk).

A page's lines and Discussions are read by ids in SQL written here (`rows_for_ids`):
through the ORM each id of an `__in` costs some twenty calls, and compiling the query two
thousand, more than reading and writing the rows.
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
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.dates import date_formatter
from core.money import money

from . import commission
from .models import CommissionRefund, Order, OrderEvent, OrderLine

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


def order_status_badges(status, is_overdue, delivered, handed_over, has_shipment, language=None):
    """The payment and parcel badges of an order (orders/includes/order_status.html)."""

    def context():
        state = SimpleNamespace(
            is_cancelled=status == Order.Status.CANCELLED,
            is_paid=status == Order.Status.PAID,
            is_overdue=is_overdue,
            is_delivered=delivered,
            is_handed_over=handed_over,
            has_shipment=has_shipment,
        )
        return {"state": state}

    key = (status, is_overdue, delivered, handed_over, has_shipment)
    return fragment("orders/includes/order_status.html", key, context, language)


def order_status_of(order, now):
    """`order_status_badges` of a loaded order (its shipment selected with it), for a
    template."""
    shipment = getattr(order, "shipment", None)
    badges = order_status_badges(
        order.status,
        is_overdue=order.payment_due_at < now,
        delivered=bool(shipment and shipment.delivered_at),
        handed_over=bool(shipment and shipment.handed_over_at),
        has_shipment=shipment is not None,
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


def _lines_text(lines):
    return "<br>".join(f"{title.translate(HTML_ESCAPES)} × {quantity}" for title, quantity in lines)


def _order_number(pk):
    return f"{pk:08d}"


def _discussion_number(pk):
    return f"D{pk:07d}"


def _is_mediator_active(joined_at, concluded_at):
    return joined_at is not None and concluded_at is None


# The lines and Discussions of a page's orders are read in SQL written here: through the
# ORM, each primary key of `order_id__in` costs some twenty calls and compiling the query
# two thousand, more than reading and showing the rows.


def rows_for_ids(sql, ids):
    """The rows of `sql`, in which `{ids}` stands for the primary keys `ids`
    (`… IN ({ids})`)."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(ids))), list(ids))
        return cursor.fetchall()


def _select_for_orders(model, columns, order_ids, order_by):
    """Rows of `columns` (SQL over `model`'s table) of the rows whose order is one of
    `order_ids`, by `order_by`."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    order = quote(model._meta.get_field("order").column)
    return rows_for_ids(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {order} IN ({{ids}}) ORDER BY {order_by}", order_ids
    )


def _lines_of(order_ids):
    """{order pk: [(title, quantity), …]} in the lines' order."""
    column = OrderLine._meta.get_field
    by_order = {}
    columns = [column(name).column for name in ("order", "title", "quantity")]
    for order_id, title, quantity in _select_for_orders(OrderLine, columns, order_ids, "id"):
        by_order.setdefault(order_id, []).append((title, quantity))
    return by_order


def _discussions_of(order_ids):
    """{order pk: [(pk, reason, status, is_open, mediator_active), …]}, newest first as
    the discussions app orders them."""
    model = Order._meta.get_field("discussions").related_model
    column = {
        name: model._meta.get_field(name).column
        for name in (
            "order",
            "reason",
            "status",
            "is_open",
            "mediator_joined_at",
            "mediation_concluded_at",
            "created_at",
        )
    }
    columns = [
        column["order"],
        "id",
        column["reason"],
        column["status"],
        column["is_open"],
        f"({column['mediator_joined_at']} IS NOT NULL AND {column['mediation_concluded_at']} IS NULL)",
    ]
    by_order = {}
    for order_id, pk, reason, status, is_open, mediator_active in _select_for_orders(
        model, columns, order_ids, f"{column['created_at']} DESC, id DESC"
    ):
        by_order.setdefault(order_id, []).append((pk, reason, status, bool(is_open), bool(mediator_active)))
    return by_order


# --- Zamówienia (the seller's orders) --------------------------------------------------------

SELLER_ORDER_FIELDS = (
    "pk",
    "created_at",
    "status",
    "payment_method",
    "payment_due_at",
    "total_amount",
    "buyer__username",
    "market__currency",
    "market__time_zone",
    "shipment__pk",
    "shipment__handed_over_at",
    "shipment__delivered_at",
    "commission_granted",
)


class SellerOrderRows:
    """ORD-09/ORD-04/REB-02: the rows of *Zamówienia*, each with its *Akcje* menu."""

    def __init__(self, now):
        self.now = now
        self.language = get_language()
        self.formats = Formats()
        self.order_url = url_maker("orders:seller_order_detail")
        self.discussion_url = url_maker("discussions:seller_detail")
        self.commission_url = url_maker("orders:commission_refund_new")
        self.discussion_label = _("Discussion %(number)s")
        self.payment_due = escape(_("Payment due"))
        self.commission_granted = escape(_("Commission refund granted"))
        self.details = escape(_("Order details"))
        self.tracking = escape(_("Enter tracking number"))
        self.handover = escape(_("Mark as handed to the carrier"))
        self.transfer = escape(_("Mark transfer as received"))
        self.refund = escape(_("Refund money"))
        self.commission = escape(_("Commission refund"))
        self.actions = escape(_("Actions"))

    def rows(self, orders):
        """`orders`: dicts of SELLER_ORDER_FIELDS, in the page's order."""
        pks = [order["pk"] for order in orders]
        lines = _lines_of(pks)
        discussions = _discussions_of(pks)
        return [self.row(order, lines.get(order["pk"], ()), discussions.get(order["pk"], ())) for order in orders]

    def row(self, order, lines, discussions):
        pk, zone, currency = order["pk"], order["market__time_zone"], order["market__currency"]
        status = order["status"]
        url = self.order_url(pk)
        is_unpaid = status == Order.Status.AWAITING_PAYMENT
        is_paid = status == Order.Status.PAID
        has_shipment = order["shipment__pk"] is not None
        delivered = order["shipment__delivered_at"] is not None
        handed_over = order["shipment__handed_over_at"] is not None

        products = _lines_text(lines) + "\n        "
        for discussion_pk, _reason, d_status, is_open, mediator_active in discussions:
            label = self.discussion_label % {"number": _discussion_number(discussion_pk)}
            badges = discussion_status_badges(d_status, is_open, mediator_active, self.language)
            products += f'<br><a class="small" href="{self.discussion_url(discussion_pk)}">{label}</a> {badges}'

        is_overdue = order["payment_due_at"] < self.now
        state = order_status_badges(status, is_overdue, delivered, handed_over, has_shipment, self.language)
        if is_unpaid:
            due = self.formats.date(order["payment_due_at"], zone)
            state += f'<br><span class="muted small">{self.payment_due} {due}</span>'
        state += "\n        "
        if order["commission_granted"]:
            granted = self.formats.money(order["commission_granted"], currency)
            state += f'<br><span class="commission-granted small">{self.commission_granted}: {granted}</span>'

        menu = [f'<li><a href="{url}">{self.details}</a></li>']
        if status != Order.Status.CANCELLED and not delivered:
            menu.append(f'<li><a href="{url}#tracking">{self.tracking}</a></li>')
        if has_shipment and not handed_over:
            menu.append(f'<li><a href="{url}#handover">{self.handover}</a></li>')
        if is_unpaid and order["payment_method"] == Order.PaymentMethod.TRADITIONAL_TRANSFER:
            menu.append(f'<li><a href="{url}#transfer">{self.transfer}</a></li>')
        if is_paid:
            menu.append(f'<li><a href="{url}#refund">{self.refund}</a></li>')
        # REB-02: *Zwrot prowizji* is disabled, with the reason, after 45 days.
        dated = SimpleNamespace(created_at=order["created_at"], market=SimpleNamespace(tz=ZoneInfo(zone)))
        allowed, refusal = commission.can_apply(dated, self.now)
        if allowed:
            menu.append(f'<li><a href="{self.commission_url(pk)}">{self.commission}</a></li>')
        else:
            refusal = escape(refusal)
            menu.append(
                f'<li class="menu-disabled"><span aria-disabled="true">{self.commission}</span>'
                f'<span class="menu-why">{refusal}</span></li>'
            )

        created = self.formats.time(order["created_at"], zone)
        menu = "\n            ".join(menu)
        return Row(
            f"""
    <tr>
      <td><a href="{url}">{_order_number(pk)}</a><br><span class="muted small">{created}</span></td>
      <td>{order["buyer__username"].translate(HTML_ESCAPES)}</td>
      <td>{products}</td>
      <td class="num">{self.formats.money(order["total_amount"], currency)}</td>
      <td>{state}</td>
      <td>
        <details class="menu">
          <summary class="button button-small button-secondary">{self.actions}</summary>
          <ul class="menu-items">
            {menu}
          </ul>
        </details>
      </td>
    </tr>""",
            pk,
        )


# --- Moje zakupy (the buyer's purchases) -----------------------------------------------------

PURCHASE_FIELDS = (
    "pk",
    "created_at",
    "status",
    "payment_due_at",
    "total_amount",
    "seller_account__display_name",
    "market__currency",
    "market__time_zone",
    "shipment__pk",
    "shipment__handed_over_at",
    "shipment__delivered_at",
)


def _discussion_reasons():
    """{reason: label} of the Discussions' reasons, translated now."""
    model = Order._meta.get_field("discussions").related_model
    return {value: str(label) for value, label in model._meta.get_field("reason").flatchoices}


class PurchaseRows:
    """ORD-09: the cards of *Moje zakupy*."""

    def __init__(self, now):
        self.now = now
        self.language = get_language()
        self.formats = Formats()
        self.order_url = url_maker("orders:purchase_detail")
        self.discussion_url = url_maker("discussions:buyer_detail")
        self.order_label = _("Order %(number)s")
        self.discussion_label = _("Discussion %(number)s")
        self.reasons = None

    def rows(self, orders):
        """`orders`: dicts of PURCHASE_FIELDS, in the page's order."""
        pks = [order["pk"] for order in orders]
        lines = _lines_of(pks)
        discussions = _discussions_of(pks)
        if discussions:
            self.reasons = _discussion_reasons()
        return [self.row(order, lines.get(order["pk"], ()), discussions.get(order["pk"], ())) for order in orders]

    def row(self, order, lines, discussions):
        pk, zone = order["pk"], order["market__time_zone"]
        items = "".join(f"<li>{title.translate(HTML_ESCAPES)} × {quantity}</li>" for title, quantity in lines)
        paragraphs = []
        for discussion_pk, reason, status, is_open, mediator_active in discussions:
            label = self.discussion_label % {"number": _discussion_number(discussion_pk)}
            badges = discussion_status_badges(status, is_open, mediator_active, self.language)
            paragraphs.append(
                f'<p class="small"><a href="{self.discussion_url(discussion_pk)}">{label}</a> — '
                f"{self.reasons.get(reason, reason).translate(HTML_ESCAPES)} {badges}</p>"
            )
        title = self.order_label % {"number": _order_number(pk)}
        created = self.formats.time(order["created_at"], zone)
        shipment = order["shipment__pk"] is not None
        status = order_status_badges(
            order["status"],
            order["payment_due_at"] < self.now,
            shipment and order["shipment__delivered_at"] is not None,
            shipment and order["shipment__handed_over_at"] is not None,
            shipment,
            self.language,
        )
        return Row(
            f"""
      <li class="card order-card">
        <div class="order-card-head">
          <a href="{self.order_url(pk)}" class="order-number">{title}</a>
          <span class="muted">{created} · {order["seller_account__display_name"].translate(HTML_ESCAPES)}</span>
        </div>
        <ul class="line-titles">{items}</ul>
        {"".join(paragraphs)}
        <div class="order-card-foot">
          <strong>{self.formats.money(order["total_amount"], order["market__currency"])}</strong>
          {status}
        </div>
      </li>""",
            pk,
        )


# --- One order's page (the buyer's and the seller's) -----------------------------------------


class OrderPage:
    """ORD-02/ORD-09: what an order's page shows about it besides its forms: the status
    badges, the products and history (orders/includes/order_summary.html) and its
    Discussions, with instants and amounts already formatted."""

    def __init__(self, order, now, *, discussion_url):
        self.order = order
        formats = Formats()
        market = order.market

        def money(amount):
            return mark_safe(formats.money(amount, currency))

        zone, currency = market.time_zone, market.currency
        language = get_language()
        self.status = order_status_of(order, now)
        self.currency = currency
        self.created = formats.time(order.created_at, zone)
        self.created_iso = formats.iso(order.created_at, zone)
        self.payment_due = formats.time(order.payment_due_at, zone)
        self.payment_due_iso = formats.iso(order.payment_due_at, zone)
        self.paid = formats.time(order.paid_at, zone)
        self.cancellation_requested = formats.time(order.cancellation_requested_at, zone)
        self.total_amount = money(order.total_amount)
        refunded = order.refunded_total()
        self.refunded = money(refunded) if refunded else ""
        self.lines = [
            SimpleNamespace(
                title=line.title,
                unit_price=money(line.unit_price),
                quantity=line.quantity,
                total=money(line.total),
            )
            for line in order.lines.all()
        ]
        event_kinds = dict(OrderEvent.Kind.choices)
        self.events = [
            SimpleNamespace(
                iso=formats.iso(occurred_at, zone),
                at=formats.time(occurred_at, zone),
                kind=event_kinds.get(kind, kind),
                amount=money(data["amount"]) if data.get("amount") else "",
                tracking=data.get("tracking") or "",
            )
            for occurred_at, kind, data in order.events.order_by("occurred_at", "pk").values_list(
                "occurred_at", "kind", "data"
            )
        ]
        discussion_model = Order._meta.get_field("discussions").related_model
        discussions = (
            discussion_model.objects.filter(order_id=order.pk)
            .order_by("-created_at", "-pk")
            .values_list(
                "pk", "reason", "line__title", "status", "is_open", "mediator_joined_at", "mediation_concluded_at"
            )
        )
        reasons = _discussion_reasons() if discussions else {}
        url = url_maker(discussion_url) if discussions else None
        self.discussions = [
            SimpleNamespace(
                url=url(pk),
                number=_discussion_number(pk),
                reason=reasons.get(reason, reason),
                line_title=line_title,
                badges=mark_safe(
                    discussion_status_badges(status, is_open, _is_mediator_active(joined_at, concluded_at), language)
                ),
            )
            for pk, reason, line_title, status, is_open, joined_at, concluded_at in discussions
        ]


# --- Commission refunds (REB-06) -------------------------------------------------------------


COMMISSION_REFUND_FIELDS = (
    "pk",
    "order_id",
    "reason",
    "type",
    "status",
    "amount",
    "created_at",
    "decided_at",
    "order__market__time_zone",
    "order__market__currency",
)


def _application_number(pk):
    return f"R{pk:07d}"


class CommissionRefundRows:
    """REB-06: the applications of an account, as its list and an order's page show them."""

    def __init__(self):
        self.language = get_language()
        self.formats = Formats()
        self.url = url_maker("orders:commission_refund_detail")
        self.order_url = url_maker("orders:seller_order_detail")
        self.reasons = {value: str(label) for value, label in CommissionRefund.Reason.choices}
        self.types = {value: str(label) for value, label in CommissionRefund.Type.choices}
        self.statuses = {value: str(label) for value, label in CommissionRefund.Status.choices}
        self.labels = {
            "order": escape(_("Order")),
            "type": escape(_("Type")),
            "amount": escape(_("Commission to refund")),
            "filed": escape(_("Filed")),
            "decided": escape(_("Decided")),
        }

    def badge(self, status):
        return commission_refund_badge(status, self.statuses.get(status, status), self.language)

    def row(self, application):
        """A row of the account's list; `application`: a dict of COMMISSION_REFUND_FIELDS."""
        labels, zone = self.labels, application["order__market__time_zone"]
        pk, order_pk, decided_at = application["pk"], application["order_id"], application["decided_at"]
        decided = self.formats.time_tag(decided_at, zone, short=True) if decided_at else "—"
        kind = self.types.get(application["type"], application["type"]).translate(HTML_ESCAPES)
        amount = self.formats.money(application["amount"], application["order__market__currency"])
        reason = self.reasons.get(application["reason"], application["reason"]).translate(HTML_ESCAPES)
        filed = self.formats.time_tag(application["created_at"], zone, short=True)
        return Row(
            f"""
    <tr>
      <td><a href="{self.url(pk)}">{_application_number(pk)}</a></td>
      <td><span class="cell-label">{labels["order"]}:</span> <a href="{self.order_url(order_pk)}">{_order_number(order_pk)}</a></td>
      <td>{reason}</td>
      <td><span class="cell-label">{labels["type"]}:</span> {kind}</td>
      <td>{self.badge(application["status"])}</td>
      <td class="num"><span class="cell-label">{labels["amount"]}:</span> {amount}</td>
      <td class="date"><span class="cell-label">{labels["filed"]}:</span> {filed}</td>
      <td class="date"><span class="cell-label">{labels["decided"]}:</span> {decided}</td>
    </tr>""",  # noqa: E501
            pk,
        )

    def of_order(self, pk, reason, amount, status, currency):
        """An item of an order page's list of applications."""
        return SimpleNamespace(
            link=mark_safe(f'<a href="{self.url(pk)}">{_application_number(pk)}</a>'),
            reason=self.reasons.get(reason, reason),
            amount=mark_safe(self.formats.money(amount, currency)),
            status=mark_safe(self.badge(status)),
        )


# --- Offers (ORD-01) -------------------------------------------------------------------------

OFFER_FIELDS = ("pk", "title", "price", "stock", "market__currency", "market__domain", "seller_account__display_name")


def offer_cards(offers):
    """ORD-01: the cards of `offers` (dicts of OFFER_FIELDS) on the home page and the
    offer list."""
    formats = Formats()
    url = url_maker("orders:offer_detail")
    sold_out = f'<span class="badge badge-muted">{escape(_("Sold out"))}</span>'
    cards = []
    for offer in offers:
        title = offer["title"].translate(HTML_ESCAPES)
        seller = offer["seller_account__display_name"].translate(HTML_ESCAPES)
        domain = offer["market__domain"].translate(HTML_ESCAPES)
        price = formats.money(offer["price"], offer["market__currency"])
        html = f"""
<li class="card offer-card">
  <a href="{url(offer["pk"])}" class="offer-link">
    <span class="offer-title">{title}</span>
    <span class="price">{price}</span>
    <span class="muted">{seller} · {domain}</span>
    {sold_out if offer["stock"] < 1 else ""}
  </a>
</li>"""
        cards.append(Row(html, offer["pk"]))
    return cards
