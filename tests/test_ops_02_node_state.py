"""OPS-02: nothing depends on the local state of a node. What a node keeps in its own
memory is either derived from code and settings (rendered fragments, compiled SQL,
translations, holiday calendars) or kept under a key made of the data it shows (the
seller API's rendered issues, tests/api/test_issue_cache.py); what depends on data that
changes (permissions, order counts, history, quality figures, rate limits, sessions) is
in the shared cache — Redis with REDIS_URL — under versions every change replaces.

A second node is emulated by putting back, after the change, the process memory a node
had before it: a node that did not make the change never ran its in-process code."""

import copy

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache.backends import locmem

from core.mediators import MEDIATORS_GROUP
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def node_memory():
    """What a node keeps in its own memory of the default cache (LocMem's stores)."""
    return copy.deepcopy(locmem._caches), copy.deepcopy(locmem._expire_info)


def restore(memory):
    caches, expire = memory
    for store, saved in ((locmem._caches, caches), (locmem._expire_info, expire)):
        for name, kept in saved.items():
            store[name].clear()
            store[name].update(kept)


@pytest.fixture(params=["redis", "memory"])
def cache_kind(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {
                "BACKEND": "core.cache.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"ops-02-{request.node.name}",
            }
        }
        from django.core.cache import cache

        cache.clear()
    return request.param


def test_ops_02_a_permission_granted_on_one_node_holds_on_every_node_with_redis(cache_kind):
    user = UserFactory(username="mediator-to-be", is_staff=True)
    # Node B checks first and keeps the answer under the permissions' version.
    assert not UserFactory._meta.model.objects.get(pk=user.pk).has_perm("discussions.mediate_discussion")
    node_b = node_memory()

    # Node A adds the user to the Mediators group (its signals replace the version).
    user.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
    assert Permission.objects.filter(group__name=MEDIATORS_GROUP, codename="mediate_discussion").exists()

    restore(node_b)  # node B's own memory never saw that
    fresh = UserFactory._meta.model.objects.get(pk=user.pk)  # node B's next request
    if cache_kind == "redis":
        assert fresh.has_perm("discussions.mediate_discussion")
    else:
        # Without Redis each process keeps its own copy until the entry's timeout
        # (core.auth_backends.TIMEOUT): one machine only, as .env.example says.
        assert not fresh.has_perm("discussions.mediate_discussion")


def test_ops_02_order_counts_changed_on_one_node_are_seen_on_another_with_redis(
    cache_kind, seller_account, offer, buyer
):
    from django.utils import timezone

    from orders.tallies import seller_order_counts
    from tests.discussions.conftest import make_order

    make_order(offer, buyer, now=timezone.now())
    assert seller_order_counts(seller_account, timezone.now())["total"] == 1  # node B
    node_b = node_memory()

    make_order(offer, buyer, now=timezone.now())  # node A

    restore(node_b)
    total = seller_order_counts(seller_account, timezone.now())["total"]
    assert total == (2 if cache_kind == "redis" else 1)


def test_ops_02_a_session_survives_a_redis_restart_and_every_node_reads_it(client, settings, redis_url, buyer):
    """Sessions are cached_db: Redis in front, the database behind it. A restarted Redis
    (which keeps nothing on disk) signs nobody out."""
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "ops-02-s",
        }
    }
    client.force_login(buyer)
    assert client.get("/my/purchases/").status_code == 200

    redis.Redis.from_url(redis_url).flushdb()  # Redis restarted empty

    response = client.get("/my/purchases/")
    assert response.status_code == 200
    assert response.wsgi_request.user == buyer
