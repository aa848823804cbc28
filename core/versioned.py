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


def cached_at_version(version_key, entry_key, compute, timeout, now=None):
    """`compute()` → (value, valid_until or None), kept under `version_key`'s version.

    With `now`, an entry is also computed again once `now` is past its valid_until (a
    value that changes with time alone, such as a count of overdue orders)."""
    cached = cache.get_many([version_key, entry_key])
    version, entry = cached.get(version_key), cached.get(entry_key)
    if entry is not None and entry[0] == version and (entry[2] is None or (now is not None and now <= entry[2])):
        return entry[1]
    if version is None:
        version = _token()
        if not cache.add(version_key, version, None):
            version = None  # another reader set it first: do not file the entry under ours
    value, valid_until = compute()
    if version is not None:
        cache.set(entry_key, (version, value, valid_until), timeout)
    return value


def replace_versions(keys):
    """What was kept under these versions is stale: now and once the transaction commits."""
    keys = list(keys)
    if not keys:
        return

    def replace():
        cache.set_many({key: _token() for key in keys}, None)

    replace()
    transaction.on_commit(replace)
