"""What /sale/issues reads (API-01): the seller account's Discussions, each issue's
columns as plain values in one query (`issue_values`, rebuilt as `IssueRow`s), their
initial messages, the listed page and its count, and a page of a Discussion's messages
(`chat_rows`). Queries that a request repeats with other numbers are compiled once per
process (api.compiled). The views (api.issues) render what is read here through
api.issue_mapping.
"""

from functools import lru_cache

from django.db.models import BigIntegerField, Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.instants import InstantMicros, instant
from discussions import list_counts
from discussions.models import Attachment, Discussion, Message, Role
from orders.models import Market

from . import compiled
from . import issue_mapping as mapping

# --- Access (anything foreign is a 404, SEC-01) ---------------------------------------


def discussions_of(account):
    return Discussion.objects.filter(seller_account=account)


def get_issue(account, issue_id):
    """The account's Discussion as a model, for the services (writes)."""
    return get_object_or_404(
        discussions_of(account).select_related("market", "seller_account__user"), public_id=issue_id
    )


# What an issue shows (issue_mapping.issue, and the seller's actions in
# discussions.rules), read as plain values: a list of 100 issues would otherwise build
# 600 model instances (Discussion, order, line, buyer, market, message) per request.
ISSUE_COLUMNS = (
    "id",
    "public_id",
    "reason",
    "status",
    "is_open",
    "expected_solution",
    "expected_amount",
    "expected_percent",
    "opened_by_marketplace",
    "last_message_status",
    "buyer_id",
    "market_id",
)
# Instants, read through core.instants (they are most of a page's values).
ISSUE_INSTANTS = {
    "opened_at": "opened_at",
    "created_at": "created_at",
    "reply_due_at": "reply_due_at",
    "seller_replied_at": "seller_replied_at",
    "last_message_at": "last_message_at",
    "end_requested_at": "end_requested_at",
    "order_created_at": "order__created_at",
}


MARKET_COLUMNS = ("domain", "currency", "time_zone", "holiday_country", "language")


def initial_message_id(signed=False):
    """The initial message of each Discussion (see `issue_mapping._initial_message`):
    the buyer's own message written when opening it, else the automatic message that
    started it — a correlated subquery through the index on (discussion, created_at).

    `signed`: the id negated when Allegro hid the message (RPT-03), so that one lookup
    gives both (the issue cache's key changes when the message is hidden)."""
    opening = Message.objects.filter(discussion=OuterRef("pk"), created_at=OuterRef("created_at")).order_by("pk")
    if signed:
        opening = opening.annotate(
            ref=Case(When(hidden_at__isnull=True, then=F("pk")), default=-F("pk"), output_field=BigIntegerField())
        )
    column = "ref" if signed else "pk"
    return Coalesce(
        Subquery(opening.filter(author_role=Role.BUYER).values(column)[:1]),
        Subquery(opening.filter(kind=Message.Kind.AUTOMATIC, auto_code__in=mapping.OPENING_CODES).values(column)[:1]),
    )


# API-03: /chat lists messages newest first; of messages written at the same instant, the
# automatic ones come after the message that caused them (listed first, newest first), so
# that the buyer's own opening message is the oldest, as the initial message is.
CHAT_ORDER = (
    "-created_at",
    Case(When(kind=Message.Kind.AUTOMATIC, then=Value(0)), default=Value(1)).asc(),
    "-pk",
)


def _newest_message_at():
    """The instant of a Discussion's newest message (lastMessage.createdAt, API-03)."""
    newest = Message.objects.filter(discussion=OuterRef("pk")).order_by("-created_at")
    return InstantMicros(Subquery(newest.values("created_at")[:1]))


def _newest_party_role():
    """The author role of a Discussion's newest message written by a party (not an
    automatic message): what lastMessage.status follows (API-03)."""
    written = Message.objects.filter(discussion=OuterRef("pk")).exclude(author_role=Role.SYSTEM)
    return Subquery(written.order_by("-created_at", "-pk").values("author_role")[:1])


def _seller_wrote():
    # Whether the Discussion has a message of the seller: the first one's id IS NOT NULL,
    # looked up per Discussion through message_discussion_idx. As EXISTS, PostgreSQL
    # answered it from a hash of every seller message of the table (a scan of all
    # messages on every page: 0.45 ms at 10,000 messages, growing with the table).
    first = Message.objects.filter(discussion=OuterRef("pk"), author_role=Role.SELLER).order_by().values("pk")[:1]
    return IsNull(Subquery(first), False)


def _messages_count():
    """The number of a Discussion's messages (all of them, as /chat lists them)."""
    counted = Message.objects.filter(discussion=OuterRef("pk")).order_by().values("discussion")
    return Coalesce(Subquery(counted.annotate(count=Count("pk")).values("count")), 0)


def issue_values(queryset):
    """The Discussions of `queryset` as one values() query of everything an issue shows:
    their order, line, buyer and market columns, their number of messages, the id of
    their initial message (negative when it is hidden), and what their last message shows
    (its instant, the newest party's role, whether the seller wrote)."""
    related = {
        "order_public_id": F("order__public_id"),
        "offer_id": F("line__offer_id"),
        "line_quantity": F("line__quantity"),
        "buyer_login": F("buyer__username"),
        # Negative when hidden: row_objects() makes it the id and initial_message_hidden.
        "initial_message_id": initial_message_id(signed=True),
        "messages_count": _messages_count(),
        "instant_newest_message_at": _newest_message_at(),
        "newest_party_role": _newest_party_role(),
        "seller_wrote": _seller_wrote(),
        **{f"market_{name}": F(f"market__{name}") for name in MARKET_COLUMNS},
        **{f"instant_{name}": InstantMicros(path) for name, path in ISSUE_INSTANTS.items()},
    }
    return queryset.annotate(**related).values(*ISSUE_COLUMNS, *related)


def row_objects(names, rows):
    """`issue_values` rows (tuples) as `IssueRow`s; one Market object is made per market.
    Each keeps its tuple as `values`: the issue cache's key (api.issue_cache)."""
    plain, instants, market_columns = _row_plan(tuple(names))
    initial_at, market_at = names.index("initial_message_id"), names.index("market_id")
    markets = {}
    result = []
    for values in rows:
        row = {name: values[position] for name, position in plain}
        for name, position in instants:
            row[name] = instant(values[position])
        initial = values[initial_at]
        row["initial_message_hidden"] = hidden = initial is not None and initial < 0
        if hidden:
            row["initial_message_id"] = -initial
        code = values[market_at]
        market = markets.get(code)
        if market is None:
            market = markets[code] = Market(code=code, **{name: values[i] for name, i in market_columns})
        row["market"] = market
        row["values"] = values
        result.append(mapping.IssueRow(**row))
    return result


@lru_cache(maxsize=16)
def _row_plan(names):
    """Where `row_objects` finds each attribute among the columns `names`: (plain columns,
    instants, the market's columns), each as (attribute, position)."""
    instants = {f"instant_{name}": name for name in (*ISSUE_INSTANTS, "newest_message_at")}
    markets = {f"market_{name}": name for name in MARKET_COLUMNS}
    plain = tuple((name, i) for i, name in enumerate(names) if name not in instants and name not in markets)
    return (
        plain,
        tuple((instants[name], i) for i, name in enumerate(names) if name in instants),
        tuple((markets[name], i) for i, name in enumerate(names) if name in markets),
    )


def issue_rows(queryset):
    """The Discussions of `queryset` as `IssueRow`s, in one query (`issue_values`)."""
    return row_objects(*compiled.execute(issue_values(queryset)))


def _opening_values(messages):
    """The columns of an initial message, and whether it has attachments."""
    return messages.values(
        "id",
        *mapping.OpeningMessage.COLUMNS,
        is_hidden=Q(hidden_at__isnull=False),
        has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))),
    )


def _attachments_of(message_ids):
    """{message id: [(public id, name), …]} of the messages `message_ids` (only those known
    to have attachments are asked for)."""
    attachments = {}
    if message_ids:
        for message_id, public_id, name in (
            Attachment.objects.filter(message_id__in=message_ids)
            .order_by("pk")
            .values_list("message_id", "public_id", "original_name")
        ):
            attachments.setdefault(message_id, []).append((public_id, name))
    return attachments


def opening_messages(rows):
    """{discussion id: its initial message}: one query by primary keys (compiled once per
    number of ids, api.compiled) and one for the attachments of those that have any. A
    message's instant is its Discussion's start, so it is not read again."""
    started = {row.initial_message_id: row for row in rows if row.initial_message_id is not None}
    if not started:
        return {}
    names, values = compiled.rows_for_ids(
        "opening-messages", lambda ids: _opening_values(Message.objects.filter(pk__in=ids)), list(started)
    )
    found = {row[0]: dict(zip(names, row, strict=True)) for row in values}
    attachments = _attachments_of([message_id for message_id, message in found.items() if message["has_attachments"]])
    return {
        started[message_id].id: mapping.OpeningMessage(
            **{key: message[key] for key in mapping.OpeningMessage.COLUMNS},
            created_at=started[message_id].created_at,
            is_hidden=message["is_hidden"],
            attachment_rows=attachments.get(message_id, []),
        )
        for message_id, message in found.items()
    }


def _status_condition(statuses):
    """The statuses as a condition; claim statuses match nothing."""
    by_status = {
        "DISPUTE_ONGOING": Q(is_open=True, status=Discussion.Status.IN_PROGRESS),
        "DISPUTE_UNRESOLVED": Q(is_open=True, status=Discussion.Status.UNRESOLVED),
        "DISPUTE_CLOSED": Q(is_open=False),
    }
    condition = Q(pk__in=[])
    for value in statuses:
        condition |= by_status.get(value, Q(pk__in=[]))
    return condition


def listed_discussions(account_id, checkout_form_id, statuses):
    """The account's Discussions that /sale/issues lists for these filters."""
    discussions = Discussion.objects.filter(seller_account_id=account_id)
    if checkout_form_id is not None:
        discussions = discussions.filter(order__public_id=checkout_form_id)
    if statuses is not None:
        discussions = discussions.filter(_status_condition(statuses))
    return discussions


def listed_count(filters):
    """totalCount: without filters, the number of all the account's Discussions that the
    seller's list keeps in the cache (discussions.list_counts); with filters, an
    index-only count of them (one group: they all have the account), compiled once per
    filters (api.compiled)."""
    account_id, checkout_form_id, statuses = filters
    if checkout_form_id is None and statuses is None:
        return list_counts.seller_counts(account_id, timezone.now())["all"]
    _names, rows = compiled.rows(
        ("issue-count", *filters),
        lambda: (
            listed_discussions(*filters)
            .order_by()
            .values("seller_account_id")
            .annotate(count=Count("pk"))
            .values_list("count")
        ),
    )
    return rows[0][0] if rows else 0


def _listed(filters, offset, limit):
    return listed_discussions(*filters).order_by("-opened_at", "-id")[offset : offset + limit]


def listed_page(filters, offset, limit):
    """`issue_values` of one page (latest opening first), compiled once per filters and
    page (api.compiled)."""
    return compiled.rows(("issue-page", *filters, offset, limit), lambda: issue_values(_listed(filters, offset, limit)))


def chat_rows(discussion_id, offset, limit):
    """One page of a Discussion's messages, newest first (CHAT_ORDER), as `ChatMessageRow`s: one
    query (compiled once per page, api.compiled), and one more for the attachments of
    those that have any."""
    names, rows = compiled.rows(
        ("chat-page", discussion_id, offset, limit),
        lambda: (
            Message.objects.filter(discussion_id=discussion_id)
            .order_by(*CHAT_ORDER)
            .values(
                "id",
                *mapping.ChatMessageRow.COLUMNS,
                author_login=F("author__username"),
                is_hidden=Q(hidden_at__isnull=False),
                instant_created_at=InstantMicros("created_at"),
                has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))),
            )[offset : offset + limit]
        ),
    )
    messages = [dict(zip(names, values, strict=True)) for values in rows]
    attachments = _attachments_of([message["id"] for message in messages if message["has_attachments"]])
    return [
        mapping.ChatMessageRow(
            **{key: message[key] for key in mapping.ChatMessageRow.COLUMNS},
            author_login=message["author_login"],
            created_at=instant(message["instant_created_at"]),
            is_hidden=message["is_hidden"],
            attachment_rows=attachments.get(message["id"], []),
            pk=message["id"],
        )
        for message in messages
    ]
