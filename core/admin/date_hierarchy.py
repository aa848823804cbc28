"""The changelist's date hierarchy (`{% date_hierarchy cl %}`) rendered once per language,
query and dates shown; on PostgreSQL the dates are read by a skip scan of the field's
index (issue 13)."""

import datetime

from django.conf import settings
from django.contrib.admin.utils import get_fields_from_path
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .fragments import _fragments, admin_fragment, admin_templates
from .tables import table_fact


def date_hierarchy_html(cl, query):
    """What `{% date_hierarchy cl %}` renders (admin_list.date_hierarchy), rendered once
    per language, query and dates shown. Without filters, on PostgreSQL, the dates of
    the list are read by a skip scan of the field's index (`_distinct_local`) instead of
    truncating every row's value."""
    if not cl.date_hierarchy:
        return ""
    field_name = cl.date_hierarchy
    field = get_fields_from_path(cl.model, field_name)[-1]
    datetimes = isinstance(field, models.DateTimeField)
    year_field, month_field, day_field = (f"{field_name}__{part}" for part in ("year", "month", "day"))
    year_lookup = cl.params.get(year_field)
    month_lookup = cl.params.get(month_field)
    day_lookup = cl.params.get(day_field)
    skip = datetimes and _skip_scan_possible(cl, field)
    if skip:
        # Nothing filters the list: its dates are facts of the whole table, kept under the
        # table's version where the ModelAdmin keeps them (core.admin.tables).
        zone = timezone.get_current_timezone()
        year_lookup, month_lookup, day_lookup, kind, dates = table_fact(
            cl.model_admin,
            f"dates:{field_name}:{zone}",
            lambda: _period_and_dates(cl, field, field_name, datetimes, True, year_lookup, month_lookup, day_lookup),
        )
    else:
        year_lookup, month_lookup, day_lookup, kind, dates = _period_and_dates(
            cl, field, field_name, datetimes, False, year_lookup, month_lookup, day_lookup
        )
    key = ("dates", type(cl.model_admin), query, str(year_lookup), str(month_lookup), str(day_lookup), kind, dates)
    cache_key = (tuple(admin_templates(cl.opts, "date_hierarchy.html")), get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        context = date_hierarchy_context(
            cl, field_name, year_lookup, month_lookup, day_lookup, [datetime.date(*d) for d in dates]
        )
        html = admin_fragment(admin_templates(cl.opts, "date_hierarchy.html"), key, context)
    return html


def _period_and_dates(cl, field, field_name, datetimes, skip, year_lookup, month_lookup, day_lookup):
    """(year, month, day lookups, kind, dates): the period the hierarchy shows (narrowed
    to the one year or month the list holds) and its years, months or days."""
    date_range = None
    if not (year_lookup or month_lookup or day_lookup):
        if skip:
            date_range = _local_range(cl, field)
        else:
            date_range = cl.queryset.aggregate(first=models.Min(field_name), last=models.Max(field_name))
            if date_range["first"] and date_range["last"] and datetimes:
                date_range = {k: timezone.localtime(v) if timezone.is_aware(v) else v for k, v in date_range.items()}
        first, last = date_range["first"], date_range["last"]
        if first and last and first.year == last.year:
            year_lookup = first.year
            if first.month == last.month:
                month_lookup = first.month
    if year_lookup and month_lookup and day_lookup:
        return year_lookup, month_lookup, day_lookup, None, ()
    kind = "day" if year_lookup and month_lookup else "month" if year_lookup else "year"
    if skip:
        dates = _distinct_local(cl, field, kind, date_range or _local_range(cl, field))
    else:
        dates = list(getattr(cl.queryset, "datetimes" if datetimes else "dates")(field_name, kind))
    return year_lookup, month_lookup, day_lookup, kind, tuple((d.year, d.month, d.day) for d in dates)


def date_hierarchy_context(cl, field_name, year_lookup, month_lookup, day_lookup, dates):
    """admin_list.date_hierarchy()'s context, from the dates it would read."""
    year_field, month_field, day_field = (f"{field_name}__{part}" for part in ("year", "month", "day"))
    field_generic = f"{field_name}__"

    def link(filters):
        return cl.get_query_string(filters, [field_generic])

    if year_lookup and month_lookup and day_lookup:
        day = datetime.date(int(year_lookup), int(month_lookup), int(day_lookup))
        return {
            "show": True,
            "back": {
                "link": link({year_field: year_lookup, month_field: month_lookup}),
                "title": capfirst(formats.date_format(day, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(day, "MONTH_DAY_FORMAT"))}],
        }
    if year_lookup and month_lookup:
        return {
            "show": True,
            "back": {"link": link({year_field: year_lookup}), "title": str(year_lookup)},
            "choices": [
                {
                    "link": link({year_field: year_lookup, month_field: month_lookup, day_field: day.day}),
                    "title": capfirst(formats.date_format(day, "MONTH_DAY_FORMAT")),
                }
                for day in dates
            ],
        }
    if year_lookup:
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year_lookup, month_field: month.month}),
                    "title": capfirst(formats.date_format(month, "YEAR_MONTH_FORMAT")),
                }
                for month in dates
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({year_field: str(year.year)}), "title": str(year.year)} for year in dates],
    }


def _skip_scan_possible(cl, field):
    """Whether the list's dates can be read by _distinct_local: PostgreSQL, time zones
    on, nothing filtering the list, and no local midnight in the list's years that is
    skipped or repeated by a change of clocks (where the next day's start in SQL could
    be an hour off)."""
    connection = connections[cl.queryset.db]
    if connection.vendor != "postgresql" or not settings.USE_TZ or cl.queryset.query.where:
        return False
    return field.model is cl.model and not field.is_relation


# Per process: whether every local midnight of (zone, year) is a plain one.
_regular_years = {}


def _regular_midnights(zone, first, last):
    for year in range(first, last + 1):
        key = (str(zone), year)
        regular = _regular_years.get(key)
        if regular is None:
            day = datetime.datetime(year, 1, 1)
            regular = True
            while day.year == year:
                midnight = day.replace(tzinfo=zone)
                if midnight.utcoffset() != midnight.replace(fold=1).utcoffset():
                    regular = False
                    break
                day += datetime.timedelta(days=1)
            _regular_years[key] = regular
        if not regular:
            return False
    return True


def _table_column(field):
    connection_ops = connections[DEFAULT_DB_ALIAS].ops
    return connection_ops.quote_name(field.model._meta.db_table), connection_ops.quote_name(field.column)


def _local_range(cl, field):
    """The first and last value of `field` in the unfiltered list, in the active zone
    (two ends of its index)."""
    table, column = _table_column(field)
    with connections[cl.queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT MIN({column}), MAX({column}) FROM {table}")
        first, last = cursor.fetchone()
    zone = timezone.get_current_timezone()
    return {"first": first and first.astimezone(zone), "last": last and last.astimezone(zone)}


_STEPS = {"year": "1 year", "month": "1 month", "day": "1 day"}


def _distinct_local(cl, field, kind, found):
    """The distinct `kind`s (year, month or day, in the active zone) of `field` in the
    unfiltered list, whose first and last are `found` (_local_range), oldest first, as
    naive local datetimes: what QuerySet.datetimes() gives, read by a skip scan (each
    step finds the first value at or after the start of the next period through the
    field's index). Falls back to datetimes() where a local midnight of the list's years
    is not a plain one."""
    zone = timezone.get_current_timezone()
    if not found["first"]:
        return []
    if not _regular_midnights(zone, found["first"].year, found["last"].year):
        return list(cl.queryset.datetimes(field.name, kind))
    table, column = _table_column(field)
    sql = (
        f"WITH RECURSIVE steps(v) AS (SELECT MIN({column}) FROM {table} "
        f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} >= "
        f"((DATE_TRUNC(%s, steps.v AT TIME ZONE %s) + %s::interval) AT TIME ZONE %s)) "
        f"FROM steps WHERE steps.v IS NOT NULL) "
        f"SELECT DATE_TRUNC(%s, v AT TIME ZONE %s) FROM steps WHERE v IS NOT NULL ORDER BY 1"
    )
    tzname = str(zone)
    with connections[cl.queryset.db].cursor() as cursor:
        cursor.execute(sql, [kind, tzname, _STEPS[kind], tzname, kind, tzname])
        return [row[0] for row in cursor.fetchall()]
