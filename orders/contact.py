"""UX-11: the seller's contact page (*Jeśli chcesz się z nami skontaktować, wybierz jeden
z poniższych tematów*): what each topic shows, and the request to remove a buyer's
rating, which waits in the mediators' queue (discussions registers its queue source)
until a mediator decides (audited, MED-07)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentUpdate, DomainError
from core.once import consume

from . import audit
from .models import REFUND_CLAIM_DAYS, CommissionRefund, Order, RatingRemovalRequest
from .presenters.base import order_status_of

MAX_TEXT = 2000
LISTED = 10


def appealable_applications(account):
    """*Wniosek o rabat transakcyjny został odrzucony*: the account's rejected
    commission-refund applications not appealed yet (REB-07), newest first."""
    return list(
        CommissionRefund.objects.filter(
            seller_account=account, status=CommissionRefund.Status.REJECTED, appealed_at__isnull=True
        )
        .select_related("order__market")
        .order_by("-created_at", "-pk")[:LISTED]
    )


def unfinished_orders(account, now):
    """*Kupujący nie chce kupić*: the account's orders from the last 45 days (REB-02)
    the buyer has not paid for, or cancelled unpaid — the ones a commission refund may
    concern — past payment deadline first."""
    orders = list(
        Order.objects.filter(
            seller_account=account,
            status__in=[Order.Status.AWAITING_PAYMENT, Order.Status.CANCELLED],
            created_at__gt=now - timedelta(days=REFUND_CLAIM_DAYS),
        )
        .select_related("market", "buyer", "shipment")
        .order_by("payment_due_at", "pk")[:LISTED]
    )
    for order in orders:
        # The payment badge as Zamówienia shows it (UX-10).
        order.status_badges = order_status_of(order, now)
    return orders


def rating_requests(account):
    """The account's requests to remove a rating, newest first."""
    return list(
        RatingRemovalRequest.objects.filter(seller_account=account)
        .select_related("order")
        .order_by("-created_at", "-pk")[:LISTED]
    )


def parse_order_number(typed):
    digits = (typed or "").strip().lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


def request_rating_removal(account, *, order_number, reason, text, now=None, once=None):
    """The seller asks Allegro to remove the buyer's rating of one of the account's
    orders, saying why. One open request per order."""
    now = now or timezone.now()
    number = parse_order_number(order_number)
    order = Order.objects.filter(pk=number, seller_account=account).first() if number else None
    if order is None:
        raise DomainError(_("Enter the number of an order from your account (as in Zamówienia)."), field="order")
    if reason not in RatingRemovalRequest.Reason.values:
        raise DomainError(_("Choose the reason."), field="reason")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Describe why the rating should be removed."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(
            _("The explanation can have at most %(max)s characters; yours has %(count)s.")
            % {"max": MAX_TEXT, "count": len(text)},
            field="text",
        )
    try:
        with transaction.atomic():
            claim = consume(once, now)
            request = RatingRemovalRequest.objects.create(
                seller_account=account, order=order, reason=reason, text=text, created_at=now
            )
            claim.done(request)
    except IntegrityError:
        raise DomainError(
            _("A request about order %(number)s is already waiting for Allegro.") % {"number": order.number},
            field="order",
        ) from None
    return request


def decide_rating_removal(request, *, mediator, removed, reason, now=None, once=None):
    """A mediator removes the rating or refuses, with a reason (MED-07)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason; it is recorded."), field="reason")
    status = RatingRemovalRequest.Status.REMOVED if removed else RatingRemovalRequest.Status.REFUSED
    with transaction.atomic():
        consume(once, now)
        if not RatingRemovalRequest.objects.filter(pk=request.pk, status=RatingRemovalRequest.Status.OPEN).update(
            status=status, decided_at=now, decided_by=mediator, decision_reason=reason
        ):
            raise ConcurrentUpdate(_("This request has already been decided."))
        audit.record(
            mediator,
            "DECIDE_RATING_REMOVAL",
            request,
            reason=reason,
            before={"status": RatingRemovalRequest.Status.OPEN},
            after={"status": status},
            now=now,
        )
    request.refresh_from_db()
    return request
