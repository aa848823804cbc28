"""MED-07: recording mediator actions. Called by services inside their transaction, so
an action and its audit record commit together or not at all."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from .models import AuditRecord


def record(actor, action, obj, *, reason="", before=None, after=None, now=None):
    return AuditRecord.objects.create(
        actor=actor,
        at=now or timezone.now(),
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        reason=reason or "",
        before=before or {},
        after=after or {},
    )
