"""TIME-02…06: business days and the 24-business-hour reply deadline."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import business_time as bt

ZONES = {"PL": "Europe/Warsaw", "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest"}

# TIME-05: market, local start, local deadline, deadline in UTC.
TIME_05 = [
    ("PL", "2026-11-25 10:00", "2026-11-26 10:00", "2026-11-26 09:00"),
    ("PL", "2026-11-27 15:00", "2026-11-30 15:00", "2026-11-30 14:00"),
    ("PL", "2026-11-28 10:00", "2026-12-01 00:00", "2026-11-30 23:00"),
    ("PL", "2026-11-10 18:00", "2026-11-12 18:00", "2026-11-12 17:00"),
    ("PL", "2026-12-23 12:00", "2026-12-28 12:00", "2026-12-28 11:00"),
    ("PL", "2026-10-23 10:00", "2026-10-26 10:00", "2026-10-26 09:00"),
    ("PL", "2026-04-03 08:00", "2026-04-07 08:00", "2026-04-07 06:00"),
    ("CZ", "2026-10-27 09:00", "2026-10-29 09:00", "2026-10-29 08:00"),
    ("SK", "2026-08-31 16:00", "2026-09-01 16:00", "2026-09-01 14:00"),
    ("HU", "2026-01-09 12:00", "2026-01-12 12:00", "2026-01-12 11:00"),
    ("HU", "2026-12-31 12:00", "2027-01-04 12:00", "2027-01-04 11:00"),
]


def local(market, text):
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONES[market]))


@pytest.mark.parametrize(("market", "start", "local_deadline", "utc_deadline"), TIME_05)
def test_time_05_worked_examples(market, start, local_deadline, utc_deadline):
    deadline = bt.add_business_time(local(market, start), market, ZONES[market])
    assert deadline == datetime.fromisoformat(utc_deadline).replace(tzinfo=UTC)
    assert deadline.astimezone(ZoneInfo(ZONES[market])).replace(tzinfo=None) == datetime.fromisoformat(local_deadline)


def test_time_02_golden_days_of_the_holiday_calendars():
    assert not bt.is_business_day(date(2025, 12, 24), "PL")  # Wigilia is a day off since 2025
    assert bt.is_business_day(date(2025, 11, 17), "SK")  # abolished as a day off in Slovakia
    assert not bt.is_business_day(date(2024, 12, 24), "CZ")
    assert not bt.is_business_day(date(2026, 1, 10), "HU")  # a Hungarian working Saturday still does not count
    assert not bt.is_business_day(date(2026, 11, 11), "PL")
    assert bt.is_business_day(date(2026, 11, 12), "PL")


def test_time_06_holiday_calendar_is_built_once_per_market_and_year():
    bt._holiday_calendar.cache_clear()
    bt._day.cache_clear()
    start = local("PL", "2026-03-02 09:00")
    for hours in range(200):
        bt.add_business_time(start + timedelta(hours=hours), "PL", ZONES["PL"])
    info = bt._holiday_calendar.cache_info()
    assert info.currsize == 1
    assert info.misses == 1


def test_time_03_business_time_between_skips_weekend_and_holidays():
    start = local("PL", "2026-11-27 15:00")  # Friday
    assert bt.business_time_between(start, local("PL", "2026-11-30 15:00"), "PL", ZONES["PL"]) == timedelta(hours=24)
    assert bt.business_time_between(
        local("PL", "2026-11-10 18:00"), local("PL", "2026-11-12 18:00"), "PL", ZONES["PL"]
    ) == (timedelta(hours=24))
    assert bt.business_time_between(start, start, "PL", ZONES["PL"]) == timedelta(0)


def test_time_03_dst_change_never_changes_the_allowance():
    # The night of 25 Oct 2026 has 25 hours in Warsaw; it is a Sunday and does not count.
    start = local("PL", "2026-10-23 10:00")
    deadline = bt.add_business_time(start, "PL", ZONES["PL"])
    assert bt.business_time_between(start, deadline, "PL", ZONES["PL"]) == timedelta(hours=24)


def test_dsc_06_skipped_days_name_weekends_and_holidays():
    start = local("PL", "2026-11-10 18:00")
    deadline = bt.add_business_time(start, "PL", ZONES["PL"])
    skipped = bt.skipped_days(start, deadline, "PL", ZONES["PL"])
    assert [(s.day, s.holiday) for s in skipped] == [(date(2026, 11, 11), "Narodowe Święto Niepodległości")]
    start = local("PL", "2026-11-28 10:00")
    deadline = bt.add_business_time(start, "PL", ZONES["PL"])
    assert [s.weekday for s in bt.skipped_days(start, deadline, "PL", ZONES["PL"])] == [5, 6]


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(start=instants, market=st.sampled_from(sorted(ZONES)))
def test_time_03_property_deadline_is_at_least_24h_and_on_a_business_day(start, market):
    tz = ZONES[market]
    deadline = bt.add_business_time(start, market, tz)
    assert deadline - start >= timedelta(hours=24)
    assert bt.business_time_between(start, deadline, market, tz) == timedelta(hours=24)
    local_deadline = deadline.astimezone(ZoneInfo(tz))
    if local_deadline.time() == datetime.min.time():
        # Exactly at the end of a business day: the day before was a business day.
        assert bt.is_business_day(local_deadline.date() - timedelta(days=1), market, tz)
    else:
        assert bt.is_business_day(local_deadline.date(), market, tz)


@settings(max_examples=300, deadline=None)
@given(a=instants, b=instants, market=st.sampled_from(sorted(ZONES)))
def test_time_03_property_deadline_is_monotonic_in_the_start(a, b, market):
    a, b = min(a, b), max(a, b)
    assert bt.add_business_time(a, market, ZONES[market]) <= bt.add_business_time(b, market, ZONES[market])
