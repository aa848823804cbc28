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
from orders.models import Order, SellerAccount

from . import services
from .models import (
    Discussion,
    MediationOutcome,
    Message,
    Notification,
    Proposal,
    Reason,
    Report,
    Role,
    SellerBlock,
    Solution,
    StatusChange,
)
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


class ProtectForm(forms.Form):
    amount = forms.DecimalField(label=_("Compensation amount"), max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


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


def decision_view(model_admin, request, obj, form_class, handler, title, success):
    """A mediator decision: a form with the reason, one service call, a message."""
    if not request.user.has_perm("discussions.mediate_discussion"):
        raise PermissionDenied
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            handler(obj, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            model_admin.message_user(request, success, messages.SUCCESS)
            return redirect(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", obj.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "object": obj,
        "form": form,
        "title": title,
        "opts": obj._meta,
    }
    return TemplateResponse(request, "admin/discussions/decision.html", context)


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
        return decision_view(
            self,
            request,
            self._get(request, pk),
            ProtectForm,
            lambda d, user, data: services.grant_allegro_protect(
                d, mediator=user, amount=data["amount"], reason=data["reason"]
            ),
            _("Grant Allegro Protect compensation"),
            _("Compensation granted; the Discussion is resolved."),
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
    list_filter = ["status", "category", "message__discussion__market"]
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
    list_filter = ["kind", "email_status"]
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


@admin.register(SellerBlock)
class SellerBlockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """MED-09: blocks of seller accounts; created and lifted only through these screens."""

    list_display = ["seller_account", "blocked_at", "blocked_by", "rule", "lifted_at"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
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
