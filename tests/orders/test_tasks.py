"""ORD-06 tracking poll, the operator commands and the django-q2 configuration (SPEC §9)."""

import logging
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils.module_loading import import_string
from django_q.models import Schedule

from core.schedules import SCHEDULES
from orders import services, tasks
from orders.models import Order, OrderEvent, Shipment, SimulatedParcel
from orders.tracking import SimulatedTrackingProvider, TrackingProvider, TrackingStatus, get_provider
from tests.factories import OfferFactory

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
INPOST = Shipment.Carrier.INPOST


@pytest.fixture
def ship(seller_account, buyer):
    """ship(tracking_number, at=…): a paid order whose parcel was handed to the carrier at `at`."""
    offer = OfferFactory(seller_account=seller_account, stock=100)

    def _ship(tracking_number, *, at=NOW, carrier=INPOST):
        order = services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=at)
        services.pay_order(order, buyer=buyer, now=at)
        seller = seller_account.user
        services.enter_tracking(order, seller=seller, carrier=carrier, tracking_number=tracking_number, now=at)
        services.mark_handed_over(order, seller=seller, now=at + HOUR)
        return order.shipment

    return _ship


def delivered_at(shipment):
    return Shipment.objects.values_list("delivered_at", flat=True).get(pk=shipment.pk)


def delivered_events(shipment):
    return list(
        OrderEvent.objects.filter(order_id=shipment.order_id, kind=OrderEvent.Kind.DELIVERED).values_list(
            "occurred_at", flat=True
        )
    )


class RecordingProvider(TrackingProvider):
    """A carrier that reports every parcel delivered at DELIVERED_AT and remembers what it was asked."""

    DELIVERED_AT = NOW + DAY
    asked = []

    def statuses(self, shipments):
        shipments = list(shipments)
        RecordingProvider.asked.append([s.pk for s in shipments])
        return {s.pk: TrackingStatus(delivered_at=self.DELIVERED_AT) for s in shipments}


@pytest.fixture
def recording_provider(settings):
    settings.TRACKING_PROVIDER = f"{__name__}.RecordingProvider"
    RecordingProvider.asked = []
    return RecordingProvider


# --- The provider interface ------------------------------------------------------------


def test_ord_06_built_in_provider_is_the_simulation():
    assert isinstance(get_provider(), SimulatedTrackingProvider)


def test_ord_06_provider_is_pluggable_through_settings(recording_provider):
    assert isinstance(get_provider(), RecordingProvider)


def test_ord_06_base_provider_must_be_implemented():
    with pytest.raises(NotImplementedError):
        TrackingProvider().statuses([])


def test_ord_06_simulated_provider_reports_only_the_same_carrier_and_number(ship):
    parcel = ship("INP-100200")
    other = ship("DPD-100200", carrier=Shipment.Carrier.DPD)
    services.simulate_carrier_delivery(Shipment.Carrier.DPD, "INP-100200", delivered_at=NOW + DAY)
    services.simulate_carrier_delivery(Shipment.Carrier.DPD, "DPD-100200", delivered_at=NOW + 2 * DAY)

    statuses = SimulatedTrackingProvider().statuses([parcel, other])

    assert statuses == {
        parcel.pk: TrackingStatus(delivered_at=None),
        other.pk: TrackingStatus(delivered_at=NOW + 2 * DAY),
    }


# --- poll_tracking ------------------------------------------------------------------------


def test_ord_06_poll_tracking_records_a_delivery_once(ship):
    shipment = ship("INP-000001")
    services.simulate_carrier_delivery(INPOST, "INP-000001", delivered_at=NOW + 2 * DAY)

    assert tasks.poll_tracking(now=NOW + 3 * DAY) == 1
    assert tasks.poll_tracking(now=NOW + 4 * DAY) == 0

    assert delivered_at(shipment) == NOW + 2 * DAY
    assert delivered_events(shipment) == [NOW + 2 * DAY]


def test_ord_06_poll_tracking_does_not_record_a_delivery_in_the_future(ship):
    shipment = ship("INP-000001")
    services.simulate_carrier_delivery(INPOST, "INP-000001", delivered_at=NOW + 2 * DAY)

    assert tasks.poll_tracking(now=NOW + 2 * DAY - timedelta(seconds=1)) == 0
    assert delivered_at(shipment) is None
    assert delivered_events(shipment) == []

    assert tasks.poll_tracking(now=NOW + 2 * DAY) == 1
    assert delivered_at(shipment) == NOW + 2 * DAY


def test_ord_06_poll_tracking_leaves_parcels_the_carrier_has_not_delivered(ship):
    waiting = ship("INP-000001")
    delivered = ship("INP-000002")
    services.simulate_carrier_delivery(INPOST, "INP-000002", delivered_at=NOW + DAY)

    assert tasks.poll_tracking(now=NOW + 3 * DAY) == 1

    assert delivered_at(waiting) is None
    assert delivered_at(delivered) == NOW + DAY


def test_ord_06_poll_tracking_processes_a_bounded_batch(ship, recording_provider):
    shipments = [ship(f"INP-00000{i}", at=NOW + i * HOUR) for i in range(5)]

    assert tasks.poll_tracking(now=NOW + 2 * DAY, batch=2) == 2
    assert recording_provider.asked == [[shipments[0].pk, shipments[1].pk]]
    assert tasks.poll_tracking(now=NOW + 2 * DAY, batch=2) == 2
    assert tasks.poll_tracking(now=NOW + 2 * DAY, batch=2) == 1
    assert tasks.poll_tracking(now=NOW + 2 * DAY, batch=2) == 0

    # Delivered parcels are never asked about again; an empty sweep asks nothing.
    assert recording_provider.asked == [
        [shipments[0].pk, shipments[1].pk],
        [shipments[2].pk, shipments[3].pk],
        [shipments[4].pk],
    ]
    assert all(delivered_at(s) == RecordingProvider.DELIVERED_AT for s in shipments)


def test_ord_06_poll_tracking_default_batch_is_bounded():
    assert 0 < tasks.POLL_BATCH <= 1000


def test_ord_06_poll_tracking_asks_the_carrier_once_per_batch(ship, django_assert_num_queries):
    for i in range(6):
        ship(f"INP-00000{i}")

    # One read of the parcels on their way, one stamp of when they were asked, one read of
    # the simulated carrier; no query per parcel.
    with django_assert_num_queries(3):
        assert tasks.poll_tracking(now=NOW + 2 * DAY) == 0


def test_ord_06_parcels_that_never_arrive_do_not_starve_newer_ones(ship):
    lost = [ship(f"INP-10000{i}") for i in range(2)]
    newer = ship("INP-200001")
    services.simulate_carrier_delivery(INPOST, "INP-200001", delivered_at=NOW + DAY)
    # The first run asks the two oldest (lost) parcels; the next one gets to the newer parcel.
    assert tasks.poll_tracking(now=NOW + 2 * DAY, batch=2) == 0
    assert tasks.poll_tracking(now=NOW + 2 * DAY + timedelta(minutes=5), batch=2) == 1
    newer.refresh_from_db()
    assert newer.delivered_at == NOW + DAY
    assert all(s.__class__.objects.get(pk=s.pk).delivered_at is None for s in lost)


def test_ord_06_poll_tracking_failing_row_does_not_stop_the_sweep(ship, monkeypatch, caplog):
    broken = ship("INP-000001")
    fine = ship("INP-000002")
    services.simulate_carrier_delivery(INPOST, "INP-000001", delivered_at=NOW + DAY)
    services.simulate_carrier_delivery(INPOST, "INP-000002", delivered_at=NOW + DAY)
    record_delivery = services.record_delivery

    def flaky(shipment, **kwargs):
        if shipment.pk == broken.pk:
            raise RuntimeError("carrier data unreadable")
        return record_delivery(shipment, **kwargs)

    monkeypatch.setattr(services, "record_delivery", flaky)

    with caplog.at_level(logging.ERROR, logger="orders.tasks"):
        assert tasks.poll_tracking(now=NOW + 2 * DAY) == 1

    assert delivered_at(broken) is None
    assert delivered_at(fine) == NOW + DAY
    assert str(broken.pk) in caplog.text


class RacingProvider(TrackingProvider):
    """While the poll is asking the carrier, another worker records the same delivery."""

    def statuses(self, shipments):
        shipments = list(shipments)
        for shipment in shipments:
            services.record_delivery(Shipment.objects.get(pk=shipment.pk), delivered_at=NOW + HOUR * 2, now=NOW + DAY)
        return {s.pk: TrackingStatus(delivered_at=NOW + DAY) for s in shipments}


def test_ord_06_poll_tracking_does_not_record_a_delivery_another_worker_recorded(ship, settings):
    shipment = ship("INP-000001")
    settings.TRACKING_PROVIDER = f"{__name__}.RacingProvider"

    assert tasks.poll_tracking(now=NOW + 2 * DAY) == 0

    assert delivered_at(shipment) == NOW + HOUR * 2
    assert delivered_events(shipment) == [NOW + HOUR * 2]


# --- Operator commands (JOB-04) ----------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_ord_06_run_due_tasks_with_simulated_now_polls_tracking(ship):
    shipment = ship("INP-000001")
    services.simulate_carrier_delivery(INPOST, "INP-000001", delivered_at=NOW + 2 * DAY)

    before = run("run_due_tasks", "--now", (NOW + DAY).isoformat(), "--only", "orders.poll_tracking")
    assert "orders.poll_tracking: 0" in before
    assert delivered_at(shipment) is None

    after = run("run_due_tasks", "--now", "2026-03-05T10:00:00+00:00", "--only", "orders.poll_tracking")
    assert "orders.poll_tracking: 1" in after
    assert delivered_at(shipment) == NOW + 2 * DAY
    # --only runs nothing else.
    assert [line.split(":")[0] for line in after.splitlines()] == ["orders.poll_tracking"]


def test_ord_06_run_due_tasks_reads_a_naive_now_in_the_default_time_zone(ship):
    shipment = ship("INP-000001")
    # 11:30 UTC is 12:30 in Warsaw (CET).
    services.simulate_carrier_delivery(INPOST, "INP-000001", delivered_at=NOW + DAY + 90 * timedelta(minutes=1))

    run("run_due_tasks", "--now", "2026-03-03T12:29:59", "--only", "orders.poll_tracking")
    assert delivered_at(shipment) is None

    run("run_due_tasks", "--now", "2026-03-03T12:30:00", "--only", "orders.poll_tracking")
    assert delivered_at(shipment) == datetime(2026, 3, 3, 11, 30, tzinfo=UTC)


def test_run_due_tasks_runs_every_declared_schedule(db):
    with time_machine.travel(NOW, tick=False):
        output = run("run_due_tasks")

    assert [line.split(":")[0] for line in output.splitlines()] == [item["name"] for item in SCHEDULES]


def test_ord_06_simulate_tracking_reports_the_delivery_and_polls(ship):
    shipment = ship("INP-000001")

    with time_machine.travel(NOW + 3 * DAY, tick=False):
        output = run("simulate_tracking", " inp-000001 ", "--at", (NOW + 2 * DAY).isoformat())

    parcel = SimulatedParcel.objects.get()
    assert (parcel.carrier, parcel.tracking_number, parcel.delivered_at) == (INPOST, "INP-000001", NOW + 2 * DAY)
    assert delivered_at(shipment) == NOW + 2 * DAY
    assert delivered_events(shipment) == [NOW + 2 * DAY]
    assert "recorded 1 deliveries" in output


def test_ord_06_simulate_tracking_without_at_delivers_now(ship):
    shipment = ship("INP-000001")

    with time_machine.travel(NOW + 3 * DAY, tick=False):
        run("simulate_tracking", "INP-000001")

    assert delivered_at(shipment) == NOW + 3 * DAY


def test_ord_06_simulate_tracking_no_poll_only_tells_the_carrier(ship):
    shipment = ship("INP-000001")

    with time_machine.travel(NOW + 3 * DAY, tick=False):
        run("simulate_tracking", "INP-000001", "--at", (NOW + 2 * DAY).isoformat(), "--no-poll")

    assert SimulatedParcel.objects.get().delivered_at == NOW + 2 * DAY
    assert delivered_at(shipment) is None
    # The next scheduled poll picks it up, as with a real carrier.
    assert tasks.poll_tracking(now=NOW + 3 * DAY) == 1
    assert delivered_at(shipment) == NOW + 2 * DAY


def test_ord_06_simulate_tracking_run_twice_records_the_delivery_once(ship):
    shipment = ship("INP-000001")

    with time_machine.travel(NOW + 3 * DAY, tick=False):
        run("simulate_tracking", "INP-000001", "--at", (NOW + 2 * DAY).isoformat())
        output = run("simulate_tracking", "INP-000001", "--at", (NOW + 2 * DAY + HOUR).isoformat())

    assert "recorded 0 deliveries" in output
    assert delivered_at(shipment) == NOW + 2 * DAY
    assert len(delivered_events(shipment)) == 1


def test_ord_06_simulate_tracking_unknown_number_is_an_error(ship):
    ship("INP-000001")

    with pytest.raises(CommandError):
        run("simulate_tracking", "INP-999999")

    assert not SimulatedParcel.objects.exists()


# --- Schedules and the django-q2 configuration (JOB-01, STYLE traps) --------------------


def scheduled():
    return {
        s.name: (s.func, s.schedule_type, s.minutes, s.repeats)
        for s in Schedule.objects.filter(name__in=[i["name"] for i in SCHEDULES])
    }


def test_setup_schedules_creates_every_declared_schedule(db):
    Schedule.objects.all().delete()

    output = run("setup_schedules")

    assert scheduled() == {i["name"]: (i["func"], Schedule.MINUTES, i["minutes"], -1) for i in SCHEDULES}
    assert f"{len(SCHEDULES)} schedules" in output


def test_setup_schedules_is_idempotent(db):
    run("setup_schedules")
    first = {s.pk: (s.name, s.next_run) for s in Schedule.objects.all()}

    run("setup_schedules")
    run("setup_schedules")

    assert {s.pk: (s.name, s.next_run) for s in Schedule.objects.all()} == first
    assert Schedule.objects.count() == len(SCHEDULES)


def test_setup_schedules_puts_back_a_schedule_changed_by_hand(db):
    run("setup_schedules")
    name = SCHEDULES[0]["name"]
    Schedule.objects.filter(name=name).update(func="orders.tasks.something_else", minutes=999, repeats=0)

    run("setup_schedules")

    assert Schedule.objects.filter(name=name).count() == 1
    assert scheduled()[name] == (SCHEDULES[0]["func"], Schedule.MINUTES, SCHEDULES[0]["minutes"], -1)


def test_every_schedule_names_an_importable_task_that_takes_now():
    names = [item["name"] for item in SCHEDULES]
    assert len(names) == len(set(names))
    for item in SCHEDULES:
        func = import_string(item["func"])
        assert "now" in func.__code__.co_varnames[: func.__code__.co_argcount + func.__code__.co_kwonlyargcount]
        assert 1 <= item["minutes"] <= 60


def test_q_cluster_retry_is_longer_than_timeout_and_missed_runs_are_not_caught_up():
    q_cluster = django_settings.Q_CLUSTER

    assert q_cluster["timeout"] > 0
    assert q_cluster["retry"] > q_cluster["timeout"]
    assert q_cluster["catch_up"] is False
    assert q_cluster["max_attempts"] == 1
    assert q_cluster["ack_failures"] is True


def test_q_cluster_configuration_is_what_django_q_reads():
    from django_q.conf import Conf

    assert Conf.RETRY > Conf.TIMEOUT
    assert Conf.CATCH_UP is False


def test_ord_06_poll_tracking_as_scheduled_task_runs_through_django_q(ship):
    from django_q.tasks import async_task, result

    shipment = ship("INP-000001")
    services.simulate_carrier_delivery(INPOST, "INP-000001", delivered_at=NOW + DAY)

    # django_q.conf.Conf reads Q_CLUSTER["sync"] once at import, so ask for it per task.
    task_id = async_task("orders.tasks.poll_tracking", now=NOW + 2 * DAY, sync=True)

    assert result(task_id) == 1
    assert delivered_at(shipment) == NOW + DAY
