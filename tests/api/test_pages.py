"""API-01, SEC-01/02/05: *API i aplikacje* (the seller's applications and the
applications allowed to use the account), the developer guide and the demo application."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from api import demo
from api.base import SCOPE_DISPUTES
from api.pages import NEW_SECRET_SESSION_KEY
from tests.api.conftest import ALL_SCOPES, make_token

DASHBOARD = "/seller/api/"


def register(client, **data):
    return client.post(
        reverse("api_pages:dashboard"),
        {"name": "Magazyn sync", "redirect_uris": "https://sync.example.com/cb", "client_type": "confidential", **data},
    )


def new_app(user, name="Tool", **kwargs):
    return Application.objects.create(
        name=name,
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://tool.example.com/cb",
        **kwargs,
    )


def authorize(user, application, scope=ALL_SCOPES):
    """An access token with its refresh token, as the token endpoint issues them."""
    access = make_token(user, application, scope=scope)
    RefreshToken.objects.create(user=user, application=application, token=f"r-{access.token}", access_token=access)
    return access


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def test_api_01_dashboard_url_and_nav_link(seller_client):
    response = seller_client.get(DASHBOARD)

    assert reverse("api_pages:dashboard") == DASHBOARD
    assert response.status_code == 200
    assert f'href="{DASHBOARD}"' in response.content.decode()  # the "API" link in the header
    assert f'href="{reverse("api_pages:guide")}"' in response.content.decode()


@pytest.mark.parametrize("actor", ["buyer", "mediator"])
def test_api_01_dashboard_is_for_seller_accounts_only(db, client, request, actor):
    client.force_login(request.getfixturevalue(actor))

    assert client.get(DASHBOARD).status_code == 404
    assert register(client).status_code == 404
    assert Application.objects.count() == 0


def test_api_01_dashboard_needs_sign_in(client, db):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_api_01_register_application_shows_client_id_and_secret_once(seller_client, seller):
    response = register(seller_client)

    assert response.status_code == 302
    application = Application.objects.get()
    assert application.user == seller
    assert application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.redirect_uris == "https://sync.example.com/cb"
    assert application.hash_client_secret
    first = seller_client.get(response["Location"])
    html = first.content.decode()
    secret = re.search(r'<code class="credential" id="new-client-secret">([^<]+)</code>', html).group(1)
    assert application.client_secret != secret  # stored hashed
    assert check_password(secret, application.client_secret)
    assert application.client_id in html
    second = seller_client.get(DASHBOARD).content.decode()
    assert secret not in second
    assert application.client_id in second
    assert NEW_SECRET_SESSION_KEY not in seller_client.session


def test_api_01_public_application_gets_no_secret_shown(seller_client):
    response = register(seller_client, client_type="public")

    html = seller_client.get(response["Location"]).content.decode()
    application = Application.objects.get()
    assert application.client_type == Application.CLIENT_PUBLIC
    assert application.client_id in html
    assert 'id="new-client-secret"' not in html


@pytest.mark.parametrize(
    "uris",
    ["http://sync.example.com/cb", "sync.example.com/cb", "https://sync.example.com/cb#frag", ""],
    ids=["http", "no-scheme", "fragment", "empty"],
)
def test_api_01_register_refuses_bad_redirect_address_next_to_the_field(seller_client, settings, uris):
    # As in production (DEBUG off): https only.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https"]}
    response = register(seller_client, name="Mój program", redirect_uris=uris)

    assert response.status_code == 200
    assert Application.objects.count() == 0
    html = response.content.decode()
    assert re.search(r'<p class="field-error" id="id_redirect_uris_error">', html)
    assert 'value="Mój program"' in html
    assert escape(uris) in html


def test_api_01_register_accepts_several_addresses_one_per_line(seller_client):
    register(seller_client, redirect_uris="https://a.example.com/cb\r\nhttps://b.example.com/cb?x=1\n")

    assert Application.objects.get().redirect_uris == "https://a.example.com/cb https://b.example.com/cb?x=1"


def test_api_01_http_redirect_address_is_accepted_when_the_server_allows_it(seller_client, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]}

    response = register(seller_client, redirect_uris="http://127.0.0.1:8080/cb")

    assert response.status_code == 302
    assert Application.objects.get().redirect_uris == "http://127.0.0.1:8080/cb"


def test_api_01_dashboard_lists_own_applications_only(seller_client, seller, other_seller, linked_seller):
    mine = new_app(seller, "Mine")
    theirs = new_app(other_seller, "Theirs")
    linked = new_app(linked_seller, "Linked")

    html = seller_client.get(DASHBOARD).content.decode()

    assert mine.client_id in html
    assert reverse("api_pages:application_delete", args=[mine.pk]) in html
    for foreign in (theirs, linked):
        assert foreign.client_id not in html
        assert reverse("api_pages:application_delete", args=[foreign.pk]) not in html


def test_api_01_delete_application_ends_its_tokens(seller_client, seller, other_seller):
    application = new_app(seller)
    token = authorize(other_seller, application)

    response = seller_client.post(reverse("api_pages:application_delete", args=[application.pk]))

    assert response.status_code == 302
    assert not Application.objects.filter(pk=application.pk).exists()
    assert not AccessToken.objects.filter(pk=token.pk).exists()


def test_api_01_delete_foreign_application_is_404(seller_client, other_seller):
    application = new_app(other_seller)

    response = seller_client.post(reverse("api_pages:application_delete", args=[application.pk]))

    assert response.status_code == 404
    assert Application.objects.filter(pk=application.pk).exists()


def test_api_01_dashboard_lists_authorized_applications_with_scopes(seller_client, seller, other_seller, settings):
    tool = new_app(other_seller, "Integrator X")
    authorize(seller, tool, scope=SCOPE_DISPUTES)
    hidden = new_app(other_seller, "Only for others")
    authorize(other_seller, hidden)
    expired = new_app(other_seller, "Expired long ago")
    make_token(seller, expired, expires_in=-timedelta(hours=1))  # no refresh token: nothing left

    response = seller_client.get(DASHBOARD)

    html = response.content.decode()
    assert "Integrator X" in html
    assert escape(str(settings.API_SCOPES[SCOPE_DISPUTES])) in html
    assert reverse("api_pages:authorization_revoke", args=[tool.pk]) in html
    assert "Only for others" not in html
    assert "Expired long ago" not in html
    [item] = response.context["authorizations"]
    assert item.scopes == {SCOPE_DISPUTES}
    assert item.has_refresh_token


def test_api_01_expired_access_token_with_live_refresh_token_is_still_listed(seller_client, seller, other_seller):
    tool = new_app(other_seller, "Nightly sync")
    token = authorize(seller, tool)
    AccessToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(hours=1))

    [item] = seller_client.get(DASHBOARD).context["authorizations"]

    assert item.application == tool
    assert item.access_expires_at is None
    assert item.scopes == set(ALL_SCOPES.split())


def test_api_01_revoke_ends_every_token_of_the_application(seller_client, seller, other_seller):
    tool = new_app(other_seller, "Integrator X")
    first = authorize(seller, tool)
    second = make_token(seller, tool)
    others = authorize(other_seller, tool)
    Grant.objects.create(
        user=seller,
        application=tool,
        code="unused-code",
        expires=timezone.now() + timedelta(minutes=5),
        redirect_uri="https://tool.example.com/cb",
        scope=ALL_SCOPES,
    )

    response = seller_client.post(reverse("api_pages:authorization_revoke", args=[tool.pk]))

    assert response.status_code == 302
    assert not AccessToken.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert RefreshToken.objects.get(user=seller).revoked is not None
    assert not Grant.objects.filter(user=seller).exists()
    assert AccessToken.objects.filter(pk=others.pk).exists()  # another account's access stays
    assert seller_client.get(DASHBOARD).context["authorizations"] == []


def test_api_01_revoke_without_authorization_is_404(seller_client, seller, other_seller):
    tool = new_app(other_seller)
    token = authorize(other_seller, tool)

    response = seller_client.post(reverse("api_pages:authorization_revoke", args=[tool.pk]))

    assert response.status_code == 404
    assert AccessToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("count", [1, 6])
def test_api_01_dashboard_queries_do_not_grow_with_rows(
    seller_client, seller, other_seller, count, django_assert_max_num_queries
):
    for n in range(count):
        new_app(seller, f"Own {n}")
        tool = new_app(other_seller, f"Tool {n}")
        authorize(seller, tool)
        make_token(seller, tool)
    seller_client.get(DASHBOARD)  # session and caches warm

    with django_assert_max_num_queries(10):
        response = seller_client.get(DASHBOARD)

    assert len(response.context["authorizations"]) == count
    assert len(response.context["applications"]) == count


def test_api_01_guide_is_public_and_links_the_reference(client, db):
    response = client.get(reverse("api_pages:guide"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("api:docs")}"' in html
    assert f'href="{reverse("api:schema")}"' in html
    assert f'href="{reverse("api_pages:dashboard")}"' in html
    assert "code_challenge_method=S256" in html


@pytest.mark.parametrize("language", ["pl", "en"])
def test_api_02_03_06_guide_says_what_uploads_subjects_and_unknown_paths_give(client, db, language):
    response = client.get(reverse("api_pages:guide"), headers={"Accept-Language": language})

    html = response.content.decode()
    # API-03: the table of subjects, in the reference's English whatever the page's language.
    for text in (
        "I have not received the product",
        "does not match the description",
        "problem with withdrawal/cancelation of purchase",
        "no refund after canceling the order",
        "no refund after returning the product",
    ):
        assert f'<strong lang="en">{text}</strong>' in html
    assert "chat.initialMessage" in html and "chat.lastMessage" in html
    # API-02: the listed media types and what comes back; API-06: the 404s and the status operation.
    assert "image/gif, image/bmp, image/tiff" in html and ".png" in html
    assert "/sale/disputes" in html and "NOT_A_CLAIM" in html


# --- demo data --------------------------------------------------------------------------------


def test_api_01_demo_application_has_known_credentials_and_is_idempotent(seller):
    users = {demo.DEMO_SELLER: seller}

    first = demo.seed(users=users)
    again = demo.seed(users=users)

    assert first.pk == again.pk
    assert Application.objects.count() == 1
    application = Application.objects.get()
    assert application.name == demo.DEMO_APPLICATION_NAME
    assert application.client_id == demo.DEMO_CLIENT_ID
    assert check_password(demo.DEMO_CLIENT_SECRET, application.client_secret)
    assert application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert application.user == seller
