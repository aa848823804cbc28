"""The mediators' queue (MED-01): one list of everything waiting for a mediator.

Each kind of case is a `QueueSource`: a queryset of `(reason, object id, waiting since,
market, state)` rows and a loader for one page of its objects. The sources are combined
with UNION and ordered by waiting time in the database, so a page costs one count, one
page query and one query per kind on the page, whatever the size of the queue. An app
adds its own kind with `register_queue_source` (commission-refund appeals, REB-07).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Case, CharField, Count, DateTimeField, Exists, F, Min, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.urls import reverse
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
        found = Discussion.objects.filter(pk__in=ids).select_related(
            "seller_account__user", "buyer", "mediator", "line"
        )
        items = {}
        for d in found:
            if d.seller_ignored_mediator_at:
                deadline = None
            elif d.mediator_reply_due_at and not d.seller_replied_to_mediator_at:
                deadline = d.mediator_reply_due_at
            elif d.reply_due_at and not d.seller_replied_at:
                deadline = d.reply_due_at
            else:
                deadline = None
            items[d.pk] = {
                "title": f"{d.number} · {d.line.title}",
                "url": reverse("admin:discussions_discussion_change", args=[d.pk]),
                "detail": _("%(buyer)s vs %(seller)s · %(status)s")
                % {"buyer": d.buyer, "seller": d.seller_account, "status": d.get_status_display()},
                "deadline": deadline,
                "mediator": str(d.mediator or ""),
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
        queryset = SellerAccount.objects.filter(
            ~Exists(SellerBlock.objects.filter(seller_account=OuterRef("pk"), lifted_at__isnull=True))
        )
        if market:
            queryset = queryset.filter(market_id=market)
        queryset = queryset.annotate(
            q_count=Count("discussions", filter=self._open_unresolved()),
        ).filter(q_count__gte=settings.SELLER_UNRESOLVED_THRESHOLD)
        return _row(
            queryset,
            reason=self.THRESHOLD,
            waiting_from=Min("discussions__unresolved_at", filter=self._open_unresolved()),
            market=F("market_id"),
            state=State.WAITING,
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
