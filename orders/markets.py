"""The four markets of SPEC §0. Created by a data migration and re-ensured after every
`migrate`/flush (post_migrate), so a database is never without them."""

MARKETS = [
    # code, domain, currency, time zone, holiday country, language
    ("PL", "allegro.pl", "PLN", "Europe/Warsaw", "PL", "pl"),
    ("CZ", "allegro.cz", "CZK", "Europe/Prague", "CZ", "cs"),
    ("SK", "allegro.sk", "EUR", "Europe/Bratislava", "SK", "sk"),
    ("HU", "allegro.hu", "HUF", "Europe/Budapest", "HU", "hu"),
]


def ensure_markets(sender=None, using="default", apps=None, **kwargs):
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    try:
        Market = apps.get_model("orders", "Market")
    except LookupError:
        return
    for code, domain, currency, tz, country, language in MARKETS:
        Market.objects.using(using).get_or_create(
            code=code,
            defaults={
                "domain": domain,
                "currency": currency,
                "time_zone": tz,
                "holiday_country": country,
                "language": language,
            },
        )


# --- The market a request is on --------------------------------------------------------
# Resolved without a query: the four markets are reference data defined above.

MARKET_LANGUAGES = {row[0]: row[5] for row in MARKETS}
MARKET_DOMAINS = {row[0]: row[1] for row in MARKETS}


def market_for_host(host):
    """The market code a host name belongs to (its domain, www.domain, a MARKET_HOSTS
    entry), or None. `host` may carry a port."""
    from django.conf import settings

    name = (host or "").lower().rsplit(":", 1)[0] if not (host or "").startswith("[") else ""
    name = name.removeprefix("www.")
    configured = {key.lower(): value.upper() for key, value in settings.MARKET_HOSTS.items()}
    if name in configured and configured[name] in MARKET_LANGUAGES:
        return configured[name]
    for code, domain in MARKET_DOMAINS.items():
        if name == domain:
            return code
    return None


def market_code_for_request(request):
    """The market switch (cookie) > the host name > DEFAULT_MARKET."""
    from django.conf import settings

    chosen = request.COOKIES.get(settings.MARKET_COOKIE_NAME, "").upper()
    if chosen in MARKET_LANGUAGES:
        return chosen
    return market_for_host(request.get_host()) or settings.DEFAULT_MARKET


def site_url(market_code):
    """The market's site address for links in mail (MARKET_SITE_URLS, else SITE_URL)."""
    from django.conf import settings

    return settings.MARKET_SITE_URLS.get(market_code, settings.SITE_URL).rstrip("/")


# The session key holding the language a signed-in user chose earlier (their profile),
# read by the language middleware without a query on each request.
SESSION_LANGUAGE_KEY = "profile_language"


def remember_profile_language(sender, request, user, **kwargs):
    """At sign-in, the user's remembered language (their last explicit choice) becomes the
    session's, so a Czech buyer signing in on any market reads Czech (I18N-01)."""
    from .models import Profile

    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if language and request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = language
