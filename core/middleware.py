"""The market and the language of a request (SPEC §0, I18N-01).

The market is the one the user switched to (a cookie), else the one of the host name,
else DEFAULT_MARKET (`core.markets.market_code_for_request`). The language is the one
the user chose (the switch in the header, kept in the language cookie), else the one
they chose before, on another device (their profile, put in the session at sign-in),
else the market's language. Django's LocaleMiddleware would follow the browser's
Accept-Language instead; the product speaks the market's language whatever the browser
says.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
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
