"""Markets, seller accounts, offers and orders: the transactions Discussions are about.

Order history is kept as rows that are only ever added (OrderEvent, Payment, Refund,
RefundLine); the few denormalised fields on Order (status, paid_at, cancelled_at) are
written by the services in the same transaction as the event that sets them.

Why one module of 656 lines: it is the app's schema, which Django loads from models.py
and the migrations describe model by model. Its models are one chain of foreign keys —
market, seller account (and its linked group), offer, order, its lines, shipment (and
the simulated parcel), payments, refunds, events, commission-refund applications and
their lines — plus the user's Profile and the AuditRecord of mediators' decisions. Each
holds only Django's model style (fields, constraints, single-row rules and derived
times); the workflows are orders.services and orders.commission, the pages' reads
orders.presenters. Split into a package, the one schema would be spread over files that
import one another, with no less coupling.
"""

import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# ORD-04: how long the buyer has to pay.
PAYMENT_DAYS_DEFAULT = 7
PAYMENT_DAYS_TRADITIONAL_TRANSFER = 14


class Market(models.Model):
    """One of the marketplace's country sites (SPEC §0)."""

    class Code(models.TextChoices):
        PL = "PL", _("Poland (allegro.pl)")
        CZ = "CZ", _("Czechia (allegro.cz)")
        SK = "SK", _("Slovakia (allegro.sk)")
        HU = "HU", _("Hungary (allegro.hu)")

    code = models.CharField(_("code"), max_length=2, choices=Code.choices, primary_key=True)
    domain = models.CharField(_("domain"), max_length=64, unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    time_zone = models.CharField(_("time zone"), max_length=64)
    holiday_country = models.CharField(_("holiday calendar country"), max_length=2)
    language = models.CharField(_("language"), max_length=8)
    # UX-04: where links in this market's mail point (e.g. https://allegro.pl); empty: the
    # server's MARKET_SITE_URLS / SITE_URL.
    site_url = models.URLField(
        _("site address"),
        blank=True,
        help_text=_("Links in this market's e-mails start with it. Empty: the server's setting."),
    )

    class Meta:
        verbose_name = _("market")
        verbose_name_plural = _("markets")
        ordering = ["code"]

    def __str__(self):
        return self.domain

    @property
    def tz(self):
        return ZoneInfo(self.time_zone)


class LinkedAccountGroup(models.Model):
    """Seller accounts of one business that are linked (powiązane konta)."""

    name = models.CharField(_("name"), max_length=150)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group of linked accounts")
        verbose_name_plural = _("groups of linked accounts")

    def __str__(self):
        return self.name


class SellerAccount(models.Model):
    """A selling account. Each account is its own sign-in (its user), like the
    marketplace's accounts; accounts of one business are linked through a group."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="seller_account",
        verbose_name=_("user"),
    )
    display_name = models.CharField(_("shop name"), max_length=150)
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="seller_accounts", verbose_name=_("home market")
    )
    linked_group = models.ForeignKey(
        LinkedAccountGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("linked accounts"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("seller account")
        verbose_name_plural = _("seller accounts")
        ordering = ["display_name"]

    def __str__(self):
        return f"{self.display_name} ({self.user.username})"

    @property
    def login(self):
        return self.user.username

    def is_linked_to(self, other):
        return (
            self.pk != other.pk and self.linked_group_id is not None and self.linked_group_id == other.linked_group_id
        )


class Offer(models.Model):
    """ORD-01: an offer listed by a seller account on one market."""

    class Format(models.TextChoices):
        BUY_NOW = "BUY_NOW", _("Buy now")
        AUCTION = "AUCTION", _("Auction")

    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="offers", verbose_name=_("seller account")
    )
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="offers", verbose_name=_("market"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    stock = models.PositiveIntegerField(_("stock"), default=1)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices, default=Format.BUY_NOW)
    commission_rate = models.DecimalField(
        _("commission rate"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.1000"),
        help_text=_("Share of the price, e.g. 0.1000 for 10 %."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="offer_price_positive"),
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0) & Q(commission_rate__lt=1), name="offer_commission_rate_range"
            ),
        ]
        indexes = [models.Index(fields=["market", "is_active", "-created_at"], name="offer_browse_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("orders:offer_detail", args=[self.pk])

    @property
    def currency(self):
        return self.market.currency

    @property
    def commission_per_unit(self):
        return (self.price * self.commission_rate).quantize(Decimal("0.01"))


class Order(models.Model):
    """ORD-02: a purchase (the transaction) of one buyer from one seller account."""

    class Service(models.TextChoices):
        ALLEGRO = "ALLEGRO", _("Allegro")
        ALLEGRO_LOKALNIE = "ALLEGRO_LOKALNIE", _("Allegro Lokalnie")

    class PaymentMethod(models.TextChoices):
        ONLINE = "ONLINE", _("Online payment (Allegro Finanse)")
        TRADITIONAL_TRANSFER = "TRADITIONAL_TRANSFER", _("Traditional bank transfer")

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "AWAITING_PAYMENT", _("Awaiting payment")
        PAID = "PAID", _("Paid")
        CANCELLED = "CANCELLED", _("Cancelled by the buyer")

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("buyer")
    )
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="orders", verbose_name=_("seller account")
    )
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="orders", verbose_name=_("market"))
    service = models.CharField(_("service"), max_length=20, choices=Service.choices, default=Service.ALLEGRO)
    format = models.CharField(_("format"), max_length=16, choices=Offer.Format.choices, default=Offer.Format.BUY_NOW)
    created_at = models.DateTimeField(_("purchased at"), db_index=True)
    payment_method = models.CharField(_("payment method"), max_length=24, choices=PaymentMethod.choices)
    status = models.CharField(
        _("payment state"), max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    total_amount = models.DecimalField(_("order amount"), max_digits=12, decimal_places=2)
    payment_due_at = models.DateTimeField(_("payment due at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # REB-08: the buyer withdrew from a paid purchase; the seller's refund then files an
    # automatic commission-refund application.
    cancellation_requested_at = models.DateTimeField(_("buyer withdrew at"), null=True, blank=True)
    # The identifier the seller API shows (the marketplace's API uses UUIDs).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="order_total_not_negative"),
        ]
        indexes = [
            # The lists of Zamówienia and Moje zakupy, newest first, a page at a time.
            models.Index(fields=["seller_account", "-created_at", "-id"], name="order_seller_list_idx"),
            models.Index(fields=["buyer", "-created_at", "-id"], name="order_buyer_list_idx"),
            # Zamówienia's unpaid and overdue tabs read only the orders awaiting payment.
            models.Index(
                fields=["seller_account", "-created_at", "-id"],
                name="order_seller_unpaid_idx",
                condition=Q(status="AWAITING_PAYMENT"),
            ),
            models.Index(fields=["buyer", "seller_account", "created_at"], name="order_buyer_seller_idx"),
        ]

    def __str__(self):
        return _("Order %(number)s") % {"number": self.number}

    def get_absolute_url(self):
        return reverse("orders:purchase_detail", args=[self.pk])

    def get_seller_url(self):
        return reverse("orders:seller_order_detail", args=[self.pk])

    @property
    def number(self):
        return f"{self.pk:08d}" if self.pk else "—"

    @property
    def currency(self):
        return self.market.currency

    @staticmethod
    def compute_payment_due_at(created_at, payment_method):
        """ORD-04: 14 days for an upfront traditional transfer, 7 days otherwise."""
        days = (
            PAYMENT_DAYS_TRADITIONAL_TRANSFER
            if payment_method == Order.PaymentMethod.TRADITIONAL_TRANSFER
            else PAYMENT_DAYS_DEFAULT
        )
        return created_at + timedelta(days=days)

    @property
    def is_paid(self):
        return self.status == self.Status.PAID

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def is_unpaid(self):
        return self.status == self.Status.AWAITING_PAYMENT

    def is_payment_overdue(self, now):
        return self.is_unpaid and now > self.payment_due_at

    def refunded_total(self):
        """What was already refunded. Uses the prefetched/annotated value when present."""
        annotated = getattr(self, "refunded_sum", None)
        if annotated is not None:
            return annotated
        return self.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")

    def refundable_amount(self):
        """ORD-07: never more than what was paid minus what was already refunded."""
        if not self.is_paid:
            return Decimal("0.00")
        return max(self.total_amount - self.refunded_total(), Decimal("0.00"))


class OrderLine(models.Model):
    """One product of an order, with the price and commission fixed at purchase."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order"))
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("offer"))
    title = models.CharField(_("title"), max_length=200)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    commission_per_unit = models.DecimalField(_("commission per unit"), max_digits=12, decimal_places=2)
    # The identifier the seller API shows (the marketplace's API uses UUIDs).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="order_line_price_positive"),
        ]

    def __str__(self):
        return f"{self.title} × {self.quantity}"

    @property
    def total(self):
        return self.unit_price * self.quantity


class Shipment(models.Model):
    """ORD-06: the parcel of an order. Each change is also an OrderEvent."""

    class Carrier(models.TextChoices):
        INPOST = "INPOST", _("InPost")
        DPD = "DPD", _("DPD")
        POCZTA_POLSKA = "POCZTA_POLSKA", _("Poczta Polska")
        DHL = "DHL", _("DHL")
        PPL = "PPL", _("PPL")
        PACKETA = "PACKETA", _("Packeta")
        GLS = "GLS", _("GLS")
        OTHER = "OTHER", _("Other")

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="shipment", verbose_name=_("order"))
    carrier = models.CharField(_("carrier"), max_length=20, choices=Carrier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    tracking_entered_at = models.DateTimeField(_("tracking number entered at"))
    handed_over_at = models.DateTimeField(_("handed to the carrier at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    tracking_polled_at = models.DateTimeField(_("carrier last asked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [
            # The tracking poll looks only at parcels on their way.
            models.Index(
                fields=["tracking_polled_at"],
                name="shipment_in_transit_idx",
                condition=Q(delivered_at__isnull=True),
            ),
            models.Index(fields=["carrier", "tracking_number"], name="shipment_tracking_idx"),
        ]

    def __str__(self):
        return f"{self.get_carrier_display()} {self.tracking_number}"


class Payment(models.Model):
    """ORD-05: money received for an order (never edited)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=24, choices=Order.PaymentMethod.choices)
    paid_at = models.DateTimeField(_("paid at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            # An order is paid once: a second click or a second worker cannot pay twice.
            models.UniqueConstraint(fields=["order"], name="payment_one_per_order"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.order} {self.amount}"


class Refund(models.Model):
    """ORD-07: money returned through Allegro Finanse (never edited or deleted)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    is_full = models.BooleanField(_("full order amount"), default=False)
    created_at = models.DateTimeField(_("refunded at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refunded by"),
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"{self.order} −{self.amount}"


class RefundLine(models.Model):
    """Which units of which line a refund paid back (empty for an amount-only refund)."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="lines", verbose_name=_("refund"))
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refund_lines", verbose_name=_("line"))
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("refunded line")
        verbose_name_plural = _("refunded lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="refund_line_quantity_positive")]

    def __str__(self):
        return f"{self.line.title} × {self.quantity}"


class OrderEvent(models.Model):
    """The timestamped history of an order; rows are only ever added (ORD-02, SEC-03)."""

    class Kind(models.TextChoices):
        CREATED = "CREATED", _("Order placed")
        PAID = "PAID", _("Paid online")
        TRANSFER_RECEIVED = "TRANSFER_RECEIVED", _("Bank transfer received")
        CANCELLED = "CANCELLED", _("Cancelled by the buyer")
        CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED", _("The buyer withdrew from the purchase")
        TRACKING_ENTERED = "TRACKING_ENTERED", _("Tracking number entered")
        HANDED_OVER = "HANDED_OVER", _("Parcel handed to the carrier")
        DELIVERED = "DELIVERED", _("Parcel delivered")
        REFUNDED = "REFUNDED", _("Money refunded through Allegro Finanse")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events", verbose_name=_("order"))
    kind = models.CharField(_("event"), max_length=24, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["order", "occurred_at"], name="order_event_order_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.occurred_at:%Y-%m-%d %H:%M})"


class SimulatedParcel(models.Model):
    """What the built-in simulated carrier knows about a parcel (ORD-06).

    Written by the `simulate_tracking` command and the admin; read only through
    `orders.tracking.SimulatedTrackingProvider`, as a real carrier's API would be.
    """

    carrier = models.CharField(_("carrier"), max_length=20, choices=Shipment.Carrier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    delivered_at = models.DateTimeField(_("delivered at"))

    class Meta:
        verbose_name = _("simulated parcel status")
        verbose_name_plural = _("simulated parcel statuses")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], name="simulated_parcel_unique"),
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class Profile(models.Model):
    """What the marketplace remembers of a user beyond sign-in: the language they read
    the site in, so automatic messages and mails reach them in it (I18N-01)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)


class AuditRecord(models.Model):
    """MED-07: one mediator action — who, when, on what, what, why, before/after. Written
    by services only, never edited or deleted (the admin offers neither)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("mediator")
    )
    at = models.DateTimeField(_("at"), db_index=True)
    action = models.CharField(_("action"), max_length=40)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self):
        from .audit import action_label

        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {action_label(self.action)} {self.object_repr}"


REFUND_CLAIM_DAYS = 45


class CommissionRefund(models.Model):
    """REB-01…08: the seller's application for a refund of the commission (rabat
    transakcyjny) on units the buyer did not pay for or gave back. Statuses and types are
    those of the marketplace's public API (/order/refund-claims)."""

    class Reason(models.TextChoices):
        NOT_PAID = "NOT_PAID", _("The buyer did not pay")
        NO_CONTACT = "NO_CONTACT", _("The buyer does not respond to contact")
        BUYER_CANCELLED = "BUYER_CANCELLED", _("The buyer withdrew from the purchase")

    class Status(models.TextChoices):
        WAITING_FOR_PAYMENT_REFUND = "WAITING_FOR_PAYMENT_REFUND", _("Waiting for the refund to the buyer")
        GRANTED = "GRANTED", _("Granted")
        REJECTED = "REJECTED", _("Rejected")
        APPEALED = "APPEALED", _("Appealed")
        REJECTED_AFTER_APPEAL = "REJECTED_AFTER_APPEAL", _("Rejected after the appeal")
        # UX-05: an application (wniosek) reads "Anulowany" next to "Odrzucony", not the order's "Anulowane".
        CANCELLED = "CANCELLED", pgettext_lazy("commission refund application", "Cancelled")

    class Type(models.TextChoices):
        MANUAL = "MANUAL", _("Filed by the seller")
        AUTOMATIC = "AUTOMATIC", _("Filed automatically")

    PENDING = (Status.WAITING_FOR_PAYMENT_REFUND, Status.APPEALED)

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="commission_refunds", verbose_name=_("order")
    )
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="commission_refunds", verbose_name=_("seller account")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.MANUAL)
    status = models.CharField(_("status"), max_length=28, choices=Status.choices)
    amount = models.DecimalField(_("commission to refund"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("filed at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    deadline_at = models.DateTimeField(_("45 days from the purchase end at"))
    # Unmet conditions as codes with parameters, rendered in the reader's language.
    unmet_conditions = models.JSONField(_("unmet conditions"), default=list, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by mediator"),
    )
    decision_reason = models.TextField(_("mediator's reason"), blank=True)
    appeal_text = models.TextField(_("appeal"), blank=True, max_length=5000)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission refund application")
        verbose_name_plural = _("commission refund applications")
        ordering = ["-created_at", "-pk"]
        permissions = [("decide_appeal", _("Can decide commission refund appeals"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="commission_refund_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(appealed_at__isnull=True) | ~Q(appeal_text=""), name="commission_refund_appeal_has_text"
            ),
        ]
        indexes = [
            models.Index(fields=["seller_account", "-created_at"], name="cref_seller_recent_idx"),
            models.Index(fields=["order"], name="cref_order_idx"),
            # The day-45 task reads only the waiting applications that are due.
            models.Index(
                fields=["deadline_at"], name="cref_waiting_due_idx", condition=Q(status="WAITING_FOR_PAYMENT_REFUND")
            ),
            # The mediators' queue reads the open appeals.
            models.Index(fields=["appealed_at"], name="cref_appealed_idx", condition=Q(status="APPEALED")),
        ]

    def __str__(self):
        return _("Commission refund %(number)s") % {"number": self.number}

    @property
    def number(self):
        return f"R{self.pk:07d}" if self.pk else "—"

    @property
    def is_pending(self):
        return self.status in self.PENDING

    @property
    def decided_automatically(self):
        return self.decided_by_mediator_id is None


class RatingRemovalRequest(models.Model):
    """UX-11: a seller asks Allegro to remove a buyer's rating of an order (*Chcesz
    usunąć ocenę od kupującego*); it waits in the mediators' queue with the order and
    the reason until a mediator decides (audited, MED-07). One open request per order."""

    class Reason(models.TextChoices):
        OFFENSIVE = "OFFENSIVE", _("The rating contains offensive or vulgar words")
        NOT_ABOUT_THE_SALE = "NOT_ABOUT_THE_SALE", _("The rating is not about this sale")
        BUYER_AGREES = "BUYER_AGREES", _("The buyer agrees to remove the rating")
        OTHER = "OTHER", _("Another reason")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Waiting for Allegro")
        REMOVED = "REMOVED", _("Rating removed")
        REFUSED = "REFUSED", _("Request refused")

    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="rating_removals", verbose_name=_("seller account")
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="rating_removals", verbose_name=_("order"))
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices)
    text = models.TextField(_("explanation"), max_length=2000)
    created_at = models.DateTimeField(_("sent at"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("reason of the decision"), blank=True)

    class Meta:
        verbose_name = _("rating removal request")
        verbose_name_plural = _("rating removal requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="OPEN"), name="rating_removal_one_open"),
        ]
        indexes = [models.Index(fields=["created_at"], name="rating_removal_open_idx", condition=Q(status="OPEN"))]

    def __str__(self):
        return _("Rating removal request %(number)s") % {"number": self.number}

    @property
    def number(self):
        return f"O{self.pk:07d}" if self.pk else "—"


class CommissionRefundLine(models.Model):
    """REB-03/05: units of one order line claimed by an application, with their commission."""

    application = models.ForeignKey(
        CommissionRefund, on_delete=models.PROTECT, related_name="lines", verbose_name=_("application")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="commission_claims", verbose_name=_("line")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    commission = models.DecimalField(_("commission"), max_digits=12, decimal_places=2)
    # The identifier the seller API shows (the marketplace's API uses UUIDs).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("claimed line")
        verbose_name_plural = _("claimed lines")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="cref_line_quantity_positive")]

    def __str__(self):
        return f"{self.line.title} × {self.quantity}"
