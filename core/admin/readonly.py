"""Read-only admin: history inlines and ModelAdmins that only show (ReadOnlyInline,
ReadOnlyAdminMixin), and read-only change forms and inlines rendered from plain values
(readonly_fieldsets_html, readonly_inlines_html; issue 13)."""

import json

from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import _boolean_icon
from django.contrib.admin.utils import display_for_field, quote
from django.db import models
from django.template.defaultfilters import linebreaksbr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext

from .datetimes import DatetimeFormat
from .fragments import HTML_ESCAPES, _fragments, change_url_prefix, escape_text, fill_holes, hole, template_with_holes


class ReadOnlyInline(admin.TabularInline):
    """History rows (events, messages, status changes): visible, never added, edited or deleted."""

    extra = 0
    can_delete = False
    show_change_link = False
    # UX-09: Django's tabular inline without its empty Delete column, every header named.
    template = "admin/edit_inline/readonly_tabular.html"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Every field read-only, no adding or deleting; changes happen only through actions
    that call services."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def readonly_contents(model_admin, obj, field, empty):
    """What Django's read-only field shows for a model field (AdminReadonlyField.contents):
    a related object as a link to its admin page, anything else as display_for_field."""
    value = getattr(obj, field.name)
    if field.is_relation and value is not None:
        opts = field.related_model._meta
        try:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(value.pk)],
                current_app=model_admin.admin_site.name,
            )
        except NoReverseMatch:
            shown = str(value)
        else:
            shown = format_html('<a href="{}">{}</a>', url, value)
    elif isinstance(field, models.JSONField):
        shown = json_text(value) or empty
    else:
        shown = display_for_field(value, field, empty)
    return conditional_escape(linebreaksbr(shown))


def _linebreaks(html):
    """linebreaksbr() of text already escaped."""
    if "\r" in html:
        html = html.replace("\r\n", "\n").replace("\r", "\n")
    return html.replace("\n", "<br>")


def json_text(value):
    """UX-05: stored details as people read them, one "name: value" per line, never raw
    JSON ({"amount": "10.00"} → "amount: 10.00"; a list of such → one line each)."""
    if isinstance(value, dict):
        return "\n".join(f"{key}: {json_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "\n".join(json_text(item) for item in value)
    return "" if value is None else str(value)


def readonly_values(model_admin, obj, fields, empty):
    """readonly_contents() of each field, the usual kinds of field (related objects,
    choices, booleans, datetimes, empty values) written without Django's general
    formatting path: the change URL of each related model reversed once per page, the
    datetime format prepared once (issue 13)."""
    zone = timezone.get_current_timezone()
    date_format = None
    prefixes = {}
    shown = []
    for field in fields:
        if field.is_relation:
            value = getattr(obj, field.name)
            if value is None:
                shown.append(readonly_contents(model_admin, obj, field, empty))
                continue
            model = field.related_model
            if model not in prefixes:
                prefixes[model] = change_url_prefix(model, model_admin.admin_site.name)
            prefix = prefixes[model]
            text = escape_text(value)
            if prefix is None:
                shown.append(mark_safe(_linebreaks(text)))
            else:
                url = f"{prefix[0]}/{quote(value.pk)}/{prefix[1]}".translate(HTML_ESCAPES)
                shown.append(mark_safe(_linebreaks(f'<a href="{url}">{text}</a>')))
            continue
        value = getattr(obj, field.attname)
        if getattr(field, "flatchoices", None):
            text = dict(field.flatchoices).get(value, empty)
        elif isinstance(field, models.BooleanField):
            shown.append(_boolean_icon(value))
            continue
        elif value is None:
            text = empty
        elif isinstance(field, models.JSONField):
            text = json_text(value) or empty
        elif isinstance(field, models.DateTimeField):
            if date_format is None:
                date_format = DatetimeFormat(get_format("DATETIME_FORMAT"))
            text = date_format(value.astimezone(zone) if timezone.is_aware(value) else value)
        else:
            shown.append(readonly_contents(model_admin, obj, field, empty))
            continue
        shown.append(mark_safe(_linebreaks(escape_text(text))))
    return shown


INLINE_LABEL = mark_safe(' class="inline"')


def _fieldset_names(fieldsets):
    return [name for _name, options in fieldsets for line in options["fields"] for name in _line_names(line)]


def _line_names(line):
    return [line] if isinstance(line, str) else list(line)


def readonly_fieldsets(model_admin, request, obj, contents=None):
    """The fieldsets of a change form whose fields are all read-only, as the values that
    admin/includes/fieldset.html shows, computed once: what a lean template loops over
    instead of Django's form and field wrappers. `contents`, when given, holds what to
    show of each field in order (see readonly_fieldsets_html)."""
    opts = model_admin.opts
    fieldset_list = model_admin.get_fieldsets(request, obj)
    if contents is None:
        empty = model_admin.get_empty_value_display()
        contents = [
            readonly_contents(model_admin, obj, opts.get_field(n), empty) for n in _fieldset_names(fieldset_list)
        ]
    contents = iter(contents)
    suffix = gettext(":")
    fieldsets = []
    for index, (name, options) in enumerate(fieldset_list):
        classes = " ".join(options.get("classes", ()))
        lines = []
        for line in options["fields"]:
            names = _line_names(line)
            single = len(names) == 1
            fields = []
            for position, field_name in enumerate(names):
                field = opts.get_field(field_name)
                box = "flex-container" if single else f"flex-container fieldBox field-{field_name}"
                inline = "" if position == 0 else INLINE_LABEL
                fields.append(
                    {
                        "box": box,
                        "label": format_html("<label{}>{}{}</label>", inline, capfirst(field.verbose_name), suffix),
                        "contents": next(contents),
                        "help": field.help_text,
                    }
                )
            lines.append({"classes": "".join(f" field-{n}" for n in names), "single": single, "fields": fields})
        fieldsets.append(
            {
                "name": capfirst(name) if name else "",
                "classes": classes,
                "heading_id": f"fieldset-0-{index}-heading",
                "is_collapsible": bool(name) and "collapse" in options.get("classes", ()),
                "description": options.get("description"),
                "lines": lines,
            }
        )
    return fieldsets


def readonly_fieldsets_html(model_admin, request, obj, template_name):
    """`template_name` (a loop over `case_fieldsets` as readonly_fieldsets() gives them)
    rendered once per language and fieldsets, each field's value filled in per request
    (readonly_values; issue 13)."""
    fieldsets = model_admin.get_fieldsets(request, obj)
    names = _fieldset_names(fieldsets)
    key = (
        type(model_admin),
        tuple(
            (name, tuple(options.get("classes", ())), tuple(map(tuple, map(_line_names, options["fields"]))))
            + (options.get("description"),)
            for name, options in fieldsets
        ),
    )
    parts = _fragments.get(("holes", template_name, get_language(), key))
    if parts is None:
        holes = [hole(index) for index in range(len(names))]
        parts = template_with_holes(
            template_name, key, {"case_fieldsets": readonly_fieldsets(model_admin, request, obj, holes)}
        )
    opts = model_admin.opts
    fields = [opts.get_field(name) for name in names]
    return fill_holes(parts, readonly_values(model_admin, obj, fields, model_admin.get_empty_value_display()))


def _inline_fk(inline, parent):
    opts = inline.opts
    if inline.fk_name:
        return opts.get_field(inline.fk_name)
    return next(f for f in opts.fields if f.many_to_one and f.related_model is type(parent))


def readonly_inline(inline, parent, objects, values=None):
    """A tabular inline of read-only rows (ReadOnlyInline) as the values that
    admin/edit_inline/tabular.html shows, for `objects` of `parent`. With `values` (a
    list), each row's varying values are appended to it, and the rows hold hole()
    markers in their place (see readonly_inlines_html)."""
    opts = inline.opts
    fk = _inline_fk(inline, parent)
    prefix = fk.remote_field.get_accessor_name(model=inline.model).replace("+", "")
    empty = inline.get_empty_value_display()
    fields = [opts.get_field(name) for name in inline.fields]
    rows = []
    for index, obj in enumerate(objects):
        row = [str(obj), obj.pk, parent.pk, *readonly_values(inline, obj, fields, empty)]
        if values is not None:
            row = [hole(len(values) + position) for position in range(len(row))]
            values.extend(row)
        rows.append(
            {
                "original": row[0],
                "id": f"{prefix}-{index}",
                "pk_name": f"{prefix}-{index}-{opts.pk.name}",
                "pk": row[1],
                "fk_name": f"{prefix}-{index}-{fk.name}",
                "fk": row[2],
                "cells": [
                    {"name": field.name, "contents": contents} for field, contents in zip(fields, row[3:], strict=True)
                ],
            }
        )
    return {
        "prefix": prefix,
        "data": json.dumps(
            {
                "name": f"#{prefix}",
                "options": {
                    "prefix": prefix,
                    "addText": gettext("Add another %(verbose_name)s") % {"verbose_name": capfirst(opts.verbose_name)},
                    "deleteText": gettext("Remove"),
                },
            }
        ),
        "total": len(rows),
        "heading": capfirst(opts.verbose_name_plural),
        "columns": [{"name": field.name, "label": capfirst(field.verbose_name)} for field in fields],
        "rows": rows,
    }


def readonly_inlines_html(inlines, parent, template_name):
    """`template_name` (a loop over `case_inlines` as readonly_inline() gives them) for
    `inlines`, a list of (inline, objects), rendered once per language, inlines and
    number of rows, each row's values filled in per request (issue 13)."""
    key = tuple((type(inline), len(objects)) for inline, objects in inlines)
    parts = _fragments.get(("holes", template_name, get_language(), key))
    if parts is None:
        marked = []
        context = {"case_inlines": [readonly_inline(inline, parent, objects, marked) for inline, objects in inlines]}
        parts = template_with_holes(template_name, key, context)
    values = []
    for inline, objects in inlines:
        fields = [inline.opts.get_field(name) for name in inline.fields]
        empty = inline.get_empty_value_display()
        for obj in objects:
            values.extend((escape_text(obj), escape_text(obj.pk), escape_text(parent.pk)))
            values.extend(readonly_values(inline, obj, fields, empty))
    return fill_holes(parts, values)
