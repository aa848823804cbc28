"""BLK-02: entries leave the tab 180 days after they were added (JOB-01).

Set-based and idempotent: each batch is one UPDATE of the due active rows, chosen
through the partial index on `expires_at`, that re-checks the due condition, so a run
racing another run, or a seller removing the same entry, changes each row once.
"""

import time

from django.db import transaction
from django.utils import timezone

from .models import InactiveBuyer
from .services import expired_q

BATCH = 500
RUN_BUDGET_SECONDS = 60  # well inside django-q2's timeout (240 s)


def expire_entries(now=None, batch=BATCH):
    now = now or timezone.now()
    started = time.monotonic()
    done = 0
    while True:
        with transaction.atomic():
            due = InactiveBuyer.objects.filter(expired_q(now)).order_by("expires_at", "pk")
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])
            changed = (
                InactiveBuyer.objects.filter(expired_q(now), pk__in=ids).update(
                    removed_at=now, removal=InactiveBuyer.Removal.EXPIRED
                )
                if ids
                else 0
            )
        done += changed
        if len(ids) < batch or time.monotonic() - started > RUN_BUDGET_SECONDS:
            return done


STAGED_MAX_AGE_SECONDS = 24 * 3600


def clean_staged_pictures(now=None):
    """Pictures uploaded in an add wizard that was never confirmed (wizard/<token>/ in the
    file storage) are deleted a day after the wizard's last upload; a wizard in progress
    keeps its files (BLK-06). Through the storage API only (OPS-01): the local disk and an
    object store alike. A run stops taking up folders after RUN_BUDGET_SECONDS."""
    from django.core.files.storage import default_storage

    from core.storage import remove_if_empty, walk

    now = now or timezone.now()
    started = time.monotonic()
    try:
        folders, _files = default_storage.listdir("wizard")
    except FileNotFoundError:
        return 0
    removed = 0
    for folder in folders:
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            break
        names = walk(f"wizard/{folder}")
        if names and all(
            (now - default_storage.get_modified_time(name)).total_seconds() > STAGED_MAX_AGE_SECONDS for name in names
        ):
            for name in names:
                default_storage.delete(name)
            removed += 1
        remove_if_empty(f"wizard/{folder}")
    return removed
