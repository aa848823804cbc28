"""Presentation helpers: money and market-local times (TIME-01)."""

from decimal import Decimal

from django import template
from django.utils import formats, timezone

register = template.Library()

CURRENCY_SYMBOLS = {"PLN": "zł", "CZK": "Kč", "EUR": "€", "HUF": "Ft"}


@register.filter
def money(amount, currency):
    """`12.50|money:"PLN"` → "12,50 zł" (separators of the active language)."""
    if amount is None:
        return ""
    value = formats.number_format(Decimal(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
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
