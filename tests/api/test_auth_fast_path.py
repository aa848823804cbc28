"""API-01, issue 13: the seller API reads a valid bearer token in one query
(api.auth.SellerTokenAuthentication); every other case is django-oauth-toolkit's own."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.request import Request

from api.auth import SellerTokenAuthentication
from tests.api.conftest import ApiClient, api_path

pytestmark = pytest.mark.django_db


def drf_request(**extra):
    return Request(RequestFactory().get(api_path("/sale/issues"), **extra))


def test_api_01_a_valid_token_authenticates_as_the_toolkit_does(token, seller):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.token}"}

    fast_user, fast_token = SellerTokenAuthentication().authenticate(drf_request(**headers))
    user, toolkit_token = OAuth2Authentication().authenticate(drf_request(**headers))

    assert (fast_user, fast_token) == (user, toolkit_token) == (seller, token)
    assert fast_token.application == token.application
    assert fast_user.seller_account == seller.seller_account


def test_api_01_the_token_user_and_seller_account_come_in_one_query(token, django_assert_num_queries):
    request = drf_request(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    with django_assert_num_queries(1):
        user, _token = SellerTokenAuthentication().authenticate(request)
        assert user.seller_account.pk


def test_api_01_a_token_expired_after_use_is_refused_at_once(api, token):
    assert api.get("/sale/issues").status_code == 200
    token.expires = timezone.now() - timedelta(seconds=1)
    token.save()

    response = api.get("/sale/issues", contract_check=False)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_api_01_a_token_in_the_query_string_is_refused_even_with_the_header(token):
    client = ApiClient(token)

    response = client.get(f"/sale/issues?access_token={token.token}", contract_check=False)

    assert response.status_code == 401


def test_api_01_an_unknown_token_gets_the_toolkits_challenge(db):
    response = ApiClient("no-such-token").get("/sale/issues", contract_check=False)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
