def notifications(request):
    """Unread count for the header (one indexed COUNT, only for signed-in users)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from .models import Notification

    return {"unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count()}
