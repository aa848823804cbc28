"""SAFE-07: sign-in throttling identifies the client through the configured number of
trusted proxies, and over-long input on a sign-in form is a form error, never a 500.

The lock is on username + client address (SEC-04). Behind a reverse proxy every request
comes from the proxy's address; each proxy appends the address it saw to
X-Forwarded-For, so with N trusted proxies the client is the N-th address from the
right of that header. Without trusted proxies the header is the client's own word and
is ignored.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.1"  # the reverse proxy's address: REMOTE_ADDR of every request behind it
PASSWORD = "test-pass-123"  # UserFactory's password


def production_axes_settings(trusted_proxies):
    """The client-address settings that config/settings.py derives from TRUSTED_PROXY_COUNT."""
    env = {**os.environ, "TRUSTED_PROXY_COUNT": str(trusted_proxies)}
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({name: getattr(s, name, None) for name in ("
        "'AXES_IPWARE_PROXY_COUNT', 'AXES_IPWARE_META_PRECEDENCE_ORDER', 'AXES_IPWARE_PROXY_ORDER', 'IPWARE_STRICT')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def one_proxy():
    return production_axes_settings(1)


@pytest.fixture(scope="module")
def no_proxy():
    return production_axes_settings(0)


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3

    def configure(values):
        for name, value in values.items():
            setattr(settings, name, tuple(value) if isinstance(value, list) else value)

    return configure


def sign_in(client, username, password, forwarded_for=None, remote_addr=PROXY):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


@pytest.mark.django_db
def test_safe_07_people_behind_one_proxy_do_not_lock_each_other_out(client, throttled, one_proxy):
    throttled(one_proxy)
    UserFactory(username="shared")
    for _ in range(3):
        sign_in(client, "shared", "wrong", forwarded_for="203.0.113.10")
    assert sign_in(client, "shared", PASSWORD, forwarded_for="203.0.113.10").status_code == 429
    # A colleague behind the same proxy, at another address, still signs in.
    assert sign_in(client, "shared", PASSWORD, forwarded_for="203.0.113.20").status_code == 302
    locked = AccessAttempt.objects.get(username="shared")
    assert locked.ip_address == "203.0.113.10"


@pytest.mark.django_db
def test_safe_07_behind_a_proxy_a_client_cannot_dodge_the_lock_with_its_own_forwarded_header(
    client, throttled, one_proxy
):
    throttled(one_proxy)
    UserFactory(username="victim")
    # The client sends a made-up X-Forwarded-For; the proxy appends the address it saw.
    for fake in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        sign_in(client, "victim", "wrong", forwarded_for=f"{fake}, 203.0.113.10")
    assert sign_in(client, "victim", PASSWORD, forwarded_for="198.51.100.4, 203.0.113.10").status_code == 429
    assert sign_in(client, "victim", PASSWORD, forwarded_for="203.0.113.10").status_code == 429


@pytest.mark.django_db
def test_safe_07_without_trusted_proxies_the_forwarded_header_is_ignored(client, throttled, no_proxy):
    throttled(no_proxy)
    UserFactory(username="victim")
    for fake in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        sign_in(client, "victim", "wrong", forwarded_for=fake, remote_addr="203.0.113.30")
    assert sign_in(
        client, "victim", PASSWORD, forwarded_for="198.51.100.4", remote_addr="203.0.113.30"
    ).status_code == (429)
    assert AccessAttempt.objects.get(username="victim").ip_address == "203.0.113.30"
    # Another client (another REMOTE_ADDR) is not locked out.
    assert sign_in(client, "victim", PASSWORD, remote_addr="203.0.113.31").status_code == 302


def test_safe_07_the_number_of_trusted_proxies_comes_from_the_environment(one_proxy, no_proxy):
    assert no_proxy["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["REMOTE_ADDR"]
    assert "HTTP_X_FORWARDED_FOR" in one_proxy["AXES_IPWARE_META_PRECEDENCE_ORDER"]
    assert production_axes_settings(2)["AXES_IPWARE_PROXY_COUNT"] != one_proxy["AXES_IPWARE_PROXY_COUNT"]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["login", "admin:login"])
@pytest.mark.parametrize(
    ("username", "password", "field"),
    [("a" * 256, "wrong", "username"), ("shared", "x" * 5000, "password")],
    ids=["long-username", "long-password"],
)
def test_safe_07_over_long_sign_in_input_is_a_form_error(client, settings, url_name, username, password, field):
    settings.AXES_ENABLED = True
    UserFactory(username="shared")
    client.raise_request_exception = False
    response = client.post(reverse(url_name), {"username": username, "password": password})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert "znaków" in errors[field][0]  # Django's own "at most N characters", in Polish
    # Nothing over-long reached the attempt log (its username column holds 255 characters).
    assert not AccessAttempt.objects.exclude(username__in=["", "shared"]).exists()
