"""The header's facts (the unread count, the seller account's active block) are read
with the signed-in user, in the same query (issue 13; orders.backends)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import services
from discussions.models import Notification
from discussions.notifications import notify
from orders.backends import AccountModelBackend

pytestmark = pytest.mark.django_db


def test_issue_13_the_headers_unread_count_and_block_come_with_the_user(
    seller, seller_account, buyer, discussion, mediator, django_assert_num_queries
):
    now = discussion.created_at
    for _n in range(3):
        notify(seller, Notification.Kind.NEW_DISCUSSION, discussion, now=now)
    notify(buyer, Notification.Kind.NEW_DISCUSSION, discussion, now=now)
    read = Notification.objects.filter(recipient=seller).order_by("pk").first()
    Notification.objects.filter(pk=read.pk).update(read_at=now)
    lifted = services.block_seller_account(seller_account, mediator=mediator, statement="x", rule="§1")
    services.lift_seller_block(lifted, mediator=mediator, reason="explained")
    # Counted as the notifications page counts them (opening the Discussion notified the seller too).
    unread = Notification.objects.filter(recipient=seller, read_at__isnull=True).count()
    assert unread == Notification.objects.filter(recipient=seller).count() - 1 >= 2
    with django_assert_num_queries(1):
        assert AccountModelBackend().get_user(seller.pk).header_facts == (unread, None)
    block = services.block_seller_account(seller_account, mediator=mediator, statement="y", rule="§2")
    unread = Notification.objects.filter(recipient=seller, read_at__isnull=True).count()
    with django_assert_num_queries(1):
        assert AccountModelBackend().get_user(seller.pk).header_facts == (unread, block.pk)
    with django_assert_num_queries(1):
        assert AccountModelBackend().get_user(buyer.pk).header_facts == (1, None)


def test_issue_13_a_page_shows_the_header_facts_without_reading_them_again(
    client, seller, seller_account, discussion, mediator
):

    notify(seller, Notification.Kind.NEW_DISCUSSION, discussion, now=discussion.created_at)
    services.block_seller_account(seller_account, mediator=mediator, statement="Zbyt wiele sporów", rule="§5")
    client.force_login(seller)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/seller/discussions/").content.decode()
    unread = Notification.objects.filter(recipient=seller, read_at__isnull=True).count()
    assert f'<span class="count count-alert">{unread}<span class="visually-hidden">' in body
    assert "Zbyt wiele sporów" in body
    notification_reads = [q["sql"] for q in queries if "discussions_notification" in q["sql"]]
    assert len(notification_reads) == 1 and "auth_user" in notification_reads[0]
