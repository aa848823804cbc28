"""API-04: error bodies as the marketplace's. The authorization layer's 401 and 403 (scope)
are the auth server's `{"error", "error_description"}` with a Bearer challenge (RFC 6750);
business errors carry the marketplace's codes where it documents one (the API guide's
table, api.guide.ERROR_CODES); every status an operation returns is declared in our
OpenAPI document, and our additions are marked there as extensions."""

import ast
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from api import guide
from api.base import PUBLIC
from tests.api.conftest import ApiClient, api_path, make_token
from tests.api.test_auth_matrix import (
    ENDPOINTS,
    ORDERS_ONLY,
    PNG,
    assert_auth_error_shape,
    assert_errors_shape,
    build_world,
    request_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(seller_account, offer, buyer):
    return build_world(seller_account, offer, buyer)


@pytest.fixture
def document(db):
    response = Client().get(api_path("/openapi.json"))
    assert response.status_code == 200
    return response.json()


def operation_of(document, endpoint):
    """Our document's operation for an endpoint of the table (ids named differently)."""
    pattern = re.sub(r"\{[^}]+\}", "{}", endpoint.template)
    for path, item in document["paths"].items():
        if re.sub(r"\{[^}]+\}", "{}", path) == pattern:
            return item[endpoint.method]
    raise AssertionError(f"{endpoint.method} {endpoint.template} is not in the document")


# --- the authorization layer ------------------------------------------------------------------------


def test_api_04_no_token_is_unauthorized_without_an_error_in_the_challenge(anonymous_api):
    response = anonymous_api.get("/sale/issues", contract_check=False)

    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized",
        "error_description": "Full authentication is required to access this resource",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("kind", ["unknown", "expired", "revoked"])
def test_api_04_a_bad_token_is_invalid_token(api, token, expired_token, kind):
    sent = {"unknown": "no-such-token", "expired": expired_token, "revoked": token}[kind]
    if kind == "revoked":
        token.revoke()

    response = api.get("/sale/issues", token=sent, contract_check=False)

    assert response.status_code == 401
    assert_auth_error_shape(response, "invalid_token")
    assert 'error_description="The access token is invalid, expired or revoked"' in response["WWW-Authenticate"]


def test_api_04_a_missing_scope_is_insufficient_scope_naming_the_scope(api, seller, oauth_app):
    response = api.get("/sale/issues", token=make_token(seller, oauth_app, scope=ORDERS_ONLY), contract_check=False)

    assert response.status_code == 403
    assert_auth_error_shape(response, "insufficient_scope")
    assert 'scope="allegro:api:disputes"' in response["WWW-Authenticate"]


def test_api_04_a_user_without_seller_account_is_access_denied(api, buyer, oauth_app):
    response = api.get("/sale/issues", token=make_token(buyer, oauth_app), contract_check=False)

    assert response.status_code == 403
    assert_errors_shape(response)
    assert response.json()["errors"][0]["code"] == "AccessDenied"
    assert "WWW-Authenticate" not in response


# --- business codes ----------------------------------------------------------------------------------


def test_api_04_marketplace_codes_for_not_found_not_acceptable_and_validation(api, offer, buyer):
    missing = api.get(f"/sale/issues/{uuid.uuid4()}", contract_check=False)
    not_acceptable = api.get("/sale/issues", accept="application/json", contract_check=False)
    # A refusal of a service without a code of its own (REB-03).
    invalid = api.post(
        "/order/refund-claims",
        {"lineItem": {"id": str(uuid.uuid4())}, "quantity": 0},
        accept=PUBLIC,
        contract_check=False,
    )

    assert missing.json()["errors"][0]["code"] == "NotFoundException"
    assert not_acceptable.json()["errors"][0]["code"] == "NotAcceptableException"
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["code"] in {"VALIDATION_ERROR", "LINE_ITEM_NOT_FOUND"}


def _codes_in_source():
    """Every error code the API's modules write: `code="…"` of ApiError, the default of a
    DomainError without one, the exception handler's table."""
    found = set()
    pages = {"forms.py", "pages.py", "device.py"}  # the seller's pages, not the API
    for path in Path(settings.BASE_DIR, "api").glob("*.py"):
        if path.name in pages:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "code" and isinstance(node.value, ast.Constant):
                found.add(node.value.value)
            if isinstance(node, ast.FunctionDef) and node.name == "_conflict":
                found.update(default.value for default in node.args.defaults if isinstance(default, ast.Constant))
    from api.policy import _CODES

    return found | set(_CODES.values())


def test_api_04_the_guide_table_lists_every_code_the_api_writes():
    table = {row.code for row in guide.ERROR_CODES}

    written = _codes_in_source()

    assert written, "no code found in api/"
    assert written - table == set()
    for row in guide.ERROR_CODES:
        assert row.status in range(400, 500)
        assert row.situation and (row.marketplace or row.marketplace == "")
    # Ours stand only where the marketplace documents none; theirs are named with a source.
    assert {row.code for row in guide.ERROR_CODES if row.marketplace} >= {
        "invalid_token",
        "insufficient_scope",
        "unauthorized",
        "AccessDenied",
        "NotFoundException",
        "NotAcceptableException",
        "VALIDATION_ERROR",
    }


def test_api_04_guide_page_shows_the_error_code_table(client):
    html = client.get("/seller/api/guide/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="error-codes"' in html
    for row in guide.ERROR_CODES:
        assert f"<code>{row.code}</code>" in html


# --- the OpenAPI document ----------------------------------------------------------------------------


def test_api_04_every_operation_declares_401_403_406_429_and_its_own(document):
    for endpoint in ENDPOINTS:
        operation = operation_of(document, endpoint)
        declared = {int(code) for code in operation["responses"]}
        assert {401, 403, 406, 429} <= declared, (endpoint.name, declared)
        assert operation["responses"]["401"]["content"], endpoint.name
        for content in operation["responses"]["401"]["content"].values():
            assert content["schema"] == {"$ref": "#/components/schemas/AuthError"}
        for content in operation["responses"]["403"]["content"].values():
            assert {"$ref": "#/components/schemas/AuthError"} in content["schema"]["oneOf"]
        if "{" in endpoint.template:
            assert 404 in declared, endpoint.name
        if endpoint.body:
            assert {400, 415} <= declared, endpoint.name
    message = operation_of(document, next(e for e in ENDPOINTS if e.name == "message"))
    chat = operation_of(document, next(e for e in ENDPOINTS if e.name == "chat"))
    assert {"409", "422"} <= set(message["responses"])
    assert "422" in chat["responses"]
    assert "Retry-After" in message["responses"]["429"]["headers"]


def _probes(endpoint, world, tokens):
    """(what, token, accept, data, content type, path) requests that end in an error or
    in the success of `endpoint`."""
    path = endpoint.path.format(**world.ids())
    accept = endpoint.accept or endpoint.media
    data, content_type = request_body(endpoint, world)
    yield "success", tokens["seller"], accept, data, content_type, path
    for actor in ("anonymous", "expired", "wrong_scope", "not_a_seller", "other_seller"):
        yield actor, tokens[actor], accept, data, content_type, path
    yield "accept", tokens["seller"], "text/html", data, content_type, path
    if "{" in endpoint.template:
        unknown = endpoint.path.format(**{key: uuid.uuid4() for key in world.ids()})
        yield "unknown-id", tokens["seller"], accept, data, content_type, unknown
        yield "malformed-id", tokens["seller"], accept, data, content_type, path.rsplit("/", 1)[0] + "/not-an-id"
    if endpoint.body and endpoint.body != "png":
        yield "content-type", tokens["seller"], accept, "text", "text/plain", path
        yield "malformed", tokens["seller"], accept, b"{", endpoint.media, path
        yield "empty", tokens["seller"], accept, {}, endpoint.media, path
    if endpoint.body == "png":
        yield "content-type", tokens["seller"], accept, b"%PDF-nope", "text/plain", path
        yield "wrong-size", tokens["seller"], accept, PNG + b"x", "image/png", path


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[endpoint.name for endpoint in ENDPOINTS])
def test_api_04_every_status_a_view_returns_is_declared(
    document, world, seller, other_seller, buyer, oauth_app, endpoint
):
    scope = endpoint.wrong_scopes[0]
    tokens = {
        "seller": make_token(seller, oauth_app),
        "anonymous": None,
        "expired": make_token(seller, oauth_app, expires_in=-timedelta(seconds=1)),
        "wrong_scope": make_token(seller, oauth_app, scope=scope),
        "not_a_seller": make_token(buyer, oauth_app),
        "other_seller": make_token(other_seller, oauth_app),
    }
    declared = {int(code) for code in operation_of(document, endpoint)["responses"]}
    seen = {}
    for what, token, accept, data, content_type, path in _probes(endpoint, world, tokens):
        cache.clear()
        client = ApiClient(token)
        kwargs = {"accept": accept, "contract_check": False}
        if data is not None:
            kwargs.update(data=data, content_type=content_type)
        response = client.request(endpoint.method, path, **kwargs)
        seen[what] = response.status_code
        assert response.status_code in declared, (endpoint.name, what, response.status_code, response.content[:300])
    # The rate limit: the second request of a seller account over a limit of one.
    cache.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "API_RATE_LIMIT", "1/minute")
        client = ApiClient(tokens["other_seller"])
        client.request("get", "/sale/issues", contract_check=False)
        limited = client.request(
            endpoint.method,
            endpoint.path.format(**world.ids()),
            accept=endpoint.accept or endpoint.media,
            contract_check=False,
        )
    cache.clear()
    assert limited.status_code == 429
    assert 429 in declared
    assert {seen["anonymous"], seen["expired"]} == {401}
    assert {seen["wrong_scope"], seen["not_a_seller"]} == {403}


def test_api_04_our_additions_are_declared_as_extensions(document):
    schemas = document["components"]["schemas"]
    additions = {
        ("PostPurchaseIssue", "allowedActions"),
        ("PostPurchaseIssue", "replyDeadline"),
        ("PostPurchaseIssueListResponse", "totalCount"),
        ("RefundClaimList", "totalCount"),
        ("RefundClaim", "unmetConditions"),
    }
    for schema, prop in additions:
        definition = schemas[schema]["properties"][prop]
        assert definition["x-extension"] is True, (schema, prop)
        assert definition["description"].startswith("Extension"), (schema, prop)
    # What the reference defines is not marked.
    assert "x-extension" not in schemas["PostPurchaseIssue"]["properties"]["subject"]
    assert "x-extension" not in schemas["RefundClaim"]["properties"]["status"]


def test_api_04_the_document_describes_both_oauth_flows(document):
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]

    assert flows["authorizationCode"]["tokenUrl"] == "/auth/oauth/token"
    assert flows["x-deviceCode"]["deviceAuthorizationUrl"] == "/auth/oauth/device"
    assert flows["x-deviceCode"]["authorizationUrl"] == "/skojarz-aplikacje"
    assert set(flows["x-deviceCode"]["scopes"]) == set(settings.API_SCOPES)
