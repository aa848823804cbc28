"""The developer guide's examples, kept in one place: the guide page renders them and
tests/api/test_developer_guide.py runs every `curl` example against a live server, so a
published example that stops working fails the tests.

Commands are POSIX shell, exactly as a developer pastes them; the values that differ per
developer come from the shell variables the guide's first step sets (`$BASE_URL`,
`$API_URL`, `$ACCESS_TOKEN`, …). JSON bodies are double-quoted so the variables in them
expand.
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from discussions.models import Reason

from .issue_mapping import SUBJECTS

BETA = "application/vnd.allegro.beta.v1+json"
PUBLIC = "application/vnd.allegro.public.v1+json"

AUTH = '-H "Authorization: Bearer $ACCESS_TOKEN"'


@dataclass(frozen=True)
class ErrorCode:
    """A row of the guide's table of error codes (API-04): what happened, the status,
    the code we write, and the marketplace's code for it ("" when it documents none: then
    ours stands) with where it is documented."""

    situation: str
    status: int
    code: str
    marketplace: str = ""
    source: str = ""


REFERENCE = "allegro-openapi-excerpt.yaml"
FAQ = "developer.allegro.pl FAQ"
ISSUES = "allegro/allegro-api issues"

ERROR_CODES = (
    ErrorCode(_("No access token"), 401, "unauthorized", "unauthorized", f"AuthError, {FAQ}"),
    ErrorCode(_("Unknown, expired or revoked access token"), 401, "invalid_token", "invalid_token", "RFC 6750"),
    ErrorCode(_("The token lacks the operation's scope"), 403, "insufficient_scope", "insufficient_scope", "RFC 6750"),
    ErrorCode(_("The token's user has no seller account"), 403, "AccessDenied", "AccessDenied", ISSUES),
    ErrorCode(_("Not found, or another seller account's"), 404, "NotFoundException", "NotFoundException", ISSUES),
    ErrorCode(
        _("Accept is not the resource's media type"),
        406,
        "NotAcceptableException",
        "NotAcceptableException",
        f"Error, {REFERENCE}",
    ),
    ErrorCode(
        _("Invalid parameter or body field (path names it)"), 422, "VALIDATION_ERROR", "VALIDATION_ERROR", ISSUES
    ),
    ErrorCode(
        _("A rule refuses the request (userMessage says why)"), 422, "VALIDATION_ERROR", "VALIDATION_ERROR", ISSUES
    ),
    ErrorCode(_("The Discussion no longer accepts the seller's messages"), 409, "DISCUSSION_CLOSED"),
    ErrorCode(_("An end request is not possible now"), 409, "END_REQUEST_NOT_ALLOWED"),
    ErrorCode(_("No such attachment declaration"), 422, "ATTACHMENT_NOT_FOUND"),
    ErrorCode(_("The attachment's file has not been uploaded"), 422, "ATTACHMENT_NOT_UPLOADED"),
    ErrorCode(_("The attachment was already sent in a message"), 422, "ATTACHMENT_ALREADY_USED"),
    ErrorCode(_("The file was already uploaded"), 422, "ALREADY_UPLOADED"),
    ErrorCode(_("The file's size differs from the declared size"), 422, "SIZE_MISMATCH"),
    ErrorCode(_("The file is too big"), 413, "PAYLOAD_TOO_LARGE"),
    ErrorCode(_("Content-Type or file type not accepted"), 415, "UNSUPPORTED_MEDIA_TYPE"),
    ErrorCode(_("The body cannot be read (not JSON, too large, too deep)"), 400, "MALFORMED_REQUEST"),
    ErrorCode(_("The method is not allowed on this path"), 405, "METHOD_NOT_ALLOWED"),
    ErrorCode(_("The purchased line is not this seller account's"), 422, "LINE_ITEM_NOT_FOUND"),
    ErrorCode(_("The refund application was already processed"), 422, "ALREADY_PROCESSED"),
    ErrorCode(_("A status change asked of a dispute: only claims have one"), 400, "NOT_A_CLAIM"),
    ErrorCode(_("Too many requests; see Retry-After"), 429, "TOO_MANY_REQUESTS"),
)


@dataclass(frozen=True)
class Difference:
    """An entry of the guide's "Deliberate differences from the marketplace": where our
    answers differ from the marketplace's description (its excerpt) on purpose. The key
    names the entry for the tests that allow exactly that difference (schemathesis with
    the reference, tests/api/test_schemathesis.py)."""

    key: str
    text: str


DELIBERATE_DIFFERENCES = {
    difference.key: difference
    for difference in (
        Difference(
            "disputes",
            _(
                "The former /sale/disputes and /sale/dispute-attachments resources answer 404 NotFoundException "
                "to every method, also where the marketplace's description declares no 404: the marketplace "
                "replaced them by /sale/issues."
            ),
        ),
        Difference(
            "upload_not_found",
            _(
                "An upload (PUT) to an attachment address that does not exist or belongs to another seller account "
                "gets 404 NotFoundException, as any resource that is not there; the marketplace declares no 404 "
                "for the upload."
            ),
        ),
        Difference(
            "malformed_body",
            _(
                "A body that cannot be read (not JSON, too large, too deep) gets 400 MALFORMED_REQUEST on every "
                "operation, declaring an attachment too, where the marketplace declares only 422."
            ),
        ),
        Difference(
            "invalid_parameter",
            _(
                "An invalid query parameter (limit, offset, a filter's value) gets 422 VALIDATION_ERROR with its "
                "name in path on every operation, reading the chat too, where the marketplace declares 422 only "
                "for some."
            ),
        ),
        Difference(
            "not_a_claim",
            _(
                "POST /sale/issues/{id}/status answers 400 NOT_A_CLAIM: our Discussions are disputes, and only "
                "claims have a status to change."
            ),
        ),
        Difference(
            "webp",
            _("Uploads accept image/webp as well; GIF, BMP and TIFF are stored and served as PNG."),
        ),
        Difference(
            "statuses",
            _(
                "Statuses that the marketplace's description does not declare for every operation: 403 (scope or "
                "seller account missing), 405, 406 (Accept is not the resource's media type), 413 (a file too "
                "big), 415 (a Content-Type not accepted), 429 (with Retry-After). Our OpenAPI description "
                "declares them."
            ),
        ),
        Difference(
            "extensions",
            _(
                "Our objects carry fields the marketplace's do not (marked x-extension); its schemas allow "
                "additional fields, so generated clients read them or leave them aside."
            ),
        ),
    )
}


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    lines: tuple

    @property
    def command(self):
        """As shown: one option per line, with shell line continuations."""
        return " \\\n  ".join(self.lines)


EXAMPLES = {
    example.key: example
    for example in (
        Example(
            "token",
            _("Exchange the code for tokens"),
            (
                'curl -X POST "$BASE_URL/auth/oauth/token"',
                '-u "$CLIENT_ID:$CLIENT_SECRET"',
                "--data-urlencode grant_type=authorization_code",
                '--data-urlencode "code=$CODE"',
                '--data-urlencode "redirect_uri=$REDIRECT_URI"',
                '--data-urlencode "code_verifier=$CODE_VERIFIER"',
            ),
        ),
        Example(
            "refresh",
            _("Refresh the access token"),
            (
                'curl -X POST "$BASE_URL/auth/oauth/token"',
                '-u "$CLIENT_ID:$CLIENT_SECRET"',
                "--data-urlencode grant_type=refresh_token",
                '--data-urlencode "refresh_token=$REFRESH_TOKEN"',
            ),
        ),
        Example(
            "device",
            _("Ask for a device code"),
            (
                'curl -X POST "$BASE_URL/auth/oauth/device"',
                '-u "$CLIENT_ID:$CLIENT_SECRET"',
                '--data-urlencode "client_id=$CLIENT_ID"',
            ),
        ),
        Example(
            "device_token",
            _("Poll for the tokens"),
            (
                'curl -X POST "$BASE_URL/auth/oauth/token?grant_type=urn:ietf:params:oauth:grant-type:device_code'
                '&device_code=$DEVICE_CODE"',
                '-u "$CLIENT_ID:$CLIENT_SECRET"',
            ),
        ),
        Example(
            "issues",
            _("List your Discussions"),
            (
                'curl "$API_URL/sale/issues?limit=10"',
                AUTH,
                f'-H "Accept: {BETA}"',
            ),
        ),
        Example(
            "declare",
            _("Declare the attachment"),
            (
                'curl -i -X POST "$API_URL/sale/issues/attachments"',
                AUTH,
                f'-H "Accept: {BETA}"',
                f'-H "Content-Type: {BETA}"',
                '-d "{\\"fileName\\": \\"$FILE_NAME\\", \\"size\\": $FILE_SIZE}"',
            ),
        ),
        Example(
            "upload",
            _("Upload the file to the Location address"),
            (
                'curl -X PUT "$UPLOAD_URL"',
                AUTH,
                f'-H "Accept: {BETA}"',
                '-H "Content-Type: image/jpeg"',
                '--data-binary "@$FILE_NAME"',
            ),
        ),
        Example(
            "message",
            _("Reply with the attachment"),
            (
                'curl -X POST "$API_URL/sale/issues/$ISSUE_ID/message"',
                AUTH,
                f'-H "Accept: {BETA}"',
                f'-H "Content-Type: {BETA}"',
                '-d "{\\"text\\": \\"Dzień dobry, w załączniku zdjęcie nadania paczki.\\", '
                '\\"type\\": \\"REGULAR\\", \\"attachments\\": [{\\"id\\": \\"$ATTACHMENT_ID\\"}]}"',
            ),
        ),
        Example(
            "refund_claim",
            _("Apply for a commission refund"),
            (
                'curl -X POST "$API_URL/order/refund-claims"',
                AUTH,
                f'-H "Accept: {PUBLIC}"',
                f'-H "Content-Type: {PUBLIC}"',
                '-d "{\\"lineItem\\": {\\"id\\": \\"$LINE_ITEM_ID\\"}, \\"quantity\\": 1}"',
            ),
        ),
    )
}

# Not curl: the shell lines that set the variables, and the address the seller opens.
VARIABLES_SETUP = (
    "BASE_URL={base_url}\n"
    'API_URL="$BASE_URL/{api_path}"\n'
    "CLIENT_ID=your-client-id\n"
    "CLIENT_SECRET=your-client-secret\n"
    "REDIRECT_URI=https://example.com/callback"
)
PKCE_SETUP = (
    "CODE_VERIFIER=$(openssl rand -base64 60 | tr -d '\\n=+/' | cut -c1-64)\n"
    "CODE_CHALLENGE=$(printf '%s' \"$CODE_VERIFIER\" | openssl dgst -sha256 -binary | openssl base64 -A"
    " | tr '+/' '-_' | tr -d '=')\n"
    "STATE=$(openssl rand -hex 16)"
)
AUTHORIZE_URL = (
    "$BASE_URL/auth/oauth/authorize?response_type=code&client_id=$CLIENT_ID"
    "&redirect_uri=$REDIRECT_URI&code_challenge=$CODE_CHALLENGE&code_challenge_method=S256"
    "&scope=allegro:api:disputes%20allegro:api:orders:read%20allegro:api:orders:write&state=$STATE"
)
FILE_SETUP = 'FILE_NAME=parcel.jpg\nFILE_SIZE=$(wc -c < "$FILE_NAME")'


def variables_setup(base_url, api_path):
    """The first step: where the server is, and the application's credentials."""
    return VARIABLES_SETUP.format(base_url=base_url, api_path=api_path)


def subjects():
    """[(reason code, its label, the issue's `subject` in English)] for the guide's table
    (API-03: the marketplace's API documents these English texts)."""
    with translation.override("en"):
        english = {reason: str(text) for reason, text in SUBJECTS.items()}
    return [(reason.value, reason.label, english[reason]) for reason in Reason]
