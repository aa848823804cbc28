"""SAFE-02: an action applies to the state the page showed. A page's buttons carry the
version of the Discussion they were rendered from (and an answer names the proposal it
answers); if the Discussion changed in the meantime, nothing happens and the page says
what changed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.money import money
from discussions import services
from discussions.models import Compensation, Discussion, Proposal, Reason
from tests.discussions.conftest import fresh, make_order, open_discussion
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_discussion(offer, buyer):
    """PRODUCT_PROBLEM about the 100.00 PLN headphones, opened a day ago."""
    order = make_order(offer, buyer, now=timezone.now() - timedelta(days=2))
    return open_discussion(
        order,
        reason=Reason.PRODUCT_PROBLEM,
        expected_solution="PARTIAL_REFUND",
        expected_percent=50,
        now=timezone.now() - timedelta(days=1),
    )


def propose(discussion, seller, percent):
    return services.propose_solution(fresh(discussion), seller=seller, solution="PARTIAL_REFUND", percent=percent)


@pytest.mark.parametrize("slug", ["accept", "decline"])
def test_safe_02_answering_a_proposal_the_seller_replaced_meanwhile_does_nothing_and_says_so(
    client, buyer, seller, live_discussion, slug
):
    propose(live_discussion, seller, 90)
    client.force_login(buyer)
    action = reverse("discussions:buyer_action", args=[live_discussion.pk, slug])
    seen = hidden_fields(client.get(live_discussion.get_absolute_url()), action)  # the buyer reads 90 %
    replacement = propose(live_discussion, seller, 1)  # the seller replaces it with 1 %

    response = client.post(action, seen)

    assert response.status_code == 302
    assert Proposal.objects.get(pk=replacement.pk).status == Proposal.Status.PENDING
    assert not Proposal.objects.filter(discussion=live_discussion, status__in=["ACCEPTED", "DECLINED"]).exists()
    assert fresh(live_discussion).is_open
    messages = flashed(response)
    assert [level for level, _text in messages] == ["error"], messages
    text = messages[0][1]
    # Both proposals named, with their amounts in the market's money format.
    assert "1%" in text and "90%" in text, text
    assert money(1, "PLN") in text and money(90, "PLN") in text, text


def test_safe_02_mark_resolved_after_a_new_proposal_arrived_does_nothing_and_says_so(
    client, buyer, seller, live_discussion
):
    client.force_login(buyer)
    action = reverse("discussions:buyer_action", args=[live_discussion.pk, "resolve"])
    seen = hidden_fields(client.get(live_discussion.get_absolute_url()), action)
    propose(live_discussion, seller, 40)

    response = client.post(action, seen)

    assert response.status_code == 302
    assert fresh(live_discussion).is_open
    messages = flashed(response)
    assert [level for level, _text in messages] == ["error"], messages
    assert "40%" in messages[0][1]


def test_safe_02_the_page_after_a_refusal_applies_to_the_new_state(client, buyer, seller, live_discussion):
    propose(live_discussion, seller, 90)
    client.force_login(buyer)
    action = reverse("discussions:buyer_action", args=[live_discussion.pk, "accept"])
    seen = hidden_fields(client.get(live_discussion.get_absolute_url()), action)
    replacement = propose(live_discussion, seller, 1)
    refused = client.post(action, seen)

    confirmation = client.post(action, hidden_fields(client.get(refused["Location"]), action))  # SAFE-03
    again = client.post(action, hidden_fields(confirmation, action))

    assert again.status_code == 302
    assert Proposal.objects.get(pk=replacement.pk).status == Proposal.Status.ACCEPTED
    assert fresh(live_discussion).status == Discussion.Status.RESOLVED


def test_safe_02_a_mediator_decision_on_a_state_that_changed_meanwhile_does_nothing(
    client, mediator, seller, live_discussion
):
    services.join_discussion(fresh(live_discussion), mediator=mediator)
    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_protect", args=[live_discussion.pk])
    seen = hidden_fields(client.get(url))  # the mediator opens the decision page
    propose(live_discussion, seller, 40)  # the seller makes an offer meanwhile

    response = client.post(url, {**seen, "amount": "50.00", "reason": "Towar uszkodzony"})

    assert not Compensation.objects.exists()
    assert fresh(live_discussion).is_open
    assert response.status_code == 200
    assert "40%" in response.content.decode()
    # The page shown again carries the new state: confirming it now applies.
    confirmed = client.post(url, {**hidden_fields(response), "amount": "50.00", "reason": "Towar uszkodzony"})
    assert confirmed.status_code == 302
    assert Compensation.objects.filter(discussion=live_discussion).count() == 1
