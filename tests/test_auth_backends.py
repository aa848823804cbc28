"""Issue 13: a user's permissions come from the cache (core.auth_backends), and every
change to them shows on the next request."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:discussions_queue"


def _permission_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, sum("auth_permission" in query["sql"] for query in queries)


def test_issue_13_permissions_are_read_once_then_from_the_cache(client, mediator):
    client.force_login(mediator)
    path = reverse(QUEUE)
    assert _permission_queries(client, path) == (200, 2)  # the user's own and their groups'
    assert _permission_queries(client, path) == (200, 0)


def test_issue_13_leaving_the_mediators_group_shows_on_the_next_request(client, mediator):
    client.force_login(mediator)
    path = reverse(QUEUE)
    assert client.get(path).status_code == 200
    mediator.groups.clear()
    assert client.get(path).status_code == 403


def test_issue_13_a_permission_taken_from_the_group_shows_on_the_next_request(client, mediator):
    client.force_login(mediator)
    path = reverse("admin:orders_commissionrefund_changelist")
    assert client.get(path).status_code == 200
    group = mediator.groups.get()
    group.permissions.remove(
        *Permission.objects.filter(content_type__app_label="orders", codename__endswith="commissionrefund")
    )
    assert client.get(path).status_code == 403


def test_issue_13_a_permission_given_to_the_user_shows_on_the_next_request(client, db):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)
    path = reverse("admin:orders_commissionrefund_changelist")
    assert client.get(path).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_commissionrefund"))
    assert client.get(path).status_code == 200


def test_issue_13_a_deleted_group_takes_its_permissions_along(client, mediator):
    client.force_login(mediator)
    path = reverse(QUEUE)
    assert client.get(path).status_code == 200
    Group.objects.filter(pk__in=mediator.groups.values("pk")).delete()
    assert client.get(path).status_code == 403


def test_issue_13_a_new_superuser_flag_is_a_new_entry(client, db):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)
    path = reverse("admin:orders_commissionrefund_changelist")
    assert client.get(path).status_code == 403
    clerk.is_superuser = True
    clerk.save(update_fields=["is_superuser"])
    assert client.get(path).status_code == 200
