"""The mediators' queue page (MED-01, `/admin/discussions/discussion/queue/`): everything
waiting for a mediator (discussions.queue) in one list, oldest first, filtered by reason,
market and state, its rows written once as HTML (issue 13)."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    HTML_ESCAPES,
    FramedTemplateResponse,
    admin_fragment,
    escape_text,
    fill_holes,
    hole,
    reused_row,
    template_with_holes,
)
from core.prepared import PreparedQuery
from orders.models import Market

from .. import queue, search

QUEUE_PAGE_SIZE = 50


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    market = forms.ModelChoiceField(
        label=_("Market"), queryset=Market.objects.all(), required=False, to_field_name="code", empty_label=_("All")
    )
    state = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *queue.State.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("All")), *queue.reason_choices()]

    def clean_market(self):
        market = self.cleaned_data["market"]
        return market.code if market else None

    def rendered_fields(self):
        """Each field's label and widget as templates/admin/discussions/queue.html shows
        them, rendered once per language, values filtered by and markets (issue 13)."""
        return self.fields_html(self.is_bound, [self.data.get(name) for name in self.fields], lambda: self)

    @classmethod
    def fields_html(cls, bound, values, form):
        """`rendered_fields()` of a form bound or not with `values`; `form()` makes the
        form when the fields are rendered (an unfiltered queue makes none)."""
        key = (bound, tuple(values), tuple([tuple(row) for row in _MARKET_CHOICES.rows()]))
        return admin_fragment("admin/discussions/queue_filters.html", key, lambda: {"form": form()})


# The markets the filter offers (the market field's queryset, in its order).
_MARKET_CHOICES = PreparedQuery(lambda: Market.objects.values_list("code", "domain"))


def waited_texts():
    """timesince(waiting_from, now) by the seconds waited, for waits under 28 days (None
    otherwise): there timesince() shows at most two adjacent units of weeks, days, hours
    and minutes, so a page translates each (unit, number) once instead of once per row
    (issue 13)."""
    comma = gettext(", ")
    units = {}
    texts = {}

    def unit(name, number):
        text = units.get((name, number))
        if text is None:
            text = units[(name, number)] = avoid_wrapping(TIME_STRINGS[name] % {"num": number})
        return text

    def waited(seconds):
        if seconds <= 0 or seconds >= 28 * 86400:
            return unit("minute", 0) if seconds <= 0 else None
        weeks, rest = divmod(seconds, 604800)
        days, rest = divmod(rest, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        # The first unit that is not zero and the next one, if that is not zero either.
        if weeks:
            key = ("week", weeks, "day", days)
        elif days:
            key = ("day", days, "hour", hours)
        elif hours:
            key = ("hour", hours, "minute", minutes)
        elif minutes:
            key = ("minute", minutes, None, 0)
        else:
            return unit("minute", 0)
        text = texts.get(key)
        if text is None:
            first, number, second, then = key
            text = unit(first, number)
            if then:
                text = comma.join([text, unit(second, then)])
            texts[key] = text
        return text

    return waited


def _assignee_cell(item, zone, mine_label, mine):
    """UX-07: who has the case and since when ("—": nobody)."""
    if not item.assignee:
        return "—"
    since = item.assigned_at.astimezone(zone).strftime("%d.%m.%Y %H:%M") if item.assigned_at else ""
    who = mine_label if mine else escape_text(item.assignee)
    return f'{who}<br><span class="help">{since}</span>' if since else who


def _row_tail(item, overdue, mine, zone):
    """A queue row's cells after the first (how long it has waited): they depend only on
    these values, the language and the time zone."""
    reason = escape_text(item.reason)
    case = f'<a href="{escape_text(item.url)}">{escape_text(item.title)}</a>'
    if item.detail:
        case += f'<br><span class="help">{escape_text(item.detail)}</span>'
    if item.deadline:
        due = item.deadline.astimezone(zone).strftime("%d.%m.%Y %H:%M")
        deadline = (
            f'<span class="errornote-inline">{due} ({escape_text(gettext("passed"))})</span>'
            if overdue
            else f"<span>{due}</span>"
        )
    else:
        deadline = "—"
    state = gettext("Waiting for a mediator") if item.state == queue.State.WAITING else gettext("Mediator joined")
    mine_label = f"<strong>{escape_text(gettext('You'))}</strong>"
    return (
        f'<tr class="queue-{reason}">',
        f"<td>{escape_text(item.reason_label)}</td>"
        f"<td>{case}</td>"
        f"<td>{escape_text(item.market)}</td>"
        f"<td>{escape_text(state)}</td>"
        f"<td>{deadline}</td>"
        f"<td>{escape_text(item.mediator or '—')}</td>"
        f"<td>{_assignee_cell(item, zone, mine_label, mine)}</td>"
        "</tr>",
    )


def queue_table_rows(items, now, user_id=None):
    """The queue's table rows (templates/admin/discussions/queue.html), each one string of
    HTML (issue 13): how long a case has waited written per request, the rest of its row
    kept per process while its values are the same (core.admin.reused_row); times in the
    active zone, every value escaped."""
    zone = timezone.get_current_timezone()
    page = ("queue", get_language(), str(zone), get_script_prefix())
    waited = waited_texts()
    rows = []
    for item in items:
        if item.waiting_from:
            since = item.waiting_from.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            delta = now - item.waiting_from
            text = waited(delta.days * 86400 + delta.seconds)
            if text is None:
                text = timesince(item.waiting_from, now)
            waiting = f'<span title="{since}">{text.translate(HTML_ESCAPES)}</span>'
        else:
            waiting = "—"
        overdue = bool(item.deadline and item.deadline < now)
        mine = item.assignee_id is not None and item.assignee_id == user_id
        key = (
            page,
            item.reason,
            item.reason_label,
            item.title,
            item.url,
            item.detail,
            item.deadline,
            overdue,
            item.market,
            item.state,
            item.mediator,
            item.assignee,
            mine,
            item.assigned_at,
        )
        head, tail = reused_row(key, _row_tail, item, overdue, mine, zone)
        rows.append(f"{head}<td>{waiting}</td>{tail}")
    return rows


def queue_content(page, items, mine, typed, filters, rows, query):
    """The queue page's content (templates/admin/discussions/queue_content.html) rendered
    once per language and shape with holes for this request's values (issue 13)."""
    count = page.paginator.count
    other_pages, previous, following = page.has_other_pages(), page.has_previous(), page.has_next()
    shape = (
        mine,
        bool(typed),
        bool(query),
        bool(items),
        other_pages,
        previous,
        following,
        settings.SELLER_UNRESOLVED_THRESHOLD,
        get_script_prefix(),
    )
    parts = template_with_holes(
        "admin/discussions/queue_content.html",
        shape,
        {
            "mine": mine,
            "q": hole(0) if typed else "",
            "filters": hole(1),
            "count_text": hole(2),
            "rows": hole(3),
            "query": hole(4) if query else "",
            "has_items": bool(items),
            "has_other_pages": other_pages,
            "has_previous": previous,
            "has_next": following,
            "previous": hole(5),
            "number": hole(6),
            "total": hole(7),
            "next": hole(8),
            "threshold": settings.SELLER_UNRESOLVED_THRESHOLD,
        },
    )
    count_text = ngettext(
        "%(counter)s case waiting, oldest first.", "%(counter)s cases waiting, oldest first.", count
    ) % {"counter": escape_text(localize(count))}
    return fill_holes(
        parts,
        [
            escape_text(typed),
            filters,
            count_text,  # translated text as {% blocktranslate %} writes it, its number escaped
            rows,
            escape_text(query),
            localize(page.previous_page_number()) if previous else "",
            localize(page.number),
            localize(page.paginator.num_pages),
            localize(page.next_page_number()) if following else "",
        ],
    )


class QueueViewMixin:
    """The Discussion admin's queue page (DiscussionAdmin.get_urls names it
    "discussions_queue")."""

    def queue_view(self, request):
        """MED-01: everything waiting for a mediator, oldest first, in one list."""
        if not request.user.has_perm("discussions.view_discussion"):
            raise PermissionDenied
        if request.GET:
            form = QueueFilterForm(request.GET)
            data = form.cleaned_data if form.is_valid() else {}
            filters = form.rendered_fields()
        else:  # the unfiltered queue: its filters as kept, no form made
            form, data = None, {}
            filters = QueueFilterForm.fields_html(False, [None] * len(QueueFilterForm.base_fields), QueueFilterForm)
        # UX-06: the search box, outside the form whose rendering is kept per values.
        typed = request.GET.get("q", "")[: search.MAX_LENGTH]
        # UX-07: *Moje sprawy*, the cases assigned to the signed-in mediator.
        mine = request.GET.get("mine") == "1"
        page = queue.queue_page(
            request.GET.get("page") or 1,
            QUEUE_PAGE_SIZE,
            reasons=[data["reason"]] if data.get("reason") else None,
            market=data.get("market") or None,
            state=data.get("state") or None,
            search=search.Search.parse(typed),
            assignee=request.user.pk if mine else None,
        )
        items = queue.load_items(list(page.object_list))
        now = timezone.now()
        for item in items:
            item.waiting = now - item.waiting_from if item.waiting_from else None
        query = request.GET.copy()
        query.pop("page", None)
        query = query.urlencode()
        # The rows as the template's loop over them wrote them.
        rows = "".join([f"\n      {row}\n    " for row in queue_table_rows(items, now, request.user.pk)])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Mediators' queue"),
            "form": form,
            "items": items,
            "page": page,
            "queue_content": queue_content(page, items, mine, typed, filters, rows, query),
        }
        # Its template shows nothing outside the frame's per-request blocks but static files.
        return FramedTemplateResponse(request, "admin/discussions/queue.html", context, frame_key="queue")
