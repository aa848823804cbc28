"""API-01: what every endpoint shares — `trace-id`, media type negotiation, language of
`userMessage`, the rate limit per access token — and our generated description
(/api/openapi.json) with its browsable reference (/api/docs)."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from api.base import BETA, PUBLIC
from tests.api.conftest import ApiClient, api_path, make_token
from tests.api.test_auth_matrix import assert_errors_shape
from tests.discussions.conftest import make_order

# Every operation of the seller API (API-01), as the marketplace's description names them.
OPERATIONS = {
    ("get", "/sale/issues"),
    ("get", "/sale/issues/{}"),
    ("get", "/sale/issues/{}/chat"),
    ("post", "/sale/issues/{}/message"),
    ("post", "/sale/issues/{}/status"),
    ("post", "/sale/issues/attachments"),
    ("put", "/sale/issues/attachments/{}"),
    ("get", "/sale/issues/attachments/{}"),
    ("get", "/order/refund-claims"),
    ("post", "/order/refund-claims"),
    ("get", "/order/refund-claims/{}"),
    ("delete", "/order/refund-claims/{}"),
}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


# --- trace-id -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "authorized", "status"),
    [
        ("/sale/issues", True, 200),
        ("/order/refund-claims", True, 200),
        ("/sale/issues", False, 401),
        (f"/sale/issues/{uuid.uuid4()}", True, 404),
        ("/no/such/endpoint", True, 404),
        ("/openapi.json", False, 200),
    ],
    ids=["issues", "claims", "unauthorized", "unknown-issue", "unknown-path", "openapi"],
)
def test_api_01_every_api_response_carries_a_trace_id(token, path, authorized, status):
    accept = PUBLIC if path.startswith("/order/") else BETA
    if path == "/openapi.json":
        accept = "application/json"
    client = ApiClient(token if authorized else None)
    response = client.get(path, accept=accept, contract_check=False)
    assert response.status_code == status
    assert re.fullmatch(r"[0-9a-f]{32}", response["trace-id"])


def test_api_01_trace_ids_differ_between_requests(api):
    first = api.get("/sale/issues", contract_check=False)
    second = api.get("/sale/issues", contract_check=False)
    assert first["trace-id"] != second["trace-id"]


def test_api_01_oauth_endpoints_carry_a_trace_id(db):
    response = Client().post("/auth/oauth/token", {"grant_type": "client_credentials"})
    assert response.status_code >= 400
    assert response["trace-id"]


def test_api_01_pages_outside_the_api_carry_no_trace_id(db):
    assert "trace-id" not in Client().get("/accounts/login/").headers


# --- Media types --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/sale/issues", "application/json"),
        ("/order/refund-claims", "application/json"),
        # Each resource speaks its own vendor type only.
        ("/sale/issues", PUBLIC),
        ("/order/refund-claims", BETA),
        ("/sale/issues", "text/html"),
    ],
)
def test_api_01_other_accept_is_406_with_the_errors_shape(api, path, accept):
    response = api.get(path, accept=accept, contract_check=False)
    assert response.status_code == 406
    assert response["trace-id"]
    assert_errors_shape(response)
    assert response.json()["errors"][0]["code"] == "NotAcceptableException"  # API-04


@pytest.mark.parametrize(("path", "media"), [("/sale/issues", BETA), ("/order/refund-claims", PUBLIC)])
@pytest.mark.parametrize("accept", ["*/*", None], ids=["any", "missing"])
def test_api_01_any_or_missing_accept_gets_the_vendor_media_type(token, path, media, accept):
    headers = {"Authorization": f"Bearer {token.token}"}
    if accept:
        headers["Accept"] = accept
    response = Client().get(api_path(path), headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media
    assert json.loads(response.content)


# --- Language -----------------------------------------------------------------------


@pytest.mark.parametrize("authorized", [False, True], ids=["403", "404"])
def test_api_01_accept_language_chooses_the_language_of_user_message(token, buyer, oauth_app, authorized):
    client = ApiClient(token if authorized else make_token(buyer, oauth_app))
    path = f"/sale/issues/{uuid.uuid4()}"
    english = client.get(path, language="en-US", contract_check=False)
    polish = client.get(path, language="pl-PL", contract_check=False)
    assert english.status_code == polish.status_code == (404 if authorized else 403)
    assert_errors_shape(english)
    assert_errors_shape(polish)
    english_text = english.json()["errors"][0]["userMessage"]
    polish_text = polish.json()["errors"][0]["userMessage"]
    assert english_text != polish_text
    expected = (
        "Not found, or it does not belong to this seller account."
        if authorized
        else "The account that authorized this application is not a seller account."
    )
    assert english_text == expected
    assert english["Content-Language"] == "en"
    assert polish["Content-Language"] == "pl"


def test_api_01_accept_language_chooses_the_language_of_a_service_refusal(token, offer, buyer):
    """A refusal of the refund service (REB-03) in the requested language."""
    order = make_order(offer, buyer, now=timezone.now() - timedelta(days=2))
    body = {"lineItem": {"id": str(order.lines.get().public_id)}, "quantity": 0}
    client = ApiClient(token)
    english = client.post("/order/refund-claims", body, accept=PUBLIC, language="en-US", contract_check=False)
    polish = client.post("/order/refund-claims", body, accept=PUBLIC, language="pl-PL", contract_check=False)
    assert english.status_code == polish.status_code == 422
    assert english.json()["errors"][0]["userMessage"] == "Tick at least one product and its quantity."
    assert polish.json()["errors"][0]["userMessage"] == "Zaznacz co najmniej jeden produkt i liczbę sztuk."


def test_api_01_polish_is_the_default_language(token):
    response = ApiClient(token).get(f"/sale/issues/{uuid.uuid4()}", contract_check=False)
    polished = ApiClient(token).get(f"/sale/issues/{uuid.uuid4()}", language="pl-PL", contract_check=False)
    assert response["Content-Language"] == "pl"
    assert response.json()["errors"][0]["userMessage"] == polished.json()["errors"][0]["userMessage"]


# --- Rate limit ---------------------------------------------------------------------


def test_api_01_rate_limit_is_per_token_with_retry_after(settings, token, other_token):
    settings.API_RATE_LIMIT = "3/minute"
    client = ApiClient(token)
    for _attempt in range(3):
        assert client.get("/sale/issues", contract_check=False).status_code == 200
    limited = client.get("/sale/issues", contract_check=False)
    assert limited.status_code == 429
    assert limited["trace-id"]
    assert re.fullmatch(r"[1-9][0-9]*", limited["Retry-After"]), limited["Retry-After"]
    assert int(limited["Retry-After"]) <= 60
    assert_errors_shape(limited)
    assert limited.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    # The limit counts each token on its own, across endpoints.
    assert ApiClient(other_token).get("/sale/issues", contract_check=False).status_code == 200
    assert client.get("/order/refund-claims", accept=PUBLIC, contract_check=False).status_code == 429


# --- The generated description and its reference ------------------------------------


def _template(path):
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_api_01_generated_document_is_public_valid_openapi_3_listing_every_operation(db):
    response = Client().get(api_path("/openapi.json"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in {"application/json", "application/vnd.oai.openapi+json"}
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    validate(document)
    listed = {
        (method, _template(path))
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert listed >= OPERATIONS, OPERATIONS - listed
    # The servers entry makes the paths resolve under the configured base path.
    assert document["servers"] == [{"url": f"/{api_path('')[1:]}"}]


@pytest.mark.parametrize("accept", ["*/*", None], ids=["any", "missing"])
def test_api_01_generated_document_at_the_json_address_is_json(db, accept):
    """Tools fetch the description by its URL with `Accept: */*` (requests, curl,
    schemathesis, openapi-generator): /openapi.json must be JSON then too."""
    response = Client().get(api_path("/openapi.json"), headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in {"application/json", "application/vnd.oai.openapi+json"}
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_api_01_reference_renders_without_any_cdn(db):
    response = Client().get(api_path("/docs"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert api_path("/openapi.json") in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert not [url for url in sources if url.startswith(("http:", "https:", "//"))], sources
    assert "cdn" not in html.lower()
    # Its scripts and styles are the sidecar's static files, shipped with the project.
    static = [url for url in sources if "drf_spectacular_sidecar" in url]
    assert any(url.endswith(".js") for url in static), sources
    for url in static:
        relative = url.split("/static/", 1)[1]
        assert finders.find(relative), url
