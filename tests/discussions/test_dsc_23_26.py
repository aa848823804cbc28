"""DSC-23…26 (issue 16): outcomes decided by the instants of events, not by when a sweep
runs, and a reopen that restores every right of an open Discussion.

Each test is one of the minimal sequences the issue lists (PL market; the order bought
Wed 2026-11-25 08:00 and the Discussion opened 09:00 Warsaw, reply due Thu 09:00);
"tasks" is `run_due_tasks --now` at that instant."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from core.errors import DomainError
from discussions import rules, services
from discussions.models import Discussion, MediationOutcome, Notification, Proposal, Reason, Role
from discussions.rules import Action
from orders import services as order_services
from orders.models import Shipment
from tests.discussions.conftest import DAY, HOUR, OPENED, REPLY_DUE, SECOND, fresh, make_order, open_discussion

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def tasks(at):
    call_command("run_due_tasks", now=at.isoformat(), stdout=StringIO())


def say(discussion, user, role, at, text="Wiadomość."):
    return services.post_message(fresh(discussion), author=user, role=role, text=text, now=at)


def allowed(discussion, role, action, at):
    return rules.availability(fresh(discussion), role, action, at).allowed


def deliver(order, seller, *, tracked_at, delivered_at):
    order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-123456", now=tracked_at
    )
    order_services.record_delivery(Shipment.objects.get(order=order), delivered_at=delivered_at, now=delivered_at)


def concluded_and_reopened(discussion, buyer, mediator, *, at):
    """A mediator joins at `at`, concludes with an agreement an hour later; the buyer
    reopens a day later. Returns the instant of the reopening."""
    services.join_discussion(fresh(discussion), mediator=mediator, now=at)
    services.conclude_mediation(
        fresh(discussion), mediator=mediator, outcome=MediationOutcome.AGREEMENT, reason="Porozumienie.", now=at + HOUR
    )
    reopened = at + DAY
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=reopened)
    return reopened


# --- DSC-23: the instants decide, however late the sweep runs -----------------------------------


def test_dsc_23_a_seller_message_after_the_deadline_is_late_even_if_the_sweep_runs_after_it(offer, buyer, seller):
    discussion = open_discussion(make_order(offer, buyer))
    say(discussion, seller, Role.SELLER, REPLY_DUE + 30 * SECOND)
    tasks(REPLY_DUE + 2 * MINUTE)

    late = fresh(discussion)
    assert late.seller_overdue_at is not None
    assert Notification.objects.filter(recipient=buyer, kind=Notification.Kind.DEADLINE_MISSED).exists()
    assert allowed(late, Role.BUYER, Action.ASK_FOR_HELP, REPLY_DUE + 3 * MINUTE)


def test_dsc_23_a_buyer_message_after_delivery_plus_24_hours_does_not_keep_it_open(offer, buyer, seller):
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    delivered = OPENED + 2 * DAY
    deliver(order, seller, tracked_at=OPENED + HOUR, delivered_at=delivered)
    # The sweep has not run yet; the message meets the close that was due 30 s before it.
    with pytest.raises(DomainError):
        say(discussion, buyer, Role.BUYER, delivered + 24 * HOUR + 30 * SECOND, "Nadal nie mam paczki.")
    tasks(delivered + 24 * HOUR + 2 * MINUTE)

    closed = fresh(discussion)
    assert not closed.is_open
    assert closed.close_reason == Discussion.CloseReason.DELIVERED_NO_OBJECTION


def test_dsc_23_a_seller_message_after_the_mediators_deadline_is_ignoring_the_mediator(offer, buyer, seller, mediator):
    discussion = open_discussion(make_order(offer, buyer))
    say(discussion, seller, Role.SELLER, OPENED + HOUR, "Sprawdzamy.")
    services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + 2 * HOUR)
    say(discussion, mediator, Role.MEDIATOR, OPENED + 2 * HOUR, "Prosimy o numer przesyłki.")
    due = fresh(discussion).mediator_reply_due_at
    say(discussion, seller, Role.SELLER, due + 30 * SECOND, "Numer: DPD-1.")
    tasks(due + 2 * MINUTE)

    assert fresh(discussion).seller_ignored_mediator_at is not None


def test_dsc_23_tracking_entered_at_the_deadline_instant_is_in_time_everywhere(offer, buyer, seller):
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    tasks(REPLY_DUE)  # the sweep at the very instant finds nothing due yet
    order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-123456", now=REPLY_DUE
    )
    tasks(REPLY_DUE + 2 * MINUTE)

    answered = fresh(discussion)
    assert answered.first_reply_seconds == 24 * 3600  # in time, at the deadline
    assert answered.seller_overdue_at is None
    assert not allowed(answered, Role.BUYER, Action.ASK_FOR_HELP, REPLY_DUE + 3 * MINUTE)


def test_dsc_23_a_message_at_the_deadline_instant_is_in_time(offer, buyer, seller):
    discussion = open_discussion(make_order(offer, buyer))
    tasks(REPLY_DUE)
    say(discussion, seller, Role.SELLER, REPLY_DUE)
    tasks(REPLY_DUE + 2 * MINUTE)

    answered = fresh(discussion)
    assert answered.first_reply_seconds == 24 * 3600
    assert answered.seller_overdue_at is None


# --- DSC-24: once overdue, help stays offered -------------------------------------------------


def test_dsc_24_help_stays_offered_after_a_late_reply(offer, buyer, seller):
    discussion = open_discussion(make_order(offer, buyer))
    tasks(REPLY_DUE + SECOND)
    say(discussion, seller, Role.SELLER, REPLY_DUE + HOUR, "Przepraszamy za zwłokę.")

    at = REPLY_DUE + 2 * HOUR
    assert allowed(discussion, Role.BUYER, Action.ASK_FOR_HELP, at)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=at)
    assert fresh(discussion).help_requested_at == at


# --- DSC-25: a reopen restores every right ----------------------------------------------------


def test_dsc_25_a_mediator_can_join_again_after_a_reopen(offer, buyer, mediator):
    discussion = open_discussion(make_order(offer, buyer))
    reopened = concluded_and_reopened(discussion, buyer, mediator, at=OPENED + HOUR)

    at = reopened + HOUR
    assert allowed(discussion, Role.MEDIATOR, Action.JOIN, at)
    services.join_discussion(fresh(discussion), mediator=mediator, now=at)
    assert fresh(discussion).mediator_active


def test_dsc_25_help_is_offered_again_when_the_new_deadline_passes(offer, buyer, mediator):
    discussion = open_discussion(make_order(offer, buyer))
    reopened = concluded_and_reopened(discussion, buyer, mediator, at=OPENED + HOUR)
    due = fresh(discussion).reply_due_at
    assert due > reopened
    tasks(due + SECOND)

    at = due + HOUR
    assert allowed(discussion, Role.BUYER, Action.ASK_FOR_HELP, at)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=at)


def test_dsc_25_a_proposal_made_before_the_close_cannot_be_accepted_after_a_reopen(offer, buyer, seller):
    discussion = open_discussion(
        make_order(offer, buyer), reason=Reason.PRODUCT_PROBLEM, expected_solution="REPLACEMENT"
    )
    services.propose_solution(fresh(discussion), seller=seller, solution="REPLACEMENT", now=OPENED + HOUR)
    resolves_at = fresh(discussion).auto_resolve_at
    tasks(resolves_at + SECOND)
    assert fresh(discussion).close_reason == Discussion.CloseReason.EXPIRED
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=resolves_at + DAY)

    at = resolves_at + DAY + HOUR
    assert not allowed(discussion, Role.BUYER, Action.ACCEPT_PROPOSAL, at)
    with pytest.raises(DomainError):
        services.accept_proposal(fresh(discussion), buyer=buyer, now=at)
    assert not Proposal.objects.filter(discussion=discussion, status=Proposal.Status.ACCEPTED).exists()
    assert fresh(discussion).is_open


def test_dsc_25_dsc_26_a_reopened_discussion_without_a_mediator_closes_after_delivery(offer, buyer, seller, mediator):
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    reopened = concluded_and_reopened(discussion, buyer, mediator, at=OPENED + HOUR)
    delivered = reopened + DAY
    deliver(order, seller, tracked_at=reopened + HOUR, delivered_at=delivered)
    tasks(delivered + 24 * HOUR + MINUTE)

    closed = fresh(discussion)
    assert not closed.is_open
    assert closed.close_reason == Discussion.CloseReason.DELIVERED_NO_OBJECTION


class _RolledBack(Exception):
    pass


def _service_allows(discussion, role, action, at, users):
    """Whether the service carries out `action` at `at` (in a savepoint rolled back)."""
    buyer, seller, mediator = users
    d = fresh(discussion)
    calls = {
        (Role.BUYER, Action.REPLY): lambda: services.post_message(
            d, author=buyer, role=Role.BUYER, text="Tak.", now=at
        ),
        (Role.BUYER, Action.MARK_RESOLVED): lambda: services.mark_resolved(d, buyer=buyer, now=at),
        (Role.BUYER, Action.MARK_UNRESOLVED): lambda: services.mark_unresolved(d, buyer=buyer, now=at),
        (Role.BUYER, Action.ASK_FOR_HELP): lambda: services.ask_for_help(d, buyer=buyer, now=at),
        (Role.BUYER, Action.ACCEPT_PROPOSAL): lambda: services.accept_proposal(d, buyer=buyer, now=at),
        (Role.BUYER, Action.DECLINE_PROPOSAL): lambda: services.decline_proposal(d, buyer=buyer, now=at),
        (Role.BUYER, Action.REOPEN): lambda: services.reopen_discussion(d, buyer=buyer, now=at),
        (Role.SELLER, Action.REPLY): lambda: services.post_message(
            d, author=seller, role=Role.SELLER, text="Już.", now=at
        ),
        (Role.SELLER, Action.PROPOSE): lambda: services.propose_solution(
            d, seller=seller, solution="REPLACEMENT", now=at
        ),
        (Role.SELLER, Action.REQUEST_END): lambda: services.request_end(d, seller=seller, now=at),
        (Role.MEDIATOR, Action.JOIN): lambda: services.join_discussion(d, mediator=mediator, now=at),
        (Role.MEDIATOR, Action.REPLY): lambda: services.post_message(
            d, author=mediator, role=Role.MEDIATOR, text="Sprawdzamy.", now=at
        ),
    }
    try:
        with transaction.atomic():
            calls[role, action]()
            raise _RolledBack
    except _RolledBack:
        return True
    except DomainError:
        return False


def _reopened_states(offer, buyer, seller, mediator):
    """Discussions reopened after each kind of close, with the instant of the reopening."""
    states = {}
    resolved = open_discussion(make_order(offer, buyer), reason=Reason.PRODUCT_PROBLEM, expected_solution="REPLACEMENT")
    services.propose_solution(fresh(resolved), seller=seller, solution="REPLACEMENT", now=OPENED + HOUR)
    services.mark_resolved(fresh(resolved), buyer=buyer, now=OPENED + 2 * HOUR)
    services.reopen_discussion(fresh(resolved), buyer=buyer, now=OPENED + DAY)
    states["marked resolved"] = (resolved, OPENED + DAY)

    concluded = open_discussion(make_order(offer, buyer))
    tasks(REPLY_DUE + SECOND)
    services.ask_for_help(fresh(concluded), buyer=buyer, now=REPLY_DUE + HOUR)
    services.join_discussion(fresh(concluded), mediator=mediator, now=REPLY_DUE + 2 * HOUR)
    say(concluded, mediator, Role.MEDIATOR, REPLY_DUE + 2 * HOUR, "Prosimy o numer.")
    tasks(fresh(concluded).mediator_reply_due_at + SECOND)  # the seller ignored Allegro
    services.conclude_mediation(
        fresh(concluded),
        mediator=mediator,
        outcome=MediationOutcome.SELLER_TO_REFUND,
        reason="Sprzedawca zwróci.",
        now=REPLY_DUE + 3 * DAY,
    )
    services.reopen_discussion(fresh(concluded), buyer=buyer, now=REPLY_DUE + 4 * DAY)
    states["concluded after help"] = (concluded, REPLY_DUE + 4 * DAY)

    expired = open_discussion(make_order(offer, buyer), reason=Reason.PRODUCT_PROBLEM, expected_solution="REPLACEMENT")
    services.propose_solution(fresh(expired), seller=seller, solution="REPLACEMENT", now=OPENED + HOUR)
    expires = fresh(expired).auto_resolve_at
    tasks(expires + SECOND)
    services.reopen_discussion(fresh(expired), buyer=buyer, now=expires + DAY)
    states["auto-resolved"] = (expired, expires + DAY)
    return states


def test_dsc_25_dsc_22_after_every_reopen_the_rules_and_the_services_agree(offer, buyer, seller, mediator):
    offer.stock = 10
    offer.save(update_fields=["stock"])
    users = (buyer, seller, mediator)
    for name, (discussion, reopened) in _reopened_states(offer, buyer, seller, mediator).items():
        due = fresh(discussion).reply_due_at
        assert due > reopened, name
        for at in (reopened + HOUR, due + HOUR):
            if at == due + HOUR:
                tasks(due + SECOND)
            for role, actions in rules.ACTIONS_BY_ROLE.items():
                for action in actions:
                    offered = allowed(discussion, role, action, at)
                    assert _service_allows(discussion, role, action, at, users) == offered, (name, at, role, action)
        reopened_row = fresh(discussion)
        # Nothing of the earlier opening is left to act on.
        assert not reopened_row.mediator_active, name
        assert reopened_row.seller_ignored_mediator_at is None, name
        assert not Proposal.objects.filter(discussion=discussion, status=Proposal.Status.PENDING).exists(), name


# --- DSC-26: decisions confirming what the product does ---------------------------------------


def test_dsc_26_asking_for_help_stops_the_30_day_auto_resolve_and_its_reminders(offer, buyer):
    discussion = open_discussion(make_order(offer, buyer))
    resolves_at = fresh(discussion).auto_resolve_at
    tasks(REPLY_DUE + SECOND)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR)
    tasks(resolves_at + DAY)

    helped = fresh(discussion)
    assert helped.is_open and helped.auto_resolve_at is None
    assert not Notification.objects.filter(recipient=buyer, kind=Notification.Kind.REMINDER).exists()


def test_dsc_26_an_active_mediator_stops_the_delivery_auto_close(offer, buyer, seller, mediator):
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + HOUR)
    delivered = OPENED + DAY
    deliver(order, seller, tracked_at=OPENED + 2 * HOUR, delivered_at=delivered)
    tasks(delivered + 3 * DAY)

    announced = fresh(discussion)
    assert announced.is_open and announced.delivery_close_at is None
    assert announced.messages.filter(auto_code="DELIVERED").exists()


def test_dsc_26_a_close_ends_the_mediation_and_a_reopen_restarts_the_30_days(offer, buyer, mediator):
    discussion = open_discussion(make_order(offer, buyer))
    reopened = concluded_and_reopened(discussion, buyer, mediator, at=OPENED + HOUR)

    again = fresh(discussion)
    assert not again.mediator_active
    assert again.auto_resolve_at == reopened + rules.AUTO_RESOLVE_AFTER
    tasks(again.auto_resolve_at + SECOND)
    assert fresh(discussion).close_reason == Discussion.CloseReason.EXPIRED


def test_dsc_26_a_closing_full_refund_counts_as_the_first_reply(offer, buyer, seller):
    order = make_order(offer, buyer)
    discussion = open_discussion(order, reason=Reason.NO_PAYMENT_REFUND)
    order_services.refund_order(order, seller=seller, full=True, now=OPENED + 2 * HOUR)

    refunded = fresh(discussion)
    assert refunded.close_reason == Discussion.CloseReason.FULL_REFUND
    assert refunded.first_reply_seconds == 2 * 3600


def test_dsc_23_an_action_after_a_due_close_meets_the_closed_discussion_before_any_sweep(offer, buyer, seller):
    discussion = open_discussion(make_order(offer, buyer))
    say(discussion, seller, Role.SELLER, OPENED + HOUR, "Sprawdzamy.")
    resolves_at = fresh(discussion).auto_resolve_at

    with pytest.raises(DomainError):  # no sweep has run since; the action settles what was due
        say(discussion, seller, Role.SELLER, resolves_at + 30 * SECOND, "Czy wszystko w porządku?")

    closed = fresh(discussion)
    assert (closed.is_open, closed.close_reason, closed.closed_at) == (
        False,
        Discussion.CloseReason.EXPIRED,
        resolves_at,
    )
    assert not closed.messages.filter(text="Czy wszystko w porządku?").exists()
