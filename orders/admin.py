"""Orders in the mediators' desk: read-mostly lists with filters and search. History rows
(events, payments, refunds) are read-only inlines; the only transitions are actions that
call the services."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline
from core.errors import DomainError

from . import services
from .models import (
    AuditRecord,
    LinkedAccountGroup,
    Market,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    SellerAccount,
    Shipment,
    SimulatedParcel,
)


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
    list_display = ["code", "domain", "currency", "time_zone", "holiday_country", "language"]

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
    list_filter = ["market"]
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
    list_filter = ["market", "format", "is_active"]
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
        "total_amount",
        "payment_due_at",
    ]
    list_filter = ["market", "status", "service", "payment_method", "format"]
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
        "total_amount",
        "payment_due_at",
        "paid_at",
        "cancelled_at",
    ]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.number

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "tracking_entered_at", "handed_over_at", "delivered_at"]
    list_filter = ["carrier", ("delivered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["order"]
    search_fields = ["tracking_number", "=order__id"]
    readonly_fields = ["order", "carrier", "tracking_number", "tracking_entered_at", "handed_over_at", "delivered_at"]
    actions = ["simulate_delivery"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Simulated carrier: report the selected parcels as delivered now"))
    def simulate_delivery(self, request, queryset):
        now = timezone.now()
        done = 0
        for shipment in queryset.select_related("order"):
            try:
                services.simulate_carrier_delivery(shipment.carrier, shipment.tracking_number, delivered_at=now)
                done += services.record_delivery(shipment, delivered_at=now, now=now)
            except DomainError as error:
                self.message_user(request, f"{shipment}: {error.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(count)s delivery recorded.", "%(count)s deliveries recorded.", done) % {"count": done},
            messages.SUCCESS,
        )


@admin.register(SimulatedParcel)
class SimulatedParcelAdmin(admin.ModelAdmin):
    list_display = ["carrier", "tracking_number", "delivered_at"]
    search_fields = ["tracking_number"]


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """MED-07: the audit trail, visible and never editable or deletable."""

    list_display = ["at", "actor", "action", "object_repr", "reason"]
    list_filter = ["action", "content_type"]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "reason", "actor__username", "=object_id"]
    date_hierarchy = "at"

    def has_change_permission(self, request, obj=None):
        return False
