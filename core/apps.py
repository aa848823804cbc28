from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Shared helpers")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import (
            auth_backends,  # noqa: F401 (connects what makes cached permissions stale)
            template_blocks,
        )
        from .mediators import sync_mediators_group
        from .schedules import register_schedule, upsert_schedules

        # SAFE-01: records of submitted forms are kept until their tokens expired.
        register_schedule("core.forget_form_submissions", "core.once.forget_old_submissions", minutes=15)

        # Issue 13: a root template's blocks found once per compiled template.
        template_blocks.install()

        post_migrate.connect(upsert_schedules, sender=self, dispatch_uid="core_upsert_schedules")
        post_migrate.connect(sync_mediators_group, sender=self, dispatch_uid="core_sync_mediators_group")


class DeskAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the mediators' desk site (core.admin.DeskAdminSite)
    as `admin.site`; INSTALLED_APPS names it instead of "django.contrib.admin"."""

    # Not the default configuration of the "core" app, which is CoreConfig.
    default = False
    default_site = "core.admin.DeskAdminSite"
