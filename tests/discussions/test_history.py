"""MED-02, issue 13: both parties' history in the case view comes from the cache
(discussions.history), without the case on screen, and every change to a counted
column of a party's Discussion shows on the next view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import history, services, tasks
from discussions.models import Discussion
from tests.discussions.conftest import DAY, HOUR, OPENED, REPLY_DUE, SECOND, fresh, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulk(seller_account):
    return OfferFactory(seller_account=seller_account, title="Cable", stock=1000)


def _case(client, discussion):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:discussions_discussion_change", args=[discussion.pk]))
    assert response.status_code == 200
    counts = sum("COUNT(" in query["sql"] and "discussions_discussion" in query["sql"] for query in queries)
    return response.context["history"], counts


def test_med_02_history_leaves_out_the_case_and_is_read_once(client, mediator, bulk, buyer):
    other = open_discussion(make_order(bulk, buyer))
    services.mark_unresolved(other, buyer=buyer, now=OPENED + 8 * DAY)
    case = open_discussion(make_order(bulk, buyer))
    client.force_login(mediator)

    shown, counts = _case(client, case)
    assert shown["buyer"] == {"total": 1, "open": 1, "unresolved": 1, "help": 0}
    assert shown["seller"] == {"total": 1, "open": 1, "unresolved": 1, "ignored": 0}
    assert counts == 2  # the buyer's and the seller's, once
    assert _case(client, case) == (shown, 0)
    # The other case of the same parties uses the same counts, without itself.
    shown, counts = _case(client, other)
    assert counts == 0
    assert shown["buyer"] == {"total": 1, "open": 1, "unresolved": 0, "help": 0}


def test_med_02_a_status_change_shows_at_once_in_the_other_cases_history(client, mediator, bulk, buyer):
    other = open_discussion(make_order(bulk, buyer))
    case = open_discussion(make_order(bulk, buyer))
    client.force_login(mediator)
    assert _case(client, case)[0]["buyer"]["unresolved"] == 0

    services.mark_unresolved(fresh(other), buyer=buyer, now=OPENED + 8 * DAY)  # QuerySet.update()
    assert _case(client, case)[0]["buyer"]["unresolved"] == 1
    third = open_discussion(make_order(bulk, buyer))
    assert _case(client, case)[0]["buyer"] == {"total": 2, "open": 2, "unresolved": 1, "help": 0}
    services.mark_resolved(fresh(third), buyer=buyer, now=OPENED + 9 * DAY)
    assert _case(client, case)[0]["buyer"] == {"total": 2, "open": 1, "unresolved": 1, "help": 0}


def test_med_02_a_request_for_help_and_an_ignored_mediator_show_at_once(client, mediator, bulk, buyer):
    other = open_discussion(make_order(bulk, buyer))
    case = open_discussion(make_order(bulk, buyer))
    client.force_login(mediator)
    assert _case(client, case)[0]["buyer"]["help"] == 0

    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    services.ask_for_help(fresh(other), buyer=buyer, now=REPLY_DUE + HOUR)
    assert _case(client, case)[0]["buyer"]["help"] == 1
    Discussion.objects.filter(pk=other.pk).update(seller_ignored_mediator_at=REPLY_DUE + 2 * HOUR)
    assert _case(client, case)[0]["seller"]["ignored"] == 1


def test_med_02_a_new_discussion_shows_at_once(client, mediator, bulk, buyer):
    case = open_discussion(make_order(bulk, buyer))
    client.force_login(mediator)
    assert _case(client, case)[0]["buyer"]["total"] == 0

    open_discussion(make_order(bulk, buyer))
    assert _case(client, case)[0]["buyer"]["total"] == 1
    assert _case(client, case)[0]["seller"]["total"] == 1


def test_issue_13_an_update_of_an_uncounted_column_keeps_the_counts(bulk, buyer):
    case = open_discussion(make_order(bulk, buyer))
    history.party_history(case)
    with CaptureQueriesContext(connection) as queries:
        Discussion.objects.filter(pk=case.pk).update(last_message_at=OPENED + HOUR)
        history.party_history(fresh(case))
    assert len(queries) == 2  # the update and fresh(); no parties read, no counts
