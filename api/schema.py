"""What our generated OpenAPI document (drf-spectacular) says beyond what each view
declares (API-04), added by a postprocessing hook (SPECTACULAR_SETTINGS):

- Every status an operation can return. The authorization layer's, the rate limit's
  and content negotiation's are the same for every operation and are declared here:
  401 and 403 in the auth server's `AuthError` shape (403 is also `AccessDenied` in the
  errors shape, for a token whose user has no seller account), 406, 429 with
  Retry-After; 400 and 415 for operations with a body; 404 for operations with a path
  parameter. tests/api/test_api_04_errors.py walks the document and the views.
- The OAuth2 flows: authorization code (PKCE) and the device flow (`x-deviceCode`, as
  the marketplace's description names it), with our scopes.
- Our additions to the marketplace's objects (`allowedActions`, `replyDeadline`,
  `totalCount`, `unmetConditions`, …): every property the reference excerpt does not
  define for the object of the same name is marked `x-extension: true`, its description
  starting "Extension".
"""

from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

REFERENCE = Path(settings.BASE_DIR) / "api" / "reference" / "allegro-openapi-excerpt.yaml"
EXTENSION = "x-extension"
EXTENSION_NOTE = "Extension (not in the marketplace's API)."

AUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "description": "The authorization layer's refusal, as the marketplace's auth server words it (RFC 6750).",
    "properties": {
        "error": {
            "type": "string",
            "description": "unauthorized (no token), invalid_token (unknown, expired or revoked), "
            "insufficient_scope (the token lacks the operation's scope).",
            "example": "invalid_token",
        },
        "error_description": {"type": "string", "example": "The access token is invalid, expired or revoked"},
    },
}
CHALLENGE = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": 'Bearer realm="api" with error and error_description (RFC 6750 §3) when a token was sent.',
    }
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the limit resets."}}


@cache
def reference_properties():
    """Property names of each object of the reference excerpt, by our component's name."""
    spec = yaml.safe_load(REFERENCE.read_text())
    found = {name: set(schema.get("properties") or {}) for name, schema in spec["components"]["schemas"].items()}
    # The refund claims list is an inline object in the reference.
    listing = spec["paths"]["/order/refund-claims"]["get"]["responses"]["200"]["content"]
    found["RefundClaimList"] = set(next(iter(listing.values()))["schema"]["properties"])
    return found


def _media_types(operation):
    for code, response in sorted(operation["responses"].items()):
        if code.startswith("4") and response.get("content"):
            return list(response["content"])
    for response in operation["responses"].values():
        if response.get("content"):
            return [media for media in response["content"] if media.startswith("application/")]
    return []


def _errors_schema(operation):
    """The errors shape the operation's own error responses use."""
    for code, response in sorted(operation["responses"].items()):
        if code.startswith("4") and code not in ("401", "403"):
            for content in (response.get("content") or {}).values():
                return content["schema"]
    return {"$ref": "#/components/schemas/Errors"}


def _response(description, schema, media_types, headers=None):
    response = {"description": description, "content": {media: {"schema": schema} for media in media_types}}
    if headers:
        response["headers"] = headers
    return response


def declare_statuses(path, method, operation):
    media = _media_types(operation) or ["application/json"]
    errors = _errors_schema(operation)
    auth = {"$ref": "#/components/schemas/AuthError"}
    responses = operation["responses"]
    responses["401"] = _response(
        "No token (`unauthorized`), or an unknown, expired or revoked one (`invalid_token`).", auth, media, CHALLENGE
    )
    responses["403"] = _response(
        "The token lacks this operation's scope (`insufficient_scope`, AuthError); or its user has no seller "
        "account (`AccessDenied`, errors).",
        {"oneOf": [auth, errors]},
        media,
        CHALLENGE,
    )
    responses.setdefault(
        "406", _response(f"Accept is not {' or '.join(media)} (`NotAcceptableException`).", errors, media)
    )
    responses.setdefault(
        "429", _response("Too many requests for this seller account (`TOO_MANY_REQUESTS`).", errors, media, RETRY_AFTER)
    )
    if "requestBody" in operation:
        responses.setdefault("400", _response("The body cannot be read (`MALFORMED_REQUEST`).", errors, media))
        responses.setdefault(
            "415", _response("Content-Type not accepted here (`UNSUPPORTED_MEDIA_TYPE`).", errors, media)
        )
    if "{" in path:
        responses.setdefault(
            "404", _response("Not found, or another seller account's (`NotFoundException`).", errors, media)
        )
    operation["responses"] = dict(sorted(responses.items()))


def mark_extensions(schemas):
    known = reference_properties()
    for name, schema in schemas.items():
        if name not in known:
            continue
        for prop, definition in (schema.get("properties") or {}).items():
            if prop in known[name]:
                continue
            if "$ref" in definition:
                definition = schema["properties"][prop] = {"allOf": [{"$ref": definition.pop("$ref")}], **definition}
            definition[EXTENSION] = True
            description = definition.get("description", "")
            definition["description"] = f"{EXTENSION_NOTE} {description}".strip()


def oauth_flows(schemes):
    scopes = {name: str(label) for name, label in settings.API_SCOPES.items()}
    for scheme in schemes.values():
        if scheme.get("type") != "oauth2":
            continue
        scheme["description"] = (
            "Authorization code flow (PKCE required of public clients) or, for programs without a browser, "
            "the device flow (RFC 8628): POST /auth/oauth/device, the seller enters the code on "
            "/skojarz-aplikacje, the program polls /auth/oauth/token."
        )
        scheme["flows"] = {
            "authorizationCode": {
                "authorizationUrl": "/auth/oauth/authorize",
                "tokenUrl": "/auth/oauth/token",
                "refreshUrl": "/auth/oauth/token",
                "scopes": scopes,
            },
            "x-deviceCode": {
                "deviceAuthorizationUrl": "/auth/oauth/device",
                "authorizationUrl": "/skojarz-aplikacje",
                "tokenUrl": "/auth/oauth/token",
                "scopes": scopes,
            },
        }


def postprocess(result, generator, request, public):
    """SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS entry (after the enum hook)."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["AuthError"] = AUTH_ERROR
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                declare_statuses(path, method, operation)
    mark_extensions(components["schemas"])
    oauth_flows(components.get("securitySchemes", {}))
    return result
