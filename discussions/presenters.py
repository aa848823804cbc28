"""What the pages show about a Discussion, shared by its pages, the seller API and the
quality panel: times in the market's zone, the deadline that explains itself (DSC-06)
and the business-time countdown, the labels of the state machine's actions (DSC-22),
URL patterns reversed once per process and empty forms rendered once per language. The
whole Discussion page is discussions.detail_presenters.
"""

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.business_time import business_time_between, skipped_days
from core.dates import date_formatter

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
    """An instant in the market's zone, in the active language's short date-time format,
    with the zone's abbreviation: "26.11.2026 10:00 CET" (TIME-01), the text of the
    `market_time` filter without parsing the format again for every instant."""
    if instant is None:
        return ""
    local = timezone.localtime(instant, market.tz)
    return f"{date_formatter(str(formats.get_format('SHORT_DATETIME_FORMAT')))(local)} {local.tzname()}"


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


# --- Links and forms of a page ---------------------------------------------------------
#
# A page builds its links from URL patterns reversed once per process, and shows empty
# forms rendered once per process and language (issue 13).

_url_formats = {}
_forms_html = {}


@receiver(setting_changed)
def _forget(**kwargs):
    # Tests that change settings (URLs, languages, DEBUG) get URLs and forms built anew.
    _url_formats.clear()
    _forms_html.clear()


def url_format(name, arity=1):
    """The path of URL `name` as a str.format pattern over its `arity` arguments (integers
    or slugs): "/my/discussions/{0}/message/", reversed once per process, so that a page
    builds each link with one format() instead of a reverse()."""
    key = (name, arity)
    pattern = _url_formats.get(key)
    if pattern is None:
        markers = [str(2_147_480_000 + position) for position in range(arity)]
        pattern = reverse(name, args=markers).replace("{", "{{").replace("}", "}}")
        for position, marker in enumerate(markers):
            pattern = pattern.replace(marker, f"{{{position}}}")
        _url_formats[key] = pattern
    return pattern


def form_html(template_name, form_class, form=None):
    """The fields of `form` rendered by `template_name`. Without a bound form, the page
    shows an empty `form_class`, which renders the same for every reader of a language:
    that is rendered once per process and language (with DEBUG on, every time, so an
    edited template shows at once)."""
    if form is not None:
        return render_to_string(template_name, {"form": form})
    key = (template_name, form_class, get_language())
    html = _forms_html.get(key)
    if html is None:
        html = render_to_string(template_name, {"form": form_class()})
        if not settings.DEBUG:
            _forms_html[key] = html
    return html


def open_discussions_by_line(order):
    """UX-02 / DSC-05: {line id: (number, title, buyer's URL)} of the order's products that
    have an open Discussion (one query)."""
    from .models import Discussion

    url = url_format("discussions:buyer_detail")
    rows = Discussion.objects.filter(order_id=order.pk, is_open=True).values_list("line_id", "pk", "line__title")
    return {
        line_id: SimpleNamespace(number=f"D{pk:07d}", title=title, url=url.format(pk)) for line_id, pk, title in rows
    }
