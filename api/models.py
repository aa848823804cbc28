"""What the seller API keeps of its own: attachments declared through
POST /sale/issues/attachments and uploaded with PUT to the one-time URL."""

import uuid
from pathlib import Path

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import SellerAccount


def upload_path(instance, filename):
    """Generated names only; the declared name is kept as data."""
    return str(Path("api-uploads") / uuid.uuid4().hex[:2] / uuid.uuid4().hex)


class AttachmentDeclaration(models.Model):
    """A declared file (name, size). Its id is the upload URL's; the PUT stores the file
    once, and posting a message with the id turns it into the message's attachment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.CASCADE, related_name="+", verbose_name=_("seller account")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    declared_size = models.PositiveIntegerField(_("declared size (bytes)"))
    created_at = models.DateTimeField(_("declared at"))
    file = models.FileField(_("file"), upload_to=upload_path, max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=40, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    # Set when a message used it: the stored attachment that serves it from then on.
    attachment = models.OneToOneField(
        "discussions.Attachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declaration",
        verbose_name=_("attachment"),
    )

    class Meta:
        verbose_name = _("declared attachment")
        verbose_name_plural = _("declared attachments")
        ordering = ["-created_at"]
        indexes = [
            # The sweep of declarations never used by a message.
            models.Index(fields=["created_at"], name="api_decl_unused_idx", condition=Q(attachment__isnull=True)),
        ]

    def __str__(self):
        return self.file_name
