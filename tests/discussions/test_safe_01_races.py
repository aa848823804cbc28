"""SAFE-01 on PostgreSQL: Allegro Protect sent twice at the same instant from the
mediators' desk (two requests in two threads, each with its own database connection,
released by a barrier) compensates once, and both answers lead to the case.

Run with DATABASE_URL=postgres://…; skipped on SQLite, which serialises writers.
"""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Compensation
from tests.discussions.conftest import make_order, open_discussion
from tests.forms import hidden_fields
from tests.races import POSTGRES_RACES, race

pytestmark = POSTGRES_RACES

ROUNDS = 3


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_safe_01_allegro_protect_sent_twice_at_once_compensates_once(bulk_offer, buyer, mediator):
    for round_ in range(ROUNDS):
        order = make_order(bulk_offer, buyer, now=timezone.now() - timedelta(days=2))
        discussion = open_discussion(order, now=timezone.now() - timedelta(days=1))
        services.join_discussion(discussion, mediator=mediator)
        url = reverse("admin:discussions_discussion_protect", args=[discussion.pk])
        first, second = signed_in(mediator), signed_in(mediator)
        data = {**hidden_fields(first.get(url)), "amount": "5.00", "reason": "Paczka zaginęła"}

        responses = race(lambda: first.post(url, data), lambda: second.post(url, data))  # noqa: B023

        assert Compensation.objects.filter(discussion=discussion).count() == 1, round_
        case = reverse("admin:discussions_discussion_change", args=[discussion.pk])
        for response in responses:
            assert not isinstance(response, Exception), response
            assert response.status_code == 302, response.content.decode()[:500]
            assert response["Location"] == case
