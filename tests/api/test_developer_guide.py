"""API-01: every `curl` example of the developer guide (api/guide.py, the one place the
page renders them from) runs as published — with the real curl binary, through bash, with
only the shell variables the guide tells the developer to set — against a live server."""

import base64
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from oauth2_provider.models import Application
from PIL import Image

from api import guide
from core.mediators import sync_mediators_group
from discussions import services as discussion_services
from discussions.models import Reason, Solution
from orders import services
from orders.markets import ensure_markets
from orders.models import Order
from tests.api import device_flow
from tests.api.conftest import ALL_SCOPES
from tests.factories import OfferFactory, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CLIENT_SECRET = "guide-secret-0123456789"
REDIRECT_URI = "https://tool.example.com/callback"
# What the wrapper adds to every curl call of the test (not of the guide): the status.
CURL_WRAPPER = 'curl() { command curl -sS -w "\\n%{http_code}" "$@"; }\n'


@pytest.fixture
def tools():
    missing = [name for name in ("curl", "bash") if shutil.which(name) is None]
    if missing:
        message = f"{', '.join(missing)} not installed: the guide's examples cannot be run."
        if os.environ.get("CI"):
            pytest.fail(message)  # on CI the examples must run
        pytest.skip(message)


@pytest.fixture
def world(live_server):
    """A seller account with an open Discussion, an overdue unpaid order (whose commission
    the seller may claim back) and a program registered by a developer."""
    ensure_markets()
    sync_mediators_group()
    seller = SellerAccountFactory(user=UserFactory(username="guide_seller"), display_name="Guide shop").user
    buyer = UserFactory(username="guide_buyer")
    offer = OfferFactory(seller_account=seller.seller_account, title="Headphones", stock=10)
    now = timezone.now()
    order = services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=now - timedelta(days=2)
    )
    discussion = discussion_services.open_discussion(
        order,
        buyer=buyer,
        line_id=order.lines.get().pk,
        reason=Reason.PRODUCT_PROBLEM,
        expected_solution=Solution.REPLACEMENT,
        text="The parcel has not arrived.",
        files=[],
    )
    unpaid = services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=now - timedelta(days=10)
    )
    application = Application.objects.create(
        name="Guide tool",
        user=UserFactory(username="guide_developer"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        client_secret=CLIENT_SECRET,
    )
    return {
        "seller": seller,
        "discussion": discussion,
        "line_item": unpaid.lines.get(),
        "application": application,
        "base_url": live_server.url,
    }


def consent_code(seller, application):
    """Step 2 of the guide, as the seller's browser does it: returns (code, verifier)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = Client()
    browser.force_login(seller)
    query = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": ALL_SCOPES,
        "state": "guide",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = browser.get(f"/auth/oauth/authorize?{urlencode(query)}")
    assert page.status_code == 200
    answer = browser.post(
        "/auth/oauth/authorize",
        {
            **{name: value for name, value in page.context["form"].initial.items() if value is not None},
            "allow": "on",
        },
    )
    assert answer.status_code == 302, answer.content[:1000]
    return parse_qs(urlsplit(answer["Location"]).query)["code"][0], verifier


class Shell:
    """Runs a guide example verbatim in bash with the variables set so far."""

    def __init__(self, tmp_path, variables):
        self.cwd = tmp_path
        self.variables = variables
        self.ran = []

    def run(self, key):
        example = guide.EXAMPLES[key]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **self.variables}
        result = subprocess.run(
            ["bash", "-c", CURL_WRAPPER + example.command],
            env=env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{key}: {result.stderr}"
        output, _newline, status = result.stdout.rpartition("\n")
        self.ran.append(key)
        headers = {}
        if output.startswith("HTTP/"):
            # text=True has turned the header lines' CRLF into LF.
            head, _blank, output = output.partition("\n\n")
            for line in head.splitlines()[1:]:
                name, _colon, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return int(status), headers, output


def test_api_01_every_curl_example_of_the_guide_works(tools, world, tmp_path):
    picture = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(picture, format="JPEG")
    (tmp_path / "parcel.jpg").write_bytes(picture.getvalue())
    code, verifier = consent_code(world["seller"], world["application"])
    from django.conf import settings

    shell = Shell(
        tmp_path,
        {
            "BASE_URL": world["base_url"],
            "API_URL": f"{world['base_url']}/{settings.API_BASE_PATH}",
            "CLIENT_ID": world["application"].client_id,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URI": REDIRECT_URI,
            "CODE": code,
            "CODE_VERIFIER": verifier,
            "FILE_NAME": "parcel.jpg",
            "FILE_SIZE": str(len(picture.getvalue())),
        },
    )

    status, _headers, body = shell.run("token")
    assert status == 200, body
    tokens = json.loads(body)
    assert set(tokens["scope"].split()) == set(ALL_SCOPES.split())
    shell.variables.update(ACCESS_TOKEN=tokens["access_token"], REFRESH_TOKEN=tokens["refresh_token"])

    status, _headers, body = shell.run("refresh")
    assert status == 200, body
    refreshed = json.loads(body)
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    shell.variables.update(ACCESS_TOKEN=refreshed["access_token"], REFRESH_TOKEN=refreshed["refresh_token"])

    status, _headers, body = shell.run("issues")
    assert status == 200, body
    issue_ids = [issue["id"] for issue in json.loads(body)["issues"]]
    assert str(world["discussion"].public_id) in issue_ids
    shell.variables["ISSUE_ID"] = str(world["discussion"].public_id)

    status, headers, body = shell.run("declare")
    assert status == 201, body
    attachment_id = json.loads(body)["id"]
    location = headers["location"]
    shell.variables.update(
        ATTACHMENT_ID=attachment_id,
        UPLOAD_URL=location if location.startswith("http") else world["base_url"] + location,
    )

    status, _headers, body = shell.run("upload")
    assert status == 200, body
    assert json.loads(body)["id"] == attachment_id

    status, _headers, body = shell.run("message")
    assert status in (200, 201), body
    message = json.loads(body)
    assert message["text"].startswith("Dzień dobry")
    assert len(message["attachments"]) == 1
    assert world["discussion"].messages.filter(text=message["text"]).count() == 1

    shell.variables["LINE_ITEM_ID"] = str(world["line_item"].public_id)
    status, _headers, body = shell.run("refund_claim")
    assert status == 201, body
    assert json.loads(body)["id"]

    assert sorted(shell.ran) == sorted(set(guide.EXAMPLES) - DEVICE_EXAMPLES)


DEVICE_EXAMPLES = {"device", "device_token"}


def test_api_05_the_guides_device_flow_examples_work(tools, world, tmp_path):
    """The device flow as the guide shows it: the device code, the seller allows it on the
    page, the token poll (parameters in the query string) gives tokens the API accepts."""
    application = Application.objects.create(
        name="Guide terminal",
        user=world["application"].user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        client_secret=CLIENT_SECRET,
    )
    shell = Shell(
        tmp_path,
        {"BASE_URL": world["base_url"], "CLIENT_ID": application.client_id, "CLIENT_SECRET": CLIENT_SECRET},
    )

    status, _headers, body = shell.run("device")
    assert status == 200, body
    codes = json.loads(body)
    assert codes["verification_uri"] == f"{world['base_url']}/skojarz-aplikacje"
    shell.variables["DEVICE_CODE"] = codes["device_code"]
    status, _headers, body = shell.run("device_token")
    assert (status, json.loads(body)["error"]) == (400, "authorization_pending")

    device_flow.seller_decides(world["seller"], codes["verification_uri_complete"])
    with time_machine.travel(timezone.now() + timedelta(seconds=codes["interval"])):
        status, _headers, body = shell.run("device_token")

    assert status == 200, body
    tokens = json.loads(body)
    from django.conf import settings

    answer = Client().get(
        f"/{settings.API_BASE_PATH}/sale/issues",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/vnd.allegro.beta.v1+json"},
    )
    assert answer.status_code == 200
    assert set(shell.ran) == DEVICE_EXAMPLES


def test_api_01_guide_page_shows_every_example_as_run(client, world):
    html = client.get(reverse("api_pages:guide")).content.decode()

    for example in guide.EXAMPLES.values():
        assert escape(example.command) in html, example.key
        assert re.match(r"curl ", example.command)
    assert escape(guide.AUTHORIZE_URL) in html
    assert escape(guide.PKCE_SETUP) in html
