"""Jakość mojej sprzedaży (QLT-01…03): the figures against hand-computed values on a small
fixed data set, the two charts, the query count, and who may see the page.

The data set (`quality_data`) is made through the services at explicit instants in
Warsaw; NOW is Wednesday 2026-12-16 12:00, so the 30-day window starts on Monday
2026-11-16 12:00 and the 90-day one on Thursday 2026-09-17 12:00. First-reply times are
in business seconds (DSC-10):

  D1  Fri 27 Nov 19:00 → reply Mon 30 Nov 09:00        5 h + 9 h = 14 h    50 400 s
  D2  Tue  1 Dec 10:00 → reply 11:00                    1 h                  3 600 s
  D3  Wed  2 Dec 10:00 → reply Fri 4 Dec 12:00          50 h               180 000 s
  D4  Thu  3 Dec 10:00, no reply (due Fri 10:00)        missed
  D5  Wed 16 Dec 09:00, no reply yet (due Thu 09:00)    pending: not judged yet
  D6  Mon  7 Dec 10:00, the buyer resolved it at 10:30  nothing to answer: left out
  D7  Fri  6 Nov 12:00 (exactly 40 days) → reply 12:30  30 min               1 800 s  (90 days only)
  D8  Tue  8 Dec 10:00, full refund at 10:45            45 min               2 700 s  closed FULL_REFUND
  D9  Tue 17 Nov 10:00 → reply 14:00, marked unresolved 4 h                 14 400 s
  D10 Mon 12 Oct 10:00, no reply, Allegro joined        missed                          (90 days only)
  old Tue  1 Sep 10:00 (106 days) → reply 10:10         outside both windows

Orders placed in the windows: one per Discussion plus two plain ones in each window
(30 days: 8 + 2 = 10; 90 days: 10 + 4 = 14).
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import quality_charts, quality_figures, services
from discussions.models import Discussion, Reason, Role
from orders import services as order_services
from tests.discussions.conftest import HOUR, fresh, local, make_order, open_discussion
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

NOW = local(2026, 12, 16, 12)
URL = "/seller/quality/"


def discussion_at(offer, buyer, opened, *, reason=Reason.NOT_RECEIVED):
    """A Discussion opened at `opened` about an order bought two hours earlier."""
    order = make_order(offer, buyer, now=opened - 2 * HOUR)
    return open_discussion(order, reason=reason, now=opened)


def reply(discussion, seller, at):
    services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Sprawdzamy.", now=at)


@pytest.fixture
def quality_data(bulk_offer, buyer, seller, mediator):
    offer = bulk_offer
    d = {}
    d[1] = discussion_at(offer, buyer, local(2026, 11, 27, 19))
    reply(d[1], seller, local(2026, 11, 30, 9))
    d[2] = discussion_at(offer, buyer, local(2026, 12, 1, 10))
    reply(d[2], seller, local(2026, 12, 1, 11))
    d[3] = discussion_at(offer, buyer, local(2026, 12, 2, 10))
    reply(d[3], seller, local(2026, 12, 4, 12))
    d[4] = discussion_at(offer, buyer, local(2026, 12, 3, 10))
    d[5] = discussion_at(offer, buyer, local(2026, 12, 16, 9))
    d[6] = discussion_at(offer, buyer, local(2026, 12, 7, 10))
    services.mark_resolved(fresh(d[6]), buyer=buyer, now=local(2026, 12, 7, 10, 30))
    d[7] = discussion_at(offer, buyer, NOW - timedelta(days=40))
    reply(d[7], seller, NOW - timedelta(days=40) + timedelta(minutes=30))
    d[8] = discussion_at(offer, buyer, local(2026, 12, 8, 10), reason=Reason.NO_PAYMENT_REFUND)
    order_services.refund_order(d[8].order, seller=seller, full=True, now=local(2026, 12, 8, 10, 45))
    d[9] = discussion_at(offer, buyer, local(2026, 11, 17, 10))
    reply(d[9], seller, local(2026, 11, 17, 14))
    services.mark_unresolved(fresh(d[9]), buyer=buyer, now=local(2026, 11, 25, 10))
    d[10] = discussion_at(offer, buyer, local(2026, 10, 12, 10))
    services.ask_for_help(fresh(d[10]), buyer=buyer, now=local(2026, 10, 14, 10))
    services.join_discussion(fresh(d[10]), mediator=mediator, now=local(2026, 10, 14, 11))
    d["old"] = discussion_at(offer, buyer, local(2026, 9, 1, 10))
    reply(d["old"], seller, local(2026, 9, 1, 10, 10))
    for bought in (local(2026, 12, 1, 8), local(2026, 12, 2, 8), local(2026, 10, 1, 8), local(2026, 10, 20, 8)):
        make_order(offer, buyer, now=bought)
    return d


def get_page(client, user):
    """The page as `user` sees it at NOW (signed in at NOW too: the session must not have expired)."""
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.get(URL)


def figures(account, now=NOW):
    short, long = quality_figures.window_figures(account, now)
    return short, long


# --- QLT-01: the figures ------------------------------------------------------------------


def test_qlt_01_first_reply_times_are_business_seconds_of_the_data_set(quality_data):
    """The inputs of every figure below, as the services recorded them (DSC-10)."""
    seconds = {key: fresh(d).first_reply_seconds for key, d in quality_data.items()}

    assert seconds == {
        1: 14 * 3600,
        2: 3600,
        3: 50 * 3600,
        4: None,
        5: None,
        6: None,
        7: 1800,
        8: 2700,
        9: 4 * 3600,
        10: None,
        "old": 600,
    }


def test_qlt_01_friday_evening_answered_monday_morning_is_within_24_business_hours(bulk_offer, buyer, seller):
    d = discussion_at(bulk_offer, buyer, local(2026, 11, 27, 19))  # Friday
    reply(d, seller, local(2026, 11, 30, 9))  # Monday, 62 hours later on the clock

    short, _long = figures(seller.seller_account, now=local(2026, 12, 1, 12))

    assert fresh(d).first_reply_seconds == 14 * 3600
    assert (short.needs_reply, short.within_24h, short.within_2h) == (1, 1, 0)
    assert short.share_24h == 100


def test_qlt_01_reply_after_more_than_24_business_hours_is_not_within(bulk_offer, buyer, seller):
    d = discussion_at(bulk_offer, buyer, local(2026, 12, 2, 10))  # Wednesday
    reply(d, seller, local(2026, 12, 3, 10, 1))  # Thursday, one minute past the deadline

    short, _long = figures(seller.seller_account)

    assert fresh(d).first_reply_seconds == 24 * 3600 + 60
    assert (short.needs_reply, short.within_24h, short.share_24h) == (1, 0, 0)


def test_qlt_01_discussion_counts_and_per_100_orders(quality_data, seller):
    short, long = figures(seller.seller_account)

    assert (short.discussions, short.orders) == (8, 10)
    assert (long.discussions, long.orders) == (10, 14)
    assert short.per_100_orders == 80
    assert long.per_100_orders == pytest.approx(1000 / 14)


def test_qlt_01_forty_day_old_discussion_counts_only_in_90_days(bulk_offer, buyer, seller):
    d = discussion_at(bulk_offer, buyer, NOW - timedelta(days=40))
    reply(d, seller, NOW - timedelta(days=40) + timedelta(minutes=30))

    short, long = figures(seller.seller_account)

    assert (short.discussions, short.answered, short.orders) == (0, 0, 0)
    assert (long.discussions, long.answered, long.orders) == (1, 1, 1)


def test_qlt_01_per_100_orders_is_none_without_orders_and_the_page_shows_a_dash(client, seller):
    short, long = figures(seller.seller_account)
    assert short.per_100_orders is None and long.per_100_orders is None

    body = get_page(client, seller).content.decode()
    row = body.split('id="figure-per-100-orders"')[1].split("</tr>")[0]
    assert row.count("—") == 2


def test_qlt_01_reply_shares_use_answered_and_missed_as_the_denominator(quality_data, seller):
    """30 days: answered D1 D2 D3 D8 D9, missed D4 → 6; D5 (still in time) and D6 (closed
    before the deadline) are left out. 90 days: also D7 (answered) and D10 (missed) → 8."""
    short, long = figures(seller.seller_account)

    assert (short.answered, short.missed, short.pending, short.needs_reply) == (5, 1, 1, 6)
    assert (short.within_24h, short.within_2h) == (4, 2)
    assert short.share_24h == pytest.approx(400 / 6)
    assert short.share_2h == pytest.approx(200 / 6)
    assert (long.answered, long.missed, long.pending, long.needs_reply) == (6, 2, 1, 8)
    assert (long.within_24h, long.within_2h) == (5, 3)
    assert (long.share_24h, long.share_2h) == (62.5, 37.5)


def test_qlt_01_dsc_23_unanswered_discussion_counts_as_missed_once_its_deadline_passes(bulk_offer, buyer, seller):
    d = discussion_at(bulk_offer, buyer, local(2026, 12, 14, 10))  # Monday; due Tuesday 10:00

    before, _ = figures(seller.seller_account, now=local(2026, 12, 15, 9, 59))
    at, _ = figures(seller.seller_account, now=local(2026, 12, 15, 10))
    after, _ = figures(seller.seller_account, now=local(2026, 12, 15, 10, 0, 1))

    assert fresh(d).reply_due_at == local(2026, 12, 15, 10)
    assert (before.pending, before.missed, before.needs_reply, before.share_24h) == (1, 0, 0, None)
    # DSC-23: a reply at the deadline instant would still be in time.
    assert (at.pending, at.missed) == (1, 0)
    assert (after.pending, after.missed, after.needs_reply, after.share_24h) == (0, 1, 1, 0)


def test_qlt_01_median_first_reply_time_with_an_odd_count(quality_data, seller):
    """30 days: 2 700, 3 600, 14 400, 50 400, 180 000 → the middle one."""
    short, _long = figures(seller.seller_account)

    assert short.answered == 5
    assert short.median_seconds == 14_400


def test_qlt_01_median_first_reply_time_with_an_even_count(quality_data, seller):
    """90 days: 1 800, 2 700, 3 600, 14 400, 50 400, 180 000 → the mean of the middle two."""
    _short, long = figures(seller.seller_account)

    assert long.answered == 6
    assert long.median_seconds == (3_600 + 14_400) / 2


def test_qlt_01_median_of_two_and_of_none(bulk_offer, buyer, seller):
    assert figures(seller.seller_account)[0].median_seconds is None
    for day, minutes in ((14, 10), (15, 50)):
        d = discussion_at(bulk_offer, buyer, local(2026, 12, day, 10))
        reply(d, seller, local(2026, 12, day, 10, minutes))

    assert figures(seller.seller_account)[0].median_seconds == 30 * 60


def test_qlt_01_unresolved_allegro_joined_and_full_refund_counts(quality_data, seller):
    short, long = figures(seller.seller_account)

    assert (short.unresolved, short.mediator_joined, short.refund_closed) == (1, 0, 1)
    assert (long.unresolved, long.mediator_joined, long.refund_closed) == (1, 1, 1)
    assert fresh(quality_data[8]).close_reason == Discussion.CloseReason.FULL_REFUND


def test_qlt_01_another_sellers_discussions_are_never_counted(quality_data, seller, other_seller, buyer):
    other_offer = OfferFactory(seller_account=other_seller.seller_account, stock=100)
    d = discussion_at(other_offer, buyer, local(2026, 12, 9, 10))
    reply(d, other_seller, local(2026, 12, 9, 10, 5))

    short, long = figures(seller.seller_account)
    other_short, other_long = figures(other_seller.seller_account)

    assert (short.discussions, short.orders, short.answered) == (8, 10, 5)
    assert (long.discussions, long.orders, long.answered) == (10, 14, 6)
    assert (other_short.discussions, other_short.orders, other_short.within_2h) == (1, 1, 1)
    assert other_long.discussions == 1


# --- QLT-02: the charts ---------------------------------------------------------------------


def test_qlt_02_weekly_counts_for_12_monday_based_weeks(quality_data, seller):
    weeks = quality_figures.weekly_counts(seller.seller_account, NOW)

    assert [(f"{monday:%m-%d}", count) for monday, count in weeks] == [
        ("09-28", 0),
        ("10-05", 0),
        ("10-12", 1),  # D10
        ("10-19", 0),
        ("10-26", 0),
        ("11-02", 1),  # D7
        ("11-09", 0),
        ("11-16", 1),  # D9
        ("11-23", 1),  # D1, Friday evening
        ("11-30", 3),  # D2 D3 D4
        ("12-07", 2),  # D6 D8
        ("12-14", 1),  # D5, the current week so far
    ]


def test_qlt_02_weeks_are_cut_at_local_midnight_between_sunday_and_monday(bulk_offer, buyer, seller):
    """Monday 00:30 in Warsaw is still Sunday in UTC: it belongs to the new week."""
    discussion_at(bulk_offer, buyer, local(2026, 11, 29, 23, 30))  # Sunday
    discussion_at(bulk_offer, buyer, local(2026, 11, 30, 0, 30))  # Monday (Sunday 23:30 UTC)

    weeks = dict(quality_figures.weekly_counts(seller.seller_account, NOW))

    assert weeks[local(2026, 11, 23).date()] == 1
    assert weeks[local(2026, 11, 30).date()] == 1


def test_qlt_02_reply_time_distribution_buckets(quality_data, seller):
    counts = quality_figures.discussion_counts(seller.seller_account, NOW)
    chart = quality_charts.distribution_chart(counts)
    _short, long = figures(seller.seller_account)

    assert [bar.value for bar in chart.bars] == [3, 1, 1, 1, 2]  # ≤2 h, 2–12 h, 12–24 h, >24 h, none
    assert counts["bucket_pending"] == 1
    # The buckets tie to the 90-day figures: the first three are "within 24 business hours".
    assert sum(bar.value for bar in chart.bars[:3]) == long.within_24h
    assert chart.bars[0].value == long.within_2h
    assert sum(bar.value for bar in chart.bars) == long.needs_reply


def test_qlt_02_bucket_boundaries_belong_to_the_faster_bucket(bulk_offer, buyer, seller):
    opened = local(2026, 12, 14, 0)  # Monday midnight: business time equals clock time
    for hours in (2, 12, 24):
        d = discussion_at(bulk_offer, buyer, opened + timedelta(minutes=hours))
        reply(d, seller, opened + timedelta(minutes=hours, hours=hours))

    chart = quality_charts.distribution_chart(quality_figures.discussion_counts(seller.seller_account, NOW))

    assert [bar.value for bar in chart.bars] == [1, 1, 1, 0, 0]


def test_qlt_02_page_draws_both_charts_as_accessible_inline_svg(client, quality_data, seller):
    response = get_page(client, seller)
    body = response.content.decode()

    assert response.status_code == 200
    assert body.count('role="img"') == 2
    svgs = [part.split("</svg>", 1)[0] for part in body.split("<svg")[1:]]
    assert len(svgs) == 2
    assert all("<title>" in svg and "<desc" in svg for svg in svgs)
    assert 'aria-label="Dyskusje' in body or 'aria-label="Discussions' in body
    assert body.count('class="visually-hidden"') >= 2  # the charts' data tables
    assert 'viewBox="0 0 400 220"' in body
    assert "<script" not in body
    # Polish renders 12.5 as "12,5"; SVG coordinates must stay numbers.
    for svg in svgs:
        assert not [part for part in svg.split('"') if part[:1].isdigit() and "," in part]


def test_qlt_01_page_shows_both_windows_with_explanations(client, quality_data, seller):
    body = get_page(client, seller).content.decode()

    for slug in ("discussions", "per-100-orders", "within-24h", "within-2h", "median", "unresolved", "mediator"):
        row = body.split(f'id="figure-{slug}"')[1].split("</tr>")[0]
        assert row.count('class="figure-value"') == 2
        assert 'class="figure-help"' in row
    median = body.split('id="figure-median"')[1].split("</tr>")[0]
    assert "4 h 00 min" in median and "2 h 30 min" in median


# --- QLT-03: aggregate queries ---------------------------------------------------------------


def _bulk_discussions(template, count):
    """`count` closed Discussions cloned from a real one, with varied start times and
    first-reply times (closed, so the one-open-per-line constraint does not apply)."""
    rows = []
    for n in range(count):
        created = NOW - timedelta(hours=3 * n + 1)
        rows.append(
            Discussion(
                order_id=template.order_id,
                line_id=template.line_id,
                buyer_id=template.buyer_id,
                seller_account_id=template.seller_account_id,
                market_id=template.market_id,
                service=template.service,
                reason=template.reason,
                status=Discussion.Status.RESOLVED,
                is_open=False,
                close_reason=Discussion.CloseReason.BUYER_RESOLVED,
                created_at=created,
                opened_at=created,
                closed_at=created + HOUR,
                reply_due_at=created + timedelta(days=1),
                first_reply_seconds=(n * 997) % 200_000 if n % 5 else None,
            )
        )
    Discussion.objects.bulk_create(rows)


def _page_queries(client, seller):
    cache.clear()  # the page as computed, not its figures kept from an earlier view
    with time_machine.travel(NOW, tick=False):
        client.force_login(seller)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_qlt_03_query_count_is_the_same_for_1_and_500_discussions(client, bulk_offer, buyer, seller):
    template = discussion_at(bulk_offer, buyer, local(2026, 12, 14, 10))
    reply(template, seller, local(2026, 12, 14, 11))
    one = _page_queries(client, seller)

    _bulk_discussions(template, 499)
    many = _page_queries(client, seller)

    assert Discussion.objects.filter(seller_account=seller.seller_account).count() == 500
    assert many == one
    assert one <= 12


# --- Access ------------------------------------------------------------------------------------


def test_qlt_01_buyer_without_a_seller_account_gets_404(client, buyer):
    client.force_login(buyer)

    assert client.get(reverse("discussions:seller_quality")).status_code == 404


def test_qlt_01_seller_nav_links_to_the_panel(client, seller):
    client.force_login(seller)

    body = client.get(reverse("discussions:seller_list")).content.decode()

    assert f'href="{URL}"' in body


# --- Issue 13: the figures are kept for the minute, and a change shows at once --------------


def _quality_queries(client, at):
    """The page's own queries (those over the account's Discussions and orders) at `at`."""
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    own = [q for q in queries if "created_at >=" in q["sql"] and "seller_account_id" in q["sql"]]
    return response, len(own)


def test_issue_13_quality_figures_are_kept_for_the_minute(client, bulk_offer, buyer, seller):
    discussion_at(bulk_offer, buyer, NOW - 3 * HOUR)
    with time_machine.travel(NOW, tick=False):
        client.force_login(seller)
    first, computed = _quality_queries(client, NOW)
    assert computed == 2  # the grouped counts and the orders (no median without a reply)
    again, counted = _quality_queries(client, NOW + timedelta(seconds=30))
    assert counted == 0
    assert again.context["columns"] == first.context["columns"]
    assert again.context["now"] == NOW  # "as of" the instant they were computed
    _next_minute, counted = _quality_queries(client, NOW + timedelta(seconds=61))
    assert counted == computed


def test_issue_13_quality_shows_a_new_discussion_a_reply_and_an_order_at_once(client, bulk_offer, buyer, seller):
    first = discussion_at(bulk_offer, buyer, NOW - 3 * HOUR)
    with time_machine.travel(NOW, tick=False):
        client.force_login(seller)
    response, _counted = _quality_queries(client, NOW)
    assert response.context["columns"][0].discussions == 1

    discussion_at(bulk_offer, buyer, NOW - 2 * HOUR)
    response, _counted = _quality_queries(client, NOW + timedelta(seconds=1))
    assert response.context["columns"][0].discussions == 2
    assert response.context["columns"][0].answered == 0

    reply(first, seller, NOW - HOUR)  # the first reply time is written by QuerySet.update()
    response, _counted = _quality_queries(client, NOW + timedelta(seconds=2))
    assert response.context["columns"][0].answered == 1
    orders = response.context["columns"][0].orders

    make_order(bulk_offer, buyer, now=NOW - HOUR)
    response, _counted = _quality_queries(client, NOW + timedelta(seconds=3))
    assert response.context["columns"][0].orders == orders + 1
