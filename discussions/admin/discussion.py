"""The Discussion admin: the list (a fast changelist with the mediators' queue filter) and
the case view (MED-02), one timeline and both parties' history rendered from values
computed once (issue 13). Its queue page and the mediator's buttons are views of
mediators_queue and mediation; everything is read-only."""

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.templatetags.admin_modify import submit_row
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template.defaultfilters import truncatewords
from django.urls import get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    FastChangeListMixin,
    FramedTemplateResponse,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_fragment,
    admin_templates,
    cached_html,
    fill_holes,
    hole,
    market_filter,
    readonly_fieldsets_html,
    readonly_inlines_html,
    template_with_holes,
    url_for,
    watch_table,
)
from core.errors import DomainError

from .. import casefile, history, search, services
from ..models import Discussion, Proposal
from .mediation import AssignmentViewMixin, MediationViewsMixin
from .mediators_queue import QueueViewMixin


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


# What admin/submit_line.html shows, as admin_modify.submit_row computes it.
SUBMIT_ROW_FLAGS = (
    "can_change",
    "show_delete_link",
    "show_save_as_new",
    "show_save_and_add_another",
    "show_save_and_continue",
    "show_save",
    "show_close",
)


def waiting_since_text(waiting_from, zone=None):
    """The Discussion list's "waiting since" column, in `zone` (the active one)."""
    if waiting_from is None:
        return "—"
    return timezone.localtime(waiting_from, zone).strftime("%Y-%m-%d %H:%M")


@admin.register(Discussion)
class DiscussionAdmin(
    QueueViewMixin, AssignmentViewMixin, MediationViewsMixin, FastChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    # Its change_list.html changes only blocks inside the content (core.admin.frame).
    changelist_framed = True
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
    # Each row's cells depend only on its values (changelist_values), the language and the
    # time zone: a row is rendered once and reused while they stay the same (issue 13).
    changelist_rows_pure = True
    # The unfiltered list's count and dates, kept until a Discussion is created or deleted.
    changelist_table_version = watch_table(Discussion)
    # get_queryset() builds the same query for every request: the unfiltered list's SQL is
    # compiled once per order and page.
    changelist_queryset_fixed = True
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

    def case_file(self, request, discussion, proposals=None, rows=None):
        """What the case view adds to a change form: title, timeline, both parties'
        history and the mediator's buttons (`rows`: casefile.case_rows, when read)."""
        changelist = reverse("admin:discussions_discussion_changelist")
        timeline = casefile.timeline(discussion, proposals=proposals, rows=rows)
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
                # UX-07: who has the case, and the page to assign it or hand it back.
                if discussion.assignee_id == request.user.pk:
                    tools.append(("discussions_discussion_assign", _("Assigned to you")))
                elif discussion.assignee_id:
                    tools.append(("discussions_discussion_assign", _("Assigned to another mediator")))
                else:
                    tools.append(("discussions_discussion_assign", _("Assign")))
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
        # The timeline's and the inline's rows, in one round trip.
        rows = casefile.case_rows(discussion)
        for inline in self.get_inline_instances(request, discussion):
            if inline.model is Proposal:
                objects = proposals = casefile.proposals(discussion, rows)
            else:
                objects = list(inline.get_queryset(request).filter(discussion=discussion))
            inlines.append((inline, objects))
        preserved_filters = self.get_preserved_filters(request)
        history_url = url_for("admin:discussions_discussion_history", quote(discussion.pk))
        context = {
            **self.admin_site.each_context(request),
            **self.case_file(request, discussion, proposals, rows),
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
        context.update(self.case_frame(discussion, context))
        request.current_app = self.admin_site.name
        return FramedTemplateResponse(
            request,
            "admin/discussions/discussion/case.html",
            context,
            frame_key=("case", type(self), str(context["media"])),
        )

    def case_frame(self, discussion, context):
        """The case view's breadcrumbs and buttons row as admin/change_form.html writes them
        (case.html shows these instead), each rendered once per language and what it
        shows (issue 13): the Discussion's name fills the breadcrumbs' hole."""
        breadcrumbs = template_with_holes(
            "admin/desk/change_form_breadcrumbs.html",
            ("case_breadcrumbs", type(self), context["has_view_permission"], get_script_prefix()),
            {
                "opts": self.opts,
                "has_view_permission": context["has_view_permission"],
                "add": False,
                "original": hole(0),
            },
        )
        row = submit_row(context)
        flags = tuple((name, row[name]) for name in SUBMIT_ROW_FLAGS)
        key = (
            "case_submit_row",
            type(self),
            context["preserved_filters"],
            flags,
            discussion.pk if row["show_delete_link"] else None,
            get_script_prefix(),
        )
        return {
            "case_breadcrumbs": fill_holes(breadcrumbs, [conditional_escape(truncatewords(str(discussion), 18))]),
            "case_submit_row": admin_fragment(admin_templates(self.opts, "submit_line.html"), key, row.flatten()),
        }

    def get_search_results(self, request, queryset, search_term):
        """UX-06: the list's search box takes a Discussion's number as shown
        ("D0000039"), a bare number (the Discussion or the order), a login's start or a
        product (discussions.search), as the queue's does."""
        found = search.Search.parse(search_term)
        if found is None:
            return queryset, False
        return queryset.filter(search.q(found)), False

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
            path(
                "<int:pk>/assign/", self.admin_site.admin_view(self.assign_view), name="discussions_discussion_assign"
            ),
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
