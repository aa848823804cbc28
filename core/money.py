"""Amounts for people: one formatter for templates (the `money` filter) and Python
(presenters, services' messages)."""

from decimal import Decimal

from django.utils import formats

CURRENCY_SYMBOLS = {"PLN": "zł", "CZK": "Kč", "EUR": "€", "HUF": "Ft"}
WHOLE_UNIT_CURRENCIES = {"HUF"}


def money(amount, currency):
    """12.50, "PLN" → "12,50 zł", "1 290 Ft": the separators of the active language (pl,
    cs, sk, hu: "1 234,50"; en: "1,234.50"). Forints are written without fillér unless the
    amount has them."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    places = 0 if currency in WHOLE_UNIT_CURRENCIES and amount == amount.to_integral_value() else 2
    value = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{value}\u00a0{CURRENCY_SYMBOLS.get(currency, currency)}"


def currency_symbol(currency):
    """ "PLN" → "zł": the symbol amounts of `currency` are written with."""
    return CURRENCY_SYMBOLS.get(currency, currency)
