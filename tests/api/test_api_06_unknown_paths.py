"""API-06: unknown paths under the API base, the marketplace's `/sale/disputes*` (which
we do not offer) and malformed ids answer in the API's JSON error shape with the right
status — never Django's HTML page; the marketplace's claim-only
`POST /sale/issues/{id}/status` is there and says why it does not apply to a dispute.
"""

import uuid

import pytest
from django.core.cache import cache

from tests.api.conftest import ApiClient
from tests.api.contract import body
from tests.discussions.conftest import make_order, open_discussion

ERROR_KEYS = {"code", "message", "details", "path", "userMessage"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # rate-limit counters
    yield
    cache.clear()


def error_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] in {
        "application/vnd.allegro.beta.v1+json",
        "application/vnd.allegro.public.v1+json",
        "application/json",
    }
    [error] = body(response)["errors"]
    assert set(error) == ERROR_KEYS
    assert error["userMessage"]
    return error


SOME_ID = "5b7ff9ab-1a6d-4a43-9d63-0d0e2f0e8c1d"
UNKNOWN = [
    ("post", f"/sale/issues/{SOME_ID}/statuses"),
    ("get", "/sale/issues/not-a-uuid"),
    ("get", "/sale/issues/12345/chat"),
    ("post", "/sale/issues/12345/message"),
    ("post", "/sale/issues/12345/status"),
    ("put", "/sale/issues/attachments/not-a-uuid"),
    ("get", "/sale/issues/attachments/not-a-uuid"),
    ("get", "/sale/issues/"),
    ("get", "/sale/offers"),
    ("delete", "/nothing/here"),
    ("patch", "/"),
    ("get", "/"),
]
DISPUTES = [
    ("get", "/sale/disputes"),
    ("get", f"/sale/disputes/{SOME_ID}"),
    ("get", f"/sale/disputes/{SOME_ID}/messages"),
    ("post", f"/sale/disputes/{SOME_ID}/messages"),
    ("post", "/sale/dispute-attachments"),
    ("put", f"/sale/dispute-attachments/{SOME_ID}"),
]


def send(client, method, path, **kwargs):
    data = {"text": "x"} if method in ("post", "put", "patch") else None
    return client.request(method, path, data=data, contract_check=False, language="en-US", **kwargs)


@pytest.mark.parametrize(("method", "path"), UNKNOWN, ids=[f"{m} {p}" for m, p in UNKNOWN])
def test_api_06_unknown_paths_and_malformed_ids_are_404_in_the_error_shape(api, anonymous_api, method, path):
    for client in (api, anonymous_api):
        error = error_of(send(client, method, path), 404)
        assert error["code"] == "NotFoundException"
        assert "no such resource" in error["userMessage"]


@pytest.mark.parametrize(("method", "path"), DISPUTES, ids=[f"{m} {p}" for m, p in DISPUTES])
def test_api_06_sale_disputes_is_404_pointing_to_sale_issues(api, method, path):
    error = error_of(send(api, method, path), 404)

    assert error["code"] == "NotFoundException"
    assert "/sale/issues" in error["userMessage"]


def test_api_06_the_documented_404_of_sale_disputes_matches_the_reference(api):
    """GET /sale/disputes declares 404 in the excerpt: our answer is validated against it."""
    response = api.get("/sale/disputes", language="en-US")
    assert response.status_code == 404


@pytest.mark.parametrize("accept", ["text/html", "*/*", "application/vnd.allegro.public.v1+json"])
def test_api_06_the_404_is_json_whatever_the_client_accepts(api, accept):
    response = send(api, "get", "/sale/nothing", accept=accept)

    error_of(response, 404)
    if accept.startswith("application/vnd"):
        assert response["Content-Type"] == accept


def test_api_06_a_method_a_path_does_not_have_is_405_in_the_error_shape(api):
    error = error_of(send(api, "delete", "/sale/issues"), 405)
    assert error["code"] == "METHOD_NOT_ALLOWED"


def test_api_06_an_unknown_path_needs_no_valid_token_to_say_nothing_is_there(db):
    error_of(send(ApiClient("not-a-token"), "get", "/sale/nothing"), 404)


def test_api_06_change_status_of_a_dispute_is_400_naming_why(api, offer, buyer):
    discussion = open_discussion(make_order(offer, buyer))

    response = api.post(
        f"/sale/issues/{discussion.public_id}/status",
        {"status": "ACCEPTED_REFUND", "message": "Refund accepted."},
        language="en-US",
    )  # validated against the excerpt, which declares 400

    error = error_of(response, 400)
    assert error["code"] == "NOT_A_CLAIM"
    assert error["userMessage"].startswith("Only claims have a status to change")


def test_api_06_change_status_of_another_accounts_or_no_issue_is_404(offer, buyer, other_token, api):
    discussion = open_discussion(make_order(offer, buyer))

    for client, issue_id in ((ApiClient(other_token), discussion.public_id), (api, uuid.uuid4())):
        response = client.post(
            f"/sale/issues/{issue_id}/status", {"status": "ACCEPTED_REFUND", "message": "Refund accepted."}
        )
        assert error_of(response, 404)["code"] == "NotFoundException"
