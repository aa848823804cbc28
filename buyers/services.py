"""The rules of the inactive-buyers tab (BLK-01…10). The pages, the admin and the tasks
call these; nothing else writes an entry.

Adding runs in three steps (BLK-04…06) but writes only on confirmation: `check_buyer`
(step 1), `check_evidence` (step 2) and `add_entry` (step 3), which checks everything
again inside its transaction. `add_entry` locks the buyer's user row, as `buy_offer`
does, so a purchase and an entry for the same buyer are serialized: either the order is
placed first (and then the entry is added too) or the purchase is refused.
"""

import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from core.errors import ConcurrentUpdate, DomainError
from core.uploads import check_uploads
from orders import audit
from orders.checks import registered_order_disputes
from orders.models import Order, Refund
from orders.presenters.base import order_status_of
from orders.services import lock_buyer

from .models import ENTRY_DAYS, BlockReason, EvidenceImage, InactiveBuyer

MIN_EVIDENCE, MAX_EVIDENCE = 3, 5
MAX_NOTE = 1000
THUMBNAIL_SIZE = (240, 240)
WINDOW = timedelta(days=ENTRY_DAYS)


def _now(now):
    # In UTC: 180 days are elapsed time, and Python adds a timedelta to a zone-aware
    # local time on the wall clock (an hour off across a clock change).
    return (now or timezone.now()).astimezone(UTC)


@dataclass
class BuyerCheck:
    """Step 1's verdict: who the buyer is and whether the entry is a linked copy (BLK-08)."""

    buyer: object
    linked_entry: InactiveBuyer | None = None
    recent_orders: list = field(default_factory=list)

    @property
    def is_linked_copy(self):
        return self.linked_entry is not None


def active_entries(account):
    return InactiveBuyer.objects.filter(seller_account=account, removed_at__isnull=True)


def recent_orders(account, buyer, now):
    """The buyer's orders from this account within the last 180 days, newest first,
    each with what went wrong (UX-10, `mark_problems`)."""
    return mark_problems(
        Order.objects.filter(seller_account=account, buyer=buyer, created_at__gt=now - WINDOW)
        .select_related("market", "shipment")
        .prefetch_related("lines")
        .order_by("-created_at", "-pk"),
        now,
    )


def mark_problems(orders, now):
    """UX-10: the orders (a queryset) as a list, each with `problems` — what went wrong,
    as (code, label) in this order: unpaid, cancelled, a Discussion the buyer opened
    (the order disputes other apps register, asked in the same query), a refund — and
    `refunded_in_full`, so that its payment badge reads as in Zamówienia
    (orders.presenters.order_status_of)."""
    disputes = {
        f"disputed_{index}": dispute(OuterRef("pk")) for index, dispute in enumerate(registered_order_disputes())
    }
    rows = list(
        orders.annotate(
            refunded_sum=Coalesce(
                Subquery(
                    Refund.objects.filter(order=OuterRef("pk"))
                    .order_by()
                    .values("order")
                    .annotate(total=Sum("amount"))
                    .values("total")
                ),
                Value(Decimal("0.00")),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            ),
            **disputes,
        )
    )
    for order in rows:
        problems = []
        if order.status == Order.Status.AWAITING_PAYMENT:
            problems.append(("unpaid", _("Unpaid")))
        elif order.status == Order.Status.CANCELLED:
            problems.append(("cancelled", _("Cancelled")))
        if any(getattr(order, name) for name in disputes):
            problems.append(("discussion", _("Discussion")))
        if order.refunded_sum > 0:
            problems.append(("refund", _("Refund")))
        order.problems = problems
        order.refunded_in_full = order.is_paid and order.refunded_sum >= order.total_amount
        order.status_badges = order_status_of(order, now, is_refunded=order.refunded_in_full)
    return rows


def linked_entry(account, buyer, now=None):
    """An active entry for the buyer on another account of the same linked group."""
    if account.linked_group_id is None:
        return None
    return (
        InactiveBuyer.objects.filter(
            seller_account__linked_group_id=account.linked_group_id,
            buyer=buyer,
            removed_at__isnull=True,
            # Past its 180 days it no longer restricts (BLK-02), even before the sweep.
            expires_at__gt=_now(now),
            source__isnull=True,
        )
        .exclude(seller_account=account)
        .select_related("seller_account")
        .order_by("added_at")
        .first()
    )


def check_buyer(account, login, *, now=None):
    """BLK-03: may this login be added to the account's tab? Raises DomainError saying why not.
    SAFE-12: an unknown login, a staff account, the seller's own login and a deactivated
    account get the same answer as a buyer who is not eligible, naming the login as typed,
    so the wizard does not tell which logins exist."""
    now = _now(now)
    login = (login or "").strip()
    if not login:
        raise DomainError(_("Enter the buyer's login."), field="login")
    buyer = (
        get_user_model()
        .objects.filter(username__iexact=login, is_active=True, is_staff=False, is_superuser=False)
        .exclude(pk=account.user_id)
        .first()
    )
    if buyer is None:
        raise _not_eligible(login)
    if active_entries(account).filter(buyer=buyer, expires_at__gt=now).exists():
        raise DomainError(
            _("%(login)s is already in your inactive buyers tab.") % {"login": buyer.username}, field="login"
        )
    orders = recent_orders(account, buyer, now)
    linked = linked_entry(account, buyer, now)
    if not orders and linked is None:
        raise _not_eligible(login)
    return BuyerCheck(buyer=buyer, linked_entry=linked, recent_orders=orders)


def _not_eligible(login):
    return DomainError(
        _(
            "You cannot add %(login)s: they have not bought from this account in the last 180 days, "
            "and they are not in the tab of an account linked to this one. If a buyer has never bought "
            "from you, you have no justified reason to refuse to sell to them."
        )
        % {"login": login},
        field="login",
        code="not_eligible",
    )


def _clean_note(note):
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(
            _("The note can have at most %(max)s characters; yours has %(count)s.")
            % {"max": MAX_NOTE, "count": len(note)},
            field="note",
        )
    return note


def check_reason(reason, note):
    if reason not in BlockReason.values:
        raise DomainError(_("Choose why you are adding the buyer."), field="reason")
    return reason, _clean_note(note)


def check_images(uploads):
    """BLK-05 for THREATS: 3 to 5 pictures, checked by decoding them (never the name)."""
    uploads = list(uploads)
    if not MIN_EVIDENCE <= len(uploads) <= MAX_EVIDENCE:
        raise DomainError(
            _("Add from %(min)s to %(max)s pictures proving the threats; you chose %(count)s.")
            % {"min": MIN_EVIDENCE, "max": MAX_EVIDENCE, "count": len(uploads)},
            field="files",
        )
    return check_uploads(uploads, max_count=MAX_EVIDENCE, min_count=MIN_EVIDENCE, allow_pdf=False)


def check_orders(account, buyer, order_ids, *, now=None):
    """BLK-05 for the other reasons: 3 to 5 of the buyer's orders from this account in
    the last 180 days. Returns the orders, oldest first."""
    now = _now(now)
    try:
        ids = sorted({int(pk) for pk in order_ids})
    except (TypeError, ValueError):
        raise DomainError(_("Choose orders from the list."), field="orders") from None
    if not MIN_EVIDENCE <= len(ids) <= MAX_EVIDENCE:
        raise DomainError(
            _("Choose from %(min)s to %(max)s orders; you chose %(count)s.")
            % {"min": MIN_EVIDENCE, "max": MAX_EVIDENCE, "count": len(ids)},
            field="orders",
        )
    orders = list(
        Order.objects.filter(pk__in=ids, seller_account=account, buyer=buyer, created_at__gt=now - WINDOW).order_by(
            "created_at", "pk"
        )
    )
    if len(orders) != len(ids):
        raise DomainError(
            _("Choose only this buyer's orders from your account from the last 180 days."), field="orders"
        )
    return orders


def unjustified_warning(orders):
    """BLK-07 (beyond the source): True when every selected order's only problem is a
    withdrawal or a Discussion the buyer opened — the refusal to sell may then be
    unjustified (art. 135 Kodeksu wykroczeń). A withdrawal is a refund of the order; a
    Discussion is any the buyer opened about it (asked through the order disputes other
    apps register with orders.checks, in the same query). Orders left unpaid or cancelled
    show a problem of their own, so they do not trigger the warning."""
    if not orders:
        return False
    disputes = {
        f"disputed_{index}": dispute(OuterRef("pk")) for index, dispute in enumerate(registered_order_disputes())
    }
    rows = Order.objects.filter(pk__in=[o.pk for o in orders]).annotate(
        has_refund=Exists(Refund.objects.filter(order=OuterRef("pk"))), **disputes
    )
    return all(
        (row.has_refund or any(getattr(row, name) for name in disputes)) and row.status == Order.Status.PAID
        for row in rows
    )


def _thumbnail(checked):
    with Image.open(io.BytesIO(checked.content.read())) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[checked.content_type]
        image.save(out, format=fmt)
    checked.content.seek(0)
    return ContentFile(out.getvalue())


def add_entry(
    account,
    *,
    seller,
    login,
    reason="",
    note="",
    images=(),
    order_ids=(),
    token=None,
    now=None,
):
    """BLK-06: the seller confirmed the summary. Everything is checked again here; the
    same `token` confirmed twice gives the one entry back."""
    if token is not None:
        existing = InactiveBuyer.objects.filter(wizard_token=token, seller_account=account).first()
        if existing is not None:
            return existing
    check = check_buyer(account, login, now=now)
    buyer = check.buyer
    source = None
    evidence_orders, checked_images = [], []
    if check.is_linked_copy:
        # BLK-08: no reason or evidence again; the entry points to the original.
        source = check.linked_entry
        reason, note = source.reason, _clean_note(note)
    else:
        reason, note = check_reason(reason, note)
        if reason == BlockReason.THREATS:
            checked_images = check_images(images)
        else:
            evidence_orders = check_orders(account, buyer, order_ids, now=now)
    stored = []
    try:
        with transaction.atomic():
            lock_buyer(buyer)
            now = _now(now)
            # An entry past its 180 days that the sweep has not reached yet leaves now.
            InactiveBuyer.objects.filter(
                seller_account=account, buyer=buyer, removed_at__isnull=True, expires_at__lte=now
            ).update(removed_at=now, removal=InactiveBuyer.Removal.EXPIRED)
            entry = InactiveBuyer.objects.create(
                seller_account=account,
                buyer=buyer,
                reason=reason,
                note=note,
                source=source,
                added_by=seller,
                added_at=now,
                expires_at=now + WINDOW,
                wizard_token=token,
            )
            entry.orders.set(evidence_orders)
            for checked in checked_images:
                image = EvidenceImage(
                    entry=entry, original_name=checked.name[:200], content_type=checked.content_type, size=checked.size
                )
                image.thumbnail.save("thumb", _thumbnail(checked), save=False)
                stored.append(image.thumbnail)
                image.file.save("evidence", checked.content, save=False)
                stored.append(image.file)
                image.save()
    except BaseException as error:
        # Nothing of a failed confirmation stays behind, files included.
        for file in stored:
            file.storage.delete(file.name)
        if not isinstance(error, IntegrityError):
            raise

        if token is not None:
            existing = InactiveBuyer.objects.filter(wizard_token=token, seller_account=account).first()
            if existing is not None:
                return existing
        raise DomainError(
            _("%(login)s is already in your inactive buyers tab.") % {"login": buyer.username}, field="login"
        ) from None
    return entry


def new_token():
    return uuid.uuid4()


def remove_entry(entry, *, seller, now=None):
    """BLK-01: the seller removes an entry (trash icon, after confirmation)."""
    now = _now(now)
    if not InactiveBuyer.objects.filter(pk=entry.pk, removed_at__isnull=True).update(
        removed_at=now, removed_by=seller, removal=InactiveBuyer.Removal.SELLER
    ):
        raise ConcurrentUpdate(_("This buyer is no longer in your tab."))
    entry.refresh_from_db()
    return entry


def remove_by_mediator(entry, *, mediator, reason, now=None):
    """BLK-10: a mediator removes an entry that abuses the tab (audited, MED-07)."""
    now = _now(now)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason; it is recorded."), field="reason")
    with transaction.atomic():
        if not InactiveBuyer.objects.filter(pk=entry.pk, removed_at__isnull=True).update(
            removed_at=now, removed_by=mediator, removal=InactiveBuyer.Removal.MEDIATOR, removal_reason=reason
        ):
            raise ConcurrentUpdate(_("The entry has already been removed."))
        audit.record(
            mediator,
            "REMOVE_INACTIVE_BUYER",
            entry,
            reason=reason,
            before={"active": True},
            after={"active": False},
            now=now,
        )
    entry.refresh_from_db()
    return entry


def restricted_refusal(*, buyer, offer, now):
    """BLK-09/ORD-03 purchase check (registered in apps.py): one indexed query. The
    buyer learns that the seller restricted purchases, never the reason or evidence."""
    if InactiveBuyer.objects.filter(
        seller_account_id=offer.seller_account_id, buyer_id=buyer.pk, removed_at__isnull=True, expires_at__gt=now
    ).exists():
        return _("The seller has restricted your purchases in their offers.")
    return None


def expired_q(now):
    return Q(removed_at__isnull=True, expires_at__lte=now)
