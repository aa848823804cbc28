"""API-01: the OAuth2 authorization-code flow with PKCE, through the Django test client,
as an integrator's program and a seller's browser go through it: sign-in, consent page,
code, token, API call, refresh, revocation from *API i aplikacje*."""

import base64
import hashlib
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from api.base import BETA, SCOPE_DISPUTES
from tests.api.conftest import ALL_SCOPES, api_path
from tests.factories import PASSWORD, UserFactory

REDIRECT_URI = "https://tool.example.com/callback"
CLIENT_SECRET = "tool-secret-for-tests-0123456789"
AUTHORIZE = "/auth/oauth/authorize"
TOKEN = "/auth/oauth/token"


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_query(application, challenge, *, scope=ALL_SCOPES, state="state-123", **extra):
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{AUTHORIZE}?{urlencode(params)}"


def hidden_fields(response):
    """The consent form's hidden inputs, as the browser would send them back."""
    html = response.content.decode()
    form = re.search(r'<form id="authorizationForm".*?</form>', html, re.S).group(0)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def redirect_params(response):
    assert response.status_code == 302, response.content[:2000]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def basic_auth(application, secret=CLIENT_SECRET):
    return "Basic " + base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()


def token_request(client, application, data, *, secret=CLIENT_SECRET):
    return client.post(
        TOKEN,
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": basic_auth(application, secret)},
    )


def call_api(access_token):
    return Client().get(api_path("/sale/issues"), headers={"Authorization": f"Bearer {access_token}", "Accept": BETA})


@pytest.fixture
def tool(seller):
    """A confidential application (someone else's program) whose secret we know."""
    return Application.objects.create(
        name="Seller tool",
        user=UserFactory(username="developer"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        client_secret=CLIENT_SECRET,
    )


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def allow(client, application, *, scope=ALL_SCOPES):
    """Consent by the signed-in seller; returns (code, verifier, responses)."""
    verifier, challenge = pkce_pair()
    page = client.get(authorize_query(application, challenge, scope=scope))
    assert page.status_code == 200, page.content[:2000]
    answer = client.post(AUTHORIZE, {**hidden_fields(page), "allow": "on"})
    params = redirect_params(answer)
    assert params["state"] == "state-123"
    return params["code"], verifier, [page, answer]


def exchange(client, application, code, verifier):
    return token_request(
        client,
        application,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
    )


# --- sign-in and consent page -------------------------------------------------------------------


def test_api_01_authorize_sends_anonymous_user_to_sign_in_and_back(client, seller, tool):
    url = authorize_query(tool, pkce_pair()[1])

    response = client.get(url)

    assert response.status_code == 302
    login = reverse(settings.LOGIN_URL)
    assert response["Location"].startswith(f"{login}?next=")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [url]
    signed_in = client.post(login, {"username": "seller", "password": PASSWORD, "next": url})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == url
    assert client.get(url).status_code == 200


def test_api_01_consent_page_shows_application_account_and_scopes(seller_client, tool):
    response = seller_client.get(authorize_query(tool, pkce_pair()[1]))

    assert response.status_code == 200
    assert [template.name for template in response.templates][:2] == ["oauth2_provider/authorize.html", "base.html"]
    html = response.content.decode()
    assert "Seller tool" in html
    assert "Seller shop" in html and "(seller)" in html
    for scope, label in settings.API_SCOPES.items():
        assert scope in html
        assert escape(str(label)) in html
    assert re.search(r'<button type="submit" name="allow" value="on"[^>]*>', html)
    assert Grant.objects.count() == 0


def test_api_01_user_without_seller_account_cannot_authorize(client, buyer, tool):
    client.force_login(buyer)
    verifier, challenge = pkce_pair()
    query = authorize_query(tool, challenge)

    page = client.get(query)
    answer = client.post(
        AUTHORIZE,
        {**dict(parse_qs(urlsplit(query).query, keep_blank_values=True)), "allow": "on"},
    )

    for response in (page, answer):
        assert response.status_code == 403
        assert response.context["not_seller"] is True
        assert "authorizationForm" not in response.content.decode()
        assert response["trace-id"]
    assert Grant.objects.count() == 0
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"client_id": "no-such-client"}, "client_id"), ({"redirect_uri": "https://evil.example/"}, "redirect")],
    ids=["unknown-client", "unregistered-redirect"],
)
def test_api_01_bad_client_or_redirect_gets_error_page_not_a_redirect(seller_client, tool, change, expected):
    query = authorize_query(tool, pkce_pair()[1], **change)

    response = seller_client.get(query)

    assert response.status_code == 400
    assert "Location" not in response
    assert "base.html" in [template.name for template in response.templates]
    assert "authorizationForm" not in response.content.decode()
    error = response.context["error"]
    assert error.error == "invalid_request"
    assert expected in error.description.lower()
    assert escape(error.description) in response.content.decode()
    assert response["trace-id"]


def test_api_01_unknown_scope_is_refused_back_to_the_application(seller_client, tool):
    """RFC 6749 §4.1.2.1: with a valid client and redirect address, invalid_scope goes back
    to the application (not an error page), with the state."""
    response = seller_client.get(authorize_query(tool, pkce_pair()[1], scope="allegro:api:sale:offers:write"))

    params = redirect_params(response)
    assert params["error"] == "invalid_scope"
    assert params["state"] == "state-123"


def test_api_01_authorize_without_code_challenge_is_refused(seller_client, tool):
    """PKCE is required of public clients (settings PKCE_REQUIRED; API-05: optional for
    confidential ones, tests/api/test_api_05_oauth.py)."""
    tool.client_type = Application.CLIENT_PUBLIC
    tool.save()
    query = authorize_query(tool, "")
    query = re.sub(r"&code_challenge=[^&]*&code_challenge_method=S256", "", query)

    params = redirect_params(seller_client.get(query))

    assert params["error"] == "invalid_request"
    assert Grant.objects.count() == 0


def test_api_01_plain_code_challenge_is_refused(seller_client, tool):
    """Only S256 challenges (RFC 9700): a "plain" challenge would send the verifier in clear."""
    verifier = secrets.token_urlsafe(48)
    page = seller_client.get(authorize_query(tool, verifier, code_challenge_method="plain"))

    params = redirect_params(seller_client.post(AUTHORIZE, {**hidden_fields(page), "allow": "on"}))

    assert params["error"] == "invalid_request"
    assert Grant.objects.count() == 0


# --- the whole flow -------------------------------------------------------------------------------


def test_api_01_code_flow_with_pkce_gives_tokens_that_call_the_api(seller_client, seller, tool):
    code, verifier, responses = allow(seller_client, tool)

    answer = exchange(Client(), tool, code, verifier)
    responses.append(answer)

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == set(ALL_SCOPES.split())
    assert body["expires_in"] == settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    assert body["refresh_token"]
    # Stored hashed (RFC 9700): found by its checksum, the token itself is not kept.
    token = AccessToken.objects.get(token_checksum=hashlib.sha256(body["access_token"].encode()).hexdigest())
    assert token.token == ""
    assert not RefreshToken.objects.filter(token=body["refresh_token"]).exists()
    assert token.user == seller
    assert token.application == tool
    api_response = call_api(body["access_token"])
    # The seller's token authenticates and carries the scope of /sale/issues.
    assert api_response.status_code not in (401, 403), api_response.content
    assert api_response.status_code == 200, api_response.content
    for response in responses:
        assert response["trace-id"]


def test_api_01_code_works_once(seller_client, tool):
    code, verifier, _responses = allow(seller_client, tool)
    assert exchange(Client(), tool, code, verifier).status_code == 200

    again = exchange(Client(), tool, code, verifier)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_api_01_token_without_code_verifier_is_refused(seller_client, tool):
    code, _verifier, _responses = allow(seller_client, tool)

    response = token_request(
        Client(), tool, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    )

    assert response.status_code == 400
    # oauthlib answers a missing verifier with invalid_request (RFC 7636 §4.4.1 "REQUIRED").
    assert response.json()["error"] in ("invalid_request", "invalid_grant")
    assert response["trace-id"]
    assert AccessToken.objects.count() == 0


def test_api_01_token_with_wrong_code_verifier_is_invalid_grant(seller_client, tool):
    code, _verifier, _responses = allow(seller_client, tool)

    response = exchange(Client(), tool, code, pkce_pair()[0])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_api_01_token_with_wrong_client_secret_is_refused(seller_client, tool):
    code, verifier, _responses = allow(seller_client, tool)

    response = token_request(
        Client(),
        tool,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
        secret="not-the-secret",
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_api_01_deny_redirects_with_access_denied(seller_client, tool):
    page = seller_client.get(authorize_query(tool, pkce_pair()[1]))

    answer = seller_client.post(AUTHORIZE, hidden_fields(page))  # no "allow": the Deny button

    params = redirect_params(answer)
    assert params["error"] == "access_denied"
    assert params["state"] == "state-123"
    assert "code" not in params
    assert answer["trace-id"]
    assert Grant.objects.count() == 0


def test_api_01_requested_scopes_only_are_granted(seller_client, tool):
    code, verifier, _responses = allow(seller_client, tool, scope=SCOPE_DISPUTES)

    body = exchange(Client(), tool, code, verifier).json()

    assert body["scope"] == SCOPE_DISPUTES


def test_api_01_refresh_rotates_and_old_refresh_token_is_refused(seller_client, tool):
    code, verifier, _responses = allow(seller_client, tool)
    first = exchange(Client(), tool, code, verifier).json()

    refreshed = token_request(Client(), tool, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})

    assert refreshed.status_code == 200, refreshed.content
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert set(second["scope"].split()) == set(ALL_SCOPES.split())
    assert refreshed["trace-id"]
    assert call_api(second["access_token"]).status_code == 200
    reused = token_request(Client(), tool, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_api_01_revoking_on_the_dashboard_makes_the_api_answer_401(seller_client, seller, tool):
    code, verifier, _responses = allow(seller_client, tool)
    body = exchange(Client(), tool, code, verifier).json()
    assert call_api(body["access_token"]).status_code == 200

    response = seller_client.post(reverse("api_pages:authorization_revoke", args=[tool.pk]))

    assert response.status_code == 302
    assert call_api(body["access_token"]).status_code == 401
    refreshed = token_request(Client(), tool, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.filter(user=seller).exists()
    assert not RefreshToken.objects.filter(user=seller, revoked__isnull=True).exists()


def test_api_01_token_endpoint_errors_carry_trace_id(client, tool):
    response = token_request(client, tool, {"grant_type": "authorization_code", "code": "nope"})

    assert response.status_code == 400
    assert re.fullmatch(r"[0-9a-f]{32}", response["trace-id"])
