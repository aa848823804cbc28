"""SAFE-08: uploads. A PDF is parsed (pypdf) and refused when it does not parse or carries
JavaScript, automatic or launch actions or embedded files; the stored name takes the
detected type's extension whatever the uploaded name says, and downloads are named and
typed by the detected type; pictures are re-encoded without metadata (EXIF, XMP, ICC,
comments); decoding is bounded per picture and per request.

Files go through the public surface: a Discussion message (discussions.services and the
message form), the inactive-buyers wizard's evidence (buyers.services) and the
download views (pages, admin and seller API). Test files are made in tests/files.py.
"""

import io
import time

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from PIL import Image

from buyers import services as buyer_services
from buyers.models import BlockReason, EvidenceImage
from core import uploads
from core.errors import DomainError
from discussions import services
from discussions.models import Attachment, Message, Role
from tests import files
from tests.api.conftest import ApiClient, make_token
from tests.discussions.conftest import HOUR, OPENED, make_order, open_discussion
from tests.storage import both_storages

pytestmark = pytest.mark.django_db

NOW = OPENED + HOUR
NOT_A_PDF = "is not a complete PDF file"
ACTIVE_PDF = "contains scripts, automatic actions or embedded files"
PASSWORD_PDF = "is protected by a password"
TOO_MANY_PIXELS = "has too many pixels to be an ordinary picture"
OVER_BUDGET = "are too large to check together"


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def discussion(offer, buyer):
    return open_discussion(make_order(offer, buyer, now=OPENED - HOUR), now=OPENED)


def post(discussion, *uploads, text="Zdjęcia paczki."):
    return services.post_message(
        discussion, author=discussion.buyer, role=Role.BUYER, text=text, files=list(uploads), now=NOW
    )


def refused(discussion, *uploads):
    with pytest.raises(DomainError) as error:
        post(discussion, *uploads)
    assert error.value.field == "files"
    assert not Attachment.objects.exists()
    assert not Message.objects.filter(author=discussion.buyer).exists()
    return error.value.message


def stored(attachment):
    with attachment.file.open("rb") as handle:
        return handle.read()


# --- PDFs ----------------------------------------------------------------------------------


def test_safe_08_a_script_that_only_starts_and_ends_like_a_pdf_is_refused(english, discussion):
    message = refused(discussion, files.upload("faktura.hta", files.FAKE_PDF_HTA, "application/hta"))

    assert message == f"“faktura.hta” {NOT_A_PDF}."


def test_safe_08_a_pdf_that_does_not_parse_is_refused(english, discussion):
    document = files.pdf()
    broken = document[: len(document) // 2] + b"\n%%EOF\n"

    assert NOT_A_PDF in refused(discussion, files.upload("faktura.pdf", broken, "application/pdf"))


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            lambda: files.pdf(catalog={"/OpenAction": files.javascript_action()}), id="javascript-open-action"
        ),
        pytest.param(lambda: files.pdf(javascript="app.alert('hello')"), id="document-javascript"),
        pytest.param(lambda: files.pdf(catalog={"/OpenAction": files.action("GoTo", D="p1")}), id="open-action"),
        pytest.param(
            lambda: files.pdf(page={"/Annots": files.link_annotation(files.action("Launch", F="cmd.exe"))}),
            id="launch-action",
        ),
        pytest.param(
            lambda: files.pdf(page={"/Annots": files.link_annotation(files.javascript_action())}),
            id="javascript-link",
        ),
        pytest.param(lambda: files.pdf(page={"/AA": files.additional_actions()}), id="additional-actions"),
        pytest.param(lambda: files.pdf(attachment=("invoice.exe", b"MZ\x90\x00")), id="embedded-file"),
        pytest.param(lambda: files.pdf(orphan=files.javascript_action()), id="unreferenced-javascript"),
    ],
)
def test_safe_08_a_pdf_with_scripts_actions_or_embedded_files_is_refused(english, discussion, document):
    message = refused(discussion, files.upload("faktura.pdf", document(), "application/pdf"))

    assert message == f"“faktura.pdf” {ACTIVE_PDF}. Send a PDF without them (for example, print it to PDF again)."


def test_safe_08_a_password_protected_pdf_is_refused(english, discussion):
    document = files.pdf(password="tajne")

    message = refused(discussion, files.upload("faktura.pdf", document, "application/pdf"))

    assert message == f"“faktura.pdf” {PASSWORD_PDF}. Send it without the password."


def test_safe_08_an_ordinary_pdf_is_kept_as_sent_and_named_pdf_whatever_its_name(discussion):
    # Generated invoices often open at the first page: a destination, not an action.
    document = files.pdf(catalog={"/OpenAction": files.open_at_first_page})

    message = post(discussion, files.upload("faktura.hta", document, "application/hta"))

    attachment = message.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("faktura.pdf", "application/pdf")
    assert attachment.file.name.endswith(".pdf")
    assert stored(attachment) == document


def test_safe_08_a_pdf_of_too_many_objects_is_refused_before_they_are_read(english, discussion):
    document = files.pdf(filler=uploads.MAX_PDF_OBJECTS)

    started = time.thread_time()
    message = refused(discussion, files.upload("katalog.pdf", document, "application/pdf"))

    assert message == "“katalog.pdf” is too large a document to check. Send a shorter one or split it."
    assert time.thread_time() - started < 0.3  # the cross-reference is read, not the objects


# --- Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "uploaded", "kept"),
    [
        ("JPEG", "zdjęcie.png", "zdjęcie.jpg"),
        ("JPEG", "zdjęcie.JPEG", "zdjęcie.JPEG"),
        ("PNG", "scan.pdf", "scan.png"),
        ("PNG", "scan.png.exe", "scan.png.png"),
        ("WEBP", "bez rozszerzenia", "bez rozszerzenia.webp"),
        ("WEBP", ".htaccess", "file.webp"),
        ("PNG", "C:\\Users\\kupujący\\zdjęcie.bmp", "zdjęcie.png"),
        ("PNG", "a" * 250 + ".hta", "a" * 196 + ".png"),
    ],
)
def test_safe_08_the_stored_name_has_the_detected_types_extension(discussion, fmt, uploaded, kept):
    message = post(discussion, files.upload(uploaded, files.picture(fmt)))

    attachment = message.attachments.get()
    assert attachment.original_name == kept
    assert attachment.content_type == f"image/{fmt.lower()}"


# --- Pictures: metadata --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_safe_08_pictures_are_stored_without_metadata(discussion, fmt):
    original = files.picture(fmt, (64, 48), metadata=True)
    with Image.open(io.BytesIO(original)) as before:
        assert before.info.get("icc_profile") and before.getexif()  # the test file has them
    assert any(marker in original for marker in files.MARKERS)

    message = post(discussion, files.upload(f"photo.{fmt.lower()}", original))

    data = stored(message.attachments.get())
    for marker in files.MARKERS:
        assert marker not in data
    with Image.open(io.BytesIO(data)) as after:
        assert after.format == fmt
        assert after.size == (64, 48)
        assert not after.getexif()
        for key in ("icc_profile", "exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
            assert key not in after.info, key


def test_safe_08_transparency_survives_the_cleaning(discussion):
    image = Image.new("P", (8, 8), 3)
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=3)

    message = post(discussion, files.upload("logo.png", out.getvalue()))

    with Image.open(io.BytesIO(stored(message.attachments.get()))) as after:
        assert after.convert("RGBA").getpixel((0, 0)) == (0, 0, 255, 0)


def test_safe_08_a_photo_is_turned_upright_before_its_orientation_tag_goes(discussion):
    """Phones store a portrait photo sideways with an EXIF orientation; without the tag
    the stored picture must already be upright."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="JPEG", exif=exif)

    message = post(discussion, files.upload("portrait.jpg", out.getvalue()))

    with Image.open(io.BytesIO(stored(message.attachments.get()))) as after:
        assert after.size == (48, 64)
        assert not after.getexif()


# --- Pictures: bounded decoding ------------------------------------------------------------


def jpeg_claiming(width, height):
    """A JPEG header that claims width × height pixels, followed by no picture: only a
    check made before decoding can tell that it has too many pixels."""
    data = bytearray(files.picture("JPEG", (16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_safe_08_a_picture_over_25_megapixels_is_refused_before_it_is_decoded(english, discussion):
    message = refused(discussion, files.upload("panorama.jpg", jpeg_claiming(6000, 4200)))  # 25.2 MP

    assert message == f"“panorama.jpg” {TOO_MANY_PIXELS}."


def test_safe_08_five_40_megapixel_webp_pictures_are_refused_at_once(english, discussion):
    """The finding: five of these (95 kB each) held a worker for 17.6 s."""
    picture = files.big_picture("WEBP", 8000, 5000)

    started = time.perf_counter()
    message = refused(discussion, *(files.upload(f"p{i}.webp", picture) for i in range(5)))
    elapsed = time.perf_counter() - started

    assert message == f"“p0.webp” {TOO_MANY_PIXELS}."
    assert elapsed < 0.5  # the header is read, the picture never decoded


def test_safe_08_pictures_over_the_requests_decoding_budget_are_refused_together(english, discussion):
    """Each of these WebP pictures alone is accepted; five of them in one request would
    cost more decoding than the request may spend (about 0.18 s each of 0.7 s)."""
    picture = files.big_picture("WEBP", 3000, 2000)  # 6 MP
    post(discussion, files.upload("one.webp", picture))

    with pytest.raises(DomainError) as error:
        post(discussion, *(files.upload(f"p{i}.webp", picture) for i in range(5)))

    assert error.value.message == (
        f"The files you chose {OVER_BUDGET} (from “p3.webp” on). Send fewer or smaller files at a time."
    )
    assert Attachment.objects.count() == 1


def test_safe_08_five_phone_photos_fit_in_one_message(discussion):
    photo = files.big_picture("JPEG", 4000, 3000)  # 12 MP, what phones save by default

    message = post(discussion, *(files.upload(f"IMG_{i}.jpg", photo) for i in range(5)))

    assert message.attachments.count() == 5


def test_safe_08_the_wizards_evidence_pictures_are_cleaned_and_bounded_too(english, seller_account):
    clean = buyer_services.check_images(
        [files.upload(f"t{i}.png", files.picture("JPEG", metadata=True)) for i in range(3)]
    )
    assert [c.name for c in clean] == ["t0.jpg", "t1.jpg", "t2.jpg"]
    for checked in clean:
        data = checked.content.read()
        assert not any(marker in data for marker in files.MARKERS)

    with pytest.raises(DomainError) as error:
        buyer_services.check_images(
            [files.upload(f"p{i}.webp", files.big_picture("WEBP", 8000, 5000)) for i in range(3)]
        )
    assert TOO_MANY_PIXELS in error.value.message


# --- The message form keeps what was typed -------------------------------------------------


def test_safe_08_a_refused_file_keeps_the_message_text_on_the_page(client, discussion):
    client.force_login(discussion.buyer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(
        reverse("discussions:buyer_message", args=[discussion.pk]),
        {"text": "Paczka nie dotarła, w załączniku skan.", "files": [files.upload("skan.hta", files.FAKE_PDF_HTA)]},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Paczka nie dotarła, w załączniku skan." in page
    assert f"“skan.hta” {NOT_A_PDF}." in page
    assert not Message.objects.filter(author=discussion.buyer).exists()


# --- Downloads are named and typed by the detected type ------------------------------------


@pytest.fixture
def legacy_attachment(discussion):
    """A PDF stored before SAFE-08 under the uploader's name and extension."""
    message = post(discussion, files.upload("faktura.pdf", files.pdf()))
    attachment = message.attachments.get()
    Attachment.objects.filter(pk=attachment.pk).update(original_name="faktura.hta")
    return attachment


def assert_served_as(response, content_type, disposition, name):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f"{disposition}; filename*=UTF-8''{name}"
    # Reading to the end closes the file; closing the response would also close the
    # test's database connection (request_finished).
    b"".join(response.streaming_content)


@both_storages  # OPS-01
def test_safe_08_an_attachment_is_downloaded_under_the_detected_types_extension(client, legacy_attachment):
    client.force_login(legacy_attachment.message.discussion.buyer)

    response = client.get(reverse("discussions:attachment", args=[legacy_attachment.pk]))

    assert_served_as(response, "application/pdf", "inline", "faktura.pdf")


@both_storages  # OPS-01
def test_safe_08_the_seller_api_downloads_it_under_the_same_name(seller, legacy_attachment):
    from oauth2_provider.models import Application

    application = Application.objects.create(
        name="Tool",
        user=seller,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://tool.example.com/callback",
    )
    api = ApiClient(make_token(seller, application))

    response = api.get(f"/sale/issues/attachments/{legacy_attachment.public_id}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="faktura.pdf"' in response["Content-Disposition"]
    b"".join(response.streaming_content)


@pytest.fixture
def legacy_evidence(seller_account, seller, buyer, bulk_offer):
    for i in range(3):
        make_order(bulk_offer, buyer, now=OPENED - (i + 2) * HOUR)
    pictures = [files.upload(f"t{i}.png", files.picture("PNG")) for i in range(3)]
    entry = buyer_services.add_entry(
        seller_account, seller=seller, login="buyer", reason=BlockReason.THREATS, images=pictures, now=NOW
    )
    image = entry.images.first()
    EvidenceImage.objects.filter(pk=image.pk).update(original_name="threat.hta")
    return image


@both_storages  # OPS-01
def test_safe_08_evidence_pictures_are_downloaded_under_the_detected_types_extension(
    client, seller, mediator, legacy_evidence
):
    client.force_login(seller)
    response = client.get(reverse("buyers:evidence", args=[legacy_evidence.pk]))
    assert_served_as(response, "image/png", "inline", "threat.png")

    client.force_login(mediator)
    response = client.get(reverse("admin:buyers_inactivebuyer_evidence", args=[legacy_evidence.pk]))
    assert_served_as(response, "image/png", "inline", "threat.png")


def test_safe_08_the_upload_messages_are_translated():
    texts = [
        "“%(name)s” contains scripts, automatic actions or embedded files. Send a PDF without them "
        "(for example, print it to PDF again).",
        "“%(name)s” is protected by a password. Send it without the password.",
        "“%(name)s” is too large a document to check. Send a shorter one or split it.",
        "“%(name)s” is too large a picture to check. Send a smaller one (a JPEG photo, for example).",
        "The files you chose are too large to check together (from “%(name)s” on). Send fewer or smaller files "
        "at a time.",
    ]
    for language in ("pl", "cs", "sk", "hu"):
        with translation.override(language):
            for text in texts:
                assert translation.gettext(text) != text, (language, text)


def test_safe_08_the_budget_is_spent_per_request_not_per_process(discussion):
    """A request's budget starts full: many requests, each within it, all succeed."""
    picture = files.big_picture("WEBP", 3000, 2000)
    for _ in range(3):
        post(discussion, files.upload("one.webp", picture))
    assert Attachment.objects.count() == 3
