"""The mediators' queue (MED-01): one list of everything waiting for a mediator.

Each kind of case is a `QueueSource` (discussions.queue_sources): a queryset of
`(reason, object id, waiting since, market, state)` rows and a loader for one page of
its objects. The sources are combined with UNION and ordered by waiting time in the
database, so a page costs one count, one page query and one query per kind on the page,
whatever the size of the queue. An app adds its own kind with `register_queue_source`
(commission-refund appeals, REB-07).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connections
from django.utils.dateparse import parse_datetime

from .models import Discussion
from .queue_sources import (
    AppealSource,
    BlockComplaintSource,
    DiscussionSource,
    QueueSource,
    RatingRemovalSource,
    ReportSource,
    ThresholdSource,
)
from .queue_sources import State as State  # re-exported: the admin's filter and tests read queue.State


@dataclass
class QueueItem:
    reason: str
    reason_label: str
    waiting_from: datetime
    market: str
    state: str
    title: str
    url: str
    detail: str = ""
    deadline: datetime | None = None
    mediator: str = ""
    # UX-07: the mediator the case is assigned to (a Discussion's; other kinds: none).
    assignee: str = ""
    assignee_id: int | None = None
    assigned_at: datetime | None = None


# Numbers that no LIMIT or OFFSET of ours has: where the SQL written once takes a
# request's numbers (_queue_sql).
_NEEDED_SLOT, _LIMIT_SLOT, _OFFSET_SLOT = 7_300_001_337, 7_300_001_338, 7_300_001_339


_SOURCES: list[QueueSource] = [
    DiscussionSource(),
    ReportSource(),
    AppealSource(),
    BlockComplaintSource(),
    ThresholdSource(),
    RatingRemovalSource(),
]


def register_queue_source(source: QueueSource):
    """Add a kind of case to the queue (e.g. commission-refund appeals, REB-07)."""
    if not any(type(s) is type(source) for s in _SOURCES):
        _SOURCES.append(source)


def reason_choices():
    return [choice for source in _SOURCES for choice in source.reasons]


def queue_rows(*, reasons=None, market=None, state=None, search=None, assignee=None):
    """The combined queue, oldest waiting first, as `(reason, id, waiting_from, market,
    state)` rows; slice it for a page."""
    reasons = set(reasons or [value for value, _label in reason_choices()])
    wanted = {"reasons": reasons, "market": market, "state": state, "search": search, "assignee": assignee}
    parts = [p for p in (s.rows(**wanted) for s in _SOURCES) if p is not None]
    if not parts:
        return Discussion.objects.none().values_list("pk")
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("q_waiting_from", "q_reason", "q_id")


def load_items(rows):
    """QueueItems for one page of rows, one query per kind present."""
    # Translated once per page, not once per row (lazy texts).
    labels = {value: str(label) for value, label in reason_choices()}
    by_source = {}
    for source in _SOURCES:
        for value, _label in source.reasons:
            by_source[value] = source
    wanted = {}
    for reason, pk, *_rest in rows:
        wanted.setdefault(by_source[reason], set()).add(pk)
    loaded = {}
    for source, ids in wanted.items():
        loaded[id(source)] = source.load(ids)
    items = []
    for reason, pk, waiting_from, market, state in rows:
        data = loaded[id(by_source[reason])].get(pk)
        if data is None:  # decided between the two queries
            continue
        items.append(
            QueueItem(
                reason=reason,
                reason_label=labels[reason],
                waiting_from=waiting_from,
                market=market,
                state=state,
                **data,
            )
        )
    return items


def queue_counts():
    """Cases per reason, for the admin index: one count per reason."""
    counts = {}
    for source in _SOURCES:
        for value, _label in source.reasons:
            part = source.rows(reasons={value}, market=None, state=None)
            if part is not None:
                counts[value] = part.count()
    return counts


# The SQL of the combined queue depends only on the filters, the threshold and the
# registered sources: compiled once per combination and process (issue 13), not twice
# per request (a count and a page).
_compiled = {}


def _queue_sql(*, reasons, market, state, using, search=None, assignee=None):
    """(SQL, parameters) of one page of the combined queue with the whole queue's count,
    or (None, None) when no source is wanted. Each source gives at most the rows up to
    the page's end, in the queue's order (for the Discussions an index scan of
    dsc_queue_waiting_idx that stops there); the count adds each source's COUNT(*) (for
    the Discussions an index-only count). The result has a row per case of the page, the
    count last in each; an empty queue gives one row of NULLs with the count.

    Where the SQL takes a request's numbers it holds _NEEDED_SLOT (the rows up to the
    page's end), _LIMIT_SLOT and _OFFSET_SLOT. On PostgreSQL every other value is
    written into the SQL and the parameters are None (see _queue_query)."""
    key = (
        frozenset(reasons or ()),
        market,
        state,
        assignee,
        settings.SELLER_UNRESOLVED_THRESHOLD,
        tuple(type(s) for s in _SOURCES),
        using,
    )
    # A search (UX-06) is compiled for its request only: its text is not a key to keep.
    compiled = _compiled.get(key) if search is None else None
    if compiled is None:
        reasons = set(reasons or [value for value, _label in reason_choices()])
        wanted = {"reasons": reasons, "market": market, "state": state, "search": search, "assignee": assignee}
        parts = [(s, s.rows(**wanted)) for s in _SOURCES]
        parts = [(source, part) for source, part in parts if part is not None]
        if not parts:
            compiled = (None, None)
        else:
            parts = [(part.query.get_compiler(using=using).as_sql(), source.read_once) for source, part in parts]
            once = " , ".join(
                f"o{i} AS MATERIALIZED ({sql})" for i, ((sql, _p), read_once) in enumerate(parts) if read_once
            )
            count = " + ".join(
                f"(SELECT COUNT(*) FROM o{i})" if read_once else f"(SELECT COUNT(*) FROM ({sql}) c{i})"
                for i, ((sql, _p), read_once) in enumerate(parts)
            )
            # Positions 3, 1, 2: oldest waiting first, as queue_rows() orders them.
            page = " UNION ALL ".join(
                f"SELECT * FROM o{i}" if read_once else f"SELECT * FROM ({sql} ORDER BY 3, 1, 2 LIMIT %s) p{i}"
                for i, ((sql, _p), read_once) in enumerate(parts)
            )
            params = [param for (_sql, part_params), read_once in parts if read_once for param in part_params]
            params += [param for (_sql, part_params), read_once in parts if not read_once for param in part_params]
            for (_sql, part_params), read_once in parts:
                if not read_once:
                    params.extend((*part_params, _NEEDED_SLOT))
            params.extend((_LIMIT_SLOT, _OFFSET_SLOT))
            sql = (
                (f"WITH {once} " if once else "")
                + f"SELECT q.*, t.n FROM (SELECT {count} AS n) t LEFT JOIN ({page}) q ON TRUE "
                "ORDER BY 3, 1, 2 LIMIT %s OFFSET %s"
            )
            connection = connections[using]
            if connection.vendor == "postgresql":
                # Nothing for psycopg to parse per request (it caches that only for
                # short queries): the constants written in once, the numbers per request.
                compiled = (connection.ops.compose_sql(sql, params), None)
            else:
                compiled = (sql, tuple(params))
        if search is None:
            _compiled[key] = compiled
    return compiled


def _queue_query(sql, params, *, needed, limit, offset):
    """The SQL and parameters of _queue_sql() with a request's numbers."""
    if params is None:
        for slot, number in ((_NEEDED_SLOT, needed), (_LIMIT_SLOT, limit), (_OFFSET_SLOT, offset)):
            sql = sql.replace(str(slot), str(int(number)))
        return sql, None
    numbers = {_NEEDED_SLOT: needed, _LIMIT_SLOT: limit, _OFFSET_SLOT: offset}
    return sql, [numbers.get(p, p) if type(p) is int else p for p in params]


def _row_values(row):
    """A fetched row as the ORM gives it: SQLite returns datetimes as text (UTC)."""
    reason, pk, waiting_from, market, state = row
    if isinstance(waiting_from, str):
        waiting_from = parse_datetime(waiting_from)
        if settings.USE_TZ and waiting_from is not None and waiting_from.tzinfo is None:
            waiting_from = waiting_from.replace(tzinfo=UTC)
    return (reason, pk, waiting_from, market, state)


class _FetchedPage:
    """What a Paginator asks of the queue: its length and one page's rows, both from
    the one query that fetched that page."""

    def __init__(self, total, offset, rows):
        self.total, self.offset, self.rows = total, offset, rows

    def count(self):
        return self.total

    def __getitem__(self, item):
        return self.rows


def queue_page(number, per_page, *, reasons=None, market=None, state=None, search=None, assignee=None):
    """One page of the combined queue (as Paginator(queue_rows(...)).get_page(number)
    gives it) from one query that also counts the whole queue; `search` (UX-06) and
    `assignee` (UX-07) narrow it."""
    from django.core.paginator import InvalidPage, PageNotAnInteger, Paginator
    from django.db import router

    using = router.db_for_read(Discussion)
    sql, params = _queue_sql(reasons=reasons, market=market, state=state, using=using, search=search, assignee=assignee)

    def fetch(offset):
        if sql is None:
            return 0, []
        query, query_params = _queue_query(sql, params, needed=offset + per_page, limit=per_page, offset=offset)
        with connections[using].cursor() as cursor:
            cursor.execute(query, query_params)
            fetched = cursor.fetchall()
        if not fetched:
            return 0, []  # past the end, where not even the count's row is
        # An empty queue gives one row of NULLs with the count.
        return fetched[0][-1], [_row_values(row[:-1]) for row in fetched if row[1] is not None]

    try:
        # A page past any queue's end is its last page, as below; bounded first, so that
        # its offset fits in a SQL integer (SAFE-09).
        number = min(max(int(number), 1), 10**9)
    except (TypeError, ValueError):
        number = 1
    total, rows = fetch((number - 1) * per_page)
    if not rows and number > 1:
        # Past the end: the last page, as Paginator.get_page() does.
        total, _rows = fetch(0)
        number = max((total + per_page - 1) // per_page, 1)
        total, rows = fetch((number - 1) * per_page)
    paginator = Paginator(_FetchedPage(total, (number - 1) * per_page, rows), per_page)
    try:
        return paginator.page(number)
    except (InvalidPage, PageNotAnInteger):
        return paginator.page(1)
