"""TIME-07: recomputing stored deadlines after the holiday data changed."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from core import business_time
from discussions import services
from discussions.models import Discussion, Role
from tests.discussions.conftest import OPENED, REPLY_DUE, fresh, make_order, open_discussion

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_holiday(monkeypatch):
    """Pretend an upgrade of `holidays` declared Thursday 2026-11-26 a day off in Poland."""
    original = business_time._holiday_calendar

    def patched(country, year, language):
        days = dict(original(country, year, language))
        if country == "PL" and year == 2026:
            days[date(2026, 11, 26)] = "Nowe święto"
        return days

    monkeypatch.setattr(business_time, "_holiday_calendar", patched)
    business_time._day.cache_clear()
    yield
    business_time._day.cache_clear()


def test_time_07_stored_deadlines_are_not_recomputed_on_read(discussion, new_holiday):
    assert fresh(discussion).reply_due_at == REPLY_DUE


@pytest.fixture
def before_upgrade(offer, buyer):
    """Discussions whose deadlines were stored with the old holiday data."""
    closed = open_discussion(make_order(offer, buyer), now=OPENED)
    services.mark_resolved(closed, buyer=buyer, now=OPENED)
    replied = open_discussion(make_order(offer, buyer), now=OPENED)
    services.post_message(replied, author=replied.seller_account.user, role=Role.SELLER, text="Hello", now=OPENED)
    return closed, replied


def test_time_07_command_moves_open_deadlines_reports_them_and_leaves_closed_ones(
    discussion, before_upgrade, new_holiday
):
    closed, replied = before_upgrade

    out = io.StringIO()
    call_command("recompute_deadlines", "--dry-run", stdout=out)
    assert discussion.number in out.getvalue()
    assert fresh(discussion).reply_due_at == REPLY_DUE  # dry run changes nothing

    out = io.StringIO()
    call_command("recompute_deadlines", stdout=out)
    report = out.getvalue()
    # The new day off is skipped: Thu 26 is off, so 24 business hours end Fri 27 09:00 Warsaw.
    moved = fresh(discussion)
    assert moved.reply_due_at.isoformat() == "2026-11-27T08:00:00+00:00"
    assert f"{discussion.number} reply_due_at: 2026-11-26T08:00:00+00:00 -> 2026-11-27T08:00:00+00:00" in report
    assert "Nowe święto" in report
    assert closed.number not in report and replied.number not in report
    assert Discussion.objects.get(pk=closed.pk).reply_due_at == REPLY_DUE
    assert "1 open Discussions had deadlines that moved" in report
