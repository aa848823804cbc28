from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = _("Discussions")

    def ready(self):
        from orders.signals import demo_data_seeded, order_event_recorded

        from . import demo

        order_event_recorded.connect(_on_order_event, dispatch_uid="discussions_on_order_event")
        demo_data_seeded.connect(demo.seed, dispatch_uid="discussions_demo_data")


def _on_order_event(sender, event, **kwargs):
    """DSC-07/20: orders emits, discussions reacts (in the event's transaction)."""
    from .services import handle_order_event

    handle_order_event(event)
