"""DSC-01…16 in a real browser: a buyer opens a Discussion, the seller replies, the
buyer marks it resolved; and the not-received flow in which entering a tracking number
answers for the seller (DSC-07)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from discussions.models import Discussion, Message
from orders import services as order_services
from orders.management.commands.seed_demo import DEMO_PASSWORD
from orders.models import Offer, Order
from tests.browser.conftest import sign_in, switch_language

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def paid_order(title, login):
    from django.contrib.auth import get_user_model

    buyer = get_user_model().objects.get(username=login)
    when = timezone.now() - timedelta(days=2)
    order = order_services.buy_offer(
        Offer.objects.get(title=title), buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=when
    )
    order_services.pay_order(order, buyer=buyer, now=when + timedelta(minutes=5))
    return order


def test_dsc_04_buyer_opens_seller_replies_buyer_marks_resolved(page, demo, shoot):
    order = paid_order("Ładowarka USB-C 65 W", "kupujacy")
    sign_in(page, "kupujacy", DEMO_PASSWORD)
    page.goto(order.get_absolute_url())
    shoot(page, "purchase-with-discussions-pl")
    page.get_by_role("link", name="Rozpocznij Dyskusję").click()
    page.get_by_label("Problem z produktem").check()
    page.get_by_role("button", name="Rozpocznij Dyskusję").click()
    page.wait_for_load_state()
    # DSC-03: a product problem needs the expected solution; what was typed is kept.
    assert page.locator(".field-error, .form-errors").first.is_visible()
    assert page.get_by_label("Problem z produktem").is_checked()
    shoot(page, "discussion-open-error-pl")
    page.get_by_label("Oczekiwane rozwiązanie").select_option("REPLACEMENT")
    page.get_by_label("Twoja wiadomość (opcjonalnie)").fill("Ładowarka nie ładuje laptopa.")
    page.get_by_role("button", name="Rozpocznij Dyskusję").click()
    page.wait_for_load_state()
    discussion = Discussion.objects.get(order=order)
    assert f"/my/discussions/{discussion.pk}/" in page.url
    assert page.get_by_text("Ładowarka nie ładuje laptopa.").is_visible()
    shoot(page, "discussion-buyer-pl")

    page.context.clear_cookies()
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    page.goto("/seller/discussions/")
    shoot(page, "discussions-seller-list-pl")
    page.get_by_role("link", name=discussion.number).click()
    page.get_by_label("Twoja wiadomość").fill("Przepraszamy, wyślemy nową ładowarkę jutro.")
    page.get_by_role("button", name="Wyślij", exact=True).click()
    page.wait_for_load_state()
    discussion.refresh_from_db()
    assert discussion.seller_replied_at is not None
    assert discussion.last_message_status == Discussion.LastMessageStatus.SELLER_REPLIED
    shoot(page, "discussion-seller-pl")
    switch_language(page, "en")
    shoot(page, "discussion-seller-en")

    page.context.clear_cookies()
    sign_in(page, "kupujacy", DEMO_PASSWORD)
    page.goto(discussion.get_absolute_url())
    # DSC-22: disabled actions say why and from when.
    assert page.get_by_role("button", name="Oznacz jako nierozwiązaną").is_disabled()
    page.get_by_role("button", name="Oznacz jako rozwiązaną").click()
    page.wait_for_load_state()
    # SAFE-03: what will happen, said before it happens; nothing changed yet.
    assert page.get_by_text("zostanie zamknięta jako rozwiązana").is_visible()
    discussion.refresh_from_db()
    assert discussion.is_open
    shoot(page, "discussion-confirm-resolved-pl")
    page.locator(".confirmation").get_by_role("button", name="Oznacz jako rozwiązaną").click()
    page.wait_for_load_state()
    discussion.refresh_from_db()
    assert discussion.status == Discussion.Status.RESOLVED and not discussion.is_open
    assert page.get_by_text("Rozwiązana", exact=True).first.is_visible()
    shoot(page, "discussion-resolved-pl")
    switch_language(page, "en")
    assert page.get_by_text("Resolved", exact=True).first.is_visible()
    shoot(page, "discussion-resolved-en")


def test_dsc_07_tracking_number_answers_for_the_seller(page, demo, shoot):
    order = paid_order("Kabel HDMI 2.1, 2 m", "kupujacy2")
    sign_in(page, "kupujacy2", DEMO_PASSWORD)
    page.goto(f"/my/purchases/{order.pk}/discussion/new/")
    page.get_by_label("Nie otrzymałem produktu").check()
    page.get_by_role("button", name="Rozpocznij Dyskusję").click()
    page.wait_for_load_state()
    discussion = Discussion.objects.get(order=order)

    page.context.clear_cookies()
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    page.goto(discussion.get_seller_url())
    page.get_by_role("link", name="Wprowadź numer przewozowy").click()
    page.get_by_label("Przewoźnik").select_option("INPOST")
    page.get_by_role("textbox", name="Numer przewozowy").fill("DEMO-PL-7777")
    page.get_by_role("button", name="Zapisz numer przewozowy").click()
    page.wait_for_load_state()

    discussion.refresh_from_db()
    assert discussion.seller_replied_at is not None
    auto = Message.objects.get(discussion=discussion, auto_code="TRACKING_ENTERED")
    assert auto.counts_as_seller_reply
    page.goto(discussion.get_seller_url())
    assert page.get_by_text("DEMO-PL-7777").first.is_visible()
    shoot(page, "discussion-tracking-answer-pl")

    page.context.clear_cookies()
    sign_in(page, "kupujacy2", DEMO_PASSWORD)
    page.goto(discussion.get_absolute_url())
    assert page.get_by_text("Liczy się jako odpowiedź sprzedającego").first.is_visible()
    shoot(page, "discussion-tracking-answer-buyer-pl")
