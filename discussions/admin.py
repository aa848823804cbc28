"""Discussions in the mediators' desk. Everything is read-only; mediators act only
through actions and buttons that call the same services as the pages."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import avoid_wrapping, format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    HTML_ESCAPES,
    FastChangeListMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_fragment,
    cached_html,
    decision_view,
    escape_text,
    market_filter,
    readonly_fieldsets_html,
    readonly_inlines_html,
    url_for,
)
from core.errors import DomainError
from core.money import money
from core.prepared import PreparedQuery
from orders.models import Market, Order, SellerAccount

from . import casefile, history, queue, services
from .models import (
    Discussion,
    FlaggedSellerAccount,
    MediationOutcome,
    Notification,
    Proposal,
    Reason,
    Report,
    Role,
    SellerBlock,
    Solution,
)


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ["created_at", "solution", "amount", "percent", "requires_return", "status", "decided_at"]
    readonly_fields = fields


class QueueFilter(admin.SimpleListFilter):
    """MED-01: what needs a mediator."""

    title = _("mediators' queue")
    parameter_name = "queue"
    # Its choices depend on nothing but the query and the language (changelist_fragments).
    fixed_lookups = True

    def lookups(self, request, model_admin):
        return [
            ("needs_mediator", _("Needs a mediator")),
            ("help", _("Buyer asked for help")),
            ("unresolved", _("Marked unresolved")),
            ("ignored", _("Seller ignored Allegro")),
            ("overdue", _("Seller overdue")),
        ]

    def queryset(self, request, queryset):
        open_ = Q(is_open=True)
        waiting = Q(mediator_joined_at__isnull=True)
        conditions = {
            "help": open_ & waiting & Q(help_requested_at__isnull=False),
            "unresolved": open_ & waiting & Q(status=Discussion.Status.UNRESOLVED),
            "ignored": open_ & Q(seller_ignored_mediator_at__isnull=False),
            "overdue": open_ & Q(seller_overdue_at__isnull=False, seller_replied_at__isnull=True),
        }
        conditions["needs_mediator"] = conditions["help"] | conditions["unresolved"] | conditions["ignored"]
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


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
        key = (
            self.is_bound,
            tuple([self.data.get(name) for name in self.fields]),
            tuple([tuple(row) for row in _MARKET_CHOICES.rows()]),
        )
        return admin_fragment("admin/discussions/queue_filters.html", key, {"form": self})


# The markets the filter offers (the market field's queryset, in its order).
_MARKET_CHOICES = PreparedQuery(lambda: Market.objects.values_list("code", "domain"))


def waiting_since_text(waiting_from, zone=None):
    """The Discussion list's "waiting since" column, in `zone` (the active one)."""
    if waiting_from is None:
        return "—"
    return timezone.localtime(waiting_from, zone).strftime("%Y-%m-%d %H:%M")


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


def queue_table_rows(items, now):
    """The queue's table rows (templates/admin/discussions/queue.html), each computed
    once as one string of HTML (issue 13): times in the active zone, labels translated
    once per page, every value escaped."""
    zone = timezone.get_current_timezone()
    states = {queue.State.WAITING: gettext("Waiting for a mediator").translate(HTML_ESCAPES)}
    joined = gettext("Mediator joined").translate(HTML_ESCAPES)
    passed = gettext("passed").translate(HTML_ESCAPES)
    waited = waited_texts()
    labels = {}
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
        case = f'<a href="{item.url.translate(HTML_ESCAPES)}">{item.title.translate(HTML_ESCAPES)}</a>'
        if item.detail:
            case += f'<br><span class="help">{item.detail.translate(HTML_ESCAPES)}</span>'
        if item.deadline:
            due = item.deadline.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            deadline = (
                f'<span class="errornote-inline">{due} ({passed})</span>' if item.overdue else f"<span>{due}</span>"
            )
        else:
            deadline = "—"
        label = labels.get(item.reason)
        if label is None:
            label = labels[item.reason] = (
                escape_text(item.reason),
                escape_text(item.reason_label),
            )
        rows.append(
            f'<tr class="queue-{label[0]}">'
            f"<td>{waiting}</td>"
            f"<td>{label[1]}</td>"
            f"<td>{case}</td>"
            f"<td>{escape_text(item.market)}</td>"
            f"<td>{states.get(item.state, joined)}</td>"
            f"<td>{deadline}</td>"
            f"<td>{escape_text(item.mediator or '—')}</td>"
            "</tr>"
        )
    return rows


class ProtectForm(forms.Form):
    amount = forms.DecimalField(label=_("Compensation amount"), max_digits=12, decimal_places=2, localize=True)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, discussion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("At most the order value, %(max)s. Allegro pays it, not the seller.") % {
            "max": money(discussion.order.total_amount, discussion.market.currency)
        }


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(v, label) for v, label in MediationOutcome.choices if v != MediationOutcome.ALLEGRO_PROTECT],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("The buyer's request and why it is justified"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ReportDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (services.ReportDecision.DISMISS, _("Dismiss the report")),
            (services.ReportDecision.HIDE, _("Hide the message")),
        ],
        widget=forms.RadioSelect,
    )
    sanction = forms.ChoiceField(
        label=_("Author's account"),
        required=False,
        choices=[
            (services.Sanction.NONE, _("No sanction")),
            (services.Sanction.WARN, _("Warn the author")),
            (services.Sanction.BLOCK, _("Block the author's account")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OpenOnBehalfForm(forms.Form):
    line = forms.TypedChoiceField(label=_("Product"), coerce=int)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    expected_solution = forms.ChoiceField(
        label=_("Expected solution"), choices=[("", "—"), *Solution.choices], required=False
    )
    note = forms.CharField(label=_("What the buyer reported to Allegro"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, str(line)) for line in order.lines.all()]


class MediatorMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message as Allegro"), widget=forms.Textarea(attrs={"rows": 4}), max_length=services.MAX_MESSAGE_LENGTH
    )


@admin.register(Discussion)
class DiscussionAdmin(FastChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "market",
        "reason",
        "status",
        "is_open",
        "seller_account",
        "buyer",
        "waiting_since",
        "reply_due_at",
        "mediator",
    ]
    list_filter = [QueueFilter, market_filter("market"), "reason", "status", "is_open", "service"]
    list_select_related = ["market", "seller_account__user", "buyer", "mediator"]
    search_fields = ["=id", "buyer__username", "seller_account__user__username", "line__title", "=order__id"]
    date_hierarchy = "created_at"
    inlines = [ProposalInline]
    actions = ["join_selected"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("order", "line"),
                    ("buyer", "seller_account", "market", "service"),
                    ("reason", "expected_solution", "expected_amount", "expected_percent"),
                    ("status", "is_open", "close_reason"),
                    ("created_at", "opened_at", "closed_at", "reopen_count", "opened_by_marketplace"),
                ]
            },
        ),
        (
            _("Seller's reply"),
            {
                "fields": [
                    ("reply_due_at", "seller_replied_at", "first_reply_seconds"),
                    ("reply_warning_at", "deadline_warning_sent_at", "seller_overdue_at"),
                    ("help_requested_at", "unresolved_at"),
                ]
            },
        ),
        (
            _("Mediation"),
            {
                "fields": [
                    ("mediator", "mediator_joined_at", "mediator_first_message_at"),
                    ("mediator_reply_due_at", "seller_replied_to_mediator_at", "seller_ignored_mediator_at"),
                    ("mediation_concluded_at", "mediation_outcome"),
                ]
            },
        ),
        (
            _("Automatic closing"),
            {
                "classes": ["collapse"],
                "fields": [
                    ("auto_resolve_at", "delivery_close_at"),
                    ("reminder_7d_sent_at", "reminder_1d_sent_at"),
                    ("last_message_status", "last_message_at"),
                ],
            },
        ),
    ]
    change_form_template = "admin/discussions/discussion/change_form.html"
    view_on_site = False  # the buyer's and seller's pages are theirs only (SEC-01)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(waiting_from=Coalesce("help_requested_at", "unresolved_at", "seller_ignored_mediator_at"))
        )

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(
            "market", "buyer", "seller_account__user", "mediator", "order", "line"
        )
        try:
            return queryset.get(pk=object_id)
        except (Discussion.DoesNotExist, ValueError):
            return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """MED-02: the case view — one timeline and both parties' history. A plain GET is
        rendered from values computed once (`case_view`, issue 13); anything else (a POST,
        which a mediator may not make, a pop-up) goes through Django's change form with
        the same case file."""
        if request.method == "GET" and IS_POPUP_VAR not in request.GET and TO_FIELD_VAR not in request.GET:
            try:
                discussion = casefile.case_discussion(object_id)
            except (TypeError, ValueError):
                discussion = None
            if discussion is not None and self.has_view_or_change_permission(request, discussion):
                return self.case_view(request, discussion)
        return self.change_form_view(request, object_id, form_url, extra_context)

    def change_form_view(self, request, object_id, form_url="", extra_context=None):
        """Django's own change form of a Discussion, with the case file above the fields."""
        discussion = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **(self.case_file(request, discussion) if discussion else {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def case_file(self, request, discussion, proposals=None):
        """What the case view adds to a change form: title, timeline, both parties'
        history and the mediator's buttons."""
        changelist = reverse("admin:discussions_discussion_changelist")
        timeline = casefile.timeline(discussion, proposals=proposals)
        return {
            "title": _("Case of Discussion %(number)s") % {"number": discussion.number},
            "timeline": timeline,
            "timeline_html": mark_safe(casefile.timeline_html(timeline)),
            "history": history.party_history(discussion),
            "buyer_history_url": f"{changelist}?buyer__id__exact={discussion.buyer_id}",
            "seller_history_url": f"{changelist}?seller_account__id__exact={discussion.seller_account_id}",
            "case_tools": self.case_tools(request, discussion),
        }

    def case_tools(self, request, discussion):
        """The mediator's buttons above the case, each shown only when its service allows it."""
        tools = []
        if request.user.has_perm("discussions.mediate_discussion"):
            pk = discussion.pk
            if discussion.is_open and not discussion.mediator_active:
                tools.append(("discussions_discussion_join", _("Join as Allegro")))
            if discussion.mediator_active and discussion.is_open:
                tools.append(("discussions_discussion_post", _("Post as Allegro")))
                tools.append(("discussions_discussion_conclude", _("Conclude the mediation")))
            if discussion.is_open:
                tools.append(("discussions_discussion_protect", _("Allegro Protect")))
            else:
                tools.append(("discussions_discussion_reopen", _("Reopen at the buyer's request")))
            tools = [{"url": url_for(f"admin:{name}", pk), "label": label} for name, label in tools]
        tools.append({"url": url_for("admin:orders_order_change", discussion.order_id), "label": _("Order")})
        return tools

    def case_view(self, request, discussion):
        """The change page of a Discussion as Django's read-only change form shows it
        (same fieldsets, inline, buttons and links), rendered from plain values."""
        inlines = []
        proposals = None
        for inline in self.get_inline_instances(request, discussion):
            if inline.model is Proposal:
                objects = proposals = casefile.proposals(discussion)
            else:
                objects = list(inline.get_queryset(request).filter(discussion=discussion))
            inlines.append((inline, objects))
        preserved_filters = self.get_preserved_filters(request)
        history_url = url_for("admin:discussions_discussion_history", quote(discussion.pk))
        context = {
            **self.admin_site.each_context(request),
            **self.case_file(request, discussion, proposals),
            "subtitle": str(discussion),
            "object_id": str(discussion.pk),
            "original": discussion,
            "is_popup": False,
            "to_field": None,
            "media": cached_html(
                ("case_media", type(self), tuple(type(inline) for inline, _objects in inlines)),
                lambda: str(sum((inline.media for inline, _objects in inlines), self.media)),
            ),
            "errors": None,
            "preserved_filters": preserved_filters,
            "add": False,
            "change": True,
            "has_view_permission": True,
            "has_add_permission": self.has_add_permission(request),
            "has_change_permission": self.has_change_permission(request, discussion),
            "has_delete_permission": self.has_delete_permission(request, discussion),
            "has_editable_inline_admin_formsets": False,
            "has_file_field": False,
            "has_absolute_url": False,
            "form_url": "",
            "opts": self.opts,
            "save_as": self.save_as,
            "save_on_top": self.save_on_top,
            "to_field_var": TO_FIELD_VAR,
            "is_popup_var": IS_POPUP_VAR,
            "app_label": self.opts.app_label,
            "case_fieldsets": readonly_fieldsets_html(
                self, request, discussion, "admin/discussions/discussion/case_fieldsets.html"
            ),
            "case_inlines": readonly_inlines_html(
                inlines, discussion, "admin/discussions/discussion/case_inlines.html"
            ),
            "history_url": add_preserved_filters(
                {"preserved_filters": preserved_filters, "opts": self.opts}, history_url
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/discussions/discussion/case.html", context)

    def lookup_allowed(self, lookup, value, request=None):
        # The case view links to both parties' other Discussions.
        if lookup in {"buyer__id__exact", "seller_account__id__exact", "seller_ignored_mediator_at__isnull"}:
            return True
        return super().lookup_allowed(lookup, value, request)

    def get_ordering(self, request):
        # The queue is ordered by waiting time, longest first (MED-01).
        if request.GET.get("queue"):
            return [F("waiting_from").asc(nulls_last=True), "created_at"]
        return ["-created_at"]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.number

    @admin.display(description=_("waiting since"), ordering="waiting_from")
    def waiting_since(self, obj):
        return waiting_since_text(obj.waiting_from)

    def changelist_values(self):
        """What the Discussion list shows of its related objects and computed columns,
        from the columns they are computed from (core.admin.changelist_rows reads the
        page as plain values; the tests compare its rows with Django's)."""
        title = gettext("Discussion %(number)s")
        return {
            # str(Discussion), Discussion.number, str(Market), str(SellerAccount), str(User)
            "__str__": (("pk",), lambda pk: title % {"number": f"D{pk:07d}"}),
            "number": (("pk",), lambda pk: f"D{pk:07d}"),
            "market": (("market__domain",), None),
            "seller_account": (
                ("seller_account__display_name", "seller_account__user__username"),
                lambda name, username: f"{name} ({username})",
            ),
            "buyer": (("buyer__username",), None),
            "mediator": (("mediator__username",), None),
            "waiting_since": (("waiting_from",), partial(waiting_since_text, zone=timezone.get_current_timezone())),
        }

    @admin.action(description=_("Join the selected Discussions as Allegro"))
    def join_selected(self, request, queryset):
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        joined = 0
        for discussion in queryset.select_related("market", "buyer", "seller_account__user"):
            try:
                services.join_discussion(discussion, mediator=request.user)
                joined += 1
            except DomainError as error:
                self.message_user(request, f"{discussion.number}: {error.message}", messages.WARNING)
        self.message_user(
            request,
            ngettext("Joined %(count)s Discussion.", "Joined %(count)s Discussions.", joined) % {"count": joined},
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path("queue/", self.admin_site.admin_view(self.queue_view), name="discussions_queue"),
            path("<int:pk>/join/", self.admin_site.admin_view(self.join_view), name="discussions_discussion_join"),
            path("<int:pk>/post/", self.admin_site.admin_view(self.post_view), name="discussions_discussion_post"),
            path(
                "open-for-order/<int:order_pk>/",
                self.admin_site.admin_view(self.open_for_order_view),
                name="discussions_discussion_open_for_order",
            ),
            path(
                "<int:pk>/protect/",
                self.admin_site.admin_view(self.protect_view),
                name="discussions_discussion_protect",
            ),
            path(
                "<int:pk>/conclude/",
                self.admin_site.admin_view(self.conclude_view),
                name="discussions_discussion_conclude",
            ),
            path(
                "<int:pk>/reopen/", self.admin_site.admin_view(self.reopen_view), name="discussions_discussion_reopen"
            ),
            *super().get_urls(),
        ]

    def queue_view(self, request):
        """MED-01: everything waiting for a mediator, oldest first, in one list."""
        if not request.user.has_perm("discussions.view_discussion"):
            raise PermissionDenied
        form = QueueFilterForm(request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        page = queue.queue_page(
            request.GET.get("page") or 1,
            QUEUE_PAGE_SIZE,
            reasons=[data["reason"]] if data.get("reason") else None,
            market=data.get("market") or None,
            state=data.get("state") or None,
        )
        items = queue.load_items(list(page.object_list))
        now = timezone.now()
        for item in items:
            item.waiting = now - item.waiting_from if item.waiting_from else None
            item.overdue = bool(item.deadline and item.deadline < now)
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Mediators' queue"),
            "form": form,
            "filters": form.rendered_fields(),
            "items": items,
            # The rows as the template's loop over them wrote them.
            "rows": mark_safe("".join([f"\n      {row}\n    " for row in queue_table_rows(items, now)])),
            "page": page,
            "query": query.urlencode(),
            "threshold": settings.SELLER_UNRESOLVED_THRESHOLD,
        }
        return TemplateResponse(request, "admin/discussions/queue.html", context)

    def _get(self, request, pk):
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        return get_object_or_404(
            Discussion.objects.select_related("market", "buyer", "seller_account__user", "order"), pk=pk
        )

    def join_view(self, request, pk):
        discussion = self._get(request, pk)
        if request.method == "POST":
            try:
                services.join_discussion(discussion, mediator=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("You joined the Discussion as Allegro."), messages.SUCCESS)
            return redirect("admin:discussions_discussion_change", pk)
        return TemplateResponse(
            request,
            "admin/discussions/discussion/confirm.html",
            {
                **self.admin_site.each_context(request),
                "discussion": discussion,
                "opts": self.model._meta,
                "title": _("Join Discussion %(number)s?") % {"number": discussion.number},
            },
        )

    def open_for_order_view(self, request, order_pk):
        """MED-03: open a Discussion on the buyer's behalf from their order."""
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("market", "buyer"), pk=order_pk)
        form = OpenOnBehalfForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                data = form.cleaned_data
                discussion = services.open_on_buyers_behalf(
                    order,
                    mediator=request.user,
                    line_id=data["line"],
                    reason=data["reason"],
                    expected_solution=data["expected_solution"],
                    note=data["note"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(request, _("Discussion opened on the buyer's behalf."), messages.SUCCESS)
                return redirect("admin:discussions_discussion_change", discussion.pk)
        context = {
            **self.admin_site.each_context(request),
            "object": order,
            "form": form,
            "title": _("Open a Discussion on the buyer's behalf"),
            "opts": order._meta,
        }
        return TemplateResponse(request, "admin/discussions/decision.html", context)

    def protect_view(self, request, pk):
        discussion = self._get(request, pk)
        return decision_view(
            self,
            request,
            discussion,
            ProtectForm,
            lambda d, user, data: services.grant_allegro_protect(
                d, mediator=user, amount=data["amount"], reason=data["reason"]
            ),
            _("Grant Allegro Protect compensation"),
            _("Compensation granted; the Discussion is resolved."),
            form_kwargs={"discussion": discussion},
        )

    def conclude_view(self, request, pk):
        return decision_view(
            self,
            request,
            self._get(request, pk),
            ConcludeForm,
            lambda d, user, data: services.conclude_mediation(
                d, mediator=user, outcome=data["outcome"], reason=data["reason"]
            ),
            _("Conclude the mediation"),
            _("Mediation concluded."),
        )

    def reopen_view(self, request, pk):
        return decision_view(
            self,
            request,
            self._get(request, pk),
            ReopenForm,
            lambda d, user, data: services.reopen_at_buyers_request(d, mediator=user, reason=data["reason"]),
            _("Reopen at the buyer's request"),
            _("The Discussion is open again."),
        )

    def post_view(self, request, pk):
        discussion = self._get(request, pk)
        form = MediatorMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.post_message(
                    discussion, author=request.user, role=Role.MEDIATOR, text=form.cleaned_data["text"]
                )
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, _("Message posted as Allegro."), messages.SUCCESS)
                return redirect("admin:discussions_discussion_change", pk)
        return TemplateResponse(
            request,
            "admin/discussions/discussion/post.html",
            {
                **self.admin_site.each_context(request),
                "discussion": discussion,
                "form": form,
                "opts": self.model._meta,
                "title": _("Post in Discussion %(number)s as Allegro") % {"number": discussion.number},
            },
        )


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """RPT-02/03: the moderation queue, with the reported message in context."""

    list_display = ["created_at", "category", "status", "reporter", "reported_text", "discussion_link"]
    list_filter = [market_filter("message__discussion__market"), "status", "category"]
    list_select_related = ["reporter", "message__discussion"]
    change_form_template = "admin/discussions/report/change_form.html"

    @admin.display(description=_("reported message"))
    def reported_text(self, obj):
        return obj.message.text[:120]

    @admin.display(description=_("Discussion"))
    def discussion_link(self, obj):
        discussion = obj.message.discussion
        return format_html(
            '<a href="{}#m{}">{}</a>',
            reverse("admin:discussions_discussion_change", args=[discussion.pk]),
            obj.message_id,
            discussion.number,
        )

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="discussions_report_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk):
        report = get_object_or_404(Report.objects.select_related("message__author", "message__discussion"), pk=pk)
        return decision_view(
            self,
            request,
            report,
            ReportDecisionForm,
            lambda r, user, data: services.decide_report(
                r, mediator=user, decision=data["decision"], sanction=data["sanction"], reason=data["reason"]
            ),
            _("Decide the report"),
            _("Report decided."),
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "discussion", "email_status", "read_at"]
    list_filter = [market_filter("discussion__market"), "kind", "email_status"]
    list_select_related = ["recipient", "discussion"]


class BlockForm(forms.Form):
    rule = forms.CharField(label=_("Rule applied"), max_length=200)
    statement = forms.CharField(
        label=_("Statement of reasons shown to the seller (facts)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    discussions = forms.ModelMultipleChoiceField(
        label=_("Discussions to explain"),
        queryset=Discussion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discussions"].queryset = Discussion.objects.filter(seller_account=account, is_open=True)


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("Why the block is lifted"), widget=forms.Textarea(attrs={"rows": 3}))


class OpenComplaintFilter(admin.SimpleListFilter):
    """MED-09: complaints against blocks waiting for a decision (EU DSA art. 20)."""

    title = _("complaint")
    parameter_name = "complaint"

    def lookups(self, request, model_admin):
        return [("open", _("Waiting for a decision")), ("decided", _("Decided")), ("none", _("No complaint"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(complaint_filed_at__isnull=False, complaint_decided_at__isnull=True)
        if self.value() == "decided":
            return queryset.filter(complaint_decided_at__isnull=False)
        if self.value() == "none":
            return queryset.filter(complaint_filed_at__isnull=True)
        return queryset


class ComplaintDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision on the complaint"), choices=SellerBlock.ComplaintDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason (shown to the seller)"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, block, **kwargs):
        super().__init__(*args, **kwargs)
        # The seller's own words, escaped: Django's form templates do not escape help_text.
        self.fields["decision"].help_text = format_html(
            "{}<br>{}", _("The seller's complaint:"), linebreaksbr(block.complaint_text, autoescape=True)
        )


@admin.register(SellerBlock)
class SellerBlockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """MED-09: blocks of seller accounts; created and lifted only through these screens."""

    list_display = [
        "seller_account",
        "blocked_at",
        "blocked_by",
        "rule",
        "lifted_at",
        "complaint_filed_at",
        "complaint_decision",
    ]
    list_filter = [
        market_filter("seller_account__market"),
        ("lifted_at", admin.EmptyFieldListFilter),
        OpenComplaintFilter,
    ]
    list_select_related = ["seller_account__user", "blocked_by"]
    change_form_template = "admin/discussions/sellerblock/change_form.html"

    def get_urls(self):
        return [
            path(
                "block/<int:account_pk>/",
                self.admin_site.admin_view(self.block_view),
                name="discussions_sellerblock_block",
            ),
            path("<int:pk>/lift/", self.admin_site.admin_view(self.lift_view), name="discussions_sellerblock_lift"),
            path(
                "<int:pk>/complaint/",
                self.admin_site.admin_view(self.decide_complaint),
                name="discussions_sellerblock_complaint",
            ),
            *super().get_urls(),
        ]

    def block_view(self, request, account_pk):
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        account = get_object_or_404(SellerAccount, pk=account_pk)
        form = BlockForm(request.POST or None, account=account)
        if request.method == "POST" and form.is_valid():
            try:
                block = services.block_seller_account(account, mediator=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(request, _("The seller account is blocked."), messages.SUCCESS)
                return redirect("admin:discussions_sellerblock_change", block.pk)
        context = {
            **self.admin_site.each_context(request),
            "object": account,
            "form": form,
            "title": _("Block a seller account"),
            "opts": account._meta,
        }
        return TemplateResponse(request, "admin/discussions/decision.html", context)

    def lift_view(self, request, pk):
        block = get_object_or_404(SellerBlock.objects.select_related("seller_account"), pk=pk)
        return decision_view(
            self,
            request,
            block,
            LiftForm,
            lambda b, user, data: services.lift_seller_block(b, mediator=user, reason=data["reason"]),
            _("Lift the block"),
            _("The block is lifted."),
        )

    def decide_complaint(self, request, pk):
        """MED-09 / EU DSA art. 20: a mediator other than the one who blocked decides."""
        block = get_object_or_404(SellerBlock.objects.select_related("seller_account__market"), pk=pk)
        return decision_view(
            self,
            request,
            block,
            partial(ComplaintDecisionForm, block=block),
            lambda b, user, data: services.decide_block_complaint(
                b, mediator=user, decision=data["decision"], reason=data["reason"]
            ),
            _("Decide the complaint against the block"),
            _("The complaint is decided."),
        )


class SellerFlagFilter(admin.SimpleListFilter):
    """MED-08/09: why a seller account needs a mediator's attention."""

    title = _("flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [
            ("flagged", _("Ignored Allegro or over the threshold")),
            ("ignored", _("Ignored Allegro (DSC-09)")),
            ("threshold", _("Over the unresolved threshold")),
            ("blocked", _("Blocked")),
        ]

    def queryset(self, request, queryset):
        threshold = settings.SELLER_UNRESOLVED_THRESHOLD
        conditions = {
            "ignored": Q(ignored_count__gt=0),
            "threshold": Q(unresolved_count__gte=threshold),
            "flagged": Q(ignored_count__gt=0) | Q(unresolved_count__gte=threshold),
            "blocked": Q(is_blocked=True),
        }
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


@admin.register(FlaggedSellerAccount)
class FlaggedSellerAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """MED-08: sellers who ignored a mediator; MED-09: accounts over the threshold. The
    counts are aggregates of one query; blocking happens on the block screen."""

    list_display = [
        "__str__",
        "market",
        "ignored_count_display",
        "unresolved_count_display",
        "last_ignored_display",
        "blocked_display",
    ]
    list_filter = [SellerFlagFilter, market_filter("market")]
    list_select_related = ["user", "market"]
    search_fields = ["display_name", "user__username"]
    change_form_template = "admin/orders/selleraccount/change_form.html"

    def get_queryset(self, request):
        ignored = Q(discussions__seller_ignored_mediator_at__isnull=False)
        # Not super(): it orders by get_ordering() before these annotations exist.
        return self.model._default_manager.get_queryset().annotate(
            ignored_count=Count("discussions", filter=ignored, distinct=True),
            last_ignored=Max("discussions__seller_ignored_mediator_at"),
            unresolved_count=Count(
                "discussions",
                filter=Q(discussions__is_open=True, discussions__status=Discussion.Status.UNRESOLVED),
                distinct=True,
            ),
            is_blocked=Exists(SellerBlock.objects.filter(seller_account=OuterRef("pk"), lifted_at__isnull=True)),
        )

    def get_ordering(self, request):
        return ["-ignored_count", "-unresolved_count", "display_name"]

    @admin.display(description=_("ignored Allegro"), ordering="ignored_count")
    def ignored_count_display(self, obj):
        if not obj.ignored_count:
            return 0
        url = reverse("admin:discussions_discussion_changelist")
        query = f"seller_account__id__exact={obj.pk}&seller_ignored_mediator_at__isnull=0"
        return format_html('<a href="{}?{}">{}</a>', url, query, obj.ignored_count)

    @admin.display(description=_("open unresolved"), ordering="unresolved_count")
    def unresolved_count_display(self, obj):
        if obj.unresolved_count >= settings.SELLER_UNRESOLVED_THRESHOLD:
            return format_html('<strong class="errornote-inline">{} ⚑</strong>', obj.unresolved_count)
        return obj.unresolved_count

    @admin.display(description=_("last ignored"), ordering="last_ignored")
    def last_ignored_display(self, obj):
        return timezone.localtime(obj.last_ignored).strftime("%d.%m.%Y %H:%M") if obj.last_ignored else "—"

    @admin.display(description=_("blocked"), boolean=True, ordering="is_blocked")
    def blocked_display(self, obj):
        return obj.is_blocked
