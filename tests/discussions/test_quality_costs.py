"""Issue 13: what the sales quality panel (QLT-01…03) costs per request, in Python
function calls (cProfile) and queries: its figures come from aggregate queries and its
charts are written once per bar, so neither grows with the seller's Discussions.

Bounds are about 1.3 times what was measured when the page was made cheap (the whole
request: middleware, header and page)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import services
from discussions.models import Discussion, Role
from tests.costs import request_cost
from tests.discussions.conftest import fresh, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

URL = "/seller/quality/"


HOURS = timedelta(hours=1)


def _discussions(seller_account, buyer, seller, count):
    """`count` Discussions over the last 12 weeks: answered (fast and slow), unanswered,
    closed, marked unresolved — every bucket and figure has some."""
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    now = timezone.now()
    discussions = []
    for i in range(count):
        started = now - timedelta(days=3 * i + 1, hours=i)
        order = make_order(offer, buyer, now=started - timedelta(hours=2))
        discussion = open_discussion(order, now=started)
        if i % 3:
            replied = started + (i % 5) * 3 * HOURS
            services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Sprawdzamy.", now=replied)
        discussions.append(discussion)
    pks = [discussion.pk for discussion in discussions]
    Discussion.objects.filter(pk__in=pks[3::5]).update(unresolved_at=now)
    return discussions


def _cost(client):
    return request_cost(client, URL)


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def test_qlt_03_panel_costs_a_bounded_number_of_calls_and_queries(seller_client, seller_account, buyer, seller):
    """Issue 13: the figures, the weekly chart and the reply-time chart of 25
    Discussions."""
    _discussions(seller_account, buyer, seller, 25)
    calls, queries = _cost(seller_client)
    assert calls < 25_000  # 19.4k measured (SQLite), 19.7k (PostgreSQL); 70k before
    assert queries <= 7  # session, user, account, header; figures, orders, two medians


def test_qlt_03_panel_costs_the_same_for_5_and_25_discussions(client, seller, seller_account, buyer):
    """Issue 13: nothing in the panel is done per Discussion in Python."""
    _discussions(seller_account, buyer, seller, 5)
    client.force_login(seller)
    few, few_queries = _cost(client)
    _discussions(seller_account, buyer, seller, 20)
    many, many_queries = _cost(client)
    # A few more groups in the figures' GROUP BY (170 calls measured), never a row's work.
    assert many - few < 600
    assert many_queries == few_queries
