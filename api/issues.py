"""/sale/issues: the seller account's Discussions as the marketplace's post-purchase
issues (API-01), in the shape of api/reference/allegro-openapi-excerpt.yaml. Every
Discussion is an issue of type DISPUTE; the mapping lives in `issue_mapping.issue`.

Views are thin (STYLE §8): the token's seller account sees only its own Discussions and
attachments (anything else is 404), writes go through discussions.services, and the
state machine (discussions.rules, DSC-22) decides what the seller may do.

One module per concern: this one holds the reading views (the list, one issue, its
chat) and renders their issues; what they read is in api.issue_queries, the bodies'
mapping in api.issue_mapping, their description in api.issue_serializers; posting a
message is api.issue_messages, attachments api.issue_attachments.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.instants import instant
from discussions import rules
from discussions.models import Discussion
from orders.models import Market

from . import compiled, issue_cache
from . import issue_mapping as mapping
from . import issue_serializers as s
from .base import ApiError, IssuesView, RenderedJSON, int_param, render_json, uuid_param
from .issue_queries import (
    MARKET_COLUMNS,
    chat_rows,
    discussions_of,
    initial_message_id,
    issue_values,
    listed_count,
    listed_page,
    opening_messages,
    row_objects,
)

PAGE_DEFAULT = 10
PAGE_MAX = 100
INT32_MAX = 2**31 - 1


def _paging(what):
    return [
        OpenApiParameter(
            "limit", int, description=f"The maximum number of {what} in a response (1–100).", default=PAGE_DEFAULT
        ),
        OpenApiParameter("offset", int, description=f"Index of the first returned {what} (≥ 0).", default=0),
    ]


def _issues_json(names, rows, request, now):
    """The issues of `rows` (`issue_values` tuples), each rendered as JSON bytes: from the
    process's cache of rendered issues (api.issue_cache) when nothing it shows has
    changed, else mapped and rendered now (and kept)."""
    language = get_language()
    base = mapping.attachment_url(request, "")
    # SAFE-04: whether the seller's request to end still waits changes with the clock alone.
    asked = names.index("instant_end_requested_at")
    keys = [
        issue_cache.key((values, rules.end_request_waits(instant(values[asked]), now)), language, base)
        for values in rows
    ]
    rendered = issue_cache.get_many(keys)
    if len(rendered) < len(keys):
        missing_keys = [item for item in keys if item not in rendered]
        missing = row_objects(names, [values for values, item in zip(rows, keys, strict=True) if item not in rendered])
        opening = opening_messages(missing)
        fresh = {}
        for row, item in zip(missing, missing_keys, strict=True):
            body = mapping.issue(
                row, initial_message=opening.get(row.id), messages_count=row.messages_count, request=request, now=now
            )
            fresh[item] = render_json(body)
        issue_cache.put_many(fresh)
        rendered.update(fresh)
    return [rendered[item] for item in keys]


def _statuses(request):
    """`status` (repeated, or comma-separated) → the statuses asked for, sorted (None
    for all)."""
    values = [v.strip() for raw in request.query_params.getlist("status") for v in raw.split(",") if v.strip()]
    if not values:
        return None
    unknown = [v for v in values if v not in s.ISSUE_STATUSES]
    if unknown:
        raise ApiError(
            _("“status” must be one of: %(values)s.") % {"values": ", ".join(s.ISSUE_STATUSES)},
            path="status",
        )
    return tuple(sorted(set(values)))


class IssueListView(IssuesView):
    @extend_schema(
        operation_id="getListOfIssuesUsingGET",
        summary="Get the seller's post purchase issues",
        description=(
            "The token's seller account's Discussions (all of type DISPUTE), latest opening first "
            "(`openedDate` descending). Claim statuses match nothing. We add `totalCount`, and per issue "
            "`allowedActions` (DSC-22) and `replyDeadline` (DSC-06)."
        ),
        parameters=[
            OpenApiParameter("checkoutForm.id", OpenApiTypes.UUID, description="Order (checkout form) identifier."),
            OpenApiParameter(
                "status", str, many=True, enum=s.ISSUE_STATUSES, description="Filter by any of these statuses."
            ),
            *_paging("issues"),
            s.LANGUAGE,
        ],
        responses={
            200: s.PostPurchaseIssueListResponseSerializer,
            401: s.UNAUTHORIZED,
            403: s.FORBIDDEN,
            422: s.INVALID,
        },
    )
    def get(self, request):
        now = timezone.now()
        limit = int_param(request, "limit", default=PAGE_DEFAULT, minimum=1, maximum=PAGE_MAX)
        offset = int_param(request, "offset", default=0, minimum=0, maximum=INT32_MAX)
        filters = (self.seller_account.pk, uuid_param(request, "checkoutForm.id"), _statuses(request))
        total = listed_count(filters)
        names, page = listed_page(filters, offset, limit)
        issues = b",".join(_issues_json(names, page, request, now))
        return Response(RenderedJSON(b'{"issues":[' + issues + b'],"totalCount":' + str(total).encode() + b"}"))


class IssueDetailView(IssuesView):
    @extend_schema(
        operation_id="getIssueUsingGET",
        summary="Get a single dispute",
        parameters=[s.ISSUE_ID, s.LANGUAGE],
        responses={200: s.PostPurchaseIssueSerializer, 401: s.UNAUTHORIZED, 403: s.FORBIDDEN, 404: s.NOT_FOUND},
    )
    def get(self, request, issue_id):
        now = timezone.now()
        names, rows = compiled.execute(issue_values(discussions_of(self.seller_account).filter(public_id=issue_id)))
        if not rows:
            raise Http404
        return Response(RenderedJSON(_issues_json(names, rows, request, now)[0]))


class IssueChatView(IssuesView):
    @extend_schema(
        operation_id="getChatFromIssueUsingGET",
        summary="Get the messages of a dispute, newest first",
        description=(
            "Messages newest first (paged with limit/offset); of messages of the same instant, automatic ones "
            "come first (after what caused them), so the oldest is the issue's initial message, with the same "
            "author. Automatic messages have role SYSTEM and their text in the Accept-Language language — "
            "except the automatic opening message when it is the initial message (the buyer wrote nothing): "
            "its author is the buyer (ADMIN when Allegro opened the Discussion). Allegro's mediators have "
            "role ADMIN (no login); a message hidden by Allegro shows a notice instead of its text and no "
            "attachments."
        ),
        parameters=[s.ISSUE_ID, *_paging("messages"), s.LANGUAGE],
        responses={
            200: s.PostPurchaseIssueChatResponseSerializer,
            401: s.UNAUTHORIZED,
            403: s.FORBIDDEN,
            404: s.NOT_FOUND,
            422: s.INVALID,
        },
    )
    def get(self, request, issue_id):
        account_id = self.seller_account.pk
        _names, found = compiled.rows(
            ("chat-issue", account_id, issue_id),
            lambda: (
                Discussion.objects.filter(seller_account_id=account_id, public_id=issue_id)
                .annotate(initial_message_id=initial_message_id())
                .values_list(
                    "id",
                    "initial_message_id",
                    "opened_by_marketplace",
                    "buyer__username",
                    "market_id",
                    *(f"market__{name}" for name in MARKET_COLUMNS),
                )
            ),
        )
        if not found:
            raise Http404
        discussion_id, initial_id, opened_by_marketplace, buyer_login, market_code, *market_fields = found[0]
        limit = int_param(request, "limit", default=PAGE_DEFAULT, minimum=1, maximum=PAGE_MAX)
        offset = int_param(request, "offset", default=0, minimum=0, maximum=INT32_MAX)
        market = Market(code=market_code, **dict(zip(MARKET_COLUMNS, market_fields, strict=True)))
        # API-03: the automatic opening message that stands for the initial message has its author.
        opening = mapping.opening_author(opened_by_marketplace, buyer_login)
        chat = [
            mapping.chat_row(
                m,
                market=market,
                request=request,
                opening_author=opening if m.pk == initial_id and m.is_automatic else None,
            )
            for m in chat_rows(discussion_id, offset, limit)
        ]
        return Response({"chat": chat})
