from django.db import migrations

MARKETS = [
    ("PL", "allegro.pl", "PLN", "Europe/Warsaw", "PL", "pl"),
    ("CZ", "allegro.cz", "CZK", "Europe/Prague", "CZ", "cs"),
    ("SK", "allegro.sk", "EUR", "Europe/Bratislava", "SK", "sk"),
    ("HU", "allegro.hu", "HUF", "Europe/Budapest", "HU", "hu"),
]


def create_markets(apps, schema_editor):
    Market = apps.get_model("orders", "Market")
    for code, domain, currency, tz, country, language in MARKETS:
        Market.objects.update_or_create(
            code=code,
            defaults={
                "domain": domain,
                "currency": currency,
                "time_zone": tz,
                "holiday_country": country,
                "language": language,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create_markets, migrations.RunPython.noop)]
