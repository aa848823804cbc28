"""SAFE-03 on the seller's order page: a refund asks for confirmation on a page that says
what will happen (the amount in the market's money format; the Discussion it closes),
and after a full refund the form is gone and the order reads refunded.

The tests send the forms as a browser would: the hidden fields of the page's form (the
one-time form token among them), then those of the confirmation page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core.money import money
from discussions import services as discussion_services
from discussions.models import Discussion, Reason
from orders import services
from orders.models import Order, Refund
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(offer, buyer):
    order = services.buy_offer(
        offer,
        buyer=buyer,
        quantity=1,
        payment_method=Order.PaymentMethod.ONLINE,
        now=timezone.now() - timedelta(days=3),
    )
    return services.pay_order(order, buyer=buyer, now=timezone.now() - timedelta(days=3))


def refund_url(order):
    return reverse("orders:seller_order_refund", args=[order.pk])


def ask(client, order, data):
    """Send the page's refund form: the answer is the confirmation page."""
    fields = hidden_fields(client.get(order.get_seller_url()), refund_url(order))
    return client.post(refund_url(order), {**data, **fields})


def test_safe_03_the_refund_form_preselects_nothing(client, seller, paid_order):
    client.force_login(seller)

    page = client.get(paid_order.get_seller_url()).content.decode()

    assert 'name="kind"' in page
    assert "checked" not in page.split('id="refund"')[1].split("</form>")[0]


def test_safe_03_a_refund_first_shows_a_confirmation_and_changes_nothing(client, seller, paid_order):
    client.force_login(seller)

    response = ask(client, paid_order, {"kind": "amount", "amount": "1234.5"})

    assert response.status_code == 400  # more than was paid: refused next to the form, not confirmed
    assert not Refund.objects.exists()
    response = ask(client, paid_order, {"kind": "amount", "amount": "12.5"})
    assert response.status_code == 200
    assert not Refund.objects.exists()
    with translation.override("pl"):
        assert money(Decimal("12.50"), "PLN") in response.content.decode()  # "12,50 zł"
    assert "12.50 PLN" not in response.content.decode()


def test_safe_03_confirming_refunds_once_and_says_the_amount_in_money_format(client, seller, paid_order):
    client.force_login(seller)
    confirmation = ask(client, paid_order, {"kind": "amount", "amount": "12.50"})
    fields = hidden_fields(confirmation, refund_url(paid_order))

    done = client.post(refund_url(paid_order), fields)
    again = client.post(refund_url(paid_order), fields)

    assert done.status_code == 302 and again.status_code == 302
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("12.50")]
    [(level, text)] = flashed(done)
    with translation.override("pl"):
        assert level == "success" and money(Decimal("12.50"), "PLN") in text, text


def test_safe_03_a_full_refund_says_it_closes_the_no_refund_discussion(client, seller, buyer, paid_order):
    discussion = discussion_services.open_discussion(
        paid_order, buyer=buyer, line_id=paid_order.lines.get().pk, reason=Reason.NOT_RECEIVED
    )
    client.force_login(seller)

    confirmation = ask(client, paid_order, {"kind": "full"})

    page = confirmation.content.decode()
    assert f"D{discussion.pk}" in page or str(discussion.pk) in page
    assert "zamknie Dyskusję" in page, page
    with translation.override("pl"):
        assert money(paid_order.total_amount, "PLN") in page
    assert Discussion.objects.get(pk=discussion.pk).is_open


def test_safe_03_a_partial_refund_does_not_say_it_closes_a_discussion(client, seller, buyer, paid_order):
    discussion_services.open_discussion(
        paid_order, buyer=buyer, line_id=paid_order.lines.get().pk, reason=Reason.NOT_RECEIVED
    )
    client.force_login(seller)

    confirmation = ask(client, paid_order, {"kind": "amount", "amount": "1.00"})

    assert "zamknie Dyskusję" not in confirmation.content.decode()


def test_safe_03_after_a_full_refund_the_form_is_gone_and_the_order_reads_refunded(client, seller, paid_order):
    client.force_login(seller)
    confirmation = ask(client, paid_order, {"kind": "full"})
    client.post(refund_url(paid_order), hidden_fields(confirmation, refund_url(paid_order)))

    page = client.get(paid_order.get_seller_url()).content.decode()

    assert Refund.objects.get().is_full
    assert refund_url(paid_order) not in page
    assert '<span class="badge badge-muted">Zwrócono</span>' in page  # the order's status badge
    assert 'badge-ok">Opłacone' not in page


def test_safe_03_the_confirmation_is_in_the_users_language(client, seller, paid_order):
    client.force_login(seller)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    confirmation = ask(client, paid_order, {"kind": "amount", "amount": "1234.00"})
    confirmation = ask(client, paid_order, {"kind": "amount", "amount": "12.00"})

    page = confirmation.content.decode()
    assert "Confirm the refund" in page
    with translation.override("en"):
        assert money(Decimal("12.00"), "PLN") in page
