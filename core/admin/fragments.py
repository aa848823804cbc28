"""What the desk renders once per process (issue 13): the caches of app lists, sidebars,
fragments and URL prefixes (forgotten when a setting changes), fragments rendered once
per language and key, templates rendered once with holes filled per request, URLs
reversed once, and text escaped in one pass."""

import re

from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

# Per process: the app lists and the rendered navigation sidebars (DeskAdminSite) and
# other fragments (admin_fragment), by key.
_app_lists = {}
_sidebars = {}
_fragments = {}
# ... and the change URLs' prefixes and suffixes (url_for, change_url_prefix).
_url_prefixes = {}
# Distinct permission sets × languages are few; the bound only guards memory.
CACHE_LIMIT = 1000
# Changelist rows rendered from their values (core.admin.rows): a few pages of rows per
# list, language and time zone; about 1 kB each, so the bound is a few tens of MB.
_rows = {}
ROWS_LIMIT = 20_000


def _forget(**kwargs):
    # Tests that change settings (URLs, languages, DEBUG) get app lists built anew.
    _app_lists.clear()
    _sidebars.clear()
    _fragments.clear()
    _url_prefixes.clear()
    _rows.clear()


def reused_row(key, build, *arguments):
    """`build(*arguments)`, the HTML of a list's row, kept per process under `key` (with
    the changelists' rows, core.admin.rows): `key` must determine the HTML entirely."""
    html = _rows.get(key)
    if html is None:
        html = build(*arguments)
        if len(_rows) >= ROWS_LIMIT:
            _rows.clear()
        _rows[key] = html
    return html


def admin_fragment(template_name, key, context):
    """`template_name` (or the first of a list that exists) rendered with `context` (no
    request, no context processors), once per (template, language, key) and process
    (issue 13); `key` must determine what the rendering shows. With DEBUG on it is
    rendered every time, so an edited template shows at once."""
    cache_key = (tuple(template_name) if isinstance(template_name, list) else template_name, get_language(), key)
    html = _fragments.get(cache_key)
    if html is None:
        html = mark_safe(render_to_string(template_name, context() if callable(context) else context))
        if not settings.DEBUG:
            if len(_fragments) >= CACHE_LIMIT:
                _fragments.clear()
            _fragments[cache_key] = html
    return html


setting_changed.connect(_forget, dispatch_uid="core_admin_forget")


HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape_text(value):
    """django.utils.html.escape(value) as a plain str, in one pass: for the many values
    of a page's rows (`text.translate(HTML_ESCAPES)` for a str)."""
    return str(value).translate(HTML_ESCAPES)


def url_parts(name):
    """(head, tail) of URL `name` that takes one object id, f"{head}/{pk}/{tail}",
    reversed once per process and URL prefix."""
    key = (name, get_script_prefix())
    parts = _url_prefixes.get(key)
    if parts is None:
        head, _zero, tail = reverse(name, args=["0"]).rpartition("/0/")
        parts = _url_prefixes[key] = (head, tail)
    return parts


def url_for(name, pk):
    """reverse(name, args=[pk]) for URLs that take one object id (`url_parts`)."""
    head, tail = url_parts(name)
    return f"{head}/{pk}/{tail}"


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


# --- Templates rendered once with holes, filled per request -------------------------------

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


def admin_templates(opts, name):
    """The templates an admin inclusion tag renders (InclusionAdminNode), most specific
    first."""
    app_label = opts.app_label.lower()
    return [f"admin/{app_label}/{opts.model_name}/{name}", f"admin/{app_label}/{name}", f"admin/{name}"]
