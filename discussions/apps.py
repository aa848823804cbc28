from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = _("Discussions")

    def ready(self):
        from orders.checks import register_purchase_check
        from orders.signals import demo_data_seeded, order_event_recorded

        from . import demo

        order_event_recorded.connect(_on_order_event, dispatch_uid="discussions_on_order_event")
        register_purchase_check(_blocked_seller)
        demo_data_seeded.connect(demo.seed, dispatch_uid="discussions_demo_data")


def _on_order_event(sender, event, **kwargs):
    """DSC-07/20: orders emits, discussions reacts (in the event's transaction)."""
    from .services import handle_order_event

    handle_order_event(event)


def _blocked_seller(*, buyer, offer, now):
    """MED-09 → ORD-03: plugs into the orders app's purchase checks."""
    from .services import blocked_seller_refusal

    return blocked_seller_refusal(buyer=buyer, offer=offer, now=now)
