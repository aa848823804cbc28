"""Commission refunds, *rabat transakcyjny* (REB-01…08).

An application is evaluated at once on submission (REB-04): every condition is checked
and each unmet one is kept as a code with parameters (rendered in the reader's language
by `describe_conditions`). Units of a line can be claimed once across applications; a
submission locks the order row, so two submissions for the same order are serialized
and the second sees the first one's units (REB-03).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError
from core.once import consume

from . import audit
from .models import REFUND_CLAIM_DAYS, CommissionRefund, CommissionRefundLine, Order, RefundLine

MAX_APPEAL = 5000
Status = CommissionRefund.Status
Reason = CommissionRefund.Reason


def _now(now):
    return now or timezone.now()


def claim_deadline(order):
    """REB-02: 45 days from the transaction."""
    return order.created_at + timedelta(days=REFUND_CLAIM_DAYS)


def can_apply(order, now=None):
    """REB-02 for the *Akcje* menu: (allowed, reason when not)."""
    now = _now(now)
    if now > claim_deadline(order):
        return False, _(
            "A commission refund can be requested within 45 days of the purchase; that time ended on %(date)s."
        ) % {"date": _local(claim_deadline(order), order)}
    return True, ""


def _local(instant, order):
    local = timezone.localtime(instant, order.market.tz)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


# A rejected application no longer holds its units: the seller may apply again when the
# facts change (e.g. after the payment deadline passed); appealing it needs them free.
RELEASED = (Status.CANCELLED, Status.REJECTED, Status.REJECTED_AFTER_APPEAL)


def claimed_units(order, *, excluding=None):
    """Units of each line held by granted or pending applications (REB-03)."""
    rows = (
        CommissionRefundLine.objects.filter(line__order=order)
        .exclude(application__status__in=RELEASED)
        .exclude(application_id=excluding)
        .values("line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["line_id"]: row["total"] for row in rows}


def refunded_units(order):
    """Units of each line whose money went back to the buyer (a full refund covers all)."""
    if order.refunds.filter(is_full=True).exists():
        return {line.pk: line.quantity for line in order.lines.all()}
    rows = RefundLine.objects.filter(refund__order=order).values("line_id").annotate(total=Sum("quantity"))
    return {row["line_id"]: row["total"] for row in rows}


def _unused_refunded_units(order):
    """Refunded units of each line that no granted BUYER_CANCELLED application has used
    yet: one refunded unit earns its commission back once (REB-03/04)."""
    units = refunded_units(order)
    used = (
        CommissionRefundLine.objects.filter(
            line__order=order, application__status=Status.GRANTED, application__reason=Reason.BUYER_CANCELLED
        )
        .values("line_id")
        .annotate(total=Sum("quantity"))
    )
    for row in used:
        units[row["line_id"]] = units.get(row["line_id"], 0) - row["total"]
    return units


@dataclass
class Evaluation:
    status: str
    unmet: list


def evaluate(order, reason, claimed, now):
    """REB-04: the status the application gets now and the conditions it does not meet.
    `claimed` maps line id → units claimed by this application."""
    unmet = []
    waiting_for_refund = False
    if now > claim_deadline(order):
        unmet.append({"code": "DEADLINE_PASSED", "at": claim_deadline(order).isoformat()})
    if reason in (Reason.NOT_PAID, Reason.NO_CONTACT):
        if order.status == Order.Status.PAID:
            unmet.append({"code": "ORDER_PAID"})
        elif now <= order.payment_due_at:
            unmet.append({"code": "PAYMENT_DEADLINE_NOT_PASSED", "at": order.payment_due_at.isoformat()})
    elif reason == Reason.BUYER_CANCELLED:
        if order.status == Order.Status.AWAITING_PAYMENT:
            unmet.append({"code": "NOT_CANCELLED"})
        elif order.status == Order.Status.PAID:
            refunded = _unused_refunded_units(order)
            missing = {pk: qty for pk, qty in claimed.items() if refunded.get(pk, 0) < qty}
            if missing:
                waiting_for_refund = True
    if not unmet and waiting_for_refund:
        return Evaluation(Status.WAITING_FOR_PAYMENT_REFUND, [{"code": "REFUND_NOT_MADE"}])
    if waiting_for_refund:
        unmet.append({"code": "REFUND_NOT_MADE"})
    return Evaluation(Status.REJECTED if unmet else Status.GRANTED, unmet)


def describe_conditions(conditions, order):
    """The unmet conditions in plain words (REB-04), in the active language."""
    texts = []
    for item in conditions:
        code = item.get("code")
        at = _local(timezone.datetime.fromisoformat(item["at"]), order) if item.get("at") else ""
        if code == "DEADLINE_PASSED":
            texts.append(_("More than 45 days have passed since the purchase (the time ended on %(at)s).") % {"at": at})
        elif code == "ORDER_PAID":
            texts.append(_("The buyer paid for the order."))
        elif code == "PAYMENT_DEADLINE_NOT_PASSED":
            texts.append(_("The buyer's payment deadline has not passed yet: it passes on %(at)s.") % {"at": at})
        elif code == "NOT_CANCELLED":
            texts.append(
                _("The buyer has not cancelled the purchase and has not paid; choose “The buyer did not pay”.")
            )
        elif code == "REFUND_NOT_MADE":
            texts.append(
                _("The money for the claimed units has not been refunded to the buyer through Allegro Finanse.")
            )
        elif code == "REFUND_NOT_MADE_IN_TIME":
            texts.append(_("The money was not refunded to the buyer within 45 days of the purchase."))
    return texts


def _whole(value):
    """A whole number of units: 2 or "2", never 2.7 or True."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        raise ValueError(value)
    return int(value)


def _claimed_lines(order, quantities):
    """REB-03: {line id: units} → [(line, units)], refusing what cannot be claimed."""
    lines = {line.pk: line for line in order.lines.all()}
    chosen = []
    for raw_pk, raw_qty in quantities.items():
        try:
            pk, qty = int(raw_pk), _whole(raw_qty)
        except (TypeError, ValueError):
            raise DomainError(_("Enter whole numbers of units."), field="lines") from None
        if qty == 0:
            continue
        if pk not in lines:
            raise DomainError(_("Choose products of this order."), field="lines")
        if qty < 0:
            raise DomainError(_("Enter whole numbers of units."), field="lines")
        chosen.append((lines[pk], qty))
    if not chosen:
        raise DomainError(_("Tick at least one product and its quantity."), field="lines")
    already = claimed_units(order)
    for line, qty in chosen:
        free = line.quantity - already.get(line.pk, 0)
        if qty > free:
            raise DomainError(
                _(
                    "“%(title)s”: you can claim at most %(free)s more units "
                    "(bought %(bought)s, already claimed %(claimed)s)."
                )
                % {
                    "title": line.title,
                    "free": max(free, 0),
                    "bought": line.quantity,
                    "claimed": already.get(line.pk, 0),
                },
                field="lines",
            )
    return chosen


def commission_of(chosen):
    """REB-05: the claimed units' commission."""
    return sum((line.commission_per_unit * qty for line, qty in chosen), Decimal("0.00"))


def apply(order, *, seller, reason, quantities, type=CommissionRefund.Type.MANUAL, now=None, once=None):
    """REB-01/04: file an application and evaluate it at once. `once`: the form's
    submission, consumed in the transaction (SAFE-01)."""
    now = _now(now)
    if reason not in Reason.values:
        raise DomainError(_("Choose the reason for the application."), field="reason")
    if type == CommissionRefund.Type.MANUAL:
        allowed, why = can_apply(order, now)
        if not allowed:
            raise DomainError(why)
    with transaction.atomic():
        claim = consume(once)
        locked = Order.objects.select_for_update().select_related("market").get(pk=order.pk)
        chosen = _claimed_lines(locked, quantities)
        result = evaluate(locked, reason, {line.pk: qty for line, qty in chosen}, now)
        application = CommissionRefund.objects.create(
            order=locked,
            seller_account_id=locked.seller_account_id,
            reason=reason,
            type=type,
            status=result.status,
            amount=commission_of(chosen),
            created_at=now,
            created_by=seller,
            deadline_at=claim_deadline(locked),
            unmet_conditions=result.unmet,
            decided_at=now if result.status in (Status.GRANTED, Status.REJECTED) else None,
        )
        CommissionRefundLine.objects.bulk_create(
            CommissionRefundLine(
                application=application, line=line, quantity=qty, commission=line.commission_per_unit * qty
            )
            for line, qty in chosen
        )
        claim.done(application)
    return application


def cancel(application, *, seller, now=None, once=None):
    """REB-06: the seller cancels a pending application."""
    now = _now(now)
    with transaction.atomic():
        consume(once)
        if not CommissionRefund.objects.filter(pk=application.pk, status__in=CommissionRefund.PENDING).update(
            status=Status.CANCELLED, cancelled_at=now
        ):
            raise ConcurrentUpdate(_("Only a pending application can be cancelled."))
    application.refresh_from_db()
    return application


def appeal(application, *, seller, text, now=None, once=None):
    """REB-07: a rejected application can be appealed once, with a justification."""
    now = _now(now)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write why the application should be granted."), field="text")
    if len(text) > MAX_APPEAL:
        raise DomainError(
            _("The appeal can have at most %(max)s characters; yours has %(count)s.")
            % {"max": MAX_APPEAL, "count": len(text)},
            field="text",
        )
    if application.appealed_at is not None:
        raise DomainError(_("This application has already been appealed; an appeal is possible once."))
    with transaction.atomic():
        consume(once)
        Order.objects.select_for_update().filter(pk=application.order_id).exists()
        held = claimed_units(application.order, excluding=application.pk)
        for line_id, line_qty, qty in application.lines.values_list("line_id", "line__quantity", "quantity"):
            if held.get(line_id, 0) + qty > line_qty:
                raise DomainError(
                    _("These units are claimed by a later application; this one cannot be appealed any more.")
                )
        _mark_appealed(application, text, now)
    application.refresh_from_db()
    return application


def _mark_appealed(application, text, now):
    if not CommissionRefund.objects.filter(pk=application.pk, status=Status.REJECTED, appealed_at__isnull=True).update(
        status=Status.APPEALED, appeal_text=text, appealed_at=now
    ):
        raise ConcurrentUpdate(_("Only a rejected application can be appealed, once."))


def decide_appeal(application, *, mediator, grant, reason, now=None):
    """REB-07: a mediator grants or rejects the appeal, with a reason (MED-07)."""
    now = _now(now)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason; it is recorded."), field="reason")
    new = Status.GRANTED if grant else Status.REJECTED_AFTER_APPEAL
    with transaction.atomic():
        if not CommissionRefund.objects.filter(pk=application.pk, status=Status.APPEALED).update(
            status=new, decided_at=now, decided_by_mediator=mediator, decision_reason=reason
        ):
            raise ConcurrentUpdate(_("The appeal has already been decided or cancelled."))
        audit.record(
            mediator,
            "DECIDE_COMMISSION_APPEAL",
            application,
            reason=reason,
            before={"status": Status.APPEALED},
            after={"status": new},
            now=now,
        )
    application.refresh_from_db()
    return application


def on_refund(order, *, seller, refund_lines, is_full, now):
    """Called by `refund_order` in its transaction: waiting applications of the order whose
    units are now refunded become GRANTED (REB-04); after the buyer withdrew from a paid
    purchase, the refunded units get an AUTOMATIC application (REB-08)."""
    available = _unused_refunded_units(order)
    # Oldest first, each taking the refunded units it needs; a refund after day 45 comes
    # too late (the sweep rejects those applications).
    waiting = CommissionRefund.objects.filter(
        order=order, status=Status.WAITING_FOR_PAYMENT_REFUND, deadline_at__gte=now
    ).order_by("created_at", "pk")
    for application in waiting:
        claimed = dict(application.lines.values_list("line_id", "quantity"))
        if all(available.get(pk, 0) >= qty for pk, qty in claimed.items()) and CommissionRefund.objects.filter(
            pk=application.pk, status=Status.WAITING_FOR_PAYMENT_REFUND
        ).update(status=Status.GRANTED, unmet_conditions=[], decided_at=now):
            for pk, qty in claimed.items():
                available[pk] -= qty
    if order.cancellation_requested_at is None:
        return
    refunded = refunded_units(order)
    already = claimed_units(order)
    if is_full:
        wanted = {line.pk: line.quantity for line in order.lines.all()}
    else:
        wanted = {line.pk: qty for line, qty in refund_lines}
    # This refund's units that no application claims yet (earlier refunds' units count
    # as refunded too, so each partial refund claims its own units).
    free = {pk: min(qty, refunded.get(pk, 0) - already.get(pk, 0)) for pk, qty in wanted.items()}
    free = {pk: qty for pk, qty in free.items() if qty > 0}
    if free:
        apply(
            order,
            seller=None,
            reason=Reason.BUYER_CANCELLED,
            quantities=free,
            type=CommissionRefund.Type.AUTOMATIC,
            now=now,
        )


def on_unpaid_cancellation(order, *, now):
    """REB-08: the buyer cancelled an unpaid purchase — file for every unclaimed unit."""
    already = claimed_units(order)
    free = {line.pk: line.quantity - already.get(line.pk, 0) for line in order.lines.all()}
    free = {pk: qty for pk, qty in free.items() if qty > 0}
    if free:
        apply(
            order,
            seller=None,
            reason=Reason.BUYER_CANCELLED,
            quantities=free,
            type=CommissionRefund.Type.AUTOMATIC,
            now=now,
        )


def reject_unrefunded(now=None, batch=500):
    """REB-04 (scheduled): a waiting application whose refund was not made by day 45 is
    rejected. One UPDATE per batch of due rows, through the partial index."""
    now = _now(now)
    done = 0
    while True:
        with transaction.atomic():
            due = CommissionRefund.objects.filter(status=Status.WAITING_FOR_PAYMENT_REFUND, deadline_at__lt=now)
            ids = list(
                due.order_by("deadline_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch]
            )
            changed = (
                CommissionRefund.objects.filter(pk__in=ids, status=Status.WAITING_FOR_PAYMENT_REFUND).update(
                    status=Status.REJECTED,
                    unmet_conditions=[{"code": "REFUND_NOT_MADE_IN_TIME"}],
                    decided_at=now,
                )
                if ids
                else 0
            )
        done += changed
        if len(ids) < batch:
            return done


def granted_for(order):
    return CommissionRefund.objects.filter(Q(order=order) & Q(status=Status.GRANTED))
