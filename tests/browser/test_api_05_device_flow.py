"""API-05 in a real browser: a program without a browser asks for a device code; the
seller opens the verification address it shows, signs in (coming back with the code),
sees the application, the seller account, the scopes and the code, and allows it; the
program's next poll gets a token the API accepts. The page is Polish by default and
switches to English; it does not scroll sideways at 390 px. Screenshots
api-05-device-*.png (1280 and 390 px) are looked at; api-04-guide-error-codes-*.png shows
the guide's table of error codes (API-04)."""

from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application

from api import guide
from api.base import BETA
from tests.api import device_flow
from tests.api.conftest import api_path
from tests.browser.conftest import SCREENSHOTS, sign_in, switch_language
from tests.factories import PASSWORD, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SECRET = "device-secret-0123456789"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shoot_both(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0, f"{name} scrolls sideways at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_api_05_seller_connects_a_device_in_the_browser(page, live_server):
    SellerAccountFactory(user=UserFactory(username="sprzedawca"), display_name="Elektro Marek")
    application = Application.objects.create(
        name="Terminal magazynowy",
        user=UserFactory(username="programista"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        client_secret=SECRET,
    )
    codes = device_flow.request_device_codes(live_server.url, client_id=application.client_id, client_secret=SECRET)
    assert codes["verification_uri"] == f"{live_server.url}/skojarz-aplikacje"

    # The seller types the address the device shows, signs in and comes back to the page.
    page.goto("/skojarz-aplikacje")
    sign_in_page = urlsplit(page.url)
    assert sign_in_page.path == "/accounts/login/"
    sign_in(page, "sprzedawca", PASSWORD)
    page.goto("/skojarz-aplikacje")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.get_by_role("heading", level=1).inner_text() == "Skojarz aplikację"
    # A mistyped code: said next to the field, the typed text kept.
    page.locator("#id_code").fill("ABCD-0000")
    page.locator(".device-code-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#id_code").input_value() == "ABCD-0000"
    assert page.locator(".field-error").inner_text().startswith("Ten kod jest nieprawidłowy")
    shoot_both(page, "api-05-device-wrong-code")

    typed = codes["user_code"].lower()
    page.locator("#id_code").fill(f"{typed[:4]} {typed[4:]}")
    page.locator(".device-code-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#device-code").inner_text() == f"{codes['user_code'][:4]}-{codes['user_code'][4:]}"
    assert "Terminal magazynowy" in page.locator(".consent-app").inner_text()
    assert "Elektro Marek" in page.locator(".consent-facts").inner_text()
    shoot_both(page, "api-05-device-confirm-pl")

    switch_language(page, "en")
    assert page.get_by_role("heading", level=1).inner_text() == "Allow Terminal magazynowy to use your seller account?"
    shoot_both(page, "api-05-device-confirm-en")

    # The program polls while the seller reads: still pending.
    credentials = {"client_id": application.client_id, "client_secret": SECRET, "device_code": codes["device_code"]}
    status, body = device_flow.poll_token(live_server.url, **credentials)
    assert (status, body["error"]) == (400, "authorization_pending")

    page.locator("#deviceForm button[value=allow]").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "The device is connected"
    shoot_both(page, "api-05-device-connected-en")

    with time_machine.travel(timezone.now().timestamp() + codes["interval"]):
        status, body = device_flow.poll_token(live_server.url, **credentials)
    assert status == 200, body
    answer = Client().get(
        api_path("/sale/issues"), headers={"Authorization": f"Bearer {body['access_token']}", "Accept": BETA}
    )
    assert answer.status_code == 200


def test_api_04_guide_shows_the_error_code_table_and_the_deliberate_differences(page, live_server):
    page.goto("/seller/api/guide/")
    switch_language(page, "en")
    table = page.locator("#error-codes")
    assert table.locator("tbody tr").count() >= 20
    assert "NotFoundException" in table.inner_text()
    # Issue 18: the deliberate differences from the marketplace, listed after the table.
    differences = page.locator("#differences + ul li")
    assert differences.count() == len(guide.DELIBERATE_DIFFERENCES)
    assert "MALFORMED_REQUEST" in page.locator("#differences + ul").inner_text()
    table.scroll_into_view_if_needed()
    shoot_both(page, "api-04-guide-error-codes")
