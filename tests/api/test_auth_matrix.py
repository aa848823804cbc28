"""API-01: who may call what. One table of endpoint × actor (as pretix's
`src/tests/control/test_permissions.py`): no token and an expired token are 401, a token
without the endpoint's scope (or of a user with no seller account) is 403, another seller
account's token finds nothing (404 on objects, its own empty list, 422 when filing a
claim for this seller's product), the right token gets the success code. Every answer
carries `trace-id`; the authorization layer's refusals (no token, an expired one, a
missing scope) the auth server's `{"error", "error_description"}` (API-04), every other
failure the public API's errors shape."""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
import yaml
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from api.base import BETA, PUBLIC, SCOPE_DISPUTES, SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE
from api.models import AttachmentDeclaration
from orders import commission
from orders.models import CommissionRefund
from tests.api import contract
from tests.api.conftest import ApiClient, make_token
from tests.discussions.conftest import make_order, open_discussion

DAY = timedelta(days=1)
ORDERS_ONLY = f"{SCOPE_ORDERS_READ} {SCOPE_ORDERS_WRITE}"
ERROR_FIELDS = {"code", "message", "details", "path", "userMessage"}


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()


def assert_errors_shape(response):
    """`{"errors": [{code, message, details, path, userMessage}, …]}` with texts."""
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == ERROR_FIELDS, error
        assert error["code"] and isinstance(error["code"], str), error
        assert error["message"] and isinstance(error["message"], str), error
        assert error["userMessage"] and isinstance(error["userMessage"], str), error


def assert_auth_error_shape(response, error):
    """API-04: `{"error", "error_description"}` and a Bearer challenge (RFC 6750 §3) that
    names the error when a token was sent."""
    assert response.json() == {"error": error, "error_description": response.json()["error_description"]}
    assert response.json()["error_description"]
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api"'), challenge
    if error == "unauthorized":
        assert "error=" not in challenge
    else:
        assert f'error="{error}"' in challenge


def check_contract(response, body):
    """The response validated against the marketplace's excerpt (status, media type, body);
    `body` is given because a streamed file can be read once (contract._Response reads none)."""
    checked = contract._Response(response)
    checked.data = body
    contract.excerpt().validate_response(contract._Request(response.wsgi_request), checked)


def documented_statuses(method, template):
    """Status codes the marketplace's excerpt documents for an operation."""
    operation = _excerpt_paths()[template][method.lower()]
    return {int(code) for code in operation["responses"] if code.isdigit()}


_PATHS = {}


def _excerpt_paths():
    if not _PATHS:
        _PATHS.update(yaml.safe_load(contract.EXCERPT.read_text())["paths"])
    return _PATHS


# --- The objects every row works on -------------------------------------------------


@dataclass
class World:
    """This seller's objects (real ones, made through the services)."""

    discussion: object
    declared: AttachmentDeclaration  # declared, not uploaded yet
    uploaded: AttachmentDeclaration  # declared and uploaded
    claim: object  # a CommissionRefundLine of a pending application
    free_line: object  # a purchased product with units nobody claimed

    def ids(self):
        return {
            "issue": self.discussion.public_id,
            "declared": self.declared.pk,
            "uploaded": self.uploaded.pk,
            "claim": self.claim.public_id,
        }


def build_world(seller_account, offer, buyer):
    """This seller's Discussion, declarations, pending claim and unclaimed product."""
    seller = seller_account.user
    now = timezone.now()
    order = make_order(offer, buyer, now=now - 2 * DAY)
    discussion = open_discussion(order, now=now - DAY, text="Where is my parcel?")

    claimed_order = make_order(offer, buyer, now=now - 2 * DAY)
    application = commission.apply(
        claimed_order,
        seller=seller,
        reason=CommissionRefund.Reason.BUYER_CANCELLED,
        quantities={claimed_order.lines.get().pk: 1},
        now=now - DAY,
    )
    # Paid and not refunded yet: the application waits (pending), so it can be cancelled.
    assert application.status == CommissionRefund.Status.WAITING_FOR_PAYMENT_REFUND

    free_order = make_order(offer, buyer, now=now - 2 * DAY)
    declared = AttachmentDeclaration.objects.create(
        seller_account=seller_account, file_name="photo.png", declared_size=len(PNG), created_at=now
    )
    uploaded = AttachmentDeclaration(
        seller_account=seller_account,
        file_name="label.png",
        declared_size=len(PNG),
        created_at=now,
        content_type="image/png",
        size=len(PNG),
        uploaded_at=now,
    )
    uploaded.file.save("label.png", ContentFile(PNG), save=False)
    uploaded.save()
    return World(
        discussion=discussion,
        declared=declared,
        uploaded=uploaded,
        claim=application.lines.get(),
        free_line=free_order.lines.get(),
    )


@pytest.fixture
def world(seller_account, offer, buyer):
    return build_world(seller_account, offer, buyer)


# --- The table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # formatted with World.ids()
    template: str  # the excerpt's path
    media: str
    success: int
    wrong_scopes: tuple  # tokens with these scopes lack the endpoint's one
    other: int  # another seller account's token
    accept: str = ""
    body: str = ""  # "message", "declaration", "png", "claim"
    list_key: str = ""


ISSUE_SCOPES_WRONG = (ORDERS_ONLY,)
READ_WRONG = (SCOPE_DISPUTES, SCOPE_ORDERS_WRITE)
WRITE_WRONG = (SCOPE_DISPUTES, SCOPE_ORDERS_READ)

ENDPOINTS = [
    Endpoint("issues", "get", "/sale/issues", "/sale/issues", BETA, 200, ISSUE_SCOPES_WRONG, 200, list_key="issues"),
    Endpoint("issue", "get", "/sale/issues/{issue}", "/sale/issues/{issueId}", BETA, 200, ISSUE_SCOPES_WRONG, 404),
    Endpoint(
        "chat", "get", "/sale/issues/{issue}/chat", "/sale/issues/{issueId}/chat", BETA, 200, ISSUE_SCOPES_WRONG, 404
    ),
    Endpoint(
        "message",
        "post",
        "/sale/issues/{issue}/message",
        "/sale/issues/{issueId}/message",
        BETA,
        201,
        ISSUE_SCOPES_WRONG,
        404,
        body="message",
    ),
    # A declaration belongs to nobody yet: another account's token declares its own.
    Endpoint(
        "declare",
        "post",
        "/sale/issues/attachments",
        "/sale/issues/attachments",
        BETA,
        201,
        ISSUE_SCOPES_WRONG,
        201,
        body="declaration",
    ),
    Endpoint(
        "upload",
        "put",
        "/sale/issues/attachments/{declared}",
        "/sale/issues/attachments/{attachmentId}",
        BETA,
        200,
        ISSUE_SCOPES_WRONG,
        404,
        body="png",
    ),
    Endpoint(
        "attachment",
        "get",
        "/sale/issues/attachments/{uploaded}",
        "/sale/issues/attachments/{attachmentId}",
        BETA,
        200,
        ISSUE_SCOPES_WRONG,
        404,
        accept="*/*",
    ),
    Endpoint(
        "claims",
        "get",
        "/order/refund-claims",
        "/order/refund-claims",
        PUBLIC,
        200,
        READ_WRONG,
        200,
        list_key="refundClaims",
    ),
    Endpoint(
        "file_claim",
        "post",
        "/order/refund-claims",
        "/order/refund-claims",
        PUBLIC,
        201,
        WRITE_WRONG,
        422,
        body="claim",
    ),
    Endpoint(
        "claim", "get", "/order/refund-claims/{claim}", "/order/refund-claims/{claimId}", PUBLIC, 200, READ_WRONG, 404
    ),
    Endpoint(
        "cancel_claim",
        "delete",
        "/order/refund-claims/{claim}",
        "/order/refund-claims/{claimId}",
        PUBLIC,
        204,
        WRITE_WRONG,
        404,
    ),
]

ACTORS = ["anonymous", "expired", "wrong_scope", "not_a_seller", "other_seller", "seller"]


def cases():
    for endpoint in ENDPOINTS:
        for actor in ACTORS:
            if actor == "wrong_scope":
                for scope in endpoint.wrong_scopes:
                    yield pytest.param(endpoint, actor, scope, id=f"{endpoint.name}-{actor}-{scope.replace(' ', '+')}")
            else:
                yield pytest.param(endpoint, actor, None, id=f"{endpoint.name}-{actor}")


def expected_status(endpoint, actor):
    return {
        "anonymous": 401,
        "expired": 401,
        "wrong_scope": 403,
        "not_a_seller": 403,
        "other_seller": endpoint.other,
        "seller": endpoint.success,
    }[actor]


def request_body(endpoint, world):
    """(data, content type) of the request, or (None, None)."""
    if endpoint.body == "message":
        return {"text": "The parcel left today; here is the tracking number.", "type": "REGULAR"}, endpoint.media
    if endpoint.body == "declaration":
        return {"fileName": "invoice.png", "size": len(PNG)}, endpoint.media
    if endpoint.body == "png":
        return PNG, "image/png"
    if endpoint.body == "claim":
        return {"lineItem": {"id": str(world.free_line.public_id)}, "quantity": 1}, endpoint.media
    return None, None


@pytest.fixture
def actor_token(request, seller, other_seller, buyer, oauth_app):
    def build(actor, scope):
        if actor == "anonymous":
            return None
        if actor == "expired":
            return make_token(seller, oauth_app, expires_in=-timedelta(seconds=1))
        if actor == "wrong_scope":
            return make_token(seller, oauth_app, scope=scope)
        if actor == "not_a_seller":
            return make_token(buyer, oauth_app)
        if actor == "other_seller":
            return make_token(other_seller, oauth_app)
        return make_token(seller, oauth_app)

    return build


@pytest.mark.parametrize(("endpoint", "actor", "scope"), list(cases()))
def test_api_01_authorization_matrix(world, actor_token, endpoint, actor, scope):
    client = ApiClient(actor_token(actor, scope))
    expected = expected_status(endpoint, actor)
    data, content_type = request_body(endpoint, world)
    kwargs = {"accept": endpoint.accept or endpoint.media, "contract_check": False}
    if data is not None:
        kwargs.update(data=data, content_type=content_type)
    response = client.request(endpoint.method, endpoint.path.format(**world.ids()), **kwargs)

    assert response.status_code == expected, (response.status_code, response.content[:500])
    assert response.headers.get("trace-id"), dict(response.headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # The excerpt is checked wherever it documents the status expected.
    if expected in documented_statuses(endpoint.method, endpoint.template):
        check_contract(response, body)
    if expected >= 400:
        assert response["Content-Type"].split(";")[0] == endpoint.media
        # API-04: the authorization layer answers as the marketplace's auth server.
        auth_error = {"anonymous": "unauthorized", "expired": "invalid_token", "wrong_scope": "insufficient_scope"}
        if actor in auth_error:
            assert_auth_error_shape(response, auth_error[actor])
            return
        assert_errors_shape(response)
        if expected == 403:
            assert response.json()["errors"][0]["code"] == "AccessDenied"
        if expected == 404:
            assert response.json()["errors"][0]["code"] == "NotFoundException"
        if expected == 422:
            assert response.json()["errors"][0]["path"] == "lineItem.id"
        return
    if expected == 204:
        assert response.content == b""
        assert CommissionRefund.objects.get(pk=world.claim.application_id).status == CommissionRefund.Status.CANCELLED
        return
    if endpoint.name == "attachment":
        assert response["Content-Type"].split(";")[0] == "image/png"
        assert body == PNG
        return
    assert response["Content-Type"].split(";")[0] == endpoint.media
    if endpoint.list_key:
        items = response.json()[endpoint.list_key]
        if actor == "other_seller":
            assert items == []
        else:
            own = world.discussion.public_id if endpoint.list_key == "issues" else world.claim.public_id
            assert [item["id"] for item in items] == [str(own)]
