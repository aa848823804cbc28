"""Admin building blocks for the mediators' desk: history is shown, never edited.

One module per concern; callers import the names re-exported here
(`from core.admin import ReadOnlyAdminMixin`; settings name `core.admin.DeskAdminSite`
through core.apps):

- `site`: DeskAdminSite, whose app list, sidebar and user tools are computed once per
  permission set and language;
- `fragments`: the per-process caches and what fills them: fragments rendered once per
  language and key, templates with holes, URLs reversed once, HTML_ESCAPES;
- `readonly`: read-only inlines and ModelAdmins, read-only change forms and inlines
  rendered from plain values;
- `decisions`: a mediator's decision page (form, one service call, message);
- `filters`: the market list filter;
- `changelist`: FastChangeListMixin and CountOnceChangeList, the changelist's parts
  rendered once;
- `rows`: the changelist's rows rendered from columns prepared once;
- `date_hierarchy`: the changelist's date hierarchy (a skip scan on PostgreSQL);
- `tables`: the unfiltered list's count and dates kept in the cache under a version of
  the table that creating or deleting a row replaces;
- `datetimes`: DatetimeFormat, a page's datetimes formatted once per day and minute.

Nothing here imports an app of ours (orders, discussions, buyers, api, config).
"""

from .changelist import (
    CountOnceChangeList,
    FastChangeListMixin,
    LazyResultList,
    changelist_fragments,
    changelist_head,
    value_paths,
)
from .date_hierarchy import date_hierarchy_context, date_hierarchy_html
from .datetimes import DATE_SPECIFIERS, MINUTE_SPECIFIERS, DatetimeFormat
from .decisions import decision_view
from .filters import MarketFilter, market_filter
from .fragments import (
    CACHE_LIMIT,
    HTML_ESCAPES,
    admin_fragment,
    admin_templates,
    cached_html,
    change_url_prefix,
    escape_text,
    fill_holes,
    hole,
    reused_row,
    template_with_holes,
    url_for,
    url_parts,
)
from .frame import FramedTemplateResponse
from .readonly import (
    INLINE_LABEL,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    readonly_contents,
    readonly_fieldsets,
    readonly_fieldsets_html,
    readonly_inline,
    readonly_inlines_html,
    readonly_values,
)
from .rows import changelist_rows
from .site import CSRF_TOKEN_MARKER, DeskAdminSite
from .tables import table_fact, watch_table

__all__ = [
    "FramedTemplateResponse",
    "CACHE_LIMIT",
    "CSRF_TOKEN_MARKER",
    "DATE_SPECIFIERS",
    "HTML_ESCAPES",
    "INLINE_LABEL",
    "MINUTE_SPECIFIERS",
    "CountOnceChangeList",
    "DatetimeFormat",
    "DeskAdminSite",
    "FastChangeListMixin",
    "table_fact",
    "watch_table",
    "LazyResultList",
    "MarketFilter",
    "ReadOnlyAdminMixin",
    "ReadOnlyInline",
    "admin_fragment",
    "admin_templates",
    "cached_html",
    "change_url_prefix",
    "changelist_fragments",
    "changelist_head",
    "changelist_rows",
    "date_hierarchy_context",
    "date_hierarchy_html",
    "decision_view",
    "escape_text",
    "fill_holes",
    "hole",
    "reused_row",
    "market_filter",
    "readonly_contents",
    "readonly_fieldsets",
    "readonly_fieldsets_html",
    "readonly_inline",
    "readonly_inlines_html",
    "readonly_values",
    "template_with_holes",
    "url_for",
    "url_parts",
    "value_paths",
]
