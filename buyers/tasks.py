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
    """Pictures uploaded in an add wizard that was never confirmed (MEDIA_ROOT/wizard/<token>/)
    are deleted a day later; a wizard in progress keeps its files (BLK-06)."""
    import shutil
    from pathlib import Path

    from django.conf import settings

    now = now or timezone.now()
    root = Path(settings.MEDIA_ROOT) / "wizard"
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and now.timestamp() - folder.stat().st_mtime > STAGED_MAX_AGE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
