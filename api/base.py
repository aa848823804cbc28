"""What every endpoint of the seller API shares (API-01).

- Media types as the marketplace's public API: `application/vnd.allegro.beta.v1+json`
  for post-purchase issues, `application/vnd.allegro.public.v1+json` for refund claims;
  any other `Accept` gets 406.
- OAuth2 bearer tokens (django-oauth-toolkit); each endpoint names its scope. A token
  belongs to one seller account (its user is the account's sign-in) and sees only it.
- `Accept-Language` picks the language of texts and of `userMessage` in errors.
- Errors in the public API's shape: `{"errors": [{code, message, details, path,
  userMessage}]}`.
- JSON bodies read within a size and a depth bound (api.parsers, SAFE-09).
- Rate limit per seller account, whichever of its tokens a request carries, and per
  client address for requests without a valid token (api.throttling, SAFE-13; 429 with
  `Retry-After`).
"""

import orjson
from django.utils import translation
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from .auth import SellerTokenAuthentication
from .parsers import BoundedJSONParser
from .policy import (  # noqa: F401 (re-exported for the endpoint modules)
    ApiError,
    api_time,
    error_body,
    from_domain_error,
    int_param,
    requested_language,
    seller_account_of,
    uuid_param,
)

BETA = "application/vnd.allegro.beta.v1+json"
PUBLIC = "application/vnd.allegro.public.v1+json"

SCOPE_DISPUTES = "allegro:api:disputes"
SCOPE_ORDERS_READ = "allegro:api:orders:read"
SCOPE_ORDERS_WRITE = "allegro:api:orders:write"


class RenderedJSON:
    """A body already rendered as JSON bytes (the issue list assembles cached issues)."""

    def __init__(self, content):
        self.content = content


# What orjson does not write itself (Decimal, lazy texts) — and datetimes, so that they
# keep DRF's format — goes through DRF's encoder, as JSONRenderer would.
_DRF_DEFAULT = JSONEncoder().default
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def render_json(data):
    """`data` as the bytes DRF's JSONRenderer writes (compact, UTF-8, U+2028 and U+2029
    escaped so the JSON is also JavaScript), about 20 times faster: written by orjson."""
    content = orjson.dumps(data, default=_DRF_DEFAULT, option=_ORJSON_OPTIONS)
    if b"\xe2\x80\xa8" in content or b"\xe2\x80\xa9" in content:
        content = content.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return content


class FastJSONRenderer(JSONRenderer):
    """JSONRenderer written by `render_json`; a body already rendered (RenderedJSON) is
    sent as it is. An `indent` asked for in the Accept header is honoured by DRF's own
    encoder."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, RenderedJSON):
            return data.content
        if data is None or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        return render_json(data)


class BetaRenderer(FastJSONRenderer):
    media_type = BETA
    format = "beta"


class PublicRenderer(FastJSONRenderer):
    media_type = PUBLIC
    format = "public"


class BetaParser(BoundedJSONParser):
    media_type = BETA


class PublicParser(BoundedJSONParser):
    media_type = PUBLIC


# --- Views --------------------------------------------------------------------------


class ApiView(APIView):
    """Base of every endpoint: `required_scopes` names the scope; subclasses choose the
    media type with `renderer_classes`/`parser_classes` (BETA or PUBLIC)."""

    authentication_classes = [SellerTokenAuthentication]
    required_scopes = ()

    def initial(self, request, *args, **kwargs):
        translation.activate(requested_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        super().initial(request, *args, **kwargs)
        self.seller_account = seller_account_of(request)

    def check_permissions(self, request):
        # The rate limit first (SAFE-13): DRF checks it after the permissions, so a
        # request without a valid token ended in a 401 before it was counted.
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        """Done by check_permissions, before the permissions."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = translation.get_language()
        return response


class IssuesView(ApiView):
    renderer_classes = [BetaRenderer]
    parser_classes = [BetaParser, BoundedJSONParser]
    required_scopes = [SCOPE_DISPUTES]


class RefundClaimsView(ApiView):
    renderer_classes = [PublicRenderer]
    parser_classes = [PublicParser, BoundedJSONParser]
