"""ORD-01/06/09 in a real browser: the demo buyer buys, the demo seller ships."""

import io

import pytest
from django.core.management import call_command

from orders.management.commands.seed_demo import DEMO_PASSWORD
from orders.models import Order, Shipment
from tests.browser.conftest import sign_in, switch_language

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def test_ord_01_buyer_buys_and_sees_it_in_my_purchases_then_seller_enters_tracking(page, demo, shoot):
    page.goto("/")
    shoot(page, "home-pl")
    assert page.locator("html").get_attribute("lang") == "pl"

    sign_in(page, "kupujacy", DEMO_PASSWORD)
    page.goto("/offers/?market=PL")
    shoot(page, "offers-pl")
    page.get_by_role("link", name="Kabel HDMI 2.1, 2 m").first.click()
    shoot(page, "offer-detail-pl")
    page.get_by_label("Liczba sztuk").fill("2")
    page.get_by_role("button", name="Kup teraz").click()
    page.wait_for_load_state()
    shoot(page, "purchase-detail-pl")
    order = Order.objects.filter(buyer__username="kupujacy").order_by("-pk").first()
    assert order.lines.get().quantity == 2
    assert f"/my/purchases/{order.pk}/" in page.url

    page.get_by_role("navigation", name="Nawigacja główna").get_by_role("link", name="Moje zakupy").click()
    assert page.get_by_role("link", name=f"Zamówienie {order.number}").is_visible()
    shoot(page, "purchases-pl")
    switch_language(page, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="My purchases").is_visible()
    shoot(page, "purchases-en")
    page.get_by_role("link", name=f"Order {order.number}").click()
    shoot(page, "purchase-detail-en")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.is_paid

    page.context.clear_cookies()
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    page.goto("/seller/orders/?show=to_ship")
    shoot(page, "seller-orders-pl")
    row = page.locator("tr", has=page.get_by_role("link", name=order.number))
    row.get_by_text("Akcje").click()
    shoot(page, "seller-orders-actions-pl")
    row.get_by_role("link", name="Wprowadź numer przewozowy").click()
    page.get_by_label("Przewoźnik").select_option("INPOST")
    page.get_by_role("textbox", name="Numer przewozowy").fill("<b>bad</b>")
    page.get_by_role("button", name="Zapisz numer przewozowy").click()
    page.wait_for_load_state()
    assert page.locator(".field-error").first.is_visible()
    assert page.get_by_role("textbox", name="Numer przewozowy").input_value() == "<b>bad</b>"
    shoot(page, "seller-order-tracking-error-pl")
    page.get_by_role("textbox", name="Numer przewozowy").fill("6200 1234 5678")
    page.get_by_role("button", name="Zapisz numer przewozowy").click()
    page.wait_for_load_state()
    shipment = Shipment.objects.get(order=order)
    assert shipment.tracking_number == "620012345678"
    shoot(page, "seller-order-detail-pl")
    switch_language(page, "en")
    shoot(page, "seller-order-detail-en")
    page.goto("/seller/orders/")
    shoot(page, "seller-orders-en")


def test_ord_09_pages_fit_a_phone_screen(chromium, live_server, demo, shoot):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    for path, name in [("/seller/orders/", "seller-orders-mobile-pl"), ("/offers/", "offers-mobile-pl")]:
        page.goto(path)
        shoot(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    context.close()
