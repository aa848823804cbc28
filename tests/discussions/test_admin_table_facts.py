"""The unfiltered Discussion list's count and date hierarchy kept in the cache until a
Discussion is created or deleted (issue 13; core.admin.tables)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin.tables import table_version_key
from discussions.models import Discussion, Message, Notification, Reason, StatusChange
from tests.discussions.conftest import DAY, OPENED, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:discussions_discussion_changelist"


@pytest.fixture
def mediator_client(client, mediator):
    client.force_login(mediator)
    return client


def _open(seller_account, buyer, count):
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    return [open_discussion(make_order(offer, buyer), now=OPENED) for _n in range(count)]


def _table_reads(queries):
    """The queries that read the whole table: its count, and its first and last dates."""
    return [
        q["sql"]
        for q in queries
        if 'COUNT(*) AS "__count" FROM "discussions_discussion"' in q["sql"] or "MIN(" in q["sql"]
    ]


def test_issue_13_the_unfiltered_lists_count_and_dates_are_read_once(mediator_client, seller_account, buyer):
    _open(seller_account, buyer, 3)
    first = mediator_client.get(reverse(CHANGELIST))
    assert first.context["cl"].result_count == 3
    with CaptureQueriesContext(connection) as queries:
        again = mediator_client.get(reverse(CHANGELIST))
    assert again.context["cl"].result_count == 3 and again.context["changelist_rows"]
    if connection.vendor == "postgresql":  # the skip scan's dates are kept there only
        assert _table_reads(queries) == []
        assert again.context["changelist_dates"] == first.context["changelist_dates"]
    else:
        assert not [q for q in _table_reads(queries) if "COUNT(*)" in q]


def test_issue_13_a_created_or_deleted_discussion_is_counted_at_once(mediator_client, seller_account, buyer):
    discussions = _open(seller_account, buyer, 2)
    assert mediator_client.get(reverse(CHANGELIST)).context["cl"].result_count == 2
    _open(seller_account, buyer, 1)
    assert mediator_client.get(reverse(CHANGELIST)).context["cl"].result_count == 3
    # Discussions are history and are not deleted in use; when one is, it is not counted.
    for model in (Message, StatusChange, Notification):
        model.objects.filter(discussion=discussions[0]).delete()
    discussions[0].delete()
    assert mediator_client.get(reverse(CHANGELIST)).context["cl"].result_count == 2


def test_issue_13_a_filtered_list_is_counted_every_time(mediator_client, seller_account, buyer):
    _open(seller_account, buyer, 2)
    params = {"reason__exact": Reason.NOT_RECEIVED}
    assert mediator_client.get(reverse(CHANGELIST), params).context["cl"].result_count == 2
    Discussion.objects.filter(pk=Discussion.objects.first().pk).update(reason=Reason.PRODUCT_PROBLEM)
    assert mediator_client.get(reverse(CHANGELIST), params).context["cl"].result_count == 1


def test_issue_13_the_date_hierarchy_follows_a_new_year(mediator_client, seller_account, buyer):
    discussions = _open(seller_account, buyer, 1)
    body = mediator_client.get(reverse(CHANGELIST)).content.decode()
    year = discussions[0].created_at.year
    assert f"created_at__year={year - 1}" not in body
    a_year_before = OPENED.replace(year=OPENED.year - 1)
    older = open_discussion(
        make_order(OfferFactory(seller_account=seller_account, stock=10), buyer, now=a_year_before - DAY),
        now=a_year_before,
    )
    assert older.created_at.year == year - 1
    body = mediator_client.get(reverse(CHANGELIST)).content.decode()
    assert f"created_at__year={year - 1}" in body and f"created_at__year={year}" in body


def test_issue_13_the_table_version_is_the_discussion_tables(settings):
    from django.contrib import admin

    assert admin.site.get_model_admin(Discussion).changelist_table_version == table_version_key(Discussion)
