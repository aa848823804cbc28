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

        from core.markets import register_market_loader
        from core.schedules import register_schedule

        from .markets import load_market, remember_profile_language

        user_logged_in.connect(remember_profile_language, dispatch_uid="orders_profile_language")
        register_market_loader(load_market)

        register_schedule("orders.poll_tracking", "orders.tasks.poll_tracking", minutes=5)
        register_schedule("orders.reject_unrefunded_claims", "orders.commission.reject_unrefunded", minutes=15)
