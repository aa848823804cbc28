"""Discussions in the mediators' desk. Everything is read-only; mediators act only
through actions and buttons that call the same services as the pages."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline
from core.errors import DomainError

from . import services
from .models import Discussion, Message, Notification, Proposal, Report, Role, StatusChange
from .texts import render_automatic


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "author_role", "author", "kind", "shown_text", "attachment_links", "hidden_at"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("author", "discussion__market").prefetch_related("attachments")
        )

    @admin.display(description=_("text"))
    def shown_text(self, obj):
        if obj.is_automatic:
            return render_automatic(obj.auto_code, obj.auto_params, obj.discussion.market)
        return obj.text

    @admin.display(description=_("attachments"))
    def attachment_links(self, obj):
        return format_html(
            "<br>".join(
                format_html(
                    '<a href="{}" target="_blank" rel="noopener">{}</a>',
                    reverse("discussions:attachment", args=[a.pk]),
                    a.original_name,
                )
                for a in obj.attachments.all()
            )
        )


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["at", "actor_role", "actor", "from_status", "to_status", "from_open", "to_open", "close_reason", "note"]
    readonly_fields = fields


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ["created_at", "solution", "amount", "percent", "requires_return", "status", "decided_at"]
    readonly_fields = fields


class QueueFilter(admin.SimpleListFilter):
    """MED-01: what needs a mediator."""

    title = _("mediators' queue")
    parameter_name = "queue"

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


class MediatorMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message as Allegro"), widget=forms.Textarea(attrs={"rows": 4}), max_length=services.MAX_MESSAGE_LENGTH
    )


@admin.register(Discussion)
class DiscussionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
    list_filter = [QueueFilter, "market", "reason", "status", "is_open", "service"]
    list_select_related = ["market", "seller_account__user", "buyer", "mediator"]
    search_fields = ["=id", "buyer__username", "seller_account__user__username", "line__title", "=order__id"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, ProposalInline, StatusChangeInline]
    actions = ["join_selected"]
    change_form_template = "admin/discussions/discussion/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(waiting_from=Coalesce("help_requested_at", "unresolved_at", "seller_ignored_mediator_at"))
        )

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
        if obj.waiting_from is None:
            return "—"
        return timezone.localtime(obj.waiting_from).strftime("%Y-%m-%d %H:%M")

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
            path("<int:pk>/join/", self.admin_site.admin_view(self.join_view), name="discussions_discussion_join"),
            path("<int:pk>/post/", self.admin_site.admin_view(self.post_view), name="discussions_discussion_post"),
            *super().get_urls(),
        ]

    def _get(self, request, pk):
        if not request.user.has_perm("discussions.mediate_discussion"):
            raise PermissionDenied
        return get_object_or_404(Discussion.objects.select_related("market", "buyer", "seller_account__user"), pk=pk)

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
    list_display = ["created_at", "category", "status", "reporter", "message"]
    list_filter = ["status", "category"]
    list_select_related = ["reporter", "message"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "discussion", "email_status", "read_at"]
    list_filter = ["kind", "email_status"]
    list_select_related = ["recipient", "discussion"]
