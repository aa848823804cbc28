"""UX-06: searching one's Discussions by Discussion number, order number, login and
product title — one SQL condition on the Discussion table (aliased d) that the buyer's
and the seller's lists add to theirs, and the same as a Q for the mediators' queue.

What is typed decides what is looked for, each through an index:
- "D0000039", "d39": that Discussion (the primary key);
- a bare number ("39", "00000039"): the Discussion or the order with that number (the
  primary key; dsc_order_idx);
- any other text: logins starting with it, case-insensitively (the buyer's, the seller
  account's login and shop name; on PostgreSQL the expression indexes of migration
  0013, UPPER(...) text_pattern_ops), and from 3 characters on, product titles
  containing it (on PostgreSQL a GIN trigram index on UPPER(title): a word is found
  among a million lines without reading them). The matches are found first and the
  list's Discussions only among them (`d.id IN (... UNION ...)`, a semi-join on the
  primary key, the FK index of line and dsc_buyer_recent_idx), so a seller with 10,000
  Discussions does not have them all read for a search.
On SQLite (development) the same SQL runs without those indexes; its UPPER() and LIKE
fold ASCII letters only.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from orders.models import OrderLine, SellerAccount

from .models import Discussion

MAX_LENGTH = 100
MIN_TITLE_LENGTH = 3
# A number larger than any primary key (PostgreSQL's integer) finds nothing.
_MAX_ID = 2**31 - 1

_DISCUSSION_NUMBER = re.compile(r"^[dD]\s*-?\s*0*(\d{1,18})$")
_BARE_NUMBER = re.compile(r"^#?0*(\d{1,18})$")


@dataclass(frozen=True)
class Search:
    """What a search box's text asks for: a Discussion's number, or a number that is a
    Discussion's or an order's, or text (logins, and titles from 3 characters)."""

    discussion_id: int | None = None
    number: int | None = None
    text: str = ""

    @classmethod
    def parse(cls, typed):
        # Control characters (a NUL cannot even be sent to PostgreSQL) count as spaces.
        typed = " ".join("".join(c if c.isprintable() else " " for c in (typed or "")).split())[:MAX_LENGTH]
        if not typed:
            return None
        if match := _DISCUSSION_NUMBER.match(typed):
            return cls(discussion_id=min(int(match[1]), _MAX_ID))
        if match := _BARE_NUMBER.match(typed):
            return cls(number=min(int(match[1]), _MAX_ID))
        return cls(text=typed)

    @property
    def prefix_pattern(self):
        return _like_escape(self.text) + "%"

    @property
    def contains_pattern(self):
        return "%" + _like_escape(self.text) + "%"

    @property
    def searches_titles(self):
        return len(self.text) >= MIN_TITLE_LENGTH


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_USER = get_user_model()._meta.db_table
_ACCOUNT = SellerAccount._meta.db_table
_LINE = OrderLine._meta.db_table
_DISCUSSION = Discussion._meta.db_table
_LIKE = "LIKE UPPER(%s) ESCAPE '\\'"


def where(search, *, other_party):
    """(SQL, params): the condition on d that `search` adds to a list. `other_party`
    says whose login is searched: "buyer" (the seller's list) or "seller" (the buyer's
    list) or "both" (mediators)."""
    if search.discussion_id is not None:
        return "d.id = %s", [search.discussion_id]
    if search.number is not None:
        return (
            f"d.id IN (SELECT x.id FROM {_DISCUSSION} x WHERE x.id = %s"
            f" UNION SELECT x.id FROM {_DISCUSSION} x WHERE x.order_id = %s)",
            [search.number, search.number],
        )
    parts, params = [], []
    if other_party in ("buyer", "both"):
        parts.append(
            f"SELECT x.id FROM {_DISCUSSION} x WHERE x.buyer_id IN (SELECT u.id FROM {_USER} u"
            f" WHERE UPPER(u.username) {_LIKE})"
        )
        params.append(search.prefix_pattern)
    if other_party in ("seller", "both"):
        parts.append(
            f"SELECT x.id FROM {_DISCUSSION} x WHERE x.seller_account_id IN ("
            f"SELECT a.id FROM {_ACCOUNT} a WHERE UPPER(a.display_name) {_LIKE}"
            f" UNION SELECT a.id FROM {_ACCOUNT} a JOIN {_USER} u ON u.id = a.user_id"
            f" WHERE UPPER(u.username) {_LIKE})"
        )
        params += [search.prefix_pattern, search.prefix_pattern]
    if search.searches_titles:
        parts.append(
            f"SELECT x.id FROM {_DISCUSSION} x WHERE x.line_id IN (SELECT l.id FROM {_LINE} l"
            f" WHERE UPPER(l.title) {_LIKE})"
        )
        params.append(search.contains_pattern)
    return f"d.id IN ({' UNION '.join(parts)})", params


def q(search, path=""):
    """The same search as a Q on Discussion (or on what reaches one through `path`,
    e.g. "message__discussion__"), for the mediators: every login."""
    if search.discussion_id is not None:
        return Q(**{f"{path}pk": search.discussion_id})
    if search.number is not None:
        return Q(**{f"{path}pk": search.number}) | Q(**{f"{path}order_id": search.number})
    found = Q(**{f"{path}buyer__username__istartswith": search.text}) | seller_q(search, f"{path}seller_account__")
    if search.searches_titles:
        found |= Q(**{f"{path}line__title__icontains": search.text})
    return found


def seller_q(search, path):
    """A seller account's login or shop name starting with the text (`path` reaches the
    account: "seller_account__"); None for numbers, which find no account."""
    if not search.text:
        return None
    return Q(**{f"{path}user__username__istartswith": search.text}) | Q(
        **{f"{path}display_name__istartswith": search.text}
    )
