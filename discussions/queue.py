"""The mediators' queue (MED-01): one list of everything waiting for a mediator.

Each kind of case is a `QueueSource`: a queryset of `(reason, object id, waiting since,
market, state)` rows and a loader for one page of its objects. The sources are combined
with UNION and ordered by waiting time in the database, so a page costs one count, one
page query and one query per kind on the page, whatever the size of the queue. An app
adds its own kind with `register_queue_source` (commission-refund appeals, REB-07).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Case, CharField, Count, DateTimeField, Exists, F, Min, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.templatetags.ui import money
from orders.models import CommissionRefund, SellerAccount

from .models import Discussion, Report, SellerBlock


class State:
    WAITING = "WAITING"
    IN_MEDIATION = "IN_MEDIATION"

    choices = [(WAITING, _("Waiting for a mediator")), (IN_MEDIATION, _("Mediator joined"))]


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


class QueueSource:
    """One kind of case. `rows` returns a values queryset with the columns of ROW_FIELDS;
    `load` turns the ids of one page into QueueItems."""

    reasons: list[tuple[str, str]] = []

    def rows(self, *, reasons, market, state):
        raise NotImplementedError

    def load(self, ids):
        raise NotImplementedError


ROW_FIELDS = ["q_reason", "q_id", "q_waiting_from", "q_market", "q_state"]


def _row(queryset, *, reason, waiting_from, market, state):
    # Every column is an annotation so that all sources line up in the UNION.
    return (
        queryset.annotate(
            q_reason=reason if not isinstance(reason, str) else Value(reason, output_field=CharField()),
            q_id=F("pk"),
            q_waiting_from=Cast(waiting_from, DateTimeField()),
            q_market=Cast(market, CharField()),
            q_state=state if not isinstance(state, str) else Value(state, output_field=CharField()),
        )
        .order_by()
        .values_list(*ROW_FIELDS)
    )


class DiscussionSource(QueueSource):
    """Buyer asked for help (DSC-08), marked unresolved (DSC-17), seller ignored the
    mediator (DSC-09). A Discussion appears once, under the most pressing of its reasons."""

    HELP, UNRESOLVED, IGNORED = "help", "unresolved", "ignored"
    reasons = [
        (HELP, _("Buyer asked Allegro for help")),
        (UNRESOLVED, _("Marked unresolved")),
        (IGNORED, _("Seller ignored Allegro")),
    ]

    def _conditions(self):
        open_ = Q(is_open=True)
        ignored = open_ & Q(seller_ignored_mediator_at__isnull=False)
        unresolved = open_ & Q(status=Discussion.Status.UNRESOLVED) & ~ignored
        help_ = open_ & Q(help_requested_at__isnull=False) & ~ignored & ~Q(status=Discussion.Status.UNRESOLVED)
        return {self.IGNORED: ignored, self.UNRESOLVED: unresolved, self.HELP: help_}

    def rows(self, *, reasons, market, state):
        conditions = self._conditions()
        wanted = [conditions[r] for r in reasons if r in conditions]
        if not wanted:
            return None
        q = wanted[0]
        for condition in wanted[1:]:
            q |= condition
        queryset = Discussion.objects.filter(q)
        if market:
            queryset = queryset.filter(market_id=market)
        if state == State.WAITING:
            queryset = queryset.filter(mediator_joined_at__isnull=True)
        elif state == State.IN_MEDIATION:
            queryset = queryset.filter(mediator_joined_at__isnull=False)
        return _row(
            queryset,
            reason=Case(
                When(conditions[self.IGNORED], then=Value(self.IGNORED)),
                When(conditions[self.UNRESOLVED], then=Value(self.UNRESOLVED)),
                default=Value(self.HELP),
                output_field=CharField(),
            ),
            waiting_from=Case(
                When(conditions[self.IGNORED], then=F("seller_ignored_mediator_at")),
                When(conditions[self.UNRESOLVED], then=F("unresolved_at")),
                default=F("help_requested_at"),
                output_field=DateTimeField(),
            ),
            market=F("market_id"),
            state=Case(
                When(mediator_joined_at__isnull=True, then=Value(State.WAITING)),
                default=Value(State.IN_MEDIATION),
                output_field=CharField(),
            ),
        )

    def load(self, ids):
        # Plain values of the columns shown, not model instances (issue 13).
        found = Discussion.objects.filter(pk__in=ids).values_list(
            "pk",
            "line__title",
            "buyer__username",
            "seller_account__display_name",
            "seller_account__user__username",
            "status",
            "seller_ignored_mediator_at",
            "mediator_reply_due_at",
            "seller_replied_to_mediator_at",
            "reply_due_at",
            "seller_replied_at",
            "mediator__username",
        )
        statuses = {value: str(label) for value, label in Discussion.Status.choices}
        detail = str(_("%(buyer)s vs %(seller)s · %(status)s"))
        head, _zero, tail = reverse("admin:discussions_discussion_change", args=[0]).rpartition("/0/")
        items = {}
        for row in found:
            pk, title, buyer, seller_name, seller_username, status = row[:6]
            ignored_at, mediator_due, replied_to_mediator, reply_due, replied, mediator = row[6:]
            if ignored_at:
                deadline = None
            elif mediator_due and not replied_to_mediator:
                deadline = mediator_due
            elif reply_due and not replied:
                deadline = reply_due
            else:
                deadline = None
            items[pk] = {
                # Discussion.number and str(SellerAccount), from the columns.
                "title": f"D{pk:07d} · {title}",
                "url": f"{head}/{pk}/{tail}",
                "detail": detail
                % {"buyer": buyer, "seller": f"{seller_name} ({seller_username})", "status": statuses[status]},
                "deadline": deadline,
                "mediator": mediator or "",
            }
        return items


class ReportSource(QueueSource):
    """RPT-02: reports of a violation in a message."""

    REPORT = "report"
    reasons = [(REPORT, _("Reported message"))]

    def rows(self, *, reasons, market, state):
        if self.REPORT not in reasons or state == State.IN_MEDIATION:
            return None
        queryset = Report.objects.filter(status=Report.Status.OPEN)
        if market:
            queryset = queryset.filter(message__discussion__market_id=market)
        return _row(
            queryset,
            reason=self.REPORT,
            waiting_from=F("created_at"),
            market=F("message__discussion__market_id"),
            state=State.WAITING,
        )

    def load(self, ids):
        found = Report.objects.filter(pk__in=ids).select_related("message__discussion", "reporter")
        return {
            r.pk: {
                "title": f"{r.get_category_display()} · {r.message.discussion.number}",
                "url": reverse("admin:discussions_report_change", args=[r.pk]),
                "detail": r.message.text[:120],
            }
            for r in found
        }


class BlockComplaintSource(QueueSource):
    """MED-09: a seller's complaint against a block, decided by another mediator."""

    COMPLAINT = "complaint"
    reasons = [(COMPLAINT, _("Complaint against a seller block"))]

    def rows(self, *, reasons, market, state):
        if self.COMPLAINT not in reasons or state == State.IN_MEDIATION:
            return None
        queryset = SellerBlock.objects.filter(complaint_filed_at__isnull=False, complaint_decided_at__isnull=True)
        if market:
            queryset = queryset.filter(seller_account__market_id=market)
        return _row(
            queryset,
            reason=self.COMPLAINT,
            waiting_from=F("complaint_filed_at"),
            market=F("seller_account__market_id"),
            state=State.WAITING,
        )

    def load(self, ids):
        found = SellerBlock.objects.filter(pk__in=ids).select_related("seller_account__user", "blocked_by")
        return {
            b.pk: {
                "title": str(b.seller_account),
                "url": reverse("admin:discussions_sellerblock_change", args=[b.pk]),
                "detail": _("Blocked by %(mediator)s; decide as another mediator.") % {"mediator": b.blocked_by},
            }
            for b in found
        }


class ThresholdSource(QueueSource):
    """MED-09: seller accounts with SELLER_UNRESOLVED_THRESHOLD or more open UNRESOLVED
    Discussions and no active block."""

    THRESHOLD = "threshold"
    reasons = [(THRESHOLD, _("Seller account over the unresolved threshold"))]

    @staticmethod
    def _open_unresolved():
        return Q(discussions__is_open=True, discussions__status=Discussion.Status.UNRESOLVED)

    def rows(self, *, reasons, market, state):
        if self.THRESHOLD not in reasons or state == State.IN_MEDIATION:
            return None
        # Grouped from the open UNRESOLVED Discussions themselves, so that only those are
        # read (the partial index dsc_queue_unresolved_idx), not every account's history.
        queryset = Discussion.objects.filter(is_open=True, status=Discussion.Status.UNRESOLVED).exclude(
            Exists(SellerBlock.objects.filter(seller_account=OuterRef("seller_account"), lifted_at__isnull=True))
        )
        if market:
            queryset = queryset.filter(seller_account__market_id=market)
        return (
            queryset.values("seller_account")
            .annotate(
                q_count=Count("pk"),
                q_reason=Value(self.THRESHOLD, output_field=CharField()),
                q_id=F("seller_account"),
                q_waiting_from=Cast(Min("unresolved_at"), DateTimeField()),
                q_market=Cast(F("seller_account__market_id"), CharField()),
                q_state=Value(State.WAITING, output_field=CharField()),
            )
            .filter(q_count__gte=settings.SELLER_UNRESOLVED_THRESHOLD)
            .order_by()
            .values_list(*ROW_FIELDS)
        )

    def load(self, ids):
        found = (
            SellerAccount.objects.filter(pk__in=ids)
            .select_related("user")
            .annotate(open_unresolved=Count("discussions", filter=self._open_unresolved()))
        )
        return {
            a.pk: {
                "title": str(a),
                "url": reverse("admin:orders_selleraccount_change", args=[a.pk]),
                "detail": _("%(count)s open unresolved Discussions (threshold %(threshold)s)")
                % {"count": a.open_unresolved, "threshold": settings.SELLER_UNRESOLVED_THRESHOLD},
            }
            for a in found
        }


class AppealSource(QueueSource):
    """REB-07: a seller appealed a rejected commission-refund application."""

    APPEAL = "appeal"
    reasons = [(APPEAL, _("Commission refund appeal"))]

    def rows(self, *, reasons, market, state):
        if self.APPEAL not in reasons or state == State.IN_MEDIATION:
            return None
        queryset = CommissionRefund.objects.filter(status=CommissionRefund.Status.APPEALED)
        if market:
            queryset = queryset.filter(order__market_id=market)
        return _row(
            queryset,
            reason=self.APPEAL,
            waiting_from=F("appealed_at"),
            market=F("order__market_id"),
            state=State.WAITING,
        )

    def load(self, ids):
        found = CommissionRefund.objects.filter(pk__in=ids).select_related("seller_account__user", "order__market")
        return {
            a.pk: {
                "title": f"{a.number} · {a.seller_account}",
                "url": reverse("admin:orders_commissionrefund_change", args=[a.pk]),
                "detail": f"{a.get_reason_display()} · {money(a.amount, a.order.market.currency)}",
            }
            for a in found
        }


_SOURCES: list[QueueSource] = [
    DiscussionSource(),
    ReportSource(),
    AppealSource(),
    BlockComplaintSource(),
    ThresholdSource(),
]


def register_queue_source(source: QueueSource):
    """Add a kind of case to the queue (e.g. commission-refund appeals, REB-07)."""
    if not any(type(s) is type(source) for s in _SOURCES):
        _SOURCES.append(source)


def reason_choices():
    return [choice for source in _SOURCES for choice in source.reasons]


def queue_rows(*, reasons=None, market=None, state=None):
    """The combined queue, oldest waiting first, as `(reason, id, waiting_from, market,
    state)` rows; slice it for a page."""
    reasons = set(reasons or [value for value, _label in reason_choices()])
    parts = [p for p in (s.rows(reasons=reasons, market=market, state=state) for s in _SOURCES) if p is not None]
    if not parts:
        return Discussion.objects.none().values_list("pk")
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("q_waiting_from", "q_reason", "q_id")


def load_items(rows):
    """QueueItems for one page of rows, one query per kind present."""
    labels = dict(reason_choices())
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


def _queue_sql(*, reasons, market, state, using):
    key = (
        frozenset(reasons or ()),
        market,
        state,
        settings.SELLER_UNRESOLVED_THRESHOLD,
        tuple(type(s) for s in _SOURCES),
        using,
    )
    compiled = _compiled.get(key)
    if compiled is None:
        reasons = set(reasons or [value for value, _label in reason_choices()])
        parts = [p for p in (s.rows(reasons=reasons, market=market, state=state) for s in _SOURCES) if p is not None]
        if not parts:
            compiled = (None, ())
        else:
            combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
            sql, params = combined.query.get_compiler(using=using).as_sql()
            compiled = (
                # Positions 3, 1, 2: oldest waiting first, as queue_rows() orders them.
                f"SELECT q.*, COUNT(*) OVER () FROM ({sql}) q ORDER BY 3, 1, 2 LIMIT %s OFFSET %s",
                tuple(params),
            )
        _compiled[key] = compiled
    return compiled


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


def queue_page(number, per_page, *, reasons=None, market=None, state=None):
    """One page of the combined queue (as Paginator(queue_rows(...)).get_page(number)
    gives it) from one query that also counts the whole queue."""
    from django.core.paginator import InvalidPage, PageNotAnInteger, Paginator
    from django.db import connections, router

    using = router.db_for_read(Discussion)
    sql, params = _queue_sql(reasons=reasons, market=market, state=state, using=using)

    def fetch(offset):
        if sql is None:
            return 0, []
        with connections[using].cursor() as cursor:
            cursor.execute(sql, (*params, per_page, offset))
            fetched = cursor.fetchall()
        return (fetched[0][-1] if fetched else 0), [_row_values(row[:-1]) for row in fetched]

    try:
        number = max(int(number), 1)
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
