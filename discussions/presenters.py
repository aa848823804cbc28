"""What the pages show about a Discussion, computed once per request: the deadline that
explains itself (DSC-06), the business-time countdown, and the actions of the state
machine with their labels (DSC-22)."""

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.business_time import business_time_between, skipped_days

from . import rules
from .rules import Action

ACTION_LABELS = {
    Action.REPLY: gettext_lazy("Reply"),
    Action.MARK_RESOLVED: gettext_lazy("Mark as resolved"),
    Action.MARK_UNRESOLVED: gettext_lazy("Mark as unresolved"),
    Action.ASK_FOR_HELP: gettext_lazy("Ask Allegro for help"),
    Action.REOPEN: gettext_lazy("Reopen the Discussion"),
    Action.ACCEPT_PROPOSAL: gettext_lazy("Accept the proposal"),
    Action.DECLINE_PROPOSAL: gettext_lazy("Decline the proposal"),
    Action.PROPOSE: gettext_lazy("Propose your solution"),
    Action.REQUEST_END: gettext_lazy("Ask to mark as resolved"),
    Action.JOIN: gettext_lazy("Join the Discussion"),
}

# URL slugs of the buyer's one-click actions.
BUYER_ACTION_SLUGS = {
    "resolve": Action.MARK_RESOLVED,
    "unresolve": Action.MARK_UNRESOLVED,
    "help": Action.ASK_FOR_HELP,
    "reopen": Action.REOPEN,
    "accept": Action.ACCEPT_PROPOSAL,
    "decline": Action.DECLINE_PROPOSAL,
}
SLUG_BY_ACTION = {action: slug for slug, action in BUYER_ACTION_SLUGS.items()}


def local_text(instant, market):
    if instant is None:
        return ""
    local = timezone.localtime(instant, market.tz)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


def duration_text(delta):
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": f"{minutes:02d}"}


@dataclass
class Deadline:
    due_at: object
    due_text: str
    explanation: str
    remaining_text: str
    is_past: bool
    started_at: object


def deadline_explanation(start, due, market):
    """DSC-06: '24 h roboczych; pominięto: sobota, niedziela, 11 listopada — …', in the
    active language. It depends only on the local days from start to due (and on whether
    the due instant is a local midnight), so it is computed once per such key."""
    tz = market.tz
    local_due = due.astimezone(tz)
    return _explanation(
        start.astimezone(tz).date(),
        local_due.date(),
        local_due.time() == datetime.min.time(),
        market.holiday_country,
        market.time_zone,
        get_language(),
    )


@lru_cache(maxsize=4096)
def _explanation(first_day, last_day, due_at_midnight, country, time_zone, language):
    tz = ZoneInfo(time_zone)
    start = datetime.combine(first_day, datetime.min.time(), tz)
    due = datetime.combine(last_day, datetime.min.time() if due_at_midnight else time(12), tz)
    skipped = skipped_days(start, due, country, time_zone, language)
    parts = []
    for day in skipped:
        if day.holiday:
            parts.append(f"{formats.date_format(day.day, 'j E')} — {day.holiday}")
        else:
            parts.append(formats.date_format(day.day, "l").lower())
    explanation = _("24 business hours")
    if parts:
        explanation = _("%(allowance)s; skipped: %(days)s") % {"allowance": explanation, "days": ", ".join(parts)}
    return explanation


def explain_deadline(start, due, market, now):
    """DSC-06: the deadline with its explanation and the business time left."""
    if due is None:
        return None
    explanation = deadline_explanation(start, due, market)
    remaining = business_time_between(now, due, market.holiday_country, market.time_zone)
    return Deadline(
        due_at=due,
        due_text=local_text(due, market),
        explanation=explanation,
        remaining_text=duration_text(remaining),
        is_past=now >= due,
        started_at=start,
    )


def reply_deadline(discussion, now):
    return explain_deadline(discussion.opened_at, discussion.reply_due_at, discussion.market, now)


def mediator_deadline(discussion, now):
    if discussion.mediator_first_message_at is None:
        return None
    return explain_deadline(
        discussion.mediator_first_message_at, discussion.mediator_reply_due_at, discussion.market, now
    )


@dataclass
class ActionView:
    action: str
    slug: str
    label: str
    allowed: bool
    reason: str
    available_from_text: str
    available_until_text: str


def action_views(discussion, role, now):
    views = []
    for action, availability in rules.allowed_actions(discussion, role, now).items():
        views.append(
            ActionView(
                action=action,
                slug=SLUG_BY_ACTION.get(action, ""),
                label=str(ACTION_LABELS[action]),
                allowed=availability.allowed,
                reason=str(availability.reason),
                available_from_text=local_text(availability.available_from, discussion.market),
                available_until_text=local_text(availability.available_until, discussion.market),
            )
        )
    return {view.action: view for view in views}
