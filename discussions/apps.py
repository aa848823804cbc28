from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = _("Discussions")

    def ready(self):
        from core.ops import register_metrics
        from core.schedules import register_schedule
        from orders.checks import (
            register_full_refund_closes,
            register_order_dispute,
            register_purchase_check,
            register_unlisted_sellers,
        )
        from orders.signals import demo_data_seeded, order_event_recorded

        from . import (
            demo,
            history,  # noqa: F401 (connects what makes both parties' history stale)
            list_counts,  # noqa: F401 (and the seller list's counts)
        )

        order_event_recorded.connect(_on_order_event, dispatch_uid="discussions_on_order_event")
        register_purchase_check(_blocked_seller)
        register_order_dispute(_discussion_about)  # BLK-07
        register_full_refund_closes(_closed_by_full_refund)  # SAFE-03
        register_unlisted_sellers(_blocked_accounts)  # UX-08
        demo_data_seeded.connect(demo.seed, dispatch_uid="discussions_demo_data")

        register_schedule("discussions.mark_seller_overdue", "discussions.tasks.mark_seller_overdue", minutes=2)
        register_schedule("discussions.send_deadline_warnings", "discussions.tasks.send_deadline_warnings", minutes=5)
        register_schedule("discussions.close_after_delivery", "discussions.tasks.close_after_delivery", minutes=5)
        register_schedule("discussions.auto_resolve", "discussions.tasks.auto_resolve", minutes=15)
        register_schedule("discussions.send_buyer_reminders", "discussions.tasks.send_buyer_reminders", minutes=15)
        # Last in run_due_tasks: mails what the other sweeps just wrote.
        register_schedule("discussions.send_outbox", "discussions.notifications.send_outbox", minutes=1, last=True)
        register_metrics(_outbox_metrics)  # OPS-05


def _outbox_metrics():
    from .notifications import outbox_metrics

    return outbox_metrics()


def _on_order_event(sender, event, **kwargs):
    """DSC-07/20: orders emits, discussions reacts (in the event's transaction)."""
    from .services import handle_order_event

    handle_order_event(event)


def _blocked_seller(*, buyer, offer, now):
    """MED-09 → ORD-03: plugs into the orders app's purchase checks."""
    from .services import blocked_seller_refusal

    return blocked_seller_refusal(buyer=buyer, offer=offer, now=now)


def _blocked_accounts():
    """UX-08: a blocked seller account's offers are listed nowhere (seller_block_one_active
    holds the active blocks)."""
    from .models import SellerBlock

    return SellerBlock.objects.filter(lifted_at__isnull=True).values_list("seller_account_id", flat=True)


def _discussion_about(order):
    """BLK-07: a Discussion the buyer opened about the order is a dispute of it."""
    from django.db.models import Exists

    from .models import Discussion

    return Exists(Discussion.objects.filter(order=order))


def _closed_by_full_refund(order):
    """DSC-20(a) → SAFE-03: the open Discussions a full refund of the order closes."""
    from .models import Discussion
    from .rules import FULL_REFUND_CLOSES

    return list(
        Discussion.objects.filter(order=order, is_open=True, reason__in=FULL_REFUND_CLOSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
