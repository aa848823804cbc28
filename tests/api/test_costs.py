"""Issue 13: what the seller API's issue list and chat cost per request, in Python
function calls (cProfile) and queries — with the per-process issue cache and without
it — so that a change that brings back per-issue or per-message work (a query, a
compiled queryset, a serializer) fails here.

Bounds are about 1.3 times what was measured when the endpoints were made cheap (the
whole request: middleware, authentication, view, JSON)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from api import issue_cache
from api.base import BETA
from discussions import services
from discussions.models import Role
from tests.api.conftest import api_path
from tests.costs import request_cost
from tests.discussions.conftest import OPENED, fresh, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_caches():
    cache.clear()
    issue_cache.clear()
    yield
    issue_cache.clear()


def _issues(seller_account, buyer, count):
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    return [
        open_discussion(make_order(offer, buyer), text=f"Where is parcel {i}?", now=OPENED + timedelta(minutes=i))
        for i in range(count)
    ]


def _cost(token, path):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.token}", "HTTP_ACCEPT": BETA}
    return request_cost(Client(), api_path(path), **headers)


def test_api_01_issue_list_from_the_cache_costs_a_bounded_number_of_calls_and_queries(token, seller_account, buyer):
    _issues(seller_account, buyer, 25)
    calls, queries = _cost(token, "/sale/issues?limit=100")
    assert calls < 7_200  # 5.5k measured (SQLite), 3.4k (PostgreSQL); 28k before at 100 issues
    assert queries <= 3  # token, count, page


def test_api_01_issue_list_without_the_cache_costs_a_bounded_number_of_calls_and_queries(
    token, seller_account, buyer, settings
):
    settings.API_ISSUE_CACHE_SIZE = 0
    _issues(seller_account, buyer, 25)
    calls, queries = _cost(token, "/sale/issues?limit=100")
    assert calls < 12_200  # 9.3k measured (SQLite), 7.1k (PostgreSQL)
    assert queries <= 4  # token, count, page, initial messages


def test_api_01_an_issue_mapped_costs_a_bounded_number_of_calls(token, seller_account, buyer, settings):
    """Per issue: its mapping and JSON, no query or compiled queryset of its own."""
    settings.API_ISSUE_CACHE_SIZE = 0
    _issues(seller_account, buyer, 5)
    few, few_queries = _cost(token, "/sale/issues?limit=100")
    _issues(seller_account, buyer, 20)
    many, many_queries = _cost(token, "/sale/issues?limit=100")
    assert many - few < 20 * 360  # 271 a mapped issue measured (SQLite), 171 (PostgreSQL)
    assert many_queries == few_queries


def test_api_01_chat_of_30_messages_costs_a_bounded_number_of_calls_and_queries(token, offer, buyer, seller):
    discussion = open_discussion(make_order(offer, buyer), text="Where is my parcel?")
    for i in range(29):
        author, role = (seller, Role.SELLER) if i % 2 == 0 else (buyer, Role.BUYER)
        services.post_message(
            fresh(discussion), author=author, role=role, text=f"Message {i}", now=OPENED + timedelta(minutes=i + 1)
        )
    calls, queries = _cost(token, f"/sale/issues/{discussion.public_id}/chat?limit=100")
    assert calls < 5_300  # 4.1k measured (SQLite), 3.5k (PostgreSQL); 20k before
    assert queries <= 3  # token, Discussion, messages (attachments only when there are any)
