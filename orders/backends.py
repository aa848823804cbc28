"""The signed-in user of every request, read with their seller account (issue 13).

Django's ModelBackend reads the user by primary key on every request, and the header,
the seller pages and the access helpers then read `user.seller_account` (for most users:
to find there is none) with its market. `AccountModelBackend.get_user` reads all three
in one query (a LEFT JOIN), compiled to SQL once per connection (`core.prepared`), and
fills Django's relation caches, so `user.seller_account` (or its absence) and
`user.seller_account.market` cost no further query. Signing in is ModelBackend's.

The same round trip reads what every page's header shows of the user (issue 13): their
unread notifications and their seller account's active block, if any (`header_facts`;
discussions.context_processors.notifications). Both are read when the request first
asks who the user is; no GET view changes them (marking notifications read is a POST
answered with a redirect).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F, Func, IntegerField, OuterRef, Subquery

from core.auth_backends import CachedPermissionsBackend
from core.prepared import PreparedQuery, RowReader, attnames

from .models import Market, SellerAccount


def _user_with_account(pk):
    # The discussions app's tables, read for the header: imported here, as orders' models
    # do not depend on discussions.
    from discussions.models import Notification, SellerBlock

    User = get_user_model()
    names = list(attnames(User))
    names += [f"seller_account__{name}" for name in attnames(SellerAccount)]
    names += [f"seller_account__market__{name}" for name in attnames(Market)]
    unread = Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True).order_by()
    # COUNT(*) without GROUP BY: one row, 0 when there is none (through ntf_unread_idx).
    unread = unread.annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n")
    block = SellerBlock.objects.filter(seller_account=OuterRef("seller_account__pk"), lifted_at__isnull=True).order_by()
    return (
        User._default_manager.filter(pk=pk)
        .annotate(header_unread=Subquery(unread), header_block=Subquery(block.values("pk")[:1]))
        .values_list(*names, "header_unread", "header_block")
    )


_query = PreparedQuery(_user_with_account)


def user_with_account(user_id):
    """The user `user_id` with `seller_account` (or None) and its market cached, or None."""
    User = get_user_model()
    try:
        pk = int(User._meta.pk.to_python(user_id))
    except (TypeError, ValueError, ValidationError):
        return None
    rows = _query.rows(pk)
    if not rows:
        return None
    row = RowReader(rows[0])
    user = row.instance(User)
    user.header_facts = tuple(rows[0][-2:])
    account = row.optional_instance(SellerAccount)
    if account is not None:
        market = row.instance(Market)
        SellerAccount.market.field.set_cached_value(account, market)
        SellerAccount.user.field.set_cached_value(account, user)
    User.seller_account.related.set_cached_value(user, account)
    return user


class AccountModelBackend(CachedPermissionsBackend):
    def get_user(self, user_id):
        user = user_with_account(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
