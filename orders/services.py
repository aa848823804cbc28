"""Order workflows (ORD-01…09). Views, admin actions, tasks and other apps call these.

Every transition guards the current state, writes with a compare-and-set (or under a
row lock on PostgreSQL) and records an OrderEvent, then tells other apps through
`orders.signals.order_event_recorded` inside the same transaction.

A workflow that a page's form starts takes `once`, the form's submission
(core.once.Submission, None for other callers), and consumes it first in its
transaction: the same form sent twice has one effect (SAFE-01).
"""

import re
from datetime import UTC
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ConcurrentUpdate, DomainError
from core.once import consume

from . import commission
from .checks import registered_purchase_checks
from .models import (
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    RefundLine,
    Shipment,
)
from .signals import order_event_recorded

MAX_QUANTITY_PER_PURCHASE = 100
TRACKING_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")


def _record_event(order, kind, *, now, actor=None, **data):
    event = OrderEvent.objects.create(order=order, kind=kind, occurred_at=now, actor=actor, data=data)
    order_event_recorded.send(sender=OrderEvent, event=event)
    return event


def _now(now):
    """The instant of the action, in UTC: periods are plain elapsed time (TIME-04), and
    Python adds a timedelta to a zone-aware local time on the wall clock, not in real time."""
    return (now or timezone.now()).astimezone(UTC)


# --- Buying -------------------------------------------------------------------------


def purchase_refusal(*, buyer, offer, now=None):
    """ORD-03: why `buyer` cannot buy `offer` now, or None. One place for every check:
    the orders app's own, then those other apps registered (blocked seller, inactive
    buyers)."""
    now = _now(now)
    if not offer.is_active:
        return _("This offer has ended and can no longer be bought.")
    if offer.stock < 1:
        return _("This offer is sold out.")
    if offer.seller_account.user_id == buyer.pk:
        return _("You cannot buy from your own seller account.")
    for check in registered_purchase_checks():
        reason = check(buyer=buyer, offer=offer, now=now)
        if reason:
            return reason
    return None


def buy_offer(offer, *, buyer, quantity, payment_method, service=Order.Service.ALLEGRO, now=None, once=None):
    """ORD-01/03: *Kup teraz*. Stock is taken with one conditional UPDATE, so two
    buyers can never both take the last unit."""
    now = _now(now)
    _check_purchase_input(quantity, payment_method)
    if offer.format != Offer.Format.BUY_NOW:
        raise DomainError(_("Auctions cannot be bought with Buy now."))
    refusal = purchase_refusal(buyer=buyer, offer=offer, now=now)
    if refusal:
        raise DomainError(refusal)
    if quantity > offer.stock:
        raise DomainError(
            ngettext("Only %(stock)s unit is left.", "Only %(stock)s units are left.", offer.stock)
            % {"stock": offer.stock},
            field="quantity",
        )
    with transaction.atomic():
        claim = consume(once)
        # One buyer's purchases and the restrictions placed on them (an inactive-buyers
        # entry, BLK-01) are serialized on the buyer's row; the checks are repeated
        # under that lock, so a restriction confirmed a moment ago is always seen.
        lock_buyer(buyer)
        refusal = purchase_refusal(buyer=buyer, offer=offer, now=now)
        if refusal:
            raise DomainError(refusal)
        taken = Offer.objects.filter(pk=offer.pk, is_active=True, stock__gte=quantity).update(
            stock=F("stock") - quantity
        )
        if not taken:
            raise ConcurrentUpdate(_("Someone bought the last units a moment ago. Check the stock and try again."))
        order = _create_order(
            offer=offer,
            buyer=buyer,
            quantity=quantity,
            payment_method=payment_method,
            service=service,
            now=now,
        )
        return claim.done(order)


def lock_buyer(buyer):
    """Serialize one buyer's purchases with restrictions placed on them (BLK-01)."""
    get_user_model().objects.select_for_update().filter(pk=buyer.pk).exists()


def _check_purchase_input(quantity, payment_method):
    # bool is an int subclass: True must not pass as one unit.
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise DomainError(_("Enter a quantity of at least 1."), field="quantity")
    if quantity > MAX_QUANTITY_PER_PURCHASE:
        raise DomainError(
            _("You can buy at most %(max)s pieces at once.") % {"max": MAX_QUANTITY_PER_PURCHASE}, field="quantity"
        )
    if payment_method not in Order.PaymentMethod.values:
        raise DomainError(_("Choose a payment method."), field="payment_method")


def _create_order(*, offer, buyer, quantity, payment_method, service, now, format=Offer.Format.BUY_NOW):
    order = Order.objects.create(
        buyer=buyer,
        seller_account_id=offer.seller_account_id,
        market_id=offer.market_id,
        service=service,
        format=format,
        created_at=now,
        payment_method=payment_method,
        total_amount=offer.price * quantity,
        payment_due_at=Order.compute_payment_due_at(now, payment_method),
    )
    OrderLine.objects.create(
        order=order,
        offer=offer,
        title=offer.title,
        unit_price=offer.price,
        quantity=quantity,
        commission_per_unit=offer.commission_per_unit,
    )
    _record_event(order, OrderEvent.Kind.CREATED, now=now, actor=buyer, quantity=quantity, offer=offer.pk)
    return order


def create_auction_order(offer, *, buyer, quantity=1, payment_method, now=None):
    """ORD-01: an auction's won order. Used by the demo data and the admin only (there is
    no bidding engine); it takes the stock the same way *Kup teraz* does."""
    now = _now(now)
    _check_purchase_input(quantity, payment_method)
    if offer.format != Offer.Format.AUCTION:
        raise DomainError(_("Only an auction can end in an auction order."))
    with transaction.atomic():
        if not Offer.objects.filter(pk=offer.pk, stock__gte=quantity).update(stock=F("stock") - quantity):
            raise DomainError(_("This offer is sold out."))
        return _create_order(
            offer=offer,
            buyer=buyer,
            quantity=quantity,
            payment_method=payment_method,
            service=Order.Service.ALLEGRO,
            now=now,
            format=Offer.Format.AUCTION,
        )


# --- Payment and cancellation -------------------------------------------------------


def _mark_paid(order, *, kind, actor, now, once):
    with transaction.atomic():
        consume(once)
        changed = Order.objects.filter(pk=order.pk, status=Order.Status.AWAITING_PAYMENT).update(
            status=Order.Status.PAID, paid_at=now
        )
        if not changed:
            raise ConcurrentUpdate(_("This order is no longer awaiting payment."))
        Payment.objects.create(
            order=order, amount=order.total_amount, method=order.payment_method, paid_at=now, recorded_by=actor
        )
        order.status, order.paid_at = Order.Status.PAID, now
        _record_event(order, kind, now=now, actor=actor, amount=str(order.total_amount))
    return order


def pay_order(order, *, buyer, now=None, once=None):
    """ORD-05: the buyer pays online through (simulated) Allegro Finanse."""
    now = _now(now)
    if order.payment_method != Order.PaymentMethod.ONLINE:
        raise DomainError(_("This order is paid by traditional bank transfer; the seller confirms receipt."))
    if not order.is_unpaid:
        raise DomainError(_("This order is no longer awaiting payment."))
    return _mark_paid(order, kind=OrderEvent.Kind.PAID, actor=buyer, now=now, once=once)


def mark_transfer_received(order, *, seller, now=None, once=None):
    """ORD-05: the seller confirms that a traditional bank transfer arrived."""
    now = _now(now)
    if order.payment_method != Order.PaymentMethod.TRADITIONAL_TRANSFER:
        raise DomainError(_("This order is paid online; its payment is recorded automatically."))
    if not order.is_unpaid:
        raise DomainError(_("This order is no longer awaiting payment."))
    return _mark_paid(order, kind=OrderEvent.Kind.TRANSFER_RECEIVED, actor=seller, now=now, once=once)


def cancel_order(order, *, buyer, now=None, once=None):
    """ORD-08: the buyer withdraws from an unpaid purchase; the units go back to stock."""
    now = _now(now)
    if not order.is_unpaid:
        raise DomainError(_("Only an unpaid order can be cancelled here."))
    if Shipment.objects.filter(order=order, handed_over_at__isnull=False).exists():
        raise DomainError(_("The parcel is already on its way; contact the seller in a Discussion instead."))
    with transaction.atomic():
        consume(once)
        changed = Order.objects.filter(pk=order.pk, status=Order.Status.AWAITING_PAYMENT).update(
            status=Order.Status.CANCELLED, cancelled_at=now
        )
        if not changed:
            raise ConcurrentUpdate(_("This order is no longer awaiting payment."))
        for line in order.lines.all():
            Offer.objects.filter(pk=line.offer_id).update(stock=F("stock") + line.quantity)
        order.status, order.cancelled_at = Order.Status.CANCELLED, now
        _record_event(order, OrderEvent.Kind.CANCELLED, now=now, actor=buyer)
        commission.on_unpaid_cancellation(order, now=now)  # REB-08
    return order


def withdraw_from_paid(order, *, buyer, now=None, once=None):
    """The buyer withdraws from a paid purchase (odstąpienie): recorded on the order; the
    seller's refund then files an automatic commission-refund application (REB-08)."""
    now = _now(now)
    if order.buyer_id != buyer.pk:
        raise DomainError(_("Only the buyer can withdraw from the purchase."))
    if not order.is_paid:
        raise DomainError(_("Only a paid order can be withdrawn from here; an unpaid one can be cancelled."))
    with transaction.atomic():
        consume(once)
        if not Order.objects.filter(pk=order.pk, cancellation_requested_at__isnull=True).update(
            cancellation_requested_at=now
        ):
            raise ConcurrentUpdate(_("You have already withdrawn from this purchase."))
        order.cancellation_requested_at = now
        _record_event(order, OrderEvent.Kind.CANCELLATION_REQUESTED, now=now, actor=buyer)
    return order


# --- Shipment ------------------------------------------------------------------------


def normalize_tracking_number(raw):
    value = re.sub(r"\s+", "", raw if isinstance(raw, str) else "").upper()
    if not TRACKING_NUMBER_RE.match(value):
        raise DomainError(
            _("A tracking number has 6 to 40 characters: letters A–Z, digits and hyphens."),
            field="tracking_number",
        )
    return value


def enter_tracking(order, *, seller, carrier, tracking_number, now=None, once=None):
    """ORD-06: the seller enters the carrier and tracking number (numer przewozowy).
    It can be corrected until the parcel is delivered; every entry is an event."""
    now = _now(now)
    if carrier not in Shipment.Carrier.values:
        raise DomainError(_("Choose a carrier."), field="carrier")
    tracking_number = normalize_tracking_number(tracking_number)
    if order.is_cancelled:
        raise DomainError(_("The buyer cancelled this order; there is nothing to ship."))
    with transaction.atomic():
        consume(once)
        shipment = Shipment.objects.select_for_update().filter(order=order).first()
        if shipment is None:
            shipment = Shipment.objects.create(
                order=order, carrier=carrier, tracking_number=tracking_number, tracking_entered_at=now
            )
        else:
            if shipment.delivered_at:
                raise DomainError(_("The parcel has been delivered; its tracking number cannot change."))
            updated = Shipment.objects.filter(pk=shipment.pk, delivered_at__isnull=True).update(
                carrier=carrier, tracking_number=tracking_number, tracking_entered_at=now
            )
            if not updated:
                raise ConcurrentUpdate(_("The parcel has been delivered; its tracking number cannot change."))
            shipment.refresh_from_db()
        _record_event(
            order, OrderEvent.Kind.TRACKING_ENTERED, now=now, actor=seller, carrier=carrier, tracking=tracking_number
        )
    order.shipment = shipment
    return shipment


def mark_handed_over(order, *, seller, now=None, once=None):
    """ORD-06: the parcel was handed to the carrier (nadana)."""
    now = _now(now)
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        raise DomainError(_("Enter the tracking number first."))
    if shipment.handed_over_at:
        raise DomainError(_("The parcel has already been marked as handed to the carrier."))
    with transaction.atomic():
        consume(once)
        if not Shipment.objects.filter(pk=shipment.pk, handed_over_at__isnull=True).update(handed_over_at=now):
            raise ConcurrentUpdate(_("The parcel has already been marked as handed to the carrier."))
        shipment.handed_over_at = now
        _record_event(order, OrderEvent.Kind.HANDED_OVER, now=now, actor=seller)
    return shipment


def record_delivery(shipment, *, delivered_at, now=None):
    """ORD-06: the carrier's tracking confirmed delivery. Idempotent: a second report of
    the same delivery changes nothing and returns False."""
    now = _now(now)
    delivered_at = min(delivered_at, now)
    with transaction.atomic():
        changed = Shipment.objects.filter(pk=shipment.pk, delivered_at__isnull=True).update(delivered_at=delivered_at)
        if not changed:
            return False
        # A carrier that delivered obviously had the parcel.
        Shipment.objects.filter(pk=shipment.pk, handed_over_at__isnull=True).update(handed_over_at=delivered_at)
        shipment.refresh_from_db()
        _record_event(shipment.order, OrderEvent.Kind.DELIVERED, now=delivered_at, actor=None)
    return True


# --- Refunds -------------------------------------------------------------------------


def refund_order(order, *, seller, full=False, lines=None, amount=None, now=None, once=None):
    """ORD-07: refund through Allegro Finanse — the full order amount, chosen line items
    (`lines` maps line id → quantity) or an `amount`. Never more than paid minus already
    refunded; recorded, never edited."""
    now = _now(now)
    chosen = [bool(full), bool(lines), amount is not None]
    if sum(chosen) != 1:
        raise DomainError(_("Choose what to refund: the full amount, products, or an amount."))
    with transaction.atomic():
        consume(once)
        # Lock the order so two refunds cannot both pass the limit (PostgreSQL); SQLite
        # takes the database write lock at BEGIN (IMMEDIATE), which serialises them.
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Order.Status.PAID:
            raise DomainError(_("Only a paid order can be refunded."))
        already = locked.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
        available = locked.total_amount - already
        refund_lines = []
        if full:
            if already > 0:
                raise DomainError(
                    _("Part of this order was already refunded; refund the remaining products or an amount.")
                )
            value = locked.total_amount
            refund_lines = [(line, line.quantity) for line in locked.lines.all()]
        elif lines:
            refund_lines = _refund_line_units(locked, lines)
            value = sum((line.unit_price * qty for line, qty in refund_lines), Decimal("0.00"))
        else:
            try:
                value = Decimal(amount).quantize(Decimal("0.01"))
            except (ArithmeticError, ValueError, TypeError):
                value = None
            # NaN survives quantize() but cannot be compared.
            if value is None or not value.is_finite():
                raise DomainError(_("Enter an amount."), field="amount")
            if value <= 0:
                raise DomainError(_("The amount must be greater than zero."), field="amount")
        if value > available:
            raise DomainError(
                _("You can refund at most %(available)s %(currency)s (paid minus already refunded).")
                % {"available": available, "currency": locked.currency},
                field="amount",
            )
        is_full = value == locked.total_amount and already == 0
        refund = Refund.objects.create(order=locked, amount=value, is_full=is_full, created_at=now, created_by=seller)
        RefundLine.objects.bulk_create(
            RefundLine(refund=refund, line=line, quantity=qty, amount=line.unit_price * qty)
            for line, qty in refund_lines
        )
        _record_event(
            locked,
            OrderEvent.Kind.REFUNDED,
            now=now,
            actor=seller,
            amount=str(value),
            full=is_full,
            lines={str(line.pk): qty for line, qty in refund_lines},
        )
        commission.on_refund(locked, seller=seller, refund_lines=refund_lines, is_full=is_full, now=now)
    return refund


def _refund_line_units(order, requested):
    order_lines = {line.pk: line for line in order.lines.all()}
    refunded = dict(
        RefundLine.objects.filter(line__order=order)
        .values_list("line_id")
        .annotate(q=Sum("quantity"))
        .values_list("line_id", "q")
    )
    result = []
    for line_id, qty in requested.items():
        try:
            line = order_lines.get(int(line_id))
        except (TypeError, ValueError):
            line = None
        if line is None:
            raise DomainError(_("That product is not part of this order."))
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
            raise DomainError(_("Enter a quantity of at least 1."), field="lines")
        if qty == 0:
            continue
        left = line.quantity - refunded.get(line.pk, 0)
        if qty > left:
            raise DomainError(
                ngettext(
                    "You can refund at most %(left)s unit of “%(title)s”.",
                    "You can refund at most %(left)s units of “%(title)s”.",
                    left,
                )
                % {"left": left, "title": line.title},
                field="lines",
            )
        result.append((line, qty))
    if not result:
        raise DomainError(_("Choose at least one product to refund."), field="lines")
    return result


def simulate_carrier_delivery(carrier, tracking_number, *, delivered_at):
    """Tell the built-in simulated carrier that a parcel was delivered (demo data, admin,
    `manage.py simulate_tracking`). The delivery reaches the order when the tracking poll
    asks the carrier, as with a real one."""
    from .models import SimulatedParcel

    parcel, _created = SimulatedParcel.objects.update_or_create(
        carrier=carrier, tracking_number=tracking_number, defaults={"delivered_at": delivered_at}
    )
    return parcel
