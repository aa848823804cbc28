"""Presentation helpers: money and market-local times (TIME-01)."""

from decimal import Decimal

from django import template
from django.utils import formats, timezone

register = template.Library()

CURRENCY_SYMBOLS = {"PLN": "zł", "CZK": "Kč", "EUR": "€", "HUF": "Ft"}
WHOLE_UNIT_CURRENCIES = {"HUF"}


@register.filter
def money(amount, currency):
    """`12.50|money:"PLN"` → "12,50 zł", "1 290 Ft": the separators of the active
    language (pl, cs, sk, hu: "1 234,50"; en: "1,234.50"). Forints are written without
    fillér unless the amount has them."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    places = 0 if currency in WHOLE_UNIT_CURRENCIES and amount == amount.to_integral_value() else 2
    value = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{value}\u00a0{CURRENCY_SYMBOLS.get(currency, currency)}"


@register.filter
def market_time(value, market):
    """An instant shown in the market's local time with its zone, e.g. "26.11.2026 10:00 CET"."""
    if value is None:
        return ""
    local = timezone.localtime(value, market.tz)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


@register.filter
def market_date(value, market):
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value, market.tz), "SHORT_DATE_FORMAT")


@register.filter
def iso_local(value, market):
    """Machine-readable local time for <time datetime=…>."""
    if value is None:
        return ""
    return timezone.localtime(value, market.tz).isoformat()
