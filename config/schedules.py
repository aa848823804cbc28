"""Scheduled tasks (JOB-01), declared by name and upserted idempotently after `migrate`
(and by `manage.py setup_schedules`). Never add schedules by hand in the admin: the
next migrate would put these back as declared here."""

from django.utils import timezone

SCHEDULES = [
    {"name": "orders.poll_tracking", "func": "orders.tasks.poll_tracking", "minutes": 5},
    {"name": "discussions.mark_seller_overdue", "func": "discussions.tasks.mark_seller_overdue", "minutes": 2},
    {"name": "discussions.send_deadline_warnings", "func": "discussions.tasks.send_deadline_warnings", "minutes": 5},
    {"name": "discussions.close_after_delivery", "func": "discussions.tasks.close_after_delivery", "minutes": 5},
    {"name": "discussions.auto_resolve", "func": "discussions.tasks.auto_resolve", "minutes": 15},
    {"name": "discussions.send_buyer_reminders", "func": "discussions.tasks.send_buyer_reminders", "minutes": 15},
    {"name": "orders.reject_unrefunded_claims", "func": "orders.commission.reject_unrefunded", "minutes": 15},
    {"name": "buyers.expire_entries", "func": "buyers.tasks.expire_entries", "minutes": 15},
    {"name": "buyers.clean_staged_pictures", "func": "buyers.tasks.clean_staged_pictures", "minutes": 15},
    {"name": "api.clean_unused_declarations", "func": "api.tasks.clean_unused_declarations", "minutes": 15},
    {"name": "discussions.send_outbox", "func": "discussions.notifications.send_outbox", "minutes": 1},
]


def upsert_schedules(sender=None, using="default", verbosity=1, **kwargs):
    from django_q.models import Schedule

    for item in SCHEDULES:
        defaults = {
            "func": item["func"],
            "schedule_type": Schedule.MINUTES,
            "minutes": item["minutes"],
            "repeats": -1,
        }
        schedule, created = Schedule.objects.using(using).get_or_create(
            name=item["name"], defaults={**defaults, "next_run": timezone.now()}
        )
        if not created and any(getattr(schedule, k) != v for k, v in defaults.items()):
            for key, value in defaults.items():
                setattr(schedule, key, value)
            schedule.save()
