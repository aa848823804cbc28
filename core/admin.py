"""Admin building blocks for the mediators' desk: history is shown, never edited."""

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """History rows (events, messages, status changes): visible, never added, edited or deleted."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Every field read-only, no adding or deleting; changes happen only through actions
    that call services."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
