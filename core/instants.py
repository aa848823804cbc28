"""Reading many instants fast (for list endpoints that return hundreds of them).

Django reads a PostgreSQL `timestamptz` through a pure-Python psycopg loader (it sets
the time zone on each value), about 10 µs a value: a page of 100 seller-API issues holds
some 700 of them. `InstantMicros` has PostgreSQL send an instant as integer
microseconds since the epoch instead, which psycopg's C loader reads at once, and
`instant()` turns that into the same aware UTC datetime, exactly. On other databases the
column is read and converted as Django always does.
"""

from datetime import UTC, datetime, timedelta

from django.db.models import DateTimeField, Func

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InstantMicros(Func):
    """The instant `expression` as `instant()` reads it. Declared a DateTimeField, so
    other databases convert it as usual; on PostgreSQL Django applies no converter to a
    DateTimeField and the integer arrives as psycopg loaded it."""

    output_field = DateTimeField()
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        # EXTRACT(EPOCH …) is an exact numeric (PostgreSQL 14+), so no rounding happens.
        return self.as_sql(
            compiler, connection, template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint", **extra_context
        )


def instant(value):
    """An aware UTC datetime from what `InstantMicros` loaded (None stays None)."""
    if isinstance(value, int):
        return EPOCH + timedelta(microseconds=value)
    return value
