"""Every page's head links, header and footer (base.html), rendered once and reused
(issue 13).

The navigation, the market switch's buttons and the language switch's buttons depend
only on the active language, the kind of user (anonymous, buyer, seller, staff) and the
current market. Each is rendered from its template (`templates/chrome/`) once per such
key and process and then reused, so a page does not reverse a dozen URLs and translate
two dozen labels on every request. With DEBUG on, fragments are rendered every time, so
an edited template shows at once.

The whole header (`Chrome.header`, templates/chrome/header.html) is rendered the same
way, with holes where it shows what belongs to the request (core.admin.fragments'
template_with_holes): the CSRF token, the page's own address (where the switches and the
sign-in link come back to), the user's name and the unread count. A page fills them with
its values, escaped as the template would have escaped them; rendering base.html's header
with Django's engine cost a third of a Discussion page's template time.
"""

from urllib.parse import quote

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

_fragments = {}
_urls = {}

# The header's own links and forms.
HEADER_URLS = ("home", "set_market", "set_language", "discussions:notifications", "password_change", "logout", "login")


@receiver(setting_changed)
def _forget(**kwargs):
    # Tests that change settings (languages, URLs, DEBUG) get fragments rendered anew.
    _fragments.clear()
    _urls.clear()


def fragment(template_name, key, context):
    """`templates/chrome/<template_name>` rendered with `context`, once per (template,
    language, key); `key` must determine `context`."""
    language = get_language()
    cache_key = (template_name, language, key)
    html = _fragments.get(cache_key)
    if html is None:
        html = mark_safe(render_to_string(f"chrome/{template_name}", {**context, "LANGUAGE_CODE": language}))
        if not settings.DEBUG:
            _fragments[cache_key] = html
    return html


class Chrome:
    """What base.html shows around the content, each part rendered on first use."""

    def __init__(self, *, is_authenticated, is_seller, is_staff, market_code, market_domains):
        self.is_authenticated = is_authenticated
        self.is_seller = is_seller
        self.is_staff = is_staff
        self.market_code = market_code
        self.market_domains = market_domains

    @property
    def nav(self):
        flags = {"is_authenticated": self.is_authenticated, "is_seller": self.is_seller, "is_staff": self.is_staff}
        return fragment("nav.html", tuple(flags.values()), flags)

    @property
    def markets(self):
        markets = [
            {"code": code, "domain": domain, "is_current": code == self.market_code}
            for code, domain in self.market_domains.items()
        ]
        return fragment("markets.html", self.market_code, {"markets": markets})

    @property
    def languages(self):
        return fragment("languages.html", None, {})

    @property
    def urls(self):
        """The header's URLs by name with ":" as "_" (`chrome.urls.discussions_notifications`), reversed
        once per process."""
        if not _urls:
            _urls.update({name.replace(":", "_"): reverse(name) for name in HEADER_URLS})
        return _urls

    @property
    def head(self):
        """The stylesheet and icon links of <head>."""
        return fragment("head.html", None, {})

    @property
    def footer(self):
        return fragment("footer.html", None, {})

    def header(self, *, csrf_token, path, username, unread):
        """The skip link, the market bar and the header, for the page at `path` (its full
        path: the switches and the sign-in link come back to it) with `csrf_token` (none:
        forms without it, as {% csrf_token %} renders them), the signed-in user's
        `username` and their `unread` notifications."""
        from .admin.fragments import fill_holes, hole, template_with_holes

        csrf_token = "" if csrf_token in (None, "", "NOTPROVIDED") else str(csrf_token)
        key = (self.is_authenticated, self.is_seller, self.is_staff, self.market_code, bool(unread), bool(csrf_token))
        context = {
            "chrome": self,
            "csrf_token": hole(0) if csrf_token else "",
            "next_path": hole(1),
            "next_query": hole(2),
            "user": {"is_authenticated": self.is_authenticated, "username": hole(3)},
            "unread_notifications": hole(4) if unread else 0,
        }
        parts = template_with_holes("chrome/header.html", key, context)
        values = [escape(csrf_token), escape(path), escape(quote(path)), escape(username or ""), str(int(unread or 0))]
        return fill_holes(parts, values)
