"""MED-01, issue 13: the queue page's content is rendered once per language and shape
with holes for the request's values (discussions.admin.mediators_queue.queue_content).
Pages of every shape, one after the other in one process, each show their own count,
search text, links and page numbers, escaped."""

import pytest
from django.conf import settings
from django.urls import reverse

from discussions.admin import mediators_queue
from discussions.models import Discussion
from tests.discussions.conftest import HOUR, OPENED, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_like(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr(mediators_queue, "QUEUE_PAGE_SIZE", 1)  # three cases, three pages


@pytest.fixture
def cases(seller_account, buyer):
    offer = OfferFactory(seller_account=seller_account, title="Rower", stock=10)
    found = []
    for hours in (1, 2, 3):
        discussion = open_discussion(make_order(offer, buyer))
        Discussion.objects.filter(pk=discussion.pk).update(help_requested_at=OPENED + hours * HOUR)
        found.append(discussion)
    return found


def content(client, language="pl", **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("admin:discussions_queue"), params)
    assert response.status_code == 200
    body = response.content.decode()
    return body[body.index('<div id="content-main"') : body.index('<footer id="footer">')]


def test_issue_13_med_01_each_page_of_the_queue_shows_its_own_values(client, mediator, cases):
    client.force_login(mediator)
    first = content(client)
    assert "3 sprawy czekają, najstarsze pierwsze." in first
    assert "Strona 1 z 3" in first and "?page=2" in first and "poprzednia" not in first
    middle = content(client, page=2)
    assert "Strona 2 z 3" in middle and "?page=1" in middle and "?page=3" in middle
    last = content(client, page=3)
    assert "Strona 3 z 3" in last and "?page=2" in last and "następna" not in last
    filtered = content(client, reason="help", page=2)
    assert "?reason=help&amp;page=1" in filtered and "?reason=help&amp;page=3" in filtered
    assert "Wyczyść filtry" in filtered and "Wyczyść filtry" not in first
    english = content(client, "en", page=2)
    assert "3 cases waiting, oldest first." in english and "Page 2 of 3" in english
    assert content(client) == first


def test_issue_13_med_01_searches_and_empty_views_show_their_own_texts_escaped(client, mediator, cases):
    client.force_login(mediator)
    found = content(client, q=cases[0].number)
    assert "1 sprawa czeka, najstarsze pierwsze." in found
    assert f'value="{cases[0].number}"' in found
    nothing = content(client, q='<b>"nic"</b>')
    assert "0 spraw czeka, najstarsze pierwsze." in nothing
    assert "Żadna sprawa nie pasuje do „&lt;b&gt;&quot;nic&quot;&lt;/b&gt;”." in nothing
    assert 'value="&lt;b&gt;&quot;nic&quot;&lt;/b&gt;"' in nothing
    mine = content(client, mine="1")
    assert "Żadna sprawa w kolejce nie jest przypisana do Ciebie." in mine
    assert 'name="mine" value="1"' in mine
    assert "Żadna sprawa w kolejce" not in content(client)
    empty = content(client, reason="report")  # no reported message: an empty queue, no search
    assert "Nic nie czeka na mediatora." in empty and "Żadna sprawa" not in empty
    assert 'name="mine"' not in empty
