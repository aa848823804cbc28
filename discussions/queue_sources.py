"""The kinds of case in the mediators' queue (MED-01), each a `QueueSource`: a
queryset of `(reason, object id, waiting since, market, state)` rows (ROW_FIELDS) that
discussions.queue combines with the others' in one UNION, and a loader that reads one
page's objects of its kind as the queue shows them — plain values by a query compiled
once per process (`_Loader`). Discussions that need a mediator (help, unresolved,
seller ignored Allegro), reported messages, complaints against seller blocks, seller
accounts over the unresolved threshold and commission-refund appeals.
"""

import weakref

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, CharField, Count, DateTimeField, Exists, F, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from core.admin import url_parts
from core.money import money
from core.prepared import CompiledQuery, keeps_plans
from orders.models import CommissionRefund, OrderLine, RatingRemovalRequest, SellerAccount

from .models import QUEUE_REASON, QUEUE_WAITING, QUEUE_WAITING_FROM, Discussion, Report, SellerBlock
from .search import q as search_q
from .search import seller_q

User = Discussion.buyer.field.related_model


class State:
    WAITING = "WAITING"
    IN_MEDIATION = "IN_MEDIATION"

    choices = [(WAITING, _("Waiting for a mediator")), (IN_MEDIATION, _("Mediator joined"))]


class QueueSource:
    """One kind of case. `rows` returns a values queryset with the columns of ROW_FIELDS;
    `load` turns the ids of one page into QueueItems."""

    reasons: list[tuple[str, str]] = []
    # Rows read once for both the queue's count and its page (a few grouped rows),
    # rather than counted and then read again up to the page's end.
    read_once = False

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        """`search`: a discussions.search.Search (UX-06) the rows must match, or None;
        `assignee`: a mediator's id, only the cases assigned to them (UX-07): a source
        whose cases cannot be assigned then has none."""
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


# A number that no primary key of ours has: where the SQL written once takes a page's
# ids (_Loader).
_IDS_SLOT = 7_300_001_336


class _Loader:
    """The rows of `build().filter(pk__in=ids)` (a values_list queryset) for one page's
    ids, by SQL compiled once per process and connection and converted as values_list()
    converts it (issue 13). Where PostgreSQL keeps plans (`core.prepared.keeps_plans`),
    the SQL takes the ids as one array (`= ANY(%s)`), so it is the same text for every
    page and is planned once. Elsewhere on PostgreSQL the constants are written into the
    SQL and each call writes the ids in as integers: nothing is prepared per request.
    Elsewhere the ORM runs it."""

    def __init__(self, build):
        self.build = build
        self._compiled = weakref.WeakKeyDictionary()

    def rows(self, ids, using):
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(connection, using)
        if not compiled:
            return list(self._queryset().filter(pk__in=ids).using(using))
        query, pieces = compiled
        ids = [int(pk) for pk in ids]
        if pieces is None:
            return query.run(connection, [ids])
        with connection.cursor() as cursor:
            cursor.execute(f"IN ({', '.join([str(pk) for pk in ids])})".join(pieces))
            return query.convert(cursor.fetchall(), connection)

    def _queryset(self):
        return self.build().order_by()

    def _compile(self, connection, using):
        """(the compiled query, None) with `= ANY(%s)` for the ids; (the compiled query,
        the SQL's two pieces around the ids) with the constants written in; or False
        where neither can be written (SQLite, other IN lists)."""
        if connection.vendor != "postgresql":
            return False
        query = CompiledQuery(self._queryset().filter(pk__in=[_IDS_SLOT]).using(using), [_IDS_SLOT])
        if query.sql.count("IN (%s)") != 1 or len(query.slots) != 1:
            return False
        if keeps_plans(connection):
            query.sql = query.sql.replace("IN (%s)", "= ANY(%s)")
            return query, None
        pieces = connection.ops.compose_sql(query.sql, query.params).split(f"IN ({_IDS_SLOT})")
        return (query, pieces) if len(pieces) == 2 else False


_loaders = {}


def _column_of(model, key, path):
    """The `path` of the `model` row whose primary key is the outer row's `key`."""
    return Subquery(model.objects.filter(pk=OuterRef(key)).order_by().values(path)[:1])


def _by_ids(name, build, ids):
    """`_Loader(build).rows(ids)`, one loader per name and process."""
    loader = _loaders.get(name)
    if loader is None:
        loader = _loaders[name] = _Loader(build)
    return loader.rows(ids, DEFAULT_DB_ALIAS)


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

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        conditions = self._conditions()
        wanted = [r for r in conditions if r in reasons]
        if not wanted:
            return None
        if len(wanted) == len(conditions):
            # Every reason: the condition of dsc_queue_waiting_idx itself, which holds
            # the waiting Discussions in the queue's order (issue 13).
            q = QUEUE_WAITING
        else:
            q = conditions[wanted[0]]
            for reason in wanted[1:]:
                q |= conditions[reason]
        queryset = Discussion.objects.filter(q)
        if market:
            queryset = queryset.filter(market_id=market)
        if search is not None:
            queryset = queryset.filter(search_q(search))
        if assignee is not None:
            queryset = queryset.filter(assignee_id=assignee)
        if state == State.WAITING:
            queryset = queryset.filter(mediator_joined_at__isnull=True)
        elif state == State.IN_MEDIATION:
            queryset = queryset.filter(mediator_joined_at__isnull=False)
        # Every row here is open, so QUEUE_REASON and QUEUE_WAITING_FROM (the
        # expressions of dsc_queue_waiting_idx) give the most pressing reason, as
        # _conditions() orders them, and when it began.
        return _row(
            queryset,
            reason=QUEUE_REASON,
            waiting_from=QUEUE_WAITING_FROM,
            market=F("market_id"),
            state=Case(
                When(mediator_joined_at__isnull=True, then=Value(State.WAITING)),
                default=Value(State.IN_MEDIATION),
                output_field=CharField(),
            ),
        )

    COLUMNS = (
        "pk",
        "q_title",
        "q_buyer",
        "q_seller_name",
        "q_seller_username",
        "status",
        "q_deadline",
        "q_mediator",
        "assignee_id",
        "q_assignee",
        "assigned_at",
    )

    @classmethod
    def _loaded(cls):
        # The deadline shown: none once the seller ignored Allegro; else the reply to the
        # mediator that is due, else the reply to the buyer that is due. One column
        # instead of the five it is computed from (issue 13).
        deadline = Case(
            When(seller_ignored_mediator_at__isnull=False, then=None),
            When(
                mediator_reply_due_at__isnull=False,
                seller_replied_to_mediator_at__isnull=True,
                then=F("mediator_reply_due_at"),
            ),
            When(reply_due_at__isnull=False, seller_replied_at__isnull=True, then=F("reply_due_at")),
            default=None,
            output_field=DateTimeField(),
        )
        # The related rows' columns as scalar subqueries by primary key rather than joins,
        # which PostgreSQL plans faster and reads by index for a page's few rows (joined,
        # it hashed the whole order lines table for 45 rows).
        related = {
            "q_title": _column_of(OrderLine, "line_id", "title"),
            "q_buyer": _column_of(User, "buyer_id", "username"),
            "q_seller_name": _column_of(SellerAccount, "seller_account_id", "display_name"),
            # The account's user by its key, not joined: two index lookups a row.
            "q_seller_username": Subquery(
                User.objects.filter(
                    pk=Subquery(
                        SellerAccount.objects.filter(pk=OuterRef(OuterRef("seller_account_id")))
                        .order_by()
                        .values("user_id")[:1]
                    )
                )
                .order_by()
                .values("username")[:1]
            ),
            "q_mediator": _column_of(User, "mediator_id", "username"),
            "q_assignee": _column_of(User, "assignee_id", "username"),
        }
        return Discussion.objects.annotate(**related, q_deadline=deadline).values_list(*cls.COLUMNS)

    def load(self, ids):
        # Plain values of the columns shown, not model instances, by a query compiled
        # once per process (issue 13).
        found = _by_ids("discussion", self._loaded, ids)
        statuses = {value: str(label) for value, label in Discussion.Status.choices}
        detail = str(_("%(buyer)s vs %(seller)s · %(status)s"))
        head, tail = url_parts("admin:discussions_discussion_change")
        items = {}
        for (
            pk,
            title,
            buyer,
            seller_name,
            seller_username,
            status,
            deadline,
            mediator,
            assignee_id,
            assignee,
            assigned_at,
        ) in found:
            items[pk] = {
                # Discussion.number and str(SellerAccount), from the columns.
                "title": f"D{pk:07d} · {title}",
                "url": f"{head}/{pk}/{tail}",
                "detail": detail
                % {"buyer": buyer, "seller": f"{seller_name} ({seller_username})", "status": statuses[status]},
                "deadline": deadline,
                "mediator": mediator or "",
                "assignee": assignee or "",
                "assignee_id": assignee_id,
                "assigned_at": assigned_at,
            }
        return items


class ReportSource(QueueSource):
    """RPT-02: reports of a violation in a message."""

    REPORT = "report"
    reasons = [(REPORT, _("Reported message"))]

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        if self.REPORT not in reasons or state == State.IN_MEDIATION or assignee is not None:
            return None
        queryset = Report.objects.filter(status=Report.Status.OPEN)
        if search is not None:
            queryset = queryset.filter(search_q(search, "message__discussion__"))
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
        found = _by_ids(
            "report",
            lambda: Report.objects.values_list("pk", "category", "message__discussion_id", "message__text"),
            ids,
        )
        categories = {value: str(label) for value, label in Report.Category.choices}
        head, tail = url_parts("admin:discussions_report_change")
        return {
            pk: {
                # Discussion.number, from the column.
                "title": f"{categories.get(category, category)} · D{discussion_id:07d}",
                "url": f"{head}/{pk}/{tail}",
                "detail": text[:120],
            }
            for pk, category, discussion_id, text in found
        }


class BlockComplaintSource(QueueSource):
    """MED-09: a seller's complaint against a block, decided by another mediator."""

    COMPLAINT = "complaint"
    reasons = [(COMPLAINT, _("Complaint against a seller block"))]

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        if self.COMPLAINT not in reasons or state == State.IN_MEDIATION or assignee is not None:
            return None
        queryset = SellerBlock.objects.filter(complaint_filed_at__isnull=False, complaint_decided_at__isnull=True)
        if search is not None:
            if seller_q(search, "seller_account__") is None:
                return None
            queryset = queryset.filter(seller_q(search, "seller_account__"))
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
        found = _by_ids(
            "complaint",
            lambda: SellerBlock.objects.values_list(
                "pk", "seller_account__display_name", "seller_account__user__username", "blocked_by__username"
            ),
            ids,
        )
        detail = str(_("Blocked by %(mediator)s; decide as another mediator."))
        head, tail = url_parts("admin:discussions_sellerblock_change")
        return {
            pk: {
                # str(SellerAccount) and str(User), from the columns.
                "title": f"{name} ({username})",
                "url": f"{head}/{pk}/{tail}",
                "detail": detail % {"mediator": blocked_by},
            }
            for pk, name, username, blocked_by in found
        }


class ThresholdSource(QueueSource):
    """MED-09: seller accounts with SELLER_UNRESOLVED_THRESHOLD or more open UNRESOLVED
    Discussions and no active block."""

    THRESHOLD = "threshold"
    reasons = [(THRESHOLD, _("Seller account over the unresolved threshold"))]
    read_once = True

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        if self.THRESHOLD not in reasons or state == State.IN_MEDIATION or assignee is not None:
            return None
        # Grouped from the open UNRESOLVED Discussions themselves, so that only those are
        # read (the partial index dsc_queue_unresolved_idx), not every account's history.
        queryset = Discussion.objects.filter(is_open=True, status=Discussion.Status.UNRESOLVED).exclude(
            Exists(SellerBlock.objects.filter(seller_account=OuterRef("seller_account"), lifted_at__isnull=True))
        )
        if market:
            queryset = queryset.filter(seller_account__market_id=market)
        if search is not None:
            if seller_q(search, "seller_account__") is None:
                return None
            queryset = queryset.filter(seller_q(search, "seller_account__"))
        return (
            queryset.values("seller_account")
            .annotate(
                # COUNT(*), not of a column: read from dsc_queue_unresolved_idx alone.
                q_count=Count("*"),
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

    @staticmethod
    def _accounts():
        # Each account's open UNRESOLVED Discussions counted in dsc_queue_unresolved_idx,
        # not among all of its Discussions (issue 13).
        open_unresolved = (
            Discussion.objects.filter(seller_account=OuterRef("pk"), is_open=True, status=Discussion.Status.UNRESOLVED)
            .order_by()
            .values("seller_account")
            .annotate(n=Count("*"))
            .values("n")
        )
        return SellerAccount.objects.annotate(open_unresolved=Coalesce(Subquery(open_unresolved), 0)).values_list(
            "pk", "display_name", "user__username", "open_unresolved"
        )

    def load(self, ids):
        found = _by_ids("threshold", self._accounts, ids)
        detail = str(_("%(count)s open unresolved Discussions (threshold %(threshold)s)"))
        threshold = settings.SELLER_UNRESOLVED_THRESHOLD
        head, tail = url_parts("admin:orders_selleraccount_change")
        return {
            pk: {
                # str(SellerAccount), from the columns.
                "title": f"{name} ({username})",
                "url": f"{head}/{pk}/{tail}",
                "detail": detail % {"count": count, "threshold": threshold},
            }
            for pk, name, username, count in found
        }


def _sellers_request_rows(queryset, reason, waiting_from, *, market, search):
    """The queue rows of a seller account's request about one order (an appeal, a rating
    removal): found by the account's login or shop name, or by the order's number."""
    if search is not None:
        found = Q(order_id=search.number) if search.number is not None else seller_q(search, "seller_account__")
        if found is None:
            return None
        queryset = queryset.filter(found)
    if market:
        queryset = queryset.filter(order__market_id=market)
    return _row(
        queryset, reason=reason, waiting_from=F(waiting_from), market=F("order__market_id"), state=State.WAITING
    )


class AppealSource(QueueSource):
    """REB-07: a seller appealed a rejected commission-refund application."""

    APPEAL = "appeal"
    reasons = [(APPEAL, _("Commission refund appeal"))]

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        if self.APPEAL not in reasons or state == State.IN_MEDIATION or assignee is not None:
            return None
        queryset = CommissionRefund.objects.filter(status=CommissionRefund.Status.APPEALED)
        return _sellers_request_rows(queryset, self.APPEAL, "appealed_at", market=market, search=search)

    def load(self, ids):
        found = _by_ids(
            "appeal",
            lambda: CommissionRefund.objects.values_list(
                "pk",
                "seller_account__display_name",
                "seller_account__user__username",
                "reason",
                "amount",
                "order__market__currency",
            ),
            ids,
        )
        reasons = {value: str(label) for value, label in CommissionRefund.Reason.choices}
        head, tail = url_parts("admin:orders_commissionrefund_change")
        return {
            pk: {
                # CommissionRefund.number and str(SellerAccount), from the columns.
                "title": f"R{pk:07d} · {name} ({username})",
                "url": f"{head}/{pk}/{tail}",
                "detail": f"{reasons.get(reason, reason)} · {money(amount, currency)}",
            }
            for pk, name, username, reason, amount, currency in found
        }


class RatingRemovalSource(QueueSource):
    """UX-11: a seller asks to remove a buyer's rating (*Chcesz usunąć ocenę od
    kupującego*), with the order and the reason."""

    RATING = "rating"
    reasons = [(RATING, _("Request to remove a buyer's rating"))]

    def rows(self, *, reasons, market, state, search=None, assignee=None):
        if self.RATING not in reasons or state == State.IN_MEDIATION or assignee is not None:
            return None
        queryset = RatingRemovalRequest.objects.filter(status=RatingRemovalRequest.Status.OPEN)
        return _sellers_request_rows(queryset, self.RATING, "created_at", market=market, search=search)

    def load(self, ids):
        found = _by_ids(
            "rating",
            lambda: RatingRemovalRequest.objects.values_list(
                "pk", "order_id", "seller_account__display_name", "seller_account__user__username", "reason", "text"
            ),
            ids,
        )
        reasons = {value: str(label) for value, label in RatingRemovalRequest.Reason.choices}
        order_title = str(_("Order %(number)s"))
        head, tail = url_parts("admin:orders_ratingremovalrequest_change")
        return {
            pk: {
                # Order.number and str(SellerAccount), from the columns.
                "title": f"{order_title % {'number': f'{order_id:08d}'}} · {name} ({username})",
                "url": f"{head}/{pk}/{tail}",
                "detail": f"{reasons.get(reason, reason)} · {text[:120]}",
            }
            for pk, order_id, name, username, reason, text in found
        }
