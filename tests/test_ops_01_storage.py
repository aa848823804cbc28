"""OPS-01: with an object store configured, every file (attachments, evidence and its
thumbnails, the add wizard's staged pictures, API uploads) is stored there through the
storage API, privately, readable by any node, and served only after the access check,
streamed by the view. The S3 server is moto's standalone server (tests/conftest.py)."""

import io
import json
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from storages.backends.s3 import S3Storage

from buyers.models import BlockReason, EvidenceImage
from discussions import services
from discussions.models import Attachment, Role
from tests.discussions.conftest import make_order, open_discussion
from tests.storage import s3_client, s3_options, stored_names

pytestmark = pytest.mark.django_db

PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def png(name, color="red"):
    data = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(data, format="PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def bucket_keys(endpoint, bucket):
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def local_files():
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def another_node(endpoint, bucket):
    """A storage built afresh from the same settings: what a second web node has."""
    return S3Storage(**s3_options(endpoint, bucket))


def anonymous_get(endpoint, bucket, key):
    try:
        with urllib.request.urlopen(f"{endpoint}/{bucket}/{key}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def live_discussion(offer, buyer):
    order = make_order(offer, buyer, now=timezone.now() - timedelta(days=2))
    return open_discussion(order, now=timezone.now() - timedelta(days=1))


def test_ops_01_an_attachment_is_stored_in_the_object_store_and_read_by_another_node(
    client, s3_server, s3_storage, live_discussion, buyer, seller, other_buyer
):
    upload = png("skan.png")
    services.post_message(live_discussion, author=buyer, role=Role.BUYER, text="Skan", files=[upload])
    attachment = Attachment.objects.get()

    assert bucket_keys(s3_server, s3_storage) == [attachment.file.name]
    assert local_files() == []  # nothing on this node's disk
    stored = another_node(s3_server, s3_storage).open(attachment.file.name).read()
    assert Image.open(io.BytesIO(stored)).size == (40, 30)

    url = reverse("discussions:attachment", args=[attachment.pk])
    for user, status in [(buyer, 200), (seller, 200), (other_buyer, 404)]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            # Streamed by the view after the access check, with its headers: no redirect
            # to the store, no URL of it in the response.
            assert response.streaming
            assert b"".join(response.streaming_content) == stored
            assert response["Content-Type"] == "image/png"
            assert response["Content-Disposition"] == "inline; filename*=UTF-8''skan.png"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Security-Policy"].startswith("default-src 'none'")
            assert response["Cache-Control"] == "private, max-age=3600"
            assert "Location" not in response


def test_ops_01_objects_are_private_anonymous_requests_are_refused(
    s3_server, s3_storage, live_discussion, buyer, seller_account, seller, bulk_offer
):
    services.post_message(live_discussion, author=buyer, role=Role.BUYER, text="", files=[png("a.png")])
    for i in range(3):
        make_order(bulk_offer, buyer, now=timezone.now() - timedelta(days=3, hours=i))
    from buyers import services as buyer_services

    buyer_services.add_entry(
        seller_account,
        seller=seller,
        login=buyer.username,
        reason=BlockReason.THREATS,
        images=[png(f"t{i}.png", color) for i, color in enumerate(("red", "green", "blue"))],
    )
    keys = bucket_keys(s3_server, s3_storage)
    assert len(keys) == 1 + 3 * 2  # the attachment; three pictures and their thumbnails
    client = s3_client(s3_server)
    for key in keys:
        assert anonymous_get(s3_server, s3_storage, key) == 403, key
        grants = client.get_object_acl(Bucket=s3_storage, Key=key)["Grants"]
        assert not [g for g in grants if g["Grantee"].get("URI") in PUBLIC_GRANTEES], key
    # The check above can fail: a public object would be served.
    client.put_object(Bucket=s3_storage, Key="public-probe", Body=b"x", ACL="public-read")
    assert anonymous_get(s3_server, s3_storage, "public-probe") == 200


def test_ops_01_the_wizards_staged_pictures_and_evidence_live_only_in_the_object_store(
    client, s3_server, s3_storage, seller, seller_account, buyer, bulk_offer
):
    for i in range(3):
        make_order(bulk_offer, buyer, now=timezone.now() - timedelta(days=3, hours=i))
    client.force_login(seller)
    add = reverse("buyers:add")
    started = client.post(add, {"step": "buyer", "login": "buyer", "reason": BlockReason.THREATS})
    token = started["Location"].split("wizard=")[1].split("&")[0]
    pictures = [png(f"threat-{i}.png", color) for i, color in enumerate(("red", "green", "blue"))]
    client.post(add, {"wizard": token, "step": "evidence", "files": pictures})

    staged = stored_names("wizard")
    assert len(staged) == 6 and all(name.startswith(f"wizard/{token}/") for name in staged)
    assert bucket_keys(s3_server, s3_storage) == staged
    assert local_files() == []
    # Another node shows the summary from the shared session and the shared store.
    summary = client.get(f"{add}?wizard={token}&step=summary").content.decode()
    assert summary.count('src="data:image/jpeg;base64,') == 3

    client.post(add, {"wizard": token, "step": "summary"})

    assert stored_names("wizard") == []  # deleted once the entry holds its own copies
    images = list(EvidenceImage.objects.order_by("pk"))
    assert len(images) == 3
    assert bucket_keys(s3_server, s3_storage) == sorted(
        name for image in images for name in (image.file.name, image.thumbnail.name)
    )
    assert local_files() == []
    response = client.get(reverse("buyers:evidence_thumbnail", args=[images[0].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    thumbnail = b"".join(response.streaming_content)
    assert thumbnail == another_node(s3_server, s3_storage).open(images[0].thumbnail.name).read()


def test_ops_01_the_health_check_heads_the_bucket(client, s3_server, s3_storage, settings):
    response = client.get("/health/")
    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["storage"] == "ok"

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(s3_server, "no-such-bucket")},
    }
    response = client.get("/health/")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["storage"] == "fail: ClientError"
