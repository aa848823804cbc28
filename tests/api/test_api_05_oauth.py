"""API-05: OAuth as existing integrations of the marketplace use it — the device
authorization flow (RFC 8628) at /auth/oauth/device with the seller's page
/skojarz-aplikacje; token requests with their parameters in the query string, as the
marketplace's examples send them; PKCE required of public clients, optional for
confidential ones."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, DeviceGrant, Grant

from api.oauth import DEVICE_CODE_SECONDS
from tests.api import device_flow
from tests.api.conftest import ALL_SCOPES
from tests.api.test_oauth import (
    AUTHORIZE,
    CLIENT_SECRET,
    REDIRECT_URI,
    TOKEN,
    allow,
    authorize_query,
    basic_auth,
    call_api,
    hidden_fields,
    pkce_pair,
    redirect_params,
    token_request,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def device_app(seller):
    """A program without a browser, registered for the device flow (confidential)."""
    return Application.objects.create(
        name="Terminal sync",
        user=UserFactory(username="device-developer"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        client_secret=CLIENT_SECRET,
    )


@pytest.fixture
def tool(seller):
    return Application.objects.create(
        name="Seller tool",
        user=UserFactory(username="developer"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        client_secret=CLIENT_SECRET,
    )


@pytest.fixture
def public_tool(seller):
    return Application.objects.create(
        name="Desktop tool",
        user=UserFactory(username="desktop-developer"),
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
    )


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def codes_for(application, client=None, **extra):
    return device_flow.request_device_codes(
        client or Client(), client_id=application.client_id, client_secret=CLIENT_SECRET, **extra
    )


def poll(application, codes):
    return device_flow.poll_token(
        Client(), client_id=application.client_id, client_secret=CLIENT_SECRET, device_code=codes["device_code"]
    )


# --- device flow (RFC 8628) ---------------------------------------------------------------------------


def test_api_05_device_flow_gives_tokens_that_call_the_api_and_refresh(device_app, seller, traveller):
    body = device_flow.obtain_token_by_device_flow(
        Client(),
        client_id=device_app.client_id,
        client_secret=CLIENT_SECRET,
        seller=seller,
        wait=lambda seconds: traveller.shift(timedelta(seconds=seconds)),
    )

    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == set(ALL_SCOPES.split())
    assert body["refresh_token"]
    token = AccessToken.objects.get()
    assert (token.user, token.application) == (seller, device_app)
    assert call_api(body["access_token"]).status_code == 200
    # Refreshed as any token, parameters in the query string as well.
    refreshed = Client().post(
        f"{TOKEN}?{urlencode({'grant_type': 'refresh_token', 'refresh_token': body['refresh_token']})}",
        headers={"Authorization": basic_auth(device_app)},
    )
    assert refreshed.status_code == 200, refreshed.content
    assert call_api(refreshed.json()["access_token"]).status_code == 200
    assert DeviceGrant.objects.count() == 0  # the device code gave its tokens once


def test_api_05_device_authorization_answers_the_rfc_8628_fields(device_app):
    response = Client().post(
        "/auth/oauth/device",
        urlencode({"client_id": device_app.client_id}),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": basic_auth(device_app)},
    )

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["trace-id"]
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert body["verification_uri"] == "http://testserver/skojarz-aplikacje"
    assert body["verification_uri_complete"] == f"http://testserver/skojarz-aplikacje?code={body['user_code']}"
    assert (body["expires_in"], body["interval"]) == (DEVICE_CODE_SECONDS, 5)
    assert re.fullmatch(r"[0-9A-Z]{8}", body["user_code"])
    grant = DeviceGrant.objects.get()
    assert (grant.client_id, grant.status, set(grant.scope.split())) == (
        device_app.client_id,
        DeviceGrant.AUTHORIZATION_PENDING,
        set(ALL_SCOPES.split()),
    )


def test_api_05_device_authorization_accepts_the_query_string_and_a_scope(device_app):
    response = Client().post(
        f"/auth/oauth/device?{urlencode({'client_id': device_app.client_id, 'scope': 'allegro:api:disputes'})}",
        headers={"Authorization": basic_auth(device_app)},
    )

    assert response.status_code == 200, response.content
    assert DeviceGrant.objects.get().scope == "allegro:api:disputes"


@pytest.mark.parametrize(
    ("case", "error", "status"),
    [
        ("wrong-secret", "invalid_client", 401),
        ("unknown-client", "invalid_request", 400),
        ("code-flow-application", "unauthorized_client", 400),
        ("unknown-scope", "invalid_scope", 400),
    ],
)
def test_api_05_device_authorization_refusals(device_app, tool, case, error, status):
    application, secret, form = device_app, CLIENT_SECRET, {"client_id": device_app.client_id}
    if case == "wrong-secret":
        secret = "not-the-secret"
    if case == "unknown-client":
        form = {"client_id": "no-such-client"}
    if case == "code-flow-application":
        application, form = tool, {"client_id": tool.client_id}
    if case == "unknown-scope":
        form["scope"] = "allegro:api:sale:offers:write"

    response = Client().post(
        "/auth/oauth/device",
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": basic_auth(application, secret)},
    )

    assert (response.status_code, response.json()["error"]) == (status, error), response.content
    assert DeviceGrant.objects.count() == 0


def test_api_05_device_polling_pending_slow_down_then_tokens_once(device_app, seller, traveller):
    codes = codes_for(device_app)

    assert poll(device_app, codes) == (400, {"error": "authorization_pending"})
    # Again before the interval: slow_down, and the interval grows by 5 s (RFC 8628 §3.5).
    status, body = poll(device_app, codes)
    assert (status, body["error"]) == (400, "slow_down")
    assert DeviceGrant.objects.get().interval == 10
    traveller.shift(timedelta(seconds=6))
    assert poll(device_app, codes)[1]["error"] == "slow_down"  # 10 s were asked for
    assert DeviceGrant.objects.get().interval == 15
    traveller.shift(timedelta(seconds=15))
    assert poll(device_app, codes)[1]["error"] == "authorization_pending"

    device_flow.seller_decides(seller, codes["verification_uri_complete"])
    traveller.shift(timedelta(seconds=15))
    status, body = poll(device_app, codes)
    assert status == 200, body
    assert body["access_token"]
    traveller.shift(timedelta(seconds=15))
    assert poll(device_app, codes) == (400, {"error": "invalid_grant"})


def test_api_05_device_polling_access_denied_when_the_seller_denies(device_app, seller, traveller):
    codes = codes_for(device_app)

    page = device_flow.seller_decides(seller, codes["verification_uri_complete"], decision="deny")

    assert page.context["step"] == "denied"
    status, body = poll(device_app, codes)
    assert (status, body["error"]) == (400, "access_denied")
    assert AccessToken.objects.count() == 0


def test_api_05_device_polling_expired_token_after_an_hour(device_app, seller, traveller):
    codes = codes_for(device_app)
    traveller.shift(timedelta(seconds=DEVICE_CODE_SECONDS))

    assert poll(device_app, codes)[1]["error"] == "expired_token"
    # Too late for the seller as well: the page says the code is not valid.
    browser = Client()
    browser.force_login(seller)
    page = browser.get(f"/skojarz-aplikacje?code={codes['user_code']}")
    assert page.status_code == 422
    assert page.context["form"].errors["code"]
    assert AccessToken.objects.count() == 0


def test_api_05_device_code_of_another_client_is_invalid_grant(device_app, seller, traveller):
    other = Application.objects.create(
        name="Other device",
        user=device_app.user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        client_secret=CLIENT_SECRET,
    )
    codes = codes_for(device_app)
    device_flow.seller_decides(seller, codes["verification_uri_complete"])

    status, body = poll(other, codes)

    assert (status, body["error"]) == (400, "invalid_grant")
    assert AccessToken.objects.count() == 0


# --- the seller's page ------------------------------------------------------------------------------


def test_api_05_verification_page_sends_anonymous_user_to_sign_in_with_the_code(device_app):
    codes = codes_for(device_app)
    path = urlsplit(codes["verification_uri_complete"])

    response = Client().get(f"{path.path}?{path.query}")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query)["next"] == [f"{path.path}?{path.query}"]


def test_api_05_verification_page_confirms_application_account_scopes_and_code(seller_client, device_app):
    codes = codes_for(device_app, scope="allegro:api:disputes")

    entry = seller_client.get("/skojarz-aplikacje")
    typed = codes["user_code"].lower()
    page = seller_client.get("/skojarz-aplikacje", {"code": f"{typed[:4]}-{typed[4:]}"})

    assert entry.status_code == 200 and entry.context["step"] == "enter"
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["step"] == "confirm"
    assert "Terminal sync" in html and "Seller shop" in html
    assert f"{codes['user_code'][:4]}-{codes['user_code'][4:]}" in html
    assert "allegro:api:disputes" in html and "allegro:api:orders:read" not in html
    assert DeviceGrant.objects.get().status == DeviceGrant.AUTHORIZATION_PENDING


def test_api_05_verification_page_keeps_a_wrong_code_and_says_why(seller_client, device_app):
    codes_for(device_app)

    page = seller_client.get("/skojarz-aplikacje", {"code": "WRONG-123"})

    assert page.status_code == 422
    assert page.context["step"] == "enter"
    assert 'value="WRONG-123"' in page.content.decode()
    assert page.context["form"].errors["code"]


def test_api_05_verification_decision_is_idempotent_and_single_use(seller_client, device_app, seller):
    codes = codes_for(device_app)

    first = seller_client.post("/skojarz-aplikacje", {"code": codes["user_code"], "decision": "allow"})
    again = seller_client.post("/skojarz-aplikacje", {"code": codes["user_code"], "decision": "allow"})
    reverse_decision = seller_client.post("/skojarz-aplikacje", {"code": codes["user_code"], "decision": "deny"})

    assert first.context["step"] == again.context["step"] == "authorized"
    assert reverse_decision.status_code == 422
    grant = DeviceGrant.objects.get()
    assert (grant.status, grant.user) == (DeviceGrant.AUTHORIZED, seller)


def test_api_05_user_without_seller_account_cannot_allow_a_device(client, buyer, device_app):
    codes = codes_for(device_app)
    client.force_login(buyer)

    page = client.get("/skojarz-aplikacje", {"code": codes["user_code"]})
    answer = client.post("/skojarz-aplikacje", {"code": codes["user_code"], "decision": "allow"})

    for response in (page, answer):
        assert response.status_code == 403
        assert response.context["step"] == "not_seller"
    assert DeviceGrant.objects.get().status == DeviceGrant.AUTHORIZATION_PENDING


def test_api_05_device_endpoint_opened_in_a_browser_leads_to_the_page(client):
    response = client.get("/auth/oauth/device")

    assert (response.status_code, response["Location"]) == (302, "/skojarz-aplikacje")


def test_api_05_seller_registers_a_device_flow_application_without_redirect_addresses(seller_client, seller):
    page = seller_client.get("/seller/api/")
    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode())
    data = {"name": "Terminal", "redirect_uris": "", "grant_type": Application.GRANT_DEVICE_CODE}
    data["client_type"] = Application.CLIENT_CONFIDENTIAL
    if token:
        data["form_token"] = token.group(1)

    response = seller_client.post("/seller/api/", data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    application = Application.objects.get(name="Terminal")
    assert application.authorization_grant_type == Application.GRANT_DEVICE_CODE
    assert application.redirect_uris == ""
    # A browser application still needs its redirect address.
    code_flow = seller_client.post("/seller/api/", {**data, "name": "Web", "grant_type": "authorization-code"})
    assert code_flow.status_code == 200
    assert code_flow.context["form"].errors["redirect_uris"]


# --- parameters in the query string -----------------------------------------------------------------


def test_api_05_code_exchanged_with_parameters_in_the_query_string(seller_client, tool):
    """As the marketplace's example: POST /auth/oauth/token?grant_type=authorization_code&code=…
    &redirect_uri=… with Basic auth and no body."""
    code, verifier, _responses = allow(seller_client, tool)
    query = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}

    response = Client().post(f"{TOKEN}?{urlencode(query)}", headers={"Authorization": basic_auth(tool)})

    assert response.status_code == 200, response.content
    assert call_api(response.json()["access_token"]).status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_api_05_query_string_and_body_together_but_never_the_same_parameter_twice(seller_client, tool):
    code, verifier, _responses = allow(seller_client, tool)
    query = {"grant_type": "authorization_code", "code": code}
    body = {"redirect_uri": REDIRECT_URI, "code_verifier": verifier}

    twice = Client().post(
        f"{TOKEN}?{urlencode(query)}",
        urlencode({**body, "code": code}),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": basic_auth(tool)},
    )
    split = Client().post(
        f"{TOKEN}?{urlencode(query)}",
        urlencode(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": basic_auth(tool)},
    )

    assert (twice.status_code, twice.json()["error"]) == (400, "invalid_request")
    assert "code" in twice.json()["error_description"]
    assert split.status_code == 200, split.content


# --- PKCE: public clients only -----------------------------------------------------------------------


def _code_without_pkce(client, application):
    query = authorize_query(application, "")
    query = re.sub(r"&code_challenge=[^&]*&code_challenge_method=S256", "", query)
    page = client.get(query)
    if page.status_code != 200:
        return page, None
    return page, redirect_params(client.post(AUTHORIZE, {**hidden_fields(page), "allow": "on"}))


def test_api_05_confidential_client_may_skip_pkce(seller_client, tool):
    _page, params = _code_without_pkce(seller_client, tool)

    answer = token_request(
        Client(), tool, {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI}
    )

    assert answer.status_code == 200, answer.content
    assert call_api(answer.json()["access_token"]).status_code == 200


def test_api_05_confidential_client_that_sent_a_challenge_must_send_the_verifier(seller_client, tool):
    code, _verifier, _responses = allow(seller_client, tool)

    answer = token_request(
        Client(), tool, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    )

    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    assert AccessToken.objects.count() == 0


def test_api_05_public_client_must_use_pkce(seller_client, public_tool):
    page, _params = _code_without_pkce(seller_client, public_tool)

    params = redirect_params(page)
    assert params["error"] == "invalid_request"
    assert Grant.objects.count() == 0
    # With PKCE it works, without a secret.
    verifier, challenge = pkce_pair()
    consent = seller_client.get(authorize_query(public_tool, challenge))
    code = redirect_params(seller_client.post(AUTHORIZE, {**hidden_fields(consent), "allow": "on"}))["code"]
    answer = Client().post(
        TOKEN,
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_id": public_tool.client_id,
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200, answer.content


def test_api_05_settings_keep_pkce_required_for_unknown_clients():
    assert settings.OAUTH2_PROVIDER["PKCE_REQUIRED"]("no-such-client") is True
