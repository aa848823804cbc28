"""Errors, language and access of the seller API (API-01). Kept apart from `api.base`
because DRF imports these classes from its settings while it is loading
`rest_framework.views`."""

import uuid
from datetime import UTC

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import TokenHasScope
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.errors import DomainError

from .parsers import too_large

# --- Errors -------------------------------------------------------------------------


class ApiError(exceptions.APIException):
    """An error with the public API's fields. `user_message` is shown to people."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self, user_message, *, code="VALIDATION_ERROR", status_code=None, path=None, details=None):
        super().__init__(detail=str(user_message), code=code)
        if status_code:
            self.status_code = status_code
        self.code_name = code
        self.user_message = str(user_message)
        self.path = path
        self.details = details


def error_body(code, message, *, user_message=None, path=None, details=None):
    return {
        "code": code,
        "message": str(message),
        "details": details,
        "path": path,
        "userMessage": str(user_message if user_message is not None else message),
    }


def from_domain_error(error, *, status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, path=None):
    """A service's DomainError as an ApiError (its message is already translated)."""
    code = (error.code or "VALIDATION_ERROR").upper()
    return ApiError(error.message, code=code, status_code=status_code, path=path or error.field)


# The marketplace's codes where it has one (API-04; the table in the API guide,
# api.guide.ERROR_CODES, says where each comes from); ours where it has none.
_CODES = {
    exceptions.PermissionDenied: "AccessDenied",
    exceptions.NotFound: "NotFoundException",
    exceptions.NotAcceptable: "NotAcceptableException",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.ParseError: "MALFORMED_REQUEST",
    exceptions.Throttled: "TOO_MANY_REQUESTS",
}

# The authorization layer answers as the marketplace's auth server does (API-04):
# `{"error", "error_description"}` (RFC 6750 codes; `unauthorized` with the
# marketplace's text when no token was sent) and a Bearer challenge naming the error.
MISSING_TOKEN = "Full authentication is required to access this resource"
INVALID_TOKEN = "The access token is invalid, expired or revoked"
INSUFFICIENT_SCOPE = "The access token does not have the scope this operation requires"


def _sent_credentials(request):
    return "HTTP_AUTHORIZATION" in request.META or "access_token" in request.GET


def _auth_error(exc, request):
    """(error, description, challenge) of a refusal by the authorization layer, or None."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        if request is None or not _sent_credentials(request):
            # RFC 6750 §3.1: no error code in the challenge when no credentials came.
            return "unauthorized", MISSING_TOKEN, {}
        return "invalid_token", INVALID_TOKEN, {"error": "invalid_token", "error_description": INVALID_TOKEN}
    denial = getattr(request, "api_denial", None)
    if isinstance(exc, exceptions.PermissionDenied) and denial and denial[0] == "insufficient_scope":
        challenge = {"error": "insufficient_scope", "error_description": INSUFFICIENT_SCOPE, "scope": denial[1]}
        return "insufficient_scope", INSUFFICIENT_SCOPE, challenge


def bearer_challenge(challenge):
    """`WWW-Authenticate: Bearer realm="api", …` (RFC 6750 §3)."""
    return build_bearer_challenge(None, oauth2_error=challenge, realm="api", resource_metadata_url=None)


def _user_message(exc, request):
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return _("Sign in again: the access token is missing, expired or revoked.")
    if isinstance(exc, exceptions.PermissionDenied):
        return _("The account that authorized this application is not a seller account.")
    if isinstance(exc, exceptions.NotFound):
        return _("Not found, or it does not belong to this seller account.")
    if isinstance(exc, exceptions.NotAcceptable):
        return _("Ask for the media type this resource is served in (see the Accept header in the documentation).")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _("This content type is not accepted here.")
    if isinstance(exc, exceptions.Throttled):
        seconds = {"seconds": max(int(exc.wait + 0.999), 1) if exc.wait is not None else 1}
        # The throttle notes which limit it was (api.throttling).
        if getattr(request, "rate_limit_scope", None) == "address":
            return _("Too many requests from this address; try again in %(seconds)s s.") % seconds
        return _("Too many requests for this account; try again in %(seconds)s s.") % seconds
    if isinstance(exc, exceptions.ParseError):
        # A body refused before it was parsed (api.parsers) says why.
        return getattr(exc, "user_message", None) or _("The request body is not valid JSON.")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _("This method is not allowed here.")
    return str(exc.detail)


def _validation_errors(detail, prefix=""):
    """DRF's nested ValidationError detail → flat errors with dotted paths."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            yield from _validation_errors(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _validation_errors(value, f"{prefix}[{index}]")
            else:
                yield from _validation_errors(value, prefix)
    else:
        # The marketplace's code; which rule (DRF's code: required, invalid_choice, …) in details.
        code = getattr(detail, "code", "invalid") or "invalid"
        yield error_body("VALIDATION_ERROR", detail, path=prefix or None, details=str(code))


def exception_handler(exc, context):
    """Every error in the public API's `{"errors": [...]}` shape; the authorization
    layer's 401 and 403 (scope) in its auth server's `{"error", "error_description"}`."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DomainError):
        exc = from_domain_error(exc)
    if isinstance(exc, RequestDataTooBig):
        exc = too_large()  # Django's bound on a body read in memory (SAFE-09)
    if not isinstance(exc, exceptions.APIException):
        return None  # a 500: logged by Django, never hidden
    request = context.get("request")
    auth_error = _auth_error(exc, request)
    if auth_error is not None:
        error, description, challenge = auth_error
        return Response(
            {"error": error, "error_description": description},
            status=exc.status_code,
            headers={"WWW-Authenticate": bearer_challenge(challenge)},
        )
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(int(exc.wait + 0.999), 1))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, ApiError):
        errors = [error_body(exc.code_name, exc.user_message, path=exc.path, details=exc.details)]
    elif isinstance(exc, exceptions.ValidationError):
        errors = list(_validation_errors(exc.detail)) or [error_body("VALIDATION_ERROR", _("Invalid request."))]
    else:
        code = next((name for cls, name in _CODES.items() if isinstance(exc, cls)), "ERROR")
        errors = [error_body(code, exc.detail, user_message=_user_message(exc, request))]
    return Response({"errors": errors}, status=exc.status_code, headers=headers)


# --- Language -----------------------------------------------------------------------


def requested_language(request):
    """The first language of `Accept-Language` we speak (pl-PL → pl); else the default."""
    available = {code for code, _name in settings.LANGUAGES}
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if not tag:
            continue
        if tag in available:
            return tag
        base = tag.split("-")[0]
        if base in available:
            return base
    return settings.LANGUAGE_CODE


# --- Access -------------------------------------------------------------------------


class SellerTokenHasScope(TokenHasScope):
    """The token has the endpoint's scope and its user is a seller account."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            token = request.auth
            scopes = self.get_scopes(request, view)
            if token is not None and not token.is_expired() and not token.allow_scopes(scopes):
                request.api_denial = ("insufficient_scope", " ".join(scopes))
            return False
        if seller_account_of(request) is None:
            request.api_denial = ("not_seller", None)
            return False
        return True


def seller_account_of(request):
    user = getattr(request.auth, "user", None)
    if user is None or not user.is_active:
        return None
    try:
        return user.seller_account
    except user.__class__.seller_account.RelatedObjectDoesNotExist:
        return None


# --- Parameters and values ----------------------------------------------------------


def int_param(request, name, *, default, minimum, maximum=None):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
        raise ApiError(
            _("“%(name)s” must be a whole number %(bounds)s.") % {"name": name, "bounds": bounds},
            code="VALIDATION_ERROR",
            path=name,
        )
    return value


def uuid_param(request, name):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiError(_("“%(name)s” must be a UUID.") % {"name": name}, path=name) from None


def api_time(value):
    """Instants as the public API writes them: UTC, milliseconds, `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
