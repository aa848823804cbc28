"""The lists of orders (orders.presenters): the seller's *Zamówienia* (ORD-09/ORD-04,
REB-02: each row with its *Akcje* menu) and the buyer's *Moje zakupy* (ORD-09). A
page's lines and Discussions are read by its orders' ids in SQL written here.
"""

from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import commission
from ..models import Order, OrderLine
from .base import (
    HTML_ESCAPES,
    Formats,
    Row,
    discussion_number,
    discussion_reasons,
    discussion_status_badges,
    order_number,
    order_status_badges,
    rows_for_ids,
    url_maker,
)


def _lines_text(lines):
    return "<br>".join(f"{title.translate(HTML_ESCAPES)} × {quantity}" for title, quantity in lines)


# The lines and Discussions of a page's orders are read in SQL written here: through the
# ORM, each primary key of `order_id__in` costs some twenty calls and compiling the query
# two thousand, more than reading and showing the rows.


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
        # UX-01: the column labels of the table's header, on each cell for the stacked rows of a phone.
        labels = {"order": _("Order"), "buyer": _("Buyer"), "products": _("Products"), "amount": _("Amount")}
        self.labels = {name: escape(label) for name, label in {**labels, "status": _("Status")}.items()}

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
            label = self.discussion_label % {"number": discussion_number(discussion_pk)}
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
        labels = self.labels
        number = f'<a href="{url}">{order_number(pk)}</a><br><span class="muted small">{created}</span>'
        return Row(
            f"""
    <tr>
      <td data-label="{labels["order"]}">{number}</td>
      <td data-label="{labels["buyer"]}">{order["buyer__username"].translate(HTML_ESCAPES)}</td>
      <td data-label="{labels["products"]}">{products}</td>
      <td class="num" data-label="{labels["amount"]}">{self.formats.money(order["total_amount"], currency)}</td>
      <td data-label="{labels["status"]}">{state}</td>
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
            self.reasons = discussion_reasons()
        return [self.row(order, lines.get(order["pk"], ()), discussions.get(order["pk"], ())) for order in orders]

    def row(self, order, lines, discussions):
        pk, zone = order["pk"], order["market__time_zone"]
        items = "".join(f"<li>{title.translate(HTML_ESCAPES)} × {quantity}</li>" for title, quantity in lines)
        paragraphs = []
        for discussion_pk, reason, status, is_open, mediator_active in discussions:
            label = self.discussion_label % {"number": discussion_number(discussion_pk)}
            badges = discussion_status_badges(status, is_open, mediator_active, self.language)
            paragraphs.append(
                f'<p class="small"><a href="{self.discussion_url(discussion_pk)}">{label}</a> — '
                f"{self.reasons.get(reason, reason).translate(HTML_ESCAPES)} {badges}</p>"
            )
        title = self.order_label % {"number": order_number(pk)}
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
