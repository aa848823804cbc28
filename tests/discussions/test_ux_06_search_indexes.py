"""UX-06 on PostgreSQL: the search reads its matches through the indexes of migration
discussions 0013 (a GIN trigram index on product titles, prefix indexes on logins and
shop names), not by reading a seller's every Discussion."""

import json

import pytest
from django.db import connection, transaction

from discussions import list_presenters, search

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="EXPLAIN needs PostgreSQL (DATABASE_URL=postgres://…)."
    ),
    pytest.mark.django_db,
]


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _indexes_used(listed):
    """The index names in the plan of the list's page query, sequential scans off (what
    PostgreSQL does when the tables are large)."""
    table = "discussions_discussion"
    sql = f"SELECT d.id FROM {table} d WHERE {listed.where} ORDER BY {listed.order_by} LIMIT 20"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # A full scan of another index (the primary key's, filtered row by row) is no better than a
        # sequential scan, but earlier tests' statistics can make it look cheaper than the search
        # index on a small table; bitmap scans only, so each table is read through an index that
        # matches a condition, as on a large table.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        # Likewise a nested loop that looks each Discussion's line up by its key and filters the title
        # is the plan for a seller with a handful of Discussions, not for one with 10,000.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, listed.params)
        raw = cursor.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    nodes = list(_nodes(plan[0]["Plan"]))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    return {n.get("Index Name") for n in nodes}


def test_ux_06_seller_search_reads_titles_through_the_trigram_index_and_logins_through_the_prefix_index():
    listed = list_presenters.seller_discussions(1, {}, {"all": 0}, None, search=search.Search.parse("kabel"))
    used = _indexes_used(listed)
    assert "dsc_search_title_trgm_idx" in used
    assert "dsc_search_login_idx" in used


def test_ux_06_buyer_search_reads_shop_names_and_logins_through_the_prefix_indexes():
    listed = list_presenters.buyer_discussions(1, search=search.Search.parse("sklep"))
    used = _indexes_used(listed)
    assert {"dsc_search_title_trgm_idx", "dsc_search_shop_name_idx", "dsc_search_login_idx"} <= used


def test_ux_06_a_number_is_found_by_primary_key_and_the_order_index():
    listed = list_presenters.seller_discussions(1, {}, {"all": 0}, None, search=search.Search.parse("00000012"))
    used = _indexes_used(listed)
    assert "dsc_order_idx" in used or "discussions_discussion_pkey" in used
