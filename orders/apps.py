from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import tallies  # noqa: F401 (connects what makes the order counts stale)
        from .markets import ensure_markets

        post_migrate.connect(ensure_markets, sender=self, dispatch_uid="orders_ensure_markets")

        from django.contrib.auth.signals import user_logged_in

        from .markets import remember_profile_language

        user_logged_in.connect(remember_profile_language, dispatch_uid="orders_profile_language")
