"""Fixtures of the seller API tests: an OAuth2 application, tokens of every kind, and a
client that speaks the API's media types and checks responses against the excerpt."""

import secrets
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from api.base import BETA, PUBLIC, SCOPE_DISPUTES, SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE
from tests.api import contract

ALL_SCOPES = " ".join([SCOPE_DISPUTES, SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE])


def api_path(path):
    """`/sale/issues` → `/api/sale/issues` (the configured base path)."""
    return f"/{settings.API_BASE_PATH}{path}"


def make_token(user, application, *, scope=ALL_SCOPES, expires_in=timedelta(hours=12)):
    return AccessToken.objects.create(
        user=user,
        application=application,
        token=secrets.token_urlsafe(32),
        expires=timezone.now() + expires_in,
        scope=scope,
    )


@pytest.fixture
def oauth_app(db, seller):
    return Application.objects.create(
        name="Seller tool",
        user=seller,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://tool.example.com/callback",
    )


@pytest.fixture
def token(seller, oauth_app):
    """The right token: the seller account's, with every scope."""
    return make_token(seller, oauth_app)


@pytest.fixture
def other_token(other_seller, oauth_app):
    """Another seller account's token, same application."""
    return make_token(other_seller, oauth_app)


@pytest.fixture
def expired_token(seller, oauth_app):
    return make_token(seller, oauth_app, expires_in=-timedelta(seconds=1))


class ApiClient:
    """Requests as an integrator's program makes them: bearer token, vendor media type.
    Every response of an endpoint the excerpt describes is validated against it unless
    `contract=False` (our own additions, e.g. the generated document)."""

    def __init__(self, token=None):
        self.client = Client()
        self.token = token

    def _headers(self, token, accept, language, extra):
        headers = {"Accept": accept}
        token = self.token if token is ... else token
        if token is not None:
            headers["Authorization"] = f"Bearer {getattr(token, 'token', token)}"
        if language:
            headers["Accept-Language"] = language
        headers.update(extra or {})
        return headers

    def request(
        self,
        method,
        path,
        *,
        token=...,
        accept=BETA,
        language=None,
        data=None,
        content_type=None,
        headers=None,
        contract_check=True,
    ):
        kwargs = {"headers": self._headers(token, accept, language, headers)}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = content_type or accept
        response = getattr(self.client, method)(api_path(path), **kwargs)
        if contract_check:
            contract.check(response)
        return response

    def get(self, path, **kwargs):
        return self.request("get", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("post", path, data=data if data is not None else {}, **kwargs)

    def put(self, path, data, **kwargs):
        return self.request("put", path, data=data, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("delete", path, **kwargs)


@pytest.fixture
def api(token):
    """A client holding the right token."""
    return ApiClient(token)


@pytest.fixture
def anonymous_api(db):
    return ApiClient(None)


__all__ = ["BETA", "PUBLIC", "ApiClient", "api_path", "make_token"]
