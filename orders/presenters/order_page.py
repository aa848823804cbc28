"""One order's page, the buyer's and the seller's (orders.presenters, ORD-02/ORD-09)."""

from decimal import Decimal
from types import SimpleNamespace

from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.money import money as format_money
from core.prepared import PreparedQuery

from ..checks import closed_by_full_refund
from ..models import Order, OrderEvent
from .base import Formats, discussion_number, discussion_reasons, discussion_status_badges, order_status_of, url_maker


def _is_mediator_active(joined_at, concluded_at):
    return joined_at is not None and concluded_at is None


# The order's history and Discussions, by queries compiled once (core.prepared).
_EVENTS = PreparedQuery(
    lambda order_id: (
        OrderEvent.objects.filter(order_id=order_id)
        .order_by("occurred_at", "pk")
        .values_list("occurred_at", "kind", "data")
    )
)
_DISCUSSIONS = PreparedQuery(
    lambda order_id: (
        Order._meta.get_field("discussions")
        .related_model.objects.filter(order_id=order_id)
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "reason",
            "line__title",
            "status",
            "is_open",
            "mediator_joined_at",
            "mediation_concluded_at",
            "line_id",
        )
    )
)


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
        refunded = order.refunded_total()
        # SAFE-03: a paid order refunded in full reads refunded.
        self.is_refunded = order.is_paid and refunded >= order.total_amount
        self.status = order_status_of(order, now, is_refunded=self.is_refunded)
        self.currency = currency
        self.created = formats.time(order.created_at, zone)
        self.created_iso = formats.iso(order.created_at, zone)
        self.payment_due = formats.time(order.payment_due_at, zone)
        self.payment_due_iso = formats.iso(order.payment_due_at, zone)
        self.paid = formats.time(order.paid_at, zone)
        self.cancellation_requested = formats.time(order.cancellation_requested_at, zone)
        self.total_amount = money(order.total_amount)
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
            for occurred_at, kind, data in _EVENTS.rows(order.pk)
        ]
        discussions = _DISCUSSIONS.rows(order.pk)
        reasons = discussion_reasons() if discussions else {}
        url = url_maker(discussion_url) if discussions else None
        self.discussions = [
            SimpleNamespace(
                url=url(pk),
                number=discussion_number(pk),
                reason=reasons.get(reason, reason),
                line_title=line_title,
                badges=mark_safe(
                    discussion_status_badges(status, is_open, _is_mediator_active(joined_at, concluded_at), language)
                ),
                is_open=is_open,
                line_id=line_id,
            )
            for pk, reason, line_title, status, is_open, joined_at, concluded_at, line_id in discussions
        ]
        # UX-02 / DSC-05: the open Discussions to continue; when every product has one, the
        # page links to them instead of offering to start another.
        self.open_discussions = [discussion for discussion in self.discussions if discussion.is_open]
        self.every_line_in_discussion = len({d.line_id for d in self.open_discussions}) >= len(self.lines)


class RefundConfirmation:
    """SAFE-03: what the seller's refund will do, said before it is done: the amount in
    the market's money format and, for a full refund, the Discussions it closes
    (DSC-20(a)). `error` is why it cannot be done, next to the form instead."""

    def __init__(self, order, *, full=False, lines=None, amount=None):
        currency = order.market.currency
        available = order.refundable_amount()
        self.error = ""
        self.error_field = None
        already = order.total_amount - available if order.is_paid else Decimal("0.00")
        if not order.is_paid:
            value = Decimal("0.00")
            self.error = _("Only a paid order can be refunded.")
        elif full:
            value = order.total_amount
            if already > 0:
                self.error = _("Part of this order was already refunded; refund the remaining products or an amount.")
        elif lines:
            prices = {line.pk: line.unit_price for line in order.lines.all()}
            value = sum((prices.get(int(pk), Decimal("0.00")) * qty for pk, qty in lines.items()), Decimal("0.00"))
        else:
            value = Decimal(amount).quantize(Decimal("0.01"))
        if not self.error and value > available:
            self.error = _("You can refund at most %(available)s (paid minus already refunded).") % {
                "available": format_money(available, currency)
            }
            self.error_field = "amount" if amount is not None else None
        self.amount = format_money(value, currency)
        self.is_full = value == order.total_amount and already == 0
        self.closes = [discussion_number(pk) for pk in closed_by_full_refund(order)] if self.is_full else []
