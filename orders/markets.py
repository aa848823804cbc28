"""The Market rows of SPEC §0 (reference data in core.markets). Created by a data
migration and re-ensured after every `migrate`/flush (post_migrate), so a database is
never without them."""

from core.markets import MARKETS, SESSION_LANGUAGE_KEY


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


def load_market(code):
    """A market's row (core.markets.load_market, for the language middleware)."""
    from .models import Market

    return Market.objects.get(pk=code)


def remember_profile_language(sender, request, user, **kwargs):
    """At sign-in, the user's remembered language (their last explicit choice) becomes the
    session's, so a Czech buyer signing in on any market reads Czech (I18N-01)."""
    from .models import Profile

    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if language and request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = language
