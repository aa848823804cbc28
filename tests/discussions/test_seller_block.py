"""MED-09: blocking a seller account — its offers cannot be bought (ORD-03), the seller
sees the statement of reasons and the Discussions to explain; lifting restores buying."""

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from core.errors import ConcurrentUpdate, DomainError
from core.mediators import MEDIATORS_GROUP
from core.templatetags.ui import market_time
from discussions import services
from discussions.models import SellerBlock
from orders import services as order_services
from orders.models import AuditRecord, Order
from tests.discussions.conftest import DAY, HOUR, SECOND, WARSAW, local
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_med_09_a_blocked_accounts_offers_cannot_be_bought_until_the_block_is_lifted(
    discussion, seller_account, mediator, offer, other_buyer
):
    block = services.block_seller_account(
        seller_account, mediator=mediator, statement="Brak odpowiedzi", rule="Regulamin §5", discussions=[discussion]
    )
    reason = order_services.purchase_refusal(buyer=other_buyer, offer=offer)
    assert reason and "nie może teraz sprzedawać" in reason
    with pytest.raises(DomainError):
        order_services.buy_offer(offer, buyer=other_buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE)
    services.lift_seller_block(block, mediator=mediator, reason="Wyjaśnione")
    assert order_services.purchase_refusal(buyer=other_buyer, offer=offer) is None
    assert [r.action for r in AuditRecord.objects.order_by("at", "pk")] == ["BLOCK_SELLER", "LIFT_SELLER_BLOCK"]


def test_med_09_the_seller_sees_the_statement_and_the_discussions_to_explain(
    client, discussion, seller_account, mediator
):
    services.block_seller_account(
        seller_account,
        mediator=mediator,
        statement="Zbyt wiele nierozwiązanych Dyskusji",
        rule="§5",
        discussions=[discussion],
    )
    client.force_login(seller_account.user)
    body = client.get("/seller/orders/").content.decode()
    assert "Zbyt wiele nierozwiązanych Dyskusji" in body
    assert discussion.number in body


def test_med_09_one_active_block_and_only_the_accounts_own_discussions(
    discussion, seller_account, other_seller_account, mediator
):
    with pytest.raises(DomainError):
        services.block_seller_account(
            other_seller_account, mediator=mediator, statement="x", rule="§5", discussions=[discussion]
        )
    services.block_seller_account(seller_account, mediator=mediator, statement="x", rule="§5")
    with pytest.raises(DomainError):
        services.block_seller_account(seller_account, mediator=mediator, statement="y", rule="§5")


def test_med_09_mediator_blocks_and_lifts_from_the_admin(client, mediator, seller_account, discussion):
    from django.urls import reverse

    from discussions.models import SellerBlock

    client.force_login(mediator)
    page = client.get(reverse("admin:orders_selleraccount_change", args=[seller_account.pk])).content.decode()
    assert f"/admin/discussions/sellerblock/block/{seller_account.pk}/" in page
    url = reverse("admin:discussions_sellerblock_block", args=[seller_account.pk])
    response = client.post(url, {"rule": "§5", "statement": "Brak odpowiedzi", "discussions": [discussion.pk]})
    assert response.status_code == 302
    block = SellerBlock.objects.get()
    assert list(block.discussions.all()) == [discussion]
    assert (
        client.post(reverse("admin:discussions_sellerblock_lift", args=[block.pk]), {"reason": "OK"}).status_code == 302
    )
    block.refresh_from_db()
    assert not block.is_active


# --- MED-09 / EU DSA art. 20: the seller's complaint against a block -----------------------

BLOCKED = local(2026, 11, 25, 10)  # Wednesday, an hour after the Discussion was opened
COMPLAINT_DUE = local(2027, 5, 25, 10)  # the same local day and time 6 calendar months later (CEST)


@pytest.fixture
def other_mediator(db):
    """A second member of the Mediators group: the one who decides a complaint against a
    block that `mediator` imposed."""
    user = UserFactory(username="other_mediator", is_staff=True)
    user.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
    return user


@pytest.fixture
def block(seller_account, mediator, discussion):
    return services.block_seller_account(
        seller_account,
        mediator=mediator,
        statement="Trzy Dyskusje bez odpowiedzi",
        rule="Regulamin §5 ust. 2",
        discussions=[discussion],
        now=BLOCKED,
    )


def complained(block, seller, *, now=BLOCKED + DAY, text="Odpowiedziałem kupującym telefonicznie."):
    return services.file_block_complaint(block, seller_user=seller, text=text, now=now)


def test_med_09_seller_files_a_complaint_within_6_months(block, seller):
    assert block.complaint_due_at == COMPLAINT_DUE

    complained(block, seller, now=COMPLAINT_DUE, text="  Odpowiedziałem kupującym.  ")

    block = SellerBlock.objects.get(pk=block.pk)
    assert block.complaint_text == "Odpowiedziałem kupującym."
    assert block.complaint_filed_at == COMPLAINT_DUE
    assert block.has_open_complaint and block.is_active
    record = AuditRecord.objects.get(action="FILE_BLOCK_COMPLAINT")
    assert record.actor == seller and record.object_id == str(block.pk)


def test_med_09_complaint_refused_after_6_months(block, seller):
    with pytest.raises(DomainError):
        complained(block, seller, now=COMPLAINT_DUE + SECOND)

    block.refresh_from_db()
    assert block.complaint_filed_at is None and block.complaint_text == ""
    assert not AuditRecord.objects.filter(action="FILE_BLOCK_COMPLAINT").exists()


@pytest.mark.parametrize(
    ("blocked", "due"),
    [
        (local(2026, 8, 31, 12), local(2027, 2, 28, 12)),  # no 31 February: the month's last day
        (local(2027, 8, 31, 12), local(2028, 2, 29, 12)),  # leap year
        (local(2026, 12, 31, 23, 30), local(2027, 6, 30, 23, 30)),  # across the year, clamped
        (local(2026, 11, 25, 10), local(2027, 5, 25, 10)),  # CET → CEST: the same wall-clock time
    ],
)
def test_med_09_complaint_period_is_6_calendar_months_clamped_to_the_month_end(blocked, due):
    from datetime import UTC

    from discussions.models import months_later

    assert months_later(blocked, 6, WARSAW) == due
    assert months_later(blocked, 6, WARSAW).tzinfo == UTC


def test_med_09_complaint_refused_twice(block, seller):
    stale = SellerBlock.objects.get(pk=block.pk)
    complained(block, seller)

    with pytest.raises(DomainError):
        complained(block, seller, text="Jeszcze raz")
    # A second submission that read the block before the first was saved loses the
    # compare-and-set instead of overwriting it.
    with pytest.raises(ConcurrentUpdate):
        complained(stale, seller, text="Równolegle")

    block.refresh_from_db()
    assert block.complaint_text == "Odpowiedziałem kupującym telefonicznie."
    assert AuditRecord.objects.filter(action="FILE_BLOCK_COMPLAINT").count() == 1


def test_med_09_only_the_blocked_accounts_own_user_complains_and_only_against_an_active_block(
    block, seller, other_seller, linked_seller, mediator
):
    for stranger in (other_seller, linked_seller, mediator):
        with pytest.raises(DomainError):
            complained(block, stranger)
    with pytest.raises(DomainError) as error:
        complained(block, seller, text="   ")
    assert error.value.field == "text"
    with pytest.raises(DomainError) as error:
        complained(block, seller, text="x" * (services.MAX_COMPLAINT_LENGTH + 1))
    assert error.value.field == "text"

    services.lift_seller_block(block, mediator=mediator, reason="Wyjaśnione", now=BLOCKED + HOUR)
    with pytest.raises(DomainError):
        complained(block, seller)
    assert SellerBlock.objects.get(pk=block.pk).complaint_filed_at is None


def test_med_09_complaint_decided_by_a_different_mediator_only(block, seller, mediator, other_mediator):
    complained(block, seller)

    with pytest.raises(DomainError) as error:
        services.decide_block_complaint(
            block,
            mediator=mediator,
            decision=SellerBlock.ComplaintDecision.REJECTED,
            reason="Nie",
            now=BLOCKED + 2 * DAY,
        )
    assert error.value.field is None  # a message for the whole decision, not a field
    assert SellerBlock.objects.get(pk=block.pk).has_open_complaint

    services.decide_block_complaint(
        block,
        mediator=other_mediator,
        decision=SellerBlock.ComplaintDecision.REJECTED,
        reason="Dyskusje nadal bez odpowiedzi",
        now=BLOCKED + 2 * DAY,
    )
    block = SellerBlock.objects.get(pk=block.pk)
    assert block.complaint_decided_by == other_mediator
    assert block.complaint_decided_at == BLOCKED + 2 * DAY


def test_med_09_no_decision_without_an_open_complaint_and_no_second_decision(block, seller, other_mediator):
    decide = {"mediator": other_mediator, "decision": SellerBlock.ComplaintDecision.UPHELD, "reason": "Tak"}
    with pytest.raises(DomainError):
        services.decide_block_complaint(block, **decide, now=BLOCKED + DAY)

    complained(block, seller)
    stale = SellerBlock.objects.get(pk=block.pk)
    services.decide_block_complaint(
        block, **{**decide, "decision": SellerBlock.ComplaintDecision.REJECTED}, now=BLOCKED + 2 * DAY
    )
    with pytest.raises(DomainError):
        services.decide_block_complaint(block, **decide, now=BLOCKED + 3 * DAY)
    with pytest.raises(ConcurrentUpdate):
        services.decide_block_complaint(stale, **decide, now=BLOCKED + 3 * DAY)

    block.refresh_from_db()
    assert block.complaint_decision == SellerBlock.ComplaintDecision.REJECTED and block.is_active
    with pytest.raises(DomainError) as error:
        services.decide_block_complaint(block, **{**decide, "decision": "MAYBE"}, now=BLOCKED + 3 * DAY)
    assert error.value.field == "decision"


def test_med_09_upheld_complaint_lifts_the_block_and_the_offers_can_be_bought_again(
    block, seller, other_mediator, offer, other_buyer
):
    complained(block, seller)
    decided_at = BLOCKED + 2 * DAY

    services.decide_block_complaint(
        block,
        mediator=other_mediator,
        decision=SellerBlock.ComplaintDecision.UPHELD,
        reason="Sprzedawca wyjaśnił sprawy",
        now=decided_at,
    )

    block = SellerBlock.objects.get(pk=block.pk)
    assert not block.is_active and not block.has_open_complaint
    assert (block.lifted_at, block.lifted_by, block.lift_reason) == (
        decided_at,
        other_mediator,
        "Sprzedawca wyjaśnił sprawy",
    )
    assert block.complaint_decision == SellerBlock.ComplaintDecision.UPHELD
    assert services.active_block(block.seller_account) is None
    order = order_services.buy_offer(
        offer, buyer=other_buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=decided_at + HOUR
    )
    assert order.pk
    record = AuditRecord.objects.get(action="DECIDE_BLOCK_COMPLAINT")
    assert record.actor == other_mediator and record.reason == "Sprzedawca wyjaśnił sprawy"
    assert record.before == {"is_active": True, "complaint_decision": ""}
    assert record.after == {"is_active": False, "complaint_decision": "UPHELD"}


def test_med_09_rejected_complaint_keeps_the_block(block, seller, other_mediator, offer, other_buyer):
    complained(block, seller)

    services.decide_block_complaint(
        block,
        mediator=other_mediator,
        decision=SellerBlock.ComplaintDecision.REJECTED,
        reason="Brak wyjaśnień",
        now=BLOCKED + 2 * DAY,
    )

    block = SellerBlock.objects.get(pk=block.pk)
    assert block.is_active and block.lifted_by is None
    assert block.complaint_decision_reason == "Brak wyjaśnień"
    with pytest.raises(DomainError):
        order_services.buy_offer(offer, buyer=other_buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE)
    record = AuditRecord.objects.get(action="DECIDE_BLOCK_COMPLAINT")
    assert record.after == {"is_active": True, "complaint_decision": "REJECTED"}


def test_med_09_seller_page_shows_the_statement_and_deadline_then_the_complaint_and_the_decision(
    client, block, seller, discussion, other_mediator
):
    client.force_login(seller)
    url = reverse("discussions:seller_block_detail", args=[block.pk])
    deadline = market_time(COMPLAINT_DUE, block.seller_account.market)

    with time_machine.travel(BLOCKED + DAY, tick=False):
        banner = client.get(reverse("discussions:seller_list")).content.decode()
        page = client.get(url).content.decode()
        response = client.post(
            reverse("discussions:seller_block_complaint", args=[block.pk]), {"text": "Wszystko wyjaśniłem."}
        )

    assert f'href="{url}"' in banner
    for shown in ("Trzy Dyskusje bez odpowiedzi", "Regulamin §5 ust. 2", discussion.number, deadline, "<textarea"):
        assert shown in page
    assert response.status_code == 302 and response["Location"] == url
    with time_machine.travel(BLOCKED + DAY + HOUR, tick=False):
        page = client.get(url).content.decode()
    assert "Wszystko wyjaśniłem." in page and "<textarea" not in page

    services.decide_block_complaint(
        SellerBlock.objects.get(pk=block.pk),
        mediator=other_mediator,
        decision=SellerBlock.ComplaintDecision.UPHELD,
        reason="Wyjaśnienia przyjęte",
        now=BLOCKED + 2 * DAY,
    )
    with time_machine.travel(BLOCKED + 3 * DAY, tick=False):
        page = client.get(url).content.decode()
    assert "Wyjaśnienia przyjęte" in page
    assert str(SellerBlock.ComplaintDecision.UPHELD.label) in page


def test_med_09_complaint_view_keeps_the_typed_text_on_error(client, block, seller):
    client.force_login(seller)
    post_url = reverse("discussions:seller_block_complaint", args=[block.pk])
    too_long = "Moje wyjaśnienie. " + "x" * services.MAX_COMPLAINT_LENGTH

    with time_machine.travel(BLOCKED + DAY, tick=False):
        response = client.post(post_url, {"text": too_long})
        empty = client.post(post_url, {"text": "   "})

    body = response.content.decode()
    assert response.status_code == 400
    assert too_long in body and 'class="field-error"' in body
    assert empty.status_code == 400 and 'class="field-error"' in empty.content.decode()
    assert SellerBlock.objects.get(pk=block.pk).complaint_filed_at is None

    with time_machine.travel(COMPLAINT_DUE + SECOND, tick=False):
        client.force_login(seller)  # the earlier session has expired by then
        late = client.post(post_url, {"text": "Spóźniona reklamacja"})
    assert late.status_code == 400
    assert "Spóźniona reklamacja" in late.content.decode() and 'class="form-errors"' in late.content.decode()
    assert SellerBlock.objects.get(pk=block.pk).complaint_filed_at is None


def test_med_09_another_accounts_block_page_is_not_found(client, block, other_seller, linked_seller):
    for user in (other_seller, linked_seller):
        client.force_login(user)
        assert client.get(reverse("discussions:seller_block_detail", args=[block.pk])).status_code == 404
        response = client.post(reverse("discussions:seller_block_complaint", args=[block.pk]), {"text": "x"})
        assert response.status_code == 404
    assert SellerBlock.objects.get(pk=block.pk).complaint_filed_at is None


def test_med_09_admin_complaint_view_works_for_a_second_mediator_and_refuses_the_blocking_mediator(
    client, block, seller, mediator, other_mediator
):
    complained(block, seller, text="<b>Wyjaśniłem</b> wszystko")
    change_url = reverse("admin:discussions_sellerblock_change", args=[block.pk])
    decide_url = reverse("admin:discussions_sellerblock_complaint", args=[block.pk])

    client.force_login(mediator)
    assert decide_url not in client.get(change_url).content.decode()
    response = client.post(decide_url, {"decision": "UPHELD", "reason": "Sam uchylam"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert SellerBlock.objects.get(pk=block.pk).has_open_complaint

    client.force_login(other_mediator)
    listing = client.get(reverse("admin:discussions_sellerblock_changelist") + "?complaint=open").content.decode()
    assert change_url in listing
    assert decide_url in client.get(change_url).content.decode()
    form_page = client.get(decide_url).content.decode()
    assert "&lt;b&gt;Wyjaśniłem&lt;/b&gt; wszystko" in form_page
    response = client.post(decide_url, {"decision": "UPHELD", "reason": "Wyjaśnienia przyjęte"})
    assert response.status_code == 302

    block = SellerBlock.objects.get(pk=block.pk)
    assert block.complaint_decided_by == other_mediator and not block.is_active
    assert (
        change_url
        not in client.get(reverse("admin:discussions_sellerblock_changelist") + "?complaint=open").content.decode()
    )


def test_med_09_staff_outside_the_mediators_group_cannot_decide_a_complaint(client, block, seller):
    complained(block, seller)
    client.force_login(UserFactory(username="staff", is_staff=True))

    response = client.post(
        reverse("admin:discussions_sellerblock_complaint", args=[block.pk]), {"decision": "UPHELD", "reason": "x"}
    )

    assert response.status_code == 403
    assert SellerBlock.objects.get(pk=block.pk).has_open_complaint


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_med_09_two_complaints_or_two_decisions_at_once_only_one_wins(block, seller, other_mediator):
    from django.db import connection

    from tests.discussions.test_races import run_together

    if connection.vendor != "postgresql":
        pytest.skip("Races need PostgreSQL (SQLite serialises all writers). Run with DATABASE_URL=postgres://…")
    copies = [SellerBlock.objects.get(pk=block.pk) for _ in range(2)]
    outcomes = run_together(
        *(lambda b=b, i=i: complained(b, seller, text=f"Reklamacja {i}") for i, b in enumerate(copies))
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    assert isinstance(next(value for kind, value in outcomes if kind == "error"), ConcurrentUpdate)

    copies = [SellerBlock.objects.get(pk=block.pk) for _ in range(2)]
    decisions = [SellerBlock.ComplaintDecision.UPHELD, SellerBlock.ComplaintDecision.REJECTED]
    outcomes = run_together(
        *(
            lambda b=b, d=d: services.decide_block_complaint(b, mediator=other_mediator, decision=d, reason="Decyzja")
            for b, d in zip(copies, decisions, strict=True)
        )
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    block = SellerBlock.objects.get(pk=block.pk)
    assert block.is_active == (block.complaint_decision == SellerBlock.ComplaintDecision.REJECTED)
    assert AuditRecord.objects.filter(action="DECIDE_BLOCK_COMPLAINT").count() == 1
