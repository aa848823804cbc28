"""Dates for people and operators: instants given on the command line (--now), an
instant in a market's local time (TIME-01; the `ui` template library registers these as
filters), and Django's date formats applied without parsing the format on every call
(issue 13)."""

from datetime import datetime
from functools import lru_cache

from django.utils import formats, timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars


def parse_instant(value):
    """ISO 8601; a value without a zone is taken in the default time zone."""
    instant = datetime.fromisoformat(value)
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return instant


def market_time(value, market):
    """An instant shown in the market's local time with its zone, e.g. "26.11.2026 10:00 CET"."""
    if value is None:
        return ""
    local = timezone.localtime(value, market.tz)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


def market_date(value, market):
    """The instant's date in the market's local time, e.g. "26.11.2026"."""
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value, market.tz), "SHORT_DATE_FORMAT")


def iso_local(value, market):
    """Machine-readable local time for <time datetime=…>."""
    if value is None:
        return ""
    return timezone.localtime(value, market.tz).isoformat()


# Django's date format characters that are one attribute of a datetime, as str.format
# fields with Django's padding (django.utils.dateformat).
_FIELDS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


@lru_cache(maxsize=64)
def _format_pattern(format_string):
    """`format_string` (Django's date format, e.g. "d.m.Y H:i") as one str.format pattern
    giving the same text, or None when a character has no field above ("P", "E", …)."""
    pieces = re_formatchars.split(str(format_string))
    if not all(piece in _FIELDS for piece in pieces[1::2]):
        return None
    return "".join(
        _FIELDS[piece] if position % 2 else re_escaped.sub(r"\1", piece).replace("{", "{{").replace("}", "}}")
        for position, piece in enumerate(pieces)
    )


@lru_cache(maxsize=64)
def date_formatter(format_string):
    """A function datetime -> text giving what `dateformat.format(value, format_string)`
    gives, with the format parsed once: one str.format (`_format_pattern`) when it can,
    else Django's DateFormat methods for the characters that need them ("m/d/Y P")."""
    pattern = _format_pattern(format_string)
    if pattern is not None:
        return pattern.format
    parts = [
        (position % 2 == 1, piece if position % 2 else re_escaped.sub(r"\1", piece))
        for position, piece in enumerate(re_formatchars.split(str(format_string)))
    ]

    def format_date(value):
        date_format = DateFormat(value)
        return "".join(str(getattr(date_format, piece)()) if is_field else piece for is_field, piece in parts)

    return format_date
