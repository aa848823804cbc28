"""SAFE-04: the seller's request to mark the Discussion as resolved (DSC-12) posts one
message, and can be repeated only after the buyer has written again or 24 hours (plain
elapsed time, TIME-04) after the last request; a refused request says from when, and
the seller's Discussion page shows that date on the disabled button."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from oauth2_provider.models import Application

from api.base import api_time
from core.errors import DomainError
from core.once import ALREADY_DONE
from discussions import rules, services
from discussions.models import Message, Notification, Role
from discussions.presenters import local_text
from discussions.rules import Action
from tests.api.conftest import ApiClient, make_token
from tests.api.contract import body
from tests.discussions.conftest import HOUR, OPENED, SECOND, fresh
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db

ASKED = OPENED + HOUR
AGAIN = ASKED + 24 * HOUR


def ask(discussion, seller, now):
    return services.request_end(fresh(discussion), seller=seller, now=now)


def end_availability(discussion, now):
    return rules.availability(fresh(discussion), Role.SELLER, Action.REQUEST_END, now)


def test_safe_04_a_request_posts_one_message(discussion, seller, buyer):
    before = discussion.messages.count()

    ask(discussion, seller, ASKED)

    added = list(discussion.messages.order_by("pk")[before:].values_list("kind", "author_role"))
    assert added == [(Message.Kind.END_REQUEST, Role.SELLER)]
    assert Notification.objects.filter(recipient=buyer, kind=Notification.Kind.END_REQUESTED).count() == 1


def test_safe_04_a_second_request_at_once_is_refused_with_the_instant(discussion, seller, buyer):
    ask(discussion, seller, ASKED)

    refused = end_availability(discussion, ASKED + HOUR)
    assert not refused.allowed
    assert refused.available_from == AGAIN
    assert "24" in str(refused.reason)
    with translation.override("en"), pytest.raises(DomainError) as error:
        ask(discussion, seller, ASKED + HOUR)
    assert error.value.code == Action.REQUEST_END
    with translation.override("en"):
        assert local_text(AGAIN, discussion.market) in str(error.value.message)
    assert discussion.messages.filter(kind=Message.Kind.END_REQUEST).count() == 1
    assert Notification.objects.filter(recipient=buyer, kind=Notification.Kind.END_REQUESTED).count() == 1


def test_safe_04_a_request_is_allowed_again_after_the_buyer_wrote(discussion, seller, buyer):
    ask(discussion, seller, ASKED)
    services.post_message(fresh(discussion), author=buyer, role=Role.BUYER, text="Jeszcze nie.", now=ASKED + HOUR)
    # The seller answering the buyer does not undo that the buyer wrote after the request.
    services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Rozumiem.", now=ASKED + 2 * HOUR)

    assert end_availability(discussion, ASKED + 3 * HOUR).allowed
    ask(discussion, seller, ASKED + 3 * HOUR)
    assert discussion.messages.filter(kind=Message.Kind.END_REQUEST).count() == 2
    # ...and the new request waits for the buyer again.
    assert end_availability(discussion, ASKED + 4 * HOUR).available_from == ASKED + 27 * HOUR


def test_safe_04_other_messages_after_the_request_do_not_count_as_the_buyer_writing(discussion, seller):
    ask(discussion, seller, ASKED)
    services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Halo?", now=ASKED + HOUR)

    assert not end_availability(discussion, ASKED + 2 * HOUR).allowed


def test_safe_04_a_request_is_allowed_again_24_hours_after_the_last(discussion, seller):
    ask(discussion, seller, ASKED)

    assert not end_availability(discussion, AGAIN - SECOND).allowed
    assert end_availability(discussion, AGAIN).allowed
    ask(discussion, seller, AGAIN)
    assert discussion.messages.filter(kind=Message.Kind.END_REQUEST).count() == 2


def _why(body):
    found = re.search(r'<span class="help" id="why-REQUEST_END">(.*?)</span>', body, re.S)
    assert found, "no disabled request-end button on the page"
    return found.group(1)


def test_safe_04_the_seller_page_says_when_the_request_can_be_repeated(client, seller, discussion):
    client.force_login(seller)
    url = reverse("discussions:seller_request_end", args=[discussion.pk])
    with time_machine.travel(ASKED, tick=False):
        page = client.get(discussion.get_seller_url())
        response = client.post(url, hidden_fields(page, url))
        assert ("success", "Poprosiliśmy kupującego o oznaczenie Dyskusji jako rozwiązanej.") in flashed(response)
    with time_machine.travel(ASKED + HOUR, tick=False):
        body = client.get(discussion.get_seller_url()).content.decode()
    with translation.override("pl"):
        when = local_text(AGAIN, discussion.market)
    assert when in _why(body)
    assert discussion.messages.filter(kind=Message.Kind.END_REQUEST).count() == 1


def test_safe_04_a_repeat_from_another_tab_is_refused_and_says_from_when(client, seller, discussion):
    client.force_login(seller)
    url = reverse("discussions:seller_request_end", args=[discussion.pk])
    with time_machine.travel(ASKED - HOUR, tick=False):
        tab_a = client.get(discussion.get_seller_url())
        tab_b = client.get(discussion.get_seller_url())
    with time_machine.travel(ASKED, tick=False):
        client.post(url, hidden_fields(tab_a, url))
    with time_machine.travel(ASKED + HOUR, tick=False):
        response = client.post(url, hidden_fields(tab_b, url))
    with translation.override("pl"):
        when = local_text(AGAIN, discussion.market)
    errors = [text for level, text in flashed(response) if level == "error"]
    assert len(errors) == 1 and when in errors[0]
    assert discussion.messages.filter(kind=Message.Kind.END_REQUEST).count() == 1


def test_safe_04_the_same_form_sent_twice_says_it_was_done_once(client, seller, discussion):
    """SAFE-01 still holds: a double click is told it was done, not refused."""
    client.force_login(seller)
    url = reverse("discussions:seller_request_end", args=[discussion.pk])
    with time_machine.travel(ASKED, tick=False):
        fields = hidden_fields(client.get(discussion.get_seller_url()), url)
        client.post(url, fields)
        again = client.post(url, fields)
    assert [level for level, _text in flashed(again) if level == "error"] == []
    with translation.override("pl"):
        assert ("info", str(ALREADY_DONE)) in flashed(again)
    assert discussion.messages.filter(kind=Message.Kind.END_REQUEST).count() == 1


@pytest.fixture
def oauth_app(seller):
    return Application.objects.create(
        name="Seller tool",
        user=seller,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://tool.example.com/callback",
    )


def test_safe_04_the_api_allows_the_request_again_24_hours_later_despite_its_cache(
    time_machine, settings, seller, oauth_app, discussion
):
    settings.API_ISSUE_CACHE_SIZE = 100

    def request_end_action(at):
        time_machine.move_to(at, tick=False)
        api = ApiClient(make_token(seller, oauth_app))  # a token lives 12 hours
        [issue] = body(api.get("/sale/issues", language="en-US"))["issues"]
        return {a["action"]: a for a in issue["allowedActions"]}["REQUEST_END"]

    ask(discussion, seller, ASKED)

    waiting = request_end_action(ASKED + HOUR)
    assert waiting["allowed"] is False
    assert waiting["availableFrom"] == api_time(AGAIN)
    assert request_end_action(AGAIN)["allowed"] is True
