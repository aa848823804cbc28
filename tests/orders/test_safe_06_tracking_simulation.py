"""SAFE-06: only the role whose job it is changes a fact. The tracking simulation's admin
action (report parcels as delivered) is a superuser's tool that exists only while the
simulated carrier is the configured provider; it goes through that provider, as the
tracking poll does, and is audited. Mediators, who only look at shipments, cannot record
a delivery (which would start the 24-hour auto-close of a "not received" Discussion)."""

from datetime import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from orders import services
from orders.models import AuditRecord, OrderEvent, Shipment, SimulatedParcel
from orders.tracking import TrackingProvider, TrackingStatus
from tests.discussions.conftest import DAY, OPENED, fresh, make_order, open_discussion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_shipment_changelist"
NOW = OPENED + 2 * DAY


class CarrierWithoutNews(TrackingProvider):
    """A real carrier's provider (not the simulation): nothing was delivered."""

    def statuses(self, shipments):
        return {s.pk: TrackingStatus(delivered_at=None) for s in shipments}


@pytest.fixture(autouse=True)
def _now(time_machine):
    """The Discussion is opened at OPENED; the admin is used at NOW, two days later."""
    time_machine.move_to(OPENED, tick=False)
    yield


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def shipment(offer, buyer, seller):
    """A parcel on its way, about which the buyer opened a "not received" Discussion."""
    order = make_order(offer, buyer)
    open_discussion(order)
    services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-123456", now=OPENED
    )
    return Shipment.objects.get(order=order)


@pytest.fixture
def later(time_machine, shipment):
    time_machine.move_to(NOW, tick=False)


def offered_actions(client):
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered at all
    return [name for name, _label in form.fields["action"].choices if name] if form else []


def post_action(client, shipment):
    return client.post(
        reverse(CHANGELIST), {"action": "simulate_delivery", ACTION_CHECKBOX_NAME: [shipment.pk], "index": 0}
    )


def assert_nothing_recorded(shipment):
    shipment.refresh_from_db()
    assert shipment.delivered_at is None
    assert not SimulatedParcel.objects.exists()
    assert not OrderEvent.objects.filter(order_id=shipment.order_id, kind=OrderEvent.Kind.DELIVERED).exists()
    assert not AuditRecord.objects.exists()
    discussion = shipment.order.discussions.get()
    assert fresh(discussion).delivery_close_at is None


def test_safe_06_a_mediator_is_not_offered_the_simulation_and_cannot_record_a_delivery(
    client, mediator, shipment, later
):
    client.force_login(mediator)

    assert "simulate_delivery" not in offered_actions(client)
    response = post_action(client, shipment)

    assert response.status_code in (200, 302)
    assert_nothing_recorded(shipment)


def test_safe_06_without_the_simulated_provider_even_a_superuser_is_not_offered_it(
    client, settings, superuser, shipment, later
):
    settings.TRACKING_PROVIDER = f"{__name__}.CarrierWithoutNews"
    client.force_login(superuser)

    assert "simulate_delivery" not in offered_actions(client)
    post_action(client, shipment)

    assert_nothing_recorded(shipment)


def test_safe_06_a_superuser_simulates_a_delivery_through_the_provider_and_it_is_audited(
    client, settings, superuser, shipment, later
):
    settings.TRACKING_PROVIDER = "orders.tracking.SimulatedTrackingProvider"
    client.force_login(superuser)

    assert "simulate_delivery" in offered_actions(client)
    response = post_action(client, shipment)

    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.delivered_at == NOW
    # Through the simulated carrier, as the tracking poll would see it.
    parcel = SimulatedParcel.objects.get()
    assert (parcel.carrier, parcel.tracking_number, parcel.delivered_at) == ("DPD", "DPD-123456", NOW)
    assert OrderEvent.objects.filter(order_id=shipment.order_id, kind=OrderEvent.Kind.DELIVERED).count() == 1
    record = AuditRecord.objects.get()
    assert (record.actor, record.action, record.at) == (superuser, "SIMULATE_DELIVERY", NOW)
    assert record.object_id == str(shipment.pk)
    assert record.before == {"delivered_at": None}
    assert datetime.fromisoformat(record.after["delivered_at"]) == NOW


def test_safe_06_simulating_an_already_delivered_parcel_changes_and_audits_nothing(client, superuser, shipment, later):
    services.record_delivery(shipment, delivered_at=NOW - DAY, now=NOW - DAY)
    client.force_login(superuser)

    post_action(client, shipment)

    shipment.refresh_from_db()
    assert shipment.delivered_at == NOW - DAY
    assert not SimulatedParcel.objects.exists()
    assert not AuditRecord.objects.exists()


def test_safe_06_simulated_parcels_are_read_only_in_the_admin(client, superuser, shipment, later):
    """The carrier's state changes only through the audited action, never by editing a row."""
    client.force_login(superuser)
    parcel = SimulatedParcel.objects.create(carrier="DPD", tracking_number="DPD-123456", delivered_at=NOW + DAY)

    assert client.get(reverse("admin:orders_simulatedparcel_add")).status_code == 403
    response = client.post(
        reverse("admin:orders_simulatedparcel_change", args=[parcel.pk]),
        {"carrier": "DPD", "tracking_number": "DPD-123456", "delivered_at_0": "2026-11-26", "delivered_at_1": "10:00"},
    )
    assert response.status_code in (200, 403)
    parcel.refresh_from_db()
    assert parcel.delivered_at == NOW + DAY
