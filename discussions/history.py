"""Both parties' history in the mediator's case view (MED-02), kept in the cache.

The case view shows how many other Discussions the buyer has (open, unresolved, with a
request for help) and how many the seller account has (open, unresolved, ignoring
Allegro). For a party with 10,000 Discussions each count reads 10,000 index entries:
milliseconds of the database's time on every view of every case of that party. The
counts over all of a party's Discussions are kept in the cache under a version of the
party that every write to a counted column replaces (`core.versioned`); the Discussion
on screen is then taken out of them, so one entry serves every case of the party.

What replaces a version: saving or deleting a Discussion (model signals) and a
QuerySet.update() of a counted column (`discussions.models.discussions_updated`).
Writes that bypass both (bulk inserts of bench and demo data, raw SQL) are seen after
`TIMEOUT` at the latest.
"""

from django.db.models import Count, Q

from core.prepared import PreparedQuery
from core.versioned import cached_many_at_version, replace_versions

from .models import HISTORY_WATCHED, Discussion, on_discussion_writes

TIMEOUT = 300

_COUNTED = {
    "total": Q(),
    "open": Q(is_open=True),
    "unresolved": Q(status=Discussion.Status.UNRESOLVED),
    "help": Q(help_requested_at__isnull=False),
    "ignored": Q(seller_ignored_mediator_at__isnull=False),
}


def _counts_of(discussion):
    """Which counts `discussion` itself is in."""
    return {
        "total": True,
        "open": discussion.is_open,
        "unresolved": discussion.status == Discussion.Status.UNRESOLVED,
        "help": discussion.help_requested_at is not None,
        "ignored": discussion.seller_ignored_mediator_at is not None,
    }


_PARTIES = {
    # party: (the column that names it, the counts shown)
    "buyer": ("buyer_id", ("total", "open", "unresolved", "help")),
    "seller": ("seller_account_id", ("total", "open", "unresolved", "ignored")),
}


def _history_query(party):
    # One grouped query compiled once per process: on PostgreSQL an index-only scan of
    # dsc_buyer_history_idx or dsc_seller_history_idx, which hold the columns counted.
    column, counted = _PARTIES[party]
    return PreparedQuery(
        lambda party_id: (
            Discussion.objects.filter(**{column: party_id})
            .order_by()
            .values(column)
            .annotate(**{name: Count("pk", filter=_COUNTED[name] or None) for name in counted})
            .values_list(*counted)
        )
    )


_HISTORY = {party: _history_query(party) for party in _PARTIES}


def version_key(party, party_id):
    """The version of a party's Discussions ("buyer" or "seller" account), replaced by every
    write to a column of HISTORY_WATCHED (the sales-quality panel is kept under it too)."""
    return f"discussions:history:{party}:{party_id}:version"


def _all_counts_entry(party, party_id):
    """The cache entry of the counts of all of the party's Discussions (a tuple in
    _PARTIES' order), for core.versioned."""

    def compute():
        rows = _HISTORY[party].rows(party_id)
        return (tuple(rows[0]) if rows else (0,) * len(_PARTIES[party][1])), None

    return version_key(party, party_id), f"discussions:history:{party}:{party_id}", compute


def party_history(discussion):
    """Both parties' other Discussions (MED-02): the buyer's as a buyer, the seller
    account's as a seller, as {"buyer": {"total": …, …}, "seller": {…}}; both parties'
    kept counts read in one cache round trip."""
    own = _counts_of(discussion)
    entries = [_all_counts_entry(party, getattr(discussion, column)) for party, (column, _c) in _PARTIES.items()]
    history = {}
    for (party, (_column, counted)), counts in zip(
        _PARTIES.items(), cached_many_at_version(entries, TIMEOUT), strict=True
    ):
        history[party] = {name: count - own[name] for name, count in zip(counted, counts, strict=True)}
    return history


# --- What makes the counts stale --------------------------------------------------------------


def history_changed(parties):
    """The history of these (buyer_id, seller_account_id) pairs is stale."""
    keys = set()
    for buyer_id, seller_account_id in parties:
        keys.add(version_key("buyer", buyer_id))
        keys.add(version_key("seller", seller_account_id))
    replace_versions(sorted(keys))


on_discussion_writes(HISTORY_WATCHED, history_changed, "discussions_history")
