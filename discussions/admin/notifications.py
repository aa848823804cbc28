"""Notifications, read-only (the outbox of mails and in-app notices). SAFE-05: the mails
that used up their tries are listed, and mediators holding `retry_notification` send
them again with an audited action."""

from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin, market_filter
from core.errors import DomainError

from .. import notifications
from ..models import Notification


class EmailTriesFilter(admin.SimpleListFilter):
    """SAFE-05: mails the server refused that are waiting for their next try (an outage
    in progress), and those that used up their tries (for a mediator to retry)."""

    title = _("e-mail tries")
    parameter_name = "tries"

    def lookups(self, request, model_admin):
        return [("retrying", _("Refused, waiting for a retry")), ("used_up", _("Tries used up"))]

    def queryset(self, request, queryset):
        if self.value() == "retrying":
            return queryset.filter(email_status=Notification.EmailStatus.PENDING, email_attempts__gt=0)
        if self.value() == "used_up":
            return queryset.filter(email_status=Notification.EmailStatus.FAILED)
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "recipient",
        "discussion",
        "email_status",
        "email_attempts",
        "email_next_attempt_at",
        "last_error",
        "read_at",
    ]
    list_filter = [market_filter("discussion__market"), EmailTriesFilter, "kind", "email_status"]
    list_select_related = ["recipient", "discussion"]
    actions = ["retry_email"]

    @admin.display(description=_("last e-mail error"))
    def last_error(self, notification):
        return Truncator(notification.email_last_error).chars(120)

    def has_retry_permission(self, request):
        # Not change_notification: that would be every field of the row; this only puts a
        # FAILED mail back in the outbox (core/mediators.py grants it to mediators).
        return request.user.has_perm("discussions.retry_notification")

    @admin.action(description=_("Send the selected e-mails again (tries used up)"), permissions=["retry"])
    def retry_email(self, request, queryset):
        retried = 0
        for notification in queryset.select_related("recipient", "discussion"):
            try:
                notifications.retry_email(notification, mediator=request.user)
            except DomainError as error:
                self.message_user(request, f"{notification}: {error.message}", messages.WARNING)
            else:
                retried += 1
        self.message_user(
            request,
            ngettext("%(count)s e-mail is back in the outbox.", "%(count)s e-mails are back in the outbox.", retried)
            % {"count": retried},
            messages.SUCCESS,
        )
