from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.dates import parse_instant
from orders import services, tasks
from orders.models import Shipment


class Command(BaseCommand):
    help = (
        "Drive the built-in simulated carrier (ORD-06): report a parcel as delivered, then poll "
        "tracking so the order records it."
    )

    def add_arguments(self, parser):
        parser.add_argument("tracking_number")
        parser.add_argument("--at", help="Delivery instant, ISO 8601 (default: now).")
        parser.add_argument("--no-poll", action="store_true", help="Only tell the carrier; do not poll.")

    def handle(self, tracking_number, at=None, no_poll=False, **options):
        number = tracking_number.strip().upper()
        shipment = Shipment.objects.filter(tracking_number=number).first()
        if shipment is None:
            raise CommandError(f"No shipment with tracking number {number}.")
        delivered_at = parse_instant(at) if at else timezone.now()
        services.simulate_carrier_delivery(shipment.carrier, number, delivered_at=delivered_at)
        self.stdout.write(f"Carrier reports {number} delivered at {delivered_at.isoformat()}.")
        if not no_poll:
            if delivered_at > timezone.now():
                self.stdout.write("The delivery is in the future; the tracking poll will record it when it is due.")
                return
            recorded = tasks.poll_tracking(now=timezone.now())
            self.stdout.write(f"Tracking poll recorded {recorded} deliveries.")
