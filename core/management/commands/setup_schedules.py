from django.core.management.base import BaseCommand

from core.schedules import SCHEDULES, upsert_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules the apps declare (core.schedules; idempotent)."

    def handle(self, **options):
        upsert_schedules()
        self.stdout.write(f"{len(SCHEDULES)} schedules in place.")
