"""Notifications, read-only (the outbox of mails and in-app notices)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin, market_filter

from ..models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "discussion", "email_status", "read_at"]
    list_filter = [market_filter("discussion__market"), "kind", "email_status"]
    list_select_related = ["recipient", "discussion"]
