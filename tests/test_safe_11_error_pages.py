"""SAFE-11: error pages (400, 403, 404, 500, CSRF failure, sign-in lock) are in the site's
layout and the user's language; the 500 page renders without touching the database.

This module is also the URLconf of its tests: the site's URLs plus three that raise.
"""

import re

import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import OperationalError, connection
from django.test import Client
from django.urls import path, reverse
from django.utils import translation

import config.urls
from orders.models import Profile
from tests.factories import PASSWORD, UserFactory


def _raising(exception):
    def view(request):
        raise exception

    return view


urlpatterns = [
    path("boom/400/", _raising(BadRequest("malformed"))),
    path("boom/403/", _raising(PermissionDenied("not yours"))),
    path("boom/500/", _raising(RuntimeError("a bug"))),
    *config.urls.urlpatterns,
]
handler400 = getattr(config.urls, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(config.urls, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(config.urls, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(config.urls, "handler500", "django.views.defaults.server_error")

pytestmark = pytest.mark.django_db

# Each error page's heading: English (the source) and Polish (the default language).
HEADINGS = {
    400: ("Bad request", "Nieprawidłowe żądanie"),
    403: ("Access denied", "Brak dostępu"),
    404: ("Page not found", "Nie znaleziono strony"),
    500: ("Something went wrong", "Coś poszło nie tak"),
    "csrf": ("The form has expired", "Formularz wygasł"),
}


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def get_error(client, kind):
    """The response of a request that ends in the error page `kind`."""
    client.raise_request_exception = False
    if kind == "csrf":
        return client.post(reverse("set_language"), {"language": "cs", "next": "/"})
    if kind == 404:
        return client.get("/no-such-page/")
    return client.get(f"/boom/{kind}/")


def assert_in_layout(response, language, heading):
    html = response.content.decode()
    assert re.search(rf'<html lang="{language}">', html), html[:300]
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert "/static/css/app.css" in html
    assert f"<h1>{heading}</h1>" in html, html
    return html


@pytest.mark.parametrize("kind", [400, 403, 404, 500, "csrf"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_safe_11_error_pages_are_in_the_layout_and_the_users_language(kind, language):
    client = Client(enforce_csrf_checks=True)
    if language != "pl":
        client.cookies["django_language"] = language
    response = get_error(client, kind)
    assert response.status_code == (403 if kind == "csrf" else kind)
    english, polish = HEADINGS[kind]
    html = assert_in_layout(response, language, polish if language == "pl" else english)
    # Whatever went wrong is not shown (SEC: no exception text, no tracebacks).
    for detail in ("malformed", "not yours", "a bug", "Traceback", "CSRF"):
        assert detail not in html


def test_safe_11_error_pages_speak_the_markets_language(settings):
    client = Client(HTTP_HOST="cz.localhost")
    response = get_error(client, 404)
    with translation.override("cs"):
        assert_in_layout(response, "cs", translation.gettext("Page not found"))


def test_safe_11_the_500_page_renders_without_the_database(buyer):
    """A signed-in buyer who chose English, and the database gone: the 500 page still comes in
    the layout and in English, and nothing on the way asks the database."""
    Profile.objects.create(user=buyer, language="en")
    client = Client()
    client.post(reverse("login"), {"username": buyer.username, "password": PASSWORD})
    client.raise_request_exception = False
    asked = []

    def unreachable(execute, sql, params, many, context):
        asked.append(sql)
        raise OperationalError("the database is unreachable")

    with connection.execute_wrapper(unreachable):
        response = client.get(reverse("orders:purchase_list"))
    assert response.status_code == 500
    assert asked, "the page itself should have needed the database"
    assert_in_layout(response, "en", "Something went wrong")
    assert "no-store" in response["Cache-Control"]


def test_safe_11_the_500_page_asks_the_database_nothing(client, django_assert_num_queries):
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/boom/500/")
    assert response.status_code == 500


@pytest.mark.parametrize("language", ["pl", "en"])
def test_safe_11_the_sign_in_lock_page_is_in_the_layout_and_the_users_language(settings, language):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="victim")
    client = Client()
    if language != "pl":
        client.cookies["django_language"] = language
    for _ in range(2):
        client.post(reverse("login"), {"username": "victim", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "victim", "password": PASSWORD})
    assert response.status_code == 429
    assert_in_layout(
        response, language, "Zbyt wiele prób logowania" if language == "pl" else "Too many sign-in attempts"
    )
