from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("Seller API")

    def ready(self):
        from orders.signals import demo_data_seeded

        from . import demo

        demo_data_seeded.connect(demo.seed, dispatch_uid="api_demo_data")
