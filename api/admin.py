"""The OAuth2 server's lists (applications, tokens, grants) in the mediators' desk,
filterable by the market of the seller account they belong to, like every other list."""

from django.contrib import admin
from oauth2_provider import models as oauth

from core.admin import market_filter

_SELLER_MARKET = "user__seller_account__market"

for _model in (
    oauth.get_application_model(),
    oauth.get_access_token_model(),
    oauth.get_refresh_token_model(),
    oauth.get_grant_model(),
    oauth.get_id_token_model(),
):
    if admin.site.is_registered(_model):
        _base = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(
            _model,
            type(_base.__name__, (_base,), {"list_filter": [market_filter(_SELLER_MARKET), *_base.list_filter]}),
        )
