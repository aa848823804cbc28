"""Changelist rows rendered as Django's items_for_result renders them, from columns
prepared once per page (issue 13): model instances or the page's plain values; a row read
as values is rendered once per process and reused while its values stay the same, where
the ModelAdmin says its columns depend on nothing else (`changelist_rows_pure`)."""

import datetime
from operator import attrgetter, itemgetter

from django.contrib.admin.templatetags.admin_list import _boolean_icon, _coerce_field_name
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    quote,
)
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from ..instants import instant
from .datetimes import DatetimeFormat
from .fragments import HTML_ESCAPES, ROWS_LIMIT, _rows


def changelist_rows(cl):
    """The rows of a changelist exactly as Django's `items_for_result` renders them
    (contrib/admin/templatetags/admin_list.py), each row's cells as one string, with
    every column's formatting (labels of choices, icons, the date format, the change
    URL) prepared once per page instead of once per cell. The rows are the page's plain
    values when CountOnceChangeList read them so (`changelist_values`), its model
    instances otherwise. Returns None for what it does not know (editable lists,
    pop-ups, columns that are neither model fields nor ModelAdmin methods); the caller
    then lets Django render the rows."""
    if cl.formset is not None or cl.is_popup or cl.to_field or cl.list_display_links is None:
        return None
    rows = getattr(cl, "result_rows", None)
    if rows is None:
        source, rows = _ObjectSource(cl), cl.result_list
    else:
        source = _ValueSource(cl)
        if getattr(cl.model_admin, "changelist_rows_pure", False):
            return _reused_rows(cl, source, rows)
    cells = _cells(cl, source)
    return None if cells is None else [_row_html(cells, row) for row in rows]


def _row_html(cells, row):
    return mark_safe("".join([cell(row) for cell in cells]))


def _reused_rows(cl, source, rows):
    """The rows of a list whose cells depend only on the row's values, the language, the
    time zone and the list's own settings and filters (`changelist_rows_pure`): each row
    is rendered once per process and such a key, and reused while its values are the
    same (issue 13). A changed value is another key, so what a row shows is never older
    than the query that read it."""
    page = (
        type(cl.model_admin),
        tuple(cl.list_display),
        tuple(cl.list_display_links or ()),
        cl.preserved_filters,
        get_language(),
        str(timezone.get_current_timezone()),
        get_script_prefix(),
    )
    cells = None
    shown = []
    for row in rows:
        key = (page, tuple(row))
        try:
            html = _rows.get(key)
        except TypeError:  # a value that cannot be a key (JSON): rendered every time
            key, html = None, None
        if html is None:
            if cells is None:
                cells = _cells(cl, source)
                if cells is None:
                    return None
            html = _row_html(cells, row)
            if key is not None:
                if len(_rows) >= ROWS_LIMIT:
                    _rows.clear()
                _rows[key] = html
        shown.append(html)
    return shown


def _cells(cl, source):
    """A function per column of `cl.list_display` giving its cell's markup for a row of
    `source`, or None for a column it does not know."""
    cells = []
    linked = False
    for index, name in enumerate(cl.list_display):
        classes = f"field-{_coerce_field_name(name, index)}"
        link = (not linked and not cl.list_display_links) or name in cl.list_display_links
        shown = _column(cl, name, link, source)
        if shown is None:
            return None
        if name == "action_checkbox":
            cells.append(lambda row, shown=shown: f'<td class="action-checkbox">{shown(row)[0]}</td>')
        elif link:
            cells.append(_linked_cell(cl, classes, shown, source.pk(), tag="td" if linked else "th"))
            linked = True
        else:
            cells.append(_plain_cell(classes, shown))
    return cells


class _ObjectSource:
    """What a changelist column reads from a model instance."""

    def __init__(self, cl):
        self.cl = cl

    def pk(self):
        return attrgetter(self.cl.pk_attname)

    def title(self):
        return str

    def field(self, field):
        return attrgetter(field.attname if not field.is_relation else field.name)

    def micros(self, field):
        return False

    def method(self, name):
        method = getattr(self.cl.model_admin, name, None)
        return method if callable(method) else None


class _ValueSource:
    """What a changelist column reads from a row of the page's values
    (CountOnceChangeList.read_values): model fields as read, related objects and
    ModelAdmin methods as `changelist_values` computes them."""

    def __init__(self, cl):
        self.index = {path: position for position, path in enumerate(cl.result_paths)}
        self.computed = cl.result_values
        self.micro_paths = cl.result_micros

    def pk(self):
        return itemgetter(self.index["pk"])

    def _computed(self, name, nullable=False):
        paths, compute = self.computed[name]
        positions = [self.index[path] for path in paths]
        if compute is None:
            return itemgetter(positions[0])
        if len(positions) == 1:
            position = positions[0]
            if nullable:
                return lambda row: None if row[position] is None else compute(row[position])
            return lambda row: compute(row[position])
        values = itemgetter(*positions)
        if nullable:
            return lambda row: None if (found := values(row))[0] is None else compute(*found)
        return lambda row: compute(*values(row))

    def title(self):
        return self._computed("__str__")

    def field(self, field):
        if field.is_relation:
            return self._computed(field.name, nullable=True)
        return itemgetter(self.index[field.attname])

    def micros(self, field):
        """Whether `field(field)` gives a datetime as integer microseconds."""
        return field.attname in self.micro_paths

    def method(self, name):
        return self._computed(name)


def _escape(value):
    """django.utils.html.conditional_escape without its lazy-string wrapper."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return str(value).translate(HTML_ESCAPES)


def _plain_cell(classes, shown):
    def cell(row):
        text, nowrap = shown(row)
        return f'<td class="{classes}{" nowrap" if nowrap else ""}">{text}</td>'

    return cell


def _linked_cell(cl, classes, shown, pk, tag):
    """The column linked to each row's change page (with the list's filters kept)."""
    opts = cl.opts
    sample = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change", args=["0"], current_app=cl.model_admin.admin_site.name
    )
    head, _zero, tail = sample.rpartition("/0/")
    kept = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, sample)[len(sample) :]

    def cell(row):
        text, nowrap = shown(row)
        url = f"{head}/{quote(pk(row))}/{tail}{kept}".translate(HTML_ESCAPES)
        return f'<{tag} class="{classes}{" nowrap" if nowrap else ""}"><a href="{url}">{text}</a></{tag}>'

    return cell


def _column(cl, name, link, source):
    """A function of a row giving (escaped text, whether the cell is nowrap), as
    items_for_result computes them, or None."""
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    if name == "action_checkbox":
        label = gettext("Select this object for an action - {}")
        checkbox = '<input type="checkbox" name="_selected_action" value="{}" class="action-select" aria-label="{}">'
        pk, title = source.pk(), source.title()
        return lambda row: (
            checkbox.format(
                str(pk(row)).translate(HTML_ESCAPES), label.format(str(title(row)).translate(HTML_ESCAPES))
            ),
            False,
        )
    try:
        field = _get_non_gfk_field(cl.lookup_opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        method = source.method(name) if isinstance(name, str) else None
        declared = getattr(model_admin, name, None) if isinstance(name, str) else None
        if method is None or not callable(declared):
            return None
        method_empty = getattr(declared, "empty_value_display", empty)
        boolean = getattr(declared, "boolean", False)

        if boolean:
            return lambda row: (_escape(display_for_value(method(row), method_empty, True)), False)

        def shown(row):
            value = method(row)
            if type(value) is str:
                # display_for_value() of a text: the text, or the empty value display.
                return (value.translate(HTML_ESCAPES) if value.strip() else _escape(method_empty)), False
            text = _escape(display_for_value(value, method_empty, boolean))
            return text, isinstance(value, (datetime.date, datetime.time))

        return shown
    value = source.field(field)
    if field.auto_created:
        return lambda row: (_escape(display_for_value(value(row), empty)), False)
    nowrap = isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
    if isinstance(field.remote_field, models.ManyToOneRel):
        return lambda row: (
            empty if (v := value(row)) is None else v.translate(HTML_ESCAPES) if type(v) is str else _escape(v),
            nowrap,
        )
    if getattr(field, "flatchoices", None):
        labels = {choice: str(label).translate(HTML_ESCAPES) for choice, label in field.flatchoices}
        return lambda row: (labels.get(value(row), empty), nowrap)
    if isinstance(field, models.BooleanField):
        icons = {choice: _boolean_icon(choice) for choice in (True, False, None)}
        return lambda row: (icons[value(row)], nowrap)
    if isinstance(field, models.DateTimeField):
        date_format = DatetimeFormat(get_format("DATETIME_FORMAT"))
        zone = timezone.get_current_timezone()
        if source.micros(field):
            # One text per minute (or per instant, for formats with seconds).
            step = 60_000_000 if date_format.by_minute else 1
            texts = {}

            def shown(row):
                micros = value(row)
                if micros is None:
                    return empty, nowrap
                text = texts.get(micros // step)
                if text is None:
                    text = texts[micros // step] = date_format(instant(micros).astimezone(zone)).translate(HTML_ESCAPES)
                return text, nowrap

            return shown

        def shown(row):
            moment = value(row)
            if moment is None:
                return empty, nowrap
            # timezone.template_localtime(value), with the zone looked up once.
            local = moment.astimezone(zone) if moment.tzinfo is not None else moment
            return date_format(local).translate(HTML_ESCAPES), nowrap

        return shown
    return lambda row: (
        _escape(display_for_field(value(row), field, empty, avoid_link=link)),
        nowrap,
    )
