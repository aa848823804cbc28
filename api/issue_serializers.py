"""/sale/issues in the marketplace's public shape (API-01): the DRF serializers that
describe every response and request of the issue views (api/issues.py,
api/issue_messages.py, api/issue_attachments.py), and the parameters and error responses
they share, as drf-spectacular reads them for our generated document (/api/openapi.json).
The request serializers also validate the bodies.

Names follow the components of api/reference/allegro-openapi-excerpt.yaml. The response
serializers describe the bodies; the bodies themselves are built, ready for JSON, by the
mapping functions of api.issue_mapping (`issue`, `chat_message`) — one place for the
mapping, and no per-field serializer work on lists of 100 issues (the schemathesis test
checks that every response matches the document). Fields we add to the marketplace's
shape say so in their help text; nothing the excerpt defines changes meaning.
"""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from discussions import rules
from discussions.models import Discussion, Role

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
MAX_MESSAGE_ATTACHMENTS = 5  # DSC-11


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
    status = LastMessageStatusField(
        help_text=(
            "As /chat shows the authors: SELLER_REPLIED when the newest message written by a party is the "
            "seller's; NEW while the seller has written nothing; else BUYER_REPLIED or ALLEGRO_ADVISOR_REPLIED. "
            "Automatic (SYSTEM) messages do not change it."
        )
    )
    createdAt = ApiDateTimeField(help_text="The instant of the newest message of /chat, automatic ones included.")


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
    subject = serializers.CharField(
        allow_null=True,
        help_text=(
            "The reason as the marketplace's text for it, in the requested language; in English exactly the "
            "reference's: NOT_RECEIVED 'I have not received the product', PRODUCT_PROBLEM 'does not match the "
            "description', WITHDRAWAL_PROBLEM 'problem with withdrawal/cancelation of purchase', "
            "NO_PAYMENT_REFUND 'no refund after canceling the order', NO_REFUND_AFTER_RETURN 'no refund after "
            "returning the product'."
        ),
    )
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

CLAIM_STATUSES = [
    "ACCEPTED_REPAIR",
    "ACCEPTED_REFUND",
    "ACCEPTED_EXCHANGE",
    "ACCEPTED_PARTIAL_REFUND",
    "REJECTED_ADDITIONAL_REQUIREMENTS_NOT_COMPLETED",
    "REJECTED_PRODUCT_NOT_RETURNED",
    "REJECTED_PRODUCT_DAMAGED_BY_USER",
    "REJECTED_PRODUCT_CONFORMS_TO_CONTRACT",
    "REJECTED_MINOR_DEFECT",
    "REJECTED_OTHER",
    "REJECTED_CLAIM_WITHDRAWN_BY_BUYER",
]


class ClaimStatusChangeRequestSerializer(serializers.Serializer):
    """POST /sale/issues/{issueId}/status: described as the excerpt has it; never read,
    since every issue here is a dispute (API-06)."""

    status = serializers.ChoiceField(choices=CLAIM_STATUSES)
    message = serializers.CharField()
    partialRefund = PostPurchaseIssueRefundSerializer(required=False)


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


# --- Parameters and error responses of the issue views --------------------------------

LANGUAGE = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    enum=["en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU"],
    description="Language of texts (subject, automatic messages, errors' userMessage). "
    "We speak Polish (the default), English, Czech, Slovak and Hungarian; Ukrainian gets Polish.",
)
ISSUE_ID = OpenApiParameter("issue_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Dispute identifier.")
ATTACHMENT_ID = OpenApiParameter(
    "attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Attachment identifier."
)


def error_response(description):
    return OpenApiResponse(ErrorsSerializer, description=description)


UNAUTHORIZED = error_response("The access token is missing, expired or revoked.")
FORBIDDEN = error_response("The token lacks the allegro:api:disputes scope, or its user has no seller account.")
NOT_FOUND = error_response("Not found, or it belongs to another seller account.")
INVALID = error_response("Invalid parameters or body; `path` names the field.")
