"""Presentation filters: money and market-local times (TIME-01). The formatting lives in
core.money and core.dates, which Python code calls directly; this library only registers
the same functions as filters (`{{ amount|money:"PLN" }}`, `{{ instant|market_time:market }}`).
And `{% form_token %}`, the hidden input with the page's one-time form token (SAFE-01,
core.once), written next to `{% csrf_token %}` in every state-changing form; base.html's
`{% page_head %}`, `{% page_header %}` and `{% page_footer %}` (core.chrome: rendered once,
with the request's values put in)."""

from django import template
from django.utils.safestring import mark_safe

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


@register.simple_tag(takes_context=True)
def page_head(context):
    return context["chrome"].head


@register.simple_tag(takes_context=True)
def page_header(context):
    chrome = context["chrome"]
    user = context.get("user")
    request = context.get("request")
    return chrome.header(
        csrf_token=context.get("csrf_token"),
        path=request.get_full_path() if request is not None else "",
        username=user.get_username() if chrome.is_authenticated and user is not None else "",
        unread=context.get("unread_notifications") or 0,
    )


@register.simple_tag(takes_context=True)
def page_footer(context):
    return mark_safe(context["chrome"].footer)
