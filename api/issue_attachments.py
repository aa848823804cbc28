"""/sale/issues/attachments (API-01): the seller declares a file (name and size), PUTs
its bytes once to the declaration's address, and sends the declaration's id with a
message (api.issue_messages); the file is checked by content (core.uploads, DSC-11).
GET serves an attachment of the account's Discussions, or an uploaded declaration.
Anything of another seller account is a 404 (SEC-01).
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from core.errors import DomainError
from core.uploads import check_upload, file_name_for
from discussions.models import Attachment

from . import issue_serializers as s
from .base import ApiError, IssuesView
from .issue_messages import validated
from .models import AttachmentDeclaration

# DSC-11, API-02: what an attachment may be — every type the marketplace's API lists, and
# WebP as the web pages take it — checked by content (core.uploads). GIF, BMP and TIFF are
# stored and served as PNG (their first frame). image/jpg is a common misspelling of
# image/jpeg; image/x-ms-bmp and image/x-bmp are BMP's older names.
UPLOAD_TYPES = {
    "image/png": "image/png",
    "image/gif": "image/gif",
    "image/bmp": "image/bmp",
    "image/x-ms-bmp": "image/bmp",
    "image/x-bmp": "image/bmp",
    "image/tiff": "image/tiff",
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/webp": "image/webp",
    "application/pdf": "application/pdf",
}
# As the document lists them (the reference's six, then ours).
DOCUMENTED_TYPES = ("image/png", "image/gif", "image/bmp", "image/tiff", "image/jpeg", "application/pdf", "image/webp")


class AttachmentDeclarationView(IssuesView):
    @extend_schema(
        operation_id="createAnIssueAttachmentUsingPOST",
        summary="Declare an attachment",
        description=(
            "Declare a file (name, size in bytes, at most 10 MB). The `Location` header holds the one-time "
            "address to PUT the file to; then send the id with a message."
        ),
        parameters=[
            s.LANGUAGE,
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
            401: s.UNAUTHORIZED,
            403: s.FORBIDDEN,
            422: s.INVALID,
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
        message or _("Attachments can be PNG, GIF, BMP, TIFF, JPEG or WebP images or PDF documents."),
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
            "PUT the file's bytes to the `Location` of its declaration, once. Accepted: image/png, image/gif, "
            "image/bmp, image/tiff, image/jpeg, application/pdf (as the reference lists them) and image/webp, "
            "checked by content (DSC-11, API-02; the Content-Type must be the content's); other types 415. "
            "GIF, BMP and TIFF pictures are converted to PNG: their first frame (an animated GIF's first "
            "image, a multi-page TIFF's first page), without metadata; the attachment is then served as "
            "image/png with a .png name. JPEG and PNG are re-encoded without metadata, PDFs kept as sent. "
            "The body must have the declared size (422) and at most 10 MB (413)."
        ),
        parameters=[s.ATTACHMENT_ID, s.LANGUAGE],
        request=dict.fromkeys(DOCUMENTED_TYPES, OpenApiTypes.BINARY),
        responses={
            200: OpenApiResponse(s.PostPurchaseIssueAttachmentIdSerializer, description="File uploaded correctly."),
            401: s.UNAUTHORIZED,
            403: s.FORBIDDEN,
            404: s.NOT_FOUND,
            413: s.error_response("File is too big."),
            415: s.error_response(
                "Not a PNG, GIF, BMP, TIFF, JPEG, WebP or PDF file (by its Content-Type or its content)."
            ),
            422: s.error_response("Already uploaded, or the body's size differs from the declared size."),
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
            checked = check_upload(ContentFile(data, name=declaration.file_name), max_bytes=limit, convert=True)
        except DomainError as error:
            raise _unsupported(error.message) from None
        if checked.uploaded_type != media_type:
            raise _unsupported(
                _("The file's content is %(actual)s, not %(declared)s as its Content-Type says.")
                % {"actual": checked.uploaded_type, "declared": media_type}
            )
        declaration.file.save(checked.name, checked.content, save=False)  # SAFE-08: the stored type's extension
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
        parameters=[s.ATTACHMENT_ID, s.LANGUAGE],
        responses={(200, "*/*"): OpenApiTypes.BINARY, 401: s.UNAUTHORIZED, 403: s.FORBIDDEN, 404: s.NOT_FOUND},
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
        # SAFE-08: named with the detected type's extension, whatever name was declared.
        response = FileResponse(
            stored.open("rb"), as_attachment=True, filename=file_name_for(name, content_type), content_type=content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _already_uploaded():
    return ApiError(
        _("The file has already been uploaded; the upload address works once. Declare a new attachment."),
        code="ALREADY_UPLOADED",
    )
