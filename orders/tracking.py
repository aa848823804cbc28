"""Parcel tracking (ORD-06) behind a small pluggable interface.

`settings.TRACKING_PROVIDER` names a TrackingProvider subclass. The poll task asks it
about parcels that are on their way and records what it reports through
`services.record_delivery`. The built-in provider is a simulation whose state is the
SimulatedParcel table, driven by `manage.py simulate_tracking` and the admin.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TrackingStatus:
    delivered_at: datetime | None


class TrackingProvider:
    """Reports what a carrier knows about parcels. Subclasses implement `statuses`."""

    def statuses(self, shipments):
        """Return {shipment.pk: TrackingStatus} for the given shipments (one round trip
        for the batch where the carrier allows it)."""
        raise NotImplementedError


class SimulatedTrackingProvider(TrackingProvider):
    def statuses(self, shipments):
        from .models import SimulatedParcel

        shipments = list(shipments)
        numbers = {s.tracking_number for s in shipments}
        known = {
            (p.carrier, p.tracking_number): p.delivered_at
            for p in SimulatedParcel.objects.filter(tracking_number__in=numbers)
        }
        return {s.pk: TrackingStatus(delivered_at=known.get((s.carrier, s.tracking_number))) for s in shipments}


def get_provider():
    return import_string(settings.TRACKING_PROVIDER)()
