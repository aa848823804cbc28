"""Discussion pages through the test client: forms keep what was typed, refused actions
say why, pages render the state machine, and list/detail pages use a constant number of
queries."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Attachment, Discussion, Message, Reason, Role
from tests.discussions.conftest import make_order, open_discussion
from tests.storage import both_storages

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_order(offer, buyer):
    return make_order(offer, buyer, now=timezone.now() - timedelta(days=2))


@pytest.fixture
def live_discussion(recent_order):
    return open_discussion(recent_order, now=timezone.now() - timedelta(days=1))


def test_dsc_02_open_form_keeps_input_and_explains_missing_solution(client, buyer, recent_order):
    client.force_login(buyer)
    url = reverse("discussions:open", args=[recent_order.pk])
    line = recent_order.lines.get()
    response = client.post(
        url,
        {"line": line.pk, "reason": Reason.PRODUCT_PROBLEM, "text": "Ekran ma rysę."},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ekran ma rysę." in body
    assert 'value="PRODUCT_PROBLEM" checked' in body.replace("\n", " ") or "checked" in body
    assert not Discussion.objects.exists()


def test_dsc_03_partial_refund_with_both_amount_and_percent_is_refused_next_to_the_field(client, buyer, recent_order):
    client.force_login(buyer)
    response = client.post(
        reverse("discussions:open", args=[recent_order.pk]),
        {
            "line": recent_order.lines.get().pk,
            "reason": Reason.PRODUCT_PROBLEM,
            "expected_solution": "PARTIAL_REFUND",
            "expected_amount": "10.00",
            "expected_percent": "10",
        },
    )
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert not Discussion.objects.exists()


def test_dsc_01_open_page_shows_the_window_when_too_early(client, offer, buyer):
    order = make_order(offer, buyer, now=timezone.now() - timedelta(minutes=10))
    client.force_login(buyer)
    response = client.get(reverse("discussions:open", args=[order.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "notice-warning" in body
    assert (
        'type="submit"' not in body.split("<main", 1)[1].split("</main>")[0].replace('class="lang-btn', "")
        or "Rozpocznij Dyskusję" not in body
    )


def test_dsc_11_a_20001_character_message_is_refused_and_kept(client, buyer, live_discussion):
    client.force_login(buyer)
    text = "x" * 20_001
    response = client.post(reverse("discussions:buyer_message", args=[live_discussion.pk]), {"text": text})
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Message.objects.filter(author=buyer).exists()


def test_dsc_11_renamed_executable_is_refused_by_content(client, buyer, live_discussion):
    client.force_login(buyer)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    response = client.post(
        reverse("discussions:buyer_message", args=[live_discussion.pk]), {"text": "Zdjęcie", "files": [fake]}
    )
    assert response.status_code == 400
    assert "photo.jpg" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not Message.objects.filter(author=buyer).exists()


def test_dsc_22_detail_page_shows_disabled_actions_with_reason_and_date(client, buyer, live_discussion):
    client.force_login(buyer)
    body = client.get(live_discussion.get_absolute_url()).content.decode()
    # Marking unresolved is possible only after 7 days: shown disabled with its date.
    assert "disabled" in body
    assert "why-MARK_UNRESOLVED" in body


def test_dsc_22_refused_action_gets_a_message_not_an_error(client, buyer, live_discussion):
    client.force_login(buyer)
    response = client.post(reverse("discussions:buyer_action", args=[live_discussion.pk, "unresolve"]), follow=True)
    assert response.status_code == 200
    assert Discussion.objects.get(pk=live_discussion.pk).status == Discussion.Status.IN_PROGRESS
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_dsc_16_buyer_marks_resolved_through_the_page(client, buyer, live_discussion):
    client.force_login(buyer)
    client.post(reverse("discussions:buyer_action", args=[live_discussion.pk, "resolve"]))
    assert Discussion.objects.get(pk=live_discussion.pk).status == Discussion.Status.RESOLVED


def test_dsc_10_seller_reply_through_the_page(client, seller, live_discussion):
    client.force_login(seller)
    response = client.post(reverse("discussions:seller_message", args=[live_discussion.pk]), {"text": "Wysłane."})
    assert response.status_code == 302
    assert Discussion.objects.get(pk=live_discussion.pk).last_message_status == "SELLER_REPLIED"


@both_storages  # OPS-01
def test_sec_02_attachment_is_served_only_to_the_parties(
    client, buyer, seller, other_buyer, other_seller, live_discussion
):
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(data, format="PNG")
    upload = SimpleUploadedFile("a.png", data.getvalue(), content_type="image/png")
    services.post_message(live_discussion, author=buyer, role=Role.BUYER, text="", files=[upload])
    attachment = Attachment.objects.get()
    url = reverse("discussions:attachment", args=[attachment.pk])
    for user, status in [(buyer, 200), (seller, 200), (other_buyer, 404), (other_seller, 404)]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "image/png"
            assert response["X-Content-Type-Options"] == "nosniff"


def _many_discussions(offer_factory_account, buyer, count):
    from tests.factories import OfferFactory

    offer = OfferFactory(seller_account=offer_factory_account, stock=10_000)
    start = timezone.now() - timedelta(days=3)
    for i in range(count):
        order = make_order(offer, buyer, now=start + timedelta(minutes=i))
        open_discussion(order, now=start + timedelta(hours=2, minutes=i), text="Gdzie paczka?")


@pytest.mark.parametrize("path", ["/seller/discussions/", "/seller/discussions/?show=needs_reply&reason=NOT_RECEIVED"])
def test_dsc_10_seller_list_uses_the_same_queries_for_1_and_50(client, seller, seller_account, buyer, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _many_discussions(seller_account, buyer, 1)
    client.force_login(seller)
    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200
    _many_discussions(seller_account, buyer, 49)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(path)
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") >= 20
    assert len(fifty) == len(one)


def test_dsc_11_discussion_page_uses_the_same_queries_for_1_and_50_messages(client, seller, buyer, live_discussion):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(seller)
    with CaptureQueriesContext(connection) as few:
        assert client.get(live_discussion.get_seller_url()).status_code == 200
    now = timezone.now()
    for i in range(50):
        role, author = (Role.BUYER, buyer) if i % 2 else (Role.SELLER, seller)
        services.post_message(
            Discussion.objects.get(pk=live_discussion.pk), author=author, role=role, text=f"m{i}", now=now
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(live_discussion.get_seller_url()).status_code == 200
    assert len(many) == len(few)


def test_dsc_14_seller_page_shows_the_reply_guidance_next_to_the_deadline(client, seller, live_discussion):
    client.force_login(seller)
    body = client.get(live_discussion.get_seller_url()).content.decode()
    assert "30%" in body and "2 godzin" in body
    assert "Termin odpowiedzi sprzedającego" in body


def test_dsc_06_deadline_explains_skipped_weekend_and_holiday(client, offer, buyer):
    from zoneinfo import ZoneInfo

    warsaw = ZoneInfo("Europe/Warsaw")
    opened = timezone.datetime(2026, 11, 10, 18, 0, tzinfo=warsaw)
    order = make_order(offer, buyer, now=opened - timedelta(days=1))
    discussion = open_discussion(order, now=opened)
    client.force_login(buyer)
    body = client.get(discussion.get_absolute_url()).content.decode()
    assert "12.11.2026 18:00 CET" in body
    assert "24 h roboczych; pominięto: 11 listopada — Narodowe Święto Niepodległości" in body
