"""The list filter by market shared by the desk's ModelAdmins."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MarketFilter(admin.SimpleListFilter):
    """Filter a list by market (allegro.pl, .cz, .sk, .hu). Subclasses name the lookup
    path to the market (`market_path`) or build the condition (`market_condition`)."""

    title = _("market")
    parameter_name = "market"
    market_path = "market"
    # Its choices depend on nothing but the query and the language (changelist_fragments).
    fixed_lookups = True

    def lookups(self, request, model_admin):
        from ..markets import MARKET_DOMAINS

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
