"""Orders in the mediators' desk: read-mostly lists with filters and search. History rows
(events, payments, refunds) are read-only inlines; the only transitions are actions that
call the services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import CharField, Count, Exists, OuterRef, Q, URLField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import MarketFilter, ReadOnlyAdminMixin, ReadOnlyInline, decision_view, market_filter
from core.admin.readonly import json_text
from core.errors import DomainError
from core.money import money

from . import audit, commission, contact, tracking
from .models import (
    AuditRecord,
    CommissionRefund,
    CommissionRefundLine,
    LinkedAccountGroup,
    Market,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    RatingRemovalRequest,
    Refund,
    SellerAccount,
    Shipment,
    SimulatedParcel,
)


class LinkedGroupMarketFilter(MarketFilter):
    """Groups with an account on the market."""

    def market_condition(self, code):
        return Exists(SellerAccount.objects.filter(linked_group=OuterRef("pk"), market_id=code))


class SimulatedParcelMarketFilter(MarketFilter):
    """Parcels of the market's orders (the simulated carrier keys them by number)."""

    def market_condition(self, code):
        return Exists(
            Shipment.objects.filter(
                carrier=OuterRef("carrier"), tracking_number=OuterRef("tracking_number"), order__market_id=code
            )
        )


class AuditMarketFilter(MarketFilter):
    """Records about an object of the market: a Discussion, a report, an application, a
    seller account, a block, an inactive-buyer entry or a shipment (the models
    audit.record is called with)."""

    @staticmethod
    def audited_paths():
        from django.apps import apps

        return [
            (apps.get_model("discussions", "Discussion"), "market"),
            (apps.get_model("discussions", "Report"), "message__discussion__market"),
            (apps.get_model("discussions", "SellerBlock"), "seller_account__market"),
            (apps.get_model("buyers", "InactiveBuyer"), "seller_account__market"),
            (CommissionRefund, "order__market"),
            (SellerAccount, "market"),
            (Shipment, "order__market"),
        ]

    def market_condition(self, code):
        from django.contrib.contenttypes.models import ContentType

        condition = Q(pk__in=[])
        for model, lookup in self.audited_paths():
            ids = model.objects.filter(**{lookup: code}).annotate(key=Cast("pk", CharField())).values("key")
            condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
        return condition


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["offer", "title", "unit_price", "quantity", "commission_per_unit"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["occurred_at", "kind", "actor", "data"]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["paid_at", "amount", "method", "recorded_by"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "amount", "is_full", "created_by"]
    readonly_fields = fields


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["carrier", "tracking_number", "tracking_entered_at", "handed_over_at", "delivered_at"]
    readonly_fields = fields


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["code", "domain", "currency", "time_zone", "holiday_country", "language", "site_url"]
    # A site address typed without a scheme is read as https (Django 6's default).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def has_delete_permission(self, request, obj=None):
        return False


class SellerAccountInline(admin.TabularInline):
    model = SellerAccount
    fields = ["display_name", "user", "market"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LinkedAccountGroup)
class LinkedAccountGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "account_count", "created_at"]
    list_filter = [LinkedGroupMarketFilter]
    search_fields = ["name", "accounts__user__username"]
    inlines = [SellerAccountInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="account_count")
    def account_count(self, obj):
        return obj.account_count


@admin.register(SellerAccount)
class SellerAccountAdmin(admin.ModelAdmin):
    list_display = ["display_name", "login", "market", "linked_group", "created_at"]
    list_filter = [market_filter("market")]
    list_select_related = ["user", "market", "linked_group"]
    search_fields = ["display_name", "user__username", "user__email"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("login"), ordering="user__username")
    def login(self, obj):
        return obj.user.username


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["title", "seller_account", "market", "price", "stock", "format", "is_active", "created_at"]
    list_filter = [market_filter("market"), "format", "is_active"]
    list_select_related = ["seller_account__user", "market"]
    search_fields = ["title", "seller_account__display_name", "seller_account__user__username"]
    readonly_fields = ["created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "buyer",
        "seller_account",
        "market",
        "service",
        "status",
        "payment_method",
        "total_money",
        "payment_due_at",
    ]
    list_filter = [market_filter("market"), "status", "service", "payment_method", "format"]
    list_select_related = ["buyer", "seller_account__user", "market"]
    search_fields = ["=id", "buyer__username", "seller_account__user__username", "lines__title"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, ShipmentInline, PaymentInline, RefundInline, OrderEventInline]
    readonly_fields = [
        "buyer",
        "seller_account",
        "market",
        "service",
        "format",
        "created_at",
        "payment_method",
        "status",
        "total_money",
        "payment_due_at",
        "paid_at",
        "cancelled_at",
    ]
    exclude = ["total_amount"]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.number

    # UX-05: amounts in the admin carry their currency.
    @admin.display(description=_("order amount"), ordering="total_amount")
    def total_money(self, obj):
        return money(obj.total_amount, obj.market.currency)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "tracking_entered_at", "handed_over_at", "delivered_at"]
    list_filter = [market_filter("order__market"), "carrier", ("delivered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["order"]
    search_fields = ["tracking_number", "=order__id"]
    readonly_fields = ["order", "carrier", "tracking_number", "tracking_entered_at", "handed_over_at", "delivered_at"]
    actions = ["simulate_delivery"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_simulate_delivery_permission(self, request):
        """SAFE-06: deliveries are the carrier's fact. Simulating one is a superuser's tool,
        offered only while the simulated carrier is the configured tracking provider."""
        return request.user.is_superuser and tracking.simulation_configured()

    @admin.action(
        description=_("Simulated carrier: report the selected parcels as delivered now"),
        permissions=["simulate_delivery"],
    )
    def simulate_delivery(self, request, queryset):
        now = timezone.now()
        done = 0
        for shipment in queryset.filter(delivered_at__isnull=True).order_by("pk"):
            try:
                done += tracking.simulate_delivery(shipment, actor=request.user, now=now)
            except DomainError as error:
                self.message_user(request, f"{shipment}: {error.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(count)s delivery recorded.", "%(count)s deliveries recorded.", done) % {"count": done},
            messages.SUCCESS,
        )


@admin.register(SimulatedParcel)
class SimulatedParcelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The simulated carrier's state, read-only: it changes through the audited action on
    shipments (SAFE-06) or `manage.py simulate_tracking`, never by editing a row."""

    list_display = ["carrier", "tracking_number", "delivered_at"]
    list_filter = [SimulatedParcelMarketFilter, "carrier"]
    search_fields = ["tracking_number"]

    def has_change_permission(self, request, obj=None):
        return False


def _lines(text):
    """Text as escaped lines."""
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in text.split("\n"))) if text else "—"


class AuditActionFilter(admin.SimpleListFilter):
    """UX-05: the audit trail's actions by name, not by code."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in audit.ACTION_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() in audit.ACTION_LABELS:
            return queryset.filter(action=self.value())
        return queryset


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """MED-07: the audit trail, visible and never editable or deletable."""

    list_display = ["at", "actor", "action_label", "object_repr", "reason"]
    list_filter = [AuditMarketFilter, AuditActionFilter, "content_type"]
    fields = ["at", "actor", "action_label", "object_repr", "reason", "before_text", "after_text"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "reason", "actor__username", "=object_id"]
    date_hierarchy = "at"

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        return audit.action_label(obj.action)

    # UX-05: the recorded state as "name: value" lines, not raw JSON.
    @admin.display(description=_("before"))
    def before_text(self, obj):
        return _lines(json_text(obj.before))

    @admin.display(description=_("after"))
    def after_text(self, obj):
        return _lines(json_text(obj.after))


class CommissionRefundLineInline(ReadOnlyInline):
    model = CommissionRefundLine
    fields = ["line", "quantity", "commission_money"]
    readonly_fields = fields

    # UX-05: amounts in the admin carry their currency.
    @admin.display(description=_("commission"))
    def commission_money(self, obj):
        return money(obj.commission, obj.application.order.market.currency)


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("grant", _("Grant the appeal: refund the commission")), ("reject", _("Reject the appeal"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason (shown to the seller)"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(CommissionRefund)
class CommissionRefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """REB-07: applications, read-only; a mediator decides an appeal through a screen."""

    list_display = ["number", "created_at", "seller_account", "order", "reason", "type", "status", "amount_money"]
    list_filter = [market_filter("order__market"), "status", "reason", "type"]
    list_select_related = ["seller_account__user", "order__market"]
    search_fields = ["=id", "=order__id", "seller_account__user__username"]
    date_hierarchy = "created_at"
    inlines = [CommissionRefundLineInline]
    readonly_fields = ["conditions"]
    change_form_template = "admin/orders/commissionrefund/change_form.html"

    # UX-05: the unmet conditions are shown in words ("conditions"), never as their stored
    # codes; the amount with its currency.
    exclude = ["unmet_conditions", "amount"]

    def get_readonly_fields(self, request, obj=None):
        hidden = {"unmet_conditions", "amount"}
        fields = [name for name in super().get_readonly_fields(request, obj) if name not in hidden]
        return [*fields, "amount_money", "conditions"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("commission to refund"), ordering="amount")
    def amount_money(self, obj):
        return money(obj.amount, obj.order.market.currency)

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.number

    @admin.display(description=_("unmet conditions"))
    def conditions(self, obj):
        texts = commission.describe_conditions(obj.unmet_conditions, obj.order)
        return format_html_join("", "<p>{}</p>", ((t,) for t in texts)) if texts else "—"

    def get_urls(self):
        return [
            path(
                "<int:pk>/appeal/",
                self.admin_site.admin_view(self.appeal_view),
                name="orders_commissionrefund_appeal",
            ),
            *super().get_urls(),
        ]

    def appeal_view(self, request, pk):
        application = get_object_or_404(CommissionRefund.objects.select_related("order__market"), pk=pk)
        return decision_view(
            self,
            request,
            application,
            AppealDecisionForm,
            lambda a, user, data: commission.decide_appeal(
                a, mediator=user, grant=data["decision"] == "grant", reason=data["reason"]
            ),
            _("Decide the appeal"),
            _("The appeal is decided."),
            permission="orders.decide_appeal",
        )


class RatingRemovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("remove", _("Remove the rating")), ("refuse", _("Refuse the request"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason (shown to the seller)"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(RatingRemovalRequest)
class RatingRemovalRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """UX-11: sellers' requests to remove a buyer's rating, read-only; a mediator decides
    through a screen (audited)."""

    list_display = ["number", "created_at", "seller_account", "order", "reason", "status"]
    list_filter = [market_filter("order__market"), "status", "reason"]
    list_select_related = ["seller_account__user", "order"]
    search_fields = ["=id", "=order__id", "seller_account__user__username"]
    change_form_template = "admin/orders/ratingremovalrequest/change_form.html"

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.number

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="orders_ratingremovalrequest_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk):
        removal = get_object_or_404(RatingRemovalRequest.objects.select_related("order"), pk=pk)
        return decision_view(
            self,
            request,
            removal,
            RatingRemovalDecisionForm,
            lambda r, user, data: contact.decide_rating_removal(
                r, mediator=user, removed=data["decision"] == "remove", reason=data["reason"], once=data["once"]
            ),
            _("Decide the request"),
            _("The request is decided."),
        )
