"""/order/refund-claims: commission refund applications (rabat transakcyjny, REB-01…08)
in the shape of the marketplace's public API (API-01).

Decisions where the marketplace's description is silent (they are repeated in the
generated document, /api/openapi.json):

- A claim is ONE claimed line (`CommissionRefundLine`): its `id` is the line's public ID
  and its `status` the status of the application it belongs to. An application filed on
  the web page for several products therefore appears as several claims sharing
  `applicationId`; cancelling any of them cancels the whole application (REB-06).
- Our additions to `RefundClaim`: `applicationId`, `reason`, `unmetConditions` (plain
  words in the language of Accept-Language) and `appeal`; to the list: `totalCount`; to
  the creation response: `status`; to the creation request: optional `reason`.
- `IN_PROGRESS` is never returned (applications are evaluated at once, REB-04) but is a
  valid `status` filter (it matches nothing).
- Creating a claim goes through `orders.commission.apply`, the service of the web page:
  REB-01…05 are enforced there, with the order row locked against double submissions.
"""

import uuid

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.errors import DomainError
from orders import commission
from orders.models import CommissionRefund, CommissionRefundLine, Order, OrderLine

from .base import SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE, ApiError, RefundClaimsView, from_domain_error, int_param
from .claim_serializers import (
    IN_PROGRESS,
    STATUSES,
    ErrorListSerializer,
    RefundClaimCreatedSerializer,
    RefundClaimListSerializer,
    RefundClaimRequestSerializer,
    RefundClaimSerializer,
)

Reason = CommissionRefund.Reason

TAGS = ["Commission refunds"]
# Where the service's fields are called differently in the API.
SERVICE_FIELD_PATHS = {"lines": "quantity"}


class UnprocessableRequest(exceptions.ValidationError):
    """A request body that does not have the described shape: 422, as the marketplace
    answers it, instead of DRF's 400."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


# --- Queries ----------------------------------------------------------------------------


def account_claims(account):
    """The claims (claimed lines) of the seller account, ready to render without queries."""
    return CommissionRefundLine.objects.filter(application__seller_account=account).select_related(
        "application", "line__order__market"
    )


def get_account_claim(account, claim_id):
    """The account's claim `claim_id`; 404 when unknown, malformed or another account's."""
    try:
        public_id = uuid.UUID(str(claim_id))
    except ValueError:
        raise exceptions.NotFound from None
    try:
        return account_claims(account).get(public_id=public_id)
    except CommissionRefundLine.DoesNotExist:
        raise exceptions.NotFound from None


def _numeric_id(raw):
    """A numeric ID given as text (offers and buyers are numbered), or None when the
    text cannot be one (then nothing matches)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def inferred_reason(order):
    """The reason of an application filed without one (the marketplace's request has no
    reason field): from the order's state."""
    if order.status == Order.Status.CANCELLED or order.cancellation_requested_at is not None:
        return Reason.BUYER_CANCELLED
    if order.status == Order.Status.AWAITING_PAYMENT:
        return Reason.NOT_PAID
    # Paid: the units are claimed as given back; the application waits for the refund.
    return Reason.BUYER_CANCELLED


# --- Documentation ----------------------------------------------------------------------

ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        "Language of `unmetConditions` and of `userMessage` in errors: en-US or pl-PL (the default)."
    ),
)
CLAIM_ID = OpenApiParameter(
    "claim_id",
    str,
    OpenApiParameter.PATH,
    description=gettext_lazy("Claim ID (`claimId` in the marketplace's description): the `id` of a claim."),
)


def _error(description):
    return OpenApiResponse(ErrorListSerializer, description=description)


COMMON_ERRORS = {
    401: _error(gettext_lazy("The access token is missing, expired or revoked.")),
    403: _error(gettext_lazy("The token lacks the scope of this operation, or its user has no seller account.")),
    406: _error(gettext_lazy("Accept is not application/vnd.allegro.public.v1+json.")),
    429: _error(gettext_lazy("Too many requests with this access token; see Retry-After.")),
}
NOT_FOUND = _error(gettext_lazy("No claim has this ID, it is malformed, or it belongs to another seller account."))


# --- Views ------------------------------------------------------------------------------


class RefundClaimApiView(RefundClaimsView):
    """Reading needs `allegro:api:orders:read`; filing and cancelling need
    `allegro:api:orders:write`."""

    @property
    def required_scopes(self):
        request = getattr(self, "request", None)
        if request is None or request.method in SAFE_METHODS:
            return [SCOPE_ORDERS_READ]
        return [SCOPE_ORDERS_WRITE]


class RefundClaimListView(RefundClaimApiView):
    """GET lists the token's seller account's claims (one per claimed line, newest
    first; filters `lineItem.offer.id`, `buyer.id`, `status`; `limit` 1–100, `offset`;
    `count` on this page plus our `totalCount`). POST files an application for units of
    one purchased product through `orders.commission.apply` (REB-01…05); without our
    optional `reason` the reason follows from the order (`inferred_reason`). A product
    that is unknown or another account's is a 422 on `lineItem.id` (the marketplace's
    POST has no 404); the service's refusals are 422 on `quantity` or without a path."""

    @extend_schema(
        operation_id="getRefundApplications",
        tags=TAGS,
        summary=gettext_lazy("Get a list of refund applications"),
        description=gettext_lazy(
            "The claims of the token's seller account, newest first. A claim is one claimed product (line) of "
            "a commission refund application: an application filed on the web page for several products "
            "appears as several claims sharing `applicationId`. `count` is the number of claims in this "
            "response; `totalCount` (an addition) the number matching the filters. IN_PROGRESS is accepted as "
            "a `status` filter but never returned: applications are evaluated at once. An unknown "
            "`status` or a `limit`/`offset` out of range is a 422 naming the parameter in `path`."
        ),
        parameters=[
            OpenApiParameter(
                "lineItem.offer.id",
                str,
                OpenApiParameter.QUERY,
                description=gettext_lazy("Only claims of products bought from this offer."),
            ),
            OpenApiParameter(
                "buyer.id",
                str,
                OpenApiParameter.QUERY,
                description=gettext_lazy("Only claims of this buyer's purchases."),
            ),
            OpenApiParameter(
                "status",
                str,
                OpenApiParameter.QUERY,
                enum=STATUSES,
                description=gettext_lazy("Only claims whose application has this status."),
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "format": "int32", "minimum": 1, "maximum": 100, "default": 25},
                OpenApiParameter.QUERY,
                description=gettext_lazy("Maximum number of claims returned."),
            ),
            OpenApiParameter(
                "offset",
                {"type": "integer", "format": "int32", "minimum": 0, "default": 0},
                OpenApiParameter.QUERY,
                description=gettext_lazy("Index of the first claim returned among all that match."),
            ),
            ACCEPT_LANGUAGE,
        ],
        responses={
            200: OpenApiResponse(RefundClaimListSerializer, description=gettext_lazy("The claims of this page.")),
            **COMMON_ERRORS,
            422: _error(gettext_lazy("A parameter is invalid; `path` names it.")),
        },
    )
    def get(self, request):
        params = request.query_params
        status_filter = params.get("status") or None
        if status_filter is not None and status_filter not in STATUSES:
            raise ApiError(
                _("“status” must be one of: %(values)s.") % {"values": ", ".join(STATUSES)},
                path="status",
            )
        limit = int_param(request, "limit", default=25, minimum=1, maximum=100)
        offset = int_param(request, "offset", default=0, minimum=0)

        claims = account_claims(self.seller_account)
        for name, lookup in (("lineItem.offer.id", "line__offer_id"), ("buyer.id", "line__order__buyer_id")):
            raw = params.get(name)
            if raw:
                value = _numeric_id(raw)
                claims = claims.filter(**{lookup: value}) if value is not None else claims.none()
        if status_filter == IN_PROGRESS:
            claims = claims.none()
        elif status_filter:
            claims = claims.filter(application__status=status_filter)

        total = claims.count()
        page = list(claims.order_by("-application__created_at", "-application_id", "pk")[offset : offset + limit])
        body = {"refundClaims": page, "count": len(page), "totalCount": total}
        return Response(RefundClaimListSerializer(body).data)

    @extend_schema(
        operation_id="createRefundApplication",
        tags=TAGS,
        summary=gettext_lazy("Create a refund application"),
        description=gettext_lazy(
            "Files a commission refund application for `quantity` units of the purchased product "
            "`lineItem.id` and evaluates it at once, through the same service as the seller's web "
            "page. The reason may be given in `reason` (an addition); otherwise it follows from the order: "
            "cancelled or withdrawn from → BUYER_CANCELLED, awaiting payment → NOT_PAID, paid → "
            "BUYER_CANCELLED (the application then waits for the refund to the buyer and is granted when it "
            "is made). The response carries the claim's `id` and (an addition) the status it got. Refusals "
            "are 422 with `path`: `lineItem.id` for a product that is unknown or another seller account's "
            "(there is no 404 here), `quantity` for units that are not a whole number ≥ 1 or were already "
            "claimed; a purchase more than 45 days old is refused as well. Bodies are "
            "accepted as application/vnd.allegro.public.v1+json or application/json."
        ),
        parameters=[ACCEPT_LANGUAGE],
        request=RefundClaimRequestSerializer,
        responses={
            201: OpenApiResponse(
                RefundClaimCreatedSerializer,
                description=gettext_lazy("The application was filed and evaluated; `status` says how."),
            ),
            400: _error(gettext_lazy("The body is not valid JSON.")),
            **COMMON_ERRORS,
            415: _error(gettext_lazy("The body's media type is not accepted.")),
            422: _error(gettext_lazy("The application cannot be filed; `userMessage` says why and `path` where.")),
        },
    )
    def post(self, request):
        serializer = RefundClaimRequestSerializer(data=request.data)
        if not serializer.is_valid():
            raise UnprocessableRequest(serializer.errors)
        data = serializer.validated_data
        line = self._account_line(data["lineItem"]["id"])
        reason = data.get("reason") or inferred_reason(line.order)
        try:
            application = commission.apply(
                line.order, seller=request.user, reason=reason, quantities={line.pk: data["quantity"]}
            )
        except DomainError as error:
            raise from_domain_error(error, path=SERVICE_FIELD_PATHS.get(error.field, error.field)) from None
        claim = application.lines.get()
        return Response(RefundClaimCreatedSerializer(claim).data, status=status.HTTP_201_CREATED)

    def _account_line(self, raw_id):
        try:
            public_id = uuid.UUID(str(raw_id))
        except ValueError:
            public_id = None
        line = (
            OrderLine.objects.select_related("order__market")
            .filter(public_id=public_id, order__seller_account=self.seller_account)
            .first()
            if public_id
            else None
        )
        if line is None:
            raise ApiError(
                _("No purchased product of this seller account has this ID."),
                code="LINE_ITEM_NOT_FOUND",
                path="lineItem.id",
            )
        return line


class RefundClaimDetailView(RefundClaimApiView):
    """GET reads one claim with our additions (`applicationId`, `reason`,
    `unmetConditions`, `appeal`). DELETE cancels the application the claim belongs to
    (REB-06) — the whole application, so every claim sharing its `applicationId` — and
    answers 422 "already processed" when it is not pending. Unknown, malformed and other
    accounts' claim IDs are 404."""

    @extend_schema(
        operation_id="getRefundApplication",
        tags=TAGS,
        summary=gettext_lazy("Get a refund application details"),
        description=gettext_lazy(
            "One claim (one claimed product of an application) of the token's seller account, with our "
            "additions `applicationId`, `reason`, `unmetConditions` (in the language of Accept-Language) and "
            "`appeal`. A claim of another seller account answers 404, as an unknown one."
        ),
        parameters=[CLAIM_ID, ACCEPT_LANGUAGE],
        responses={
            200: OpenApiResponse(RefundClaimSerializer, description=gettext_lazy("The claim.")),
            **COMMON_ERRORS,
            404: NOT_FOUND,
        },
    )
    def get(self, request, claim_id):
        claim = get_account_claim(self.seller_account, claim_id)
        return Response(RefundClaimSerializer(claim).data)

    @extend_schema(
        operation_id="cancelRefundApplication",
        tags=TAGS,
        summary=gettext_lazy("Cancel a refund application"),
        description=gettext_lazy(
            "Cancels the application the claim belongs to — the whole application, so every claim "
            "sharing its `applicationId` becomes CANCELLED. Only a pending application (WAITING_FOR_PAYMENT_REFUND "
            "or APPEALED) can be cancelled; any other answers 422. This cannot be undone."
        ),
        parameters=[CLAIM_ID, ACCEPT_LANGUAGE],
        responses={
            204: OpenApiResponse(description=gettext_lazy("The application was cancelled.")),
            **COMMON_ERRORS,
            404: NOT_FOUND,
            422: _error(gettext_lazy("The application has already been processed (it is not pending).")),
        },
    )
    def delete(self, request, claim_id):
        claim = get_account_claim(self.seller_account, claim_id)
        try:
            commission.cancel(claim.application, seller=request.user)
        except DomainError as error:
            raise ApiError(error.message, code="ALREADY_PROCESSED") from None
        return Response(status=status.HTTP_204_NO_CONTENT)
