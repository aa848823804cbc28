"""Rendered issues, kept per process (API-01): integrations poll /sale/issues over and
over, and a page of 100 issues costs more to map and encode than to read.

An issue's JSON is a function of its page row (`api.issue_queries.issue_values`: the
Discussion's columns, its order, line, buyer and market columns, its message count, the
id of its initial message and whether that message is hidden), of the language and of
the address the request came to (attachment URLs). Everything else it shows never changes
once written: messages and their attachments are never edited, and the seller's actions
(discussions.rules) follow from those columns alone. So the cache key is all of these
values — a Discussion that changed in any way the issue shows has a new key, and there
is nothing to invalidate; old keys leave the bounded LRU. `API_ISSUE_CACHE_SIZE=0`
turns it off.
"""

import threading
from collections import OrderedDict

from django.conf import settings

_lock = threading.Lock()
_entries = OrderedDict()


def _size():
    return settings.API_ISSUE_CACHE_SIZE


def key(values, language, base):
    """The key of an issue whose page row is `values` (the row's tuple, as read)."""
    return (language, base, values)


def get_many(keys):
    """{key: rendered JSON bytes} of the keys kept (and marks them recently used)."""
    if not _size():
        return {}
    found = {}
    with _lock:
        for item in keys:
            rendered = _entries.get(item)
            if rendered is not None:
                _entries.move_to_end(item)
                found[item] = rendered
    return found


def put_many(rendered_by_key):
    size = _size()
    if not size:
        return
    with _lock:
        _entries.update(rendered_by_key)
        for item in rendered_by_key:
            _entries.move_to_end(item)
        while len(_entries) > size:
            _entries.popitem(last=False)


def clear():
    with _lock:
        _entries.clear()
