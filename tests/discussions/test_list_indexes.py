"""The seller's Discussion list reads through its indexes on PostgreSQL (issue 13): a
page is cut from dsc_seller_list_idx in the list's order without sorting the seller's
Discussions, and the count line is two index-only scans."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from discussions.models import Discussion
from orders.models import OrderLine
from tests.discussions.conftest import make_order, open_discussion
from tests.factories import OfferFactory

# VACUUM cannot run in a transaction: these tests commit, as the race tests do.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="EXPLAIN needs PostgreSQL (DATABASE_URL=postgres://…)."
    ),
    # Markets come from a data migration; the flush after a transactional test would remove them.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _plan(sql):
    """The plan's nodes with sequential scans and bitmap scans off: what PostgreSQL does
    when the table is large, whichever index it can use."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return list(_plan_nodes(plan[0]["Plan"]))


@pytest.fixture
def vacuumed_seller_list(client, seller, seller_account, buyer):
    """300 Discussions of the seller (a third closed, a third answered), the table
    vacuumed and analysed as autovacuum leaves it; the seller signed in."""
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    start = timezone.now() - timedelta(days=3)
    template = open_discussion(make_order(offer, buyer, now=start), now=start + timedelta(hours=2))
    line = OrderLine.objects.get(pk=template.line_id)
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order_id=line.order_id,
            offer_id=line.offer_id,
            title=line.title,
            unit_price=line.unit_price,
            quantity=1,
            commission_per_unit=line.commission_per_unit,
        )
        for _ in range(300)
    )
    copies = []
    for i, row_line in enumerate(lines):
        row = Discussion.objects.get(pk=template.pk)
        row.pk, row._state, row.line, row.public_id = None, ModelState(), row_line, uuid.uuid4()
        if i % 3 == 1:
            row.status, row.is_open, row.closed_at = Discussion.Status.RESOLVED, False, template.created_at
        elif i % 3 == 2:
            row.seller_replied_at = template.created_at
            row.last_message_status = Discussion.LastMessageStatus.SELLER_REPLIED
        copies.append(row)
    Discussion.objects.bulk_create(copies)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE discussions_discussion")
    client.force_login(seller)
    return client


def _captured(client, path, marker):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    (sql,) = [query["sql"] for query in captured.captured_queries if marker in query["sql"]]
    return sql


@pytest.mark.parametrize("path", ["/seller/discussions/", "/seller/discussions/?show=overdue&page=2"])
def test_dsc_10_the_seller_list_reads_its_page_in_the_order_of_its_index(vacuumed_seller_list, path):
    """SELLER_ORDER (SQL) is SELLER_LIST_ORDER (the index): the page is cut (LIMIT and
    OFFSET) straight from the index, in its order, from the index alone; nothing sorted
    but the page's own rows."""
    sql = _captured(vacuumed_seller_list, path, "ORDER BY d.is_open DESC")
    pages = [node["Plans"][0] for node in _plan(sql) if node["Node Type"] == "Limit"]
    assert [(node["Node Type"], node.get("Index Name")) for node in pages] == [
        ("Index Only Scan", "dsc_seller_list_idx")
    ], sql


def test_dsc_10_the_count_line_is_two_index_only_scans(vacuumed_seller_list):
    sql = _captured(vacuumed_seller_list, "/seller/discussions/", "COUNT(*) FILTER")
    scans = {node.get("Index Name"): node["Node Type"] for node in _plan(sql) if "Scan" in node["Node Type"]}
    assert scans == {"dsc_seller_open_counts_idx": "Index Only Scan", "dsc_seller_closed_idx": "Index Only Scan"}
