"""Texts of automatic messages and notifications, rendered in the reader's language.

They are stored as a code with parameters (never as finished text) so that each
reader gets them in their own language (I18N-01), and re-rendered whenever shown.
"""

from datetime import datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.money import money

from .models import Discussion, Notification, Reason, Solution

AUTO = {
    "OPENED": _("The buyer started a Discussion. Reason: %(reason)s. Product: %(product)s."),
    "OPENED_WITH_SOLUTION": _(
        "The buyer started a Discussion. Reason: %(reason)s. Product: %(product)s. Expected solution: %(solution)s."
    ),
    "OPENED_BY_ALLEGRO": _(
        "Allegro started this Discussion on the buyer's behalf. Reason: %(reason)s. Product: %(product)s."
    ),
    "TRACKING_ENTERED": _("The seller entered the parcel's tracking number: %(carrier)s %(tracking)s."),
    "HANDED_OVER": _("The seller handed the parcel to the carrier."),
    "DELIVERED": _("The carrier confirmed that the parcel was delivered on %(at)s."),
    "DELIVERED_WAITING": _(
        "The carrier confirmed that the parcel was delivered on %(at)s. If you have no objections to the order, "
        "we will close the Discussion after 24 hours. If something is wrong, write here before %(until)s."
    ),
    "REFUNDED": _("The seller refunded %(amount)s through Allegro Finanse."),
    "CLOSED_FULL_REFUND": _(
        "The seller refunded the full order amount through Allegro Finanse, so we closed the Discussion as resolved."
    ),
    "CLOSED_DELIVERED": _(
        "The parcel was delivered and the buyer raised no objection within 24 hours, "
        "so we closed the Discussion as resolved."
    ),
    "CLOSED_ALLEGRO_PROTECT": _(
        "Allegro granted the buyer %(amount)s of Allegro Protect compensation without charging the seller, "
        "so we closed the Discussion as resolved."
    ),
    "MEDIATION_CONCLUDED": _("The Allegro employee concluded the mediation: %(outcome)s."),
    "CLOSED_EXPIRED": _("The Discussion was not marked for 30 days, so we changed its status to resolved."),
    "RESOLVED_BY_BUYER": _("The buyer marked the Discussion as resolved."),
    "UNRESOLVED_BY_BUYER": _("The buyer marked the Discussion as unresolved. An Allegro employee will help you agree."),
    "HELP_REQUESTED": _(
        "The seller did not reply within 24 business hours, and the buyer asked Allegro for help. "
        "An Allegro employee will join the Discussion."
    ),
    "SELLER_OVERDUE": _(
        "The seller did not reply within 24 business hours. You can ask Allegro for help in this Discussion."
    ),
    "MEDIATOR_JOINED": _("An Allegro employee joined the Discussion. They are impartial and will help you agree."),
    "REOPENED": _("The buyer reopened the Discussion. The seller has 24 business hours to reply."),
    "END_REQUEST": _("The seller asks you to mark the Discussion as resolved if your problem has been solved."),
    "PROPOSAL": _("The seller proposes a solution: %(solution)s."),
    "PROPOSAL_RETURN": _("The seller proposes a solution: %(solution)s. The product must be sent back first."),
    "PROPOSAL_ACCEPTED": _("The buyer accepted the seller's proposal: %(solution)s. The Discussion is resolved."),
    "PROPOSAL_DECLINED": _("The buyer declined the seller's proposal: %(solution)s."),
}

NOTIFICATION_SUBJECTS = {
    Notification.Kind.NEW_DISCUSSION: _("New Discussion %(number)s — reply by %(due)s"),
    Notification.Kind.REOPENED: _("The buyer reopened Discussion %(number)s — reply by %(due)s"),
    Notification.Kind.NEW_MESSAGE: _("New message in Discussion %(number)s"),
    Notification.Kind.DEADLINE_APPROACHING: _("4 business hours left to reply in Discussion %(number)s"),
    Notification.Kind.DEADLINE_MISSED: _("The seller did not reply in Discussion %(number)s — you can ask for help"),
    Notification.Kind.MEDIATOR_JOINED: _("Allegro joined Discussion %(number)s"),
    Notification.Kind.STATUS_CHANGED: _("Discussion %(number)s: %(status)s"),
    Notification.Kind.DELIVERY_DETECTED: _("Your parcel was delivered — Discussion %(number)s"),
    Notification.Kind.END_REQUESTED: _("The seller asks you to mark Discussion %(number)s as resolved"),
    Notification.Kind.PROPOSAL: _("The seller proposed a solution in Discussion %(number)s"),
    Notification.Kind.REMINDER: _("Mark Discussion %(number)s — it closes as resolved on %(at)s"),
    Notification.Kind.WARNING: _("Allegro warns you about your message in Discussion %(number)s"),
}


# UX-03: a mediator's decision names its outcome in the subject, not only the status.
DECISION_SUBJECT = _("Allegro's decision in Discussion %(number)s: %(outcome)s")


def _local(value, market):
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = timezone.localtime(instant, market.tz)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


def solution_text(solution, amount=None, percent=None, currency=""):
    label = str(Solution(solution).label)
    if amount not in (None, ""):
        return f"{label} ({money(Decimal(str(amount)), currency)})"
    if percent not in (None, ""):
        return f"{label} ({percent}%)"
    return label


def _params(params, market):
    """Turn stored raw parameters into display strings in the active language."""
    out = dict(params)
    if "reason" in out:
        out["reason"] = str(Reason(out["reason"]).label)
    if "solution" in out:
        out["solution"] = solution_text(
            out["solution"], out.get("solution_amount"), out.get("solution_percent"), market.currency
        )
    if "amount" in out:
        out["amount"] = money(Decimal(str(out["amount"])), market.currency)
    for key in ("at", "until", "due"):
        if key in out and out[key]:
            out[key] = _local(out[key], market)
    if "carrier" in out:
        from orders.models import Shipment

        out["carrier"] = str(Shipment.Carrier(out["carrier"]).label)
    if "outcome" in out:
        from .models import MediationOutcome

        out["outcome"] = str(MediationOutcome(out["outcome"]).label)
    if "status" in out:
        out["status"] = str(Discussion.Status(out["status"]).label)
    if out.get("close_reason"):
        out["close_reason"] = str(Discussion.CloseReason(out["close_reason"]).label)
    return out


def render_automatic(code, params, market):
    template = AUTO.get(code)
    if template is None:
        return ""
    return str(template) % _params(params, market)


def render_notification_subject(kind, params, market):
    if kind == Notification.Kind.STATUS_CHANGED and params.get("outcome"):
        return str(DECISION_SUBJECT) % _params(params, market)
    return str(NOTIFICATION_SUBJECTS[kind]) % _params(params, market)


def notification_details(kind, params, market):
    """UX-04: what happened, for the body of a notification's mail, in the active language:
    (paragraphs, facts as (label, value) pairs). The texts are the automatic messages' and
    the pages' own."""
    shown = _params(params, market)
    kinds = Notification.Kind
    paragraphs, facts = [], []
    if kind in (kinds.NEW_DISCUSSION, kinds.REOPENED, kinds.DEADLINE_APPROACHING) and shown.get("due"):
        facts.append((_("Seller's reply deadline"), shown["due"]))
    elif kind == kinds.DEADLINE_MISSED:
        paragraphs.append(AUTO["SELLER_OVERDUE"])
    elif kind == kinds.MEDIATOR_JOINED:
        paragraphs.append(AUTO["MEDIATOR_JOINED"])
    elif kind == kinds.END_REQUESTED:
        paragraphs.append(AUTO["END_REQUEST"])
    elif kind == kinds.PROPOSAL and shown.get("solution"):
        paragraphs.append(AUTO["PROPOSAL_RETURN" if params.get("requires_return") else "PROPOSAL"] % shown)
    elif kind == kinds.DELIVERY_DETECTED and shown.get("until"):
        facts.append((_("Closes after delivery"), shown["until"]))
    elif kind == kinds.REMINDER and shown.get("at"):
        facts.append((_("Closes as resolved if not marked"), shown["at"]))
    elif kind == kinds.STATUS_CHANGED:
        facts.append((_("New status"), shown["status"]))
        if shown.get("close_reason") and shown["close_reason"] != shown.get("outcome"):
            facts.append((_("Why"), shown["close_reason"]))
        if shown.get("outcome"):
            facts.append((_("Allegro's decision"), shown["outcome"]))
        if shown.get("amount"):
            facts.append((_("Allegro Protect compensation"), shown["amount"]))
        if shown.get("why"):
            facts.append((_("Allegro's justification"), shown["why"]))
    return [str(paragraph) for paragraph in paragraphs], [(str(label), str(value)) for label, value in facts]
