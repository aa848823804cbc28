"""Issue 13: the mediators' queue (MED-01), the case view (MED-02) and the Discussion list
are rendered from a frame kept per process with their per-request blocks filled in
(core.admin.frame). Each page must be byte for byte what rendering its whole template
gives, for every user, language, state and flash message, one after the other in one
process."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.template.response import TemplateResponse
from django.test import Client
from django.urls import reverse

from core.admin import FramedTemplateResponse
from core.mediators import MEDIATORS_GROUP
from discussions import services
from discussions.models import Discussion
from tests.discussions.conftest import DAY, HOUR, OPENED, make_order, open_discussion
from tests.factories import OfferFactory, UserFactory
from tests.forms import hidden_fields

pytestmark = pytest.mark.django_db

QUEUE = "admin:discussions_queue"
TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False  # frames are kept, as in production


@pytest.fixture
def cases(seller_account, buyer):
    """Two cases waiting for a mediator, one closed Discussion."""
    offer = OfferFactory(seller_account=seller_account, title="Rower <b>", stock=10)
    waiting = []
    for hours in (1, 2):
        discussion = open_discussion(make_order(offer, buyer))
        Discussion.objects.filter(pk=discussion.pk).update(help_requested_at=OPENED + hours * HOUR)
        waiting.append(Discussion.objects.get(pk=discussion.pk))
    closed = open_discussion(make_order(offer, buyer))
    services.mark_resolved(closed, buyer=buyer, now=OPENED + DAY)
    return [*waiting, Discussion.objects.get(pk=closed.pk)]


@pytest.fixture
def colleague(db):
    user = UserFactory(username="mediator2", first_name="Ewa", is_staff=True)
    user.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
    return user


def _body(client, url, language, framed, monkeypatch):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with monkeypatch.context() as patch:
        if not framed:
            patch.setattr(FramedTemplateResponse, "rendered_content", TemplateResponse.rendered_content)
        response = client.get(url)
    assert response.status_code == 200
    return TOKENS.sub(r"\1X", response.content.decode())


def _pages(cases):
    queue = reverse(QUEUE)
    changelist = reverse("admin:discussions_discussion_changelist")
    return [
        queue,
        f"{queue}?mine=1",
        f"{queue}?q=D9999999",
        f"{queue}?reason=help&page=2",
        *(reverse("admin:discussions_discussion_change", args=[case.pk]) for case in cases),
        changelist,
        f"{changelist}?is_open__exact=1",
        f"{changelist}?q={cases[0].number}",
        f"{changelist}?q=nothing-matches",
        f"{changelist}?_popup=1",
        f"{changelist}?e=1",
        f"{changelist}?created_at__year=2026",
    ]


def test_issue_13_framed_admin_pages_are_what_their_whole_templates_render(
    client, mediator, colleague, cases, monkeypatch
):
    services.assign_case(cases[0], mediator=mediator, to=mediator, now=OPENED + 3 * HOUR)
    for user in (mediator, colleague):
        client.force_login(user)
        for language in ("pl", "en"):
            for url in _pages(cases):
                framed = _body(client, url, language, True, monkeypatch)
                assert framed == _body(client, url, language, False, monkeypatch), (user, language, url)


@pytest.mark.parametrize("page", [QUEUE, "admin:discussions_discussion_changelist"])
def test_issue_13_a_framed_page_shows_its_flash_messages_once(client, mediator, cases, monkeypatch, page):
    """The messages block is filled per request: the message of an assignment shows on
    the next framed page, and only there."""
    client.force_login(mediator)
    url = reverse(page)
    assert "messagelist" not in _body(client, url, "pl", True, monkeypatch)  # the frame is kept
    assign = reverse("admin:discussions_discussion_assign", args=[cases[0].pk])
    response = client.post(assign, {**hidden_fields(client.get(assign)), "action": "assign_to_me"})
    assert response.status_code == 302
    body = _body(client, url, "pl", True, monkeypatch)
    assert 'class="messagelist"' in body and f"Sprawa {cases[0].number} jest przypisana do Ciebie." in body
    assert "messagelist" not in _body(client, url, "pl", True, monkeypatch)


def test_issue_13_framed_pages_carry_the_signed_in_mediator_and_a_working_csrf_token(
    mediator, colleague, cases, monkeypatch
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mediator)
    first = client.get(reverse(QUEUE)).content.decode()
    client.force_login(colleague)
    second = client.get(reverse(QUEUE)).content.decode()
    assert "<strong>Ewa</strong>" in second and "<strong>Ewa</strong>" not in first
    token = re.search(r'id="logout-form".*?name="csrfmiddlewaretoken" value="([^"]+)"', second, re.S).group(1)
    response = client.post(reverse("admin:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302  # signed out (a refused token would be a 403)
    assert "_auth_user_id" not in client.session
