"""BLK-02 / JOB-01: the sweep that removes entries 180 days after they were added."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from buyers import services, tasks
from buyers.models import InactiveBuyer
from core.errors import DomainError
from core.schedules import SCHEDULES
from tests.buyers.test_services import (
    ADDED,
    DAY,
    HOUR,
    SECOND,
    WINDOW,
    add_with_orders,
    bought,
    buy,
    restriction_message,
)
from tests.factories import UserFactory
from tests.storage import both_storages

SCHEDULE = "buyers.expire_entries"
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def entry(seller_account, seller, buyer, bulk_offer):
    return add_with_orders(seller_account, seller, buyer, bought(bulk_offer, buyer))


def entries(seller_account, seller, offer, count, *, added_at, prefix):
    """`count` entries of new buyers (each with three recent orders), added at `added_at`."""
    made = []
    for i in range(count):
        buyer = UserFactory(username=f"{prefix}{i}")
        orders = bought(offer, buyer, now=added_at - DAY)
        made.append(add_with_orders(seller_account, seller, buyer, orders, now=added_at))
    return made


def test_blk_02_an_entry_179_days_23_hours_old_stays_and_still_restricts(entry, offer, buyer):
    now = entry.added_at + 179 * DAY + 23 * HOUR

    assert tasks.expire_entries(now=now) == 0

    assert InactiveBuyer.objects.get(pk=entry.pk).is_active
    assert restriction_message(buyer, offer, now)
    with pytest.raises(DomainError):
        buy(offer, buyer, now)


def test_blk_02_an_entry_180_days_and_1_second_old_is_removed_and_the_buyer_can_buy(entry, offer, buyer):
    now = entry.added_at + WINDOW + SECOND

    assert tasks.expire_entries(now=now) == 1

    expired = InactiveBuyer.objects.get(pk=entry.pk)
    assert not expired.is_active
    assert expired.removal == InactiveBuyer.Removal.EXPIRED
    assert expired.removed_at == now
    assert expired.removed_by is None
    assert expired.reason == entry.reason  # kept as history (SEC-03)
    assert buy(offer, buyer, now + SECOND).buyer == buyer


def test_blk_02_running_the_sweep_twice_changes_nothing_the_second_time(entry):
    now = entry.added_at + WINDOW + SECOND
    assert tasks.expire_entries(now=now) == 1
    first = InactiveBuyer.objects.values().get(pk=entry.pk)

    assert tasks.expire_entries(now=now) == 0
    assert tasks.expire_entries(now=now + DAY) == 0

    assert InactiveBuyer.objects.values().get(pk=entry.pk) == first


def test_blk_02_the_sweep_works_in_batches_until_every_due_entry_is_removed(seller_account, seller, bulk_offer):
    due = entries(seller_account, seller, bulk_offer, 5, added_at=ADDED, prefix="due")
    not_due = entries(seller_account, seller, bulk_offer, 2, added_at=ADDED + 10 * DAY, prefix="fresh")
    now = ADDED + WINDOW + SECOND

    assert tasks.expire_entries(now=now, batch=2) == 5

    assert set(InactiveBuyer.objects.filter(removal=InactiveBuyer.Removal.EXPIRED)) == set(due)
    assert set(InactiveBuyer.objects.filter(removed_at__isnull=True)) == set(not_due)
    assert tasks.expire_entries(now=now, batch=2) == 0


def test_blk_02_the_sweep_leaves_entries_the_seller_already_removed_as_they_were(entry, seller):
    services.remove_entry(entry, seller=seller, now=ADDED + HOUR)

    assert tasks.expire_entries(now=ADDED + WINDOW + SECOND) == 0

    kept = InactiveBuyer.objects.get(pk=entry.pk)
    assert kept.removal == InactiveBuyer.Removal.SELLER
    assert kept.removed_at == ADDED + HOUR
    assert kept.removed_by == seller


def test_blk_02_a_buyer_whose_entry_expired_can_be_added_again(seller_account, seller, buyer, bulk_offer, entry):
    now = entry.added_at + WINDOW + SECOND
    tasks.expire_entries(now=now)
    recent = bought(bulk_offer, buyer, now=now)

    again = add_with_orders(seller_account, seller, buyer, recent, now=now + HOUR)

    assert again.is_active
    assert again.expires_at == now + HOUR + WINDOW


def test_blk_02_job_01_run_due_tasks_expires_entries_at_the_simulated_now(entry):
    out = StringIO()

    call_command("run_due_tasks", "--now", (entry.expires_at - SECOND).isoformat(), "--only", SCHEDULE, stdout=out)
    assert InactiveBuyer.objects.get(pk=entry.pk).is_active

    call_command("run_due_tasks", "--now", entry.expires_at.isoformat(), "--only", SCHEDULE, stdout=out)
    assert InactiveBuyer.objects.get(pk=entry.pk).removal == InactiveBuyer.Removal.EXPIRED
    assert out.getvalue().splitlines() == [f"{SCHEDULE}: 0", f"{SCHEDULE}: 1"]


def test_blk_02_job_01_the_sweep_is_declared_as_a_schedule():
    assert {"name": SCHEDULE, "func": "buyers.tasks.expire_entries", "minutes": 15} in SCHEDULES


def test_blk_02_the_180_days_are_elapsed_time_even_across_a_clock_change(seller_account, seller, buyer, bulk_offer):
    # Added in winter (CET), expiring in summer (CEST), with `now` given in Warsaw time as
    # run_due_tasks --now gives it: 180 × 24 hours, not 180 days on the wall clock.
    added_at = datetime(2026, 3, 3, 11, 0, tzinfo=WARSAW)
    entry = add_with_orders(seller_account, seller, buyer, bought(bulk_offer, buyer, now=added_at - DAY), now=added_at)

    assert entry.expires_at == datetime(2026, 8, 30, 10, 0, tzinfo=UTC)
    assert tasks.expire_entries(now=entry.expires_at - SECOND) == 0
    assert tasks.expire_entries(now=entry.expires_at) == 1


def _stage_at(name, when, file_storage):
    """A staged file whose last change was at `when`: on the local disk its mtime is set;
    the object store (moto in this process) records the travelled clock's instant."""
    import os

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    with time_machine.travel(when, tick=False):
        stored = default_storage.save(name, ContentFile(b"x"))
    if file_storage == "local":
        os.utime(default_storage.path(stored), (when.timestamp(), when.timestamp()))
    return stored


@both_storages  # OPS-01: through the storage API, on the local disk and in the object store
def test_blk_06_staged_pictures_of_an_abandoned_wizard_are_deleted_after_a_day(file_storage):
    from django.core.files.storage import default_storage

    from buyers.tasks import clean_staged_pictures
    from tests.storage import stored_names

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    day = timedelta(days=1)
    _stage_at("wizard/old-token/a.png", now - day - SECOND, file_storage)
    _stage_at("wizard/old-token/a-thumbnail.jpg", now - day - SECOND, file_storage)
    # A wizard whose last upload is within the day keeps all its files, older ones too.
    _stage_at("wizard/busy-token/a.png", now - 2 * day, file_storage)
    _stage_at("wizard/busy-token/b.png", now - day + SECOND, file_storage)
    _stage_at("wizard/fresh-token/a.png", now - SECOND, file_storage)

    assert clean_staged_pictures(now=now) == 1

    assert stored_names("wizard") == [
        "wizard/busy-token/a.png",
        "wizard/busy-token/b.png",
        "wizard/fresh-token/a.png",
    ]
    assert default_storage.listdir("wizard")[0] in (["busy-token", "fresh-token"], ["fresh-token", "busy-token"])
    assert clean_staged_pictures(now=now) == 0
