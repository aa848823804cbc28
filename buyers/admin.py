"""The inactive-buyers tab in the mediators' desk (BLK-10): every entry with its
evidence, read-only; a mediator removes an entry that abuses the tab, with a reason,
through the same service the seller's trash icon uses (audited, MED-07)."""

from urllib.parse import quote

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, decision_view, market_filter
from core.uploads import file_name_for

from . import services
from .models import EvidenceImage, InactiveBuyer


class ActiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("In the tab")), ("removed", _("Removed or expired"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(removed_at__isnull=True)
        if self.value() == "removed":
            return queryset.filter(removed_at__isnull=False)
        return queryset


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the entry abuses the tab (recorded)"), widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(InactiveBuyer)
class InactiveBuyerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "buyer",
        "seller_account",
        "reason",
        "added_at",
        "expires_at",
        "evidence_count",
        "linked_copy",
        "state",
    ]
    list_filter = [market_filter("seller_account__market"), ActiveFilter, "reason", "removal"]
    list_select_related = ["buyer", "seller_account__user", "source"]
    search_fields = ["buyer__username", "seller_account__display_name", "seller_account__user__username"]
    date_hierarchy = "added_at"
    readonly_fields = ["evidence"]
    fieldsets = [
        (None, {"fields": [("seller_account", "buyer"), ("reason", "source"), "note", ("added_by", "added_at")]}),
        (_("Evidence"), {"fields": ["evidence"]}),
        (
            _("Expiry and removal"),
            {"fields": [("expires_at", "removed_at"), ("removal", "removed_by"), "removal_reason"]},
        ),
    ]
    change_form_template = "admin/buyers/inactivebuyer/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "evidence"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(image_count=Count("images", distinct=True), order_count=Count("orders", distinct=True))
        )

    @admin.display(description=_("evidence"))
    def evidence_count(self, obj):
        return obj.image_count or obj.order_count or "—"

    @admin.display(description=_("linked copy"), boolean=True)
    def linked_copy(self, obj):
        return obj.source_id is not None

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.removed_at is None:
            return _("In the tab") if obj.expires_at > timezone.now() else _("Expired, removal pending")
        return obj.get_removal_display()

    @admin.display(description=_("evidence"))
    def evidence(self, obj):
        """The pictures or the orders behind the entry; for a linked copy, the original's."""
        base = obj.evidence_entry
        parts = []
        if base.pk != obj.pk:
            parts.append(
                format_html(
                    '<p>{} <a href="{}">{}</a></p>',
                    _("Copied from the linked account's entry:"),
                    reverse("admin:buyers_inactivebuyer_change", args=[base.pk]),
                    base,
                )
            )
        images = list(base.images.all())
        if images:
            parts.append(
                format_html_join(
                    "",
                    '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
                    'style="max-width:160px;max-height:160px;margin:0 .5rem .5rem 0;border:1px solid #ccc"></a>',
                    (
                        (
                            reverse("admin:buyers_inactivebuyer_evidence", args=[image.pk]),
                            reverse("admin:buyers_inactivebuyer_evidence", args=[image.pk]) + "?thumb=1",
                            image.original_name,
                        )
                        for image in images
                    ),
                )
            )
        orders = list(base.orders.select_related("market").all())
        if orders:
            parts.append(
                format_html(
                    "<ul>{}</ul>",
                    format_html_join(
                        "",
                        '<li><a href="{}">{}</a> — {} — {} {}</li>',
                        (
                            (
                                reverse("admin:orders_order_change", args=[order.pk]),
                                order.number,
                                timezone.localtime(order.created_at).strftime("%d.%m.%Y"),
                                order.get_status_display(),
                                order.total_amount,
                            )
                            for order in orders
                        ),
                    ),
                )
            )
        return format_html_join("", "{}", ((part,) for part in parts)) if parts else "—"

    def get_urls(self):
        return [
            path(
                "evidence/<int:image_pk>/",
                self.admin_site.admin_view(self.evidence_view),
                name="buyers_inactivebuyer_evidence",
            ),
            path("<int:pk>/remove/", self.admin_site.admin_view(self.remove_view), name="buyers_inactivebuyer_remove"),
            *super().get_urls(),
        ]

    def evidence_view(self, request, image_pk):
        if not request.user.has_perm("buyers.view_inactivebuyer"):
            raise PermissionDenied
        image = get_object_or_404(EvidenceImage, pk=image_pk)
        field = image.thumbnail if request.GET.get("thumb") else image.file
        response = FileResponse(field.open("rb"), content_type=image.content_type)
        name = file_name_for(image.original_name, image.content_type)  # SAFE-08
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'"
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def remove_view(self, request, pk):
        if not request.user.has_perm("buyers.remove_abusive_entry"):
            raise PermissionDenied
        entry = get_object_or_404(InactiveBuyer.objects.select_related("buyer", "seller_account__user"), pk=pk)
        return decision_view(
            self,
            request,
            entry,
            RemoveForm,
            lambda e, user, data: services.remove_by_mediator(e, mediator=user, reason=data["reason"]),
            _("Remove the entry from the tab"),
            _("The entry is removed; the buyer can buy from this seller again."),
            permission="buyers.remove_abusive_entry",
        )
