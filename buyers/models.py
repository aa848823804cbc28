"""The seller's inactive-buyers tab, *Moi nieaktywni kupujący* (SPEC §7, BLK-01…10).

An entry is written once, on the seller's confirmation, and never deleted: removing it
(by the seller, by expiry after 180 days, or by a mediator) only records when, by whom
and why (SEC-03). The purchase check reads the active entries through one partial index.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Order, SellerAccount

ENTRY_DAYS = 180


class BlockReason(models.TextChoices):
    """BLK-04: the first is from the source; the other two are our decision."""

    THREATS = "THREATS", _("The customer repeatedly threatened to act to my detriment")
    FALSE_DATA = "FALSE_DATA", _("The customer gave false contact details")
    RULES_BREACH = "RULES_BREACH", _("The customer repeatedly acted against the marketplace's rules")


class InactiveBuyer(models.Model):
    class Removal(models.TextChoices):
        SELLER = "SELLER", _("Removed by the seller")
        EXPIRED = "EXPIRED", _("Expired after 180 days")
        MEDIATOR = "MEDIATOR", _("Removed by Allegro")

    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="inactive_buyers", verbose_name=_("seller account")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("buyer")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=BlockReason.choices)
    note = models.TextField(_("note"), blank=True, max_length=1000)
    # BLK-08: an entry copied on a linked account points to the original (its evidence).
    source = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from the linked account's entry"),
    )
    orders = models.ManyToManyField(Order, related_name="+", blank=True, verbose_name=_("orders as evidence"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    added_at = models.DateTimeField(_("added at"))
    expires_at = models.DateTimeField(_("expires at"))
    # Confirming the summary twice (double click, back and resubmit) creates one entry.
    wizard_token = models.UUIDField(_("confirmation token"), unique=True, null=True, blank=True, editable=False)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("removed by"),
    )
    removal = models.CharField(_("removal"), max_length=10, choices=Removal.choices, blank=True)
    removal_reason = models.TextField(_("why it was removed"), blank=True)

    class Meta:
        verbose_name = _("inactive buyer")
        verbose_name_plural = _("inactive buyers")
        ordering = ["-added_at", "-pk"]
        permissions = [("remove_abusive_entry", _("Can remove an entry that abuses the tab"))]
        constraints = [
            # Also the index of the purchase check (BLK-09/ORD-03) and of the tab.
            models.UniqueConstraint(
                fields=["seller_account", "buyer"],
                condition=Q(removed_at__isnull=True),
                name="inactive_buyer_one_active",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removal="") | Q(removed_at__isnull=False) & ~Q(removal=""),
                name="inactive_buyer_removal_recorded",
            ),
        ]
        indexes = [
            # The expiry task (BLK-02) reads only the active entries that are due.
            models.Index(fields=["expires_at"], name="inactive_buyer_expiry_idx", condition=Q(removed_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.buyer} @ {self.seller_account}"

    @property
    def is_active(self):
        return self.removed_at is None

    @property
    def evidence_entry(self):
        """The entry whose evidence stands behind this one (BLK-08)."""
        return self.source or self


def evidence_path(instance, filename):
    """Generated names only; the uploaded name is kept as data (SEC-02)."""
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(instance.content_type, "")
    return str(Path("inactive_buyers") / uuid.uuid4().hex[:2] / f"{uuid.uuid4().hex}{suffix}")


class EvidenceImage(models.Model):
    """BLK-05: a picture proving the threats, content-checked, served only to the entry's
    seller and to mediators (BLK-06, BLK-10)."""

    entry = models.ForeignKey(InactiveBuyer, on_delete=models.PROTECT, related_name="images", verbose_name=_("entry"))
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("evidence image")
        verbose_name_plural = _("evidence images")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name
