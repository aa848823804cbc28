"""The Discussion page keeps its conversation's markup per process (issue 13) under the
conversation's state read with the Discussion: whatever changes what the conversation
shows (a new message, an attachment, a message hidden by Allegro) shows on the next
page, each reader gets their own report forms, and every form carries the inputs of the
page it is on (SAFE-01)."""

import re

import pytest
from django.conf import settings
from django.test import Client

from discussions import services
from discussions.models import Discussion, Message, Report, Role
from discussions.services import ReportDecision
from tests.discussions.conftest import HOUR, OPENED
from tests.discussions.test_services import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


def say(discussion, user, role, text, hours, **kwargs):
    fresh = Discussion.objects.get(pk=discussion.pk)
    return services.post_message(fresh, author=user, role=role, text=text, now=OPENED + hours * HOUR, **kwargs)


def page(user, discussion, role, language="pl"):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    url = discussion.get_absolute_url() if role == Role.BUYER else discussion.get_seller_url()
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def conversation_of(body):
    """The page's conversation, each form's tokens left out (they are the page's own)."""
    section = body.split('<ol class="conversation">', 1)[1].split("</ol>", 1)[0]
    return re.sub(r'name="(csrfmiddlewaretoken|form_token)" value="[^"]+"', "", section)


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER])
def test_issue_13_a_new_message_shows_on_a_page_whose_conversation_was_kept(discussion, buyer, seller, role):
    reader = buyer if role == Role.BUYER else seller
    say(discussion, seller, Role.SELLER, "Pierwsza odpowiedź", 1)
    first = page(reader, discussion, role)
    assert conversation_of(page(reader, discussion, role)) == conversation_of(first)  # kept as it was built
    say(discussion, buyer, Role.BUYER, "Druga wiadomość kupującego", 2)
    second = page(reader, discussion, role)
    assert "Pierwsza odpowiedź" in second and "Druga wiadomość kupującego" in second
    assert second.count('<li class="msg ') == first.count('<li class="msg ') + 1


def test_issue_13_an_attachment_and_a_hidden_message_show_on_the_next_page(discussion, buyer, seller, mediator):
    threat = say(discussion, seller, Role.SELLER, "Pożałujesz!", 1)
    assert "Pożałujesz!" in page(buyer, discussion, Role.BUYER)
    say(discussion, buyer, Role.BUYER, "Zdjęcie", 2, files=[png_upload("rysa.png")])
    body = page(buyer, discussion, Role.BUYER)
    assert "rysa.png" in body and "Pożałujesz!" in body
    report = services.report_message(threat, reporter=buyer, category=Report.Category.THREAT, now=OPENED + 3 * HOUR)
    services.decide_report(report, mediator=mediator, decision=ReportDecision.HIDE, reason="Groźba")
    for reader, role in ((buyer, Role.BUYER), (seller, Role.SELLER)):
        body = page(reader, discussion, role)
        assert "Pożałujesz!" not in body and "ukryta przez Allegro" in body
        assert "rysa.png" in body


def test_issue_13_rpt_01_each_reader_gets_their_own_report_forms(discussion, buyer, seller):
    by_seller = say(discussion, seller, Role.SELLER, "Od sprzedającego", 1)
    by_buyer = say(discussion, buyer, Role.BUYER, "Od kupującego", 2)
    for _round in range(2):  # built, then kept
        buyer_page = page(buyer, discussion, Role.BUYER)
        seller_page = page(seller, discussion, Role.SELLER)
        assert f'id="report-comment-{by_seller.pk}"' in buyer_page
        assert f'id="report-comment-{by_buyer.pk}"' not in buyer_page
        assert f'id="report-comment-{by_buyer.pk}"' in seller_page
        assert f'id="report-comment-{by_seller.pk}"' not in seller_page


def test_issue_13_the_kept_conversation_follows_the_language(discussion, buyer, seller):
    say(discussion, seller, Role.SELLER, "Odpowiedź", 1)
    assert "Zgłoś naruszenie" in page(buyer, discussion, Role.BUYER, "pl")
    english = page(buyer, discussion, Role.BUYER, "en")
    assert "Report a violation" in english and "Zgłoś naruszenie" not in english


def test_issue_13_safe_01_every_report_form_carries_its_own_page_s_tokens(discussion, buyer, seller):
    """The kept markup holds no page's tokens: each page's report forms carry that page's
    CSRF and form tokens, and a report sent from the second page is taken."""
    message = say(discussion, seller, Role.SELLER, "Odpowiedź", 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    bodies = [client.get(discussion.get_absolute_url()).content.decode() for _ in range(2)]
    form_tokens = []
    for body in bodies:
        tokens = set(re.findall(r'name="form_token" value="([^"]+)"', body))
        assert len(tokens) == 1  # the report form carries the page's token, as every other form
        assert len(set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))) == 1
        form_tokens.append(tokens.pop())
    assert form_tokens[0] != form_tokens[1]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bodies[1]).group(1)
    response = client.post(
        f"{discussion.get_absolute_url()}messages/{message.pk}/report/",
        {"csrfmiddlewaretoken": csrf, "form_token": form_tokens[1], "category": Report.Category.THREAT},
    )
    assert response.status_code == 302
    assert Report.objects.filter(message=message, reporter=buyer).exists()
    assert Message.objects.get(pk=message.pk).reports.count() == 1
