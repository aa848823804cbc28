"""UX-08: the seed's advice where the user needs it — the seller of a NOT_RECEIVED
Discussion sees the advice on unregistered parcels (list ekonomiczny: send again or
refund); a blocked seller account's offers are listed nowhere."""

import pytest

from discussions import services
from discussions.models import Reason
from tests.discussions.conftest import make_order, open_discussion
from tests.factories import OfferFactory, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

ADVICE = "nadaj ponowną przesyłkę lub zwróć pieniądze kupującemu"
ECONOMY = "ryzyko niedostarczenia przedmiotu nadanego listem ekonomicznym spoczywa na Tobie"


def test_ux_08_the_seller_of_a_not_received_discussion_sees_the_unregistered_parcel_advice(
    client, seller, buyer, order
):
    discussion = open_discussion(order, reason=Reason.NOT_RECEIVED)
    client.force_login(seller)
    page = client.get(discussion.get_seller_url()).content.decode()
    assert ADVICE in page and ECONOMY in page
    assert "Przesyłka nierejestrowana (list ekonomiczny)" in page
    client.force_login(buyer)
    assert ADVICE not in client.get(discussion.get_absolute_url()).content.decode()


def test_ux_08_no_parcel_advice_for_other_reasons(client, seller, order):
    discussion = open_discussion(order, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPAIR")
    client.force_login(seller)
    assert ADVICE not in client.get(discussion.get_seller_url()).content.decode()


def test_ux_08_a_blocked_sellers_offers_are_not_listed_under_new_offers_or_in_the_offer_list(
    client, seller_account, mediator, buyer
):
    blocked = OfferFactory(seller_account=seller_account, title="Zablokowany rower", stock=5)
    other = SellerAccountFactory(user=UserFactory(username="dobry_sklep"), display_name="Dobry sklep")
    OfferFactory(seller_account=other, title="Dostępna lampa", stock=5)
    discussion = open_discussion(make_order(blocked, buyer))
    block = services.block_seller_account(
        seller_account, mediator=mediator, statement="Brak odpowiedzi", rule="§5", discussions=[discussion]
    )
    for path in ("/", "/offers/", "/offers/?market=all"):
        page = client.get(path).content.decode()
        assert "Dostępna lampa" in page, path
        assert "Zablokowany rower" not in page, path
    services.lift_seller_block(block, mediator=mediator, reason="Wyjaśnione")
    assert "Zablokowany rower" in client.get("/").content.decode()
    assert "Zablokowany rower" in client.get("/offers/").content.decode()
