"""The offers' cards of the home page and the offer list (orders.presenters, ORD-01)."""

from django.utils.html import escape
from django.utils.translation import gettext as _

from .base import HTML_ESCAPES, Formats, Row, url_maker

OFFER_FIELDS = ("pk", "title", "price", "stock", "market__currency", "market__domain", "seller_account__display_name")


def offer_cards(offers):
    """ORD-01: the cards of `offers` (dicts of OFFER_FIELDS) on the home page and the
    offer list."""
    formats = Formats()
    url = url_maker("orders:offer_detail")
    sold_out = f'<span class="badge badge-muted">{escape(_("Sold out"))}</span>'
    cards = []
    for offer in offers:
        title = offer["title"].translate(HTML_ESCAPES)
        seller = offer["seller_account__display_name"].translate(HTML_ESCAPES)
        domain = offer["market__domain"].translate(HTML_ESCAPES)
        price = formats.money(offer["price"], offer["market__currency"])
        html = f"""
<li class="card offer-card">
  <a href="{url(offer["pk"])}" class="offer-link">
    <span class="offer-title">{title}</span>
    <span class="price">{price}</span>
    <span class="muted">{seller} · {domain}</span>
    {sold_out if offer["stock"] < 1 else ""}
  </a>
</li>"""
        cards.append(Row(html, offer["pk"]))
    return cards
