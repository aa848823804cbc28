"""/sale/issues: the seller account's Discussions as the marketplace's post-purchase
issues (API-01), in the shape of api/reference/allegro-openapi-excerpt.yaml. Every
Discussion is an issue of type DISPUTE; the mapping lives in `issue_serializers.issue`.

Views are thin (STYLE §8): the token's seller account sees only its own Discussions and
attachments (anything else is 404), writes go through discussions.services, and the
state machine (discussions.rules, DSC-22) decides what the seller may do.
"""

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from core.errors import DomainError
from core.instants import InstantMicros, instant
from core.uploads import check_upload
from discussions import rules, services
from discussions.models import Attachment, Discussion, Message, Role
from discussions.rules import Action
from orders.models import Market

from . import compiled, issue_cache
from . import issue_serializers as s
from .base import ApiError, IssuesView, RenderedJSON, int_param, render_json, uuid_param
from .models import AttachmentDeclaration

PAGE_DEFAULT = 10
PAGE_MAX = 100
INT32_MAX = 2**31 - 1

# DSC-11: what an attachment may be (checked by content, core.uploads). image/jpg is a
# common misspelling of image/jpeg.
UPLOAD_TYPES = {
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
    "application/pdf": "application/pdf",
}

# --- Schema pieces ----------------------------------------------------------------------

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


def _paging(what):
    return [
        OpenApiParameter(
            "limit", int, description=f"The maximum number of {what} in a response (1–100).", default=PAGE_DEFAULT
        ),
        OpenApiParameter("offset", int, description=f"Index of the first returned {what} (≥ 0).", default=0),
    ]


def _errors(description):
    return OpenApiResponse(s.ErrorsSerializer, description=description)


UNAUTHORIZED = _errors("The access token is missing, expired or revoked.")
FORBIDDEN = _errors("The token lacks the allegro:api:disputes scope, or its user has no seller account.")
NOT_FOUND = _errors("Not found, or it belongs to another seller account.")
INVALID = _errors("Invalid parameters or body; `path` names the field.")

# --- Access (anything foreign is a 404, SEC-01) ---------------------------------------


def discussions_of(account):
    return Discussion.objects.filter(seller_account=account)


def get_issue(account, issue_id):
    """The account's Discussion as a model, for the services (writes)."""
    return get_object_or_404(
        discussions_of(account).select_related("market", "seller_account__user"), public_id=issue_id
    )


# What an issue shows (issue_serializers.issue, and the seller's actions in
# discussions.rules), read as plain values: a list of 100 issues would otherwise build
# 600 model instances (Discussion, order, line, buyer, market, message) per request.
ISSUE_COLUMNS = (
    "id",
    "public_id",
    "reason",
    "status",
    "is_open",
    "expected_solution",
    "expected_amount",
    "expected_percent",
    "opened_by_marketplace",
    "last_message_status",
    "buyer_id",
    "market_id",
)
# Instants, read through core.instants (they are most of a page's values).
ISSUE_INSTANTS = {
    "opened_at": "opened_at",
    "created_at": "created_at",
    "reply_due_at": "reply_due_at",
    "seller_replied_at": "seller_replied_at",
    "last_message_at": "last_message_at",
    "order_created_at": "order__created_at",
}


MARKET_COLUMNS = ("domain", "currency", "time_zone", "holiday_country", "language")


def _initial_message_id():
    """The initial message of each Discussion (see `issue_serializers._initial_message`):
    the buyer's own message written when opening it, else the automatic message that
    started it — a correlated subquery through the index on (discussion, created_at)."""
    opening = Message.objects.filter(discussion=OuterRef("pk"), created_at=OuterRef("created_at")).order_by("pk")
    return Coalesce(
        Subquery(opening.filter(author_role=Role.BUYER).values("pk")[:1]),
        Subquery(opening.filter(kind=Message.Kind.AUTOMATIC, auto_code__in=s.OPENING_CODES).values("pk")[:1]),
    )


def _messages_count():
    """The number of a Discussion's messages (all of them, as /chat lists them)."""
    counted = Message.objects.filter(discussion=OuterRef("pk")).order_by().values("discussion")
    return Coalesce(Subquery(counted.annotate(count=Count("pk")).values("count")), 0)


def issue_values(queryset):
    """The Discussions of `queryset` as one values() query of everything an issue shows:
    their order, line, buyer and market columns, their number of messages and the id of
    their initial message (and whether it is hidden)."""
    related = {
        "order_public_id": F("order__public_id"),
        "offer_id": F("line__offer_id"),
        "line_quantity": F("line__quantity"),
        "buyer_login": F("buyer__username"),
        "initial_message_id": _initial_message_id(),
        "messages_count": _messages_count(),
        **{f"market_{name}": F(f"market__{name}") for name in MARKET_COLUMNS},
        **{f"instant_{name}": InstantMicros(path) for name, path in ISSUE_INSTANTS.items()},
    }
    hidden = {
        "initial_message_hidden": Exists(
            Message.objects.filter(pk=OuterRef("initial_message_id"), hidden_at__isnull=False)
        )
    }
    return queryset.annotate(**related).annotate(**hidden).values(*ISSUE_COLUMNS, *related, *hidden)


def row_objects(names, rows):
    """`issue_values` rows (tuples) as `IssueRow`s; one Market object is made per market.
    Each keeps its tuple as `values`: the issue cache's key (api.issue_cache)."""
    markets = {}
    result = []
    for values in rows:
        row = dict(zip(names, values, strict=True))
        for name in ISSUE_INSTANTS:
            row[name] = instant(row.pop(f"instant_{name}"))
        fields = {name: row.pop(f"market_{name}") for name in MARKET_COLUMNS}
        market = markets.get(row["market_id"])
        if market is None:
            market = markets[row["market_id"]] = Market(code=row["market_id"], **fields)
        result.append(s.IssueRow(**row, market=market, values=values))
    return result


def issue_rows(queryset):
    """The Discussions of `queryset` as `IssueRow`s, in one query (`issue_values`)."""
    return row_objects(*compiled.execute(issue_values(queryset)))


def _opening_values(messages):
    """The columns of an initial message, and whether it has attachments."""
    return messages.values(
        "id",
        *s.OpeningMessage.COLUMNS,
        is_hidden=Q(hidden_at__isnull=False),
        has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))),
    )


def _attachments_of(message_ids):
    """{message id: [(public id, name), …]} of the messages `message_ids` (only those known
    to have attachments are asked for)."""
    attachments = {}
    if message_ids:
        for message_id, public_id, name in (
            Attachment.objects.filter(message_id__in=message_ids)
            .order_by("pk")
            .values_list("message_id", "public_id", "original_name")
        ):
            attachments.setdefault(message_id, []).append((public_id, name))
    return attachments


def opening_messages(rows):
    """{discussion id: its initial message}: one query by primary keys (compiled once per
    number of ids, api.compiled) and one for the attachments of those that have any. A
    message's instant is its Discussion's start, so it is not read again."""
    started = {row.initial_message_id: row for row in rows if row.initial_message_id is not None}
    if not started:
        return {}
    names, values = compiled.rows_for_ids(
        "opening-messages", lambda ids: _opening_values(Message.objects.filter(pk__in=ids)), list(started)
    )
    found = {row[0]: dict(zip(names, row, strict=True)) for row in values}
    attachments = _attachments_of([message_id for message_id, message in found.items() if message["has_attachments"]])
    return {
        started[message_id].id: s.OpeningMessage(
            **{key: message[key] for key in s.OpeningMessage.COLUMNS},
            created_at=started[message_id].created_at,
            is_hidden=message["is_hidden"],
            attachment_rows=attachments.get(message_id, []),
        )
        for message_id, message in found.items()
    }


def _issues_json(names, rows, request, now):
    """The issues of `rows` (`issue_values` tuples), each rendered as JSON bytes: from the
    process's cache of rendered issues (api.issue_cache) when nothing it shows has
    changed, else mapped and rendered now (and kept)."""
    language = get_language()
    base = s.attachment_url(request, "")
    keys = [issue_cache.key(values, language, base) for values in rows]
    rendered = issue_cache.get_many(keys)
    if len(rendered) < len(keys):
        missing = row_objects(names, [values for values, item in zip(rows, keys, strict=True) if item not in rendered])
        opening = opening_messages(missing)
        fresh = {}
        for row in missing:
            body = s.issue(
                row, initial_message=opening.get(row.id), messages_count=row.messages_count, request=request, now=now
            )
            fresh[issue_cache.key(row.values, language, base)] = render_json(body)
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


def _status_condition(statuses):
    """The statuses as a condition; claim statuses match nothing."""
    by_status = {
        "DISPUTE_ONGOING": Q(is_open=True, status=Discussion.Status.IN_PROGRESS),
        "DISPUTE_UNRESOLVED": Q(is_open=True, status=Discussion.Status.UNRESOLVED),
        "DISPUTE_CLOSED": Q(is_open=False),
    }
    condition = Q(pk__in=[])
    for value in statuses:
        condition |= by_status.get(value, Q(pk__in=[]))
    return condition


def listed_discussions(account_id, checkout_form_id, statuses):
    """The account's Discussions that /sale/issues lists for these filters."""
    discussions = Discussion.objects.filter(seller_account_id=account_id)
    if checkout_form_id is not None:
        discussions = discussions.filter(order__public_id=checkout_form_id)
    if statuses is not None:
        discussions = discussions.filter(_status_condition(statuses))
    return discussions


def _listed_count(filters):
    """totalCount: an index-only count of the account's Discussions (one group: they all
    have the account), compiled once per filters (api.compiled)."""
    _names, rows = compiled.rows(
        ("issue-count", *filters),
        lambda: (
            listed_discussions(*filters)
            .order_by()
            .values("seller_account_id")
            .annotate(count=Count("pk"))
            .values_list("count")
        ),
    )
    return rows[0][0] if rows else 0


def _listed(filters, offset, limit):
    return listed_discussions(*filters).order_by("-opened_at", "-id")[offset : offset + limit]


def _listed_page(filters, offset, limit):
    """`issue_values` of one page (latest opening first), compiled once per filters and
    page (api.compiled)."""
    return compiled.rows(("issue-page", *filters, offset, limit), lambda: issue_values(_listed(filters, offset, limit)))


# --- Issues -------------------------------------------------------------------------


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
            LANGUAGE,
        ],
        responses={200: s.PostPurchaseIssueListResponseSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 422: INVALID},
    )
    def get(self, request):
        now = timezone.now()
        limit = int_param(request, "limit", default=PAGE_DEFAULT, minimum=1, maximum=PAGE_MAX)
        offset = int_param(request, "offset", default=0, minimum=0, maximum=INT32_MAX)
        filters = (self.seller_account.pk, uuid_param(request, "checkoutForm.id"), _statuses(request))
        total = _listed_count(filters)
        names, page = _listed_page(filters, offset, limit)
        issues = b",".join(_issues_json(names, page, request, now))
        return Response(RenderedJSON(b'{"issues":[' + issues + b'],"totalCount":' + str(total).encode() + b"}"))


class IssueDetailView(IssuesView):
    @extend_schema(
        operation_id="getIssueUsingGET",
        summary="Get a single dispute",
        parameters=[ISSUE_ID, LANGUAGE],
        responses={200: s.PostPurchaseIssueSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
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
            "Messages newest first (paged with limit/offset). Automatic messages have role SYSTEM and "
            "their text in the Accept-Language language; Allegro's mediators have role ADMIN (no login); "
            "a message hidden by Allegro shows a notice instead of its text and no attachments."
        ),
        parameters=[ISSUE_ID, *_paging("messages"), LANGUAGE],
        responses={
            200: s.PostPurchaseIssueChatResponseSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            422: INVALID,
        },
    )
    def get(self, request, issue_id):
        account_id = self.seller_account.pk
        _names, found = compiled.rows(
            ("chat-issue", account_id, issue_id),
            lambda: Discussion.objects.filter(seller_account_id=account_id, public_id=issue_id).values_list(
                "id", "market_id", *(f"market__{name}" for name in MARKET_COLUMNS)
            ),
        )
        if not found:
            raise Http404
        discussion_id, market_code, *market_fields = found[0]
        limit = int_param(request, "limit", default=PAGE_DEFAULT, minimum=1, maximum=PAGE_MAX)
        offset = int_param(request, "offset", default=0, minimum=0, maximum=INT32_MAX)
        market = Market(code=market_code, **dict(zip(MARKET_COLUMNS, market_fields, strict=True)))
        chat = [s.chat_row(m, market=market, request=request) for m in chat_rows(discussion_id, offset, limit)]
        return Response({"chat": chat})


def chat_rows(discussion_id, offset, limit):
    """One page of a Discussion's messages, newest first, as `ChatMessageRow`s: one
    query (compiled once per page, api.compiled), and one more for the attachments of
    those that have any."""
    names, rows = compiled.rows(
        ("chat-page", discussion_id, offset, limit),
        lambda: (
            Message.objects.filter(discussion_id=discussion_id)
            .order_by("-created_at", "-pk")
            .values(
                "id",
                *s.ChatMessageRow.COLUMNS,
                author_login=F("author__username"),
                is_hidden=Q(hidden_at__isnull=False),
                instant_created_at=InstantMicros("created_at"),
                has_attachments=Exists(Attachment.objects.filter(message=OuterRef("pk"))),
            )[offset : offset + limit]
        ),
    )
    messages = [dict(zip(names, values, strict=True)) for values in rows]
    attachments = _attachments_of([message["id"] for message in messages if message["has_attachments"]])
    return [
        s.ChatMessageRow(
            **{key: message[key] for key in s.ChatMessageRow.COLUMNS},
            author_login=message["author_login"],
            created_at=instant(message["instant_created_at"]),
            is_hidden=message["is_hidden"],
            attachment_rows=attachments.get(message["id"], []),
        )
        for message in messages
    ]


# --- Messages -----------------------------------------------------------------------


class Unprocessable(exceptions.ValidationError):
    """The public API answers invalid bodies with 422, not DRF's 400."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def _bracketed(errors):
    """DRF reports the items of a list as {index: errors}; the public API's paths say
    `attachments[0].id`."""
    if not isinstance(errors, dict):
        return errors
    flat = {}
    for key, value in errors.items():
        value = _bracketed(value)
        if isinstance(value, dict) and value and all(isinstance(index, int) for index in value):
            flat.update({f"{key}[{index}]": item for index, item in value.items()})
        else:
            flat[key] = value
    return flat


def validated(serializer):
    """The serializer's data, or a 422 naming every field at fault."""
    if not serializer.is_valid():
        raise Unprocessable(_bracketed(serializer.errors))
    return serializer.validated_data


def _conflict(message, code="DISCUSSION_CLOSED"):
    return ApiError(message, code=code, status_code=status.HTTP_409_CONFLICT)


def _already_used(path):
    return ApiError(
        _("This attachment has already been sent in a message; upload the file again to send it once more."),
        code="ATTACHMENT_ALREADY_USED",
        path=path,
    )


def _attachment_refs(data):
    """[(path, id)] of `attachments` and of the excerpt's singular `attachment`."""
    refs = [(f"attachments[{i}].id", item["id"]) for i, item in enumerate(data.get("attachments") or [])]
    if data.get("attachment"):
        refs.append(("attachment.id", data["attachment"]["id"]))
    if len(refs) > s.MAX_MESSAGE_ATTACHMENTS:
        raise ApiError(
            _("A message can have at most %(max)s attachments.") % {"max": s.MAX_MESSAGE_ATTACHMENTS},
            path="attachments",
        )
    return refs


def usable_declarations(account, refs):
    """The account's uploaded, not yet used declarations named by `refs`, in order; a
    422 naming the first one that is not."""
    found = AttachmentDeclaration.objects.filter(seller_account=account, pk__in=[i for _p, i in refs]).in_bulk()
    declarations = []
    for path, ident in refs:
        declaration = found.get(ident)
        if declaration is None:
            raise ApiError(
                _("There is no such attachment. Declare it with POST /sale/issues/attachments and upload it first."),
                code="ATTACHMENT_NOT_FOUND",
                path=path,
            )
        if declaration in declarations:
            raise ApiError(_("The same attachment is given twice."), path=path)
        if declaration.uploaded_at is None:
            raise ApiError(
                _("The file has not been uploaded yet: PUT it to the address from the Location header first."),
                code="ATTACHMENT_NOT_UPLOADED",
                path=path,
            )
        if declaration.attachment_id is not None:
            raise _already_used(path)
        declarations.append(declaration)
    return declarations


def _service_error(error):
    if error.code in (services.CLOSED_ERROR, Action.REPLY):
        return _conflict(error.message)
    if error.code == Action.REQUEST_END:
        return _conflict(error.message, code="END_REQUEST_NOT_ALLOWED")
    path = {"files": "attachments"}.get(error.field, error.field)
    return ApiError(error.message, path=path)


def post_seller_message(discussion, *, seller, text, kind, declarations, paths, now):
    """Post the seller's message with the uploaded declarations as its attachments and
    link each declaration to its stored attachment, in one transaction; an END_REQUEST
    (DSC-12) follows a message carrying the text/attachments given with it. Returns the
    message that carries what was sent (the END_REQUEST message when nothing was)."""
    with transaction.atomic():
        if declarations:
            # Lock the declarations (PostgreSQL); the compare-and-set below also holds on SQLite.
            unused = set(
                AttachmentDeclaration.objects.select_for_update()
                .filter(pk__in=[d.pk for d in declarations], attachment__isnull=True)
                .values_list("pk", flat=True)
            )
            for declaration, path in zip(declarations, paths, strict=True):
                if declaration.pk not in unused:
                    raise _already_used(path)
        files = []
        try:
            for declaration in declarations:
                files.append(File(declaration.file.open("rb"), name=declaration.file_name))
            message = None
            if text.strip() or files or kind == Message.Kind.REGULAR:
                message = services.post_message(
                    discussion, author=seller, role=Role.SELLER, text=text, files=files, now=now
                )
                stored = list(message.attachments.order_by("pk"))
                for declaration, attachment, path in zip(declarations, stored, paths, strict=True):
                    if not AttachmentDeclaration.objects.filter(pk=declaration.pk, attachment__isnull=True).update(
                        attachment=attachment
                    ):
                        raise _already_used(path)
            if kind == Message.Kind.END_REQUEST:
                end_request = services.request_end(discussion, seller=seller, now=now)
                message = message or end_request
        finally:
            for file in files:
                file.close()
    return message


class IssueMessageView(IssuesView):
    @extend_schema(
        operation_id="addMessageToIssueUsingPOST",
        summary="Add a message to a dispute",
        description=(
            "`type` REGULAR posts a message; END_REQUEST asks the buyer to mark the Discussion as resolved "
            "(DSC-12; text and attachments given with it are posted first, as a regular message, and that "
            "message is returned). RETURN_* types are for claims: 422. At least text or an attachment is "
            "needed for REGULAR. Attachments are uploaded declarations (POST then PUT "
            "/sale/issues/attachments), each usable in one message. The excerpt's body lists `attachment` "
            "as required but declares only `attachments`; both are accepted. 409 when the Discussion no "
            "longer accepts the seller's messages."
        ),
        parameters=[ISSUE_ID, LANGUAGE],
        request=s.MessageRequestSerializer,
        responses={
            201: s.PostPurchaseIssueMessageSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: _errors("The Discussion is in a state that forbids this message (closed, or no end request)."),
            422: INVALID,
        },
    )
    def post(self, request, issue_id):
        discussion = get_issue(self.seller_account, issue_id)
        data = validated(s.MessageRequestSerializer(data=request.data))
        if data["type"] in s.CLAIM_MESSAGE_TYPES:
            raise ApiError(
                _("Return-related message types are only for claims; this is a dispute."),
                code="VALIDATION_ERROR.INVALID_CHOICE",
                path="type",
            )
        kind = Message.Kind(data["type"])
        text = data.get("text") or ""
        refs = _attachment_refs(data)
        now = timezone.now()
        reply = rules.availability(discussion, Role.SELLER, Action.REPLY, now)
        if not reply.allowed:
            raise _conflict(reply.reason)
        if kind == Message.Kind.END_REQUEST:
            end = rules.availability(discussion, Role.SELLER, Action.REQUEST_END, now)
            if not end.allowed:
                raise _conflict(end.reason, code="END_REQUEST_NOT_ALLOWED")
        elif not text.strip() and not refs:
            raise ApiError(_("Write a message or attach a file."), path="text")
        declarations = usable_declarations(self.seller_account, refs)
        try:
            message = post_seller_message(
                discussion,
                seller=self.seller_account.user,
                text=text,
                kind=kind,
                declarations=declarations,
                paths=[path for path, _id in refs],
                now=now,
            )
        except DomainError as error:
            raise _service_error(error) from None
        body = s.chat_message(message, discussion=discussion, request=request)
        return Response(body, status=status.HTTP_201_CREATED)


# --- Attachments --------------------------------------------------------------------


class AttachmentDeclarationView(IssuesView):
    @extend_schema(
        operation_id="createAnIssueAttachmentUsingPOST",
        summary="Declare an attachment",
        description=(
            "Declare a file (name, size in bytes, at most 10 MB). The `Location` header holds the one-time "
            "address to PUT the file to; then send the id with a message."
        ),
        parameters=[
            LANGUAGE,
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="PUT the file's bytes to this URL (one-time).",
            ),
        ],
        request=s.AttachmentDeclarationSerializer,
        responses={
            201: OpenApiResponse(s.PostPurchaseIssueAttachmentIdSerializer, description="Declared."),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            422: INVALID,
        },
    )
    def post(self, request):
        data = validated(s.AttachmentDeclarationSerializer(data=request.data))
        declaration = AttachmentDeclaration.objects.create(
            seller_account=self.seller_account,
            file_name=data["fileName"],
            declared_size=data["size"],
            created_at=timezone.now(),
        )
        location = request.build_absolute_uri(reverse("api:attachment", args=[declaration.pk]))
        return Response({"id": str(declaration.pk)}, status=status.HTTP_201_CREATED, headers={"Location": location})


class RawBody:
    """A request body not read yet: the view reads it after the cheaper checks, checking
    its declared length before reading and the bytes read after."""

    def __init__(self, stream=None, content_length=0):
        self.stream = stream
        self.content_length = content_length

    def read(self, limit):
        if self.content_length > limit:
            raise _too_big(limit)
        data = self.stream.read(limit + 1) if self.stream is not None else b""
        if len(data) > limit:
            raise _too_big(limit)
        return data


def _too_big(limit):
    return ApiError(
        _("The file is too big: an attachment can have at most %(limit)s.") % {"limit": filesizeformat(limit)},
        code="PAYLOAD_TOO_LARGE",
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _unsupported(message=None):
    return ApiError(
        message or _("Attachments can be JPEG, PNG or WebP images or PDF documents."),
        code="UNSUPPORTED_MEDIA_TYPE",
        status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    )


class RawUploadParser(BaseParser):
    """Any body, as bytes to be read by the view (PUT of an attachment); the view refuses
    the media types we do not accept with 415 and its own message."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        return RawBody(stream, length)


class FileOrJsonNegotiation(DefaultContentNegotiation):
    """A file is served whatever the client accepts (the excerpt says */*); errors and
    the upload's answer are JSON in our media type."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type


class AttachmentView(IssuesView):
    parser_classes = [RawUploadParser]
    content_negotiation_class = FileOrJsonNegotiation

    @extend_schema(
        operation_id="uploadIssueAttachmentUsingPUT",
        summary="Upload a declared attachment",
        description=(
            "PUT the file's bytes to the `Location` of its declaration, once. Accepted: image/jpeg, image/png, "
            "image/webp, application/pdf, checked by content (DSC-11); other types 415. The body must have the "
            "declared size (422) and at most 10 MB (413)."
        ),
        parameters=[ATTACHMENT_ID, LANGUAGE],
        request=dict.fromkeys(("image/png", "image/jpeg", "image/webp", "application/pdf"), OpenApiTypes.BINARY),
        responses={
            200: OpenApiResponse(s.PostPurchaseIssueAttachmentIdSerializer, description="File uploaded correctly."),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            413: _errors("File is too big."),
            415: _errors("Not a JPEG, PNG, WebP or PDF file (by its Content-Type or its content)."),
            422: _errors("Already uploaded, or the body's size differs from the declared size."),
        },
    )
    def put(self, request, attachment_id):
        declaration = get_object_or_404(AttachmentDeclaration, pk=attachment_id, seller_account=self.seller_account)
        if declaration.uploaded_at is not None:
            raise _already_uploaded()
        media_type = UPLOAD_TYPES.get((request.content_type or "").split(";")[0].strip().lower())
        if media_type is None:
            raise _unsupported()
        limit = settings.API_ATTACHMENT_MAX_BYTES
        body = request.data if isinstance(request.data, RawBody) else RawBody()
        data = body.read(limit)
        if len(data) != declaration.declared_size:
            raise ApiError(
                _("The file has %(actual)s bytes, but %(declared)s bytes were declared.")
                % {"actual": len(data), "declared": declaration.declared_size},
                code="SIZE_MISMATCH",
            )
        try:
            checked = check_upload(ContentFile(data, name=declaration.file_name), max_bytes=limit)
        except DomainError as error:
            raise _unsupported(error.message) from None
        if checked.content_type != media_type:
            raise _unsupported(
                _("The file's content is %(actual)s, not %(declared)s as its Content-Type says.")
                % {"actual": checked.content_type, "declared": media_type}
            )
        declaration.file.save(declaration.file_name, checked.content, save=False)
        # One-time: of two uploads at once, only the first is kept.
        if not AttachmentDeclaration.objects.filter(pk=declaration.pk, uploaded_at__isnull=True).update(
            file=declaration.file.name, content_type=checked.content_type, size=checked.size, uploaded_at=timezone.now()
        ):
            declaration.file.delete(save=False)
            raise _already_uploaded()
        return Response({"id": str(declaration.pk)})

    @extend_schema(
        operation_id="getIssueAttachmentUsingGET",
        summary="Get an attachment",
        description=(
            "The file of an attachment in one of the seller account's Discussions (not of a message hidden by "
            "Allegro), or of an uploaded declaration of the account."
        ),
        parameters=[ATTACHMENT_ID, LANGUAGE],
        responses={(200, "*/*"): OpenApiTypes.BINARY, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, attachment_id):
        attachment = Attachment.objects.filter(
            public_id=attachment_id,
            message__discussion__seller_account=self.seller_account,
            message__hidden_at__isnull=True,
        ).first()
        if attachment is not None:
            stored, name, content_type = attachment.file, attachment.original_name, attachment.content_type
        else:
            declaration = (
                AttachmentDeclaration.objects.filter(
                    pk=attachment_id, seller_account=self.seller_account, uploaded_at__isnull=False
                )
                .filter(Q(attachment__isnull=True) | Q(attachment__message__hidden_at__isnull=True))
                .first()
            )
            if declaration is None:
                raise Http404
            stored, name, content_type = declaration.file, declaration.file_name, declaration.content_type
        return FileResponse(stored.open("rb"), as_attachment=True, filename=name, content_type=content_type)


def _already_uploaded():
    return ApiError(
        _("The file has already been uploaded; the upload address works once. Declare a new attachment."),
        code="ALREADY_UPLOADED",
    )
