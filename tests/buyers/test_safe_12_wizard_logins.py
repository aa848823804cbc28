"""SAFE-12: step 1 of the inactive-buyers wizard answers an unknown login and a login that
cannot be added (a buyer who has not bought from this account, a staff or superuser
account, the seller's own login, a deactivated account) with the same page, so a seller
cannot use it to learn which logins exist.

Pages are read in English (the language cookie), as in test_views.py.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from buyers import services
from buyers.models import BlockReason, InactiveBuyer
from buyers.wizard import SESSION_KEY
from core.errors import DomainError
from tests.discussions.conftest import make_order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ADD = reverse("buyers:add")
REFUSAL = (
    "You cannot add {login}: they have not bought from this account in the last 180 days, and they are not in "
    "the tab of an account linked to this one. If a buyer has never bought from you, you have no justified reason "
    "to refuse to sell to them."
)
FAQ_ANSWER = "No. If the buyer has not bought from you, you have no justified reason to refuse to sell to them."


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def logins(seller, other_buyer, mediator, bulk_offer):
    """Typed login → what it is. Every one of them exists except the first; the
    deactivated account and the staff account even bought from this seller."""
    deactivated = UserFactory(username="Former_Buyer")
    staff = UserFactory(username="desk_clerk", is_staff=True)
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for user in (deactivated, staff):
        for i in range(3):
            make_order(bulk_offer, user, now=NOW - 10 * DAY + i * timedelta(hours=1))
    deactivated.is_active = False
    deactivated.save(update_fields=["is_active"])
    return {
        "nobody_here": "unknown",
        "OTHER_BUYER": "a buyer who never bought from this account (typed in capitals)",
        "mediator": "a mediator",
        "desk_clerk": "a staff account that bought from this account",
        "root": "a superuser",
        "seller": "the seller's own login",
        "former_buyer": "a deactivated account that bought from this account",
    }


def step_one(client, login):
    return client.post(ADD, {"step": "buyer", "login": login, "reason": BlockReason.FALSE_DATA, "note": "Kept."})


def normalized(response, login):
    """The page with the typed login (in the field and the message) and the per-response
    CSRF token taken out."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    page = page.replace(escape(REFUSAL.format(login=login)), "REFUSAL")
    return page.replace(f'value="{login}"', 'value="LOGIN"')


def test_safe_12_unknown_and_ineligible_logins_get_the_same_page(client, seller, logins):
    client.force_login(seller)

    pages = {}
    for login in logins:
        response = step_one(client, login)
        assert response.status_code == 400, logins[login]
        assert response.context["form"].errors["login"] == [REFUSAL.format(login=login)], logins[login]
        pages[login] = normalized(response, login)

    reference = pages.pop("nobody_here")
    assert FAQ_ANSWER in reference
    assert "REFUSAL" in reference
    assert 'value="LOGIN"' in reference  # what the seller typed is kept
    assert "Kept." in reference
    for login, page in pages.items():
        assert page == reference, logins[login]
    assert not InactiveBuyer.objects.exists()
    assert not client.session.get(SESSION_KEY)


@pytest.mark.parametrize("login", ["nobody_here", "seller", "mediator", "root"])
def test_safe_12_the_service_refuses_them_with_one_message_and_code(seller_account, logins, login):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, login, now=NOW)

    assert (refused.value.field, refused.value.code) == ("login", "not_eligible")
    assert refused.value.message == REFUSAL.format(login=login)
