"""Parsing of operator-given instants (management commands' --now)."""

from datetime import datetime

from django.utils import timezone


def parse_instant(value):
    """ISO 8601; a value without a zone is taken in the default time zone."""
    instant = datetime.fromisoformat(value)
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return instant
