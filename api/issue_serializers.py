"""/sale/issues in the marketplace's public shape (API-01): the DRF serializers that render
every response and request of api/issues.py, and that drf-spectacular reads to describe
them in our generated document (/api/openapi.json).

Names follow the components of api/reference/allegro-openapi-excerpt.yaml. The response
serializers describe the bodies; the bodies themselves are built, ready for JSON, by the
mapping functions below (`issue`, `chat_message`) — one place for the mapping, and no
per-field serializer work on lists of 100 issues (the schemathesis test checks that
every response matches the document). Fields we add
to the marketplace's shape say so in their help text; nothing the excerpt defines
changes meaning.
"""

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import ClassVar

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from discussions import presenters, rules
from discussions.models import Discussion, Message, Reason, Role
from discussions.rules import Action
from discussions.texts import render_automatic, solution_text

from .base import api_time

# --- Values of the marketplace's enums ------------------------------------------------

ISSUE_STATUSES = [
    "DISPUTE_CLOSED",
    "DISPUTE_ONGOING",
    "DISPUTE_UNRESOLVED",
    "CLAIM_SUBMITTED",
    "CLAIM_ACCEPTED",
    "CLAIM_REJECTED",
]
MESSAGE_ROLES = ["BUYER", "SELLER", "ADMIN", "SYSTEM", "FULFILLMENT"]
LAST_MESSAGE_STATUSES = [value for value, _label in Discussion.LastMessageStatus.choices]
MESSAGE_TYPES = [
    "REGULAR",
    "END_REQUEST",
    "RETURN_REQUIRED_SELLER_LABEL",
    "RETURN_REQUIRED_CUSTOM",
    "RETURN_NOT_REQUIRED",
]
CLAIM_MESSAGE_TYPES = {"RETURN_REQUIRED_SELLER_LABEL", "RETURN_REQUIRED_CUSTOM", "RETURN_NOT_REQUIRED"}
# The automatic messages that start a Discussion (DSC-04).
OPENING_CODES = ("OPENED", "OPENED_WITH_SOLUTION", "OPENED_BY_ALLEGRO")
MAX_MESSAGE_ATTACHMENTS = 5  # DSC-11

# The author roles of our messages in the marketplace's words.
API_ROLE = {Role.BUYER: "BUYER", Role.SELLER: "SELLER", Role.MEDIATOR: "ADMIN", Role.SYSTEM: "SYSTEM"}


def hidden_text():
    """What the parties read instead of a hidden message (RPT-03); the web pages' wording."""
    return _("This message was hidden by Allegro.")


def end_request_text():
    """An END_REQUEST message without the seller's own text, as the web pages show it (DSC-12)."""
    return _("The seller asks you to mark the Discussion as resolved.")


# --- Fields ---------------------------------------------------------------------------


class ApiDateTimeField(serializers.DateTimeField):
    """Instants as the public API writes them: UTC, milliseconds, `Z`."""

    def to_representation(self, value):
        return api_time(value)


# --- Responses ------------------------------------------------------------------------


class PostPurchaseIssueAttachmentSerializer(serializers.Serializer):
    fileName = serializers.CharField(max_length=255)
    url = serializers.CharField(help_text="Direct link to the attachment (GET /sale/issues/attachments/{id}).")


class PostPurchaseIssueAttachmentIdSerializer(serializers.Serializer):
    id = serializers.UUIDField(format="hex_verbose")


class PostPurchaseIssueUserSerializer(serializers.Serializer):
    id = serializers.CharField()
    login = serializers.CharField()


class PostPurchaseIssueCheckoutFormSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The order's identifier.")
    createdAt = ApiDateTimeField()


class PostPurchaseIssueStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ISSUE_STATUSES)
    statusDueDate = ApiDateTimeField(allow_null=True, help_text="Null for disputes.")
    returnRequired = serializers.BooleanField(allow_null=True, help_text="Always null for disputes.")
    chatActive = serializers.BooleanField(
        help_text="Whether the seller can send messages now (the state machine's REPLY action, DSC-22)."
    )


@extend_schema_field({"type": "string", "enum": LAST_MESSAGE_STATUSES})
class LastMessageStatusField(serializers.ChoiceField):
    """Who wrote last (DSC-10); inlined in the document, as the excerpt does."""

    def __init__(self, **kwargs):
        super().__init__(choices=LAST_MESSAGE_STATUSES, **kwargs)


class PostPurchaseIssueLastMessageSerializer(serializers.Serializer):
    status = LastMessageStatusField()
    createdAt = ApiDateTimeField()


class PostPurchaseIssueAuthorSerializer(serializers.Serializer):
    login = serializers.CharField(required=False, help_text="Not present if role is ADMIN.")
    role = serializers.ChoiceField(choices=["BUYER", "ADMIN"])


class PostPurchaseIssueFirstMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    attachments = PostPurchaseIssueAttachmentSerializer(many=True)
    author = PostPurchaseIssueAuthorSerializer()
    createdAt = ApiDateTimeField()


class PostPurchaseIssueChatSerializer(serializers.Serializer):
    lastMessage = PostPurchaseIssueLastMessageSerializer()
    messagesCount = serializers.IntegerField(min_value=0)
    initialMessage = PostPurchaseIssueFirstMessageSerializer()


class PostPurchaseIssueRefundSerializer(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField()


class PostPurchaseIssueExpectationSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=["REPAIR", "EXCHANGE", "REFUND", "PARTIAL_REFUND"], allow_null=True)
    refund = PostPurchaseIssueRefundSerializer(allow_null=True)


class PostPurchaseIssueOfferSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField(min_value=1)


class PostPurchaseIssueProductSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)


class PostPurchaseIssueReasonSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField(allow_null=True)


class AllowedActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=rules.ACTIONS_BY_ROLE[Role.SELLER])
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, help_text="Why not, in the requested language; null if allowed.")
    availableFrom = ApiDateTimeField(allow_null=True, help_text="When a refused action becomes possible, if known.")
    availableUntil = ApiDateTimeField(allow_null=True, help_text="Until when an allowed action stays possible.")


class ReplyDeadlineSerializer(serializers.Serializer):
    dueDate = ApiDateTimeField(help_text="The seller's reply deadline of the current opening: 24 business hours.")
    explanation = serializers.CharField(help_text="Which weekend days and public holidays were skipped (DSC-06).")


class PostPurchaseIssueSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["DISPUTE", "CLAIM"], help_text="Our Discussions are all disputes.")
    referenceNumber = serializers.CharField(allow_null=True, help_text="Null for disputes.")
    decisionDueDate = ApiDateTimeField(allow_null=True, help_text="Null for disputes.")
    openedDate = ApiDateTimeField(help_text="The most recent date when the issue has been opened or reopened.")
    subject = serializers.CharField(allow_null=True, help_text="The reason, in the requested language.")
    buyer = PostPurchaseIssueUserSerializer()
    checkoutForm = PostPurchaseIssueCheckoutFormSerializer()
    currentState = PostPurchaseIssueStateSerializer()
    chat = PostPurchaseIssueChatSerializer()
    expectations = PostPurchaseIssueExpectationSerializer(many=True, help_text="Always empty for disputes.")
    description = serializers.CharField(allow_null=True, help_text="The buyer's expected solution, if any.")
    offer = PostPurchaseIssueOfferSerializer(allow_null=True)
    product = PostPurchaseIssueProductSerializer(allow_null=True)
    reason = PostPurchaseIssueReasonSerializer(allow_null=True, help_text="Claims only: null for disputes.")
    right = serializers.ChoiceField(
        choices=["WARRANTY", "COMPLAINT"],
        required=False,
        help_text="Claims only: absent for disputes (the excerpt's enum does not allow null).",
    )
    attachments = PostPurchaseIssueAttachmentSerializer(many=True, help_text="The initial message's attachments.")
    allowedActions = AllowedActionSerializer(
        many=True,
        help_text=(
            "Our addition to the marketplace's shape (DSC-22): every action of the seller, allowed or not, "
            "with the reason and dates — the same state machine the web pages use."
        ),
    )
    replyDeadline = ReplyDeadlineSerializer(
        allow_null=True,
        help_text=(
            "Our addition to the marketplace's shape (DSC-06): the seller's reply deadline, explained; "
            "null when the Discussion is closed."
        ),
    )


class PostPurchaseIssueListResponseSerializer(serializers.Serializer):
    issues = PostPurchaseIssueSerializer(many=True)
    totalCount = serializers.IntegerField(
        min_value=0,
        help_text="Our addition to the marketplace's shape: how many issues match the filters (for paging).",
    )


class PostPurchaseIssueMessageAuthorSerializer(serializers.Serializer):
    login = serializers.CharField(required=False, help_text="Not present if role is ADMIN or SYSTEM.")
    role = serializers.ChoiceField(choices=MESSAGE_ROLES)


class PostPurchaseIssueMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField(
        allow_blank=True,
        help_text=(
            "Automatic messages are rendered in the Accept-Language language; a message hidden by the "
            "marketplace shows a notice instead of its text (and no attachments)."
        ),
    )
    attachments = PostPurchaseIssueAttachmentSerializer(many=True)
    author = PostPurchaseIssueMessageAuthorSerializer()
    createdAt = ApiDateTimeField()


class PostPurchaseIssueChatResponseSerializer(serializers.Serializer):
    chat = PostPurchaseIssueMessageSerializer(many=True, help_text="Newest message first.")


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.CharField(allow_null=True)
    path = serializers.CharField(allow_null=True, help_text="The request field or parameter at fault, if any.")
    userMessage = serializers.CharField(help_text="For people, in the Accept-Language language.")


class ErrorsSerializer(serializers.Serializer):
    errors = ApiErrorSerializer(many=True)


# --- Requests -------------------------------------------------------------------------


@extend_schema_serializer(component_name="Message")  # + "Request": the excerpt's MessageRequest
class MessageRequestSerializer(serializers.Serializer):
    """POST /sale/issues/{issueId}/message.

    The excerpt's MessageRequest lists `attachment` as required while its properties
    declare only `attachments` (a list); a client generated from the excerpt therefore
    sends `attachment` ({"id": …} or null). Both are accepted and their ids combined."""

    text = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=20_000, trim_whitespace=False
    )
    type = serializers.ChoiceField(
        choices=MESSAGE_TYPES,
        help_text=(
            "REGULAR, or END_REQUEST to ask the buyer to mark the Discussion as resolved (DSC-12). "
            "The RETURN_* types are for claims and refused (422)."
        ),
    )
    attachments = PostPurchaseIssueAttachmentIdSerializer(
        many=True, required=False, help_text="Uploaded declarations (POST, then PUT /sale/issues/attachments)."
    )
    attachment = PostPurchaseIssueAttachmentIdSerializer(
        required=False, allow_null=True, help_text="Accepted as well: the excerpt lists it as required."
    )

    def validate_attachments(self, value):
        if len(value) > MAX_MESSAGE_ATTACHMENTS:
            raise serializers.ValidationError(
                _("A message can have at most %(max)s attachments.") % {"max": MAX_MESSAGE_ATTACHMENTS}
            )
        return value


class AttachmentDeclarationSerializer(serializers.Serializer):
    fileName = serializers.CharField(max_length=255)
    size = serializers.IntegerField(min_value=1, help_text="In bytes; at most API_ATTACHMENT_MAX_BYTES (10 MB).")

    def validate_fileName(self, value):
        # Kept as data only (files are stored under generated names); no folders.
        name = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise serializers.ValidationError(_("Give the file's name."))
        return name

    def validate_size(self, value):
        limit = settings.API_ATTACHMENT_MAX_BYTES
        if value > limit:
            raise serializers.ValidationError(
                _("The file is too big: an attachment can have at most %(limit)s (%(bytes)s bytes).")
                % {"limit": filesizeformat(limit), "bytes": limit}
            )
        return value


# --- The mapping: our Discussions in the marketplace's shape --------------------------


_URL_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def attachment_url(request, public_id):
    """The absolute URL of GET /sale/issues/attachments/{id}; built once per request."""
    prefix = getattr(request, "_attachment_url_prefix", None)
    if prefix is None:
        url = request.build_absolute_uri(reverse("api:attachment", args=[_URL_PLACEHOLDER]))
        prefix = request._attachment_url_prefix = url.removesuffix(_URL_PLACEHOLDER)
    return f"{prefix}{public_id}"


class IssueRow(SimpleNamespace):
    """A Discussion read as values (api.issues.issue_values) for `issue()`; it has the
    attributes the seller's actions of discussions.rules read, and `values`, the row as
    read (the issue cache's key)."""

    @property
    def pk(self):
        return self.id


@dataclass
class OpeningMessage:
    """The initial message of an issue, read as values (api.issues.opening_messages)."""

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
    """A message of /chat, read as values (api.issues.chat_rows) for `chat_row`."""

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
