"""Error pages that must render whatever state the request is in (SAFE-11).

403, 404 and the CSRF failure page are Django's own views rendering the site's templates
with the request (the header as the user knows it). A 500 may come from the database
itself, and a 400 from a request that failed before the middleware ran, so those two
are rendered bare: the site's layout as an anonymous visitor sees it, in the request's
language, from values that need neither the database nor the session.
"""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import translation
from django.views import defaults

from .chrome import Chrome
from .markets import MARKET_DOMAINS, MARKET_LANGUAGES, market_code_for_request


def server_error(request):
    """handler500."""
    return HttpResponseServerError(render_bare(request, "500.html"))


def bad_request(request, exception):
    """handler400."""
    if hasattr(request, "LANGUAGE_CODE"):  # the language middleware (core.middleware) ran
        return defaults.bad_request(request, exception)
    return HttpResponseBadRequest(render_bare(request, "400.html"))


def render_bare(request, template_name):
    """`template_name` rendered without context processors: no user or session lookup, no
    header query."""
    market_code = getattr(request, "market_code", None) or _market_code(request)
    language = _language(request, market_code)
    chrome = Chrome(
        is_authenticated=False, is_seller=False, is_staff=False, market_code=market_code, market_domains=MARKET_DOMAINS
    )
    context = {"request": request, "chrome": chrome, "LANGUAGE_CODE": language, "csrf_token": get_token(request)}
    with translation.override(language):
        return get_template(template_name).render(context)


def _market_code(request):
    try:
        return market_code_for_request(request)
    except DisallowedHost:
        return settings.DEFAULT_MARKET


def _language(request, market_code):
    """The language core.middleware chose for the request; if the request failed before it
    ran, the language cookie's, else the market's (the session is not read)."""
    available = dict(settings.LANGUAGES)
    for language in (
        getattr(request, "LANGUAGE_CODE", None),
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        MARKET_LANGUAGES.get(market_code),
    ):
        if language in available:
            return language
    return settings.LANGUAGE_CODE
