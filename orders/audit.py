"""MED-07: recording mediator actions. Called by services inside their transaction, so
an action and its audit record commit together or not at all."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditRecord

# UX-05: what each recorded action is called on the mediators' pages (never its code).
ACTION_LABELS = {
    "JOIN": _("Joined the Discussion"),
    "POST_MESSAGE": _("Message as Allegro"),
    "GRANT_ALLEGRO_PROTECT": _("Allegro Protect compensation granted"),
    "CONCLUDE_MEDIATION": _("Mediation concluded"),
    "REOPEN": _("Reopened at the buyer's request"),
    "OPEN_ON_BEHALF": _("Discussion started on the buyer's behalf"),
    "REPORT_DISMISS": _("Report dismissed"),
    "REPORT_HIDE": _("Message hidden after a report"),
    "BLOCK_SELLER": _("Seller account blocked"),
    "LIFT_SELLER_BLOCK": _("Seller account block lifted"),
    "FILE_BLOCK_COMPLAINT": _("Complaint against a block filed"),
    "DECIDE_BLOCK_COMPLAINT": _("Complaint against a block decided"),
    "DECIDE_COMMISSION_APPEAL": _("Commission refund appeal decided"),
    "REMOVE_INACTIVE_BUYER": _("Inactive buyer entry removed"),
    "RETRY_EMAIL": _("E-mail sent again"),
    "SIMULATE_DELIVERY": _("Simulated delivery"),
}


def action_label(code):
    return str(ACTION_LABELS.get(code, code))


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
