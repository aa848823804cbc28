"""Scheduled tasks (JOB-01): each app declares its own with `register_schedule` in its
AppConfig.ready(); core upserts them idempotently after `migrate` (and by
`manage.py setup_schedules`) and runs them all once with `manage.py run_due_tasks`.
Never add schedules by hand in the admin: the next migrate would put them back as
declared."""

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

# Every declared schedule ({"name", "func", "minutes"}) in the order run_due_tasks runs
# them: registration order (INSTALLED_APPS), those registered with `last=True` at the end.
# Filled by register_schedule; read, never change it directly.
SCHEDULES = []
_first, _last = [], []


def register_schedule(name, func, *, minutes, last=False):
    """Declare that the task at dotted path `func` (which takes `now=`) runs every
    `minutes` minutes under `name`. `last=True` puts it after the others in
    run_due_tasks (the mail outbox, so what the sweeps wrote is mailed in the same run)."""
    item = {"name": name, "func": func, "minutes": minutes}
    existing = next((entry for entry in SCHEDULES if entry["name"] == name), None)
    if existing == item:
        return
    if existing is not None:
        raise ImproperlyConfigured(f"Schedule {name!r} is declared twice, differently.")
    (_last if last else _first).append(item)
    SCHEDULES[:] = _first + _last


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
