"""Presentation filters: money and market-local times (TIME-01). The formatting lives in
core.money and core.dates, which Python code calls directly; this library only registers
the same functions as filters (`{{ amount|money:"PLN" }}`, `{{ instant|market_time:market }}`).
And `{% form_token %}`, the hidden input with the page's one-time form token (SAFE-01,
core.once), written next to `{% csrf_token %}` in every state-changing form."""

from django import template

from core.dates import iso_local, market_date, market_time
from core.money import money
from core.once import token_input

register = template.Library()

register.filter(money)
register.filter(market_time)
register.filter(market_date)
register.filter(iso_local)


@register.simple_tag(takes_context=True)
def form_token(context):
    return token_input(context["request"])
