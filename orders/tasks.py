"""Scheduled work of the orders app (django-q2 calls these by dotted path)."""

import logging
from datetime import UTC

from django.db.models import F
from django.utils import timezone

from . import services
from .models import Shipment
from .tracking import get_provider

logger = logging.getLogger(__name__)

POLL_BATCH = 500


def poll_tracking(now=None, batch=POLL_BATCH):
    """ORD-06: ask the tracking provider about parcels on their way and record
    deliveries. Only undelivered shipments are read (partial index); bounded batch,
    record_delivery is a compare-and-set, so two runs at once record a delivery once.
    Returns the number of deliveries recorded."""
    now = (now or timezone.now()).astimezone(UTC)
    # Least recently asked first (never asked first), so parcels that never arrive cannot
    # starve newer ones; the partial index holds only undelivered parcels.
    in_transit = list(
        Shipment.objects.filter(delivered_at__isnull=True)
        .select_related("order")
        .order_by(F("tracking_polled_at").asc(nulls_first=True), "pk")[:batch]
    )
    if not in_transit:
        return 0
    Shipment.objects.filter(pk__in=[s.pk for s in in_transit]).update(tracking_polled_at=now)
    statuses = get_provider().statuses(in_transit)
    recorded = 0
    for shipment in in_transit:
        status = statuses.get(shipment.pk)
        if status and status.delivered_at and status.delivered_at <= now:
            try:
                recorded += services.record_delivery(shipment, delivered_at=status.delivered_at, now=now)
            except Exception:  # one bad row must not stop the sweep
                logger.exception("Recording delivery of shipment %s failed", shipment.pk)
    return recorded
