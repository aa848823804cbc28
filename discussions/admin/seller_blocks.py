"""Seller accounts in the desk (MED-08/09): blocks with their complaints (EU DSA art. 20),
and the accounts that ignored Allegro or are over the unresolved threshold."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, decision_view, market_filter
from core.errors import DomainError
from core.once import Submission, already_done
from orders.models import SellerAccount

from .. import services
from ..models import Discussion, FlaggedSellerAccount, SellerBlock


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
        once = Submission.of(request) if request.method == "POST" else None
        if request.method == "POST" and form.is_valid():
            try:
                block = services.block_seller_account(account, mediator=request.user, once=once, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(request, _("The seller account is blocked."), messages.SUCCESS)
                return redirect("admin:discussions_sellerblock_change", block.pk)
        if first := already_done(request, once):
            return redirect("admin:discussions_sellerblock_change", first.result_id)
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
            lambda b, user, data: services.lift_seller_block(
                b, mediator=user, reason=data["reason"], once=data["once"]
            ),
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
                b, mediator=user, decision=data["decision"], reason=data["reason"], once=data["once"]
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
            ("ignored", _("Ignored Allegro's messages")),
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
