"""Admin building blocks for the mediators' desk: history is shown, never edited."""

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, quote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError


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

    def lookups(self, request, model_admin):
        from orders.markets import MARKET_DOMAINS

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


INLINE_LABEL = mark_safe(' class="inline"')


def readonly_fieldsets(model_admin, request, obj):
    """The fieldsets of a change form whose fields are all read-only, as the values that
    admin/includes/fieldset.html shows, computed once: what a lean template loops over
    instead of Django's form and field wrappers."""
    opts = model_admin.opts
    empty = model_admin.get_empty_value_display()
    suffix = gettext(":")
    fieldsets = []
    for index, (name, options) in enumerate(model_admin.get_fieldsets(request, obj)):
        classes = " ".join(options.get("classes", ()))
        lines = []
        for line in options["fields"]:
            names = [line] if isinstance(line, str) else list(line)
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
                        "contents": readonly_contents(model_admin, obj, field, empty),
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


def readonly_inline(inline, parent, objects):
    """A tabular inline of read-only rows (ReadOnlyInline) as the values that
    admin/edit_inline/tabular.html shows, for `objects` of `parent`."""
    opts = inline.opts
    fk = (
        opts.get_field(inline.fk_name)
        if inline.fk_name
        else next(f for f in opts.fields if f.many_to_one and f.related_model is type(parent))
    )
    prefix = fk.remote_field.get_accessor_name(model=inline.model).replace("+", "")
    empty = inline.get_empty_value_display()
    fields = [opts.get_field(name) for name in inline.fields]
    rows = [
        {
            "original": str(obj),
            "id": f"{prefix}-{index}",
            "pk_name": f"{prefix}-{index}-{opts.pk.name}",
            "pk": obj.pk,
            "fk_name": f"{prefix}-{index}-{fk.name}",
            "fk": parent.pk,
            "cells": [
                {"name": field.name, "contents": readonly_contents(inline, obj, field, empty)} for field in fields
            ],
        }
        for index, obj in enumerate(objects)
    ]
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
