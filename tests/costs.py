"""What one request costs (issue 13): the cost tests bound these numbers."""

import cProfile
import pstats

from django.db import connection
from django.test.utils import CaptureQueriesContext


def request_cost(client, path, **headers):
    """(Python function calls, SQL queries) of one GET of `path`, after a first GET that
    fills the per-process caches (compiled queries, texts per language, the header)."""
    assert client.get(path, **headers).status_code == 200
    profile = cProfile.Profile()
    profile.enable()
    response = client.get(path, **headers)
    profile.disable()
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path, **headers)
    return pstats.Stats(profile).total_calls, len(queries)
