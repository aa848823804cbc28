"""SAFE-13: the API rate limit counts per seller account, across all its tokens (OAuth and
others) and every worker (Django's default cache: Redis when configured); requests
without a valid token are limited per client address. Over the limit: 429 in the API's
error shape with `Retry-After`."""

import os
import re
import uuid

import pytest
import redis
from django.test import Client
from oauth2_provider.models import Application

from api.base import PUBLIC
from tests import test_safe_07_sign_in as safe07
from tests.api.conftest import ApiClient, api_path, make_token
from tests.api.test_auth_matrix import assert_errors_shape

# The client-address settings config/settings.py derives from TRUSTED_PROXY_COUNT (SAFE-07).
one_proxy = safe07.one_proxy
no_proxy = safe07.no_proxy


@pytest.fixture
def other_app(db, seller):
    """A second application the seller allowed (another integrator's tool)."""
    return Application.objects.create(
        name="Another tool",
        user=seller,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://other.example.com/callback",
    )


def _assert_limited(response, message):
    assert response.status_code == 429, response.content[:300]
    assert re.fullmatch(r"[1-9][0-9]*", response["Retry-After"]), response["Retry-After"]
    assert int(response["Retry-After"]) <= 60
    assert_errors_shape(response)
    error = response.json()["errors"][0]
    assert error["code"] == "TOO_MANY_REQUESTS"
    assert error["userMessage"] == message


ACCOUNT_LIMITED = "Too many requests for this account; try again in {} s."
ADDRESS_LIMITED = "Too many requests from this address; try again in {} s."


def _message(template, response):
    return template.format(response["Retry-After"])


def test_safe_13_two_tokens_of_one_account_share_the_limit(settings, seller, oauth_app, other_app):
    settings.API_RATE_LIMIT = "3/minute"
    first = ApiClient(make_token(seller, oauth_app))
    second = ApiClient(make_token(seller, other_app))

    assert first.get("/sale/issues", contract_check=False).status_code == 200
    assert second.get("/sale/issues", contract_check=False).status_code == 200
    assert first.get("/order/refund-claims", accept=PUBLIC, contract_check=False).status_code == 200

    limited = second.get("/sale/issues", language="en-US", contract_check=False)
    _assert_limited(limited, _message(ACCOUNT_LIMITED, limited))
    assert first.get("/sale/issues", contract_check=False).status_code == 429


def test_safe_13_a_new_token_does_not_reset_the_limit(settings, seller, oauth_app):
    settings.API_RATE_LIMIT = "2/minute"
    client = ApiClient(make_token(seller, oauth_app))
    for _attempt in range(2):
        assert client.get("/sale/issues", contract_check=False).status_code == 200
    assert client.get("/sale/issues", contract_check=False).status_code == 429

    fresh = ApiClient(make_token(seller, oauth_app))

    assert fresh.get("/sale/issues", contract_check=False).status_code == 429


def test_safe_13_other_accounts_keep_their_own_limit(settings, seller, oauth_app, linked_seller, other_seller):
    settings.API_RATE_LIMIT = "1/minute"
    client = ApiClient(make_token(seller, oauth_app))
    assert client.get("/sale/issues", contract_check=False).status_code == 200
    assert client.get("/sale/issues", contract_check=False).status_code == 429

    # A linked account is an account of its own (SPEC: linked accounts see none of each other's data).
    assert ApiClient(make_token(linked_seller, oauth_app)).get("/sale/issues", contract_check=False).status_code == 200
    assert ApiClient(make_token(other_seller, oauth_app)).get("/sale/issues", contract_check=False).status_code == 200


def _anonymous(address, *, token=None, language="en-US", forwarded_for=None):
    headers = {"Accept": "application/vnd.allegro.beta.v1+json", "Accept-Language": language}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return Client(REMOTE_ADDR=address).get(api_path("/sale/issues"), headers=headers)


def _use(settings, values):
    for name, value in values.items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)


def test_safe_13_unauthenticated_requests_are_limited_per_client_address(settings, db):
    settings.API_ANONYMOUS_RATE_LIMIT = "3/minute"
    for _attempt in range(3):
        assert _anonymous("203.0.113.7").status_code == 401

    limited = _anonymous("203.0.113.7")

    _assert_limited(limited, _message(ADDRESS_LIMITED, limited))
    assert _anonymous("203.0.113.8").status_code == 401


def test_safe_13_unknown_and_expired_tokens_count_against_the_address(settings, expired_token):
    settings.API_ANONYMOUS_RATE_LIMIT = "2/minute"
    assert _anonymous("203.0.113.7", token="made-up-token").status_code == 401
    assert _anonymous("203.0.113.7", token=expired_token.token).status_code == 401

    assert _anonymous("203.0.113.7", token=str(uuid.uuid4())).status_code == 429
    assert _anonymous("203.0.113.7").status_code == 429


def test_safe_13_clients_behind_one_trusted_proxy_are_limited_each_on_its_own(settings, db, one_proxy):
    """The address is the sign-in lock's: behind TRUSTED_PROXY_COUNT proxies, the one the
    last proxy saw (X-Forwarded-For), not the proxy's own."""
    _use(settings, one_proxy)
    settings.API_ANONYMOUS_RATE_LIMIT = "1/minute"
    assert _anonymous(safe07.PROXY, forwarded_for="198.51.100.1").status_code == 401
    assert _anonymous(safe07.PROXY, forwarded_for="198.51.100.1").status_code == 429

    assert _anonymous(safe07.PROXY, forwarded_for="198.51.100.2").status_code == 401
    # A client cannot pass for another by writing the header itself: the proxy appends.
    assert _anonymous(safe07.PROXY, forwarded_for="198.51.100.2, 198.51.100.1").status_code == 429


def test_safe_13_without_trusted_proxies_the_forwarded_header_is_ignored(settings, db, no_proxy):
    _use(settings, no_proxy)
    settings.API_ANONYMOUS_RATE_LIMIT = "1/minute"
    assert _anonymous("203.0.113.7", forwarded_for="198.51.100.1").status_code == 401

    assert _anonymous("203.0.113.7", forwarded_for="198.51.100.2").status_code == 429


def test_safe_13_the_address_limit_leaves_valid_tokens_alone(settings, token):
    """Many tools of different sellers behind one address (a hosting provider) are each
    counted by their account, not by the address they share."""
    settings.API_ANONYMOUS_RATE_LIMIT = "1/minute"
    assert _anonymous("203.0.113.7").status_code == 401
    assert _anonymous("203.0.113.7").status_code == 429

    response = Client(REMOTE_ADDR="203.0.113.7").get(
        api_path("/sale/issues"),
        headers={"Accept": "application/vnd.allegro.beta.v1+json", "Authorization": f"Bearer {token.token}"},
    )

    assert response.status_code == 200


def test_safe_13_polish_message_by_default(settings, db):
    settings.API_ANONYMOUS_RATE_LIMIT = "1/minute"
    _anonymous("203.0.113.7", language="")

    limited = _anonymous("203.0.113.7", language="")

    assert limited.status_code == 429
    assert limited.json()["errors"][0]["userMessage"] == (
        f"Zbyt wiele żądań z tego adresu; spróbuj ponownie za {limited['Retry-After']} s."
    )


# --- Shared by every worker ---------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_available():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def redis_prefix(settings):
    """The default cache on Redis, under a key prefix of this test's own."""
    if not _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-safe-13-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def test_safe_13_with_redis_the_count_is_kept_in_redis_for_every_worker(settings, redis_prefix, seller, oauth_app):
    """Web workers (processes, nodes) share nothing but the database and the cache: with
    the cache on Redis the count lives there, where every worker reads and adds to it."""
    settings.API_RATE_LIMIT = "2/minute"
    client = ApiClient(make_token(seller, oauth_app))
    assert client.get("/sale/issues", contract_check=False).status_code == 200
    assert client.get("/sale/issues", contract_check=False).status_code == 200

    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{redis_prefix}:*"))
    refused = ApiClient(make_token(seller, oauth_app)).get("/sale/issues", language="en-US", contract_check=False)
    # Counted with the window's end in one round trip (core.cache.RedisCache.count_in_window).
    _assert_limited(refused, _message(ACCOUNT_LIMITED, refused))
