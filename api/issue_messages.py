"""POST /sale/issues/{issueId}/message (API-01): the seller's message, with uploaded
attachment declarations (api.issue_attachments) as its attachments, or an END_REQUEST
(DSC-12). The body is validated (422 naming every field at fault), the state machine
(discussions.rules, DSC-22) decides whether the seller may write, and the message is
posted through discussions.services.
"""

from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.errors import DomainError
from discussions import rules, services
from discussions.models import Message, Role
from discussions.rules import Action

from . import issue_mapping as mapping
from . import issue_serializers as s
from .base import ApiError, IssuesView
from .issue_queries import discussions_of, get_issue
from .models import AttachmentDeclaration


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
        parameters=[s.ISSUE_ID, s.LANGUAGE],
        request=s.MessageRequestSerializer,
        responses={
            201: s.PostPurchaseIssueMessageSerializer,
            401: s.UNAUTHORIZED,
            403: s.FORBIDDEN,
            404: s.NOT_FOUND,
            409: s.error_response(
                "The Discussion is in a state that forbids this message (closed, or no end request)."
            ),
            422: s.INVALID,
        },
    )
    def post(self, request, issue_id):
        discussion = get_issue(self.seller_account, issue_id)
        data = validated(s.MessageRequestSerializer(data=request.data))
        if data["type"] in s.CLAIM_MESSAGE_TYPES:
            raise ApiError(
                _("Return-related message types are only for claims; this is a dispute."),
                code="VALIDATION_ERROR",
                details="invalid_choice",
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
        body = mapping.chat_message(message, discussion=discussion, request=request)
        return Response(body, status=status.HTTP_201_CREATED)


class IssueStatusView(IssuesView):
    """API-06: the marketplace's operation for claims is there, so that a client calling
    it learns why it does not apply instead of meeting an unknown path."""

    @extend_schema(
        operation_id="changeStatusOfIssueUsingPOST",
        summary="Change status of a claim (claims only: every issue here is a dispute)",
        description=(
            "The marketplace changes the formal status of a claim with this operation and says it is not "
            "valid for disputes. All our issues are disputes (type DISPUTE), so an issue of the seller "
            "account gets 400 `NOT_A_CLAIM` (the body is not read); any other id 404."
        ),
        parameters=[s.ISSUE_ID, s.LANGUAGE],
        request=s.ClaimStatusChangeRequestSerializer,
        responses={
            400: s.error_response("The issue is a dispute: only claims have a status to change."),
            401: s.UNAUTHORIZED,
            403: s.FORBIDDEN,
            404: s.NOT_FOUND,
        },
    )
    def post(self, request, issue_id):
        if not discussions_of(self.seller_account).filter(public_id=issue_id).exists():
            raise Http404
        raise ApiError(
            _(
                "Only claims have a status to change, and this issue is a dispute. Answer it with a message, "
                "or ask the buyer to mark it as resolved (type END_REQUEST)."
            ),
            code="NOT_A_CLAIM",
            status_code=status.HTTP_400_BAD_REQUEST,
        )
