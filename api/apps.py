from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("Seller API")

    def ready(self):
        from core.schedules import register_schedule
        from orders.signals import demo_data_seeded

        from . import demo

        demo_data_seeded.connect(demo.seed, dispatch_uid="api_demo_data")
        register_schedule("api.clean_unused_declarations", "api.tasks.clean_unused_declarations", minutes=15)
