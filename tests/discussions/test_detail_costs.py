"""What one Discussion page costs (issue 13): the buyer's and the seller's page with 30
messages stay within a budget of Python function calls and SQL queries, and a message
more adds only its own few calls (no per-message include, tag or query)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import services
from discussions.models import Discussion, Reason, Role
from tests.costs import request_cost
from tests.discussions.conftest import make_order, open_discussion

pytestmark = pytest.mark.django_db

# Measured on this data (SQLite and PostgreSQL alike), with 30 messages, half of them with
# a report form: about 9,600 calls for the buyer's page and 10,200 for the seller's when the
# page builds its conversation, 7,400 and 7,900 when it was kept; the page cost
# 70,000-75,000 before issue 13. A message adds about 60 calls to the building, none to a
# kept conversation. Bounds: about 1.3x.
MAX_CALLS = {"kept": 10_000, "built": 13_000}
PER_MESSAGE = 80
MAX_QUERIES = {"buyer": 4, "seller": 4}


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False  # rendered fragments and compiled queries are kept, as in production


def _discussion(offer, buyer, seller, messages):
    """A product problem with `messages` messages: the buyer's opening one, then the
    buyer and the seller in turn."""
    start = timezone.now() - timedelta(days=3)
    order = make_order(offer, buyer, now=start)
    discussion = open_discussion(
        order, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPAIR", now=start + timedelta(hours=2), text="Rysa."
    )
    count = discussion.messages.count()
    for i in range(messages - count):
        role, author = (Role.SELLER, seller) if i % 2 == 0 else (Role.BUYER, buyer)
        services.post_message(
            Discussion.objects.get(pk=discussion.pk),
            author=author,
            role=role,
            text=f"Wiadomość {i}\nz drugą linią & <znakami>",
            now=start + timedelta(hours=3, minutes=i),
        )
    assert discussion.messages.count() == messages
    return discussion


class _Forgetful(dict):
    """A conversation cache that keeps nothing: every page builds its conversation."""

    def __setitem__(self, key, value):
        pass


@pytest.fixture(params=["kept", "built"])
def conversation(request, monkeypatch):
    """The page with its conversation's markup kept (a page seen before), or built (the
    first page after a change of the conversation)."""
    if request.param == "built":
        from discussions import detail_presenters

        monkeypatch.setattr(detail_presenters, "_conversations", _Forgetful())
    return request.param


def _cost(client, url):
    return request_cost(client, url)


def _page(client, side, discussion, buyer, seller):
    if side == "buyer":
        client.force_login(buyer)
        return discussion.get_absolute_url()
    client.force_login(seller)
    return discussion.get_seller_url()


@pytest.mark.parametrize("side", ["buyer", "seller"])
def test_issue_13_discussion_page_with_30_messages_stays_within_its_budget(
    client, offer, buyer, seller, side, conversation
):
    discussion = _discussion(offer, buyer, seller, 30)
    url = _page(client, side, discussion, buyer, seller)
    body = client.get(url).content.decode()
    assert body.count('<li class="msg ') == 30
    calls, queries = _cost(client, url)
    assert calls < MAX_CALLS[conversation], calls
    assert queries <= MAX_QUERIES[side]


@pytest.mark.parametrize("side", ["buyer", "seller"])
def test_issue_13_each_message_adds_only_its_own_few_calls(client, offer, buyer, seller, side, conversation):
    few = _discussion(offer, buyer, seller, 5)
    url = _page(client, side, few, buyer, seller)
    calls_5, queries_5 = _cost(client, url)
    many = _discussion(offer, buyer, seller, 30)
    calls_30, queries_30 = _cost(client, _page(client, side, many, buyer, seller))
    # Kept: no growth with the messages (a few calls of slack for per-process caches).
    assert calls_30 - calls_5 < (25 * PER_MESSAGE if conversation == "built" else 100), (calls_5, calls_30)
    assert queries_30 == queries_5


def test_issue_13_the_discussion_page_carries_one_csrf_token_that_works(offer, buyer, seller):
    """The page's forms and header share one masked CSRF token (masked once, not per
    form), and a message sent with it is taken."""
    import re

    from django.test import Client

    discussion = _discussion(offer, buyer, seller, 3)
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    body = client.get(discussion.get_seller_url()).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))
    assert len(tokens) == 1 and body.count('name="csrfmiddlewaretoken"') >= 4
    form_token = re.search(r'name="form_token" value="([^"]+)"', body).group(1)
    response = client.post(
        f"{discussion.get_seller_url()}message/",
        {"csrfmiddlewaretoken": tokens.pop(), "form_token": form_token, "text": "Wysyłam jutro."},
    )
    assert response.status_code == 302
    assert discussion.messages.filter(text="Wysyłam jutro.").exists()
