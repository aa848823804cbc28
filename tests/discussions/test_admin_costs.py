"""Issue 13: what the mediators' desk costs per request (the case view of a Discussion
with 30 messages, the mediators' queue, the Discussion list), in Python function calls
(cProfile) and queries, so that a change that brings back per-row work (Django's form
wrappers, a template filter, a translation or a query per row) fails here. And that the
cheap renderings show exactly what Django's own change form and changelist showed.

Bounds are about 1.3 times what was measured when the pages were made cheap (the second
time, after the admin site's app list, sidebar and user tools, compiled queries and
rendered fragments were cached); the calls a row adds are bounded on their own, from
pages of 5 and of 25 rows."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import services, tasks
from discussions.admin.discussion import DiscussionAdmin
from discussions.models import Attachment, Discussion, Message, Proposal, Role, Solution
from tests.costs import request_cost
from tests.discussions.conftest import DAY, HOUR, OPENED, REPLY_DUE, SECOND, fresh, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:discussions_queue"
CHANGELIST = "admin:discussions_discussion_changelist"


def _cost(client, path):
    return request_cost(client, path)


def _growth(client, seller_account, buyer, path):
    """How many more Python calls `path` costs with 25 cases waiting than with 5."""
    _waiting(seller_account, buyer, 5)
    five, _queries = _cost(client, path)
    _waiting(seller_account, buyer, 20)
    twenty_five, _queries = _cost(client, path)
    return twenty_five - five


def _waiting(seller_account, buyer, count):
    """`count` open Discussions waiting for a mediator: every other one marked
    unresolved by the buyer, the others with the buyer's request for help."""
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    discussions = []
    for i in range(count):
        discussion = open_discussion(make_order(offer, buyer), now=OPENED + i * SECOND)
        discussions.append(discussion)
    tasks.mark_seller_overdue(now=REPLY_DUE + count * SECOND)
    for i, discussion in enumerate(discussions):
        if i % 2:
            services.mark_unresolved(fresh(discussion), buyer=buyer, now=OPENED + 8 * DAY + i * SECOND)
        else:
            services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR + i * SECOND)
    return discussions


@pytest.fixture
def mediator_client(client, mediator):
    client.force_login(mediator)
    return client


@pytest.fixture
def case(bulk_offer, buyer, seller, mediator):
    """A Discussion with 30 messages, an attachment, a hidden message, a proposal, the
    mediator joined and the buyer's request for help."""
    discussion = open_discussion(make_order(bulk_offer, buyer))
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR)
    services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + 2 * HOUR)
    for i in range(30 - Message.objects.filter(discussion=discussion).count()):
        author, role = (seller, Role.SELLER) if i % 2 else (buyer, Role.BUYER)
        services.post_message(
            fresh(discussion), author=author, role=role, text=f"Wiadomość <{i}>\nlinia", now=REPLY_DUE + (3 + i) * HOUR
        )
    message = Message.objects.filter(discussion=discussion, author_role=Role.SELLER).last()
    Attachment.objects.create(
        message=message, file="a/paragon.jpg", original_name="paragon <1>.jpg", content_type="image/jpeg", size=12345
    )
    Message.objects.filter(pk=message.pk).update(hidden_at=REPLY_DUE + 40 * HOUR, hidden_by=mediator)
    Proposal.objects.create(
        discussion=discussion, solution=Solution.REPLACEMENT, requires_return=True, created_at=REPLY_DUE + 4 * HOUR
    )
    assert Message.objects.filter(discussion=discussion).count() == 30
    return fresh(discussion)


def _normalized(html):
    """The page's markup without the whitespace between tags and the CSRF token."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


# --- MED-02: the case view ---------------------------------------------------------------


def test_med_02_case_view_of_30_messages_costs_a_bounded_number_of_calls_and_queries(mediator_client, case):
    calls, queries = _cost(mediator_client, reverse("admin:discussions_discussion_change", args=[case.pk]))
    # About 21,000 calls and 12 queries (SQLite and PostgreSQL).
    assert calls < 28_000
    assert queries <= 12


def test_med_02_case_view_shows_what_djangos_change_form_shows(rf, mediator, admin_user, case):
    """The cheap rendering (case_view) and Django's change form of the same ModelAdmin
    (change_form_view) give the same markup, for a mediator and for a superuser (who
    sees the save buttons)."""
    model_admin = admin.site.get_model_admin(Discussion)
    url = reverse("admin:discussions_discussion_change", args=[case.pk])
    for user in (mediator, admin_user):
        pages = []
        for view in (model_admin.change_view, model_admin.change_form_view):
            request = rf.get(url)
            request.user = user
            request.session = {}
            request._messages = []
            response = view(request, str(case.pk))
            pages.append(_normalized(response.render().content.decode()))
        cheap, django = pages
        assert "paragon &lt;1&gt;.jpg" in cheap and "hidden-message" in cheap and "field-solution" in cheap
        assert cheap == django


# --- MED-01: the mediators' queue --------------------------------------------------------


def test_med_01_queue_of_25_cases_costs_a_bounded_number_of_calls_and_queries(mediator_client, seller_account, buyer):
    _waiting(seller_account, buyer, 25)
    calls, queries = _cost(mediator_client, reverse(QUEUE))
    # About 21,500 calls on SQLite, 15,600 on PostgreSQL (its SQL written once); 8 queries.
    assert calls < 28_000
    assert queries <= 8


def test_med_01_a_queue_row_adds_a_bounded_number_of_calls(mediator_client, seller_account, buyer):
    growth = _growth(mediator_client, seller_account, buyer, reverse(QUEUE))
    # About 200 calls a row (its values, one dataclass, one string; here the seller's
    # account also crosses the threshold and is loaded too).
    assert growth < 20 * 260


# --- The Discussion list -----------------------------------------------------------------


def test_med_01_discussion_list_of_25_rows_costs_a_bounded_number_of_calls_and_queries(
    mediator_client, seller_account, buyer
):
    _waiting(seller_account, buyer, 25)
    calls, queries = _cost(mediator_client, reverse(CHANGELIST))
    # About 24,000 calls on SQLite, 22,000 on PostgreSQL; 8 queries.
    assert calls < 32_000
    assert queries <= 8


def test_med_01_a_discussion_list_row_adds_a_bounded_number_of_calls(
    mediator_client, seller_account, buyer, monkeypatch
):
    # Each row rendered on every request (not reused: see the test after this one).
    monkeypatch.setattr(DiscussionAdmin, "changelist_rows_pure", False)
    growth = _growth(mediator_client, seller_account, buyer, reverse(CHANGELIST))
    # About 130 calls a row on SQLite, 80 on PostgreSQL: its plain values and one
    # string, no model instances.
    assert growth < 20 * 170


def test_issue_13_a_reused_discussion_list_row_costs_a_few_calls(mediator_client, seller_account, buyer):
    growth = _growth(mediator_client, seller_account, buyer, reverse(CHANGELIST))
    # Rendered on the first request; then read and looked up by its values: about 50 calls
    # on SQLite (reading its values), against 130 when each row is rendered.
    assert growth < 20 * 65


def test_issue_13_a_reused_row_shows_its_changed_values_and_the_language(
    mediator_client, seller_account, buyer, mediator, settings
):
    settings.DEBUG = False
    discussions = _waiting(seller_account, buyer, 3)
    path = reverse(CHANGELIST)

    def row_of(discussion, response):
        return next(str(row) for row in response.context["changelist_rows"] if f"/{discussion.pk}/change/" in str(row))

    before = row_of(discussions[0], mediator_client.get(path))
    assert row_of(discussions[0], mediator_client.get(path)) == before  # reused
    services.join_discussion(fresh(discussions[0]), mediator=mediator, now=REPLY_DUE + 2 * DAY)
    response = mediator_client.get(path)
    after = row_of(discussions[0], response)
    assert after != before and f'<td class="field-mediator nowrap">{mediator.username}</td>' in after
    assert [str(row) for row in response.context["changelist_rows"]] == [
        "".join(result) for result in results(response.context["cl"])
    ]
    mediator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = mediator_client.get(path)
    assert [str(row) for row in english.context["changelist_rows"]] == [
        "".join(result) for result in results(english.context["cl"])
    ]
    assert row_of(discussions[0], english) != after


def test_issue_13_each_page_and_order_of_the_compiled_list_is_djangos(
    mediator_client, seller_account, buyer, monkeypatch
):
    """The unfiltered list's SQL is compiled once per order and page (changelist_queryset_fixed):
    every page in every order still shows what Django's changelist reads."""
    monkeypatch.setattr(DiscussionAdmin, "list_per_page", 2)
    _waiting(seller_account, buyer, 5)
    seen = []
    for params in ({}, {"o": "3.-9"}, {"o": "-1"}):
        for page in (1, 2, 3):
            for _twice in range(2):
                response = mediator_client.get(reverse(CHANGELIST), {**params, "p": page})
                rows = [str(row) for row in response.context["changelist_rows"]]
                assert rows == ["".join(result) for result in results(response.context["cl"])]
            seen.append(tuple(rows))
    assert len(set(seen)) > 3


@pytest.mark.parametrize("prepared", [True, False])
def test_issue_13_the_compiled_list_joins_where_postgresql_keeps_its_plan(
    mediator_client, seller_account, buyer, prepared, monkeypatch
):
    """With prepared statements the unfiltered page's related columns are joins (planned
    once); without them (behind PgBouncer) scalar subqueries, which plan faster. Both read
    Django's rows."""
    import core.prepared

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements.")
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", 5 if prepared else None)
    monkeypatch.setattr(core.prepared, "_shapes", type(core.prepared._shapes)())
    _waiting(seller_account, buyer, 3)
    with CaptureQueriesContext(connection) as queries:
        response = mediator_client.get(reverse(CHANGELIST))
    (page,) = [q["sql"] for q in queries if "LIMIT 100" in q["sql"] or "waiting_from" in q["sql"]]
    joined = (
        'FROM "discussions_discussion" INNER JOIN' in page or 'FROM "discussions_discussion" LEFT OUTER JOIN' in page
    )
    assert joined == prepared and ("(SELECT U0." in page) == (not prepared)
    rows = [str(row) for row in response.context["changelist_rows"]]
    assert rows == ["".join(result) for result in results(response.context["cl"])]


@pytest.mark.parametrize("params", [{}, {"queue": "needs_mediator", "market": "PL"}, {"o": "3.-9"}])
def test_med_01_discussion_list_rows_are_djangos_rows(mediator_client, seller_account, buyer, mediator, params):
    """The rows of core.admin.changelist_rows are the ones Django's items_for_result
    renders, with filters kept in the links, empty values, icons and dates."""
    discussions = _waiting(seller_account, buyer, 6)
    services.join_discussion(fresh(discussions[0]), mediator=mediator, now=REPLY_DUE + 2 * DAY)
    response = mediator_client.get(reverse(CHANGELIST), params)
    cl = response.context["cl"]
    rows = response.context["changelist_rows"]
    assert [str(row) for row in rows] == ["".join(result) for result in results(cl)]
    assert len(rows) == len(cl.result_list) > 0
    assert '<tr><td class="action-checkbox">' in response.content.decode()


def test_med_01_discussion_list_counts_once_without_filters_and_twice_with_them(mediator_client, seller_account, buyer):
    _waiting(seller_account, buyer, 3)
    with CaptureQueriesContext(connection) as plain:
        mediator_client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as filtered:
        mediator_client.get(reverse(CHANGELIST), {"status__exact": Discussion.Status.UNRESOLVED})

    def counts(queries):
        return [q["sql"] for q in queries if 'COUNT(*) AS "__count" FROM "discussions_discussion"' in q["sql"]]

    assert len(counts(plain)) == 1
    assert len(counts(filtered)) == 2
    assert "(3 total)" not in mediator_client.get(reverse(CHANGELIST)).content.decode()


def test_med_01_queue_pages_past_the_end_show_the_last_page(mediator_client, seller_account, buyer, settings):
    _waiting(seller_account, buyer, 3)
    response = mediator_client.get(reverse(QUEUE), {"page": 9})
    assert response.context["page"].number == 1 and len(response.context["items"]) == 3
    assert mediator_client.get(reverse(QUEUE), {"page": "x"}).context["page"].number == 1
    assert response.context["page"].paginator.count == 3


def test_med_01_an_empty_queue_has_no_rows(mediator_client):
    response = mediator_client.get(reverse(QUEUE))
    assert response.context["page"].paginator.count == 0 and not response.context["items"]


def test_med_01_queue_waiting_texts_are_timesince_of_each_case(mediator_client, seller_account, buyer):
    from django.utils.timesince import timesince

    _waiting(seller_account, buyer, 4)
    response = mediator_client.get(reverse(QUEUE))
    page = response.content.decode()
    for item in response.context["items"]:
        assert timesince(item.waiting_from).replace("\xa0", " ")[:4] in page.replace("\xa0", " ")
    assert timedelta(0) < response.context["items"][0].waiting


@pytest.mark.parametrize("language", ["pl", "en", "hu"])
def test_med_01_queue_waiting_texts_are_timesince_for_every_unit(language):
    """The queue's waiting texts, written per (unit, number) once per page, are what
    timesince() writes, for waits of minutes, hours, days and weeks (and none beyond)."""
    from datetime import UTC, datetime

    from django.utils import translation
    from django.utils.timesince import timesince

    from discussions.admin import waited_texts

    now = datetime(2026, 12, 3, 12, 0, 0, 500_000, tzinfo=UTC)
    minute, hour, day, week = 60, 3600, 86400, 7 * 86400
    waits = [-5, 0, 1, 59, 60, 61, 119, 3599, hour, hour + 59, hour + 60, 2 * hour + 5 * minute, day - 1, day]
    waits += [day + minute, day + hour, 2 * day + 23 * hour + 59 * minute, week - 1, week, week + hour]
    waits += [week + day, 2 * week + 3 * day + 4 * hour, 4 * week - 1]
    with translation.override(language):
        waited = waited_texts()
        for seconds in waits:
            assert waited(seconds) == timesince(now - timedelta(seconds=seconds), now), seconds
        assert waited(4 * week) is None


def _plan(sql):
    import json

    from django.db import transaction

    def nodes(plan):
        yield plan
        for child in plan.get("Plans", []):
            yield from nodes(child)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return list(nodes(plan[0]["Plan"]))


@pytest.mark.parametrize("filters", [{}, {"market": "PL", "state": "WAITING"}])
def test_med_01_queue_page_and_count_read_dsc_queue_waiting_idx(seller_account, buyer, filters):
    """On PostgreSQL the Discussions of a queue page are the first entries of
    dsc_queue_waiting_idx (an index scan that stops at the page's end), instead of the
    whole table read and sorted."""
    import copy
    import uuid

    from django.db.models.base import ModelState

    from discussions import queue

    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN needs PostgreSQL (set DATABASE_URL=postgres://…).")
    template, *_rest = _waiting(seller_account, buyer, 3)
    # Production-like statistics: most Discussions closed, never waiting.
    template = Discussion.objects.get(pk=template.pk)
    lines = [
        line for _n in range(100) for line in make_order(OfferFactory(seller_account=seller_account), buyer).lines.all()
    ]
    rows = []
    for line in lines:
        row = copy.copy(template)
        row.pk, row._state, row.line, row.public_id = None, ModelState(), line, uuid.uuid4()
        row.status, row.is_open, row.help_requested_at, row.unresolved_at = (
            Discussion.Status.RESOLVED,
            False,
            None,
            None,
        )
        rows.append(row)
    Discussion.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE discussions_discussion")
    sql, params = queue._queue_sql(reasons=None, using=connection.alias, **{"market": None, "state": None, **filters})
    sql, params = queue._queue_query(sql, params, needed=50, limit=50, offset=0)
    assert params is None  # every value written into the SQL once
    page = [
        child
        for node in _plan(sql)
        if node["Node Type"] == "Limit"
        for child in node.get("Plans", [])
        if child.get("Relation Name") == "discussions_discussion"
    ]
    # (The count reads an index too: dsc_queue_waiting_idx alone on the bench's 10,000
    # vacuumed rows; which one depends on the statistics of a test's few rows.)
    assert [(node["Node Type"], node["Index Name"]) for node in page] == [("Index Scan", "dsc_queue_waiting_idx")]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"queue": "needs_mediator", "market": "PL"},
        {"o": "3.-9", "reason__exact": "NOT_RECEIVED"},
        {"created_at__year": "2026"},
        {"created_at__year": "2026", "created_at__month": "11", "created_at__day": "25"},
        {"q": "buyer", "p": "1"},
        {"_facets": "1"},
    ],
)
def test_med_01_discussion_list_parts_rendered_once_are_djangos(rf, mediator, seller_account, buyer, params):
    """The Discussion list's search form, date hierarchy, actions, table head, rows,
    pagination and filters, each rendered once per language and what it shows
    (core.admin.changelist_fragments), give the page Django's own tags give."""
    from django.contrib import admin as django_admin

    _waiting(seller_account, buyer, 4)
    model_admin = django_admin.site.get_model_admin(Discussion)
    pages = []
    for _n in range(2):  # the second time from the caches
        request = rf.get(reverse(CHANGELIST), params)
        request.user = mediator
        request.session = {}
        request._messages = []
        response = model_admin.changelist_view(request)
        context = response.context_data
        assert context["changelist_search"] is not None and context["changelist_dates"] is not None
        assert context["changelist_actions"] is not None and context["changelist_pagination"] is not None
        assert (context["changelist_filters"] is None) == ("_facets" in params)
        cheap = _normalized(response.render().content.decode())
        action_form = context["action_form"]
        django = {
            **context,
            "changelist_search": None,
            "changelist_dates": None,
            "changelist_actions": None,
            "changelist_pagination": None,
            "changelist_filters": None,
            "changelist_rows": None,
            "media": model_admin.media + action_form.media,
        }
        response.context_data = django
        response._is_rendered = False
        pages.append((cheap, _normalized(response.render().content.decode())))
    for cheap, django in pages:
        assert "result_list" in cheap and cheap == django


def test_med_01_discussion_list_dates_by_skip_scan_are_djangos(seller_account, buyer):
    """On PostgreSQL the date hierarchy of the unfiltered list reads its years, months
    and days by a skip scan of created_at's index; they are what datetimes() gives."""
    from django.contrib import admin as django_admin
    from django.utils import timezone

    from core.admin.date_hierarchy import _distinct_local, _local_range

    if connection.vendor != "postgresql":
        pytest.skip("The skip scan is PostgreSQL's.")
    discussions = _waiting(seller_account, buyer, 6)
    for i, discussion in enumerate(discussions):
        # Around local midnights and across months and years.
        Discussion.objects.filter(pk=discussion.pk).update(
            created_at=OPENED - timedelta(days=40 * i, hours=i * 5, minutes=59 * (i % 2))
        )
    model_admin = django_admin.site.get_model_admin(Discussion)
    request = RequestFactory().get(reverse(CHANGELIST))
    request.user = type("Staff", (), {"is_active": True, "is_staff": True, "has_perm": lambda *a: True})()
    cl = model_admin.get_changelist_instance(request)
    field = Discussion._meta.get_field("created_at")
    for zone in ("Europe/Warsaw", "UTC", "America/Sao_Paulo"):
        with timezone.override(zone):
            found = _local_range(cl, field)
            for kind in ("year", "month", "day"):
                expected = [d.replace(tzinfo=None) for d in cl.queryset.datetimes("created_at", kind)]
                assert _distinct_local(cl, field, kind, found) == expected, (zone, kind)


@pytest.mark.parametrize("prepared", [True, False])
def test_issue_13_the_queues_rows_are_read_by_one_sql_text_where_postgresql_keeps_plans(
    mediator_client, seller_account, buyer, prepared, monkeypatch, settings
):
    """Where PostgreSQL keeps plans, a queue page's Discussions are read by SQL that takes
    their ids as one array: the same text for every page, planned once. Behind PgBouncer
    the ids are written into the SQL."""
    from discussions import queue_sources

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements.")
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", 5 if prepared else None)
    monkeypatch.setattr(queue_sources, "_loaders", {})
    monkeypatch.setattr("discussions.admin.mediators_queue.QUEUE_PAGE_SIZE", 3)
    discussions = _waiting(seller_account, buyer, 6)
    texts = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as queries:
            response = mediator_client.get(reverse(QUEUE), {"page": page})
        (loaded,) = [q["sql"] for q in queries if '"q_title"' in q["sql"]]
        texts.append(loaded)
        shown = {item.url for item in response.context["items"]}
        assert len(shown) == 3
    assert ("= ANY(" in texts[0]) == prepared
    # The logged SQL has the ids in; the text sent differs by them only where it is inlined.
    assert {d.pk for d in discussions} >= {int(n) for n in re.findall(r"discussion/(\d+)/change", str(shown))}
