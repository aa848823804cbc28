"""API-01 in a real browser: a seller registers an application on *API i aplikacje*,
copies its client ID and secret, goes through the consent page of the authorization-code
flow (PKCE), lands back on the redirect address with a code; the program exchanges it for
a token that the API accepts; the seller revokes the access and the token is refused.

The new pages' texts are not in the Polish catalogue yet: elements are found by id,
field name or role, not by wording. Screenshots (1280 px and 390 px) go to /tmp/screens/.
"""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from api.base import BETA
from tests.api.conftest import ALL_SCOPES, api_path
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.factories import PASSWORD, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENS = SCREENSHOTS
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shoot_both(page, name):
    """Full-page screenshots at desktop and phone width; the phone one must not scroll sideways."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0, f"{name} scrolls sideways at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def call_api(token):
    return Client().get(api_path("/sale/issues"), headers={"Authorization": f"Bearer {token}", "Accept": BETA})


def test_api_01_seller_registers_app_allows_it_and_revokes_it(page, live_server, settings):
    # The redirect address is on the live server itself (http), as in development.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]}
    SellerAccountFactory(user=UserFactory(username="sprzedawca"), display_name="Elektro Marek")
    redirect_uri = f"{live_server.url}/seller/api/guide/"

    sign_in(page, "sprzedawca", PASSWORD)
    page.goto("/seller/api/")
    page.locator("#id_name").fill("Magazyn — synchronizacja")
    page.locator("#id_redirect_uris").fill(redirect_uri)
    page.locator(".api-register button[type=submit]").click()
    page.wait_for_load_state()

    client_id = page.locator("#new-client-id").inner_text().strip()
    client_secret = page.locator("#new-client-secret").inner_text().strip()
    application = Application.objects.get(client_id=client_id)
    assert application.name == "Magazyn — synchronizacja"
    assert client_secret and client_secret != application.client_secret  # stored hashed
    shoot_both(page, "api-dashboard-new-app")

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": ALL_SCOPES,
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"/auth/oauth/authorize?{urlencode(query)}")
    consent = page.locator(".consent-panel")
    assert "Magazyn — synchronizacja" in consent.inner_text()
    assert "Elektro Marek" in consent.inner_text()
    assert "sprzedawca" in consent.inner_text()
    for scope in ALL_SCOPES.split():
        assert page.locator(".consent-scope-name", has_text=scope).count() == 1
    shoot_both(page, "api-consent")

    page.locator("button[name=allow]").click()
    page.wait_for_url(f"{redirect_uri}?*")
    params = parse_qs(urlsplit(page.url).query)
    assert params["state"] == ["browser-state"]
    assert page.locator("h1").count() == 1  # a real page: the developer guide
    shoot_both(page, "api-guide")

    answer = Client().post(
        "/auth/oauth/token",
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": params["code"][0],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        ),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()},
    )
    assert answer.status_code == 200, answer.content
    access_token = answer.json()["access_token"]
    assert call_api(access_token).status_code == 200

    page.goto("/seller/api/")
    item = page.locator(f"#authorization-{application.pk}")
    assert "Magazyn — synchronizacja" in item.inner_text()
    shoot_both(page, "api-dashboard-authorized")
    item.locator("summary").click()
    item.locator("form button[type=submit]").click()
    page.wait_for_load_state()

    assert page.locator(f"#authorization-{application.pk}").count() == 0
    assert not AccessToken.objects.filter(application=application).exists()
    assert call_api(access_token).status_code == 401
