"""Language selection: Polish unless the user chose another language (I18N-01).

Django's LocaleMiddleware would follow the browser's Accept-Language; the product is
Polish by default whatever the browser says, and a user's explicit choice (the switch
in the header, kept in the language cookie) wins.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
