from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuyersConfig(AppConfig):
    name = "buyers"
    verbose_name = _("Inactive buyers")

    def ready(self):
        from core.schedules import register_schedule
        from orders.checks import register_purchase_check
        from orders.signals import demo_data_seeded

        from . import demo
        from .services import restricted_refusal

        register_purchase_check(restricted_refusal)  # BLK-09, ORD-03
        demo_data_seeded.connect(demo.seed, dispatch_uid="buyers_demo_data")
        register_schedule("buyers.expire_entries", "buyers.tasks.expire_entries", minutes=15)  # BLK-02
        register_schedule("buyers.clean_staged_pictures", "buyers.tasks.clean_staged_pictures", minutes=15)
