"""Scheduled task of the seller API: attachments declared (and maybe uploaded) through
POST /sale/issues/attachments that no message used within a day are deleted, files
included. Only those rows are read, through the partial index api_decl_unused_idx."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import AttachmentDeclaration

UNUSED_FOR = timedelta(days=1)


def clean_unused_declarations(now=None, batch=500):
    now = now or timezone.now()
    storage = AttachmentDeclaration._meta.get_field("file").storage
    removed = 0
    while True:
        with transaction.atomic():
            # Rows a message is using right now are locked by it and skipped.
            rows = list(
                AttachmentDeclaration.objects.filter(attachment__isnull=True, created_at__lt=now - UNUSED_FOR)
                .order_by("created_at")
                .select_for_update(skip_locked=True)[:batch]
            )
            files = [row.file.name for row in rows if row.file]
            AttachmentDeclaration.objects.filter(pk__in=[row.pk for row in rows]).delete()
            transaction.on_commit(lambda names=files: [storage.delete(name) for name in names])
        removed += len(rows)
        if len(rows) < batch:
            return removed
