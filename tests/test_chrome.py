"""The header every page shows (issue 13): rendered once per language, kind of user and
market, and still right for each of them."""

import cProfile
import pstats

import pytest
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from core import chrome
from core.chrome import Chrome
from core.markets import MARKET_DOMAINS


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(username="staff_member", is_staff=True)


def _nav(client, user=None):
    if user is not None:
        client.force_login(user)
    body = client.get("/offers/").content.decode()
    return body.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def test_each_kind_of_user_gets_its_own_navigation(client, buyer, seller, staff):
    assert "/accounts/login/?next=/offers/" in client.get("/offers/").content.decode()
    anonymous = _nav(client)
    assert "/my/purchases/" not in anonymous
    as_buyer = _nav(client, buyer)
    assert "/my/purchases/" in as_buyer and "/seller/orders/" not in as_buyer and "/admin/" not in as_buyer
    as_seller = _nav(client, seller)
    assert "/seller/orders/" in as_seller and "/seller/inactive-buyers/" in as_seller and "/admin/" not in as_seller
    as_staff = _nav(client, staff)
    assert "/admin/" in as_staff and "/seller/orders/" not in as_staff


def test_the_fragments_follow_the_language_and_the_market(client, buyer, settings):
    settings.DEBUG = False
    client.force_login(buyer)
    polish = client.get("/offers/").content.decode()
    assert "Moje zakupy" in polish and 'value="pl" lang="pl"\n                    class="lang-btn is-current"' in polish
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/offers/").content.decode()
    assert "My purchases" in english and "Moje zakupy" not in english
    assert 'value="en" lang="en"\n                    class="lang-btn is-current"' in english
    client.cookies[settings.MARKET_COOKIE_NAME] = "CZ"
    czech_market = client.get("/offers/").content.decode()
    assert 'value="CZ" class="market-btn is-current" aria-current="true">allegro.cz' in czech_market
    # Rendered once per key and reused.
    assert any(key[0] == "nav.html" and key[1] == "en" for key in chrome._fragments)


def test_the_header_costs_a_bounded_number_of_calls(seller, settings):
    """Issue 13: the layout around a page (header, switches, navigation) costs about a
    thousand Python calls once its fragments exist, not the ~10,000 it took with a dozen URL
    reversals and two dozen translations per request."""
    settings.DEBUG = False
    request = RequestFactory().get("/offers/")
    request.user = seller
    request.market_code = "PL"
    render_to_string("base.html", request=request)  # fragments rendered once
    profile = cProfile.Profile()
    profile.enable()
    render_to_string("base.html", request=request)
    profile.disable()
    # 1,130 once the whole header was rendered once and filled in per request.
    assert pstats.Stats(profile).total_calls < 1500


def _reference_header(*, chrome_, csrf_token, path, username, unread):
    """templates/chrome/header.html rendered by Django's engine with the request's own values:
    what base.html's header was before it was rendered once and filled in."""
    return render_to_string(
        "chrome/header.html",
        {
            "chrome": chrome_,
            "csrf_token": csrf_token,
            "next_path": path,
            "next_query": urlencode(path),
            "user": {"is_authenticated": chrome_.is_authenticated, "username": username},
            "unread_notifications": unread,
        },
    )


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize(
    ("kind", "username", "unread"),
    [
        ("anonymous", "", 0),
        ("buyer", "kupujący<&>\"'", 0),
        ("seller", "sprzedawca", 7),
        ("staff", "mediator", 12_345),
    ],
)
def test_issue_13_the_filled_in_header_is_the_one_django_renders(language, kind, username, unread, settings, db):
    settings.DEBUG = False
    page = Chrome(
        is_authenticated=kind != "anonymous",
        is_seller=kind == "seller",
        is_staff=kind == "staff",
        market_code="CZ",
        market_domains=MARKET_DOMAINS,
    )
    path = "/offers/?q=<b>\"x\" & 'y'&page=2#ż"
    with translation.override(language):
        for csrf_token in ("aBc123", None):
            expected = _reference_header(
                chrome_=page, csrf_token=csrf_token, path=path, username=username, unread=unread
            )
            filled = page.header(csrf_token=csrf_token, path=path, username=username, unread=unread)
            assert filled == expected
            # Once rendered, the header is reused (the markers are filled in per request).
            assert page.header(csrf_token="other", path="/", username="x", unread=1) != filled
    if kind != "anonymous":
        assert "&lt;b&gt;&quot;x&quot;" in filled and ("count-alert" in filled) == bool(unread)
    else:
        assert "?next=/offers/%3Fq%3D%3Cb%3E%22x%22%20%26%20%27y%27%26page%3D2%23%C5%BC" in filled


def test_issue_13_an_unread_count_of_zero_shows_no_badge(db, settings):
    settings.DEBUG = False
    page = Chrome(
        is_authenticated=True, is_seller=False, is_staff=False, market_code="PL", market_domains=MARKET_DOMAINS
    )
    assert "count-alert" not in page.header(csrf_token="t", path="/", username="buyer", unread=0)
    assert page.header(csrf_token="t", path="/", username="buyer", unread=3).count('count-alert">3<') == 2
