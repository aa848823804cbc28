"""Issue 13: what the Discussion lists and the notifications page cost per request, in
Python function calls (cProfile) and queries, so that a change that brings back per-row
work (an include, a tag, a translation or a query per row) fails here.

Bounds are about 1.3 times what was measured when the pages were made cheap (the whole
request: middleware, header and page); the calls a row adds are bounded on their own,
from pages of 5 and of 20 rows."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from discussions.models import Discussion
from tests.costs import request_cost
from tests.discussions.conftest import make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _discussions(seller_account, buyer, count):
    """`count` Discussions of the seller with the buyer, in every state a list row shows:
    waiting (some overdue), answered, with Allegro, closed."""
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    start = timezone.now() - timedelta(days=3)
    discussions = []
    for i in range(count):
        order = make_order(offer, buyer, now=start + timedelta(minutes=i))
        discussions.append(open_discussion(order, now=start + timedelta(hours=2, minutes=i)))
    now = timezone.now()
    pks = [discussion.pk for discussion in discussions]
    Discussion.objects.filter(pk__in=pks[1::4]).update(
        seller_replied_at=now, last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED
    )
    Discussion.objects.filter(pk__in=pks[2::4]).update(mediator_joined_at=now, reply_due_at=now + timedelta(days=1))
    Discussion.objects.filter(pk__in=pks[3::4]).update(status=Discussion.Status.RESOLVED, is_open=False, closed_at=now)
    return discussions


def _cost(client, path):
    return request_cost(client, path)


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


def test_dsc_10_seller_list_of_20_rows_costs_a_bounded_number_of_calls_and_queries(
    seller_client, seller_account, buyer
):
    _discussions(seller_account, buyer, 25)
    calls, queries = _cost(seller_client, "/seller/discussions/")
    assert calls < 14_000  # 10.6k measured
    assert queries <= 5


def test_dsc_10_seller_list_filtered_costs_a_bounded_number_of_calls_and_queries(seller_client, seller_account, buyer):
    _discussions(seller_account, buyer, 25)
    calls, queries = _cost(seller_client, "/seller/discussions/?status=IN_PROGRESS&show=needs_reply&market=PL")
    assert calls < 13_000  # 10.0k measured
    assert queries <= 6  # the count of a list narrowed by more than "show" is its own query


def test_dsc_10_a_seller_list_row_costs_a_bounded_number_of_calls(seller_client, seller_account, buyer):
    """A row's markup is written in one pass: about 95 calls, not the hundreds that an
    include, a `{% url %}`, a date filter or a dozen `{{ row.x }}` per row cost."""
    _discussions(seller_account, buyer, 5)
    five, _ = _cost(seller_client, "/seller/discussions/")
    _discussions(seller_account, buyer, 20)
    twenty, _ = _cost(seller_client, "/seller/discussions/")
    assert twenty - five < 15 * 130


def test_buyer_list_of_20_rows_costs_a_bounded_number_of_calls_and_queries(buyer_client, seller_account, buyer):
    _discussions(seller_account, buyer, 25)
    calls, queries = _cost(buyer_client, "/my/discussions/")
    assert calls < 11_000  # 8.5k measured
    assert queries <= 5


def test_a_buyer_list_row_costs_a_bounded_number_of_calls(buyer_client, seller_account, buyer):
    _discussions(seller_account, buyer, 5)
    five, _ = _cost(buyer_client, "/my/discussions/")
    _discussions(seller_account, buyer, 20)
    twenty, _ = _cost(buyer_client, "/my/discussions/")
    assert twenty - five < 15 * 130


def test_ntf_01_notifications_page_costs_a_bounded_number_of_calls_and_queries(seller_client, seller_account, buyer):
    _discussions(seller_account, buyer, 25)  # each tells the seller about the new Discussion
    calls, queries = _cost(seller_client, "/notifications/")
    assert calls < 14_000  # 10.8k measured
    assert queries <= 4


def test_ntf_01_a_notification_costs_a_bounded_number_of_calls(seller_client, seller_account, buyer):
    _discussions(seller_account, buyer, 5)
    five, _ = _cost(seller_client, "/notifications/")
    _discussions(seller_account, buyer, 20)
    twenty, _ = _cost(seller_client, "/notifications/")
    assert twenty - five < 20 * 200  # 160 measured, most of it the text of the notification


def test_issue_13_on_postgresql_the_seller_lists_queries_are_prepared_and_not_planned_each_time(
    seller_client, seller_account, buyer
):
    """The page query of the seller's list runs as a prepared statement of the connection
    after a few requests: PostgreSQL plans it once (planning was up to half of a page's
    database time), for any seller (bound parameters). (Its counts are kept in the cache,
    discussions.list_counts.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's (DATABASE_URL=postgres://…)")
    _discussions(seller_account, buyer, 5)
    # psycopg prepares it at its 5th run; PostgreSQL plans its first 5 runs as prepared.
    for _n in range(12):
        assert seller_client.get("/seller/discussions/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        prepared = {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}
    page = [s for s in prepared if "discussions_discussion" in s and "seller_account_id" in s and "LIMIT" in s]
    assert len(page) == 1, prepared
    generic, custom = prepared[page[0]]
    assert generic + custom >= 4
    # The page's LIMIT and OFFSET are in the SQL's text: with the LIMIT as a parameter the
    # generic plan of a seller with thousands of Discussions costs more than a plan for 25
    # rows, and PostgreSQL planned every run again (0.5 ms; bench/pages.py).
    assert re.search(r"LIMIT \d+ OFFSET \d+\)", page[0]) and "LIMIT $" not in page[0]
    # Planned once and then run by its generic plan (PostgreSQL plans a prepared statement
    # five times for the run's values, then keeps the generic plan where it costs no more).
    assert generic >= 1, prepared[page[0]]
