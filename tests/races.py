"""What the PostgreSQL race tests share: the markers and a harness that releases
several actions at once, each in its own thread and database connection."""

import threading

import pytest
from django.db import connection

from core.errors import DomainError

POSTGRES_RACES = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Races need PostgreSQL: SQLite serialises write transactions and ignores select_for_update.",
    ),
    # Markets come from a data migration; the flush after a transactional test would remove them.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(*actions):
    """Run each action in its own thread, released together by a barrier; return what
    each returned or raised, in the order given."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish"
    return outcomes


def split(outcomes, kind):
    """(outcomes of type `kind`, refusals); anything else fails the test."""
    won = [o for o in outcomes if isinstance(o, kind)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    unexpected = [o for o in outcomes if not isinstance(o, kind | DomainError)]
    assert not unexpected, unexpected
    return won, refused
