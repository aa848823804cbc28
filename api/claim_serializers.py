"""Shapes of /order/refund-claims (API-01, REB-01…08): the marketplace's `RefundClaim`,
`RefundClaimRequest` and `RefundClaimResponse`, plus our documented additions.

One claim of the API is one claimed line (`CommissionRefundLine`) of a commission refund
application; the serializers read such a line with `application` and
`line__order__market` selected, so rendering a page of claims makes no queries.
These classes render the responses and describe them in our generated document
(/api/openapi.json).
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from orders.commission import describe_conditions
from orders.models import CommissionRefund

from .policy import api_time

# The excerpt's status enum: IN_PROGRESS is never produced here (evaluation is
# immediate, REB-04) but it is a valid filter value and part of the contract.
IN_PROGRESS = "IN_PROGRESS"
STATUSES = [IN_PROGRESS, *CommissionRefund.Status.values]


# The enums are components of their own, named after the resource: an enum extracted
# from a field name ("status") would collide with the issues endpoints' enums.
@extend_schema_field({"type": "string", "enum": STATUSES}, component_name="RefundClaimStatus")
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=STATUSES, **kwargs)


@extend_schema_field({"type": "string", "enum": CommissionRefund.Type.values}, component_name="RefundClaimType")
class TypeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=CommissionRefund.Type.values, **kwargs)


@extend_schema_field({"type": "string", "enum": CommissionRefund.Reason.values}, component_name="RefundClaimReason")
class ReasonField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=CommissionRefund.Reason.values, **kwargs)


@extend_schema_field(OpenApiTypes.DATETIME)
class ApiDateTimeField(serializers.Field):
    """An instant as the public API writes it: UTC, milliseconds, `Z`."""

    def to_representation(self, value):
        return api_time(value)


# --- Responses --------------------------------------------------------------------------


@extend_schema_serializer(component_name="RefundClaimCommission")
class CommissionSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        source="commission",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        coerce_to_string=False,
        help_text=_("Commission of the claimed units, a JSON number."),
    )
    currency = serializers.CharField(
        source="line.order.market.currency", help_text=_("ISO 4217 code: the currency of the order's market.")
    )


@extend_schema_serializer(component_name="RefundClaimBuyer")
class BuyerSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(help_text=_("ID of the buyer who made the purchase."))

    def get_id(self, claim) -> str:
        return str(claim.line.order.buyer_id)


@extend_schema_serializer(component_name="RefundClaimOffer")
class OfferRefSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(help_text=_("ID of the offer the product was bought from."))

    def get_id(self, line) -> str:
        return str(line.offer_id)


@extend_schema_serializer(component_name="RefundClaimLineItem")
class LineItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text=_("ID of the purchased product (order line)."))
    quantity = serializers.IntegerField(
        min_value=1, help_text=_("Units bought; at least the units claimed by this claim.")
    )
    boughtAt = ApiDateTimeField(source="order.created_at", help_text=_("When the purchase was made."))
    offer = OfferRefSerializer(source="*")


@extend_schema_serializer(component_name="RefundClaimAppeal")
class AppealSerializer(serializers.Serializer):
    appealedAt = ApiDateTimeField(source="appealed_at", help_text=_("When the seller appealed."))
    text = serializers.CharField(source="appeal_text", help_text=_("The seller's justification."))
    decisionReason = serializers.SerializerMethodField(
        help_text=_("The mediator's reason once the appeal is decided; null while it waits.")
    )

    def get_decisionReason(self, application) -> str | None:
        if application.decided_by_mediator_id is None:
            return None
        return application.decision_reason or None


@extend_schema_serializer(component_name="RefundClaim")
class RefundClaimSerializer(serializers.Serializer):
    """One claimed line of a commission refund application (REB-01…08)."""

    id = serializers.UUIDField(
        source="public_id",
        help_text=_(
            "ID of the claim: one claimed line of an application. An application filed on the web page for "
            "several products appears as several claims sharing `applicationId`."
        ),
    )
    status = StatusField(
        source="application.status",
        help_text=_(
            "Status of the whole application. IN_PROGRESS is never returned: applications are evaluated "
            "at once on submission."
        ),
    )
    quantity = serializers.IntegerField(min_value=1, help_text=_("Units claimed."))
    commission = CommissionSerializer(source="*", help_text=_("Commission of the claimed units."))
    buyer = BuyerSerializer(source="*")
    createdAt = ApiDateTimeField(source="application.created_at", help_text=_("When the application was filed."))
    lineItem = LineItemSerializer(source="line")
    type = TypeField(
        source="application.type",
        help_text=_("MANUAL: filed by the seller; AUTOMATIC: filed by the marketplace."),
    )
    # Our additions (not in the marketplace's description).
    applicationId = serializers.CharField(
        source="application.number",
        help_text=_("Addition: number of the application this claim belongs to, as the seller pages show it."),
    )
    reason = ReasonField(
        source="application.reason",
        help_text=_("Addition: the reason of the application."),
    )
    unmetConditions = serializers.SerializerMethodField(
        help_text=_(
            "Addition: the conditions the application does not meet, in plain words in the language of "
            "Accept-Language; empty when none."
        )
    )
    appeal = serializers.SerializerMethodField(
        help_text=_("Addition: the appeal of a rejected application; null when it was not appealed.")
    )

    def get_unmetConditions(self, claim) -> list[str]:
        return describe_conditions(claim.application.unmet_conditions, claim.line.order)

    @extend_schema_field(AppealSerializer(allow_null=True))
    def get_appeal(self, claim):
        application = claim.application
        if application.appealed_at is None:
            return None
        return AppealSerializer(application).data


@extend_schema_serializer(component_name="RefundClaimList")
class RefundClaimListSerializer(serializers.Serializer):
    refundClaims = RefundClaimSerializer(many=True, help_text=_("The claims of this page, newest first."))
    count = serializers.IntegerField(min_value=0, help_text=_("Number of claims returned in this response."))
    totalCount = serializers.IntegerField(
        min_value=0, help_text=_("Addition: number of claims matching the filters, across all pages.")
    )


@extend_schema_serializer(component_name="RefundClaimResponse")
class RefundClaimCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text=_("ID of the created claim."))
    status = StatusField(
        source="application.status",
        help_text=_("Addition: the status the application got on submission."),
    )


# --- Request ----------------------------------------------------------------------------


@extend_schema_serializer(component_name="RefundClaimLineItemRef")
class LineItemRefSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=_("ID of the purchased product (order line, `lineItem.id` of the order)."))


@extend_schema_field({"type": "integer", "format": "int32", "minimum": 1})
class UnitsField(serializers.Field):
    """The claimed units, passed on as sent: the refund service decides what a valid
    quantity is (REB-03) and says why one is not, as it does on the web page."""

    def to_internal_value(self, data):
        return data


# With COMPONENT_SPLIT_REQUEST the request component is named `RefundClaimRequest`, as
# in the marketplace's description.
@extend_schema_serializer(component_name="RefundClaim")
class RefundClaimRequestSerializer(serializers.Serializer):
    lineItem = LineItemRefSerializer(help_text=_("The purchased product to claim units of."))
    quantity = UnitsField(help_text=_("Units to claim, at least 1 and at most the units not claimed yet."))
    reason = ReasonField(
        required=False,
        help_text=_(
            "Addition: the reason of the application. When omitted it follows from the order: cancelled or "
            "withdrawn from → BUYER_CANCELLED; awaiting payment → NOT_PAID; paid → BUYER_CANCELLED (the "
            "application then waits for the refund to the buyer)."
        ),
    )


# --- Errors -----------------------------------------------------------------------------


@extend_schema_serializer(component_name="RefundClaimError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.CharField(allow_null=True)
    path = serializers.CharField(allow_null=True, help_text=_("The field or parameter at fault, e.g. `quantity`."))
    userMessage = serializers.CharField(help_text=_("For people, in the language of Accept-Language."))


@extend_schema_serializer(component_name="RefundClaimErrors")
class ErrorListSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)
