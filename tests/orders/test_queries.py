"""Query counts of the list pages (ORD-09, ORD-01): a page of 20 rows costs the same
number of queries as a page of one, however the rows differ (paid or not, shipped or
not, with a Discussion or not, from different sellers, buyers and markets)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import services as discussion_services
from discussions.models import Reason
from orders import services
from orders.models import Order, Shipment
from orders.views import PAGE_SIZE
from tests.factories import OfferFactory, OrderFactory, SellerAccountFactory, UserFactory, market

TOTAL = 50


def links_to(response, url_name):
    """Primary keys of the objects whose `url_name` page the response links to."""
    pattern = re.escape(reverse(url_name, args=[0])).replace("0", r"(\d+)", 1)
    return {int(pk) for pk in re.findall(f'href="{pattern}"', response.content.decode())}


def measure(client, url, params=None):
    """Queries of one GET, after a first GET that warms whatever is cached per process."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


def shape_order(order, index, *, seller):
    """Give the order one of four states, and a Discussion to the paid ones."""
    state = index % 4
    if state in (1, 2):
        services.pay_order(order, buyer=order.buyer)
        discussion_services.open_discussion(
            order, buyer=order.buyer, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED
        )
    if state == 2:
        services.enter_tracking(
            order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number=f"DPD-{order.pk:06d}"
        )
    if state == 3:
        services.cancel_order(order, buyer=order.buyer)
    return order


# --- ORD-09: Moje zakupy ----------------------------------------------------------------------


def test_ord_09_purchases_page_query_count_does_not_grow_with_orders(
    client, django_assert_num_queries, buyer, seller, offer, other_seller_account
):
    other_offer = OfferFactory(seller_account=other_seller_account, stock=100)
    offers = [offer, other_offer]

    def add(index):
        order = OrderFactory(offer=offers[index % 2], buyer=buyer)
        return shape_order(order, index, seller=offers[index % 2].seller_account.user)

    add(1)
    client.force_login(buyer)
    url = reverse("orders:purchase_list")
    with_one, _response = measure(client, url)
    for index in range(2, TOTAL + 1):
        add(index)

    client.get(url)
    with django_assert_num_queries(with_one):
        response = client.get(url)

    rows = {order.pk for order in response.context["page"].object_list}
    assert len(rows) == PAGE_SIZE
    assert links_to(response, "orders:purchase_detail") == rows
    assert Order.objects.filter(buyer=buyer).count() == TOTAL


# --- ORD-09/ORD-04: Zamówienia ------------------------------------------------------------------


@pytest.mark.parametrize("show", ["", "to_ship", "with_discussion"], ids=["all", "to_ship", "with_discussion"])
def test_ord_09_seller_orders_page_query_count_does_not_grow_with_orders(
    client, django_assert_num_queries, seller, offer, buyer, other_buyer, show
):
    buyers = [buyer, other_buyer, UserFactory(username="third_buyer")]

    def add(index):
        order = OrderFactory(offer=offer, buyer=buyers[index % 3])
        return shape_order(order, index, seller=seller)

    add(1)  # paid, with a Discussion: a row under every filter measured here
    client.force_login(seller)
    url = reverse("orders:seller_order_list")
    with_one, first = measure(client, url, {"show": show})
    assert len(first.context["page"].object_list) == 1
    for index in range(2, TOTAL + 1):
        add(index)

    client.get(url, {"show": show})
    with django_assert_num_queries(with_one):
        response = client.get(url, {"show": show})

    rows = {order.pk for order in response.context["page"].object_list}
    assert len(rows) == PAGE_SIZE
    assert links_to(response, "orders:seller_order_detail") == rows


# --- ORD-01: browsing offers ---------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_ord_01_offer_list_query_count_does_not_grow_with_offers(client, django_assert_num_queries, buyer, signed_in):
    markets = [market(code) for code in ("PL", "CZ", "SK", "HU")]

    def add(index):
        account = SellerAccountFactory(market=markets[index % 4])
        return OfferFactory(seller_account=account, stock=index % 3)

    add(1)
    if signed_in:
        client.force_login(buyer)
    url = reverse("orders:offer_list") + "?market=all"
    with_one, _response = measure(client, url)
    for index in range(2, TOTAL + 1):
        add(index)

    client.get(url)
    with django_assert_num_queries(with_one):
        response = client.get(url)

    rows = {offer.pk for offer in response.context["page"].object_list}
    assert len(rows) == PAGE_SIZE
    assert links_to(response, "orders:offer_detail") == rows


def test_ord_01_home_page_query_count_does_not_grow_with_offers(client, django_assert_num_queries, db):
    def add(index):
        account = SellerAccountFactory(market=market(("PL", "CZ", "SK", "HU")[index % 4]))
        return OfferFactory(seller_account=account)

    add(1)
    url = reverse("home")
    with_one, _response = measure(client, url)
    for index in range(2, TOTAL + 1):
        add(index)

    client.get(url)
    with django_assert_num_queries(with_one):
        response = client.get(url)

    assert len(links_to(response, "orders:offer_detail")) == 6
