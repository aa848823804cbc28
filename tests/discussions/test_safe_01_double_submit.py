"""SAFE-01 on the Discussion pages and the mediators' desk: the same form sent twice (a
double click, a reload, the back button) has one effect, and the second answer shows
the result of the first.

Each test loads the page as a browser would, takes the hidden fields of the form (the
one-time form token among them) and sends the form twice. Allegro Protect sent twice at
the same instant is in test_safe_01_races.py (PostgreSQL).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Compensation, Discussion, Message, Proposal, Reason, Role, StatusChange
from tests.discussions.conftest import make_order, open_discussion
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_order(offer, buyer):
    return make_order(offer, buyer, now=timezone.now() - timedelta(days=2))


@pytest.fixture
def live_discussion(recent_order):
    """PRODUCT_PROBLEM expecting a partial refund, opened a day ago."""
    return open_discussion(
        recent_order,
        reason=Reason.PRODUCT_PROBLEM,
        expected_solution="PARTIAL_REFUND",
        expected_percent=50,
        now=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def proposed(live_discussion, seller):
    services.propose_solution(
        live_discussion, seller=seller, solution="PARTIAL_REFUND", percent=30, now=timezone.now() - timedelta(hours=1)
    )
    return live_discussion


def sent_twice(client, page_url, action, data=None, confirmed=False):
    """The form of `page_url` posting to `action`, sent twice; `confirmed`: an
    irreversible action, whose button shows a confirmation page first (SAFE-03): the
    confirmation's form is the one sent twice."""
    fields = hidden_fields(client.get(page_url), action)
    if confirmed:
        fields = hidden_fields(client.post(action, {**(data or {}), **fields}), action)
    post_to = action or page_url
    data = data or {}
    return client.post(post_to, {**data, **fields}), client.post(post_to, {**data, **fields})


def assert_repeat_shows_the_first(first, second):
    assert first.status_code == 302, first.content.decode()[:500]
    assert second.status_code == 302, second.content.decode()[:500]
    assert second["Location"] == first["Location"]
    levels = [level for level, _text in flashed(second)]
    assert "error" not in levels and "info" in levels, flashed(second)


def test_safe_01_a_message_sent_twice_is_posted_once(client, buyer, live_discussion):
    client.force_login(buyer)
    action = reverse("discussions:buyer_message", args=[live_discussion.pk])

    first, second = sent_twice(client, live_discussion.get_absolute_url(), action, {"text": "Czy paczka wyszła?"})

    assert Message.objects.filter(discussion=live_discussion, author=buyer).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_a_seller_message_sent_twice_is_posted_once(client, seller, live_discussion):
    client.force_login(seller)
    action = reverse("discussions:seller_message", args=[live_discussion.pk])

    first, second = sent_twice(client, live_discussion.get_seller_url(), action, {"text": "Wysłałem wczoraj."})

    assert Message.objects.filter(discussion=live_discussion, author_role=Role.SELLER).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_opening_a_discussion_sent_twice_opens_one_and_shows_it(client, buyer, recent_order):
    client.force_login(buyer)
    url = reverse("discussions:open", args=[recent_order.pk])

    first, second = sent_twice(
        client, url, None, {"line": recent_order.lines.get().pk, "reason": Reason.NOT_RECEIVED, "text": "Gdzie?"}
    )

    discussion = Discussion.objects.get(order=recent_order)
    assert first["Location"] == discussion.get_absolute_url()
    assert_repeat_shows_the_first(first, second)


@pytest.mark.parametrize(("slug", "status"), [("accept", "ACCEPTED"), ("decline", "DECLINED")])
def test_safe_01_an_answer_to_a_proposal_sent_twice_is_given_once(client, buyer, proposed, slug, status):
    client.force_login(buyer)
    action = reverse("discussions:buyer_action", args=[proposed.pk, slug])

    first, second = sent_twice(client, proposed.get_absolute_url(), action, confirmed=slug == "accept")

    assert list(Proposal.objects.filter(discussion=proposed).values_list("status", flat=True)) == [status]
    code = "PROPOSAL_ACCEPTED" if slug == "accept" else "PROPOSAL_DECLINED"
    assert Message.objects.filter(discussion=proposed, auto_code=code).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_mark_resolved_sent_twice_is_done_once(client, buyer, live_discussion):
    client.force_login(buyer)
    action = reverse("discussions:buyer_action", args=[live_discussion.pk, "resolve"])

    first, second = sent_twice(client, live_discussion.get_absolute_url(), action, confirmed=True)

    assert StatusChange.objects.filter(discussion=live_discussion, to_status=Discussion.Status.RESOLVED).count() == 1
    assert_repeat_shows_the_first(first, second)


def test_safe_01_a_proposal_sent_twice_is_made_once(client, seller, live_discussion):
    client.force_login(seller)
    action = reverse("discussions:seller_propose", args=[live_discussion.pk])

    first, second = sent_twice(
        client, live_discussion.get_seller_url(), action, {"solution": "PARTIAL_REFUND", "percent": "20"}
    )

    assert Proposal.objects.filter(discussion=live_discussion).count() == 1
    assert_repeat_shows_the_first(first, second)


# --- The mediators' desk ----------------------------------------------------------------


@pytest.fixture
def joined(live_discussion, mediator):
    return services.join_discussion(live_discussion, mediator=mediator)


def test_safe_01_a_message_as_allegro_sent_twice_is_posted_once(client, mediator, joined):
    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_post", args=[joined.pk])

    first, second = sent_twice(client, url, None, {"text": "Prosimy o zdjęcia."})

    assert Message.objects.filter(discussion=joined, author_role=Role.MEDIATOR).count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]


def test_safe_01_allegro_protect_sent_twice_is_granted_once(client, mediator, joined):
    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_protect", args=[joined.pk])

    first, second = sent_twice(client, url, None, {"amount": "50.00", "reason": "Towar uszkodzony"})

    assert Compensation.objects.filter(discussion=joined).count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
