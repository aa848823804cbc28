"""Values kept in the cache under a version that every change to their data replaces
(issue 13): order counts, both parties' Discussion history in the case view, a user's
permissions.

A reader fetches the version and the entry in one cache round trip; an entry made at
another version is computed again. A version is a fresh token, never a counter, so an
evicted version can never match an old entry. A writer replaces the versions of what
it changed at once (for readers in its own transaction, and tests, whose transactions
never commit) and again after the commit (for an entry another reader made meanwhile
from what it saw before the commit). With the cache in each process's memory (no
REDIS_URL), a change made by another process is seen after the entry's timeout.
"""

import uuid

from django.core.cache import cache
from django.db import transaction


def _token():
    return uuid.uuid4().hex


def cached_at_version(version_keys, entry_key, compute, timeout, now=None):
    """`compute()` → (value, valid_until or None), kept under the versions of
    `version_keys` (one key, or a tuple of keys for a value made of several owners' data).

    With `now`, an entry is also computed again once `now` is past its valid_until (a
    value that changes with time alone, such as a count of overdue orders)."""
    return cached_many_at_version([(version_keys, entry_key, compute)], timeout, now)[0]


def cached_many_at_version(entries, timeout, now=None):
    """The values of several `(version_keys, entry_key, compute)` entries, as
    `cached_at_version` gives each, read in one cache round trip."""
    entries = [
        ((keys,) if isinstance(keys, str) else tuple(keys), entry_key, compute) for keys, entry_key, compute in entries
    ]
    wanted = []
    for keys, entry_key, _compute in entries:
        wanted.extend([*keys, entry_key])
    cached = cache.get_many(list(dict.fromkeys(wanted)))
    values = []
    for keys, entry_key, compute in entries:
        versions, entry = tuple(cached.get(key) for key in keys), cached.get(entry_key)
        if entry is not None and entry[0] == versions and (entry[2] is None or (now is not None and now <= entry[2])):
            values.append(entry[1])
            continue
        missing = {key: _token() for key, version in zip(keys, versions, strict=True) if version is None}
        if missing:
            # Another reader may set a version first: then do not file the entry under ours.
            added = [cache.add(key, token, None) for key, token in missing.items()]
            versions = tuple(missing.get(key, version) for key, version in zip(keys, versions, strict=True))
            if not all(added):
                versions = None
            else:
                cached.update(missing)  # a later entry under the same version sees it
        value, valid_until = compute()
        if versions is not None:
            cache.set(entry_key, (versions, value, valid_until), timeout)
        values.append(value)
    return values


def replace_versions(keys):
    """What was kept under these versions is stale: now and once the transaction commits."""
    keys = list(keys)
    if not keys:
        return

    def replace():
        cache.set_many({key: _token() for key in keys}, None)

    replace()
    transaction.on_commit(replace)
