from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.module_loading import import_string

from core.dates import parse_instant
from core.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Run every scheduled task once, now (JOB-04). --now simulates the clock."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Simulated current instant, ISO 8601.")
        parser.add_argument("--only", action="append", help="Run only the schedule with this name (repeatable).")

    def handle(self, now=None, only=None, **options):
        instant = parse_instant(now) if now else timezone.now()
        for item in SCHEDULES:
            if only and item["name"] not in only:
                continue
            result = import_string(item["func"])(now=instant)
            self.stdout.write(f"{item['name']}: {result}")
