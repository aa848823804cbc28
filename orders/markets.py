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
