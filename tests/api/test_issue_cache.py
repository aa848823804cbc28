"""API-01: rendered issues kept per process (api.issue_cache). An issue comes from the
cache only while nothing it shows has changed; every response still goes through the
excerpt's contract check."""

import pytest
from django.utils import timezone

from api import issue_cache
from api import issue_mapping as s
from api.issue_queries import issue_rows
from discussions import rules, services
from discussions.models import Discussion, Message, Role
from tests.api.contract import body
from tests.discussions.conftest import HOUR, OPENED, REPLY_DUE, make_order, open_discussion

NOW = OPENED + 2 * HOUR


@pytest.fixture(autouse=True)
def _clean_cache(time_machine):
    time_machine.move_to(NOW, tick=False)
    issue_cache.clear()
    yield
    issue_cache.clear()


@pytest.fixture
def mapped(monkeypatch):
    """How many issues were mapped (not taken from the cache)."""
    calls = []
    original = s.issue

    def counting(row, **kwargs):
        calls.append(row.id)
        return original(row, **kwargs)

    monkeypatch.setattr(s, "issue", counting)
    return calls


@pytest.fixture
def discussion(offer, buyer):
    return open_discussion(make_order(offer, buyer), text="Where is my parcel?")


def test_api_01_an_unchanged_issue_is_served_from_the_cache(api, discussion, mapped):
    first = api.get("/sale/issues")
    second = api.get("/sale/issues")
    detail = api.get(f"/sale/issues/{discussion.public_id}")

    assert first.content == second.content
    assert body(detail) == body(first)["issues"][0]
    assert mapped == [discussion.pk]


def test_api_01_a_new_message_changes_the_issue_at_once(api, discussion, seller, mapped):
    before = body(api.get("/sale/issues"))["issues"][0]
    services.post_message(discussion, author=seller, role=Role.SELLER, text="Sent today.", now=NOW)
    after = body(api.get("/sale/issues"))["issues"][0]

    assert before["chat"]["messagesCount"] + 1 == after["chat"]["messagesCount"]
    assert after["chat"]["lastMessage"]["status"] == Discussion.LastMessageStatus.SELLER_REPLIED
    assert len(mapped) == 2


def test_ops_02_another_node_serves_a_change_made_on_this_one(api, discussion, seller, mapped):
    """The rendered issues are kept in each node's memory, under a key made of the row the
    request reads: a node that never ran the change itself serves it at once."""
    before = body(api.get("/sale/issues"))["issues"][0]
    node_b = dict(issue_cache._entries)  # node B's memory: the issue as it was

    services.post_message(discussion, author=seller, role=Role.SELLER, text="Sent today.", now=NOW)  # node A

    issue_cache.clear()
    issue_cache._entries.update(node_b)
    after = body(api.get("/sale/issues"))["issues"][0]
    assert after["chat"]["messagesCount"] == before["chat"]["messagesCount"] + 1
    assert after["chat"]["lastMessage"]["status"] == Discussion.LastMessageStatus.SELLER_REPLIED
    assert len(mapped) == 2
    # A node whose memory is empty renders the same issue.
    issue_cache.clear()
    assert body(api.get("/sale/issues"))["issues"][0] == after


def test_api_01_rpt_03_hiding_the_initial_message_changes_the_issue_at_once(api, discussion, mediator):
    before = body(api.get("/sale/issues"))["issues"][0]
    opening = Message.objects.get(discussion=discussion, author_role=Role.BUYER)
    Message.objects.filter(pk=opening.pk).update(hidden_at=NOW, hidden_by=mediator)
    after = body(api.get("/sale/issues"))["issues"][0]

    assert before["chat"]["initialMessage"]["text"] == "Where is my parcel?"
    assert after["chat"]["initialMessage"]["text"] != "Where is my parcel?"


def test_api_01_each_language_has_its_own_rendering(api, discussion):
    english = body(api.get("/sale/issues", language="en-US"))["issues"][0]
    czech = body(api.get("/sale/issues", language="cs-CZ"))["issues"][0]
    assert english["subject"] != czech["subject"]
    assert body(api.get("/sale/issues", language="en-US"))["issues"][0] == english


def test_api_01_the_cache_can_be_turned_off(api, discussion, mapped, settings):
    settings.API_ISSUE_CACHE_SIZE = 0
    api.get("/sale/issues")
    api.get("/sale/issues")
    assert mapped == [discussion.pk, discussion.pk]


def test_api_01_the_cache_keeps_at_most_its_size(api, offer, buyer, mapped, settings):
    settings.API_ISSUE_CACHE_SIZE = 2
    for _ in range(3):
        open_discussion(make_order(offer, buyer))
    api.get("/sale/issues")
    api.get("/sale/issues")
    # The first page maps all three and keeps the last two; the second maps the third again.
    assert len(mapped) == 4
    assert len(set(mapped)) == 3
    assert len(issue_cache._entries) == 2


def test_api_01_dsc_22_the_sellers_actions_depend_only_on_the_row_not_on_the_clock(discussion):
    """The cache relies on this: if the seller's actions ever depend on the time, the key
    must include it."""
    (row,) = issue_rows(Discussion.objects.filter(pk=discussion.pk))
    instants = [OPENED, NOW, REPLY_DUE, REPLY_DUE + 40 * 24 * HOUR, timezone.now()]
    answers = {repr(rules.allowed_actions(row, Role.SELLER, instant)) for instant in instants}
    assert len(answers) == 1
