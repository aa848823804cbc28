"""Parcel tracking (ORD-06) behind a small pluggable interface.

`settings.TRACKING_PROVIDER` names a TrackingProvider subclass. The poll task asks it
about parcels that are on their way and records what it reports through
`services.record_delivery`. The built-in provider is a simulation whose state is the
SimulatedParcel table, driven by `manage.py simulate_tracking` and by a superuser's admin
action (`simulate_delivery`, SAFE-06), which exists only while it is the configured provider.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.errors import DomainError

from . import audit, services
from .models import Shipment, SimulatedParcel


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
        shipments = list(shipments)
        numbers = {s.tracking_number for s in shipments}
        known = {
            (p.carrier, p.tracking_number): p.delivered_at
            for p in SimulatedParcel.objects.filter(tracking_number__in=numbers)
        }
        return {s.pk: TrackingStatus(delivered_at=known.get((s.carrier, s.tracking_number))) for s in shipments}


def get_provider():
    return import_string(settings.TRACKING_PROVIDER)()


def simulation_configured():
    """True while the configured provider is the built-in simulation (SAFE-06)."""
    return issubclass(import_string(settings.TRACKING_PROVIDER), SimulatedTrackingProvider)


def simulate_delivery(shipment, *, actor, now=None):
    """SAFE-06: a superuser reports the parcel delivered now to the simulated carrier. The
    delivery reaches the order as a real carrier's does — what the provider reports,
    recorded by `services.record_delivery` — and the action is audited (MED-07) in the
    same transaction. Returns False, changing nothing, for a parcel already delivered."""
    now = now or timezone.now()
    if not actor.is_superuser:
        raise DomainError(_("Only a superuser can simulate the carrier."))
    provider = get_provider()
    if not isinstance(provider, SimulatedTrackingProvider):
        raise DomainError(_("The carrier can be simulated only while the simulated tracking provider is configured."))
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if shipment.delivered_at is not None:
            return False
        services.simulate_carrier_delivery(shipment.carrier, shipment.tracking_number, delivered_at=now)
        status = provider.statuses([shipment]).get(shipment.pk)
        if (
            status is None
            or status.delivered_at is None
            or not services.record_delivery(shipment, delivered_at=status.delivered_at, now=now)
        ):
            # Someone else recorded it meanwhile (SQLite ignores the row lock): nothing to audit.
            transaction.set_rollback(True)
            return False
        audit.record(
            actor,
            "SIMULATE_DELIVERY",
            shipment,
            before={"delivered_at": None},
            after={"delivered_at": status.delivered_at.isoformat()},
            now=now,
        )
    return True
