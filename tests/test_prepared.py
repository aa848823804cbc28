"""core.prepared (issue 13): a query compiled once per shape answers, for any arguments,
exactly what the queryset itself answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.prepared import PreparedQuery
from orders.models import Market, Offer, SellerAccount
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

COLUMNS = ("pk", "title", "price", "commission_rate", "is_active", "created_at", "market__time_zone")


def _offers(pk):
    return Offer.objects.filter(pk=pk).values_list(*COLUMNS)


def test_a_prepared_query_is_compiled_once_and_answers_as_the_queryset_for_each_argument(seller_account):
    offers = [OfferFactory(seller_account=seller_account, is_active=i != 1) for i in range(3)]
    built = []

    def build(pk):
        built.append(pk)
        return _offers(pk)

    query = PreparedQuery(build)
    for offer in offers:
        with CaptureQueriesContext(connection) as queries:
            rows = query.rows(offer.pk)
        assert len(queries) == 1
        # Decimals, booleans and instants converted as values_list() converts them.
        assert [tuple(row) for row in rows] == list(_offers(offer.pk))
    assert list(query.rows(-1)) == []
    assert len(built) == 1


def test_an_argument_that_does_not_reach_the_sql_is_refused():
    # Its value would be ignored: every call would answer for the same rows.
    query = PreparedQuery(lambda code: Market.objects.filter(pk="PL").values_list("code"))
    with pytest.raises(ValueError):
        query.rows(1)


def test_issue_13_a_query_kept_by_its_shape_is_compiled_once_per_key(seller_account):
    from core.prepared import rows_by_shape

    for _n in range(5):
        OfferFactory(seller_account=seller_account)
    built = []

    def page(low, high):
        def build():
            built.append((low, high))
            return Offer.objects.order_by("-pk").values_list(*COLUMNS)[low:high]

        return build

    for _round in range(2):
        for low, high in ((0, 2), (2, 4), (4, 6)):
            rows = rows_by_shape(("offers", low, high), page(low, high))
            assert [tuple(row) for row in rows] == list(Offer.objects.order_by("-pk").values_list(*COLUMNS)[low:high])
    assert built == [(0, 2), (2, 4), (4, 6)]


def test_issue_13_queries_run_together_answer_as_each_alone_and_are_counted(seller_account, monkeypatch):
    from core.prepared import rows_together

    offers = [OfferFactory(seller_account=seller_account) for _n in range(3)]
    query = PreparedQuery(_offers)
    accounts = PreparedQuery(lambda pk: SellerAccount.objects.filter(pk=pk).values_list("pk", "display_name"))
    pipelines = []
    if connection.vendor == "postgresql":
        import psycopg

        original = psycopg.Connection.pipeline
        monkeypatch.setattr(psycopg.Connection, "pipeline", lambda self: pipelines.append(1) or original(self))
    calls = [(query, (offer.pk,)) for offer in offers] + [(query, (-1,)), (accounts, (seller_account.pk,))]
    for _round in range(7):  # prepared by psycopg after five runs
        with CaptureQueriesContext(connection) as queries:
            together = rows_together(calls)
        assert len(queries) == len(calls)
        assert [[tuple(row) for row in rows] for rows in together] == [
            [tuple(row) for row in q.rows(*arguments)] for q, arguments in calls
        ]
    assert together[3] == [] and together[4][0][0] == seller_account.pk
    # PostgreSQL: sent together, in psycopg's pipeline mode.
    assert len(pipelines) == (7 if connection.vendor == "postgresql" else 0)


def test_issue_13_behind_pgbouncer_queries_run_one_after_the_other(seller_account, monkeypatch):
    from core.prepared import rows_together

    if connection.vendor != "postgresql":
        pytest.skip("psycopg's pipeline mode is PostgreSQL's.")
    import psycopg

    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    monkeypatch.setattr(psycopg.Connection, "pipeline", lambda self: pytest.fail("no pipeline behind PgBouncer"))
    offer = OfferFactory(seller_account=seller_account)
    query = PreparedQuery(_offers)
    assert [len(rows) for rows in rows_together([(query, (offer.pk,)), (query, (-1,))])] == [1, 0]
