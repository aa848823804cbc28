"""core.instants: the fast way list endpoints (API-01) read instants gives exactly the
datetimes Django's own loading gives, on SQLite and on PostgreSQL."""

from datetime import UTC, datetime

import pytest

from core.instants import InstantMicros, instant
from orders.models import Order
from tests.factories import OrderFactory


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 1, 20, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 20, 0, 0, 999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 15, 123_456, tzinfo=UTC),  # the night clocks change in Warsaw
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),  # before the epoch
        datetime(2999, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ],
)
def test_api_01_instants_read_as_microseconds_equal_djangos_datetimes(db, moment):
    order = OrderFactory(created_at=moment)
    (loaded,) = (
        Order.objects.filter(pk=order.pk).annotate(fast=InstantMicros("created_at")).values_list("fast", flat=True)
    )
    assert instant(loaded) == Order.objects.get(pk=order.pk).created_at == moment
    assert instant(loaded).utcoffset().total_seconds() == 0


def test_api_01_a_missing_instant_stays_none(db):
    assert instant(None) is None
