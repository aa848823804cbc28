"""The count line of the seller's Discussion list (DSC-10), kept in the cache (issue 13).

The seller's list shows how many Discussions are open, need the seller's reply, are
past their reply deadline, and how many there are in all. For a seller with 10,000
Discussions that is an index-only count of thousands of entries, a millisecond of the
database's time on every view of the list, which a seller polls all day. The counts are
kept in the cache under a version of the seller account that every write to a column
they test replaces (`core.versioned`); "overdue" also changes with time alone, so the
entry holds until the soonest future reply deadline of a Discussion waiting for the
seller's reply, and is counted again once that is past.

What replaces the version: saving or deleting a Discussion (model signals) and a
QuerySet.update() of a column of LIST_COUNTS_WATCHED (`discussions_updated`). Writes
that bypass both (bulk inserts of bench and demo data, raw SQL) are seen after
`TIMEOUT` at the latest.
"""

from datetime import UTC, timedelta

from django.db import connection
from django.utils.dateparse import parse_datetime

from core.versioned import cached_at_version, replace_versions

from .models import LIST_COUNTS_WATCHED, Discussion, on_discussion_writes

TIMEOUT = 300


def version_key(account_id):
    return f"discussions:list-counts:{account_id}:version"


def _count(account_id, now):
    """(counts, valid until): one round trip of two index-only scans
    (dsc_seller_open_counts_idx holds every column the open counts test;
    dsc_seller_closed_idx)."""
    table = Discussion._meta.db_table
    now_value = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*),"
            " COUNT(*) FILTER (WHERE NOT last_message_status = %s),"
            " COUNT(*) FILTER (WHERE seller_replied_at IS NULL AND reply_due_at <= %s),"
            " MIN(reply_due_at) FILTER (WHERE seller_replied_at IS NULL AND reply_due_at > %s),"
            f" (SELECT COUNT(*) FROM {table} WHERE seller_account_id = %s AND NOT is_open)"
            f" FROM {table} WHERE seller_account_id = %s AND is_open",
            [Discussion.LastMessageStatus.SELLER_REPLIED.value, now_value, now_value, account_id, account_id],
        )
        open_count, needs_reply, overdue, next_due, closed = cursor.fetchone()
    if isinstance(next_due, str):  # SQLite: an aggregate's instant is text, in UTC
        next_due = parse_datetime(next_due)
        next_due = next_due.replace(tzinfo=UTC) if next_due.tzinfo is None else next_due
    counts = {"open": open_count, "needs_reply": needs_reply, "overdue": overdue, "all": open_count + closed}
    # Until just before the next deadline (a Discussion due at that instant is overdue
    # from it on); without one, until the version changes.
    return counts, None if next_due is None else next_due - timedelta(microseconds=1)


def seller_counts(account_id, now):
    """{"open", "needs_reply", "overdue", "all"} of the seller account's Discussions at
    `now`; needing the seller's reply: open, the last message not the seller's; overdue:
    open, past the reply deadline, without the seller's reply."""
    key = f"discussions:list-counts:{account_id}"
    return dict(cached_at_version(version_key(account_id), key, lambda: _count(account_id, now), TIMEOUT, now=now))


# --- What makes the counts stale --------------------------------------------------------------


def _changed(parties):
    replace_versions(sorted({version_key(seller_account_id) for _buyer_id, seller_account_id in parties}))


on_discussion_writes(LIST_COUNTS_WATCHED, _changed, "discussions_list_counts")
