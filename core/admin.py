"""Admin building blocks for the mediators' desk: history is shown, never edited."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .errors import DomainError


class ReadOnlyInline(admin.TabularInline):
    """History rows (events, messages, status changes): visible, never added, edited or deleted."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Every field read-only, no adding or deleting; changes happen only through actions
    that call services."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def decision_view(
    model_admin,
    request,
    obj,
    form_class,
    handler,
    title,
    success,
    permission="discussions.mediate_discussion",
    form_kwargs=None,
):
    """A mediator decision: a form with the reason, one service call, a message."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST or None, **(form_kwargs or {}))
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


class MarketFilter(admin.SimpleListFilter):
    """Filter a list by market (allegro.pl, .cz, .sk, .hu). Subclasses name the lookup
    path to the market (`market_path`) or build the condition (`market_condition`)."""

    title = _("market")
    parameter_name = "market"
    market_path = "market"

    def lookups(self, request, model_admin):
        from orders.markets import MARKET_DOMAINS

        return list(MARKET_DOMAINS.items())

    def market_condition(self, code):
        return Q(**{self.market_path: code})

    def queryset(self, request, queryset):
        code = self.value()
        if code and code in dict(self.lookups(request, None)):
            return queryset.filter(self.market_condition(code))
        return queryset


def market_filter(path):
    """A MarketFilter over `path`, e.g. market_filter("order__market")."""
    return type("MarketFilter", (MarketFilter,), {"market_path": path})
