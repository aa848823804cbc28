"""The fast changelist (issue 13): FastChangeListMixin, whose rows (core.admin.rows), table
head and other parts are rendered once per language and query, and CountOnceChangeList,
which counts once and reads a page as plain values; CheckedLookupsMixin, which every
ModelAdmin of the desk gets (SAFE-09), for list filters with impossible values."""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.filters import BooleanFieldListFilter, ChoicesFieldListFilter
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_list import pagination, result_headers
from django.contrib.admin.utils import FieldIsAForeignKeyColumnName, _get_non_gfk_field
from django.contrib.admin.views.main import ERROR_FLAG, IS_FACETS_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import InvalidPage
from django.db import connections, models
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..instants import InstantMicros
from ..prepared import keeps_plans, rows_by_shape
from .date_hierarchy import date_hierarchy_html
from .fragments import _fragments, admin_fragment, admin_templates, cached_html
from .frame import frame
from .rows import changelist_rows
from .tables import table_fact

FILTER_REFUSED = _("This list cannot be filtered that way; the whole list is shown.")


class CheckedLookupsMixin:
    """A list asked for with filter values no filter can use goes back to the whole list
    with a message (SAFE-09).

    Django's ChangeList answers a value it cannot apply (a month 13, a field that does
    not exist) with IncorrectLookupParameters, and the changelist view then redirects
    to the whole list (`?e=1`), without a word. Two kinds of value got past it as a 500:
    a date hierarchy's year, month or day out of the calendar's range (an OverflowError
    building the bounds of the period), and a NUL character, which PostgreSQL refuses in
    a text parameter (a filter, a search). Both are refused here before the list is
    built, and every refusal tells the user that the whole list is shown instead.
    DeskAdminSite registers every ModelAdmin with this mixin (`with_checked_lookups`)."""

    def get_changelist_instance(self, request):
        try:
            if impossible_lookup(self, request):
                raise IncorrectLookupParameters
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters:
            if ERROR_FLAG not in request.GET:  # Django's view redirects to `?e=1`
                self.message_user(request, FILTER_REFUSED, level=messages.WARNING)
            raise


def with_checked_lookups(admin_class):
    """`admin_class` (a ModelAdmin class; None for ModelAdmin) with CheckedLookupsMixin."""
    admin_class = admin_class or admin.ModelAdmin
    if issubclass(admin_class, CheckedLookupsMixin):
        return admin_class
    attributes = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    return type(admin_class.__name__, (CheckedLookupsMixin, admin_class), attributes)


def impossible_lookup(model_admin, request):
    """Whether the query of a list holds a NUL character, or a date hierarchy period
    whose bounds are not dates (as ChangeList.get_filters computes them)."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    field = model_admin.date_hierarchy
    year = request.GET.getlist(f"{field}__year") if field else None
    if not year:
        return False
    month = request.GET.getlist(f"{field}__month")
    day = request.GET.getlist(f"{field}__day")
    try:
        start = datetime.datetime(int(year[-1]), int(month[-1] if month else 1), int(day[-1] if day else 1))
        if day:
            end = start + datetime.timedelta(days=1)
        elif month:
            end = (start + datetime.timedelta(days=32)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
        if settings.USE_TZ:
            # As the database receives them: in UTC.
            for bound in (start, end):
                timezone.make_aware(bound).astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return True
    return False


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
            if self.changelist_framed and isinstance(response, TemplateResponse) and not response.is_rendered:
                frame(response, self.changelist_frame_key(context))
        return response

    # Whether the list is rendered from a frame kept per process (core.admin.frame): only
    # where the list's template shows nothing but the frame key outside the frame's blocks.
    changelist_framed = False

    def changelist_frame_key(self, context):
        """What admin/change_list.html shows outside the frame's per-request blocks: the
        model, the form set's and the actions' styles and scripts, the media."""
        cl = context["cl"]
        return (
            "changelist",
            type(self),
            bool(cl.formset),
            bool(context.get("action_form")),
            bool(context.get("actions_on_top")),
            bool(context.get("actions_on_bottom")),
            str(context.get("media", "")),
        )


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
        # The whole table's count, kept where the ModelAdmin keeps its table's facts
        # (core.admin.tables); Paginator.count is a cached_property.
        paginator.count = result_count = table_fact(self.model_admin, "count", lambda: paginator.count)
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
        query = self.result_list.query
        connection = connections[self.result_list.db]
        postgresql = connection.vendor == "postgresql"
        # The unfiltered list of a ModelAdmin whose get_queryset() is the same for every
        # request: its SQL depends only on the order and the page, and is compiled once
        # per connection (core.prepared.rows_by_shape).
        fixed = getattr(self.model_admin, "changelist_queryset_fixed", False) and not query.where
        # A related object's column as a scalar subquery by its key: PostgreSQL plans a
        # join of each in more time (1.3 ms) than reading a page's rows takes. Where the
        # SQL is fixed and PostgreSQL keeps its plan (prepared statements, not behind
        # PgBouncer), the joins are planned once and read the page in a third of the
        # subqueries' time (0.28 against 0.79 ms for 100 Discussions).
        joins = fixed and keeps_plans(connection)
        # On PostgreSQL a datetime as integer microseconds (core.instants), which psycopg
        # reads in C.
        self.result_micros = set()
        annotations = {}
        columns = []
        for path in paths:
            expression = None if joins else _related_column(self.model, path)
            if expression is None and postgresql and _is_datetime_field(self.model, path):
                expression = InstantMicros(path)
                self.result_micros.add(path)
            if expression is None:
                columns.append(path)
            else:
                columns.append(f"cl_value_{len(annotations)}")
                annotations[columns[-1]] = expression

        def build():
            queryset = self.result_list.annotate(**annotations) if annotations else self.result_list
            return queryset.values_list(*columns)

        if fixed:
            key = (type(self.model_admin), tuple(columns), tuple(query.order_by), query.low_mark, query.high_mark)
            self.result_rows = rows_by_shape(key, build, self.result_list.db)
        else:
            self.result_rows = list(build())
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
