"""The mediator's case view of one Discussion (MED-02): the conversation, the order's
events, proposals, decisions and status changes on one timeline, and both parties'
history side by side, so that the mediator judges impartially. A fixed number of
queries, whatever the length of the conversation."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.templatetags.ui import money
from orders.models import OrderEvent

from .models import Compensation, Discussion, Message, Proposal, Role, StatusChange
from .texts import render_automatic


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # message, order, status, proposal, compensation
    who: str
    role: str
    text: str
    attachments: list = field(default_factory=list)
    hidden: bool = False
    anchor: str = ""
    role_code: str = ""
    # The language a person's message was written in (I18N-01), its code and its name.
    language: str = ""
    language_name: str = ""
    # What the case view shows, computed once (issue 13): the time in the active zone,
    # the <li>'s classes, "role · who", the language tag.
    when: str = ""
    css: str = ""
    who_line: str = ""
    language_tag: str = ""

    def present(self):
        self.when = timezone.localtime(self.at).strftime("%d.%m.%Y %H:%M")
        self.css = f"kind-{self.kind} role-{self.role_code}" + (" hidden-message" if self.hidden else "")
        self.role = str(self.role)
        self.who_line = f"{self.role} · {self.who}" if self.who and self.who != self.role else self.role
        if self.language:
            self.language_tag = gettext("written in: %(language)s") % {"language": self.language_name}


def _history(queryset):
    return queryset.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(is_open=True)),
        unresolved=Count("pk", filter=Q(status=Discussion.Status.UNRESOLVED)),
        help=Count("pk", filter=Q(help_requested_at__isnull=False)),
        ignored=Count("pk", filter=Q(seller_ignored_mediator_at__isnull=False)),
    )


def party_history(discussion):
    """Both parties' other Discussions (MED-02): the buyer's as a buyer, the seller
    account's as a seller."""
    others = Discussion.objects.exclude(pk=discussion.pk)
    return {
        "buyer": _history(others.filter(buyer_id=discussion.buyer_id)),
        "seller": _history(others.filter(seller_account_id=discussion.seller_account_id)),
    }


def _event_details(event, market):
    """The useful part of an order event's data, in the reader's words."""
    data = event.data or {}
    parts = []
    if data.get("quantity"):
        parts.append(_("quantity: %(quantity)s") % {"quantity": data["quantity"]})
    if data.get("amount"):
        parts.append(money(data["amount"], market.currency))
    if data.get("full"):
        parts.append(str(_("full amount")))
    if data.get("tracking"):
        parts.append(f"{data.get('carrier', '')} {data['tracking']}".strip())
    return ", ".join(parts)


def _role_label(role):
    return Role(role).label if role in Role.values else role


def _attachment(attachment):
    return {
        "url": reverse("discussions:attachment", args=[attachment.pk]),
        "name": attachment.original_name,
        "size": filesizeformat(attachment.size),
    }


def timeline(discussion, proposals=None):
    """Everything that happened, oldest first; `proposals` when the caller has them."""
    market = discussion.market
    entries = []
    messages = (
        Message.objects.filter(discussion=discussion)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    language_names = {code: str(name) for code, name in settings.LANGUAGES}
    for message in messages:
        text = (
            render_automatic(message.auto_code, message.auto_params, market) if message.is_automatic else message.text
        )
        entries.append(
            TimelineEntry(
                at=message.created_at,
                kind="message",
                who=str(message.author or ""),
                role=_role_label(message.author_role),
                role_code=message.author_role,
                text=text,
                attachments=[_attachment(a) for a in message.attachments.all()],
                hidden=message.hidden_at is not None,
                anchor=f"m{message.pk}",
                language=message.language,
                language_name=language_names.get(message.language, message.language) if message.language else "",
            )
        )
    for event in OrderEvent.objects.filter(order_id=discussion.order_id).select_related("actor"):
        details = _event_details(event, market)
        entries.append(
            TimelineEntry(
                at=event.occurred_at,
                kind="order",
                who=str(event.actor or ""),
                role=str(_("Order")),
                text=f"{event.get_kind_display()}" + (f" — {details}" if details else ""),
            )
        )
    for change in StatusChange.objects.filter(discussion=discussion).select_related("actor"):
        text = change.get_to_status_display()
        if change.from_status and change.from_status != change.to_status:
            text = f"{change.get_from_status_display()} → {text}"
        text += f" · {_('open') if change.to_open else _('closed')}"
        if change.close_reason:
            text += f" · {change.get_close_reason_display()}"
        if change.note:
            text += f" — {change.note}"
        entries.append(
            TimelineEntry(
                at=change.at,
                kind="status",
                who=str(change.actor or ""),
                role=_role_label(change.actor_role),
                role_code=change.actor_role,
                text=text,
            )
        )
    if proposals is None:
        proposals = Proposal.objects.filter(discussion=discussion)
    for proposal in proposals:
        text = proposal.get_solution_display()
        if proposal.amount is not None:
            text += f" {money(proposal.amount, market.currency)}"
        if proposal.percent is not None:
            text += f" ({proposal.percent}%)"
        text += f" · {proposal.get_status_display()}"
        entries.append(
            TimelineEntry(
                at=proposal.created_at, kind="proposal", who="", role=_role_label(Role.SELLER), text=str(text)
            )
        )
    for compensation in Compensation.objects.filter(discussion=discussion).select_related("granted_by"):
        entries.append(
            TimelineEntry(
                at=compensation.granted_at,
                kind="compensation",
                who=str(compensation.granted_by),
                role=_role_label(Role.MEDIATOR),
                role_code=Role.MEDIATOR,
                text=f"{_('Allegro Protect')}: {money(compensation.amount, market.currency)} — {compensation.reason}",
            )
        )
    order = {"order": 0, "status": 1, "proposal": 2, "compensation": 3, "message": 4}
    entries.sort(key=lambda e: (e.at, order[e.kind]))
    for entry in entries:
        entry.present()
    return entries
