"""One order's page, the buyer's and the seller's (orders.presenters, ORD-02/ORD-09)."""

from types import SimpleNamespace

from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..models import Order, OrderEvent
from .base import Formats, discussion_number, discussion_reasons, discussion_status_badges, order_status_of, url_maker


def _is_mediator_active(joined_at, concluded_at):
    return joined_at is not None and concluded_at is None


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
            )
            for pk, reason, line_title, status, is_open, joined_at, concluded_at in discussions
        ]
