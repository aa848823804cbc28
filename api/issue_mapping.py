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
from django.utils.translation import get_language, pgettext_lazy
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

# API-03: `subject` is the reference's text for the reason (its PostPurchaseIssue.subject
# lists one English text per reason code), in the requested language. Our five reasons
# and the marketplace's reason codes (in comments) they are:
SUBJECTS = {
    Reason.NOT_RECEIVED: pgettext_lazy("API subject", "I have not received the product"),  # NO_PRODUCT_RECEIVED
    # A problem with the product is the goods not conforming to the contract: the
    # broadest of the reference's texts (damage, defects and missing parts are cases of it).
    Reason.PRODUCT_PROBLEM: pgettext_lazy("API subject", "does not match the description"),  # NOT_AS_DESCRIBED
    Reason.WITHDRAWAL_PROBLEM: pgettext_lazy(
        "API subject", "problem with withdrawal/cancelation of purchase"
    ),  # PROBLEM_WITH_WITHDRAWAL_CANCELLATION_OF_PURCHASE
    Reason.NO_PAYMENT_REFUND: pgettext_lazy(
        "API subject", "no refund after canceling the order"
    ),  # NO_REFUND_AFTER_CANCELING_ORDER
    Reason.NO_REFUND_AFTER_RETURN: pgettext_lazy(
        "API subject", "no refund after returning the product"
    ),  # NO_REFUND_AFTER_RETURNING_PRODUCT
}


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
    pk: int | None = None


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


def opening_author(opened_by_marketplace, buyer_login):
    """API-03: the author of the automatic message that opens a Discussion when it stands
    for the initial message (the buyer wrote nothing when opening it): the buyer, or
    ADMIN when Allegro opened it on the buyer's behalf (MED-03) — the reference's initial
    message has role BUYER or ADMIN, and /chat shows it with the same author."""
    if opened_by_marketplace:
        return {"role": "ADMIN"}
    return {"login": buyer_login, "role": "BUYER"}


def _author(role, login):
    author = {"role": API_ROLE[role]}
    if role in (Role.BUYER, Role.SELLER) and login:
        author["login"] = login
    return author


def chat_message(message, *, discussion, request):
    """A Message as PostPurchaseIssueMessage: automatic messages as role SYSTEM with the
    text rendered in the active language; a mediator's as ADMIN without login; hidden
    ones with the notice instead of the text and without attachments. (Used for the
    seller's own messages: the automatic opening message never comes here.)"""
    author = _author(message.author_role, message.author.username if message.author_id else None)
    return _message_body(message, author, discussion.market, request)


def chat_row(message, *, market, request, opening_author=None):
    """`chat_message` of a `ChatMessageRow` (the same body). `opening_author`: the
    author of the issue's initial message when this row is that message and automatic
    (`opening_author()`)."""
    author = opening_author if opening_author is not None else _author(message.author_role, message.author_login)
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
def subjects(language):
    """{reason: subject} in `language` (the active one), translated once per language
    rather than for each issue of a list (API-03: SUBJECTS)."""
    return {reason: str(text) for reason, text in SUBJECTS.items()}


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
    """The opening of the Discussion (DSC-04), as the oldest message of /chat shows it
    (API-03): the buyer's own message written when opening it if there is one, else the
    automatic message that started it, authored by the buyer (ADMIN when Allegro opened
    it, MED-03; `opening_author`)."""
    if message is None:  # not created through the services (e.g. imported data)
        return {
            "id": str(discussion.public_id),
            "text": "",
            "attachments": [],
            "author": opening_author(discussion.opened_by_marketplace, discussion.buyer_login),
            "createdAt": api_time(discussion.created_at),
        }
    if message.is_automatic:
        author = opening_author(discussion.opened_by_marketplace, discussion.buyer_login)
    else:
        author = _author(message.author_role, discussion.buyer_login)
    return _message_body(message, author, discussion.market, request)


def last_message(discussion):
    """API-03: PostPurchaseIssueLastMessage of the newest message /chat shows (automatic
    ones included): its instant, and the reference's status of the chat as /chat shows
    its authors — SELLER_REPLIED when the newest message written by a party is the
    seller's; NEW while the seller has written nothing; else BUYER_REPLIED or
    ALLEGRO_ADVISOR_REPLIED after the buyer's or Allegro's. Automatic messages (SYSTEM)
    are written by no one: they move the instant, not the status."""
    role = discussion.newest_party_role
    if role is None and discussion.initial_message_id is not None:
        role = Role.MEDIATOR if discussion.opened_by_marketplace else Role.BUYER  # the opening (`opening_author`)
    if role == Role.SELLER:
        status = Discussion.LastMessageStatus.SELLER_REPLIED
    elif not discussion.seller_wrote or role is None:
        status = Discussion.LastMessageStatus.NEW
    elif role == Role.MEDIATOR:
        status = Discussion.LastMessageStatus.ALLEGRO_ADVISOR_REPLIED
    else:
        status = Discussion.LastMessageStatus.BUYER_REPLIED
    # A Discussion without messages (imported data) shows its start.
    return {"status": status.value, "createdAt": api_time(discussion.newest_message_at or discussion.created_at)}


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
    - `subject`: the reference's text for the reason (SUBJECTS, API-03) in the active
      language; `description`: the expected solution (DSC-03) or null; `expectations`:
      [] (claims only).
    - `referenceNumber`, `decisionDueDate`, `reason`, `product`: null; `right` absent
      (claims only; the excerpt's enum for it has no null).
    - `offer`: the order line's offer and quantity; `buyer`: id and login; `checkoutForm`:
      the order's public id and purchase instant.
    - `chat`: the newest message's status and instant (`last_message`, API-03), the
      number of messages (all of them, as /chat lists them), the initial message (the
      oldest of /chat, with the same author); `attachments`: the initial message's.
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
        "subject": subjects(get_language()).get(discussion.reason),
        "buyer": {"id": str(discussion.buyer_id), "login": discussion.buyer_login},
        "checkoutForm": {"id": str(discussion.order_public_id), "createdAt": api_time(discussion.order_created_at)},
        "currentState": {
            "status": issue_status(discussion),
            "statusDueDate": None,
            "returnRequired": None,
            "chatActive": actions[Action.REPLY].allowed,
        },
        "chat": {
            "lastMessage": last_message(discussion),
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
