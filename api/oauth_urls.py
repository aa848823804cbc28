"""OAuth2 authorization server (django-oauth-toolkit) at the marketplace's paths:
/auth/oauth/authorize (consent page), /auth/oauth/token and /auth/oauth/device (the
device authorization flow, RFC 8628); plus token revocation."""

from django.urls import path
from oauth2_provider import views as oauth_views

from . import oauth

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize", oauth.AuthorizeView.as_view(), name="authorize"),
    path("token", oauth.TokenView.as_view(), name="token"),
    path("device", oauth.DeviceAuthorizationView.as_view(), name="device"),
    path("revoke_token", oauth_views.RevokeTokenView.as_view(), name="revoke-token"),
]
