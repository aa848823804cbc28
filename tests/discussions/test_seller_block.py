"""MED-09: blocking a seller account — its offers cannot be bought (ORD-03), the seller
sees the statement of reasons and the Discussions to explain; lifting restores buying."""

import pytest

from core.errors import DomainError
from discussions import services
from orders import services as order_services
from orders.models import AuditRecord, Order

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
