"""Admin building blocks for the mediators' desk: history is shown, never edited."""

import datetime
import json
import re
from operator import attrgetter, itemgetter
from urllib.parse import quote as urlquote

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.filters import BooleanFieldListFilter, ChoicesFieldListFilter
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_list import _boolean_icon, _coerce_field_name, pagination, result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    get_fields_from_path,
    quote,
)
from django.contrib.admin.views.main import IS_FACETS_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import InvalidPage
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import dateformat, formats, timezone
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .instants import InstantMicros, instant

# --- The admin site (issue 13) ----------------------------------------------------------

# Per process: the app lists and the rendered navigation sidebars (DeskAdminSite) and
# other fragments (admin_fragment), by key.
_app_lists = {}
_sidebars = {}
_fragments = {}
# Distinct permission sets × languages are few; the bound only guards memory.
CACHE_LIMIT = 1000
# Where DeskAdminSite.usertools splits its fragment for the request's CSRF token.
CSRF_TOKEN_MARKER = "\x00csrf-token\x00"


def _forget(**kwargs):
    # Tests that change settings (URLs, languages, DEBUG) get app lists built anew.
    _app_lists.clear()
    _sidebars.clear()
    _fragments.clear()
    _url_prefixes.clear()


def admin_fragment(template_name, key, context):
    """`template_name` (or the first of a list that exists) rendered with `context` (no
    request, no context processors), once per (template, language, key) and process
    (issue 13); `key` must determine what the rendering shows. With DEBUG on it is
    rendered every time, so an edited template shows at once."""
    cache_key = (tuple(template_name) if isinstance(template_name, list) else template_name, get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        html = mark_safe(render_to_string(template_name, context))
        if not settings.DEBUG:
            if len(_fragments) >= CACHE_LIMIT:
                _fragments.clear()
            _fragments[cache_key] = html
    return html


setting_changed.connect(_forget, dispatch_uid="core_admin_forget")


class DeskAdminSite(admin.AdminSite):
    """The mediators' desk: Django's admin site whose list of apps and models (built
    with a permission check per model and action on every page) is computed once per
    permission set, language and URL prefix, and whose navigation sidebar is rendered
    once per such list and current app and model, then reused (issue 13).

    What the list shows depends on the user only through the permissions
    (ModelAdmin.has_*_permission and has_module_permission call user.has_perm and
    user.has_module_perms), so the key is the user's permission set, which Django's
    ModelBackend caches per request anyway: a changed permission makes another key.
    Registering a model forgets every list."""

    def register(self, *args, **kwargs):
        super().register(*args, **kwargs)
        _forget()

    def unregister(self, *args, **kwargs):
        super().unregister(*args, **kwargs)
        _forget()

    def app_list_key(self, request):
        """What the app list depends on, besides the registry: the user's permissions,
        the active language (names and their order) and the URL prefix."""
        key = getattr(request, "_desk_app_list_key", None)
        if key is None:
            user = request.user
            if not user.is_active:
                permissions = None
            elif user.is_superuser:
                permissions = True
            else:
                permissions = frozenset(user.get_all_permissions())
            key = (self.name, permissions, get_language(), get_script_prefix())
            request._desk_app_list_key = key
        return key

    def get_app_list(self, request, app_label=None):
        key = (self.app_list_key(request), app_label)
        app_list = _app_lists.get(key)
        if app_list is None:
            app_list = super().get_app_list(request, app_label)
            if len(_app_lists) >= CACHE_LIMIT:
                _app_lists.clear()
            _app_lists[key] = app_list
        return app_list

    def each_context(self, request):
        context = super().each_context(request)
        if self.enable_nav_sidebar:
            context["nav_sidebar"] = self.nav_sidebar(request, context["available_apps"])
        context["usertools"] = self.usertools(request, context)
        return context

    def usertools(self, request, context):
        """admin/base.html's usertools block (the welcome, the links, the log-out form)
        rendered once per language and what it shows of the user, as the two parts
        around the CSRF token that admin/base_site.html writes between them."""
        if not context["has_permission"]:
            return None  # the block shows nothing then (the sign-in page has its own)
        user = request.user
        key = (
            context["site_url"],
            user.is_active and user.is_staff,
            user.has_usable_password(),
            user.get_short_name(),
            user.get_username(),
            get_script_prefix(),
        )
        html = admin_fragment(
            "admin/desk/usertools.html",
            key,
            {
                "has_permission": True,
                "user": user,
                "site_url": context["site_url"],
                "csrf_token_marker": CSRF_TOKEN_MARKER,
            },
        )
        head, tail = html.split(CSRF_TOKEN_MARKER)
        return {"head": mark_safe(head), "tail": mark_safe(tail)}

    def password_change(self, request, extra_context=None):
        # Its template shows other user links (its own userlinks block).
        return super().password_change(request, {"usertools": None, **(extra_context or {})})

    def password_change_done(self, request, extra_context=None):
        return super().password_change_done(request, {"usertools": None, **(extra_context or {})})

    def nav_sidebar(self, request, app_list):
        """admin/nav_sidebar.html for `app_list`, as admin/base.html includes it: the
        current app and model are those whose URL is part of the request's path."""
        app_key = self.app_list_key(request)
        urls = _sidebars.get(app_key)
        if urls is None:
            urls = [
                url for app in app_list for url in (app["app_url"], *[m["admin_url"] for m in app["models"]]) if url
            ]
            _sidebars[app_key] = urls
        path = urlquote(request.path)  # the template's request.path|urlencode
        current = tuple([url for url in urls if url in path])
        key = (app_key, current)
        html = _sidebars.get(key)
        if html is None:
            html = mark_safe(
                render_to_string("admin/nav_sidebar.html", {"available_apps": app_list, "request": request})
            )
            if not settings.DEBUG:
                if len(_sidebars) >= CACHE_LIMIT:
                    _sidebars.clear()
                _sidebars[key] = html
        return html


class ReadOnlyInline(admin.TabularInline):
    """History rows (events, messages, status changes): visible, never added, edited or deleted."""

    extra = 0
    can_delete = False
    show_change_link = False

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


def decision_view(
    model_admin,
    request,
    obj,
    form_class,
    handler,
    title,
    success,
    permission="discussions.mediate_discussion",
    form_kwargs=None,
):
    """A mediator decision: a form with the reason, one service call, a message."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST or None, **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        try:
            handler(obj, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            model_admin.message_user(request, success, messages.SUCCESS)
            return redirect(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", obj.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "object": obj,
        "form": form,
        "title": title,
        "opts": obj._meta,
    }
    return TemplateResponse(request, "admin/discussions/decision.html", context)


class MarketFilter(admin.SimpleListFilter):
    """Filter a list by market (allegro.pl, .cz, .sk, .hu). Subclasses name the lookup
    path to the market (`market_path`) or build the condition (`market_condition`)."""

    title = _("market")
    parameter_name = "market"
    market_path = "market"
    # Its choices depend on nothing but the query and the language (changelist_fragments).
    fixed_lookups = True

    def lookups(self, request, model_admin):
        from .markets import MARKET_DOMAINS

        return list(MARKET_DOMAINS.items())

    def market_condition(self, code):
        return Q(**{self.market_path: code})

    def queryset(self, request, queryset):
        code = self.value()
        if code and code in dict(self.lookups(request, None)):
            return queryset.filter(self.market_condition(code))
        return queryset


def market_filter(path):
    """A MarketFilter over `path`, e.g. market_filter("order__market")."""
    return type("MarketFilter", (MarketFilter,), {"market_path": path})


# --- Values computed once, written as HTML (issue 13) ------------------------------------

HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape_text(value):
    """django.utils.html.escape(value) as a plain str, in one pass: for the many values
    of a page's rows (`text.translate(HTML_ESCAPES)` for a str)."""
    return str(value).translate(HTML_ESCAPES)


# --- Read-only change forms rendered from plain values (issue 13) ------------------------


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
    else:
        shown = display_for_field(value, field, empty)
    return conditional_escape(linebreaksbr(shown))


def _linebreaks(html):
    """linebreaksbr() of text already escaped."""
    if "\r" in html:
        html = html.replace("\r\n", "\n").replace("\r", "\n")
    return html.replace("\n", "<br>")


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
        elif isinstance(field, models.DateTimeField):
            if date_format is None:
                date_format = DatetimeFormat(get_format("DATETIME_FORMAT"))
            text = date_format(value.astimezone(zone) if timezone.is_aware(value) else value)
        else:
            shown.append(readonly_contents(model_admin, obj, field, empty))
            continue
        shown.append(mark_safe(_linebreaks(escape_text(text))))
    return shown


_url_prefixes = {}


def url_for(name, pk):
    """reverse(name, args=[pk]) for URLs that take one object id, from a prefix and
    suffix reversed once per process and URL prefix."""
    key = (name, get_script_prefix())
    parts = _url_prefixes.get(key)
    if parts is None:
        head, _zero, tail = reverse(name, args=["0"]).rpartition("/0/")
        parts = _url_prefixes[key] = (head, tail)
    return f"{parts[0]}/{pk}/{parts[1]}"


def cached_html(key, build):
    """build(), HTML that depends on `key` and the active language only, once per
    process (issue 13)."""
    cache_key = ("html", get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        html = mark_safe(build())
        if not settings.DEBUG:
            _fragments[cache_key] = html
    return html


def change_url_prefix(model, site_name="admin"):
    """(head, tail) of the change page URL of `model`'s objects,
    f"{head}/{quote(pk)}/{tail}", reversed once per process and URL prefix; None when
    the model has no change page."""
    key = (model, site_name, get_script_prefix())
    if key not in _url_prefixes:
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=["0"], current_app=site_name)
        except NoReverseMatch:
            _url_prefixes[key] = None
        else:
            head, _zero, tail = url.rpartition("/0/")
            _url_prefixes[key] = (head, tail)
    return _url_prefixes[key]


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


# --- Templates rendered once with holes, filled per request (issue 13) --------------------

_HOLE = "\x00hole{}\x00"
_HOLES = re.compile("\x00hole(\\d+)\x00")


def hole(index):
    """The marker of the `index`th value in a template rendered by `template_with_holes`."""
    return mark_safe(_HOLE.format(index))


def template_with_holes(template_name, key, context):
    """`template_name` rendered once per (template, language, key) and process with
    `hole(i)` markers among `context`'s values, as the texts between them and the
    values' indexes (`fill_holes`); `key` must determine the rest of the rendering."""
    cache_key = ("holes", template_name, get_language(), key)
    parts = _fragments.get(cache_key)
    if parts is None:
        parts = _HOLES.split(render_to_string(template_name, context))
        parts = [part if position % 2 == 0 else int(part) for position, part in enumerate(parts)]
        if not settings.DEBUG:
            if len(_fragments) >= CACHE_LIMIT:
                _fragments.clear()
            _fragments[cache_key] = parts
    return parts


def fill_holes(parts, values):
    """The rendering of `template_with_holes` with `values` (HTML, escaped) in its holes."""
    out = [parts[0]]
    for position in range(1, len(parts), 2):
        out.append(values[parts[position]])
        out.append(parts[position + 1])
    return mark_safe("".join(out))


# --- Changelist rows rendered from columns prepared once (issue 13) -----------------------


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
    return [mark_safe("".join([cell(row) for cell in cells])) for row in rows]


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


def value_paths(cl, computed):
    """The columns a page's values must hold for `cl.list_display` ("pk" first), or None
    when a column is neither a model field nor computed by `computed` (the ModelAdmin's
    changelist_values())."""
    paths = ["pk"]

    def add(*names):
        paths.extend(name for name in names if name not in paths)

    for name in cl.list_display:
        if name == "action_checkbox":
            name = "__str__"
        try:
            field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            field = None
        if field is not None and not field.is_relation:
            add(field.attname)
        elif name in computed:
            add(*computed[name][0])
        else:
            return None
    return paths


class LazyResultList:
    """The model instances of a changelist page read as values (issue 13): Django's
    changelist asks only how many there are; they are read if iterated (Django's own
    rendering of the rows, tests)."""

    def __init__(self, queryset, length):
        self.queryset = queryset
        self.length = length
        self.objects = None

    def __len__(self):
        return self.length

    def __bool__(self):
        return self.length > 0

    def _all(self):
        if self.objects is None:
            self.objects = list(self.queryset)
        return self.objects

    def __iter__(self):
        return iter(self._all())

    def __getitem__(self, index):
        return self._all()[index]


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


# Format specifiers that depend on the date only (django.utils.dateformat.DateFormat).
DATE_SPECIFIERS = frozenset("bdDEFjlLmMnNoStwWyYz")
# ... and those that do not depend on more than the minute (and the zone's offset).
MINUTE_SPECIFIERS = DATE_SPECIFIERS | frozenset("aAefgGhHiIOPTZ")


class DatetimeFormat:
    """`dateformat.format(value, format)` for the many datetimes of one page, with the
    parts that depend only on the date (month names, which are translated) computed
    once per day, and the whole text once per minute when the format shows no seconds."""

    def __init__(self, format_string):
        self.pieces = []
        for index, piece in enumerate(dateformat.re_formatchars.split(str(format_string))):
            if index % 2:
                self.pieces.append((piece, piece in DATE_SPECIFIERS))
            elif piece:
                self.pieces.append((dateformat.re_escaped.sub(r"\1", piece), None))
        self.days = {}
        self.by_minute = all(of_date is None or piece in MINUTE_SPECIFIERS for piece, of_date in self.pieces)
        self.minutes = {}

    def __call__(self, value):
        if not self.by_minute:
            return self.format(value)
        # The local minute (fold tells the two of a repeated hour apart) and its zone.
        key = (value.year, value.month, value.day, value.hour, value.minute, value.fold, value.tzinfo)
        text = self.minutes.get(key)
        if text is None:
            text = self.minutes[key] = self.format(value)
        return text

    def format(self, value):
        formatter = None
        day = self.days.get(value.date())
        if day is None:
            formatter = dateformat.DateFormat(value)
            day = {piece: str(getattr(formatter, piece)()) for piece, of_date in self.pieces if of_date}
            self.days[value.date()] = day
        out = []
        for piece, of_date in self.pieces:
            if of_date is None:
                out.append(piece)
            elif of_date:
                out.append(day[piece])
            else:
                formatter = formatter or dateformat.DateFormat(value)
                out.append(str(getattr(formatter, piece)()))
        return "".join(out)


class CountOnceChangeList(ChangeList):
    """Django's changelist, counting the rows once when nothing filters them: Django
    counts the list and then the whole table for "N total", which are then the same
    number (issue 13: one COUNT instead of two). When the ModelAdmin computes each of
    its columns from plain values (`changelist_values`), the page is read as those
    values (`result_rows`, `result_paths`) instead of model instances, and `result_list`
    reads the instances only if iterated."""

    def get_results(self, request):
        if not self.model_admin.show_full_result_count or self.queryset.query.where or self.root_queryset.query.where:
            super().get_results(request)
        else:
            self.count_once(request)
        self.read_values()

    def count_once(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_count = paginator.count
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset._clone()
        else:
            try:
                result_list = paginator.page(self.page_num).object_list
            except InvalidPage:
                raise IncorrectLookupParameters from None
        self.result_count = result_count
        self.show_full_result_count = True
        self.show_admin_actions = bool(result_count)
        self.full_result_count = result_count
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator

    def read_values(self):
        self.result_rows = None
        values = getattr(self.model_admin, "changelist_values", None)
        if values is None or self.is_popup or self.to_field or self.list_editable or self.list_display_links is None:
            return
        computed = values()
        paths = value_paths(self, computed)
        if paths is None:
            return
        self.result_values = computed
        self.result_paths = paths
        # A related object's column as a scalar subquery by its key (PostgreSQL plans a
        # join of each in more time than reading a page's rows takes); on PostgreSQL a
        # datetime as integer microseconds (core.instants), which psycopg reads in C.
        postgresql = connections[self.result_list.db].vendor == "postgresql"
        self.result_micros = set()
        annotations = {}
        columns = []
        for path in paths:
            expression = _related_column(self.model, path)
            if expression is None and postgresql and _is_datetime_field(self.model, path):
                expression = InstantMicros(path)
                self.result_micros.add(path)
            if expression is None:
                columns.append(path)
            else:
                columns.append(f"cl_value_{len(annotations)}")
                annotations[columns[-1]] = expression
        queryset = self.result_list.annotate(**annotations) if annotations else self.result_list
        self.result_rows = list(queryset.values_list(*columns))
        self.result_list = LazyResultList(self.result_list, len(self.result_rows))


_related_columns = {}


def _related_column(model, path):
    """For "relation__column" across a forward relation, the column as a subquery (an
    expression reused by every query, which resolves a copy of it)."""
    key = (model, path)
    if key not in _related_columns:
        _related_columns[key] = _subquery_column(model, path)
    return _related_columns[key]


def _subquery_column(model, path):
    name, _sep, rest = path.partition("__")
    if not rest:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not (field.many_to_one or (field.one_to_one and field.concrete)):
        return None
    related = field.related_model._base_manager.filter(pk=OuterRef(field.attname)).order_by()
    return Subquery(related.values(rest))


def _is_datetime_field(model, path):
    try:
        return isinstance(model._meta.get_field(path), models.DateTimeField)
    except FieldDoesNotExist:
        return False


def admin_templates(opts, name):
    """The templates an admin inclusion tag renders (InclusionAdminNode), most specific
    first."""
    app_label = opts.app_label.lower()
    return [f"admin/{app_label}/{opts.model_name}/{name}", f"admin/{app_label}/{name}", f"admin/{name}"]


def _query_key(cl):
    """The query a changelist's links are built from (ChangeList.filter_params)."""
    return tuple(sorted((name, tuple(values)) for name, values in cl.filter_params.items()))


def changelist_fragments(cl, context):
    """The parts of a changelist page that its rows do not make, each rendered once per
    language and what it shows (issue 13), for templates/admin/discussions/discussion/
    change_list.html: the search form, the date hierarchy, the actions, the pagination,
    the filters (when every filter's choices are fixed and not counted) and the media.
    A part is None where Django's tag is to render it."""
    opts = cl.opts
    model_admin = cl.model_admin
    query = _query_key(cl)
    owner = type(model_admin)
    fragments = {}
    search_context = {
        "cl": cl,
        "show_result_count": cl.result_count != cl.full_result_count,
        "search_var": SEARCH_VAR,
        "is_popup_var": IS_POPUP_VAR,
        "is_facets_var": IS_FACETS_VAR,
    }
    fragments["changelist_search"] = admin_fragment(
        admin_templates(opts, "search_form.html"),
        ("search", owner, query, cl.query, cl.result_count, cl.full_result_count, cl.show_full_result_count),
        search_context,
    )
    fragments["changelist_dates"] = date_hierarchy_html(cl, query)
    fragments["changelist_pagination"] = admin_fragment(
        admin_templates(opts, "pagination.html"),
        (
            "pagination",
            owner,
            query,
            cl.page_num,
            cl.result_count,
            cl.paginator.num_pages,
            cl.show_all,
            cl.can_show_all,
            cl.multi_page,
            cl.formset is not None,
        ),
        pagination(cl),
    )
    action_form = context.get("action_form")
    if action_form is not None and not context.get("actions_on_bottom"):
        choices = tuple(action_form.fields["action"].choices)
        fragments["changelist_actions"] = admin_fragment(
            admin_templates(opts, "actions.html"),
            ("actions", owner, choices, context["actions_selection_counter"], len(cl.result_list), cl.result_count),
            {**context, "action_index": 0},
        )
    else:
        fragments["changelist_actions"] = None
    fixed = cl.has_filters is not None and not cl.add_facets and all(_fixed_choices(spec) for spec in cl.filter_specs)
    fragments["changelist_filters"] = (
        admin_fragment(
            "admin/desk/changelist_filters.html",
            ("filters", owner, query, cl.is_facets_optional, cl.has_active_filters, cl.clear_all_filters_qs),
            {"cl": cl},
        )
        if fixed
        else None
    )
    if cl.formset is None:
        media = context["media"]
        fragments["media"] = {
            "js": cached_html(("changelist_media_js", owner, action_form is not None), lambda: str(media["js"])),
            "css": cached_html(("changelist_media_css", owner, action_form is not None), lambda: str(media["css"])),
        }
    return fragments


def _fixed_choices(spec):
    """Whether a list filter's choices depend on nothing but the query and the language."""
    if isinstance(spec, (ChoicesFieldListFilter, BooleanFieldListFilter)):
        return type(spec).choices in (ChoicesFieldListFilter.choices, BooleanFieldListFilter.choices)
    return getattr(spec, "fixed_lookups", False)


def changelist_head(cl):
    """The head of the changelist's table (templates/admin/desk/changelist_head.html),
    rendered once per language and query."""
    key = ("head", type(cl.model_admin), _query_key(cl), tuple(cl.list_display))
    cache_key = ("admin/desk/changelist_head.html", get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        headers = list(result_headers(cl))
        html = admin_fragment(
            "admin/desk/changelist_head.html",
            key,
            {
                "result_headers": headers,
                "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
            },
        )
    return html


# --- The date hierarchy (issue 13) --------------------------------------------------------


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
        kind, dates = None, ()
    else:
        kind = "day" if year_lookup and month_lookup else "month" if year_lookup else "year"
        if skip:
            dates = _distinct_local(cl, field, kind, date_range or _local_range(cl, field))
        else:
            dates = list(getattr(cl.queryset, "datetimes" if datetimes else "dates")(field_name, kind))
        dates = tuple((d.year, d.month, d.day) for d in dates)
    key = ("dates", type(cl.model_admin), query, str(year_lookup), str(month_lookup), str(day_lookup), kind, dates)
    cache_key = (tuple(admin_templates(cl.opts, "date_hierarchy.html")), get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        context = date_hierarchy_context(
            cl, field_name, year_lookup, month_lookup, day_lookup, [datetime.date(*d) for d in dates]
        )
        html = admin_fragment(admin_templates(cl.opts, "date_hierarchy.html"), key, context)
    return html


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


class FastChangeListMixin:
    """A ModelAdmin whose changelist rows are rendered by `changelist_rows` (issue 13);
    its change_list.html shows `changelist_rows` when they are there and Django's
    `result_list` otherwise (see templates/admin/discussions/discussion/change_list.html).

    A subclass may define `changelist_values()`: for each column of list_display that is
    not a plain model field (related objects, ModelAdmin methods) and for "__str__" (the
    action checkbox's label), the columns it is computed from and a function of their
    values giving what the column shows (None: the one value itself); the page is then
    read as plain values. A related object's function is not called when it is None."""

    def get_changelist(self, request, **kwargs):
        return CountOnceChangeList

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        cl = context.get("cl") if context else None
        if cl is not None:
            rows = changelist_rows(cl)
            if rows is not None:
                context["changelist_rows"] = rows
                # The rows as the template's loop over them wrote them.
                context["changelist_rows_html"] = mark_safe("".join([f"\n<tr>{row}</tr>\n" for row in rows]))
                context["changelist_head"] = changelist_head(cl)
            context.update(changelist_fragments(cl, context))
        return response
