"""/sale/issues in the marketplace's public shape (API-01): the mapping of our
Discussions and messages, read as values (api.issue_queries), to the bodies of the
responses, ready for JSON (`issue`, `chat_message`, `chat_row`). The serializers of
api.issue_serializers describe the same bodies in the generated document; the
schemathesis test checks that every response matches it.
"""

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import ClassVar

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from discussions import presenters, rules
from discussions.models import Discussion, Message, Reason, Role
from discussions.rules import Action
from discussions.texts import render_automatic, solution_text

from .base import api_time

# The automatic messages that start a Discussion (DSC-04).
OPENING_CODES = ("OPENED", "OPENED_WITH_SOLUTION", "OPENED_BY_ALLEGRO")

# The author roles of our messages in the marketplace's words.
API_ROLE = {Role.BUYER: "BUYER", Role.SELLER: "SELLER", Role.MEDIATOR: "ADMIN", Role.SYSTEM: "SYSTEM"}


def hidden_text():
    """What the parties read instead of a hidden message (RPT-03); the web pages' wording."""
    return _("This message was hidden by Allegro.")


def end_request_text():
    """An END_REQUEST message without the seller's own text, as the web pages show it (DSC-12)."""
    return _("The seller asks you to mark the Discussion as resolved.")


_URL_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def attachment_url(request, public_id):
    """The absolute URL of GET /sale/issues/attachments/{id}; built once per request."""
    prefix = getattr(request, "_attachment_url_prefix", None)
    if prefix is None:
        url = request.build_absolute_uri(reverse("api:attachment", args=[_URL_PLACEHOLDER]))
        prefix = request._attachment_url_prefix = url.removesuffix(_URL_PLACEHOLDER)
    return f"{prefix}{public_id}"


class IssueRow(SimpleNamespace):
    """A Discussion read as values (api.issue_queries.issue_values) for `issue()`; it has the
    attributes the seller's actions of discussions.rules read, and `values`, the row as
    read (the issue cache's key)."""

    @property
    def pk(self):
        return self.id


@dataclass
class OpeningMessage:
    """The initial message of an issue, read as values (api.issue_queries.opening_messages)."""

    COLUMNS: ClassVar[tuple] = ("public_id", "author_role", "kind", "text", "auto_code", "auto_params")
    public_id: object
    author_role: str
    kind: str
    text: str
    auto_code: str
    auto_params: dict
    created_at: object  # the Discussion's start (the message is written then)
    is_hidden: bool
    attachment_rows: list  # [(public_id, file name)]

    @property
    def is_automatic(self):
        return self.kind == Message.Kind.AUTOMATIC


@dataclass
class ChatMessageRow(OpeningMessage):
    """A message of /chat, read as values (api.issue_queries.chat_rows) for `chat_row`."""

    COLUMNS: ClassVar[tuple] = (*OpeningMessage.COLUMNS, "author_id")
    author_id: int | None = None
    author_login: str | None = None


def _attachments(message, request):
    if message is None or message.is_hidden:
        return []
    if isinstance(message, OpeningMessage):
        rows = message.attachment_rows
    else:
        rows = [(a.public_id, a.original_name) for a in message.attachments.all()]
    return [{"fileName": name, "url": attachment_url(request, public_id)} for public_id, name in rows]


def _text(message, market):
    if message.is_hidden:
        return hidden_text()
    if message.is_automatic:
        return render_automatic(message.auto_code, message.auto_params, market)
    if message.kind == Message.Kind.END_REQUEST and not message.text:
        return end_request_text()
    return message.text


def chat_message(message, *, discussion, request):
    """A Message as PostPurchaseIssueMessage: automatic messages as role SYSTEM with the
    text rendered in the active language; a mediator's as ADMIN without login; hidden
    ones with the notice instead of the text and without attachments."""
    role = API_ROLE[message.author_role]
    author = {"role": role}
    if role in ("BUYER", "SELLER") and message.author_id:
        author["login"] = message.author.username
    return _message_body(message, author, discussion.market, request)


def chat_row(message, *, market, request):
    """`chat_message` of a `ChatMessageRow` (the same body)."""
    role = API_ROLE[message.author_role]
    author = {"role": role}
    if role in ("BUYER", "SELLER") and message.author_id:
        author["login"] = message.author_login
    return _message_body(message, author, market, request)


def _message_body(message, author, market, request):
    return {
        "id": str(message.public_id),
        "text": _text(message, market),
        "attachments": _attachments(message, request),
        "author": author,
        "createdAt": api_time(message.created_at),
    }


@lru_cache(maxsize=16)
def reason_labels(language):
    """{reason: label} in `language` (the active one): `get_reason_display()` would
    translate every choice of the field again for each issue of a list."""
    return {value: str(label) for value, label in Reason.choices}


def issue_status(discussion):
    """PostPurchaseIssueStatus: open and IN_PROGRESS → DISPUTE_ONGOING; open and
    UNRESOLVED (with a mediator) → DISPUTE_UNRESOLVED; closed (resolved, or unresolved
    after the mediation) → DISPUTE_CLOSED."""
    if not discussion.is_open:
        return "DISPUTE_CLOSED"
    if discussion.status == Discussion.Status.UNRESOLVED:
        return "DISPUTE_UNRESOLVED"
    return "DISPUTE_ONGOING"


def _initial_message(discussion, message, request):
    """The opening of the Discussion (DSC-04): the buyer's own message written when opening
    it if there is one, else the automatic message that started it. Its author is the
    buyer, or ADMIN when the marketplace opened it on the buyer's behalf (MED-03)."""
    author = {"role": "ADMIN"} if discussion.opened_by_marketplace else {"role": "BUYER"}
    if not discussion.opened_by_marketplace:
        author["login"] = discussion.buyer_login
    if message is None:  # not created through the services (e.g. imported data)
        return {
            "id": str(discussion.public_id),
            "text": "",
            "attachments": [],
            "author": author,
            "createdAt": api_time(discussion.created_at),
        }
    return _message_body(message, author, discussion.market, request)


def _allowed_actions(actions):
    return [
        {
            "action": availability.action,
            "allowed": availability.allowed,
            "reason": str(availability.reason) or None,
            "availableFrom": api_time(availability.available_from),
            "availableUntil": api_time(availability.available_until),
        }
        for availability in actions.values()
    ]


def _reply_deadline(discussion):
    if not discussion.is_open or discussion.reply_due_at is None:
        return None
    explanation = presenters.deadline_explanation(discussion.opened_at, discussion.reply_due_at, discussion.market)
    return {"dueDate": api_time(discussion.reply_due_at), "explanation": explanation}


def issue(discussion, *, initial_message, messages_count, request, now):
    """A Discussion (an `IssueRow`) as PostPurchaseIssue (type DISPUTE), seen by its
    seller at `now`.

    - `status`: see `issue_status`; `statusDueDate`, `returnRequired`: null (claims only);
      `chatActive`: the state machine allows the seller's REPLY now (DSC-22).
    - `openedDate`: the latest opening or reopening (`opened_at`).
    - `subject`: the reason's label in the active language; `description`: the expected
      solution (DSC-03) or null; `expectations`: [] (claims only).
    - `referenceNumber`, `decisionDueDate`, `reason`, `product`: null; `right` absent
      (claims only; the excerpt's enum for it has no null).
    - `offer`: the order line's offer and quantity; `buyer`: id and login; `checkoutForm`:
      the order's public id and purchase instant.
    - `chat`: who wrote last and when (DSC-10), the number of messages (all of them, as
      /chat lists them), the initial message; `attachments`: the initial message's.
    - Our additions: `allowedActions` (DSC-22) and `replyDeadline` (DSC-06, null when
      closed).
    """
    market = discussion.market
    description = None
    if discussion.expected_solution:
        description = solution_text(
            discussion.expected_solution, discussion.expected_amount, discussion.expected_percent, market.currency
        )
    initial = _initial_message(discussion, initial_message, request)
    actions = rules.allowed_actions(discussion, Role.SELLER, now)
    return {
        "id": str(discussion.public_id),
        "type": "DISPUTE",
        "referenceNumber": None,
        "decisionDueDate": None,
        "openedDate": api_time(discussion.opened_at),
        "subject": reason_labels(get_language()).get(discussion.reason),
        "buyer": {"id": str(discussion.buyer_id), "login": discussion.buyer_login},
        "checkoutForm": {"id": str(discussion.order_public_id), "createdAt": api_time(discussion.order_created_at)},
        "currentState": {
            "status": issue_status(discussion),
            "statusDueDate": None,
            "returnRequired": None,
            "chatActive": actions[Action.REPLY].allowed,
        },
        "chat": {
            "lastMessage": {
                "status": discussion.last_message_status,
                # Set when the Discussion opens; the opening instant stands in for rows without it.
                "createdAt": api_time(discussion.last_message_at or discussion.created_at),
            },
            "messagesCount": messages_count,
            "initialMessage": initial,
        },
        "expectations": [],
        "description": description,
        "offer": {"id": str(discussion.offer_id), "quantity": discussion.line_quantity},
        "product": None,
        "reason": None,
        # `right` is absent: "only present for claims", and its enum has no null.
        "attachments": initial["attachments"],
        "allowedActions": _allowed_actions(actions),
        "replyDeadline": _reply_deadline(discussion),
    }
