"""BLK-01/04…06/09 in a real browser: the demo seller adds the demo buyer to *Moi
nieaktywni kupujący* with three orders as evidence; the buyer is refused at the offer;
the seller removes the entry with the trash icon and the purchase works again.

Buttons and links are found by their Polish label or, until the catalogue has them,
by the English source text.
"""

import io
import re

import pytest
from django.core.management import call_command

from buyers.models import BlockReason, InactiveBuyer
from orders.management.commands.seed_demo import DEMO_PASSWORD
from orders.models import Offer, Order
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CABLE = "Kabel HDMI 2.1, 2 m"


def either(polish, english):
    return re.compile(rf"^\s*({re.escape(polish)}|{re.escape(english)})\s*$")


TAB_LINK = either("Moi nieaktywni kupujący", "My inactive buyers")
ADD_BUYER = either("Dodaj kupującego", "Add buyer")
ADD = either("Dodaj", "Add")
NEXT = either("Dalej", "Next")
REMOVE = either("Usuń", "Remove")


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_blk_01_seller_adds_a_buyer_with_three_orders_the_buyer_is_refused_until_removed(
    chromium, live_server, page, demo, shoot
):
    seller = page
    sign_in(seller, "sprzedawca", DEMO_PASSWORD)
    seller.get_by_role("navigation").get_by_role("link", name=TAB_LINK).click()
    seller.wait_for_load_state()
    assert seller.get_by_role("heading", level=1).inner_text().startswith(("Moi nieaktywni kupujący", "My inactive"))
    shoot(seller, "blk-tab-pl")

    # Step 1: login, reason, note; the invalid grounds are on the page.
    seller.get_by_role("link", name=ADD_BUYER).click()
    seller.wait_for_load_state()
    assert seller.locator(".invalid-grounds li").count() == 4
    shoot(seller, "blk-step1-pl")
    seller.locator("#id_login").fill("kupujacy")
    seller.locator(f"input[name=reason][value={BlockReason.FALSE_DATA}]").check()
    seller.locator("#id_note").fill("Trzy razy podała nieistniejący adres.")
    seller.get_by_role("button", name=ADD).click()
    seller.wait_for_load_state()

    # Step 2: a checklist of the buyer's orders from the last 180 days; three are picked.
    boxes = seller.locator("input[name=orders]")
    assert boxes.count() >= 3
    for i in range(3):
        boxes.nth(i).check()
    shoot(seller, "blk-step2-orders-pl")
    seller.get_by_role("button", name=NEXT).click()
    seller.wait_for_load_state()

    # Step 3: the summary; nothing is stored until the seller confirms.
    assert "step=summary" in seller.url
    assert seller.locator(".order-choice").count() == 3
    assert not InactiveBuyer.objects.filter(buyer__username="kupujacy").exists()
    shoot(seller, "blk-step3-summary-pl")
    seller.get_by_role("button", name=ADD_BUYER).click()
    seller.wait_for_load_state()
    entry = InactiveBuyer.objects.get(buyer__username="kupujacy", removed_at__isnull=True)
    assert entry.orders.count() == 3
    assert seller.url.endswith("/seller/inactive-buyers/")
    assert seller.locator(".message-success").is_visible()
    shoot(seller, "blk-tab-added-pl")

    # The buyer, in another browser, is refused at the seller's offer.
    buyer_context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    buyer = buyer_context.new_page()
    buyer.set_default_timeout(10_000)
    sign_in(buyer, "kupujacy", DEMO_PASSWORD)
    cable = Offer.objects.get(title=CABLE)
    buyer.goto(f"/offers/{cable.pk}/")
    refusal = buyer.locator(".buy-panel [role=alert]")
    assert re.search(r"ograniczył|restricted your purchases", refusal.inner_text())
    assert buyer.get_by_role("button", name="Kup teraz").count() == 0
    shoot(buyer, "blk-buyer-refused-pl")
    orders_before = Order.objects.filter(buyer__username="kupujacy").count()

    # The seller removes the entry: trash icon, then confirmation.
    trash = seller.locator(f'a[href="/seller/inactive-buyers/{entry.pk}/remove/"]')
    assert "kupujacy" in trash.get_attribute("aria-label")
    trash.click()
    seller.wait_for_load_state()
    shoot(seller, "blk-remove-confirm-pl")
    entry.refresh_from_db()
    assert entry.is_active  # not before the confirmation
    seller.get_by_role("button", name=REMOVE).click()
    seller.wait_for_load_state()
    entry.refresh_from_db()
    assert entry.removal == InactiveBuyer.Removal.SELLER
    shoot(seller, "blk-tab-removed-pl")
    seller.get_by_role("link", name=re.compile("Usunięte i wygasłe|Removed and expired")).click()
    seller.wait_for_load_state()
    assert seller.locator(".entry-login", has_text="kupujacy").count() == 1
    shoot(seller, "blk-tab-history-pl")

    # Now the purchase works.
    buyer.reload()
    buyer.get_by_label("Liczba sztuk").fill("1")
    buyer.get_by_role("button", name="Kup teraz").click()
    buyer.wait_for_load_state()
    assert Order.objects.filter(buyer__username="kupujacy").count() == orders_before + 1
    shoot(buyer, "blk-buyer-bought-pl")
    buyer_context.close()


def test_blk_01_tab_and_step_1_fit_a_phone_screen(chromium, live_server, demo, shoot):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    for path, name in [
        ("/seller/inactive-buyers/", "blk-tab-mobile-pl"),
        ("/seller/inactive-buyers/add/", "blk-step1-mobile-pl"),
    ]:
        page.goto(path)
        shoot(page, name)
        overflow = no_sideways_scroll(page)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    # The not-eligible message and the FAQ on a phone.
    page.locator("#id_login").fill("kupujici_cz")
    page.get_by_role("button", name=ADD).click()
    page.wait_for_load_state()
    shoot(page, "blk-step1-not-eligible-mobile-pl")
    assert no_sideways_scroll(page) <= 0
    context.close()


def test_blk_06_pictures_stay_when_going_back_and_blk_08_linked_account_only_confirms(
    chromium, live_server, page, demo, shoot, tmp_path
):
    from PIL import Image, ImageDraw

    pictures = []
    for n, color in enumerate(["#f6d5d5", "#d5f6dc", "#d5e4f6"], start=1):
        image = Image.new("RGB", (800, 500), color)
        ImageDraw.Draw(image).text((40, 40), f"Grozba #{n}", fill="black")
        path = tmp_path / f"zrzut-{n}.png"
        image.save(path)
        pictures.append(str(path))

    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    page.goto("/seller/inactive-buyers/add/")
    page.locator("#id_login").fill("kupujacy2")
    page.locator(f"input[name=reason][value={BlockReason.THREATS}]").check()
    page.get_by_role("button", name=ADD).click()
    page.wait_for_load_state()
    page.locator("#id_files").set_input_files(pictures)
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_load_state()
    assert page.locator(".evidence-thumbs img").count() == 3
    shoot(page, "blk-step3-summary-pictures-pl")
    page.get_by_role("link", name=either("Wstecz", "Back")).click()
    page.wait_for_load_state()
    assert page.locator(".evidence-thumbs img").count() == 3  # Back keeps the uploaded files
    shoot(page, "blk-step2-pictures-back-pl")
    page.get_by_role("button", name=NEXT).click()
    page.wait_for_load_state()
    page.get_by_role("button", name=ADD_BUYER).click()
    page.wait_for_load_state()
    entry = InactiveBuyer.objects.get(buyer__username="kupujacy2", removed_at__isnull=True)
    assert entry.images.count() == 3
    image = entry.images.first()
    thumbnail = page.locator(f'img[src="/seller/inactive-buyers/evidence/{image.pk}/thumbnail/"]')
    # The thumbnail loads after the page's own load event may have fired: wait for it.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())

    # BLK-08: on the linked Czech account the same login needs only a confirmation.
    page.context.clear_cookies()
    sign_in(page, "sprzedawca_cz", DEMO_PASSWORD)
    page.goto("/seller/inactive-buyers/add/")
    page.locator("#id_login").fill("kupujacy2")
    page.get_by_role("button", name=ADD).click()
    page.wait_for_load_state()
    assert "step=summary" in page.url
    shoot(page, "blk-linked-summary-pl")
    page.get_by_role("button", name=ADD_BUYER).click()
    page.wait_for_load_state()
    copy = InactiveBuyer.objects.get(buyer__username="kupujacy2", seller_account__user__username="sprzedawca_cz")
    assert copy.source == entry
    shoot(page, "blk-linked-tab-pl")
