"""Issue 18's contract test: a client generated from the marketplace's description
(api/reference/allegro-openapi-excerpt.yaml) by openapi-python-client — a generator no one
here wrote, pinned in requirements-dev.txt — runs the seller's whole flow against the live
server, and every answer is validated against the excerpt with openapi-core
(tests/api/contract.py) as the client receives it.

Rules covered: API-01 (the shape of every answer), API-02 (an upload of each media type
the reference lists — PNG, GIF, BMP, TIFF, JPEG, PDF — sent in messages and downloaded),
API-03 (subject, initialMessage and lastMessage as the generated models read them),
API-05 (the client's access token comes from the device authorization flow, RFC 8628,
over HTTP against the same live server) and API-06 (the claim-only status operation and
the removed /sale/disputes answer in the error shape through the same client).

Generation: once per test session, into a temporary folder, in-process and offline (any
network connection during generation fails the test: the generator must read only the
file it is given). The excerpt is generated as published; where it is not
generator-friendly, the generator's own configuration and one request hook make up for it:

- `content_type_overrides`: the generator knows no `image/*`, `application/pdf` or `*/*`
  bodies, so it would leave out the upload (PUT /sale/issues/attachments/{id}) and the
  download's body; they are generated as `application/octet-stream` (a `File`).
- The generated upload then writes each of the six media types with the same `File`
  type, and its last `if isinstance(body, File)` wins: every upload would say
  `Content-Type: application/pdf`. `UploadMediaType`, an httpx request hook, puts the
  type of the file being sent in its place (the `File.mime_type` the test gives).
- No post-generation hooks (`ruff`): they only format the code.

The access token comes from `seller_access_token()`: the device flow of an application
registered for it (tests/api/device_flow.py), its requests sent over HTTP to the live
server — device codes, a poll answered authorization_pending, the seller's approval on
/skojarz-aplikacje, the poll that gives the tokens. Between polls no one sleeps: the
clock is moved by a time-machine traveller, which patches the process's clock, so the
live server's thread (where the token endpoint compares the poll with the interval)
moves with it.
"""

import contextlib
import importlib
import io
import pkgutil
import socket
import sys
from datetime import timedelta
from unittest import mock
from uuid import UUID

import pytest
import time_machine
import yaml
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.errors import ErrorLevel
from PIL import Image

from api import issue_cache
from orders.models import CommissionRefundLine
from tests import files
from tests.api.conftest import ALL_SCOPES
from tests.api.contract import EXCERPT, check_httpx
from tests.api.device_flow import obtain_token_by_device_flow
from tests.discussions.conftest import DAY, HOUR, make_order, open_discussion
from tests.factories import UserFactory

PACKAGE = "allegro_excerpt_client"
DEVICE_CLIENT_SECRET = "device-sync-secret-for-tests-0123456789"
UPLOAD_TYPES = {
    "image/png": "image/png",
    "image/gif": "image/png",
    "image/bmp": "image/png",
    "image/tiff": "image/png",
    "image/jpeg": "image/jpeg",
    "application/pdf": "application/pdf",
}
GENERATOR_CONFIG = {
    "package_name_override": PACKAGE,
    "project_name_override": PACKAGE,
    "post_hooks": [],
    "content_type_overrides": {
        **dict.fromkeys(UPLOAD_TYPES, "application/octet-stream"),
        "*/*": "application/octet-stream",
    },
}

pytestmark = [
    # The live server answers from its own thread (and, on PostgreSQL, its own
    # connection): the data must be committed. Markets come from a data migration.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# --- Generating the client -----------------------------------------------------------------


@contextlib.contextmanager
def no_network():
    """Any attempt to reach the network (a name look-up or a connection) raises."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the generator tried to use the network: {args!r}")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket.socket, "connect_ex", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
        mock.patch.object(socket, "create_connection", refuse),
    ):
        yield


@pytest.fixture(scope="session")
def client_package(tmp_path_factory):
    """The package openapi-python-client generates from the excerpt (0.8 s), imported."""
    folder = tmp_path_factory.mktemp("generated-client")
    config = Config.from_sources(
        ConfigFile(**GENERATOR_CONFIG),
        MetaType.NONE,
        document_source=EXCERPT,
        file_encoding="utf-8",
        overwrite=True,
        output_path=folder / PACKAGE,
    )
    with no_network():
        problems = generate(config=config)
    assert [p for p in problems if p.level == ErrorLevel.ERROR] == [], [p.header for p in problems]
    # Every operation of /sale/issues and /order/refund-claims is generated (nothing left out).
    assert [p.header for p in problems if "/sale/issues" in (p.header or "") or "refund" in (p.header or "")] == []
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def generated(package, module):
    """A generated module, e.g. `api.post_purchase_issues.get_issue_using_get`."""
    return importlib.import_module(f"{package.__name__}.{module}")


# --- The token --------------------------------------------------------------------------


def seller_access_token(live_server, seller_account):
    """The access token the flow runs with (API-05): obtained through the device
    authorization flow (RFC 8628) of a program registered "without a browser", over HTTP
    against `live_server`, approved by `seller_account`'s sign-in. The clock stands
    still during the flow and moves by the interval before each poll but the first."""
    application = Application.objects.create(
        name="Warehouse sync",
        user=UserFactory(username="sync-developer"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        client_secret=DEVICE_CLIENT_SECRET,
    )
    user = seller_account.user
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        body = obtain_token_by_device_flow(
            live_server.url,
            client_id=application.client_id,
            client_secret=DEVICE_CLIENT_SECRET,
            seller=user,
            wait=lambda seconds: traveller.shift(timedelta(seconds=seconds)),
        )
    assert body["token_type"] == "Bearer" and set(body["scope"].split()) == set(ALL_SCOPES.split())
    token = AccessToken.objects.get(application=application)
    assert (token.user, token.application) == (user, application)
    return body["access_token"]


# --- Hooks ----------------------------------------------------------------------------------


class UploadMediaType:
    """httpx request hook: the Content-Type of an upload is the media type of the file
    being sent (see the module's docstring for the generator's bug it works around)."""

    def __init__(self):
        self.media_type = None

    def __call__(self, request):
        if request.method == "PUT" and self.media_type:
            request.headers["Content-Type"] = self.media_type


class Validated:
    """httpx response hook: every answer is validated against the excerpt (openapi-core);
    a difference raises in the client's call."""

    def __init__(self):
        self.answers = []

    def __call__(self, response):
        check_httpx(response)
        self.answers.append((response.request.method, response.request.url.path, response.status_code))


# --- The flow ---------------------------------------------------------------------------------


def sample(media_type):
    """A small file of `media_type` (a red 6×4 picture, or a real one-page PDF)."""
    if media_type == "application/pdf":
        return files.pdf()
    out = io.BytesIO()
    Image.new("RGB", (6, 4), (200, 30, 30)).save(out, format=media_type.split("/")[1].upper())
    return out.getvalue()


@pytest.fixture
def flow_world(seller_account, offer, buyer):
    cache.clear()
    issue_cache.clear()
    now = timezone.now()
    discussion = open_discussion(
        make_order(offer, buyer, now=now - 2 * DAY), now=now - HOUR, text="Where is my parcel?"
    )
    free_line = make_order(offer, buyer, now=now - 2 * DAY).lines.get()
    yield discussion, free_line
    cache.clear()
    issue_cache.clear()


def test_api_01_02_03_05_06_the_generated_client_runs_the_sellers_flow_with_a_device_flow_token(
    live_server, client_package, flow_world, seller_account
):
    discussion, free_line = flow_world
    types = generated(client_package, "types")
    models = generated(client_package, "models")
    upload_type, validated = UploadMediaType(), Validated()
    client = generated(client_package, "client").AuthenticatedClient(
        base_url=f"{live_server.url}/{settings.API_BASE_PATH}",
        token=seller_access_token(live_server, seller_account),
        httpx_args={"event_hooks": {"request": [upload_type], "response": [validated]}},
    )
    issues_api = "api.post_purchase_issues"
    english = models.GetListOfIssuesUsingGetAcceptLanguage.EN_US

    # List the issues, get one, read its chat.
    listed = generated(client_package, f"{issues_api}.get_list_of_issues_using_get").sync_detailed(
        client=client, accept_language=english
    )
    assert listed.status_code == 200
    [issue] = listed.parsed.issues
    assert issue.id == str(discussion.public_id) and issue.type_.value == "DISPUTE"
    assert issue.subject == "I have not received the product"  # API-03
    issue_id = UUID(issue.id)
    one = generated(client_package, f"{issues_api}.get_issue_using_get").sync_detailed(
        issue_id, client=client, accept_language=models.GetIssueUsingGetAcceptLanguage.EN_US
    )
    assert one.status_code == 200 and one.parsed.id == issue.id
    get_chat = generated(client_package, f"{issues_api}.get_chat_from_issue_using_get").sync_detailed
    chat = get_chat(issue_id, client=client, limit=100).parsed.chat
    assert len(chat) == one.parsed.chat.messages_count == 2
    initial = one.parsed.chat.initial_message
    assert (initial.id, initial.text, initial.author.role.value) == (chat[-1].id, chat[-1].text, "BUYER")  # API-03

    # Post a message.
    post_message = generated(client_package, f"{issues_api}.add_message_to_issue_using_post").sync_detailed
    request_type = models.MessageRequestType.REGULAR
    posted = post_message(
        issue_id, client=client, body=models.MessageRequest(text="Sent yesterday.", type_=request_type)
    )
    assert posted.status_code == 201 and posted.parsed.author.role.value == "SELLER"

    # Upload a file of each media type the reference lists (API-02), and send them.
    declare = generated(client_package, f"{issues_api}.create_an_issue_attachment_using_post").sync_detailed
    upload = generated(client_package, f"{issues_api}.upload_issue_attachment_using_put").sync_detailed
    declared = {}
    for media_type in UPLOAD_TYPES:
        data = sample(media_type)
        name = f"evidence-{media_type.split('/')[1]}.{media_type.split('/')[1]}"
        answer = declare(client=client, body=models.AttachmentDeclaration(file_name=name, size=len(data)))
        assert answer.status_code == 201
        attachment_id = answer.parsed.id
        assert answer.headers["Location"] == f"{client._base_url}/sale/issues/attachments/{attachment_id}"
        upload_type.media_type = media_type
        uploaded = upload(UUID(attachment_id), client=client, body=types.File(io.BytesIO(data), name, media_type))
        upload_type.media_type = None
        assert uploaded.status_code == 200, uploaded.content
        declared[media_type] = attachment_id
    ids = [models.PostPurchaseIssueAttachmentId(id=declared[media_type]) for media_type in UPLOAD_TYPES]
    sent = [
        post_message(
            issue_id, client=client, body=models.MessageRequest(text=text, type_=request_type, attachments=part)
        )
        for text, part in (("Photos of the parcel.", ids[:5]), ("The invoice.", ids[5:]))
    ]
    assert [answer.status_code for answer in sent] == [201, 201]
    attachments = [attachment for answer in sent for attachment in answer.parsed.attachments]
    assert [attachment.file_name.rsplit(".", 1)[1] for attachment in attachments] == [
        "png", "png", "png", "png", "jpeg", "pdf"
    ]  # fmt: skip

    # Download each: served as what it now is (GIF, BMP and TIFF as PNG).
    download = generated(client_package, f"{issues_api}.get_issue_attachment_using_get").sync_detailed
    for attachment, stored_type in zip(attachments, UPLOAD_TYPES.values(), strict=True):
        answer = download(UUID(attachment.url.rsplit("/", 1)[1]), client=client)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == stored_type
        assert answer.parsed.payload.read() == answer.content

    # The issue now: the chat's newest message is lastMessage (API-03).
    chat = get_chat(issue_id, client=client, limit=100).parsed.chat
    now_issue = generated(client_package, f"{issues_api}.get_issue_using_get").sync_detailed(issue_id, client=client)
    assert now_issue.parsed.chat.messages_count == len(chat) == 5
    assert now_issue.parsed.chat.last_message.status.value == "SELLER_REPLIED"
    assert now_issue.parsed.chat.last_message.created_at == chat[0].created_at

    # API-06 through the same client: the claim-only status operation, and /sale/disputes.
    status = generated(client_package, f"{issues_api}.change_status_of_issue_using_post").sync_detailed(
        issue_id,
        client=client,
        body=models.ClaimStatusChangeRequest(
            status=models.ClaimStatusChangeRequestStatus.ACCEPTED_REFUND, message="Refund accepted."
        ),
    )
    assert status.status_code == 400 and b"NOT_A_CLAIM" in status.content
    disputes = generated(client_package, "api.disputes.get_list_of_disputes_using_get").sync_detailed(client=client)
    assert disputes.status_code == 404 and b"/sale/issues" in disputes.content

    # Commission refund claims: create, list, get, cancel.
    claims_api = "api.commission_refunds"
    created = generated(client_package, f"{claims_api}.create_refund_application").sync_detailed(
        client=client,
        body=models.RefundClaimRequest(
            line_item=models.RefundClaimRequestLineItem(id=str(free_line.public_id)), quantity=1
        ),
    )
    assert created.status_code == 201, created.content
    claim_id = created.parsed.id
    listed_claims = generated(client_package, f"{claims_api}.get_refund_applications").sync_detailed(client=client)
    assert listed_claims.status_code == 200
    assert claim_id in [str(claim.id) for claim in listed_claims.parsed.refund_claims]
    got = generated(client_package, f"{claims_api}.get_refund_application").sync_detailed(claim_id, client=client)
    assert got.status_code == 200 and str(got.parsed.id) == claim_id
    cancelled = generated(client_package, f"{claims_api}.cancel_refund_application").sync_detailed(
        claim_id, client=client
    )
    assert cancelled.status_code == 204
    assert CommissionRefundLine.objects.get(public_id=claim_id).application.status == "CANCELLED"

    # Every answer was validated against the excerpt as it arrived.
    assert len(validated.answers) == 32  # 4 reads and a message, 12 uploads, 2 messages, 6 downloads, 4, 4 claims


def test_api_01_the_client_is_generated_offline_from_the_excerpt_alone(client_package):
    """The generated package has the seller's operations; generation ran with the
    network refused (`no_network`), reading only the excerpt."""
    spec = yaml.safe_load(EXCERPT.read_text())
    operations = {
        operation["operationId"]
        for path, item in spec["paths"].items()
        if path.startswith(("/sale/issues", "/order/refund-claims"))
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    modules = {
        name.rsplit(".", 1)[1]
        for folder in ("post_purchase_issues", "commission_refunds")
        for name in _modules_of(client_package, f"api.{folder}")
    }
    assert len(modules) == len(operations) == 12


def _modules_of(package, subpackage):
    module = generated(package, subpackage)
    return [f"{module.__name__}.{info.name}" for info in pkgutil.iter_modules(module.__path__)]
