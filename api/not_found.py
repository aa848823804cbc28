"""API-06: every path under the API base that no endpoint serves — a mistyped path, an
operation of the marketplace's API we do not offer (its `/sale/disputes*` resources,
which it replaced by `/sale/issues`), or an identifier that is not a UUID where the
path wants one — answers 404 in the API's error shape, whatever the method, never
Django's HTML page. A known path with a method it does not offer is DRF's 405, also in
the error shape (api.policy.exception_handler).

The request is authenticated and counted against the rate limits like any other
(SAFE-13: an unknown path is no way around them), but needs no scope: the answer says
only that nothing is there.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from .base import ApiError, ApiView, BetaRenderer, PublicRenderer


class JsonWhateverAccepted(DefaultContentNegotiation):
    """The error in the media type the client asked for when it is one of ours, else in
    the issues' media type: a client that asked for something else still gets the
    reason of the 404, not a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Exception:  # NotAcceptable
            return renderers[0], renderers[0].media_type


class UnreadBody(BaseParser):
    """Any body, left unread: nothing is there to receive it (and a body of a type no
    parser takes would otherwise be a 415 before the 404)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


def _not_found(path):
    if path.startswith("sale/disputes") or path.startswith("sale/dispute-attachments"):
        message = _(
            "The /sale/disputes resources are no longer offered (the marketplace replaced them): use "
            "/sale/issues, /sale/issues/{id}/chat, /sale/issues/{id}/message and /sale/issues/attachments."
        )
    else:
        message = _("There is no such resource in this API. Check the path and the identifiers in it (UUIDs).")
    return ApiError(message, code="NotFoundException", status_code=status.HTTP_404_NOT_FOUND)


@extend_schema(exclude=True)
class UnknownPathView(ApiView):
    renderer_classes = [BetaRenderer, PublicRenderer, JSONRenderer]
    content_negotiation_class = JsonWhateverAccepted
    parser_classes = [UnreadBody]
    permission_classes = []
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options", "trace"]

    def handle(self, request, *args, **kwargs):
        raise _not_found(request.path.removeprefix(f"/{settings.API_BASE_PATH}/"))

    get = post = put = patch = delete = head = options = trace = handle
