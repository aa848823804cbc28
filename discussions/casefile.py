"""The mediator's case view of one Discussion (MED-02): the conversation, the order's
events, proposals, decisions and status changes on one timeline, and both parties'
history side by side, so that the mediator judges impartially. A fixed number of
queries, whatever the length of the conversation.

Issue 13: each part is read as plain values by a query compiled once per process
(core.prepared), and each timeline entry is written as HTML once, in one pass (what
templates/admin/discussions/discussion/case_file.html showed per entry)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Subquery
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import HTML_ESCAPES
from core.money import money
from core.prepared import PreparedQuery, RowReader, rows_together
from orders.models import Market, Order, OrderEvent, OrderLine, SellerAccount

from .models import Compensation, Discussion, Message, Proposal, Role, StatusChange
from .texts import render_automatic


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # message, order, status, proposal, compensation
    who: str
    role: str
    text: str
    attachments: list = field(default_factory=list)
    hidden: bool = False
    anchor: str = ""
    role_code: str = ""
    # The language a person's message was written in (I18N-01), its code and its name.
    language: str = ""
    language_name: str = ""
    # What the case view shows, computed once (issue 13): the time in the active zone,
    # the <li>'s classes, "role · who", the language tag, and the entry's markup.
    when: str = ""
    css: str = ""
    who_line: str = ""
    language_tag: str = ""
    html: str = ""

    def present(self, zone, texts):
        """The display values and the <li> of case_file.html's timeline, with `texts`
        (the page's translated labels, see _texts)."""
        self.when = self.at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
        self.css = f"kind-{self.kind} role-{self.role_code}" + (" hidden-message" if self.hidden else "")
        self.role = str(self.role)
        self.who_line = f"{self.role} · {self.who}" if self.who and self.who != self.role else self.role
        if self.language:
            self.language_tag = texts["written_in"] % {"language": self.language_name}
        anchor = f' id="{self.anchor.translate(HTML_ESCAPES)}"' if self.anchor else ""
        hidden = texts["hidden"] if self.hidden else ""
        if self.language:
            language = f'<span class="tag lang-tag">{self.language_tag.translate(HTML_ESCAPES)}</span>'
            lang = f' lang="{self.language.translate(HTML_ESCAPES)}"'
        else:
            language = lang = ""
        if self.attachments:
            items = "".join(
                [
                    f'\n          <li><a href="{a["url"].translate(HTML_ESCAPES)}" target="_blank" rel="noopener">'
                    f"{a['name'].translate(HTML_ESCAPES)}</a> ({a['size'].translate(HTML_ESCAPES)})</li>\n          "
                    for a in self.attachments
                ]
            )
            attachments = f'\n        <ul class="attachments">\n          {items}\n        </ul>\n        '
        else:
            attachments = ""
        self.html = (
            f'\n    <li class="{self.css.translate(HTML_ESCAPES)}"{anchor}>\n'
            f'      <div class="when">{self.when.translate(HTML_ESCAPES)}</div>\n'
            "      <div>\n"
            f'        <span class="who">{self.who_line.translate(HTML_ESCAPES)}</span>\n'
            f"        {hidden}\n"
            f"        {language}\n"
            f'        <div class="text"{lang}>{str(self.text).translate(HTML_ESCAPES)}</div>\n'
            f"        {attachments}\n"
            "      </div>\n"
            "    </li>\n    "
        )


def _texts():
    """The timeline's labels in the active language, translated once per page."""
    return {
        "written_in": gettext("written in: %(language)s"),
        "hidden": '<span class="tag">'
        + gettext("hidden by Allegro — the parties do not see it").translate(HTML_ESCAPES)
        + "</span>",
        "nothing": "\n    <li>" + gettext("Nothing yet.").translate(HTML_ESCAPES) + "</li>\n    ",
    }


def timeline_html(entries):
    """The items of case_file.html's <ol class="case-timeline">, as its loop wrote them."""
    if not entries:
        return _texts()["nothing"]
    return "".join([entry.html for entry in entries])


def _event_details(data, market):
    """The useful part of an order event's data, in the reader's words."""
    data = data or {}
    parts = []
    if data.get("quantity"):
        parts.append(_("quantity: %(quantity)s") % {"quantity": data["quantity"]})
    if data.get("amount"):
        parts.append(money(data["amount"], market.currency))
    if data.get("full"):
        parts.append(str(_("full amount")))
    if data.get("tracking"):
        parts.append(f"{data.get('carrier', '')} {data['tracking']}".strip())
    return ", ".join(parts)


def _role_label(role):
    return Role(role).label if role in Role.values else role


# --- The timeline's rows ----------------------------------------------------------------

_MESSAGE_COLUMNS = (
    "pk",
    "author__username",
    "author_role",
    "kind",
    "text",
    "language",
    "auto_code",
    "auto_params",
    "created_at",
    "hidden_at",
    "attachments__pk",
    "attachments__original_name",
    "attachments__size",
)
# The messages in their order with their attachments (a row per attachment), through
# message_discussion_idx.
_MESSAGES = PreparedQuery(
    lambda discussion_id: (
        Message.objects.filter(discussion_id=discussion_id)
        .order_by("created_at", "pk", "attachments__pk")
        .values_list(*_MESSAGE_COLUMNS)
    )
)
_EVENTS = PreparedQuery(
    lambda order_id: OrderEvent.objects.filter(order_id=order_id).values_list(
        "kind", "occurred_at", "actor__username", "data"
    )
)
_STATUS_CHANGES = PreparedQuery(
    lambda discussion_id: StatusChange.objects.filter(discussion_id=discussion_id).values_list(
        "at", "actor__username", "actor_role", "from_status", "to_status", "to_open", "close_reason", "note"
    )
)
_PROPOSALS = PreparedQuery(
    lambda discussion_id: Proposal.objects.filter(discussion_id=discussion_id).values_list(
        *(f.attname for f in Proposal._meta.concrete_fields)
    )
)
_COMPENSATIONS = PreparedQuery(
    lambda discussion_id: (
        Compensation.objects.filter(discussion_id=discussion_id)
        .order_by("pk")
        .values_list("granted_at", "granted_by__username", "amount", "reason")
    )
)


def case_rows(discussion):
    """Everything the case view reads of the Discussion's history, in one round trip
    (core.prepared.rows_together): {"messages", "events", "status_changes",
    "compensations", "proposals": rows}."""
    names = ("messages", "events", "status_changes", "compensations", "proposals")
    calls = [
        (_MESSAGES, (discussion.pk,)),
        (_EVENTS, (discussion.order_id,)),
        (_STATUS_CHANGES, (discussion.pk,)),
        (_COMPENSATIONS, (discussion.pk,)),
        (_PROPOSALS, (discussion.pk,)),
    ]
    return dict(zip(names, rows_together(calls), strict=True))


def proposals(discussion, rows=None):
    """The Discussion's proposals (Proposal's order) as model instances; from `rows`
    (case_rows) when the caller has them."""
    names = [f.attname for f in Proposal._meta.concrete_fields]
    found = []
    for row in rows["proposals"] if rows is not None else _PROPOSALS.rows(discussion.pk):
        proposal = Proposal.from_db(DEFAULT_DB_ALIAS, names, row)
        Proposal.discussion.field.set_cached_value(proposal, discussion)
        found.append(proposal)
    return found


def timeline(discussion, proposals=None, rows=None):
    """Everything that happened, oldest first; `proposals` when the caller has them, and
    `rows` (case_rows) when it has read them."""
    if rows is None:
        rows = case_rows(discussion)
    market = discussion.market
    entries = []
    language_names = {code: str(name) for code, name in settings.LANGUAGES}
    roles = {value: str(label) for value, label in Role.choices}
    head, tail = _url_prefix("discussions:attachment")
    messages = {}
    for row in rows["messages"]:
        pk, author, role, kind, text, language, auto_code, auto_params, created_at, hidden_at = row[:10]
        attachment_pk, name, size = row[10:]
        entry = messages.get(pk)
        if entry is None:
            if kind == Message.Kind.AUTOMATIC:
                text = render_automatic(auto_code, auto_params, market)
            entry = messages[pk] = TimelineEntry(
                at=created_at,
                kind="message",
                who=author or "",
                role=roles.get(role, role),
                role_code=role,
                text=text,
                hidden=hidden_at is not None,
                anchor=f"m{pk}",
                language=language,
                language_name=language_names.get(language, language) if language else "",
            )
            entries.append(entry)
        if attachment_pk is not None:
            entry.attachments.append(
                {"url": f"{head}/{attachment_pk}/{tail}", "name": name, "size": filesizeformat(size)}
            )
    events = dict(OrderEvent.Kind.choices)
    order_role = str(_("Order"))
    for kind, occurred_at, actor, data in rows["events"]:
        details = _event_details(data, market)
        entries.append(
            TimelineEntry(
                at=occurred_at,
                kind="order",
                who=actor or "",
                role=order_role,
                text=f"{events.get(kind, kind)}" + (f" — {details}" if details else ""),
            )
        )
    statuses = dict(Discussion.Status.choices)
    close_reasons = dict(Discussion.CloseReason.choices)
    is_open, closed = str(_("open")), str(_("closed"))
    for at, actor, role, from_status, to_status, to_open, close_reason, note in rows["status_changes"]:
        text = str(statuses.get(to_status, to_status))
        if from_status and from_status != to_status:
            text = f"{statuses.get(from_status, from_status)} → {text}"
        text += f" · {is_open if to_open else closed}"
        if close_reason:
            text += f" · {close_reasons.get(close_reason, close_reason)}"
        if note:
            text += f" — {note}"
        entries.append(
            TimelineEntry(at=at, kind="status", who=actor or "", role=roles.get(role, role), role_code=role, text=text)
        )
    if proposals is None:
        proposals = globals()["proposals"](discussion, rows)
    for proposal in proposals:
        text = proposal.get_solution_display()
        if proposal.amount is not None:
            text += f" {money(proposal.amount, market.currency)}"
        if proposal.percent is not None:
            text += f" ({proposal.percent}%)"
        text += f" · {proposal.get_status_display()}"
        entries.append(
            TimelineEntry(at=proposal.created_at, kind="proposal", who="", role=roles[Role.SELLER], text=str(text))
        )
    protect = str(_("Allegro Protect"))
    for granted_at, granted_by, amount, reason in rows["compensations"]:
        entries.append(
            TimelineEntry(
                at=granted_at,
                kind="compensation",
                who=str(granted_by),
                role=roles[Role.MEDIATOR],
                role_code=Role.MEDIATOR,
                text=f"{protect}: {money(amount, market.currency)} — {reason}",
            )
        )
    order = {"order": 0, "status": 1, "proposal": 2, "compensation": 3, "message": 4}
    entries.sort(key=lambda e: (e.at, order[e.kind]))
    zone = timezone.get_current_timezone()
    texts = _texts()
    for entry in entries:
        entry.present(zone, texts)
    return entries


# --- The Discussion ---------------------------------------------------------------------
# The case view reads the Discussion with what it shows of its market, order, product
# line, buyer, seller account and mediator in one query compiled once per process; the
# row becomes model instances as select_related() would make them, each related one with
# the columns its __str__ and the case view use (any other loads on access).

_DISCUSSION_COLUMNS = tuple(f.attname for f in Discussion._meta.concrete_fields)
_MARKET_COLUMNS = tuple(f.attname for f in Market._meta.concrete_fields)
_RELATED = {
    # relation: (model, its columns read besides the key, in the model's order: from_db()
    # takes the values of the columns it is given in that order)
    "line": (OrderLine, ("title", "quantity")),
    "buyer": (Discussion.buyer.field.related_model, ("username",)),
    "seller_account": (SellerAccount, ("user_id", "display_name")),
    "mediator": (Discussion.mediator.field.related_model, ("username",)),
}


def _case_query(pk):
    # The related rows' columns as scalar subqueries by primary key rather than joins,
    # which PostgreSQL plans in a quarter of the time; the market (all of it) joined.
    def column(model, key, name):
        return Subquery(model.objects.filter(pk=OuterRef(key)).values(name))

    related = {
        f"case_{name}_{name_of_column}": column(model, f"{name}_id", name_of_column)
        for name, (model, columns) in _RELATED.items()
        for name_of_column in columns
    }
    related["case_seller_username"] = column(
        Discussion.buyer.field.related_model, "seller_account__user_id", "username"
    )
    return (
        Discussion.objects.filter(pk=pk)
        .order_by()
        .annotate(**related)
        .values_list(*_DISCUSSION_COLUMNS, *(f"market__{column}" for column in _MARKET_COLUMNS), *related)
    )


_CASE = PreparedQuery(_case_query)


def case_discussion(pk):
    """The Discussion `pk` with its related objects for the case view, or None."""
    rows = _CASE.rows(int(pk))
    if not rows:
        return None
    row = RowReader(rows[0])
    discussion = row.instance(Discussion, _DISCUSSION_COLUMNS)
    Discussion.market.field.set_cached_value(discussion, row.instance(Market, _MARKET_COLUMNS))
    Discussion.order.field.set_cached_value(discussion, Order.from_db(DEFAULT_DB_ALIAS, ("id",), [discussion.order_id]))
    for name, (model, columns) in _RELATED.items():
        related = Discussion._meta.get_field(name)
        key = getattr(discussion, related.attname)
        found = row.take(len(columns))
        instance = None if key is None else model.from_db(DEFAULT_DB_ALIAS, ("id", *columns), [key, *found])
        related.set_cached_value(discussion, instance)
    (username,) = row.take(1)
    account = discussion.seller_account
    SellerAccount.user.field.set_cached_value(
        account,
        Discussion.buyer.field.related_model.from_db(DEFAULT_DB_ALIAS, ("id", "username"), [account.user_id, username]),
    )
    return discussion


def _url_prefix(name):
    """The URL of `name` around its object id: f"{head}/{pk}/{tail}"."""
    head, _zero, tail = reverse(name, args=[0]).rpartition("/0/")
    return head, tail
