"""Bearer tokens of the seller API, read in one query (API-01, issue 13).

django-oauth-toolkit checks a token through oauthlib: it parses the request into an
oauthlib request, reads the token with its application and user through the ORM, and
the seller account follows in a second query — some 4,500 Python function calls, half
of what a whole cached page of issues costs. `SellerTokenAuthentication` answers the
common case itself: a token sent as `Authorization: Bearer …` (and not in the query
string), stored, unexpired, not restricted to an audience, of a usable application. It
reads the token, its application, its user and the user's seller account in one query
compiled once (api.compiled) and checks them with the toolkit's own model methods.
Everything else — no token, an unknown, expired or revoked one, a token in the query
string — goes through the toolkit unchanged, so every refusal (and its WWW-Authenticate
challenge) is the toolkit's own.
"""

import hashlib

from django.contrib.auth import get_user_model
from django.http import QueryDict
from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from oauth2_provider import oauth2_backends
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model, get_application_model
from oauthlib.common import urlencode

from orders.models import SellerAccount

from . import compiled


def _columns(model, prefix=""):
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]


def _instance(model, db, names, values):
    """A model instance from its concrete columns (None when the row has none: a LEFT
    JOIN that found nothing)."""
    if values[0] is None:
        return None
    return model.from_db(db, names, values)


class TokenRow:
    """The models of one token row and where their columns are in it."""

    def __init__(self):
        self.AccessToken = get_access_token_model()
        self.Application = get_application_model()
        self.User = get_user_model()
        self.parts = [
            (self.AccessToken, _columns(self.AccessToken)),
            (self.Application, _columns(self.Application)),
            (self.User, _columns(self.User)),
            (SellerAccount, _columns(SellerAccount)),
        ]
        self.paths = [
            *_columns(self.AccessToken),
            *_columns(self.Application, "application__"),
            *_columns(self.User, "user__"),
            *_columns(SellerAccount, "user__seller_account__"),
        ]

    def query(self, checksum):
        return self.AccessToken.objects.filter(token_checksum=checksum).order_by().values_list(*self.paths)

    def instances(self, db, values):
        """(token, application, user, seller account), related to one another as
        select_related would have them."""
        found, start = [], 0
        for model, names in self.parts:
            found.append(_instance(model, db, names, values[start : start + len(names)]))
            start += len(names)
        token, application, user, account = found
        token_fields = self.AccessToken._meta
        token_fields.get_field("application").set_cached_value(token, application)
        token_fields.get_field("user").set_cached_value(token, user)
        if user is not None:
            # user.seller_account: the account, or RelatedObjectDoesNotExist when None.
            SellerAccount._meta.get_field("user").remote_field.set_cached_value(user, account)
            if account is not None:
                SellerAccount._meta.get_field("user").set_cached_value(account, user)
        return token, application, user, account


_token_row = None


def load_token(raw):
    """The stored AccessToken of `raw` with its application, user and seller account
    (each already loaded), or None."""
    global _token_row
    if _token_row is None:
        _token_row = TokenRow()
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    _names, rows = compiled.rows(("access-token", checksum), lambda: _token_row.query(checksum))
    if not rows:
        return None
    return _token_row.instances(_token_row.AccessToken.objects.db, rows[0])[0]


def bearer_token(request):
    """The token of an `Authorization: Bearer <token>` header when the request carries
    it only there (oauthlib's reading of the header), else None."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() != "bearer" or "access_token" in request.GET:
        return None
    return header[1]


class SellerTokenAuthentication(OAuth2Authentication):
    """django-oauth-toolkit's authentication with a one-query path for a valid bearer
    token (see the module's docstring); it answers (user, token) as the toolkit does."""

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is not None:
            token = load_token(raw)
            # What the toolkit's validate_bearer_token requires (scopes are the
            # permission's business), checked with its own methods; a token restricted
            # to an audience (RFC 8707) is left to it.
            if token is not None and token.is_valid([]) and not token.resource:
                application = token.application
                if application is None or application.is_usable(None):
                    return token.user, token
        return super().authenticate(request)


class OAuthLibCore(oauth2_backends.OAuthLibCore):
    """The toolkit's bridge to oauthlib (OAUTH2_PROVIDER's OAUTH2_BACKEND_CLASS), which
    hands oauthlib a request's form fields: those of a body read as a form, and none of
    a body an endpoint reads itself (an attachment's bytes, which the toolkit took for a
    form and failed on: a 500, SAFE-09)."""

    def extract_body(self, request):
        if not isinstance(request.POST, QueryDict):
            return []
        return super().extract_body(request)

    def _extract_params(self, request):
        """A token request's parameters as api.oauth.TokenView gathered them (the body's
        and the query string's, API-05) are handed to oauthlib as the body: oauthlib
        refuses a POST with a query string."""
        params = getattr(request, "oauth_params", None)
        if params is None:
            return super()._extract_params(request)
        headers = self.extract_headers(request)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return request.build_absolute_uri(request.path), request.method, urlencode(params), headers


class SellerTokenScheme(DjangoOAuthToolkitScheme):
    """The generated document describes it as the toolkit's OAuth2 scheme."""

    target_class = "api.auth.SellerTokenAuthentication"
