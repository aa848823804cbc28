"""SAFE-03 on the buyer's Discussion page: marking resolved, marking unresolved, reopening
and accepting a proposal first show a page that says what will happen, in the buyer's
language and the market's money format; only its confirmation acts, once.

The tests send the forms as a browser would: the hidden fields of the page's button (the
one-time form token, the Discussion's version, the proposal), then those of the
confirmation page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core.money import money
from discussions import services
from discussions.models import Discussion, Proposal, Reason, StatusChange
from tests.discussions.conftest import fresh, make_order, open_discussion
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_discussion(offer, buyer):
    """PRODUCT_PROBLEM about the 100.00 PLN headphones, opened 20 days ago (so it can
    already be marked unresolved)."""
    order = make_order(offer, buyer, now=timezone.now() - timedelta(days=21))
    return open_discussion(
        order,
        reason=Reason.PRODUCT_PROBLEM,
        expected_solution="PARTIAL_REFUND",
        expected_percent=50,
        now=timezone.now() - timedelta(days=20),
    )


def action_url(discussion, slug):
    return reverse("discussions:buyer_action", args=[discussion.pk, slug])


def ask(client, discussion, slug):
    """Click the page's button: the answer is the confirmation page."""
    fields = hidden_fields(client.get(discussion.get_absolute_url()), action_url(discussion, slug))
    return client.post(action_url(discussion, slug), fields)


def confirm(client, discussion, slug, confirmation):
    fields = hidden_fields(confirmation, action_url(discussion, slug))
    return client.post(action_url(discussion, slug), fields), client.post(action_url(discussion, slug), fields)


def state(discussion):
    discussion = fresh(discussion)
    return discussion.status, discussion.is_open, discussion.version


@pytest.mark.parametrize(
    ("slug", "says"),
    [
        ("resolve", "zostanie zamknięta jako rozwiązana"),
        ("unresolve", "pracownik Allegro"),
    ],
)
def test_safe_03_marking_first_shows_what_will_happen_and_changes_nothing(client, buyer, live_discussion, slug, says):
    client.force_login(buyer)
    before = state(live_discussion)

    confirmation = ask(client, live_discussion, slug)

    assert confirmation.status_code == 200
    assert state(live_discussion) == before
    assert not StatusChange.objects.filter(discussion=live_discussion).exclude(from_status="").exists()
    assert says in confirmation.content.decode()


def test_safe_03_mark_unresolved_says_allegro_takes_over_and_no_resolving_after(client, buyer, live_discussion):
    client.force_login(buyer)

    page = ask(client, live_discussion, "unresolve").content.decode()

    assert "pracownik Allegro" in page
    assert "nie będziesz już mógł oznaczyć jej jako rozwiązanej" in page


@pytest.mark.parametrize(("slug", "status"), [("resolve", "RESOLVED"), ("unresolve", "UNRESOLVED")])
def test_safe_03_confirming_acts_once(client, buyer, live_discussion, slug, status):
    client.force_login(buyer)
    confirmation = ask(client, live_discussion, slug)

    first, second = confirm(client, live_discussion, slug, confirmation)

    assert first.status_code == 302 and second.status_code == 302
    assert fresh(live_discussion).status == status
    assert StatusChange.objects.filter(discussion=live_discussion, to_status=status).count() == 1
    assert "success" in [level for level, _text in flashed(first)]


def test_safe_03_reopen_says_it_is_the_one_reopen_allowed(client, buyer, live_discussion):
    services.mark_resolved(fresh(live_discussion), buyer=buyer)
    client.force_login(buyer)
    before = state(live_discussion)

    confirmation = ask(client, live_discussion, "reopen")

    assert state(live_discussion) == before
    assert "tylko raz" in confirmation.content.decode()
    first, _second = confirm(client, live_discussion, "reopen", confirmation)
    assert first.status_code == 302
    assert fresh(live_discussion).is_open and fresh(live_discussion).reopen_count == 1


def test_safe_03_accepting_a_percentage_says_the_amount_the_return_and_what_next(
    client, buyer, seller, live_discussion
):
    proposal = services.propose_solution(
        fresh(live_discussion), seller=seller, solution="PARTIAL_REFUND", percent=30, requires_return=True
    )
    client.force_login(buyer)

    confirmation = ask(client, live_discussion, "accept")

    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.PENDING
    page = confirmation.content.decode()
    with translation.override("pl"):
        assert money(Decimal("30.00"), "PLN") in page  # 30 % of 100,00 zł
    assert "odesłać produkt" in page
    assert "zostanie zamknięta jako rozwiązana" in page
    first, second = confirm(client, live_discussion, "accept", confirmation)
    assert first.status_code == 302 and second.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.ACCEPTED
    assert fresh(live_discussion).status == Discussion.Status.RESOLVED


def test_safe_03_accepting_without_a_return_says_so(client, buyer, seller, live_discussion):
    services.propose_solution(fresh(live_discussion), seller=seller, solution="PARTIAL_REFUND", amount="25.50")
    client.force_login(buyer)

    page = ask(client, live_discussion, "accept").content.decode()

    with translation.override("pl"):
        assert money(Decimal("25.50"), "PLN") in page
    assert "Nie musisz odsyłać produktu" in page


def test_safe_03_a_confirmation_of_a_replaced_proposal_does_nothing(client, buyer, seller, live_discussion):
    services.propose_solution(fresh(live_discussion), seller=seller, solution="PARTIAL_REFUND", percent=90)
    client.force_login(buyer)
    confirmation = ask(client, live_discussion, "accept")
    replacement = services.propose_solution(fresh(live_discussion), seller=seller, solution="PARTIAL_REFUND", percent=1)

    first, _second = confirm(client, live_discussion, "accept", confirmation)

    assert first.status_code == 302
    assert Proposal.objects.get(pk=replacement.pk).status == Proposal.Status.PENDING
    assert fresh(live_discussion).is_open
    assert "1%" in flashed(first)[0][1]


def test_safe_03_the_confirmation_is_in_the_users_language(client, buyer, seller, live_discussion):
    services.propose_solution(fresh(live_discussion), seller=seller, solution="PARTIAL_REFUND", percent=30)
    client.force_login(buyer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = ask(client, live_discussion, "accept").content.decode()

    assert "You do not need to send the product back" in page
    with translation.override("en"):
        assert money(Decimal("30.00"), "PLN") in page
