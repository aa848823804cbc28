"""The inactive-buyers tab through its services (BLK-01…10, ORD-03).

Orders are real purchases made through orders.services at explicit instants (STYLE §13);
an entry is added one day after the buyer's purchases unless a test says otherwise.
Messages are checked in English, the source language, so the tests do not depend on
the state of the Polish catalogue.
"""

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from buyers import services, tasks
from buyers.models import ENTRY_DAYS, BlockReason, EvidenceImage, InactiveBuyer
from core.errors import ConcurrentUpdate, DomainError
from core.uploads import MAX_BYTES
from discussions import services as discussion_services
from discussions.models import Reason
from orders import services as order_services
from orders.models import AuditRecord, Offer, Order
from tests.factories import OfferFactory
from tests.storage import both_storages, stored_names

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
WINDOW = timedelta(days=ENTRY_DAYS)

BOUGHT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # the buyer's purchases
ADDED = BOUGHT + DAY  # the seller confirms the entry


# --- Helpers (also used by test_tasks.py and test_races.py) ---------------------------


def buy(offer, buyer, now, *, paid=True):
    """A real order: *Kup teraz* at `now`, paid online five minutes later."""
    order = order_services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=now)
    if paid:
        order_services.pay_order(order, buyer=buyer, now=now + 5 * MINUTE)
    return order


def bought(offer, buyer, count=3, *, now=BOUGHT, paid=True):
    """`count` orders of the buyer from the offer's account, a minute apart from `now`."""
    return [buy(offer, buyer, now + i * MINUTE, paid=paid) for i in range(count)]


def add_with_orders(account, seller, buyer, orders, *, now=ADDED, **kwargs):
    """Step 3 of the wizard for FALSE_DATA, with the given orders as evidence."""
    kwargs.setdefault("reason", BlockReason.FALSE_DATA)
    return services.add_entry(
        account, seller=seller, login=buyer.username, order_ids=[o.pk for o in orders], now=now, **kwargs
    )


def image_bytes(fmt, size=(640, 480), mode="RGB", color="red"):
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt)
    return out.getvalue()


def image_upload(name, fmt="PNG", **kwargs):
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs))


def three_images():
    return [
        image_upload("threat-1.jpg", "JPEG"),
        image_upload("threat-2.png", "PNG"),
        image_upload("threat-3.webp", "WEBP"),
    ]


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb_png(width=20_000, height=20_000):
    """A real 1-bit PNG of width × height black pixels (400 Mpx): about 50 kB on disk,
    50 MB once decoded. Written chunk by chunk, so the test never holds the pixels."""
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = bytearray()
    for _ in range(height // 1000):
        idat += compressor.compress(row * 1000)
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", bytes(idat)) + _png_chunk(b"IEND", b"")
    )


def stored_files():
    """Every stored file, through the storage API (the local disk or the object store)."""
    return stored_names()


def assert_nothing_stored():
    assert not InactiveBuyer.objects.exists()
    assert not EvidenceImage.objects.exists()
    assert stored_files() == []


def restriction_message(buyer, offer, now):
    """What ORD-03 tells the buyer, or None."""
    return order_services.purchase_refusal(buyer=buyer, offer=offer, now=now)


@pytest.fixture(autouse=True)
def _english(_reset_locale):
    """Messages are checked in the source language (BLK-09 checks Polish as well)."""
    translation.activate("en")


@pytest.fixture
def other_offer(other_seller_account):
    return OfferFactory(seller_account=other_seller_account, title="Lamp", stock=100)


@pytest.fixture
def linked_offer(linked_seller_account):
    return OfferFactory(seller_account=linked_seller_account, title="Kabel", stock=100)


@pytest.fixture
def evidence(bulk_offer, buyer):
    """Three paid orders of the buyer from the seller's account, bought at BOUGHT."""
    return bought(bulk_offer, buyer)


@pytest.fixture
def entry(seller_account, seller, buyer, evidence):
    return add_with_orders(seller_account, seller, buyer, evidence, note="Fake address twice.")


# --- BLK-01 / ORD-03: an entry stops purchases from that account ---------------------


def test_blk_01_ord_03_restricted_buyer_cannot_buy_that_accounts_offers(offer, buyer, entry):
    orders_before = Order.objects.filter(buyer=buyer).count()

    with pytest.raises(DomainError) as refused:
        buy(offer, buyer, ADDED + HOUR)

    assert refused.value.message == services.restricted_refusal(buyer=buyer, offer=offer, now=ADDED)
    assert Order.objects.filter(buyer=buyer).count() == orders_before
    assert Offer.objects.get(pk=offer.pk).stock == 5


def test_blk_01_ord_03_restriction_applies_to_every_offer_of_the_account(bulk_offer, offer, buyer, entry):
    for each in (offer, bulk_offer):
        assert restriction_message(buyer, each, ADDED + HOUR)
        with pytest.raises(DomainError):
            buy(each, buyer, ADDED + HOUR)


def test_blk_01_offers_of_other_sellers_and_of_linked_accounts_are_unaffected(
    buyer, entry, other_offer, linked_offer, other_buyer, offer
):
    assert buy(other_offer, buyer, ADDED + HOUR).seller_account == other_offer.seller_account
    # The entry is per account; a linked account restricts only by its own entry (BLK-08).
    assert buy(linked_offer, buyer, ADDED + HOUR).seller_account == linked_offer.seller_account
    # Other buyers still buy from the account that restricted this one.
    assert buy(offer, other_buyer, ADDED + HOUR).buyer == other_buyer


def test_blk_01_after_the_seller_removes_the_entry_the_purchase_works(offer, buyer, seller, entry):
    services.remove_entry(entry, seller=seller, now=ADDED + HOUR)

    assert restriction_message(buyer, offer, ADDED + 2 * HOUR) is None
    order = buy(offer, buyer, ADDED + 2 * HOUR)
    assert order.buyer == buyer
    assert Offer.objects.get(pk=offer.pk).stock == 4


def test_blk_01_removing_an_entry_twice_is_a_concurrent_update(seller, entry):
    services.remove_entry(entry, seller=seller, now=ADDED + HOUR)

    with pytest.raises(ConcurrentUpdate):
        services.remove_entry(entry, seller=seller, now=ADDED + 2 * HOUR)

    entry.refresh_from_db()
    assert entry.removed_at == ADDED + HOUR


def test_blk_01_sec_03_a_removed_entry_keeps_its_row_with_who_when_and_how(seller, entry, evidence):
    services.remove_entry(entry, seller=seller, now=ADDED + HOUR)

    kept = InactiveBuyer.objects.get(pk=entry.pk)
    assert not kept.is_active
    assert kept.removed_at == ADDED + HOUR
    assert kept.removed_by == seller
    assert kept.removal == InactiveBuyer.Removal.SELLER
    assert kept.reason == BlockReason.FALSE_DATA
    assert kept.note == "Fake address twice."
    assert set(kept.orders.all()) == set(evidence)


def test_blk_01_a_removed_buyer_can_be_added_again_as_a_new_entry(seller_account, seller, buyer, entry, evidence):
    services.remove_entry(entry, seller=seller, now=ADDED + HOUR)

    again = add_with_orders(seller_account, seller, buyer, evidence, now=ADDED + 2 * HOUR)

    assert again.pk != entry.pk
    assert again.is_active
    assert InactiveBuyer.objects.filter(buyer=buyer).count() == 2


# --- BLK-02: 180 days from the adding --------------------------------------------------


def test_blk_02_an_entry_expires_180_days_after_it_was_added(entry):
    assert entry.added_at == ADDED
    assert entry.expires_at == ADDED + timedelta(days=180)


def test_blk_02_ord_03_an_entry_past_its_expiry_does_not_restrict_before_the_task_runs(offer, buyer, entry):
    assert restriction_message(buyer, offer, entry.expires_at - SECOND)
    assert services.restricted_refusal(buyer=buyer, offer=offer, now=entry.expires_at) is None

    order = buy(offer, buyer, entry.expires_at + SECOND)

    assert order.buyer == buyer
    assert InactiveBuyer.objects.get(pk=entry.pk).is_active  # the sweep has not run yet


# --- BLK-03: who can be added -----------------------------------------------------------


def test_blk_03_buyer_whose_last_order_is_179_days_23_hours_old_can_be_added(seller_account, seller, buyer, evidence):
    now = evidence[-1].created_at + 179 * DAY + 23 * HOUR

    check = services.check_buyer(seller_account, buyer.username, now=now)

    assert check.buyer == buyer
    assert not check.is_linked_copy
    assert [o.pk for o in check.recent_orders] == [o.pk for o in reversed(evidence)]
    added = add_with_orders(seller_account, seller, buyer, evidence, now=now)
    assert added.is_active


def test_blk_03_buyer_whose_last_order_is_180_days_and_1_second_old_is_refused_with_why(
    seller_account, seller, buyer, bulk_offer
):
    last = bought(bulk_offer, buyer)[-1]
    now = last.created_at + 180 * DAY + SECOND

    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, buyer.username, now=now)

    assert refused.value.field == "login"
    message = refused.value.message
    assert "180 days" in message
    assert "have not bought from this account" in message
    assert "no justified reason" in message  # the FAQ answer
    with translation.override("pl"), pytest.raises(DomainError) as refused_pl:
        services.check_buyer(seller_account, buyer.username, now=now)
    assert "180" in refused_pl.value.message
    with pytest.raises(DomainError):
        add_with_orders(seller_account, seller, buyer, Order.objects.filter(buyer=buyer), now=now)
    assert_nothing_stored()


def test_blk_03_buyer_who_never_bought_from_this_account_is_refused(seller_account, seller, buyer, other_offer):
    bought(other_offer, buyer)  # from another seller only

    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, buyer.username, now=ADDED)

    assert refused.value.field == "login"
    assert "have not bought from this account in the last 180 days" in refused.value.message
    with pytest.raises(DomainError):
        services.add_entry(seller_account, seller=seller, login=buyer.username, reason=BlockReason.THREATS, now=ADDED)
    assert_nothing_stored()


@pytest.mark.parametrize("login", ["nobody", "", "   "])
def test_blk_03_unknown_or_empty_login_is_an_error_on_the_login_field(seller_account, login):
    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, login, now=ADDED)

    assert refused.value.field == "login"


def test_blk_03_an_inactive_user_is_not_a_buyer_to_add(seller_account, buyer, evidence):
    buyer.is_active = False
    buyer.save(update_fields=["is_active"])

    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, buyer.username, now=ADDED)

    assert refused.value.field == "login"


def test_blk_03_the_login_is_matched_ignoring_case_and_spaces(seller_account, buyer, evidence):
    assert services.check_buyer(seller_account, "  BUYER ", now=ADDED).buyer == buyer


def test_blk_03_the_sellers_own_login_is_refused(seller_account, seller):
    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, seller.username, now=ADDED)

    assert refused.value.field == "login"
    # SAFE-12: the same answer as any login that cannot be added.
    assert "have not bought from this account in the last 180 days" in refused.value.message


def test_blk_03_a_buyer_already_in_the_tab_is_refused(seller_account, seller, buyer, entry, evidence):
    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, buyer.username, now=ADDED + HOUR)

    assert refused.value.field == "login"
    assert "already in your inactive buyers tab" in refused.value.message
    with pytest.raises(DomainError):
        add_with_orders(seller_account, seller, buyer, evidence, now=ADDED + HOUR)
    assert InactiveBuyer.objects.filter(buyer=buyer).count() == 1


# --- BLK-04: reason and note ------------------------------------------------------------


@pytest.mark.parametrize("reason", BlockReason.values)
def test_blk_04_every_listed_reason_is_accepted(reason):
    assert services.check_reason(reason, "") == (reason, "")


def test_blk_04_a_note_of_1000_characters_is_kept(seller_account, seller, buyer, evidence):
    note = "x" * 1000

    assert services.check_reason(BlockReason.FALSE_DATA, note) == (BlockReason.FALSE_DATA, note)
    added = add_with_orders(seller_account, seller, buyer, evidence, note=note)
    assert InactiveBuyer.objects.get(pk=added.pk).note == note


def test_blk_04_a_note_of_1001_characters_is_refused(seller_account, seller, buyer, evidence):
    with pytest.raises(DomainError) as refused:
        services.check_reason(BlockReason.FALSE_DATA, "x" * 1001)

    assert refused.value.field == "note"
    with pytest.raises(DomainError) as refused:
        add_with_orders(seller_account, seller, buyer, evidence, note="x" * 1001)
    assert refused.value.field == "note"
    assert_nothing_stored()


@pytest.mark.parametrize("reason", ["", "OTHER", "threats", None])
def test_blk_04_an_unknown_reason_is_refused(seller_account, seller, buyer, evidence, reason):
    with pytest.raises(DomainError) as refused:
        services.check_reason(reason, "")

    assert refused.value.field == "reason"
    with pytest.raises(DomainError):
        add_with_orders(seller_account, seller, buyer, evidence, reason=reason)
    assert_nothing_stored()


# --- BLK-05: evidence -------------------------------------------------------------------


def add_threats(account, seller, buyer, images, now=ADDED, **kwargs):
    return services.add_entry(
        account, seller=seller, login=buyer.username, reason=BlockReason.THREATS, images=images, now=now, **kwargs
    )


@both_storages  # OPS-01
def test_blk_05_three_valid_jpeg_png_webp_pictures_are_stored_with_thumbnails(seller_account, seller, buyer, evidence):
    added = add_threats(seller_account, seller, buyer, three_images())

    images = list(added.images.all())
    assert [i.original_name for i in images] == ["threat-1.jpg", "threat-2.png", "threat-3.webp"]
    assert [i.content_type for i in images] == ["image/jpeg", "image/png", "image/webp"]
    for image in images:
        assert image.file.storage.exists(image.file.name)
        assert image.thumbnail.storage.exists(image.thumbnail.name)
        assert image.original_name not in image.file.name  # generated names only
        assert image.size == image.file.size
        with image.file.open("rb") as f, Image.open(f) as picture:
            assert picture.size == (640, 480)
        with image.thumbnail.open("rb") as f, Image.open(f) as thumb:
            assert thumb.size == (240, 180)
    assert len(stored_files()) == 6
    assert not added.orders.exists()


def test_blk_05_the_type_comes_from_the_content_not_the_name(seller_account, seller, buyer, evidence):
    images = [image_upload("photo.png", "JPEG"), image_upload("b.png"), image_upload("c.png")]

    added = add_threats(seller_account, seller, buyer, images)

    assert added.images.first().content_type == "image/jpeg"
    assert added.images.first().file.name.endswith(".jpg")


def test_blk_05_five_pictures_are_accepted(seller_account, seller, buyer, evidence):
    images = [image_upload(f"{i}.png", size=(32, 32)) for i in range(5)]

    assert add_threats(seller_account, seller, buyer, images).images.count() == 5


@pytest.mark.parametrize("count", [0, 2, 6])
def test_blk_05_threats_with_fewer_than_3_or_more_than_5_pictures_are_refused(
    seller_account, seller, buyer, evidence, count
):
    images = [image_upload(f"{i}.png", size=(32, 32)) for i in range(count)]

    with pytest.raises(DomainError) as refused:
        add_threats(seller_account, seller, buyer, images)

    assert refused.value.field == "files"
    assert f"you chose {count}" in refused.value.message
    assert_nothing_stored()


def _invalid_uploads():
    text = SimpleUploadedFile("threat.png", b"I will ruin your shop.\n" * 20, content_type="image/png")
    small = image_bytes("PNG", size=(16, 16))
    too_big = SimpleUploadedFile("big.png", small + b"\0" * (MAX_BYTES + 1 - len(small)))
    bomb = SimpleUploadedFile("bomb.png", decompression_bomb_png())
    pdf = SimpleUploadedFile("threats.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    gif = SimpleUploadedFile("threat.gif", image_bytes("GIF", size=(16, 16)))
    return [
        pytest.param(text, id="text-renamed-png"),
        pytest.param(too_big, id="10MB-plus-1-byte"),
        pytest.param(bomb, id="decompression-bomb"),
        pytest.param(pdf, id="pdf"),
        pytest.param(gif, id="gif"),
        pytest.param(SimpleUploadedFile("empty.png", b""), id="empty"),
    ]


@pytest.mark.parametrize("bad", _invalid_uploads())
def test_blk_05_an_invalid_picture_refuses_the_whole_entry_and_nothing_is_stored(
    seller_account, seller, buyer, evidence, bad
):
    images = [image_upload("a.png"), bad, image_upload("c.jpg", "JPEG")]

    with pytest.raises(DomainError) as refused:
        add_threats(seller_account, seller, buyer, images)

    assert refused.value.field == "files"
    assert bad.name in str(refused.value.message)  # says which file
    with pytest.raises(DomainError):
        services.check_images(images)
    assert_nothing_stored()


def test_blk_05_the_upload_size_limit_is_10_mb_exactly():
    small = image_bytes("PNG", size=(16, 16))
    exactly = SimpleUploadedFile("exact.png", small + b"\0" * (MAX_BYTES - len(small)))
    assert MAX_BYTES == 10 * 1024 * 1024 == exactly.size

    checked = services.check_images([exactly, image_upload("b.png"), image_upload("c.png")])

    assert [c.content_type for c in checked] == ["image/png"] * 3
    assert stored_files() == []


@both_storages  # OPS-01
def test_blk_05_the_decompression_bomb_message_says_why(seller_account, seller, buyer, evidence):
    bomb = SimpleUploadedFile("bomb.png", decompression_bomb_png())
    assert len(bomb.read()) < 200_000  # small on disk

    with pytest.raises(DomainError) as refused:
        services.check_images([bomb, image_upload("b.png"), image_upload("c.png")])

    assert "too many pixels" in refused.value.message


def test_blk_05_three_to_five_of_the_buyers_recent_orders_are_the_evidence(seller_account, seller, buyer, bulk_offer):
    orders = bought(bulk_offer, buyer, 5)

    assert services.check_orders(seller_account, buyer, [str(o.pk) for o in orders], now=ADDED) == orders
    added = add_with_orders(seller_account, seller, buyer, orders)
    assert set(added.orders.all()) == set(orders)
    assert not added.images.exists()


@pytest.mark.parametrize("count", [2, 6])
def test_blk_05_fewer_than_3_or_more_than_5_orders_are_refused(seller_account, seller, buyer, bulk_offer, count):
    orders = bought(bulk_offer, buyer, 6)[:count]

    with pytest.raises(DomainError) as refused:
        add_with_orders(seller_account, seller, buyer, orders)

    assert refused.value.field == "orders"
    assert f"you chose {count}" in refused.value.message
    assert_nothing_stored()


def test_blk_05_the_same_order_twice_counts_once(seller_account, seller, buyer, evidence):
    with pytest.raises(DomainError) as refused:
        services.check_orders(seller_account, buyer, [evidence[0].pk, evidence[0].pk, evidence[1].pk], now=ADDED)

    assert refused.value.field == "orders"


def test_blk_05_an_order_of_another_buyer_is_refused(seller_account, seller, buyer, other_buyer, bulk_offer, evidence):
    foreign = buy(bulk_offer, other_buyer, BOUGHT)

    with pytest.raises(DomainError) as refused:
        add_with_orders(seller_account, seller, buyer, [*evidence[:2], foreign])

    assert refused.value.field == "orders"
    assert_nothing_stored()


@pytest.mark.parametrize("account", ["other", "linked"])
def test_blk_05_an_order_from_another_seller_account_is_refused(
    seller_account, seller, buyer, evidence, other_offer, linked_offer, account
):
    foreign = buy(other_offer if account == "other" else linked_offer, buyer, BOUGHT)

    with pytest.raises(DomainError) as refused:
        add_with_orders(seller_account, seller, buyer, [*evidence[:2], foreign])

    assert refused.value.field == "orders"
    assert "from the last 180 days" in refused.value.message
    assert_nothing_stored()


def test_blk_05_an_order_older_than_180_days_is_refused(seller_account, seller, buyer, bulk_offer):
    old = buy(bulk_offer, buyer, BOUGHT - 180 * DAY)
    recent = bought(bulk_offer, buyer, 3)
    # At ADDED the old order is 181 days old; one 180 days old would be too.
    assert services.check_orders(seller_account, buyer, [o.pk for o in recent], now=ADDED) == recent

    with pytest.raises(DomainError) as refused:
        add_with_orders(seller_account, seller, buyer, [old, *recent[:2]])

    assert refused.value.field == "orders"
    assert_nothing_stored()


@pytest.mark.parametrize("ids", [["x", "1", "2"], [None, 1, 2], [999_991, 999_992, 999_993]])
def test_blk_05_order_ids_that_are_not_the_buyers_orders_are_refused(seller_account, buyer, evidence, ids):
    with pytest.raises(DomainError) as refused:
        services.check_orders(seller_account, buyer, ids, now=ADDED)

    assert refused.value.field == "orders"


# --- BLK-06: nothing before confirmation; one entry per confirmation ---------------------


def test_blk_06_the_steps_before_confirmation_store_nothing(seller_account, buyer, evidence):
    services.check_buyer(seller_account, buyer.username, now=ADDED)
    services.check_reason(BlockReason.THREATS, "note")
    services.check_images(three_images())
    services.check_orders(seller_account, buyer, [o.pk for o in evidence], now=ADDED)
    services.unjustified_warning(evidence)

    assert_nothing_stored()


@both_storages  # OPS-01
def test_blk_06_confirming_twice_with_the_same_token_gives_one_entry(seller_account, seller, buyer, evidence):
    token = services.new_token()

    first = add_threats(seller_account, seller, buyer, three_images(), token=token)
    second = add_threats(seller_account, seller, buyer, three_images(), token=token, now=ADDED + SECOND)

    assert second.pk == first.pk
    assert InactiveBuyer.objects.count() == 1
    assert EvidenceImage.objects.count() == 3
    assert len(stored_files()) == 6


def test_blk_06_a_new_token_after_the_entry_exists_is_refused_as_already_in_the_tab(
    seller_account, seller, buyer, evidence
):
    add_with_orders(seller_account, seller, buyer, evidence, token=services.new_token())

    with pytest.raises(DomainError) as refused:
        add_with_orders(seller_account, seller, buyer, evidence, token=services.new_token())

    assert refused.value.field == "login"
    assert InactiveBuyer.objects.count() == 1


# --- BLK-07: the unjustified-refusal warning ---------------------------------------------


def open_discussion(order, *, now=None):
    """The buyer opens a Discussion about the order's only line, an hour after buying."""
    return discussion_services.open_discussion(
        order,
        buyer=order.buyer,
        line_id=order.lines.get().pk,
        reason=Reason.NOT_RECEIVED,
        now=now or order.created_at + HOUR,
    )


def refund(order, seller):
    return order_services.refund_order(order, seller=seller, full=True, now=order.created_at + 2 * HOUR)


def test_blk_07_warns_when_every_order_has_only_a_discussion_or_a_withdrawal(seller, evidence):
    open_discussion(evidence[0])
    open_discussion(evidence[1])
    refund(evidence[2], seller)

    assert services.unjustified_warning(evidence) is True


def test_blk_07_no_warning_when_one_order_has_neither_discussion_nor_refund(seller, evidence):
    open_discussion(evidence[0])
    refund(evidence[1], seller)

    assert services.unjustified_warning(evidence) is False


def test_blk_07_no_warning_when_an_order_with_a_discussion_is_unpaid_or_cancelled(buyer, bulk_offer, evidence):
    unpaid = buy(bulk_offer, buyer, BOUGHT + HOUR, paid=False)
    cancelled = buy(bulk_offer, buyer, BOUGHT + HOUR, paid=False)
    for order in (*evidence, unpaid, cancelled):
        open_discussion(order)
    order_services.cancel_order(cancelled, buyer=buyer, now=BOUGHT + 3 * HOUR)

    assert services.unjustified_warning(evidence) is True
    assert services.unjustified_warning([*evidence[:2], unpaid]) is False
    assert services.unjustified_warning([*evidence[:2], cancelled]) is False


def test_blk_07_no_warning_without_orders(seller_account, buyer):
    assert services.unjustified_warning([]) is False


# --- BLK-08: linked accounts ---------------------------------------------------------------


def test_blk_08_a_login_in_a_linked_accounts_tab_is_added_with_only_confirmation(
    linked_seller_account, linked_seller, buyer, entry
):
    check = services.check_buyer(linked_seller_account, buyer.username, now=ADDED + DAY)
    assert check.is_linked_copy
    assert check.linked_entry == entry
    assert check.recent_orders == []  # never bought from the linked account

    copy = services.add_entry(linked_seller_account, seller=linked_seller, login=buyer.username, now=ADDED + DAY)

    assert copy.source == entry
    assert copy.evidence_entry == entry
    assert copy.seller_account == linked_seller_account
    assert copy.reason == entry.reason
    assert copy.added_by == linked_seller
    assert not copy.orders.exists()
    assert not copy.images.exists()


def test_blk_08_a_copy_ignores_reason_and_evidence_given_again(
    linked_seller_account, linked_seller, buyer, entry, evidence
):
    copy = services.add_entry(
        linked_seller_account,
        seller=linked_seller,
        login=buyer.username,
        reason=BlockReason.THREATS,
        images=[image_upload("a.png")],
        order_ids=[evidence[0].pk],
        now=ADDED + DAY,
    )

    assert copy.reason == BlockReason.FALSE_DATA
    assert not copy.images.exists()
    assert not copy.orders.exists()
    assert stored_files() == []


def test_blk_08_a_copy_restricts_purchases_on_the_linked_account(
    linked_seller_account, linked_seller, linked_offer, buyer, entry
):
    services.add_entry(linked_seller_account, seller=linked_seller, login=buyer.username, now=ADDED + DAY)

    with pytest.raises(DomainError):
        buy(linked_offer, buyer, ADDED + 2 * DAY)


def test_blk_02_blk_08_a_copys_180_days_count_from_its_own_adding(
    linked_seller_account, linked_seller, linked_offer, offer, buyer, entry
):
    copied_at = ADDED + 30 * DAY
    copy = services.add_entry(linked_seller_account, seller=linked_seller, login=buyer.username, now=copied_at)
    assert copy.added_at == copied_at
    assert copy.expires_at == copied_at + WINDOW

    assert tasks.expire_entries(now=ADDED + WINDOW + SECOND) == 1

    assert not InactiveBuyer.objects.get(pk=entry.pk).is_active
    assert InactiveBuyer.objects.get(pk=copy.pk).is_active
    assert buy(offer, buyer, ADDED + WINDOW + HOUR).buyer == buyer
    assert restriction_message(buyer, linked_offer, ADDED + WINDOW + HOUR)


def test_blk_08_a_login_in_an_unlinked_accounts_tab_with_no_orders_here_is_refused(
    seller_account, seller, other_seller_account, other_seller, other_offer, buyer
):
    add_with_orders(other_seller_account, other_seller, buyer, bought(other_offer, buyer))

    with pytest.raises(DomainError) as refused:
        services.check_buyer(seller_account, buyer.username, now=ADDED + DAY)

    assert refused.value.field == "login"
    with pytest.raises(DomainError):
        services.add_entry(seller_account, seller=seller, login=buyer.username, now=ADDED + DAY)
    assert InactiveBuyer.objects.filter(seller_account=seller_account).count() == 0


def test_blk_08_a_removed_original_is_no_longer_a_ground_for_a_copy(linked_seller_account, seller, buyer, entry):
    services.remove_entry(entry, seller=seller, now=ADDED + HOUR)

    with pytest.raises(DomainError) as refused:
        services.check_buyer(linked_seller_account, buyer.username, now=ADDED + DAY)

    assert refused.value.field == "login"


# --- BLK-09: what the refused buyer learns; one query ---------------------------------------


def test_blk_09_ord_03_the_refusal_says_the_seller_restricted_purchases_and_nothing_more(
    seller_account, seller, buyer, offer
):
    note = "Threatened me in 3 messages"
    bought(offer, buyer, 3)
    add_threats(seller_account, seller, buyer, three_images(), note=note)

    for language in ("pl", "en"):
        with translation.override(language):
            refusal = restriction_message(buyer, offer, ADDED + HOUR)
            with pytest.raises(DomainError) as refused:
                buy(offer, buyer, ADDED + HOUR)
            assert refused.value.message == refusal
            assert str(BlockReason.THREATS.label) not in refusal
            assert note not in refusal
            assert "threat" not in refusal.lower()
            assert ".png" not in refusal and ".jpg" not in refusal
    assert "seller has restricted your purchases" in refusal


def test_blk_09_the_purchase_check_is_one_query(django_assert_num_queries, offer, buyer, entry, other_buyer):
    with django_assert_num_queries(1):
        assert services.restricted_refusal(buyer=buyer, offer=offer, now=ADDED + HOUR)
    with django_assert_num_queries(1):
        assert services.restricted_refusal(buyer=other_buyer, offer=offer, now=ADDED + HOUR) is None


# --- BLK-10: mediators remove abusive entries ------------------------------------------------


def test_blk_10_a_mediator_removes_an_entry_with_a_reason_and_it_is_audited(mediator, entry, offer, buyer):
    removed = services.remove_by_mediator(entry, mediator=mediator, reason="Retaliation for a Discussion.", now=ADDED)

    assert removed.removal == InactiveBuyer.Removal.MEDIATOR
    assert removed.removed_by == mediator
    assert removed.removed_at == ADDED
    assert removed.removal_reason == "Retaliation for a Discussion."
    record = AuditRecord.objects.get()
    assert record.actor == mediator
    assert record.action == "REMOVE_INACTIVE_BUYER"
    assert record.reason == "Retaliation for a Discussion."
    assert record.object_id == str(entry.pk)
    assert record.at == ADDED
    assert buy(offer, buyer, ADDED + HOUR).buyer == buyer


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_blk_10_a_mediator_must_give_a_reason(mediator, entry, reason):
    with pytest.raises(DomainError) as refused:
        services.remove_by_mediator(entry, mediator=mediator, reason=reason, now=ADDED)

    assert refused.value.field == "reason"
    assert InactiveBuyer.objects.get(pk=entry.pk).is_active
    assert not AuditRecord.objects.exists()


def test_blk_10_removing_an_already_removed_entry_is_refused_and_not_audited(mediator, seller, entry):
    services.remove_entry(entry, seller=seller, now=ADDED)

    with pytest.raises(ConcurrentUpdate):
        services.remove_by_mediator(entry, mediator=mediator, reason="Abuse.", now=ADDED + HOUR)

    assert InactiveBuyer.objects.get(pk=entry.pk).removal == InactiveBuyer.Removal.SELLER
    assert not AuditRecord.objects.exists()


def test_blk_02_blk_08_an_original_past_its_expiry_is_no_ground_for_a_copy_before_the_sweep(
    linked_seller_account, linked_seller, buyer, entry
):
    now = entry.expires_at + SECOND  # expired, not yet swept

    with pytest.raises(DomainError) as refused:
        services.add_entry(linked_seller_account, seller=linked_seller, login=buyer.username, now=now)

    assert refused.value.field == "login"
    assert not InactiveBuyer.objects.filter(seller_account=linked_seller_account).exists()
