"""Object access for the inactive-buyers pages: anything foreign is a 404 (SEC-01).

Linked accounts do not see each other's entries or evidence; they share only the
possibility to copy an entry (BLK-08).
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from orders.models import Order, OrderLine

from .models import EvidenceImage, InactiveBuyer


def tab_queryset(account):
    """The account's entries with everything the tab shows, in a fixed number of queries."""
    return (
        InactiveBuyer.objects.filter(seller_account=account)
        .select_related("buyer", "seller_account__market", "source__seller_account", "removed_by")
        .prefetch_related(
            "images",
            Prefetch(
                "orders",
                queryset=Order.objects.order_by("created_at", "pk").prefetch_related(
                    Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
                ),
            ),
        )
    )


def get_account_entry(account, pk):
    """One entry of the account's tab, active or not."""
    return get_object_or_404(tab_queryset(account), pk=pk)


def get_evidence_image(user, account, pk):
    """BLK-06: the entry's own seller account, or staff with the mediators' permission
    (BLK-10); everyone else, linked accounts included, gets 404."""
    image = get_object_or_404(EvidenceImage.objects.select_related("entry"), pk=pk)
    is_owner = account is not None and image.entry.seller_account_id == account.pk
    is_mediator = user.is_staff and user.has_perm("buyers.view_inactivebuyer")
    if not (is_owner or is_mediator):
        raise Http404
    return image


def entry_for_token(account, token):
    """The entry a wizard already confirmed (a second click on *Dodaj kupującego*)."""
    if token is None:
        return None
    return InactiveBuyer.objects.filter(seller_account=account, wizard_token=token).first()
