"""Order events in the open Discussions of the order (DSC-07, DSC-20): an automatic
message, the seller's reply inside the deadline, the delivery auto-close, the close after
a full refund."""

from decimal import Decimal

from django.db.models import Q, Sum

from orders.models import OrderEvent

from .. import rules
from ..models import Discussion, Notification, Reason, Role
from ..notifications import notify
from .conversation import _record_seller_reply
from .transitions import _auto_message, _supersede_proposals, _transition

EVENT_CODES = {
    OrderEvent.Kind.TRACKING_ENTERED: "TRACKING_ENTERED",
    OrderEvent.Kind.HANDED_OVER: "HANDED_OVER",
    OrderEvent.Kind.DELIVERED: "DELIVERED",
    OrderEvent.Kind.REFUNDED: "REFUNDED",
}


def handle_order_event(event):
    """Called inside the transaction that records an order event (orders emits the
    `order_event_recorded` signal; discussions/apps.py connects this)."""
    if event.kind not in EVENT_CODES:
        return
    now = event.occurred_at
    order = event.order
    for discussion in Discussion.objects.filter(order=order, is_open=True).select_related(
        "market", "seller_account__user", "buyer", "order"
    ):
        if event.kind == OrderEvent.Kind.REFUNDED and discussion.reason in rules.FULL_REFUND_CLOSES:
            refunded = order.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")
            if refunded >= order.total_amount:
                _close_full_refund(discussion, now)
                continue
        _order_event_message(discussion, event, now)


def _order_event_message(discussion, event, now):
    code = EVENT_CODES[event.kind]
    params = {}
    if event.kind == OrderEvent.Kind.TRACKING_ENTERED:
        params = {"carrier": event.data.get("carrier", ""), "tracking": event.data.get("tracking", "")}
    elif event.kind == OrderEvent.Kind.REFUNDED:
        params = {"amount": event.data.get("amount", "0")}
    elif event.kind == OrderEvent.Kind.DELIVERED:
        params = {"at": now.isoformat()}
    counts = (
        discussion.reason in rules.EVENT_REPLY_REASONS
        and discussion.seller_replied_at is None
        and discussion.reply_due_at is not None
        and not rules.late(now, discussion.reply_due_at)
    )
    waiting = False
    if event.kind == OrderEvent.Kind.DELIVERED and discussion.reason == Reason.NOT_RECEIVED:
        until = now + rules.DELIVERY_OBJECTION_WINDOW
        # Only an IN_PROGRESS Discussion that is not with Allegro closes after delivery, so
        # only it gets the "we will close it in 24 hours" message.
        waiting = bool(
            Discussion.objects.filter(
                pk=discussion.pk,
                is_open=True,
                status=Discussion.Status.IN_PROGRESS,
                help_requested_at__isnull=True,
            )
            # DSC-25/26: an active mediator stops the close; a concluded one (before a reopen) does not.
            .filter(Q(mediator_joined_at__isnull=True) | Q(mediation_concluded_at__isnull=False))
            .update(delivery_close_at=until)
        )
        if waiting:
            code, params = "DELIVERED_WAITING", {"at": now.isoformat(), "until": until.isoformat()}
            notify(discussion.buyer, Notification.Kind.DELIVERY_DETECTED, discussion, now=now, until=until.isoformat())
    message = _auto_message(discussion, code, now=now, counts_as_seller_reply=counts, **params)
    if counts:
        Discussion.objects.filter(pk=discussion.pk, is_open=True).update(
            last_message_at=now, last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED
        )
        _record_seller_reply(discussion, now)
    if not waiting:  # the delivery notification already tells the buyer
        notify(discussion.buyer, Notification.Kind.NEW_MESSAGE, discussion, now=now, message=message.pk)


def _close_full_refund(discussion, now):
    """DSC-20(a), immediately. Inside the deadline it is also the seller's reply (DSC-07),
    so the first-reply time is recorded for the sales-quality figures."""
    if (
        discussion.seller_replied_at is None
        and discussion.reply_due_at
        and not rules.late(now, discussion.reply_due_at)
    ):
        _record_seller_reply(discussion, now)
    _transition(
        discussion,
        actor=None,
        role=Role.SYSTEM,
        now=now,
        to_status=Discussion.Status.RESOLVED,
        to_open=False,
        close_reason=Discussion.CloseReason.FULL_REFUND,
        delivery_close_at=None,
    )
    _supersede_proposals(discussion, now)
    _auto_message(discussion, "CLOSED_FULL_REFUND", now=now)
