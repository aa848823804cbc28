"""SAFE-10: every HTML page sends a Content-Security-Policy without 'unsafe-inline'
scripts, a Permissions-Policy, and `Cache-Control: private, no-store` when a user is
signed in; in production every cookie is Secure and SameSite.

The pages are walked as each role. Besides the headers, each page's HTML is checked for
what the policy would block in a browser (inline scripts, style attributes and elements,
event-handler attributes, javascript: links); tests/browser/test_safe_10_csp.py watches a
real browser for violations.
"""

import io
import json
import os
import re
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from discussions import services
from discussions.models import Attachment, Role
from tests.discussions.conftest import make_order, open_discussion
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def cache_directives(response):
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",") if part.strip()}


# What a policy without 'unsafe-inline' blocks: a <script> with a body and no nonce (JSON data
# blocks are not run), a <style> element, a style="" attribute, an on…="" handler, javascript: URLs.
INLINE = [
    ("inline script", re.compile(r"<script(?![^>]*\b(?:src|nonce)=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>")),
    ("style element", re.compile(r"<style[\s>]")),
    ("style attribute", re.compile(r"<[a-zA-Z][^>]*\sstyle=")),
    ("event handler", re.compile(r"<[a-zA-Z][^>]*\son[a-z]+=")),
    ("javascript: URL", re.compile(r"(?:href|src|action)=\"\s*javascript:", re.IGNORECASE)),
]


def assert_secure_page(response, url, *, signed_in):
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html"), url
    csp = policy(response)
    assert csp, f"{url}: no Content-Security-Policy"
    assert csp["default-src"] == ["'self'"], (url, csp)
    script_src = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script_src, (url, csp)
    assert "'unsafe-eval'" not in script_src, (url, csp)
    assert "'unsafe-inline'" not in csp.get("style-src", csp["default-src"]), (url, csp)
    assert csp["object-src"] == ["'none'"], (url, csp)
    assert csp["base-uri"] == ["'none'"], (url, csp)
    assert csp["frame-ancestors"] == ["'none'"], (url, csp)
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions, (url, permissions)
    if signed_in:
        assert {"private", "no-store"} <= cache_directives(response), (url, response.get("Cache-Control"))
    html = response.content.decode()
    for what, pattern in INLINE:
        found = pattern.search(html)
        assert not found, f"{url}: {what} {html[found.start() : found.start() + 120]!r}"


@pytest.fixture
def world(offer, buyer, seller, mediator):
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    return {"offer": offer, "order": order, "discussion": discussion}


def pages(role, world):
    order, discussion = world["order"], world["discussion"]
    common = [reverse("home"), reverse("orders:offer_list"), world["offer"].get_absolute_url()]
    return {
        "anonymous": [*common, reverse("login")],
        "buyer": [
            *common,
            reverse("orders:purchase_list"),
            order.get_absolute_url(),
            reverse("discussions:buyer_list"),
            discussion.get_absolute_url(),
            reverse("discussions:notifications"),
            reverse("password_change"),
        ],
        "seller": [
            *common,
            reverse("orders:seller_order_list"),
            reverse("discussions:seller_list"),
            discussion.get_seller_url(),
            reverse("discussions:seller_quality"),
            reverse("orders:commission_refund_list"),
            reverse("buyers:tab"),
            reverse("buyers:add"),
            reverse("api_pages:dashboard"),
            reverse("api_pages:guide"),
            reverse("api:docs"),
        ],
        "mediator": [
            reverse("admin:index"),
            reverse("admin:discussions_discussion_changelist"),
            reverse("admin:discussions_discussion_change", args=[discussion.pk]),
            reverse("admin:discussions_queue"),
            reverse("admin:orders_order_changelist"),
            reverse("admin:orders_order_change", args=[order.pk]),
            reverse("admin:password_change"),
        ],
    }[role]


@pytest.mark.parametrize("role", ["anonymous", "buyer", "seller", "mediator"])
def test_safe_10_every_page_sends_the_security_headers_and_satisfies_its_policy(role, world, request):
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for url in pages(role, world):
        assert_secure_page(client.get(url), url, signed_in=role != "anonymous")


def test_safe_10_the_mediators_sign_in_page_satisfies_the_policy(client):
    url = reverse("admin:login")
    assert_secure_page(client.get(url), url, signed_in=False)


def test_safe_10_files_keep_their_own_cache_and_policy_headers(client, world, buyer):
    """Attachments are served by access-checking views with their own, stricter policy and
    a private cache lifetime; the site-wide headers do not replace them."""
    data = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(data, format="PNG")
    upload = SimpleUploadedFile("a.png", data.getvalue(), content_type="image/png")
    services.post_message(world["discussion"], author=buyer, role=Role.BUYER, text="", files=[upload])
    client.force_login(buyer)
    response = client.get(reverse("discussions:attachment", args=[Attachment.objects.get().pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    assert policy(response)["default-src"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]


def test_safe_10_anonymous_pages_may_be_cached_by_the_browser(client, world):
    response = client.get(reverse("orders:offer_list"))
    assert "no-store" not in cache_directives(response)


# --- production cookies ----------------------------------------------------------------------------

COOKIE_SETTINGS = [
    f"{kind}_COOKIE_{flag}" for kind in ("SESSION", "CSRF", "LANGUAGE") for flag in ("SECURE", "SAMESITE", "HTTPONLY")
]


@pytest.fixture(scope="module")
def production_cookie_settings():
    env = {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        f"print(json.dumps({{name: getattr(s, name) for name in {COOKIE_SETTINGS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_safe_10_production_settings_make_every_cookie_secure_and_same_site(production_cookie_settings):
    for kind in ("SESSION", "CSRF", "LANGUAGE"):
        assert production_cookie_settings[f"{kind}_COOKIE_SECURE"] is True, kind
        assert production_cookie_settings[f"{kind}_COOKIE_SAMESITE"] in {"Lax", "Strict"}, kind


def test_safe_10_in_production_the_cookies_the_site_sets_are_secure_and_same_site(
    production_cookie_settings, settings, buyer, world
):
    for name, value in production_cookie_settings.items():
        setattr(settings, name, value)
    client = Client()
    set_cookies = []

    def collect(response):
        cookies = SimpleCookie()
        for name, morsel in response.cookies.items():
            cookies[name] = morsel
        set_cookies.extend(cookies.values())
        return response

    collect(client.get(reverse("login"), secure=True))
    signed_in = collect(client.post(reverse("login"), {"username": "buyer", "password": PASSWORD}, secure=True))
    assert signed_in.status_code == 302, signed_in.context["form"].errors
    collect(client.post(reverse("set_language"), {"language": "en", "next": "/"}, secure=True))
    collect(client.post(reverse("set_market"), {"market": "CZ", "next": "/"}, secure=True))
    names = {morsel.key for morsel in set_cookies if morsel.value}
    assert {"sessionid", "csrftoken", "django_language", "market"} <= names, names
    for morsel in set_cookies:
        if not morsel.value:  # a deletion (expired, empty)
            continue
        assert morsel["secure"], morsel.OutputString()
        assert morsel["samesite"] in {"Lax", "Strict"}, morsel.OutputString()
