"""UX-11: the seller's contact page offers the help page's three topics — the appeal
form for a rejected commission-refund application, guidance when the buyer does not
want to buy (payment deadlines, contacting the buyer, commission refund, with links to
the orders concerned) and a request to remove a buyer's rating, which lands in the
mediators' queue with the order and the reason."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.errors import DomainError
from orders import commission, contact, services
from orders.models import AuditRecord, CommissionRefund, Order, RatingRemovalRequest
from tests.factories import OfferFactory
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
BOUGHT = datetime(2026, 11, 25, 8, 0, tzinfo=WARSAW)
NOW = BOUGHT + timedelta(days=8)  # past the 7-day payment deadline, within 45 days
CONTACT = "/seller/contact/"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def orders(seller_account, buyer):
    offer = OfferFactory(seller_account=seller_account, title="Lampa", stock=50)

    def buy(paid=False):
        order = services.buy_offer(
            offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=BOUGHT
        )
        if paid:
            services.pay_order(order, buyer=buyer, now=BOUGHT + timedelta(minutes=5))
        return order

    return {"unpaid": buy(), "paid": buy(paid=True), "early": buy()}


def test_ux_11_the_contact_page_offers_the_help_pages_three_topics_and_is_in_the_menu(client, seller, orders):
    client.force_login(seller)
    page = client.get(CONTACT).content.decode()
    assert "Jeśli chcesz się z nami skontaktować, wybierz jeden z poniższych tematów" in page
    assert "Wniosek o rabat transakcyjny (zwrot prowizji) został odrzucony? Skorzystaj z formularza odwołania." in page
    assert "Kupujący nie chce kupić" in page
    assert "Chcesz usunąć ocenę od kupującego" in page
    assert f'href="{CONTACT}"' in client.get("/seller/orders/").content.decode()


def test_ux_11_a_rejected_application_is_linked_to_its_appeal_form(client, seller, orders):
    line = orders["early"].lines.get()
    rejected = commission.apply(
        orders["early"],
        seller=seller,
        reason=CommissionRefund.Reason.NOT_PAID,
        quantities={line.pk: 1},
        now=BOUGHT + timedelta(days=1),
    )
    assert rejected.status == CommissionRefund.Status.REJECTED
    client.force_login(seller)
    page = client.get(CONTACT).content.decode()
    assert f'href="{reverse("orders:commission_refund_detail", args=[rejected.pk])}#appeal"' in page
    assert f"Wniosek {rejected.number}" in page


def test_ux_11_buyer_does_not_buy_gives_the_deadlines_and_links_the_unpaid_orders(client, seller, orders):
    client.force_login(seller)
    page = client.get(CONTACT).content.decode()
    assert "w ciągu 7 dni – w przypadku zakupu w opcji kup teraz" in page
    assert "Możesz też skontaktować się z klientem." in page
    for name in ("unpaid", "early"):
        assert f'href="{orders[name].get_seller_url()}"' in page
        assert f'href="{reverse("orders:commission_refund_new", args=[orders[name].pk])}"' in page
    assert orders["paid"].get_seller_url() + '"' not in page
    assert "Po terminie płatności" in page


def test_ux_11_a_rating_removal_request_lands_in_the_mediators_queue_with_the_order_and_reason(
    client, seller, mediator, orders
):
    client.force_login(seller)
    page = client.get(CONTACT)
    response = client.post(
        CONTACT,
        {
            **hidden_fields(page),
            "order": orders["paid"].number,
            "reason": "OFFENSIVE",
            "text": "Kupujący użył wulgaryzmów.",
        },
    )
    assert response.status_code == 302
    assert (
        "success",
        f"Prośba dotycząca zamówienia {orders['paid'].number} została wysłana. Zajmie się nią pracownik Allegro.",
    ) in flashed(response)
    sent = RatingRemovalRequest.objects.get()
    assert (sent.order, sent.reason, sent.status) == (orders["paid"], "OFFENSIVE", "OPEN")
    assert "Czeka na Allegro" in client.get(CONTACT).content.decode()

    client.force_login(mediator)
    queue = client.get(reverse("admin:discussions_queue"))
    items = [item for item in queue.context["items"] if item.reason == "rating"]
    assert len(items) == 1
    assert items[0].title.startswith(f"Zamówienie {orders['paid'].number}")
    assert "Ocena zawiera obraźliwe lub wulgarne słowa" in items[0].detail
    assert "Kupujący użył wulgaryzmów." in items[0].detail
    assert client.get(items[0].url).status_code == 200

    decide = reverse("admin:orders_ratingremovalrequest_decide", args=[sent.pk])
    done = client.post(decide, {**hidden_fields(client.get(decide)), "decision": "refuse", "reason": "Ocena rzeczowa."})
    assert done.status_code == 302
    assert not [i for i in client.get(reverse("admin:discussions_queue")).context["items"] if i.reason == "rating"]
    record = AuditRecord.objects.get(action="DECIDE_RATING_REMOVAL")
    assert (record.actor, record.reason, record.after) == (mediator, "Ocena rzeczowa.", {"status": "REFUSED"})
    client.force_login(seller)
    assert "Prośba odrzucona" in client.get(CONTACT).content.decode()


def test_ux_11_a_bad_request_says_why_next_to_the_field_and_keeps_the_text(client, seller, other_seller_account, buyer):
    foreign = services.buy_offer(
        OfferFactory(seller_account=other_seller_account, stock=5),
        buyer=buyer,
        quantity=1,
        payment_method=Order.PaymentMethod.ONLINE,
        now=BOUGHT,
    )
    client.force_login(seller)
    page = client.get(CONTACT)
    response = client.post(
        CONTACT, {**hidden_fields(page), "order": foreign.number, "reason": "OTHER", "text": "Mój długi opis."}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Wpisz numer zamówienia z Twojego konta (taki jak w Zamówieniach)." in body
    assert "Mój długi opis." in body
    assert not RatingRemovalRequest.objects.exists()


def test_ux_11_one_open_request_per_order_and_a_repeated_form_sends_once(client, seller, orders):
    client.force_login(seller)
    page = client.get(CONTACT)
    data = {**hidden_fields(page), "order": orders["paid"].number, "reason": "OTHER", "text": "Opis."}
    client.post(CONTACT, data)
    again = client.post(CONTACT, data)
    assert again.status_code == 302
    assert RatingRemovalRequest.objects.count() == 1
    fresh_form = client.post(CONTACT, {**data, **hidden_fields(client.get(CONTACT))})
    assert fresh_form.status_code == 400
    assert "już czeka na Allegro" in fresh_form.content.decode()
    with pytest.raises(DomainError):
        contact.request_rating_removal(orders["paid"].seller_account, order_number="x", reason="OTHER", text="a")
