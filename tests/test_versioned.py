"""Issue 13: core.versioned keeps a value under the versions of the data it is made of."""

from datetime import UTC, datetime, timedelta

from core.versioned import cached_at_version, replace_versions

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


class Counter:
    def __init__(self, valid_for=None):
        self.calls = 0
        self.valid_for = valid_for

    def __call__(self):
        self.calls += 1
        return self.calls, (NOW + self.valid_for if self.valid_for else None)


def test_issue_13_a_value_is_computed_once_per_version_of_each_of_its_keys(db):
    compute = Counter()
    keys = ("a:version", "b:version")
    assert cached_at_version(keys, "entry", compute, 60) == 1
    assert cached_at_version(keys, "entry", compute, 60) == 1
    replace_versions(["b:version"])
    assert cached_at_version(keys, "entry", compute, 60) == 2
    replace_versions(["a:version"])
    assert cached_at_version(keys, "entry", compute, 60) == 3
    assert cached_at_version(keys, "entry", compute, 60) == 3
    assert compute.calls == 3


def test_issue_13_a_value_that_changes_with_time_is_computed_again_after_valid_until():
    compute = Counter(valid_for=timedelta(minutes=1))
    assert cached_at_version("v", "entry", compute, 60, NOW) == 1
    assert cached_at_version("v", "entry", compute, 60, NOW + timedelta(seconds=60)) == 1
    assert cached_at_version("v", "entry", compute, 60, NOW + timedelta(seconds=61)) == 2


def test_issue_13_several_values_are_read_in_one_round_trip(db, monkeypatch):
    from django.core.cache import cache

    from core.versioned import cached_many_at_version

    first, second = Counter(), Counter()
    entries = [("one:version", "one", first), (("one:version", "two:version"), "two", second)]
    assert cached_many_at_version(entries, 60) == [1, 1]
    reads = []
    original = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: reads.append(keys) or original(keys))
    assert cached_many_at_version(entries, 60) == [1, 1]
    assert len(reads) == 1 and sorted(reads[0]) == ["one", "one:version", "two", "two:version"]
    replace_versions(["two:version"])
    assert cached_many_at_version(entries, 60) == [1, 2]
    replace_versions(["one:version"])
    assert cached_many_at_version(entries, 60) == [2, 3]
    assert (first.calls, second.calls) == (2, 3)
