"""The Discussion lists and the notifications page as discussions.list_presenters writes
them (issue 13): the same texts as Django's formatting and URL reversal, escaped, and
counts that follow every change at once (kept in the cache under a version every change
replaces, discussions.list_counts, and counted again when a deadline passes)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.templatetags.ui import market_time
from discussions import list_counts, list_presenters, services
from discussions.models import Discussion, Role
from orders.models import Market, OrderLine
from tests.discussions.conftest import local, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

INSTANTS = [
    datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 11, 5, 9, tzinfo=UTC),  # noon in Warsaw is 11:00 UTC in winter
    datetime(2026, 11, 25, 23, 0, tzinfo=UTC),  # midnight in Warsaw
    datetime(2026, 7, 1, 15, 30, tzinfo=UTC),  # summer time
]


@pytest.mark.parametrize("language", ["pl", "en", "cs", "sk", "hu"])
def test_times_are_written_as_market_time_writes_them(language):
    with translation.override(language):
        local_text = list_presenters.local_time_formatter()
        for market in Market.objects.all():
            for instant in INSTANTS:
                assert local_text(instant, market.time_zone) == market_time(instant, market)


def test_links_are_the_reversed_urls():
    for name in ("discussions:buyer_detail", "discussions:seller_detail"):
        url = list_presenters.url_maker(name)
        for pk in (1, 42, 1234567):
            assert url(pk) == reverse(name, args=[pk])


def _open(seller_account, buyer, count, *, start=None):
    offer = OfferFactory(seller_account=seller_account, stock=10_000)
    start = start or timezone.now() - timedelta(days=3)
    return [
        open_discussion(
            make_order(offer, buyer, now=start + timedelta(minutes=i)), now=start + timedelta(hours=2, minutes=i)
        )
        for i in range(count)
    ]


def _count_line(client):
    body = client.get("/seller/discussions/").content.decode()
    line = re.search(r"Otwarte: (\d+) · czekają na Twoją odpowiedź: (\d+) · po terminie: (\d+)", body)
    return tuple(int(number) for number in line.groups())


def _expected_counts(seller_account, now):
    mine = Discussion.objects.filter(seller_account=seller_account)
    return (
        mine.filter(is_open=True).count(),
        mine.filter(is_open=True).exclude(last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED).count(),
        mine.filter(is_open=True, seller_replied_at__isnull=True, reply_due_at__lte=now).count(),
    )


def test_dsc_10_the_count_line_follows_every_change_at_once(client, seller, seller_account, buyer):
    discussions = _open(seller_account, buyer, 4)
    client.force_login(seller)
    assert _count_line(client) == _expected_counts(seller_account, timezone.now()) == (4, 4, 4)
    services.post_message(discussions[0], author=seller, role=Role.SELLER, text="Sprawdzam.")
    assert _count_line(client) == _expected_counts(seller_account, timezone.now()) == (4, 3, 3)
    services.mark_resolved(discussions[1], buyer=buyer)
    assert _count_line(client) == _expected_counts(seller_account, timezone.now()) == (3, 2, 2)
    services.post_message(discussions[0], author=buyer, role=Role.BUYER, text="Nadal nic.")
    assert _count_line(client) == _expected_counts(seller_account, timezone.now()) == (3, 3, 2)


def test_dsc_10_filters_page_through_exactly_the_discussions_they_select(client, seller, seller_account, buyer):
    discussions = _open(seller_account, buyer, 23)
    for discussion in discussions[:3]:
        services.post_message(discussion, author=seller, role=Role.SELLER, text="Sprawdzam.")
    client.force_login(seller)
    needing = client.get("/seller/discussions/?show=needs_reply&page=2").content.decode()
    assert 'class="pagination"' not in needing and needing.count("<tr>") == 1 + 20  # one page: the last
    first = client.get("/seller/discussions/?status=IN_PROGRESS&reason=NOT_RECEIVED").content.decode()
    assert "Strona 1 z 2" in first and first.count("<tr>") == 1 + 20
    second = client.get("/seller/discussions/?status=IN_PROGRESS&reason=NOT_RECEIVED&page=2").content.decode()
    assert "Strona 2 z 2" in second and second.count("<tr>") == 1 + 3
    shown = set(re.findall(r'href="/seller/discussions/(\d+)/"', first + second))
    assert shown == {str(discussion.pk) for discussion in discussions}
    assert client.get("/seller/discussions/?reason=PRODUCT_PROBLEM").content.decode().count("<tr>") == 0


def test_dsc_10_the_list_order_is_waiting_first_then_soonest_deadline(client, seller, seller_account, buyer):
    start = timezone.now() - timedelta(days=3)
    early, late, answered = _open(seller_account, buyer, 3, start=start)
    services.post_message(answered, author=seller, role=Role.SELLER, text="Sprawdzam.")
    closed = _open(seller_account, buyer, 1, start=start + timedelta(hours=1))[0]
    services.mark_resolved(closed, buyer=buyer)
    client.force_login(seller)
    body = client.get("/seller/discussions/").content.decode()
    shown = [int(pk) for pk in re.findall(r'href="/seller/discussions/(\d+)/"', body)]
    assert shown == [early.pk, late.pk, answered.pk, closed.pk]


def test_texts_from_the_database_are_escaped(client, seller, seller_account, buyer):
    (discussion,) = _open(seller_account, buyer, 1)
    OrderLine.objects.filter(pk=discussion.line_id).update(title='<script>alert("x")</script> & co')
    client.force_login(seller)
    body = client.get("/seller/discussions/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in body
    client.force_login(buyer)
    body = client.get("/my/discussions/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in body


def test_ntf_01_notifications_link_each_party_to_its_own_page(client, seller, seller_account, buyer):
    (discussion,) = _open(seller_account, buyer, 1)
    services.post_message(discussion, author=seller, role=Role.SELLER, text="Sprawdzam.")
    client.force_login(seller)
    as_seller = client.get("/notifications/").content.decode()
    assert f'href="/seller/discussions/{discussion.pk}/"' in as_seller
    assert f'href="/my/discussions/{discussion.pk}/"' not in as_seller
    client.force_login(buyer)
    as_buyer = client.get("/notifications/").content.decode()
    assert f'href="/my/discussions/{discussion.pk}/"' in as_buyer
    assert f'href="/seller/discussions/{discussion.pk}/"' not in as_buyer
    assert '<li class="card is-unread">' in as_buyer and "· nowe" in as_buyer
    client.post("/notifications/read/")
    read = client.get("/notifications/").content.decode()
    assert '<li class="card">' in read and "· nowe" not in read


def test_reasons_are_shown_in_the_reader_language(client, seller, seller_account, buyer):
    _open(seller_account, buyer, 1)
    client.force_login(seller)
    client.cookies["django_language"] = "en"
    body = client.get("/seller/discussions/").content.decode()
    assert ">I did not receive the product<br>" in body and "Nie otrzymałem produktu" not in body


def test_dsc_10_the_kept_counts_are_counted_again_when_a_reply_deadline_passes(seller_account, buyer):
    """Overdue changes with time alone: the kept counts hold until just before the soonest
    future deadline of a Discussion waiting for the seller, then are counted again."""
    # Opened on a working Tuesday a minute apart, so their deadlines are a minute apart (opened
    # outside business hours, both deadlines would be the same moment).
    discussions = _open(seller_account, buyer, 2, start=local(2026, 3, 10, 9))
    deadlines = sorted(Discussion.objects.filter(seller_account=seller_account).values_list("reply_due_at", flat=True))
    before = deadlines[0] - timedelta(seconds=1)
    assert list_counts.seller_counts(seller_account.pk, before) == {"open": 2, "needs_reply": 2, "overdue": 0, "all": 2}
    with CaptureQueriesContext(connection) as queries:
        assert list_counts.seller_counts(seller_account.pk, before)["overdue"] == 0
    assert len(queries) == 0  # kept
    assert list_counts.seller_counts(seller_account.pk, deadlines[0])["overdue"] == 1
    assert list_counts.seller_counts(seller_account.pk, deadlines[1])["overdue"] == 2
    assert len(discussions) == 2


def test_dsc_10_the_kept_counts_follow_queryset_updates(seller_account, buyer):
    discussions = _open(seller_account, buyer, 3)
    now = timezone.now()
    assert list_counts.seller_counts(seller_account.pk, now)["needs_reply"] == 3
    Discussion.objects.filter(pk=discussions[0].pk).update(
        last_message_status=Discussion.LastMessageStatus.SELLER_REPLIED, seller_replied_at=now
    )
    assert list_counts.seller_counts(seller_account.pk, now) == {"open": 3, "needs_reply": 2, "overdue": 2, "all": 3}
    Discussion.objects.filter(pk=discussions[1].pk).update(is_open=False, status=Discussion.Status.RESOLVED)
    assert list_counts.seller_counts(seller_account.pk, now) == {"open": 2, "needs_reply": 1, "overdue": 1, "all": 3}
