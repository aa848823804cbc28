"""UX-06: buyers, sellers and mediators search their Discussions by Discussion number,
order number, login and product title; the buyer's list filters by status; a search
costs the same number of queries however many Discussions it finds."""

import re

import pytest

from discussions import search
from discussions.models import Discussion
from tests.discussions.conftest import BOUGHT, OPENED, make_order, open_discussion
from tests.factories import OfferFactory, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def _numbers(response):
    assert response.status_code == 200
    return re.findall(r">(D\d{7})</a>", response.content.decode())


@pytest.fixture
def cases(seller_account, buyer):
    """Three Discussions of the seller: headphones and a cable bought by `buyer`, a lamp
    bought by `Kasia_Nowak`; and one of another seller with the same buyer and title."""
    kasia = UserFactory(username="Kasia_Nowak")
    headphones = OfferFactory(seller_account=seller_account, title="Słuchawki bezprzewodowe Sony", stock=5)
    cable = OfferFactory(seller_account=seller_account, title="Kabel USB-C 2 m", stock=5)
    lamp = OfferFactory(seller_account=seller_account, title="Lampka nocna", stock=5)
    other_account = SellerAccountFactory(user=UserFactory(username="inny_sklep"), display_name="Inny sklep")
    other = OfferFactory(seller_account=other_account, title="Słuchawki Sony", stock=5)
    made = {}
    for name, offer, who in (
        ("headphones", headphones, buyer),
        ("cable", cable, buyer),
        ("lamp", lamp, kasia),
        ("other", other, buyer),
    ):
        made[name] = open_discussion(make_order(offer, who, now=BOUGHT), now=OPENED)
    return made


def test_ux_06_search_text_is_read_as_a_discussion_number_an_order_or_discussion_number_or_text():
    assert search.Search.parse("D0000039") == search.Search(discussion_id=39)
    assert search.Search.parse(" d39 ") == search.Search(discussion_id=39)
    assert search.Search.parse("00000012") == search.Search(number=12)
    assert search.Search.parse("#12") == search.Search(number=12)
    assert search.Search.parse("99999999999999") == search.Search(number=2**31 - 1)
    assert search.Search.parse("  kabel   usb ") == search.Search(text="kabel usb")
    assert search.Search.parse("") is None
    assert search.Search.parse("ka\x00bel\n") == search.Search(text="ka bel")
    assert search.Search.parse("50%_\\").contains_pattern == "%50\\%\\_\\\\%"


def test_ux_06_seller_finds_a_discussion_by_its_number_in_both_forms(client, seller, cases):
    client.force_login(seller)
    cable = cases["cable"]
    assert _numbers(client.get("/seller/discussions/", {"q": cable.number})) == [cable.number]
    assert _numbers(client.get("/seller/discussions/", {"q": f"d{cable.pk}"})) == [cable.number]
    # Another seller's Discussion is not found by its number.
    assert _numbers(client.get("/seller/discussions/", {"q": cases["other"].number})) == []


def test_ux_06_seller_finds_a_discussion_by_the_order_number(client, seller, cases):
    client.force_login(seller)
    lamp = cases["lamp"]
    found = _numbers(client.get("/seller/discussions/", {"q": lamp.order.number}))
    assert lamp.number in found
    assert cases["other"].number not in found


def test_ux_06_seller_finds_discussions_by_the_start_of_the_buyers_login_in_any_case(client, seller, cases):
    client.force_login(seller)
    assert _numbers(client.get("/seller/discussions/", {"q": "kasia"})) == [cases["lamp"].number]
    assert _numbers(client.get("/seller/discussions/", {"q": "KASIA_N"})) == [cases["lamp"].number]
    # A login is matched from its start, not in the middle.
    assert _numbers(client.get("/seller/discussions/", {"q": "nowak"})) == []


def test_ux_06_seller_finds_discussions_by_a_word_of_the_product_title(client, seller, cases):
    client.force_login(seller)
    assert _numbers(client.get("/seller/discussions/", {"q": "usb-c"})) == [cases["cable"].number]
    assert _numbers(client.get("/seller/discussions/", {"q": "Sony"})) == [cases["headphones"].number]
    # A "%" is a character to find, not a wildcard.
    assert _numbers(client.get("/seller/discussions/", {"q": "%%%"})) == []


def test_ux_06_search_keeps_the_typed_text_and_says_when_nothing_matches(client, seller, cases):
    client.force_login(seller)
    response = client.get("/seller/discussions/", {"q": "<nic takiego>"})
    page = response.content.decode()
    assert 'value="&lt;nic takiego&gt;"' in page
    assert "Żadna Dyskusja nie pasuje do „&lt;nic takiego&gt;”" in page
    assert 'href="/seller/discussions/"' in page


def test_ux_06_search_combines_with_the_sellers_filters(client, seller, cases):
    Discussion.objects.filter(pk=cases["cable"].pk).update(
        status=Discussion.Status.RESOLVED, is_open=False, closed_at=OPENED
    )
    client.force_login(seller)
    found = _numbers(client.get("/seller/discussions/", {"q": "buyer", "status": "RESOLVED"}))
    assert found == [cases["cable"].number]


def test_ux_06_buyer_filters_by_status_and_searches_by_seller_login_shop_and_product(client, buyer, cases):
    Discussion.objects.filter(pk=cases["cable"].pk).update(
        status=Discussion.Status.RESOLVED, is_open=False, closed_at=OPENED
    )
    client.force_login(buyer)
    everything = _numbers(client.get("/my/discussions/"))
    assert sorted(everything) == sorted([cases[n].number for n in ("headphones", "cable", "other")])
    assert _numbers(client.get("/my/discussions/", {"status": "RESOLVED"})) == [cases["cable"].number]
    assert sorted(_numbers(client.get("/my/discussions/", {"status": "IN_PROGRESS"}))) == sorted(
        [cases["headphones"].number, cases["other"].number]
    )
    assert _numbers(client.get("/my/discussions/", {"q": "inny"})) == [cases["other"].number]
    assert _numbers(client.get("/my/discussions/", {"q": "seller shop"})) == sorted(
        [cases["headphones"].number, cases["cable"].number], reverse=True
    )
    assert sorted(_numbers(client.get("/my/discussions/", {"q": "słuchawki"}))) == sorted(
        [cases["headphones"].number, cases["other"].number]
    )
    # Someone else's Discussion is not found by its number.
    assert _numbers(client.get("/my/discussions/", {"q": cases["lamp"].number})) == []
    # An unknown status is ignored, not an error.
    assert len(_numbers(client.get("/my/discussions/", {"status": "NOPE"}))) == 3


def test_ux_06_short_text_finds_logins_only_and_says_so(client, seller, cases):
    client.force_login(seller)
    response = client.get("/seller/discussions/", {"q": "ka"})
    assert _numbers(response) == [cases["lamp"].number]
    assert "Produkty wyszukujemy od 3 znaków" in response.content.decode()


@pytest.mark.parametrize(
    "path,query",
    [
        ("/seller/discussions/", {"q": "kabel"}),
        ("/seller/discussions/", {"q": "buy", "reason": "NOT_RECEIVED"}),
        ("/my/discussions/", {"q": "kabel", "status": "IN_PROGRESS"}),
    ],
)
def test_ux_06_a_search_costs_the_same_queries_for_1_and_25_matches(
    client, seller, seller_account, buyer, path, query, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    offer = OfferFactory(seller_account=seller_account, title="Kabel HDMI", stock=100)
    open_discussion(make_order(offer, buyer, now=BOUGHT), now=OPENED)
    client.force_login(seller if path.startswith("/seller") else buyer)
    with CaptureQueriesContext(connection) as one:
        assert len(_numbers(client.get(path, query))) == 1
    for _ in range(24):
        open_discussion(make_order(offer, buyer, now=BOUGHT), now=OPENED)
    with django_assert_max_num_queries(len(one)):
        assert len(_numbers(client.get(path, query))) == 20


def test_ux_06_mediator_finds_a_discussion_in_the_admin_list_by_its_number_as_shown(client, mediator, cases):
    from django.urls import reverse

    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_changelist")
    for typed in (cases["lamp"].number, str(cases["lamp"].pk), "kasia", "lampka"):
        page = client.get(url, {"q": typed}).content.decode()
        assert cases["lamp"].number in page, typed
        assert cases["cable"].number not in page, typed


def test_ux_06_control_characters_in_the_search_are_not_an_error(client, seller, buyer, mediator, cases):
    from django.urls import reverse

    client.force_login(seller)
    assert client.get("/seller/discussions/", {"q": "ka\x00bel"}).status_code == 200
    client.force_login(buyer)
    assert client.get("/my/discussions/", {"q": "\x00"}).status_code == 200
    client.force_login(mediator)
    assert client.get(reverse("admin:discussions_queue"), {"q": "x\x00y"}).status_code == 200
