"""The OAuth2 authorization server (django-oauth-toolkit) as the marketplace's
integrations use it (API-01, API-05).

- The consent page of the authorization-code flow: the signed-in seller sees which
  application asks for which scopes, for which seller account. A token belongs to the
  seller account whose user signs in, so only users with a seller account may authorize;
  anyone else gets a page that says so (and no grant).
- PKCE (RFC 7636) is required of public clients and optional for confidential ones,
  which prove themselves with their secret (API-05, as the marketplace documents);
  a confidential client that sends a code_challenge must send its verifier.
- The token endpoint also reads its parameters from the query string, as the
  marketplace's own examples send them (`POST /auth/oauth/token?grant_type=…` with
  Basic auth); a parameter given both there and in the body is refused (RFC 6749 §3.1).
- The device authorization flow (RFC 8628): `POST /auth/oauth/device` gives the device
  its codes; the seller confirms the user code on /skojarz-aplikacje (api.device); the
  device polls the token endpoint, answered authorization_pending, slow_down,
  access_denied or expired_token until the seller decides.
"""

from datetime import timedelta

from django import http
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as oauth_views
from oauth2_provider.models import Application, get_device_grant_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauthlib import common
from oauthlib.oauth2.rfc6749 import errors as oauth_errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from orders.models import SellerAccount

# As the marketplace: a device code lives an hour; the device polls every 5 s.
DEVICE_CODE_SECONDS = 3600


def seller_account_of_user(user):
    """The user's seller account, or None."""
    return SellerAccount.objects.select_related("user").filter(user=user).first()


class AuthorizeView(AuthorizationView):
    template_name = "oauth2_provider/authorize.html"

    def dispatch(self, request, *args, **kwargs):
        self.seller_account = None
        if request.user.is_authenticated:
            self.seller_account = seller_account_of_user(request.user)
            if self.seller_account is None:
                # Before DOT reads the request: nothing is validated, nothing granted.
                return render(request, self.template_name, {"not_seller": True}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["seller_account"] = self.seller_account
        scopes = kwargs.get("scopes", ())
        context["requested_scopes"] = list(zip(scopes, kwargs.get("scopes_descriptions", ()), strict=True))
        return context


# --- PKCE -------------------------------------------------------------------------------


def pkce_required(client_id):
    """OAUTH2_PROVIDER's PKCE_REQUIRED: required unless the client is a registered
    confidential one (an unknown client is refused anyway)."""
    client_type = Application.objects.filter(client_id=client_id).values_list("client_type", flat=True).first()
    return client_type != Application.CLIENT_CONFIDENTIAL


# --- Parameters in the query string -------------------------------------------------------


class DuplicateParameter(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


def endpoint_params(request):
    """The form parameters of a request to the token or device endpoint: the body's and
    the query string's. A name in both is refused (RFC 6749 §3.1: sent once)."""
    body = get_oauthlib_core().extract_body(request)
    query = [(key, value) for key, values in request.GET.lists() for value in values]
    in_body = {key for key, _value in body}
    for key, _value in query:
        if key in in_body:
            raise DuplicateParameter(key)
    return body + query


def oauth_error(error, description, status=400):
    response = http.JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(oauth_views.TokenView):
    """The toolkit's token endpoint, with the query string's parameters read as the
    body's; every grant — the device code's too — is decided by oauthlib with our
    validator (SellerOAuth2Validator)."""

    def post(self, request, *args, **kwargs):
        try:
            request.oauth_params = endpoint_params(request)
        except DuplicateParameter as duplicate:
            return oauth_error("invalid_request", f"Duplicate {duplicate.name} parameter.")
        return self.authorization_flow_token_response(request)


# --- Device authorization (RFC 8628) ------------------------------------------------------


def user_code_key(raw):
    """A user code as stored: what the seller typed, without spaces or dashes, upper case."""
    return "".join(char for char in (raw or "") if char.isalnum()).upper()


def shown_user_code(code):
    """ABCD-EFGH: easier to read off a device and to type."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


@method_decorator(csrf_exempt, name="dispatch")
class DeviceAuthorizationView(View):
    """POST /auth/oauth/device (RFC 8628 §3.1–3.2), as the marketplace's: client_id
    (and the client's authentication, Basic for a confidential client) → device_code,
    user_code, verification_uri, verification_uri_complete, expires_in, interval. The
    application must be registered for the device flow. A browser opening the address
    is sent to the page where the code is entered."""

    def get(self, request):
        return redirect("api_pages:device")

    def post(self, request):
        try:
            params = endpoint_params(request)
        except DuplicateParameter as duplicate:
            return oauth_error("invalid_request", f"Duplicate {duplicate.name} parameter.")
        core = get_oauthlib_core()
        headers = core.extract_headers(request)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        oauth_request = common.Request(
            request.build_absolute_uri(request.path), "POST", common.urlencode(params), headers
        )
        try:
            DeviceCodeGrant(core.server.request_validator).validate_device_authorization_request(oauth_request)
            application = oauth_request.client
            if not application.allows_grant_type(Application.GRANT_DEVICE_CODE):
                raise oauth_errors.UnauthorizedClientError(
                    description="The application is not registered for the device flow.", request=oauth_request
                )
        except oauth_errors.OAuth2Error as error:
            response = http.HttpResponse(error.json, status=error.status_code, content_type="application/json")
            for name, value in error.headers.items():
                response[name] = value
            return response
        user_code = user_code_key(oauth2_settings.OAUTH_DEVICE_USER_CODE_GENERATOR())
        device_code = common.generate_token()
        interval = oauth2_settings.DEVICE_FLOW_INTERVAL
        now = timezone.now()
        grant = get_device_grant_model().objects.create(
            client_id=application.client_id,
            device_code=device_code,
            user_code=user_code,
            scope=" ".join(oauth_request.scopes),
            interval=interval,
            expires=now + timedelta(seconds=DEVICE_CODE_SECONDS),
        )
        # The device may poll at once; the interval counts between its polls.
        type(grant).objects.filter(pk=grant.pk).update(last_checked=now - timedelta(seconds=interval))
        verification_uri = request.build_absolute_uri(reverse("api_pages:device"))
        response = http.JsonResponse(
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": verification_uri,
                "verification_uri_complete": f"{verification_uri}?code={user_code}",
                "expires_in": DEVICE_CODE_SECONDS,
                "interval": interval,
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class SellerOAuth2Validator(OAuth2Validator):
    """The toolkit's validator (OAUTH2_PROVIDER's OAUTH2_VALIDATOR_CLASS) with the
    device code's state for the token endpoint (RFC 8628 §3.5)."""

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        """DeviceCodeGrant's status of a polled device code (None: unknown, or another
        client's). Polling again before the interval has passed is slow_down, and the
        interval grows by 5 s; an authorized code gives its tokens once."""
        model = get_device_grant_model()
        grant = model.objects.filter(device_code=code).first()
        if grant is None or request.client is None or grant.client_id != request.client.client_id:
            return None
        now = timezone.now()
        rows = model.objects.filter(pk=grant.pk)
        if grant.status == model.DENIED:
            return DeviceCodeGrant.DEVICE_CODE_DENIED
        if grant.status == model.EXPIRED or now >= grant.expires:
            rows.update(status=model.EXPIRED)
            return DeviceCodeGrant.DEVICE_CODE_EXPIRED
        if grant.status == model.AUTHORIZATION_PENDING:
            if now < grant.last_checked + timedelta(seconds=grant.interval):
                rows.update(last_checked=now, interval=grant.interval + 5)
                return DeviceCodeGrant.DEVICE_CODE_SLOW_DOWN
            rows.update(last_checked=now)
            return DeviceCodeGrant.DEVICE_CODE_PENDING
        if grant.status != model.AUTHORIZED or grant.user_id is None:
            return None
        # Used once: of two polls at the same moment, one gets the tokens.
        if not rows.filter(status=model.AUTHORIZED).delete()[0]:
            return None
        request.user = grant.user
        request.scopes = grant.scope.split()
        return DeviceCodeGrant.DEVICE_CODE_AUTHORIZED
