"""TIME-07: after an upgrade of the holiday data, recompute the stored deadlines of open
Discussions and report every deadline that moved (id, old, new, why). Closed
Discussions are never touched."""

from django.core.management.base import BaseCommand
from django.db import transaction

from core.business_time import skipped_days
from discussions import rules
from discussions.models import Discussion


def _why(start, old, new, market):
    """Name the days off that explain the move, per the current holiday data."""
    old_day = old.astimezone(market.tz).date()
    skipped = skipped_days(start, new, market.holiday_country, market.time_zone)
    newly_off = [f"{d.day} {d.holiday}" for d in skipped if d.holiday and d.day <= old_day]
    if newly_off:
        return "now a day off: " + ", ".join(newly_off)
    if new < old:
        return "a day off in the old data is a business day now"
    return "holiday calendar changed"


class Command(BaseCommand):
    help = "Recompute the stored reply deadlines of open Discussions from the current holiday data (TIME-07)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would move; change nothing.")

    def handle(self, dry_run=False, **options):
        moved = 0
        queryset = Discussion.objects.filter(is_open=True).select_related("market").order_by("pk")
        for discussion in queryset.iterator(chunk_size=1000):
            market = discussion.market
            changes = {}
            if discussion.reply_due_at and discussion.seller_replied_at is None:
                new = rules.reply_deadline(market, discussion.opened_at)
                if new != discussion.reply_due_at:
                    changes["reply_due_at"] = (discussion.opened_at, discussion.reply_due_at, new)
                    changes["reply_warning_at"] = (
                        None,
                        None,
                        rules.reply_warning_instant(market, discussion.opened_at),
                    )
            if discussion.mediator_reply_due_at and discussion.seller_replied_to_mediator_at is None:
                start = discussion.mediator_first_message_at
                new = rules.reply_deadline(market, start)
                if new != discussion.mediator_reply_due_at:
                    changes["mediator_reply_due_at"] = (start, discussion.mediator_reply_due_at, new)
            if not changes:
                continue
            moved += 1
            for field, (start, old, new) in changes.items():
                if old is not None:
                    self.stdout.write(
                        f"{discussion.number} {field}: {old.isoformat()} -> {new.isoformat()} "
                        f"({_why(start, old, new, market)})"
                    )
            if not dry_run:
                with transaction.atomic():
                    # Only if the row still holds what we read (a reply may have come in).
                    Discussion.objects.filter(
                        pk=discussion.pk, is_open=True, **{f: old for f, (_s, old, _n) in changes.items() if old}
                    ).update(**{f: new for f, (_s, _o, new) in changes.items()})
        self.stdout.write(f"{moved} open Discussions had deadlines that moved{' (dry run)' if dry_run else ''}.")
