"""API-01 / DSC-11: attachments of the seller API — declare (POST /sale/issues/attachments),
upload once to the `Location` (PUT), send with a message, download (GET).

Every response goes through the `api` client and is validated against the excerpt, except
where a comment says the excerpt documents no such status.
"""

import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from PIL import Image

from api.base import ApiError
from api.issue_attachments import RawBody
from api.models import AttachmentDeclaration
from discussions import services
from discussions.models import Attachment, Message, Report, Role
from tests import files
from tests.api.conftest import ApiClient
from tests.api.contract import body
from tests.api.test_issues import NOW, png, upload
from tests.discussions.conftest import HOUR, make_order, open_discussion
from tests.storage import both_storages


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def discussion(offer, buyer):
    return open_discussion(make_order(offer, buyer))


def gif():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 255)).save(out, format="GIF")
    return out.getvalue()


# A real one-page PDF: a file that only starts and ends like one is refused (SAFE-08).
PDF = files.pdf()


def path_of(location):
    """The API path of an absolute URL from a `Location` or an attachment's `url`."""
    path = urlsplit(location).path
    prefix = f"/{settings.API_BASE_PATH}"
    assert path.startswith(prefix + "/"), location
    return path.removeprefix(prefix)


def declare(api, data, name="photo.png", size=None):
    response = api.post("/sale/issues/attachments", {"fileName": name, "size": len(data) if size is None else size})
    assert response.status_code == 201, response.content
    return response


def uploaded(api, data=None, name="photo.png", content_type="image/png"):
    """Declare and upload; return the declaration's id."""
    data = data or png()
    location = declare(api, data, name)["Location"]
    response = api.put(path_of(location), data, content_type=content_type)
    assert response.status_code == 200, response.content
    return body(response)["id"]


def send(api, discussion, ids, text="Photo of the parcel.", key="attachments"):
    data = {"type": "REGULAR", "text": text}
    data[key] = [{"id": i} for i in ids] if key == "attachments" else {"id": ids[0]}
    return api.post(f"/sale/issues/{discussion.public_id}/message", data)


def content(response):
    # Reading to the end closes the file (the test client's wrapper); closing the response
    # again would fire request_finished and close the test's database connection.
    return b"".join(response.streaming_content)


def download(api, path, **kwargs):
    """GET a file; return (response, bytes), validated against the excerpt with its bytes."""
    response = api.get(path, **kwargs)
    return response, content(response) if response.streaming else response.content


# --- The whole flow -------------------------------------------------------------------


@both_storages  # OPS-01
def test_dsc_11_declare_upload_send_and_download_an_attachment(api, discussion, seller_account):
    picture = png(size=(16, 12))
    declared = declare(api, picture, name="parcel.png")
    declaration_id = body(declared)["id"]
    assert declared["Location"] == f"http://testserver/api/sale/issues/attachments/{declaration_id}"

    uploaded_response = api.put(path_of(declared["Location"]), picture, content_type="image/png")
    assert uploaded_response.status_code == 200
    assert body(uploaded_response) == {"id": declaration_id}
    declaration = AttachmentDeclaration.objects.get(pk=declaration_id)
    assert declaration.seller_account == seller_account
    assert declaration.content_type == "image/png" and declaration.uploaded_at == NOW
    with declaration.file.open("rb") as stored:
        checked_bytes = stored.read()  # what check_upload stored (re-encoded)
    # Before it is sent, the declaration's own id downloads it.
    assert download(api, f"/sale/issues/attachments/{declaration_id}")[1] == checked_bytes

    sent = send(api, discussion, [declaration_id])
    assert sent.status_code == 201
    [attachment_json] = body(sent)["attachments"]
    attachment = Attachment.objects.get(message__public_id=body(sent)["id"])
    assert attachment_json == {
        "fileName": "parcel.png",
        "url": f"http://testserver/api/sale/issues/attachments/{attachment.public_id}",
    }
    declaration.refresh_from_db()
    assert declaration.attachment == attachment

    downloaded, data = download(api, path_of(attachment_json["url"]))
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "image/png"
    assert 'filename="parcel.png"' in downloaded["Content-Disposition"]
    with attachment.file.open("rb") as stored:
        assert data == stored.read() == checked_bytes
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (16, 12)

    chat = body(api.get(f"/sale/issues/{discussion.public_id}/chat"))["chat"]
    assert chat[0]["id"] == body(sent)["id"]
    assert chat[0]["attachments"] == [attachment_json]


def test_dsc_11_a_pdf_and_the_excerpts_singular_attachment_key_are_accepted(api, discussion):
    declaration_id = uploaded(api, PDF, name="invoice.pdf", content_type="application/pdf")

    sent = send(api, discussion, [declaration_id], key="attachment")

    assert sent.status_code == 201
    [attachment] = Attachment.objects.filter(message__public_id=body(sent)["id"])
    assert (attachment.original_name, attachment.content_type) == ("invoice.pdf", "application/pdf")
    downloaded, data = download(api, path_of(body(sent)["attachments"][0]["url"]), accept="*/*")
    assert downloaded["Content-Type"] == "application/pdf"
    assert data == PDF


def test_dsc_11_a_message_may_be_only_attachments(api, discussion):
    sent = send(api, discussion, [uploaded(api)], text="")

    assert sent.status_code == 201
    assert body(sent)["text"] == ""
    assert len(body(sent)["attachments"]) == 1


# --- Upload refusals ------------------------------------------------------------------


@both_storages  # OPS-01
def test_dsc_11_the_upload_url_works_once(api):
    picture = png()
    location = declare(api, picture)["Location"]
    assert api.put(path_of(location), picture, content_type="image/png").status_code == 200

    again = api.put(path_of(location), picture, content_type="image/png")

    assert again.status_code == 422
    assert body(again)["errors"][0]["code"] == "ALREADY_UPLOADED"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (gif(), "image/gif"),
        (gif(), "image/bmp"),
        (gif(), "image/tiff"),
        (b"just some text, not a picture", "image/png"),
        (png(), "image/jpeg"),  # the content is a PNG: the label is not trusted
        (b"%PDF-1.4 truncated", "application/pdf"),
    ],
)
def test_dsc_11_other_file_types_are_refused_with_415(api, data, content_type):
    location = declare(api, data)["Location"]

    response = api.put(path_of(location), data, content_type=content_type, language="en-US")

    assert response.status_code == 415
    [error] = body(response)["errors"]
    assert error["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert error["userMessage"]
    assert AttachmentDeclaration.objects.get(pk=path_of(location).rsplit("/", 1)[1]).uploaded_at is None


def test_dsc_11_the_refusal_of_a_type_names_what_we_accept(api):
    location = declare(api, gif())["Location"]

    response = api.put(path_of(location), gif(), content_type="image/gif", language="en-US")

    assert body(response)["errors"][0]["userMessage"] == (
        "Attachments can be JPEG, PNG or WebP images or PDF documents."
    )


def test_dsc_11_a_body_over_the_limit_is_refused_with_413(api, settings):
    settings.API_ATTACHMENT_MAX_BYTES = 200
    location = declare(api, b"", size=150)["Location"]

    response = api.put(path_of(location), png(size=(64, 64)) + b"\0" * 300, content_type="image/png")

    assert response.status_code == 413
    assert body(response)["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"


def test_dsc_11_a_body_longer_than_its_content_length_says_is_refused():
    """The read length is checked too, not only the declared Content-Length."""
    with pytest.raises(ApiError) as refused:
        RawBody(io.BytesIO(b"x" * 300), content_length=0).read(200)

    assert refused.value.status_code == 413
    assert RawBody(io.BytesIO(b"x" * 200), content_length=200).read(200) == b"x" * 200


def test_dsc_11_a_declaration_over_the_limit_is_refused_with_422(api, settings):
    settings.API_ATTACHMENT_MAX_BYTES = 200

    response = api.post("/sale/issues/attachments", {"fileName": "big.png", "size": 201}, language="en-US")

    assert response.status_code == 422
    [error] = body(response)["errors"]
    assert error["path"] == "size"
    assert error["userMessage"].startswith("The file is too big")
    assert "(200 bytes)" in error["userMessage"]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"size": 10}, "fileName"),
        ({"fileName": "", "size": 10}, "fileName"),
        ({"fileName": "x" * 256, "size": 10}, "fileName"),
        ({"fileName": "a.png"}, "size"),
        ({"fileName": "a.png", "size": 0}, "size"),
        ({"fileName": "a.png", "size": "many"}, "size"),
    ],
)
def test_api_01_invalid_declarations_are_refused_with_422(api, data, path):
    response = api.post("/sale/issues/attachments", data)

    assert response.status_code == 422
    assert body(response)["errors"][0]["path"] == path
    assert not AttachmentDeclaration.objects.exists()


def test_dsc_11_a_body_of_another_size_than_declared_is_refused_with_422(api):
    picture = png()
    location = declare(api, picture, size=len(picture) + 1)["Location"]

    response = api.put(path_of(location), picture, content_type="image/png", language="en-US")

    assert response.status_code == 422
    assert body(response)["errors"][0]["code"] == "SIZE_MISMATCH"


def test_sec_01_another_accounts_declaration_is_404(api, other_token, discussion):
    picture = png()
    location = declare(ApiClient(other_token), picture)["Location"]
    other_uploaded = uploaded(ApiClient(other_token))

    # The excerpt lists no 404 for the PUT; a foreign id is not found, as everywhere (SEC-01).
    response = api.put(path_of(location), picture, content_type="image/png", contract_check=False)
    assert response.status_code == 404
    assert api.get(f"/sale/issues/attachments/{other_uploaded}").status_code == 404
    sent = send(api, discussion, [other_uploaded])
    assert sent.status_code == 422
    assert body(sent)["errors"][0]["path"] == "attachments[0].id"


# --- Sending refusals -----------------------------------------------------------------


def test_dsc_11_an_attachment_is_sent_in_one_message_only(api, discussion):
    declaration_id = uploaded(api)
    assert send(api, discussion, [declaration_id]).status_code == 201

    again = send(api, discussion, [declaration_id], text="Once more.")

    assert again.status_code == 422
    [error] = body(again)["errors"]
    assert (error["code"], error["path"]) == ("ATTACHMENT_ALREADY_USED", "attachments[0].id")
    assert Message.objects.filter(discussion=discussion, author_role=Role.SELLER).count() == 1


def test_dsc_11_a_declared_but_not_uploaded_attachment_cannot_be_sent(api, discussion):
    declaration_id = body(declare(api, png()))["id"]

    response = send(api, discussion, [declaration_id])

    assert response.status_code == 422
    assert body(response)["errors"][0]["code"] == "ATTACHMENT_NOT_UPLOADED"
    assert api.get(f"/sale/issues/attachments/{declaration_id}").status_code == 404


def test_dsc_11_the_same_attachment_twice_in_one_message_is_refused(api, discussion):
    declaration_id = uploaded(api)

    response = send(api, discussion, [declaration_id, declaration_id])

    assert response.status_code == 422
    assert body(response)["errors"][0]["path"] == "attachments[1].id"


def test_dsc_11_at_most_five_attachments(api, discussion):
    ids = [uploaded(api) for _ in range(6)]

    response = send(api, discussion, ids)

    assert response.status_code == 422
    assert body(response)["errors"][0]["path"] == "attachments"
    assert not AttachmentDeclaration.objects.filter(attachment__isnull=False).exists()


def test_dsc_15_a_closed_discussion_keeps_the_attachment_unused(api, discussion, buyer):
    declaration_id = uploaded(api)
    services.mark_resolved(discussion, buyer=buyer, now=NOW - HOUR)

    response = send(api, discussion, [declaration_id])

    assert response.status_code == 409
    assert AttachmentDeclaration.objects.get(pk=declaration_id).attachment is None
    assert not Attachment.objects.filter(message__discussion=discussion, message__author_role=Role.SELLER).exists()


# --- Downloads ------------------------------------------------------------------------


@both_storages  # OPS-01
def test_rpt_03_attachments_of_a_hidden_message_are_not_served(api, offer, buyer, seller, mediator):
    discussion = open_discussion(make_order(offer, buyer), text="Look", files=[upload("threat.png")])
    buyer_attachment = Attachment.objects.get(message__discussion=discussion)
    declaration_id = uploaded(api)
    sent = send(api, discussion, [declaration_id])
    seller_attachment = Attachment.objects.get(message__public_id=body(sent)["id"])
    assert download(api, f"/sale/issues/attachments/{buyer_attachment.public_id}")[0].status_code == 200

    for message, reporter in ((buyer_attachment.message, seller), (seller_attachment.message, buyer)):
        report = services.report_message(message, reporter=reporter, category=Report.Category.THREAT, now=NOW)
        services.decide_report(report, mediator=mediator, decision=services.ReportDecision.HIDE, reason="x", now=NOW)

    assert api.get(f"/sale/issues/attachments/{buyer_attachment.public_id}").status_code == 404
    assert api.get(f"/sale/issues/attachments/{seller_attachment.public_id}").status_code == 404
    assert api.get(f"/sale/issues/attachments/{declaration_id}").status_code == 404


@both_storages  # OPS-01
def test_sec_01_another_accounts_discussion_attachment_is_404(other_token, offer, buyer):
    discussion = open_discussion(make_order(offer, buyer), text="Look", files=[upload()])
    attachment = Attachment.objects.get(message__discussion=discussion)

    response = ApiClient(other_token).get(f"/sale/issues/attachments/{attachment.public_id}")

    assert response.status_code == 404
    assert body(response)["errors"][0]["code"] == "NOT_FOUND"
