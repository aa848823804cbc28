"""MED-01, issue 13: the mediators' queue keeps each row's markup per process while the
row's values are the same. What a row shows still follows the time (how long the case
has waited, a deadline that passed), the mediator looking at it (UX-07's "You") and the
language."""

import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from core.mediators import MEDIATORS_GROUP
from discussions import services
from discussions.models import Discussion
from tests.discussions.conftest import DAY, HOUR, OPENED, REPLY_DUE, make_order, open_discussion
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def case(seller_account, buyer):
    """Open, the buyer asked Allegro for help an hour after opening; the seller's reply is
    due at REPLY_DUE."""
    offer = OfferFactory(seller_account=seller_account, title="Rower", stock=10)
    discussion = open_discussion(make_order(offer, buyer))
    Discussion.objects.filter(pk=discussion.pk).update(help_requested_at=OPENED + HOUR)
    return Discussion.objects.get(pk=discussion.pk)


@pytest.fixture
def colleague(db):
    user = UserFactory(username="mediator2", is_staff=True)
    user.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
    return user


def row(client, at, language="pl"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with time_machine.travel(at, tick=False):
        body = client.get(reverse("admin:discussions_queue")).content.decode()
    rows = re.findall(r"<tr class=\"queue-.*?</tr>", body, re.S)
    assert len(rows) == 1
    return rows[0]


def test_issue_13_med_01_a_kept_row_shows_the_wait_and_a_passed_deadline_as_time_goes_on(client, mediator, case):
    client.force_login(mediator)
    early = row(client, OPENED + 2 * HOUR)
    assert "1\xa0godzina" in early and "minął" not in early
    assert "Rower" in early
    later = row(client, OPENED + 3 * HOUR)
    assert "2\xa0godziny" in later and "minął" not in later
    overdue = row(client, REPLY_DUE + HOUR)
    assert "minął" in overdue and 'class="errornote-inline"' in overdue
    assert "1\xa0dzień" in overdue


def test_issue_13_ux_07_a_kept_row_says_you_only_to_the_assigned_mediator(client, mediator, colleague, case):
    services.assign_case(case, mediator=mediator, to=mediator, now=OPENED + 2 * HOUR)
    client.force_login(mediator)
    assert "<strong>Ty</strong>" in row(client, OPENED + 3 * HOUR)
    client.force_login(colleague)
    theirs = row(client, OPENED + 3 * HOUR)
    assert "<strong>Ty</strong>" not in theirs and "mediator" in theirs


def test_issue_13_a_kept_row_shows_a_changed_case_and_the_chosen_language(client, mediator, colleague, case):
    client.force_login(mediator)
    before = row(client, OPENED + 2 * HOUR)
    assert "Czeka na mediatora" in before
    services.assign_case(case, mediator=mediator, to=colleague, now=OPENED + 2 * HOUR)
    assigned = row(client, OPENED + 2 * HOUR)
    assert "mediator2" in assigned and "mediator2" not in before
    english = row(client, OPENED + 2 * HOUR, "en")
    assert "Waiting for a mediator" in english and "Czeka na mediatora" not in english
    assert row(client, OPENED + 2 * HOUR + DAY) != assigned
