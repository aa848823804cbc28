"""Business time of a market (TIME-02, TIME-03, TIME-06). Pure: imports no app.

A business day is a local Monday–Friday that is not a day off in
`holidays.country_holidays(country)` (default categories). Every Saturday and Sunday is
excluded, also a weekend day a country declares a working day. Day boundaries are local
midnights; elapsed time is real time, so all arithmetic happens in UTC (Python subtracts
aware datetimes that share a tzinfo on the wall clock, which would be wrong across DST).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ZERO = timedelta(0)
DAY = timedelta(days=1)
REPLY_ALLOWANCE = timedelta(hours=24)


@lru_cache(maxsize=256)
def _holiday_calendar(country, year, language):
    """Named days off of one country and year; built once per (country, year, language).
    Names are in `language` (a Django language code) when the package has it, otherwise
    in the country's own language; never left to the process locale."""
    probe = holidays.country_holidays(country, years=[])
    wanted = {"en": "en_US"}.get(language, language)
    if wanted not in probe.supported_languages:
        wanted = probe.default_language
    calendar = holidays.country_holidays(country, years=year, language=wanted)
    return dict(calendar.items())


def holiday_names(country, year, language=None):
    return _holiday_calendar(country, year, language)


@lru_cache(maxsize=8192)
def _day(country, tz_name, ordinal):
    """(UTC start, UTC end, is business day) of one local calendar day."""
    day = date.fromordinal(ordinal)
    tz = ZoneInfo(tz_name)
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    nxt = day + DAY
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).astimezone(UTC)
    business = day.weekday() < 5 and day not in _holiday_calendar(country, day.year, None)
    return start, end, business


def is_business_day(day, country, tz_name="UTC"):
    return _day(country, tz_name, day.toordinal())[2]


def _local_ordinal(instant, tz_name):
    return instant.astimezone(ZoneInfo(tz_name)).toordinal()


def add_business_time(start, country, tz_name, allowance=REPLY_ALLOWANCE):
    """TIME-03: the earliest instant T such that the real time between `start` and T that
    falls within business days equals `allowance`. Returns an aware UTC datetime."""
    if allowance <= ZERO:
        return start.astimezone(UTC)
    cursor = start.astimezone(UTC)
    ordinal = _local_ordinal(cursor, tz_name)
    remaining = allowance
    while True:
        day_start, day_end, business = _day(country, tz_name, ordinal)
        if business:
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = day_end
        ordinal += 1


def business_time_between(start, end, country, tz_name):
    """The real time between `start` and `end` that falls within business days."""
    if end <= start:
        return ZERO
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    ordinal = _local_ordinal(cursor, tz_name)
    total = ZERO
    while cursor < end:
        _day_start, day_end, business = _day(country, tz_name, ordinal)
        stop = min(day_end, end)
        if business:
            total += stop - cursor
        cursor = stop
        ordinal += 1
    return total


@dataclass(frozen=True)
class SkippedDay:
    day: date
    weekday: int
    holiday: str | None  # the holiday's name, None for a plain Saturday/Sunday


def skipped_days(start, end, country, tz_name, language=None):
    """DSC-06: the non-business local days between `start` and `end`, with why each was
    skipped (weekend day or named holiday), so a deadline can explain itself."""
    tz = ZoneInfo(tz_name)
    first = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    days = []
    day = first
    while day <= last:
        if not _day(country, tz_name, day.toordinal())[2]:
            name = _holiday_calendar(country, day.year, language).get(day)
            days.append(SkippedDay(day=day, weekday=day.weekday(), holiday=name))
        day += DAY
    # A deadline that falls exactly at a local midnight does not skip the day that begins then.
    if days and days[-1].day == last and end.astimezone(tz).time() == datetime.min.time():
        days.pop()
    return days
