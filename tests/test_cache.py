"""core.cache.RedisCache: Django's Redis cache with one redis-py client per pool (issue 13)."""

import pytest
import redis
from django.core.cache import caches

from core.cache import RedisCache


@pytest.fixture
def redis_cache(redis_url, settings, request):
    settings.CACHES = {
        **settings.CACHES,
        "reused": {"BACKEND": "core.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": request.node.name},
    }
    cache = caches["reused"]
    assert isinstance(cache, RedisCache)
    cache.clear()
    return cache


def test_issue_13_the_redis_cache_builds_one_client_not_one_per_call(redis_cache, monkeypatch):
    built = []
    original = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    for n in range(10):
        redis_cache.set(f"key-{n}", {"n": n})
        assert redis_cache.get(f"key-{n}") == {"n": n}
    # Django's own backend builds a client for each of these 20 calls.
    assert len(built) <= 1


def test_issue_13_the_reused_client_is_still_the_whole_django_cache(redis_cache):
    assert redis_cache.add("counter", 1) is True
    assert redis_cache.add("counter", 5) is False
    assert redis_cache.incr("counter", 2) == 3
    redis_cache.set_many({"a": "x", "b": ["y"]}, timeout=60)
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": "x", "b": ["y"]}
    redis_cache.delete_many(["a", "b"])
    assert redis_cache.get("a", "gone") == "gone"
    assert redis_cache.touch("counter", 30) is True
    assert redis_cache.delete("counter") is True


def test_issue_13_a_count_in_a_window_is_one_round_trip(redis_cache, monkeypatch):
    import redis.client

    executed = []
    original = redis.client.Pipeline.execute
    monkeypatch.setattr(redis.client.Pipeline, "execute", lambda self, *a, **k: executed.append(1) or original(self))
    assert redis_cache.count_in_window("window", 60) == (1, 60)
    count, left = redis_cache.count_in_window("window", 60)
    assert count == 2 and 0 < left <= 60
    assert len(executed) == 2
    # An integer entry of the cache, as incr() keeps it.
    assert redis_cache.get("window") == 2 and redis_cache.incr("window") == 3
