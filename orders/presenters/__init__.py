"""What the order pages show, computed once per request (issue 13, STYLE §9).

A page costs its Python calls: a template variable costs some thirty, an `{% include %}`,
`{% url %}` or `{% blocktranslate %}` a hundred or more, and a 20-row list used to make
a hundred thousand of them. So each row is written here, once, from the columns its
query fetched, as the markup the page's template used to produce: instants already in the
market's zone and the language's format (`Formats`), amounts in the market's currency,
URLs built from one reversed prefix (`url_maker`), labels translated once per request,
texts escaped as Django escapes them (`HTML_ESCAPES`). Badges come from their own
templates, rendered once per state and language (`fragment`). A list's template is one
plain loop over its rows (`Row`: the row's HTML, which also knows its object's pk).

A page's lines and Discussions are read by ids in SQL written here (`rows_for_ids`):
through the ORM each id of an `__in` costs some twenty calls, and compiling the query two
thousand, more than reading and writing the rows.

One module per page, on the shared pieces of `base`: `order_lists` (the seller's
*Zamówienia*, the buyer's *Moje zakupy*), `order_page` (one order's page),
`commission_refunds` (REB-06), `offers` (ORD-01). Callers use the names re-exported here
(`from orders import presenters; presenters.OrderPage(...)`).
"""

from .base import (
    FRAGMENTS_KEPT,
    HTML_ESCAPES,
    Formats,
    Row,
    commission_refund_badge,
    discussion_status_badges,
    form_fields,
    fragment,
    order_status_badges,
    order_status_of,
    rows_for_ids,
    url_maker,
)
from .commission_refunds import COMMISSION_REFUND_FIELDS, CommissionRefundRows
from .offers import OFFER_FIELDS, offer_cards
from .order_lists import PURCHASE_FIELDS, SELLER_ORDER_FIELDS, PurchaseRows, SellerOrderRows
from .order_page import OrderPage

__all__ = [
    "COMMISSION_REFUND_FIELDS",
    "FRAGMENTS_KEPT",
    "HTML_ESCAPES",
    "OFFER_FIELDS",
    "PURCHASE_FIELDS",
    "SELLER_ORDER_FIELDS",
    "CommissionRefundRows",
    "Formats",
    "OrderPage",
    "PurchaseRows",
    "Row",
    "SellerOrderRows",
    "commission_refund_badge",
    "discussion_status_badges",
    "form_fields",
    "fragment",
    "offer_cards",
    "order_status_badges",
    "order_status_of",
    "rows_for_ids",
    "url_maker",
]
