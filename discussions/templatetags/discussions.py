from django import template

from ..texts import render_automatic, render_notification_subject

register = template.Library()


@register.simple_tag
def automatic_text(message, market):
    """An automatic message in the reader's language (I18N-01)."""
    return render_automatic(message.auto_code, message.auto_params, market)


@register.simple_tag
def notification_text(notification):
    if notification.discussion is None:
        return notification.get_kind_display()
    return render_notification_subject(notification.kind, notification.params, notification.discussion.market)


@register.simple_tag
def discussion_window(order):
    """DSC-01 for the order pages: may the buyer start a Discussion now, and from/until when."""
    from django.utils import timezone

    from ..rules import opening_availability

    return opening_availability(order, timezone.now())


@register.simple_tag
def mediator_queue_summary():
    """MED-01 on the admin index: how many cases wait, per reason (one count each)."""
    from ..queue import queue_counts, reason_choices

    counts = queue_counts()
    return [(value, label, counts.get(value, 0)) for value, label in reason_choices()]
