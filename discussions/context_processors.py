from django.db import connection


def _header_facts(user_id, seller_account_id):
    """The unread count and the id of the active seller block, if any, in one round trip
    (both through partial indexes: ntf_unread_idx, seller_block_one_active). Every page
    shows them, so they are read without building two ORM queries."""
    from .models import Notification, SellerBlock

    unread = f"SELECT COUNT(*) FROM {Notification._meta.db_table} WHERE recipient_id = %s AND read_at IS NULL"
    with connection.cursor() as cursor:
        if seller_account_id is None:  # buyers and mediators: no block to look for
            cursor.execute(unread, [user_id])
            return cursor.fetchone()[0], None
        cursor.execute(
            f"SELECT ({unread}),"
            f" (SELECT id FROM {SellerBlock._meta.db_table} WHERE seller_account_id = %s AND lifted_at IS NULL)",
            [user_id, seller_account_id],
        )
        return cursor.fetchone()


def notifications(request):
    """Header data for signed-in users: the unread count and, for a blocked seller
    account, the block with the Discussions to explain (MED-09)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from .models import SellerBlock

    # Read with the user (orders.backends.AccountModelBackend), else here.
    facts = getattr(user, "header_facts", None)
    if facts is None:
        account = getattr(user, "seller_account", None)
        facts = _header_facts(user.pk, account.pk if account else None)
    unread, block_id = facts
    context = {"unread_notifications": unread}
    if block_id is not None:
        context["seller_block"] = SellerBlock.objects.prefetch_related("discussions").get(pk=block_id)
    return context
