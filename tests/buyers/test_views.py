"""The inactive-buyers pages through the test client (BLK-01…09): the tab, the three-step
add wizard, removal with confirmation, the evidence pictures and the offer page.

Time is fixed at NOW (time-machine) and the buyer's orders are real purchases made
before it. Pages are read in English, the source language, so the tests do not depend
on the state of the Polish catalogue.
"""

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from PIL import Image

from buyers import services
from buyers.models import BlockReason, EvidenceImage, InactiveBuyer
from buyers.wizard import SESSION_KEY
from core.templatetags.ui import market_date
from discussions import services as discussion_services
from discussions.models import Reason
from orders import services as order_services
from orders.models import Order
from tests.discussions.conftest import make_order
from tests.factories import OfferFactory, UserFactory
from tests.storage import both_storages, stored_names

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # a Tuesday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ADD = reverse("buyers:add")
TAB = reverse("buyers:tab")

NOT_ELIGIBLE = "they have not bought from this account in the last 180 days"
FAQ_ANSWER = "No. If the buyer has not bought from you, you have no justified reason to refuse to sell to them."
INVALID_GROUNDS = "You cannot restrict sales, for example, when the buyer:"
ART_135 = "art. 135 of the Code of Petty Offences"
RESTRICTED = "The seller has restricted your purchases in their offers."


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(client):
    """Pages in English (the language cookie wins over the Polish default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def bought(offer, buyer, count=3, *, start=NOW - 10 * DAY):
    """`count` paid orders of the buyer from the offer's account, an hour apart."""
    return [make_order(offer, buyer, now=start + i * HOUR) for i in range(count)]


@pytest.fixture
def evidence(bulk_offer, buyer):
    return bought(bulk_offer, buyer)


def png(name, color="red", size=(320, 200), fmt="PNG"):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def three_pictures():
    return [png("threat-1.png", "red"), png("threat-2.jpg", "green", fmt="JPEG"), png("threat-3.png", "blue")]


def staged_files():
    """The wizard's staged files, through the storage API (the local disk or the object store)."""
    return [PurePosixPath(name) for name in stored_names("wizard")]


def body(response):
    return response.content.decode()


def wizard_token(response):
    """The wizard token from the step URL a step redirected to."""
    match = re.search(r"wizard=([0-9a-f-]{36})", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def step_url(token, step):
    return f"{ADD}?wizard={token}&step={step}"


def start(client, login, reason=BlockReason.FALSE_DATA, note="", token=None):
    data = {"step": "buyer", "login": login, "reason": reason, "note": note}
    if token:
        data["wizard"] = token
    return client.post(ADD, data)


def add_entry(account, seller, buyer, orders, **kwargs):
    kwargs.setdefault("reason", BlockReason.FALSE_DATA)
    return services.add_entry(account, seller=seller, login=buyer.username, order_ids=[o.pk for o in orders], **kwargs)


# --- The tab -------------------------------------------------------------------------------


def test_blk_01_buyer_cannot_see_the_tab_or_the_wizard(client, buyer):
    client.force_login(buyer)

    assert client.get(TAB).status_code == 404
    assert client.get(ADD).status_code == 404
    assert client.post(ADD, {"step": "buyer", "login": "seller"}).status_code == 404


def test_blk_02_tab_shows_each_entry_with_its_expiry_date_in_market_time(
    client, seller, seller_account, buyer, evidence
):
    entry = add_entry(seller_account, seller, buyer, evidence, note="Fake <b>address</b> twice.")
    client.force_login(seller)

    response = client.get(TAB)

    assert response.status_code == 200
    page = body(response)
    market = seller_account.market
    assert entry.expires_at == NOW + timedelta(days=180)
    with translation.override("en"):
        assert market_date(entry.expires_at, market) in page
    assert timezone.localtime(entry.expires_at, market.tz).isoformat() in page
    assert "The customer gave false contact details" in page
    assert "Fake &lt;b&gt;address&lt;/b&gt; twice." in page  # escaped (SEC-02)
    for order in evidence:
        assert f'href="{order.get_seller_url()}"' in page
    # The trash icon is a labelled link to the confirmation.
    remove_url = reverse("buyers:remove", args=[entry.pk])
    assert f'href="{remove_url}" aria-label="Remove buyer from the tab"' in page


def test_blk_08_tab_says_a_copy_comes_from_the_linked_account(
    client, seller, seller_account, buyer, evidence, linked_seller, linked_seller_account
):
    add_entry(seller_account, seller, buyer, evidence)
    services.add_entry(linked_seller_account, seller=linked_seller, login=buyer.username)
    client.force_login(linked_seller)

    page = body(client.get(TAB))

    assert "Copied from the linked account Seller shop" in page
    for order in evidence:  # the original's evidence stays with the original account
        assert order.get_seller_url() not in page


def test_blk_01_tab_uses_constant_queries(client, seller, seller_account, bulk_offer):
    def tab_queries():
        client.force_login(seller)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(TAB)
        assert response.status_code == 200
        return len(queries)

    first = UserFactory(username="first")
    add_entry(seller_account, seller, first, bought(bulk_offer, first))
    one = tab_queries()

    for n in range(29):
        buyer = UserFactory(username=f"many{n}")
        if n % 10 == 0:
            bought(bulk_offer, buyer, count=1)
            services.add_entry(
                seller_account,
                seller=seller,
                login=buyer.username,
                reason=BlockReason.THREATS,
                images=three_pictures(),
            )
        else:
            add_entry(seller_account, seller, buyer, bought(bulk_offer, buyer))
    thirty = tab_queries()

    assert InactiveBuyer.objects.filter(seller_account=seller_account).count() == 30
    assert thirty == one, f"the tab made {one} queries for 1 entry and {thirty} for 30"


def test_sec_03_removed_entries_are_kept_in_the_history(client, seller, seller_account, buyer, evidence):
    entry = add_entry(seller_account, seller, buyer, evidence)
    services.remove_entry(entry, seller=seller)
    client.force_login(seller)

    assert "buyer" not in re.findall(r'class="entry-login">([^<]+)<', body(client.get(TAB)))
    history = body(client.get(TAB + "?show=history"))
    assert re.findall(r'class="entry-login">([^<]+)<', history) == ["buyer"]
    assert "Removed by the seller" in history
    assert reverse("buyers:remove", args=[entry.pk]) not in history


# --- BLK-01: removal -----------------------------------------------------------------------


def test_blk_01_remove_with_confirmation(client, seller, seller_account, buyer, evidence, offer):
    entry = add_entry(seller_account, seller, buyer, evidence)
    url = reverse("buyers:remove", args=[entry.pk])
    client.force_login(seller)

    confirm = client.get(url)

    assert confirm.status_code == 200
    assert "Do you want to remove <strong>buyer</strong> from your inactive buyers tab?" in body(confirm)
    assert InactiveBuyer.objects.get(pk=entry.pk).is_active  # nothing happens before the POST

    response = client.post(url, follow=True)

    assert response.redirect_chain == [(TAB, 302)]
    assert "buyer was removed from your tab and can buy in your offers again." in body(response)
    entry.refresh_from_db()
    assert entry.removed_at == NOW
    assert entry.removed_by == seller
    assert entry.removal == InactiveBuyer.Removal.SELLER
    assert services.restricted_refusal(buyer=buyer, offer=offer, now=NOW) is None

    again = client.post(url, follow=True)  # a second click: already gone, said plainly
    assert "buyer is no longer in your tab." in body(again)


@both_storages  # OPS-01
def test_blk_06_another_seller_cannot_see_an_entry_or_its_evidence(
    client, seller, seller_account, buyer, evidence, other_seller, linked_seller, mediator
):
    entry = services.add_entry(
        seller_account, seller=seller, login=buyer.username, reason=BlockReason.THREATS, images=three_pictures()
    )
    image = entry.images.first()
    urls = [
        reverse("buyers:remove", args=[entry.pk]),
        reverse("buyers:evidence", args=[image.pk]),
        reverse("buyers:evidence_thumbnail", args=[image.pk]),
    ]
    for stranger in (other_seller, linked_seller, buyer):
        client.force_login(stranger)
        for url in urls:
            assert client.get(url).status_code == 404, (stranger, url)
        assert client.post(urls[0]).status_code == 404
        if stranger != buyer:
            assert "threat-1.png" not in body(client.get(TAB))
    assert InactiveBuyer.objects.get(pk=entry.pk).is_active

    for allowed in (seller, mediator):
        client.force_login(allowed)
        response = client.get(urls[1])
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        assert Image.open(io.BytesIO(content)).format == "PNG"
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == "inline; filename*=UTF-8''threat-1.png"
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert response["Cache-Control"].startswith("private")


# --- BLK-03/04/07: step 1 ------------------------------------------------------------------


def test_blk_04_step_1_offers_the_three_reasons_and_lists_invalid_grounds(client, seller):
    client.force_login(seller)

    page = body(client.get(ADD))

    for reason in BlockReason:
        assert f'value="{reason.value}"' in page
        with translation.override("en"):
            assert escape(str(reason.label)) in page
    assert "<legend>Reason</legend>" in page
    assert INVALID_GROUNDS in page  # BLK-07, visible before anything is entered
    assert "opened a Discussion or left a negative comment" in page
    assert 'maxlength="1000"' in page


def test_blk_03_not_eligible_buyer_sees_why_and_the_faq(client, seller, other_buyer):
    client.force_login(seller)

    response = start(client, "other_buyer", reason=BlockReason.RULES_BREACH, note="Rude <i>messages</i>.")

    assert response.status_code == 400
    page = body(response)
    assert NOT_ELIGIBLE in page
    assert FAQ_ANSWER in page
    # What the seller typed and chose is kept; the error is tied to the field.
    assert 'value="other_buyer"' in page
    assert "Rude &lt;i&gt;messages&lt;/i&gt;." in page
    assert re.search(r'value="RULES_BREACH"[^>]*checked', page)
    assert 'aria-describedby="id_login_error"' in page
    assert 'id="id_login_error"' in page
    assert not InactiveBuyer.objects.exists()
    assert not client.session.get(SESSION_KEY)


def test_blk_03_safe_12_unknown_login_gets_the_not_eligible_message_and_the_faq(client, seller):
    client.force_login(seller)

    page = body(start(client, "nobody"))

    # SAFE-12: the same answer as a login that exists, so logins cannot be probed.
    assert NOT_ELIGIBLE in page
    assert "You cannot add nobody:" in page
    assert FAQ_ANSWER in page


def test_blk_03_a_buyer_who_bought_more_than_180_days_ago_is_not_eligible(client, seller, buyer, bulk_offer):
    bought(bulk_offer, buyer, count=3, start=NOW - timedelta(days=180) - HOUR * 3)
    client.force_login(seller)

    assert NOT_ELIGIBLE in body(start(client, "buyer"))


def test_blk_04_missing_reason_and_long_note_keep_what_was_typed(client, seller, buyer, evidence):
    client.force_login(seller)

    missing = start(client, "BUYER", reason="", note="Kept.")
    assert missing.status_code == 400
    assert "Choose why you are adding the buyer." in body(missing)
    assert 'value="BUYER"' in body(missing)
    assert "Kept." in body(missing)
    assert 'aria-describedby="reason-help id_reason_error"' in body(missing)

    long_note = start(client, "buyer", note="x" * 1001)
    assert long_note.status_code == 400
    assert "at most 1000 characters; yours has 1001" in body(long_note)
    assert not client.session.get(SESSION_KEY)


# --- BLK-05/06: the orders path ------------------------------------------------------------


def test_blk_05_checklist_shows_exactly_the_buyers_recent_orders(
    client, seller, buyer, other_buyer, bulk_offer, evidence, other_seller_account
):
    old = make_order(bulk_offer, buyer, now=NOW - timedelta(days=181))
    others = make_order(bulk_offer, other_buyer, now=NOW - DAY)
    elsewhere = make_order(OfferFactory(seller_account=other_seller_account), buyer, now=NOW - DAY)
    recent = [*evidence, make_order(bulk_offer, buyer, now=NOW - DAY)]
    client.force_login(seller)

    response = client.get(step_url(wizard_token(start(client, "buyer")), "evidence"), follow=False)

    assert response.status_code == 200
    page = body(response)
    shown = [int(pk) for pk in re.findall(r'name="orders" value="(\d+)"', page)]
    assert sorted(shown) == sorted(order.pk for order in recent)
    assert not {old.pk, others.pk, elsewhere.pk} & set(shown)
    assert "Cable × 1" in page
    assert "<legend>" in page and 'aria-describedby="orders-help"' in page


def test_blk_06_orders_flow_writes_the_entry_only_on_confirmation(client, seller, seller_account, buyer, evidence):
    client.force_login(seller)

    first = start(client, "buyer", note="Three fake addresses.")
    token = wizard_token(first)
    assert first["Location"] == step_url(token, "evidence")
    too_few = client.post(ADD, {"wizard": token, "step": "evidence", "orders": [evidence[0].pk, evidence[1].pk]})
    assert too_few.status_code == 400
    assert "Choose from 3 to 5 orders; you chose 2." in body(too_few)
    assert len(re.findall(r'name="orders" value="\d+" id="order-\d+" checked', body(too_few))) == 2
    chosen = client.post(ADD, {"wizard": token, "step": "evidence", "orders": [o.pk for o in evidence]})
    assert chosen["Location"] == step_url(token, "summary")
    summary = client.get(chosen["Location"])
    assert summary.status_code == 200
    for order in evidence:
        assert f"Order {order.number}" in body(summary)
    assert "Three fake addresses." in body(summary)
    assert ART_135 not in body(summary)
    assert not InactiveBuyer.objects.exists()  # nothing before confirmation

    response = client.post(ADD, {"wizard": token, "step": "summary"}, follow=True)

    assert response.redirect_chain == [(TAB, 302)]
    entry = InactiveBuyer.objects.get()
    assert (entry.seller_account, entry.buyer, entry.reason, entry.note) == (
        seller_account,
        buyer,
        BlockReason.FALSE_DATA,
        "Three fake addresses.",
    )
    assert sorted(entry.orders.values_list("pk", flat=True)) == sorted(o.pk for o in evidence)
    assert str(entry.wizard_token) == token
    assert "buyer is in your inactive buyers tab until" in body(response)
    assert not client.session.get(SESSION_KEY)


def test_blk_06_double_submit_creates_one_entry(client, seller, buyer, evidence):
    client.force_login(seller)
    token = wizard_token(start(client, "buyer"))
    client.post(ADD, {"wizard": token, "step": "evidence", "orders": [o.pk for o in evidence]})

    first = client.post(ADD, {"wizard": token, "step": "summary"})
    second = client.post(ADD, {"wizard": token, "step": "summary"}, follow=True)

    assert first["Location"] == TAB
    assert second.redirect_chain == [(TAB, 302)]
    assert "buyer is in your inactive buyers tab until" in body(second)
    assert InactiveBuyer.objects.count() == 1


def test_blk_06_two_wizards_in_one_session_do_not_clash(client, seller, buyer, other_buyer, bulk_offer, evidence):
    others = bought(bulk_offer, other_buyer)
    client.force_login(seller)
    one = wizard_token(start(client, "buyer", reason=BlockReason.FALSE_DATA))
    two = wizard_token(start(client, "other_buyer", reason=BlockReason.RULES_BREACH))
    assert one != two
    client.post(ADD, {"wizard": one, "step": "evidence", "orders": [o.pk for o in evidence]})
    client.post(ADD, {"wizard": two, "step": "evidence", "orders": [o.pk for o in others]})

    client.post(ADD, {"wizard": two, "step": "summary"})
    client.post(ADD, {"wizard": one, "step": "summary"})

    entries = {e.buyer.username: e.reason for e in InactiveBuyer.objects.select_related("buyer")}
    assert entries == {"buyer": BlockReason.FALSE_DATA, "other_buyer": BlockReason.RULES_BREACH}


def test_blk_06_a_step_not_reached_yet_sends_the_seller_to_the_right_one(client, seller, buyer, evidence):
    client.force_login(seller)
    token = wizard_token(start(client, "buyer"))

    assert client.get(step_url(token, "summary"))["Location"] == step_url(token, "evidence")
    assert client.post(ADD, {"wizard": token, "step": "summary"})["Location"] == step_url(token, "evidence")
    assert not InactiveBuyer.objects.exists()
    expired = client.get(step_url("00000000-0000-4000-8000-000000000000", "summary"), follow=True)
    assert expired.redirect_chain == [(ADD, 302)]
    assert "This form has expired" in body(expired)


def test_blk_06_back_to_step_1_keeps_what_was_entered(client, seller, buyer, evidence):
    client.force_login(seller)
    token = wizard_token(start(client, "buyer", reason=BlockReason.RULES_BREACH, note="Repeated abuse."))
    client.post(ADD, {"wizard": token, "step": "evidence", "orders": [o.pk for o in evidence]})

    page = body(client.get(step_url(token, "buyer")))
    assert 'value="buyer"' in page
    assert re.search(r'value="RULES_BREACH"[^>]*checked', page)
    assert "Repeated abuse." in page
    back = body(client.get(step_url(token, "evidence")))
    assert len(re.findall(r" checked>", back)) == 3


# --- BLK-05/06: the pictures path ----------------------------------------------------------


@both_storages  # OPS-01
def test_blk_06_back_keeps_uploaded_files(client, seller, seller_account, buyer, evidence):
    client.force_login(seller)
    token = wizard_token(start(client, "buyer", reason=BlockReason.THREATS))
    evidence_page = body(client.get(step_url(token, "evidence")))
    assert 'type="file"' in evidence_page and "multiple" in evidence_page
    assert 'accept="image/jpeg,image/png,image/webp"' in evidence_page

    uploaded = client.post(ADD, {"wizard": token, "step": "evidence", "files": three_pictures()})

    assert uploaded["Location"] == step_url(token, "summary")
    # Staged privately, under generated names, and no entry yet.
    staged = staged_files()
    assert len(staged) == 6  # three pictures and their thumbnails
    assert all(token in str(path) and "threat" not in path.name for path in staged)
    assert not InactiveBuyer.objects.exists() and not EvidenceImage.objects.exists()
    summary = body(client.get(step_url(token, "summary")))
    assert summary.count('src="data:image/jpeg;base64,') == 3
    assert "threat-2.jpg" in summary
    # Back: the pictures are still there, and Next without choosing files keeps them.
    back = body(client.get(step_url(token, "evidence")))
    assert back.count('src="data:image/jpeg;base64,') == 3
    again = client.post(ADD, {"wizard": token, "step": "evidence"})
    assert again["Location"] == step_url(token, "summary")
    assert staged_files() == staged

    client.post(ADD, {"wizard": token, "step": "summary"})

    entry = InactiveBuyer.objects.get()
    assert entry.reason == BlockReason.THREATS
    assert [i.original_name for i in entry.images.all()] == ["threat-1.png", "threat-2.jpg", "threat-3.png"]
    assert staged_files() == []  # the wizard's files are gone once the entry holds them


def test_blk_05_bad_pictures_are_refused_and_the_staged_ones_stay(client, seller, buyer, evidence):
    client.force_login(seller)
    token = wizard_token(start(client, "buyer", reason=BlockReason.THREATS))

    two = client.post(ADD, {"wizard": token, "step": "evidence", "files": three_pictures()[:2]})
    assert two.status_code == 400
    assert "Add from 3 to 5 pictures proving the threats; you chose 2." in body(two)
    assert staged_files() == []

    client.post(ADD, {"wizard": token, "step": "evidence", "files": three_pictures()})
    staged = staged_files()
    fake = [SimpleUploadedFile(f"fake-{n}.png", b"not a picture at all", content_type="image/png") for n in range(3)]
    refused = client.post(ADD, {"wizard": token, "step": "evidence", "files": fake})

    assert refused.status_code == 400
    assert "“fake-0.png” is not a JPEG, PNG or WebP file" in body(refused)
    assert 'aria-describedby="id_files_helptext id_files_error"' in body(refused)
    assert body(refused).count('src="data:image/jpeg;base64,') == 3  # the earlier ones are kept
    assert staged_files() == staged


@both_storages  # OPS-01
def test_blk_06_replacing_pictures_deletes_the_earlier_ones(client, seller, buyer, evidence):
    client.force_login(seller)
    token = wizard_token(start(client, "buyer", reason=BlockReason.THREATS))
    client.post(ADD, {"wizard": token, "step": "evidence", "files": three_pictures()})
    first = staged_files()

    client.post(ADD, {"wizard": token, "step": "evidence", "files": [*three_pictures(), png("threat-4.png")]})

    assert len(staged_files()) == 8
    assert not set(first) & set(staged_files())


# --- BLK-07: the warning on the summary ------------------------------------------------------


def test_blk_07_warning_on_summary(client, seller, buyer, evidence):
    for order in evidence[:2]:
        discussion_services.open_discussion(
            order, buyer=buyer, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED, now=order.created_at + HOUR
        )
    order_services.refund_order(evidence[2], seller=seller, full=True, now=evidence[2].created_at + 2 * HOUR)
    client.force_login(seller)
    token = wizard_token(start(client, "buyer"))
    client.post(ADD, {"wizard": token, "step": "evidence", "orders": [o.pk for o in evidence]})

    page = body(client.get(step_url(token, "summary")))

    assert "This may be an unjustified refusal to sell." in page
    assert ART_135 in page
    assert 'role="alert"' in page


# --- BLK-08: linked accounts ---------------------------------------------------------------


def test_blk_08_linked_account_only_confirms(
    client, seller, seller_account, buyer, evidence, linked_seller, linked_seller_account
):
    original = add_entry(seller_account, seller, buyer, evidence)
    client.force_login(linked_seller)

    first = client.post(ADD, {"step": "buyer", "login": "buyer"})  # no reason, no evidence

    token = wizard_token(first)
    assert first["Location"] == step_url(token, "summary")
    assert client.get(step_url(token, "evidence"))["Location"] == step_url(token, "summary")
    page = body(client.get(step_url(token, "summary")))
    assert "is in the inactive buyers tab of your linked account Seller shop" in page
    assert "2. Summary" in page and "3. Summary" not in page
    assert not InactiveBuyer.objects.filter(seller_account=linked_seller_account).exists()

    client.post(ADD, {"wizard": token, "step": "summary"})

    copy = InactiveBuyer.objects.get(seller_account=linked_seller_account)
    assert copy.source == original
    assert copy.added_at == NOW
    assert copy.expires_at == NOW + timedelta(days=180)


# --- BLK-09: the offer page ----------------------------------------------------------------


def test_blk_09_restricted_buyer_sees_the_restriction_and_no_buy_form(
    client, seller, seller_account, buyer, evidence, offer
):
    add_entry(seller_account, seller, buyer, evidence, note="Secret note")
    client.force_login(buyer)
    url = reverse("orders:offer_detail", args=[offer.pk])

    page = body(client.get(url))
    assert RESTRICTED in page
    assert 'name="payment_method"' not in page
    assert "Secret note" not in page and "false contact details" not in page

    orders_before = Order.objects.filter(buyer=buyer).count()
    refused = client.post(url, {"quantity": 1, "payment_method": Order.PaymentMethod.ONLINE})
    assert RESTRICTED in body(refused)
    assert Order.objects.filter(buyer=buyer).count() == orders_before
