"""Issue 13: the mediators' desk site (core.admin.DeskAdminSite) builds its list of apps
and models once per permission set, language and URL prefix, and renders the navigation
sidebar once per such list and current model; what it shows is what Django's AdminSite
shows, and a changed permission shows at once."""

import cProfile
import pstats
import re

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.admin import DeskAdminSite

pytestmark = pytest.mark.django_db

PATHS = [
    "admin:discussions_discussion_changelist",
    "admin:discussions_queue",
    "admin:orders_order_changelist",
    "admin:auth_user_changelist",
    "admin:index",
]


def _request(rf, user, path):
    request = rf.get(path)
    request.user = user
    return request


def _djangos_sidebar(site, request):
    """What admin/base.html includes, with Django's own app list."""
    app_list = AdminSite.get_app_list(site, request)
    return app_list, render_to_string("admin/nav_sidebar.html", {"available_apps": app_list, "request": request})


def test_issue_13_admin_site_is_the_desk_site():
    assert isinstance(admin.site, DeskAdminSite)
    reverse("admin:index")  # config.urls names the site
    with translation.override("en"):
        assert str(admin.site.site_header) == "Allegro — mediators' desk"


@pytest.mark.parametrize("language", ["pl", "en"])
def test_issue_13_cached_app_list_and_sidebar_are_djangos(rf, mediator, admin_user, language):
    with translation.override(language):
        for user in (mediator, admin_user):
            for name in PATHS:
                request = _request(rf, user, reverse(name))
                app_list, sidebar = _djangos_sidebar(admin.site, request)
                # Twice: the second from the cache, on a new request.
                for _n in range(2):
                    request = _request(rf, user, reverse(name))
                    context = admin.site.each_context(request)
                    assert context["available_apps"] == app_list
                    assert context["nav_sidebar"] == sidebar
                    assert admin.site.get_app_list(request, "discussions") == AdminSite.get_app_list(
                        admin.site, request, "discussions"
                    )


def test_issue_13_the_current_model_is_marked_on_each_page(rf, mediator):
    sidebars = {}
    for name in PATHS[:3]:
        sidebars[name] = str(admin.site.each_context(_request(rf, mediator, reverse(name)))["nav_sidebar"])
    assert 'class="model-discussion current-model"' in sidebars["admin:discussions_discussion_changelist"]
    assert 'class="model-order current-model"' in sidebars["admin:orders_order_changelist"]
    assert "current-model" not in sidebars["admin:discussions_queue"].replace(
        'class="model-discussion current-model"', ""
    )


def test_issue_13_a_granted_permission_shows_at_once(rf, django_user_model):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    path = reverse("admin:index")
    before = admin.site.each_context(_request(rf, staff, path))
    assert before["available_apps"] == []
    staff.user_permissions.add(Permission.objects.get(codename="view_discussion"))
    staff = django_user_model.objects.get(pk=staff.pk)  # permissions are cached per user object
    after = admin.site.each_context(_request(rf, staff, path))
    assert [m["object_name"] for app in after["available_apps"] for m in app["models"]] == ["Discussion"]
    assert "model-discussion" in after["nav_sidebar"] and "model-discussion" not in before["nav_sidebar"]


def test_issue_13_the_admin_chrome_costs_few_calls(rf, mediator):
    """The app list, the sidebar and the user tools, once cached, cost some 170 calls,
    not thousands."""
    path = reverse("admin:discussions_queue")
    admin.site.each_context(_request(rf, mediator, path))
    request = _request(rf, mediator, path)
    mediator.get_all_permissions()  # as the view's own permission check does
    profile = cProfile.Profile()
    profile.enable()
    admin.site.each_context(request)
    profile.disable()
    assert pstats.Stats(profile).total_calls < 220


@pytest.mark.parametrize("language", ["pl", "en"])
def test_issue_13_cached_user_tools_are_djangos(rf, mediator, admin_user, language):
    """The user tools rendered once per user and language, with the request's CSRF
    token between their parts, are what admin/base.html's own block renders."""
    from django.template.loader import get_template

    template = get_template("admin/base_site.html")
    with translation.override(language):
        for user in (mediator, admin_user):
            request = _request(rf, user, reverse("admin:discussions_queue"))
            context = admin.site.each_context(request)
            assert context["usertools"]
            cached, django = (
                re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", template.render(context, request))
                for context in (context, {**context, "usertools": None})
            )
            assert 'id="logout-form"' in cached and cached == django


def test_issue_13_the_password_change_pages_keep_their_own_user_links(client, mediator):
    """Django's admin templates of these pages override the userlinks block, which the
    cached user tools would not show."""
    client.force_login(mediator)
    for name in ("admin:password_change", "admin:password_change_done"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and response.context["usertools"] is None


def test_issue_13_the_sign_in_page_has_no_user_tools(client, rf):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200 and 'id="user-tools"' not in response.content.decode()
    request = _request(rf, type("Anonymous", (), {"is_active": False, "is_staff": False})(), reverse("admin:login"))
    assert admin.site.usertools(request, {"has_permission": False, "site_url": "/"}) is None
