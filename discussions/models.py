"""Discussions (Dyskusje) between a buyer and a seller about one order line (SPEC §3).

Status is written only by `discussions.services`; every change of status or of
open/closed leaves a StatusChange row. Deadlines are stored when they start (TIME-07)
and swept through partial indexes on the open rows (JOB-03).

Why one module of 769 lines: it is the app's schema, which Django loads from models.py
and the migrations describe model by model. Its models hang on the Discussion (its
messages and their attachments and reports, proposals, status changes, notifications,
compensations) or on the seller account it is about (SellerBlock, FlaggedSellerAccount),
and the Discussion's partial indexes are built from the expressions defined above it
(QUEUE_*, SELLER_LIST_ORDER) that the mediators' queue and the seller's list query by.
Each model holds only Django's model style — fields, constraints and indexes, rules of
one row and derived times; the workflows are discussions.services, the pages' reads
their presenters. Split into a package, the one schema would be spread over files that
import one another, with no less coupling.
"""

import calendar
import uuid
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orders.models import Market, Order, OrderLine, SellerAccount


class Reason(models.TextChoices):
    NOT_RECEIVED = "NOT_RECEIVED", _("I did not receive the product")
    PRODUCT_PROBLEM = "PRODUCT_PROBLEM", _("Problem with the product")
    WITHDRAWAL_PROBLEM = "WITHDRAWAL_PROBLEM", _("Problem with withdrawal/cancellation of the purchase")
    NO_PAYMENT_REFUND = "NO_PAYMENT_REFUND", _("No refund of my payment")
    NO_REFUND_AFTER_RETURN = "NO_REFUND_AFTER_RETURN", _("I did not get my money back after returning the product")


class Solution(models.TextChoices):
    REPAIR = "REPAIR", _("Repair")
    REPLACEMENT = "REPLACEMENT", _("Replacement")
    REFUND = "REFUND", _("Refund")
    PARTIAL_REFUND = "PARTIAL_REFUND", _("Partial refund")


class Role(models.TextChoices):
    BUYER = "BUYER", _("Buyer")
    SELLER = "SELLER", _("Seller")
    MEDIATOR = "MEDIATOR", _("Allegro")
    SYSTEM = "SYSTEM", _("Automatic message")


class MediationOutcome(models.TextChoices):
    """MED-05: how a mediator concluded a mediation."""

    AGREEMENT = "AGREEMENT", _("The parties reached an agreement")
    SELLER_TO_REFUND = "SELLER_TO_REFUND", _("The seller is to refund the buyer")
    CLAIM_NOT_UPHELD = "CLAIM_NOT_UPHELD", _("The buyer's claim was not upheld")
    ALLEGRO_PROTECT = "ALLEGRO_PROTECT", _("Allegro Protect compensation granted")


# The seller's Discussion list (DSC-10): open first; of those, the ones waiting for the
# seller's reply first; soonest deadline first; newest first. dsc_seller_list_idx is in
# this order, so a page of the list reads 20 index entries instead of sorting them all
# (and, holding seller_replied_at too, finds a page far down the list in the index alone).
SELLER_LIST_ORDER = (
    F("is_open").desc(),
    Case(When(seller_replied_at__isnull=True, then=Value(0)), default=Value(1)),
    F("reply_due_at").asc(),
    F("created_at").desc(),
    F("id").desc(),
)

# The mediators' queue (MED-01): an open Discussion waits for a mediator when the seller
# ignored Allegro (DSC-09), the buyer marked it unresolved (DSC-17) or asked Allegro for
# help (DSC-08); it is listed under the first of these that applies, waiting since that
# moment. dsc_queue_waiting_idx holds exactly these Discussions in the queue's order.
QUEUE_WAITING = Q(is_open=True) & (
    Q(seller_ignored_mediator_at__isnull=False) | Q(status="UNRESOLVED") | Q(help_requested_at__isnull=False)
)
QUEUE_REASON = Case(
    When(seller_ignored_mediator_at__isnull=False, then=Value("ignored")),
    When(status="UNRESOLVED", then=Value("unresolved")),
    default=Value("help"),
    output_field=models.CharField(),
)
QUEUE_WAITING_FROM = Case(
    When(seller_ignored_mediator_at__isnull=False, then=F("seller_ignored_mediator_at")),
    When(status="UNRESOLVED", then=F("unresolved_at")),
    default=F("help_requested_at"),
    output_field=models.DateTimeField(),
)


# A QuerySet.update() of Discussions sends no model signal. One that writes a column of
# UPDATE_WATCHED sends `discussions_updated` with the parties of the rows it changed
# (as [(buyer_id, seller_account_id)]): both parties' history in the case view and the
# seller's sales-quality figures are kept in the cache and must be told (issue 13,
# discussions.history), and so are the counts of the seller's list (discussions.
# list_counts). Every column they read is listed; the signal says which were written.
HISTORY_WATCHED = frozenset(
    {"status", "is_open", "help_requested_at", "seller_ignored_mediator_at", "buyer", "buyer_id"}
    | {"seller_account", "seller_account_id", "created_at", "first_reply_seconds", "reply_due_at"}
    | {"closed_at", "close_reason", "unresolved_at", "mediator_joined_at"}
)
LIST_COUNTS_WATCHED = frozenset(
    {"is_open", "last_message_status", "seller_replied_at", "reply_due_at", "seller_account", "seller_account_id"}
)
UPDATE_WATCHED = HISTORY_WATCHED | LIST_COUNTS_WATCHED
discussions_updated = Signal()


def on_discussion_writes(watched, changed, name):
    """Call `changed(parties)` ([(buyer_id, seller_account_id)]) whenever a Discussion is
    created or deleted, saved with a column of `watched` (or all columns), or changed by a
    QuerySet.update() of one: what a value kept in the cache from these columns must be
    told. `name` makes the receivers' dispatch_uids."""

    def saved(sender, instance, created, update_fields=None, **kwargs):
        if created or update_fields is None or not watched.isdisjoint(update_fields):
            changed([(instance.buyer_id, instance.seller_account_id)])

    def deleted(sender, instance, **kwargs):
        changed([(instance.buyer_id, instance.seller_account_id)])

    def updated(sender, parties, fields, **kwargs):
        if not watched.isdisjoint(fields):
            changed(parties)

    post_save.connect(saved, sender=Discussion, weak=False, dispatch_uid=f"{name}_saved")
    post_delete.connect(deleted, sender=Discussion, weak=False, dispatch_uid=f"{name}_deleted")
    discussions_updated.connect(updated, sender=Discussion, weak=False, dispatch_uid=f"{name}_updated")


class DiscussionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if UPDATE_WATCHED.isdisjoint(kwargs):
            return super().update(**kwargs)
        # The rows' parties before the update, whose filter may no longer match after it.
        parties = list(self.order_by().values_list("buyer_id", "seller_account_id").distinct())
        updated = super().update(**kwargs)
        if updated:
            discussions_updated.send(sender=self.model, parties=parties, fields=frozenset(kwargs))
        return updated

    update.alters_data = True
    update.queryset_only = True


class Discussion(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "IN_PROGRESS", _("In progress")
        RESOLVED = "RESOLVED", _("Resolved")
        UNRESOLVED = "UNRESOLVED", _("Unresolved")

    class CloseReason(models.TextChoices):
        BUYER_RESOLVED = "BUYER_RESOLVED", _("Marked as resolved by the buyer")
        EXPIRED = "EXPIRED", _("Not marked for 30 days")
        FULL_REFUND = "FULL_REFUND", _("Full amount refunded through Allegro Finanse")
        DELIVERED_NO_OBJECTION = "DELIVERED_NO_OBJECTION", _("Delivered, no objection within 24 hours")
        ALLEGRO_PROTECT = "ALLEGRO_PROTECT", _("Allegro Protect compensation granted")
        PROPOSAL_ACCEPTED = "PROPOSAL_ACCEPTED", _("The buyer accepted the seller's proposal")
        MEDIATION_CONCLUDED = "MEDIATION_CONCLUDED", _("Mediation concluded")

    class LastMessageStatus(models.TextChoices):
        """Who wrote last, as the marketplace's public API says it (DSC-10)."""

        NEW = "NEW", _("No reply from the seller yet")
        SELLER_REPLIED = "SELLER_REPLIED", _("Seller replied")
        BUYER_REPLIED = "BUYER_REPLIED", _("Buyer replied")
        ALLEGRO_ADVISOR_REPLIED = "ALLEGRO_ADVISOR_REPLIED", _("Allegro replied")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="discussions", verbose_name=_("order"))
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="discussions", verbose_name=_("product"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="discussions", verbose_name=_("buyer")
    )
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="discussions", verbose_name=_("seller account")
    )
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="+", verbose_name=_("market"))
    service = models.CharField(_("service"), max_length=20, choices=Order.Service.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    expected_solution = models.CharField(
        _("expected solution"), max_length=20, choices=Solution.choices, blank=True, default=""
    )
    expected_amount = models.DecimalField(
        _("expected refund amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    expected_percent = models.PositiveSmallIntegerField(_("expected refund percentage"), null=True, blank=True)
    opened_by_marketplace = models.BooleanField(_("opened by Allegro on the buyer's behalf"), default=False)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    is_open = models.BooleanField(_("open"), default=True)
    close_reason = models.CharField(
        _("close reason"), max_length=32, choices=CloseReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(_("started at"), db_index=True)
    opened_at = models.DateTimeField(_("opened at (latest opening)"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened by the buyer"), default=0)
    # SAFE-02: raised by every change of the state the buttons are rendered from (status,
    # open/closed, proposals, Allegro joining, the request for help); an action carries
    # the version its page showed and applies only to it (discussions.services.transitions).
    version = models.PositiveIntegerField(_("version"), default=0)

    # The seller's reply deadline of the current opening (DSC-06/07) and what became of it.
    reply_due_at = models.DateTimeField(_("seller reply due at"), null=True, blank=True)
    reply_warning_at = models.DateTimeField(_("deadline warning due at"), null=True, blank=True)
    seller_replied_at = models.DateTimeField(_("seller replied at"), null=True, blank=True)
    first_reply_seconds = models.PositiveIntegerField(_("first reply time (business seconds)"), null=True, blank=True)
    deadline_warning_sent_at = models.DateTimeField(_("deadline warning sent at"), null=True, blank=True)
    seller_overdue_at = models.DateTimeField(_("seller overdue since"), null=True, blank=True)
    help_requested_at = models.DateTimeField(_("buyer asked Allegro for help at"), null=True, blank=True)
    unresolved_at = models.DateTimeField(_("marked unresolved at"), null=True, blank=True)

    # Mediation (DSC-08/09, MED-*).
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediated_discussions",
        verbose_name=_("mediator"),
    )
    # UX-07: the mediator the case is assigned to (not shown to the parties; joining is
    # MED-02's `mediator`). Changed only by services.assign_case, audited.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_discussions",
        verbose_name=_("assigned to"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    mediator_joined_at = models.DateTimeField(_("Allegro joined at"), null=True, blank=True)
    mediation_concluded_at = models.DateTimeField(_("mediation concluded at"), null=True, blank=True)
    mediation_outcome = models.CharField(
        _("mediation outcome"), max_length=24, choices=MediationOutcome.choices, blank=True, default=""
    )
    mediator_first_message_at = models.DateTimeField(_("Allegro's first message at"), null=True, blank=True)
    mediator_reply_due_at = models.DateTimeField(_("seller reply to Allegro due at"), null=True, blank=True)
    seller_replied_to_mediator_at = models.DateTimeField(_("seller replied to Allegro at"), null=True, blank=True)
    seller_ignored_mediator_at = models.DateTimeField(_("seller ignored Allegro since"), null=True, blank=True)

    # Automatic closing and reminders (DSC-18, DSC-20b, NTF-03).
    auto_resolve_at = models.DateTimeField(_("auto-resolves at"), null=True, blank=True)
    delivery_close_at = models.DateTimeField(_("closes after delivery at"), null=True, blank=True)
    reminder_7d_sent_at = models.DateTimeField(_("7-day reminder sent at"), null=True, blank=True)
    reminder_1d_sent_at = models.DateTimeField(_("1-day reminder sent at"), null=True, blank=True)

    last_message_status = models.CharField(
        _("last message"), max_length=32, choices=LastMessageStatus.choices, default=LastMessageStatus.NEW
    )
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # SAFE-04: the seller's last request to mark the Discussion as resolved (DSC-12); the
    # next waits for the buyer to write after it or for 24 hours (discussions.rules).
    end_requested_at = models.DateTimeField(_("seller asked to mark as resolved at"), null=True, blank=True)
    # The identifier the seller API shows (the marketplace's API uses UUIDs).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)

    objects = DiscussionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Discussion")
        verbose_name_plural = _("Discussions")
        ordering = ["-created_at", "-pk"]
        permissions = [("mediate_discussion", _("Can join and write in Discussions as Allegro"))]
        constraints = [
            # DSC-05: one open Discussion per order line at a time.
            models.UniqueConstraint(fields=["line"], condition=Q(is_open=True), name="discussion_one_open_per_line"),
            # DSC-15: IN_PROGRESS is always open, RESOLVED always closed.
            models.CheckConstraint(
                condition=~Q(status="IN_PROGRESS", is_open=False) & ~Q(status="RESOLVED", is_open=True),
                name="discussion_status_matches_open",
            ),
            models.CheckConstraint(
                condition=Q(expected_percent__isnull=True) | Q(expected_percent__gte=1, expected_percent__lte=99),
                name="discussion_percent_range",
            ),
        ]
        indexes = [
            # Each sweep reads only the rows it may act on, through a partial index (JOB-03).
            models.Index(
                fields=["reply_due_at"],
                name="dsc_reply_due_idx",
                condition=Q(is_open=True, seller_replied_at__isnull=True, seller_overdue_at__isnull=True),
            ),
            models.Index(
                fields=["reply_warning_at"],
                name="dsc_reply_warning_idx",
                condition=Q(is_open=True, seller_replied_at__isnull=True, deadline_warning_sent_at__isnull=True),
            ),
            models.Index(
                fields=["mediator_reply_due_at"],
                name="dsc_mediator_due_idx",
                condition=Q(
                    is_open=True, seller_replied_to_mediator_at__isnull=True, seller_ignored_mediator_at__isnull=True
                ),
            ),
            models.Index(
                fields=["auto_resolve_at"], name="dsc_auto_resolve_idx", condition=Q(is_open=True, status="IN_PROGRESS")
            ),
            models.Index(
                fields=["auto_resolve_at"],
                name="dsc_reminder_7d_idx",
                condition=Q(is_open=True, status="IN_PROGRESS", reminder_7d_sent_at__isnull=True),
            ),
            models.Index(
                fields=["auto_resolve_at"],
                name="dsc_reminder_1d_idx",
                condition=Q(is_open=True, status="IN_PROGRESS", reminder_1d_sent_at__isnull=True),
            ),
            models.Index(fields=["delivery_close_at"], name="dsc_delivery_close_idx", condition=Q(is_open=True)),
            # The mediators' queue (MED-01) and the threshold flag (MED-09) read only these rows.
            models.Index(
                fields=["help_requested_at"],
                name="dsc_queue_help_idx",
                condition=Q(is_open=True, help_requested_at__isnull=False),
            ),
            models.Index(
                fields=["seller_account", "unresolved_at"],
                name="dsc_queue_unresolved_idx",
                condition=Q(is_open=True, status="UNRESOLVED"),
            ),
            models.Index(
                fields=["seller_ignored_mediator_at"],
                name="dsc_queue_ignored_idx",
                condition=Q(is_open=True, seller_ignored_mediator_at__isnull=False),
            ),
            # The queue's page reads its first entries in order, and its count reads it
            # alone (market and state filters included).
            models.Index(
                QUEUE_WAITING_FROM,
                QUEUE_REASON,
                F("id"),
                name="dsc_queue_waiting_idx",
                include=["market", "mediator_joined_at"],
                condition=QUEUE_WAITING,
            ),
            models.Index(fields=["seller_account", "-created_at"], name="dsc_seller_recent_idx"),
            # The seller API lists a seller's Discussions by their latest opening.
            models.Index(fields=["seller_account", "-opened_at", "-id"], name="dsc_seller_opened_idx"),
            models.Index(fields=["seller_account", "reply_due_at"], name="dsc_seller_due_idx"),
            models.Index(fields=["buyer", "-created_at"], name="dsc_buyer_recent_idx"),
            # The case view's history of both parties (MED-02): each party's Discussions
            # counted (open, unresolved, asked for help or ignored Allegro) from these alone.
            models.Index(
                fields=["buyer"],
                include=["id", "is_open", "status", "help_requested_at"],
                name="dsc_buyer_history_idx",
            ),
            models.Index(
                fields=["seller_account"],
                include=["id", "is_open", "status", "seller_ignored_mediator_at"],
                name="dsc_seller_history_idx",
            ),
            # The seller's Discussion list: its order; its count line and number of pages
            # as index-only counts (the open rows with every column the counts test, and
            # the closed rows), never reading the rows themselves.
            models.Index(
                F("seller_account"), *SELLER_LIST_ORDER, name="dsc_seller_list_idx", include=["seller_replied_at"]
            ),
            # The counted columns are included, not keys: no other query can search by them.
            models.Index(
                fields=["seller_account"],
                include=["last_message_status", "seller_replied_at", "reply_due_at"],
                name="dsc_seller_open_counts_idx",
                condition=Q(is_open=True),
            ),
            models.Index(fields=["seller_account"], name="dsc_seller_closed_idx", condition=Q(is_open=False)),
            models.Index(fields=["order"], name="dsc_order_idx"),
            # The sales quality panel (QLT-03): a seller's Discussions by start, with every
            # column its aggregates and medians read, so they never read the rows.
            models.Index(
                fields=[
                    "seller_account",
                    "created_at",
                    "first_reply_seconds",
                    "reply_due_at",
                    "closed_at",
                    "is_open",
                    "unresolved_at",
                    "mediator_joined_at",
                    "close_reason",
                ],
                name="dsc_quality_idx",
            ),
        ]

    def __str__(self):
        return _("Discussion %(number)s") % {"number": self.number}

    def get_absolute_url(self):
        return reverse("discussions:buyer_detail", args=[self.pk])

    def get_seller_url(self):
        return reverse("discussions:seller_detail", args=[self.pk])

    @property
    def number(self):
        return f"D{self.pk:07d}" if self.pk else "—"

    @property
    def mediator_active(self):
        return self.mediator_joined_at is not None and self.mediation_concluded_at is None

    @property
    def is_unanswered(self):
        return self.is_open and self.seller_replied_at is None


def attachment_path(instance, filename):
    """Generated names only: the uploaded name is kept as data, never as a path."""
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}.get(
        instance.content_type, ""
    )
    return str(Path("discussions") / uuid.uuid4().hex[:2] / f"{uuid.uuid4().hex}{suffix}")


class Message(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "REGULAR", _("Message")
        END_REQUEST = "END_REQUEST", _("Request to mark as resolved")
        AUTOMATIC = "AUTOMATIC", _("Automatic message")

    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, related_name="messages", verbose_name=_("Discussion")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_role = models.CharField(_("author role"), max_length=10, choices=Role.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    text = models.TextField(_("text"), blank=True)
    # The language the author wrote in (their interface language when sending), so that
    # mediators know what they are reading (I18N-01). Empty for automatic messages.
    language = models.CharField(_("original language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    # Automatic messages are stored as a code and parameters and rendered in the reader's
    # language (I18N-01); `counts_as_seller_reply` marks those of DSC-07.
    auto_code = models.CharField(_("automatic message code"), max_length=40, blank=True, default="")
    auto_params = models.JSONField(_("automatic message parameters"), default=dict, blank=True)
    counts_as_seller_reply = models.BooleanField(_("counts as the seller's reply"), default=False)
    created_at = models.DateTimeField(_("sent at"))
    hidden_at = models.DateTimeField(_("hidden by Allegro at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    # The identifier the seller API shows (the marketplace's API uses UUIDs).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["discussion", "created_at"], name="message_discussion_idx")]

    def __str__(self):
        return f"{self.get_author_role_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_automatic(self):
        return self.kind == self.Kind.AUTOMATIC

    @property
    def is_hidden(self):
        return self.hidden_at is not None


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The identifier the seller API shows (the marketplace's API uses UUIDs).
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class Proposal(models.Model):
    """DSC-13: the seller's own solution for a product problem."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting for the buyer")
        ACCEPTED = "ACCEPTED", _("Accepted")
        DECLINED = "DECLINED", _("Declined")
        SUPERSEDED = "SUPERSEDED", _("Replaced by a newer proposal")

    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("Discussion")
    )
    solution = models.CharField(_("solution"), max_length=20, choices=Solution.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("percentage"), null=True, blank=True)
    requires_return = models.BooleanField(_("product must be sent back first"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("proposed at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["discussion"], condition=Q(status="PENDING"), name="proposal_one_pending_per_discussion"
            )
        ]

    def __str__(self):
        return self.get_solution_display()


class StatusChange(models.Model):
    """DSC-15: every change of status or of open/closed, with who, when and why."""

    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, related_name="status_changes", verbose_name=_("Discussion")
    )
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_role = models.CharField(_("actor role"), max_length=10, choices=Role.choices)
    from_status = models.CharField(_("from status"), max_length=16, choices=Discussion.Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, choices=Discussion.Status.choices)
    from_open = models.BooleanField(_("was open"), null=True)
    to_open = models.BooleanField(_("is open"))
    close_reason = models.CharField(
        _("close reason"), max_length=32, choices=Discussion.CloseReason.choices, blank=True, default=""
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"


class Report(models.Model):
    """RPT-01/02: a report of a violation in another party's message."""

    class Category(models.TextChoices):
        THREAT = "THREAT", _("Threat")
        PORNOGRAPHY = "PORNOGRAPHY", _("Pornographic content")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Waiting for Allegro")
        DISMISSED = "DISMISSED", _("Dismissed")
        HIDDEN = "HIDDEN", _("Message hidden")

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="reports", verbose_name=_("message"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("reported at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("report of a violation")
        verbose_name_plural = _("reports of violations")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="report_once_per_message_and_user")]
        indexes = [models.Index(fields=["created_at"], name="report_open_idx", condition=Q(status="OPEN"))]

    def __str__(self):
        return f"{self.get_category_display()} — {self.message}"


class Notification(models.Model):
    """NTF-01/02: an in-app notification and the outbox row of its e-mail, written in
    the transaction of the event; the send task claims each row once per try.

    SAFE-05: a PENDING row is due at `email_next_attempt_at` (its creation, then each
    retry); a refused or timed-out try puts it back with the next delay of
    NOTIFICATION_RETRY_DELAYS, or FAILED once the tries are used up (listed for mediators,
    who can retry it). The mail's Message-ID is derived from `public_id`, so a mail sent
    twice after a crash is one message to the recipient's client."""

    class Kind(models.TextChoices):
        NEW_DISCUSSION = "NEW_DISCUSSION", _("New Discussion")
        REOPENED = "REOPENED", _("Discussion reopened")
        NEW_MESSAGE = "NEW_MESSAGE", _("New message")
        DEADLINE_APPROACHING = "DEADLINE_APPROACHING", _("Reply deadline approaching")
        DEADLINE_MISSED = "DEADLINE_MISSED", _("The seller did not reply in time")
        MEDIATOR_JOINED = "MEDIATOR_JOINED", _("Allegro joined the Discussion")
        STATUS_CHANGED = "STATUS_CHANGED", _("Discussion status changed")
        DELIVERY_DETECTED = "DELIVERY_DETECTED", _("Parcel delivered")
        END_REQUESTED = "END_REQUESTED", _("Seller asks to mark the Discussion as resolved")
        PROPOSAL = "PROPOSAL", _("The seller proposed a solution")
        REMINDER = "REMINDER", _("Mark your Discussion")
        WARNING = "WARNING", _("Warning from Allegro")

    class EmailStatus(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        SENDING = "SENDING", _("Being sent")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    discussion = models.ForeignKey(
        Discussion,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("Discussion"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_next_attempt_at = models.DateTimeField(_("next e-mail try at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail tries"), default=0)
    email_last_error = models.TextField(_("last e-mail error"), blank=True)
    email_claimed_at = models.DateTimeField(_("e-mail claimed at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        permissions = [("retry_notification", _("Can send a notification's e-mail again"))]
        constraints = [
            # A PENDING row without a due time would never be sent (SAFE-05).
            models.CheckConstraint(
                condition=~Q(email_status="PENDING") | Q(email_next_attempt_at__isnull=False),
                name="notification_pending_is_due",
            )
        ]
        indexes = [
            models.Index(fields=["email_next_attempt_at"], name="ntf_outbox_idx", condition=Q(email_status="PENDING")),
            models.Index(fields=["email_claimed_at"], name="ntf_sending_idx", condition=Q(email_status="SENDING")),
            models.Index(fields=["recipient", "-created_at"], name="ntf_recipient_idx"),
            models.Index(fields=["recipient"], name="ntf_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class Compensation(models.Model):
    """MED-04 / DSC-20(c): Allegro Protect compensation paid to the buyer by the
    marketplace, without charging the seller."""

    discussion = models.ForeignKey(
        Discussion, on_delete=models.PROTECT, related_name="compensations", verbose_name=_("Discussion")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"))
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("Allegro Protect compensation")
        verbose_name_plural = _("Allegro Protect compensations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="compensation_amount_positive")]

    def __str__(self):
        return f"{self.discussion} {self.amount}"


def months_later(instant, months, tz):
    """The same local wall-clock time `months` calendar months after `instant` in `tz`, in
    UTC. A day the target month lacks becomes its last day (31 August + 6 → 28/29 February)."""
    local = instant.astimezone(tz)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


class SellerBlock(models.Model):
    """MED-09: a mediator blocks a seller account until the reported problems are
    explained. The statement of reasons (facts, rule, Discussions concerned) is shown to
    the seller (EU DSA art. 17). Lifting keeps the row (SEC-03). The seller can file one
    complaint against the block within 6 calendar months; a mediator other than the one
    who blocked decides it (EU DSA art. 20)."""

    COMPLAINT_MONTHS = 6

    class ComplaintDecision(models.TextChoices):
        UPHELD = "UPHELD", _("Complaint upheld: block lifted")
        REJECTED = "REJECTED", _("Complaint rejected: block stays")

    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("seller account")
    )
    statement = models.TextField(_("statement of reasons"))
    rule = models.CharField(_("rule applied"), max_length=200)
    discussions = models.ManyToManyField(Discussion, related_name="+", blank=True, verbose_name=_("Discussions"))
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("blocked by")
    )
    blocked_at = models.DateTimeField(_("blocked at"))
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("why it was lifted"), blank=True)
    complaint_text = models.TextField(_("complaint against the block"), blank=True)
    complaint_filed_at = models.DateTimeField(_("complaint filed at"), null=True, blank=True)
    complaint_decision = models.CharField(
        _("decision on the complaint"), max_length=10, choices=ComplaintDecision.choices, blank=True
    )
    complaint_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("complaint decided by"),
    )
    complaint_decided_at = models.DateTimeField(_("complaint decided at"), null=True, blank=True)
    complaint_decision_reason = models.TextField(_("reason for the decision on the complaint"), blank=True)

    class Meta:
        verbose_name = _("seller account block")
        verbose_name_plural = _("seller account blocks")
        ordering = ["-blocked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seller_account"], condition=Q(lifted_at__isnull=True), name="seller_block_one_active"
            ),
            # A decision needs a filed complaint, and carries its decision, mediator and time together.
            models.CheckConstraint(
                condition=Q(complaint_decided_at__isnull=True, complaint_decision="")
                | Q(
                    complaint_filed_at__isnull=False,
                    complaint_decided_at__isnull=False,
                    complaint_decided_by__isnull=False,
                )
                & ~Q(complaint_decision=""),
                name="seller_block_complaint_decision",
            ),
        ]
        indexes = [
            # The mediators' queue (MED-01) reads the open complaints, oldest first.
            models.Index(
                fields=["complaint_filed_at"],
                name="block_complaint_open_idx",
                condition=Q(complaint_filed_at__isnull=False, complaint_decided_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.seller_account} ({self.blocked_at:%Y-%m-%d})"

    def get_seller_url(self):
        return reverse("discussions:seller_block_detail", args=[self.pk])

    @property
    def is_active(self):
        return self.lifted_at is None

    @property
    def complaint_due_at(self):
        """The last instant to complain: the same local day and time 6 calendar months
        after the block, in the seller account's market."""
        return months_later(self.blocked_at, self.COMPLAINT_MONTHS, self.seller_account.market.tz)

    @property
    def has_open_complaint(self):
        return self.complaint_filed_at is not None and self.complaint_decided_at is None

    def can_file_complaint(self, now):
        return self.is_active and self.complaint_filed_at is None and now <= self.complaint_due_at


class FlaggedSellerAccount(SellerAccount):
    """MED-08/09 in the admin: seller accounts seen from the mediators' side (a proxy,
    no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("seller account to explain")
        verbose_name_plural = _("seller accounts to explain")
