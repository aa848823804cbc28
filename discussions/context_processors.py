def notifications(request):
    """Header data for signed-in users: the unread count (one indexed COUNT) and, for a
    blocked seller account, the block with the Discussions to explain (MED-09)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from .models import Notification, SellerBlock

    context = {"unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count()}
    if hasattr(user, "seller_account"):
        context["seller_block"] = (
            SellerBlock.objects.filter(seller_account__user=user, lifted_at__isnull=True)
            .prefetch_related("discussions")
            .first()
        )
    return context
