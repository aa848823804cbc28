"""The market and the language of a request (SPEC §0, I18N-01).

The market is the one the user switched to (a cookie), else the one of the host name,
else DEFAULT_MARKET (`core.markets.market_code_for_request`). The language is the one
the user chose (the switch in the header, kept in the language cookie), else the one
they chose before, on another device (their profile, put in the session at sign-in),
else the market's language. Django's LocaleMiddleware would follow the browser's
Accept-Language instead; the product speaks the market's language whatever the browser
says.

The security headers of every response (SAFE-10) are set here too.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from .markets import MARKET_LANGUAGES, SESSION_LANGUAGE_KEY, load_market, market_code_for_request


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        code = market_code_for_request(request)
        request.market_code = code
        # Fetched only by the views that show it.
        request.market = SimpleLazyObject(lambda: load_market(code))
        available = dict(settings.LANGUAGES)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in available:
            language = request.session.get(SESSION_LANGUAGE_KEY, "") if hasattr(request, "session") else ""
        if language not in available:
            language = MARKET_LANGUAGES.get(code, settings.LANGUAGE_CODE)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# Powerful browser features the desk never uses, refused to every page and any frame in it.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    """SAFE-10: a Permissions-Policy on every response, and `Cache-Control: private,
    no-store` on what a signed-in user is shown (their orders, Discussions and messages
    stay out of shared caches and off the disk; Back after signing out does not show them).
    A response that says how it may be cached keeps its own header (attachments are
    private for an hour; Django's never_cache pages already say no-store). Server errors
    are not stored either, and are answered without asking who the user is: the
    database may be what failed (SAFE-11)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if "Cache-Control" not in response.headers and (response.status_code >= 500 or _is_signed_in(request)):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _is_signed_in(request):
    # The session, not request.user: a DRF view (the API's reference pages) replaces
    # request.user with the result of its own, token, authentication.
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session
