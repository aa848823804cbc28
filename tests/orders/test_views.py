"""The order pages through the Django test client (ORD-01…09, SEC-01/02/05, I18N-01).

Texts are checked where the page must show them (next to the field, in the messages
list) against what the rule or the form produced, not against copies of the wording,
which translators and writers may change; the language is pinned to Polish (STYLE §11).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from orders import services
from orders.models import Offer, Order, OrderEvent, Payment, Profile, Refund, Shipment
from tests.factories import OfferFactory, OrderFactory

ONLINE = Order.PaymentMethod.ONLINE
TRANSFER = Order.PaymentMethod.TRADITIONAL_TRANSFER
DAY = timedelta(days=1)


def polish(text, **params):
    """`text` as the Polish page shows it: translated, placeholders filled in, escaped."""
    with translation.override("pl"):
        translated = gettext(text)
    return escape(translated % params if params else translated)


def html(response):
    return response.content.decode()


def input_value(response, name):
    """The value attribute of the input called `name` in the rendered form."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html(response))
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def field_error(response, field):
    """The error paragraph rendered next to `field` (templates/includes/field.html)."""
    match = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', html(response), re.S)
    return match.group(1) if match else None


def flashed(response):
    """The (level, text) messages the view left for the next page."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def shown_message(client, response, level):
    """The single `level` message of a redirecting view, checked to appear on the page it
    redirects to."""
    messages = flashed(response)
    assert [lvl for lvl, _text in messages] == [level], messages
    text = messages[0][1]
    assert text
    page = client.get(response["Location"])
    assert escape(text) in html(page)
    return text


def stock_of(offer):
    return Offer.objects.values_list("stock", flat=True).get(pk=offer.pk)


def links_to(response, url_name):
    """Primary keys of the objects whose `url_name` page the response links to."""
    pattern = re.escape(reverse(url_name, args=[0])).replace("0", r"(\d+)", 1)
    return {int(pk) for pk in re.findall(f'href="{pattern}"', html(response))}


# --- ORD-01/03: buying on the offer page ----------------------------------------------------


def test_ord_01_buy_now_redirects_to_the_purchase_with_a_message(client, buyer, offer):
    client.force_login(buyer)

    response = client.post(offer.get_absolute_url(), {"quantity": "2", "payment_method": ONLINE})

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert order.buyer == buyer
    assert order.lines.get().quantity == 2
    assert stock_of(offer) == 3
    assert order.number in shown_message(client, response, "success")


def test_ord_01_anonymous_buy_goes_to_sign_in_and_creates_nothing(client, offer):
    response = client.post(offer.get_absolute_url(), {"quantity": "1", "payment_method": ONLINE})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert not Order.objects.exists()
    assert stock_of(offer) == 5


@pytest.mark.parametrize(
    "change",
    [{"stock": 0}, {"is_active": False}],
    ids=["ORD-03-sold-out", "ORD-03-inactive"],
)
def test_ord_03_offer_that_cannot_be_bought_shows_the_reason_and_creates_no_order(client, buyer, offer, change):
    Offer.objects.filter(pk=offer.pk).update(**change)
    offer.refresh_from_db()
    reason = escape(services.purchase_refusal(buyer=buyer, offer=offer))
    client.force_login(buyer)

    shown = client.get(offer.get_absolute_url())
    response = client.post(offer.get_absolute_url(), {"quantity": "1", "payment_method": ONLINE})

    assert reason
    assert reason in html(shown)
    assert 'name="quantity"' not in html(shown)
    assert response.status_code in {200, 400}
    assert reason in html(response)
    assert not Order.objects.exists()
    assert stock_of(offer) == change.get("stock", 5)


@pytest.mark.parametrize("typed", ["0", "-1", "999999", "abc"])
def test_ord_03_sec_05_bad_quantity_is_refused_next_to_the_field_and_kept(client, buyer, offer, typed):
    client.force_login(buyer)

    response = client.post(offer.get_absolute_url(), {"quantity": typed, "payment_method": ONLINE})

    assert response.status_code in {200, 400}
    assert response.context["form"].errors["quantity"]
    assert field_error(response, "quantity") == escape(response.context["form"].errors["quantity"][0])
    assert input_value(response, "quantity") == typed
    assert not Order.objects.exists()
    assert stock_of(offer) == 5


def test_ord_03_sec_05_more_than_the_stock_is_refused_next_to_the_field(client, buyer, offer):
    client.force_login(buyer)

    response = client.post(offer.get_absolute_url(), {"quantity": "6", "payment_method": ONLINE})

    assert field_error(response, "quantity") == escape(response.context["form"].errors["quantity"][0])
    assert "5" in field_error(response, "quantity")
    assert input_value(response, "quantity") == "6"
    assert not Order.objects.exists()
    assert stock_of(offer) == 5


# --- ORD-05/08: the buyer pays and cancels ------------------------------------------------------


def test_ord_05_buyer_pays_online_from_the_purchase_page(client, buyer, offer):
    order = OrderFactory(offer=offer, buyer=buyer)
    client.force_login(buyer)

    response = client.post(reverse("orders:purchase_pay", args=[order.pk]))

    order.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert order.status == Order.Status.PAID
    assert Payment.objects.get(order=order).amount == order.total_amount
    shown_message(client, response, "success")


def test_ord_05_buyer_cannot_pay_a_traditional_transfer_online(client, buyer, offer):
    order = OrderFactory(offer=offer, buyer=buyer, payment_method=TRANSFER)
    client.force_login(buyer)

    response = client.post(reverse("orders:purchase_pay", args=[order.pk]))

    order.refresh_from_db()
    assert response["Location"] == order.get_absolute_url()
    shown_message(client, response, "error")
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()


def test_ord_08_buyer_cancels_an_unpaid_purchase_and_the_units_return(client, buyer, offer):
    order = services.buy_offer(offer, buyer=buyer, quantity=2, payment_method=ONLINE)
    client.force_login(buyer)

    response = client.post(reverse("orders:purchase_cancel", args=[order.pk]))

    order.refresh_from_db()
    assert response["Location"] == order.get_absolute_url()
    shown_message(client, response, "success")
    assert order.status == Order.Status.CANCELLED
    assert order.cancelled_at is not None
    assert stock_of(offer) == 5
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.CANCELLED).count() == 1


def test_ord_08_a_paid_purchase_cannot_be_cancelled_here(client, buyer, offer):
    order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=ONLINE)
    services.pay_order(order, buyer=buyer)
    client.force_login(buyer)

    response = client.post(reverse("orders:purchase_cancel", args=[order.pk]))

    order.refresh_from_db()
    shown_message(client, response, "error")
    assert order.status == Order.Status.PAID
    assert stock_of(offer) == 4


# --- ORD-09: Moje zakupy and Zamówienia -------------------------------------------------------


def test_ord_09_my_purchases_lists_only_the_buyers_own_orders(client, buyer, other_buyer, offer):
    mine = {OrderFactory(offer=offer, buyer=buyer).pk for _ in range(2)}
    theirs = OrderFactory(offer=offer, buyer=other_buyer)
    client.force_login(buyer)

    response = client.get(reverse("orders:purchase_list"))

    assert response.status_code == 200
    assert links_to(response, "orders:purchase_detail") == mine
    assert theirs.pk not in {order.pk for order in response.context["page"].object_list}


@pytest.fixture
def seller_orders(seller_account, other_seller_account, seller, buyer, offer):
    """The seller's orders in every state the filters tell apart, and a foreign one."""
    now = timezone.now()

    def order(**kwargs):
        return OrderFactory(offer=offer, buyer=buyer, **kwargs)

    orders = {
        "unpaid": order(created_at=now - DAY),
        # ORD-04: online payment is due 7 days after the purchase.
        "overdue": order(created_at=now - 8 * DAY),
        # ORD-04: an upfront traditional transfer has 14 days: still not overdue on day 10.
        "transfer_in_time": order(created_at=now - 10 * DAY, payment_method=TRANSFER),
        "paid": order(),
        "tracking_entered": order(),
        "handed_over": order(),
        "cancelled": order(),
    }
    for key in ("paid", "tracking_entered", "handed_over"):
        services.pay_order(orders[key], buyer=buyer)
    for key in ("tracking_entered", "handed_over"):
        services.enter_tracking(orders[key], seller=seller, carrier="INPOST", tracking_number=f"INP-{key[:6]}")
    services.mark_handed_over(orders["handed_over"], seller=seller)
    services.cancel_order(orders["cancelled"], buyer=buyer)
    foreign_offer = OfferFactory(seller_account=other_seller_account)
    orders["foreign"] = OrderFactory(offer=foreign_offer, buyer=buyer)
    return orders


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("", {"unpaid", "overdue", "transfer_in_time", "paid", "tracking_entered", "handed_over", "cancelled"}),
        ("unpaid", {"unpaid", "overdue", "transfer_in_time"}),
        ("overdue", {"overdue"}),
        ("to_ship", {"paid", "tracking_entered"}),
    ],
    ids=["ORD-09-all", "ORD-09-unpaid", "ORD-04-overdue", "ORD-09-to-ship"],
)
def test_ord_09_seller_orders_filter_shows_the_right_orders(client, seller, seller_orders, show, expected):
    client.force_login(seller)

    response = client.get(reverse("orders:seller_order_list"), {"show": show})

    expected_pks = {seller_orders[key].pk for key in expected}
    assert response.status_code == 200
    assert {order.pk for order in response.context["page"].object_list} == expected_pks
    assert links_to(response, "orders:seller_order_detail") == expected_pks
    counts = response.context["counts"]
    assert (counts["unpaid"], counts["overdue"], counts["to_ship"]) == (3, 1, 2)


def test_ord_09_unknown_seller_filter_shows_all_orders(client, seller, seller_orders):
    client.force_login(seller)

    response = client.get(reverse("orders:seller_order_list"), {"show": "<script>"})

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 7
    assert "<script>" not in html(response)


# --- ORD-06: tracking number ------------------------------------------------------------------


def test_ord_06_seller_enters_a_tracking_number(client, seller, offer, buyer):
    order = OrderFactory(offer=offer, buyer=buyer)
    client.force_login(seller)

    response = client.post(
        reverse("orders:seller_order_tracking", args=[order.pk]),
        {"carrier": "INPOST", "tracking_number": " inp 123-456 "},
    )

    assert response.status_code == 302
    assert response["Location"] == order.get_seller_url()
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number) == ("INPOST", "INP123-456")
    shown_message(client, response, "success")


def test_ord_06_sec_02_tracking_number_with_markup_is_refused_and_escaped(client, seller, offer, buyer):
    order = OrderFactory(offer=offer, buyer=buyer)
    client.force_login(seller)

    response = client.post(
        reverse("orders:seller_order_tracking", args=[order.pk]),
        {"carrier": "INPOST", "tracking_number": "<b>x</b>"},
    )

    page = html(response)
    assert response.status_code == 400
    assert field_error(response, "tracking_number") == escape(
        response.context["tracking_form"].errors["tracking_number"][0]
    )
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert input_value(response, "tracking_number") == "&lt;b&gt;x&lt;/b&gt;"
    assert not Shipment.objects.exists()
    assert not OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.TRACKING_ENTERED).exists()


# --- ORD-07: refunds ----------------------------------------------------------------------------


@pytest.fixture
def paid_order(offer, buyer):
    """One unit of the 100.00 offer, paid online."""
    order = OrderFactory(offer=offer, buyer=buyer)
    return services.pay_order(order, buyer=buyer)


def test_ord_07_refund_above_what_was_paid_is_refused_next_to_the_field(client, seller, paid_order):
    client.force_login(seller)

    response = client.post(
        reverse("orders:seller_order_refund", args=[paid_order.pk]), {"kind": "amount", "amount": "150.00"}
    )

    assert response.status_code == 400
    assert field_error(response, "amount") == escape(response.context["refund_form"].errors["amount"][0])
    assert "100.00" in field_error(response, "amount")
    assert input_value(response, "amount") == "150.00"
    assert not Refund.objects.exists()


def test_ord_07_partial_refunds_never_exceed_what_is_left(client, seller, paid_order):
    client.force_login(seller)
    url = reverse("orders:seller_order_refund", args=[paid_order.pk])

    first = client.post(url, {"kind": "amount", "amount": "40"})
    assert first.status_code == 302
    assert "40,00\xa0zł" in shown_message(client, first, "success")  # SAFE-03: the market's money format

    second = client.post(url, {"kind": "amount", "amount": "60.01"})

    assert second.status_code == 400
    assert "60.00" in field_error(second, "amount")
    assert input_value(second, "amount") == "60.01"
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("40.00")]


# --- SEC-01: ids in URLs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/offers/abc/"),
        ("get", "/my/purchases/abc/"),
        ("post", "/my/purchases/1x/pay/"),
        ("get", "/seller/orders/abc/"),
        ("post", "/seller/orders/-1/refund/"),
        ("get", "/my/purchases/99999999999999999999999/"),
        ("get", "/seller/orders/99999999999999999999999/"),
        ("get", "/offers/99999999999999999999999/"),
    ],
)
def test_sec_01_non_numeric_or_impossible_ids_give_404(client, seller, method, path):
    client.force_login(seller)

    response = getattr(client, method)(path)

    assert response.status_code == 404


# --- I18N-01: language ---------------------------------------------------------------------------


def test_i18n_01_polish_is_the_default_language(client, db):
    response = client.get(reverse("home"))

    assert '<html lang="pl">' in html(response)
    assert polish("Browse offers") in html(response)
    assert polish("Browse offers") != "Browse offers"


def test_i18n_01_language_switch_makes_pages_english_and_remembers_the_choice(client, buyer):
    client.force_login(buyer)

    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("orders:offer_list")})
    response = client.get(reverse("home"))

    assert switched.status_code == 302
    assert switched["Location"] == reverse("orders:offer_list")
    assert '<html lang="en">' in html(response)
    assert "Browse offers" in html(response)
    assert Profile.objects.get(user=buyer).language == "en"


# --- SEC-02: CSRF -------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(buyer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    return client


def test_sec_02_post_without_csrf_token_is_refused(csrf_client, buyer, offer):
    order = OrderFactory(offer=offer, buyer=buyer)

    paying = csrf_client.post(reverse("orders:purchase_pay", args=[order.pk]))
    buying = csrf_client.post(offer.get_absolute_url(), {"quantity": "1", "payment_method": ONLINE})

    assert paying.status_code == 403
    assert buying.status_code == 403
    assert Order.objects.get().status == Order.Status.AWAITING_PAYMENT
    assert Order.objects.count() == 1


def test_sec_02_post_with_the_pages_csrf_token_is_accepted(csrf_client, offer):
    """The control for the refusal above: the form's own token lets the purchase through."""
    page = csrf_client.get(offer.get_absolute_url())
    token = input_value(page, "csrfmiddlewaretoken")

    response = csrf_client.post(
        offer.get_absolute_url(), {"quantity": "1", "payment_method": ONLINE, "csrfmiddlewaretoken": token}
    )

    assert token
    assert response.status_code == 302
    assert Order.objects.count() == 1
