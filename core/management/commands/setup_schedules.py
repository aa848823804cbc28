from django.core.management.base import BaseCommand

from config.schedules import SCHEDULES, upsert_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in config/schedules.py (idempotent)."

    def handle(self, **options):
        upsert_schedules()
        self.stdout.write(f"{len(SCHEDULES)} schedules in place.")
