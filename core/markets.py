"""The four markets of SPEC §0 as reference data, and the market a request is on.

Pure: depends on no app of ours, so every layer may read it. The `Market` rows are created
from MARKETS by the orders app; the market of a request is resolved without a query.
Loading a `Market` row is the job of whichever app owns the model: it registers its
loader with `register_market_loader` in its AppConfig.ready() (orders does).
"""

from django.conf import settings

MARKETS = [
    # code, domain, currency, time zone, holiday country, language
    ("PL", "allegro.pl", "PLN", "Europe/Warsaw", "PL", "pl"),
    ("CZ", "allegro.cz", "CZK", "Europe/Prague", "CZ", "cs"),
    ("SK", "allegro.sk", "EUR", "Europe/Bratislava", "SK", "sk"),
    ("HU", "allegro.hu", "HUF", "Europe/Budapest", "HU", "hu"),
]

MARKET_LANGUAGES = {row[0]: row[5] for row in MARKETS}
MARKET_DOMAINS = {row[0]: row[1] for row in MARKETS}

# The session key holding the language a signed-in user chose earlier (their profile),
# read by the language middleware without a query on each request.
SESSION_LANGUAGE_KEY = "profile_language"


def market_for_host(host):
    """The market code a host name belongs to (its domain, www.domain, a MARKET_HOSTS
    entry), or None. `host` may carry a port."""
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
    chosen = request.COOKIES.get(settings.MARKET_COOKIE_NAME, "").upper()
    if chosen in MARKET_LANGUAGES:
        return chosen
    return market_for_host(request.get_host()) or settings.DEFAULT_MARKET


def site_url(market_code):
    """The market's site address for links in mail (MARKET_SITE_URLS, else SITE_URL)."""
    return settings.MARKET_SITE_URLS.get(market_code, settings.SITE_URL).rstrip("/")


# --- Loading a Market row --------------------------------------------------------------

_market_loader = None


def register_market_loader(loader):
    """`loader(code) -> Market`: how `load_market` fetches a market's row. Registered by
    the app that owns the Market model, in its AppConfig.ready()."""
    global _market_loader
    _market_loader = loader
    return loader


def load_market(code):
    """The Market row of `code` (one query), through the registered loader."""
    if _market_loader is None:
        raise LookupError("No market loader registered (core.markets.register_market_loader).")
    return _market_loader(code)
