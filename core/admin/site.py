"""The mediators' desk site (`DeskAdminSite`, settings' default admin site through
core.apps): its app list, navigation sidebar and user tools computed once per
permission set and language (issue 13)."""

from urllib.parse import quote as urlquote

from django.conf import settings
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..auth_forms import AdminSignInForm
from .changelist import with_checked_lookups
from .fragments import CACHE_LIMIT, _app_lists, _forget, _sidebars, admin_fragment

# Where DeskAdminSite.usertools splits its fragment for the request's CSRF token.
CSRF_TOKEN_MARKER = "\x00csrf-token\x00"


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

    login_form = AdminSignInForm  # SAFE-07: over-long input is a form error

    def register(self, model_or_iterable, admin_class=None, **options):
        # SAFE-09: every list refuses filter values it cannot use with a message.
        super().register(model_or_iterable, with_checked_lookups(admin_class), **options)
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
