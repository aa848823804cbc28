"""The header every page shows (issue 13): rendered once per language, kind of user and
market, and still right for each of them."""

import cProfile
import pstats

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from core import chrome


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
    """Issue 13: the layout around a page (header, switches, navigation) costs a few thousand
    Python calls once its fragments exist, not the ~10,000 it took with a dozen URL reversals
    and two dozen translations per request."""
    settings.DEBUG = False
    request = RequestFactory().get("/offers/")
    request.user = seller
    request.market_code = "PL"
    render_to_string("base.html", request=request)  # fragments rendered once
    profile = cProfile.Profile()
    profile.enable()
    render_to_string("base.html", request=request)
    profile.disable()
    assert pstats.Stats(profile).total_calls < 3000
