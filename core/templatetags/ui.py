"""Presentation filters: money and market-local times (TIME-01). The formatting lives in
core.money and core.dates, which Python code calls directly; this library only registers
the same functions as filters (`{{ amount|money:"PLN" }}`, `{{ instant|market_time:market }}`)."""

from django import template

from core.dates import iso_local, market_date, market_time
from core.money import money

register = template.Library()

register.filter(money)
register.filter(market_time)
register.filter(market_date)
register.filter(iso_local)
