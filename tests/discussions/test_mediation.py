"""Mediator decisions through the services (MED-04…07, DSC-20c); the admin screens for
them come with the back-office issue."""

from decimal import Decimal

import pytest

from core.errors import DomainError
from discussions import services, tasks
from discussions.models import Compensation, Discussion, MediationOutcome, Message, StatusChange
from orders.models import AuditRecord
from tests.discussions.conftest import HOUR, REPLY_DUE, SECOND, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def joined(discussion, buyer, mediator):
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR)
    return services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + 2 * HOUR)


def test_med_04_dsc_20c_allegro_protect_closes_as_resolved_and_is_audited(joined, mediator):
    compensation = services.grant_allegro_protect(
        fresh(joined), mediator=mediator, amount="100.00", reason="Paczka zaginęła", now=REPLY_DUE + 3 * HOUR
    )
    closed = fresh(joined)
    assert compensation.amount == Decimal("100.00")
    assert (closed.status, closed.is_open, closed.close_reason) == (
        Discussion.Status.RESOLVED,
        False,
        Discussion.CloseReason.ALLEGRO_PROTECT,
    )
    assert Message.objects.filter(discussion=joined, auto_code="CLOSED_ALLEGRO_PROTECT").exists()
    record = AuditRecord.objects.get(action="GRANT_ALLEGRO_PROTECT")
    assert record.actor == mediator and record.reason == "Paczka zaginęła"
    assert record.before["is_open"] is True and record.after["is_open"] is False
    assert record.after["amount"] == "100.00"


@pytest.mark.parametrize("amount", ["0", "-5", "100.01", "abc", "NaN"])
def test_med_04_compensation_above_the_order_value_or_not_positive_is_refused(joined, mediator, amount):
    with pytest.raises(DomainError):
        services.grant_allegro_protect(fresh(joined), mediator=mediator, amount=amount, reason="x")
    assert not Compensation.objects.exists()
    assert fresh(joined).is_open
    assert not AuditRecord.objects.exclude(action="JOIN").exists()


def test_med_07_every_decision_needs_a_reason(joined, mediator):
    with pytest.raises(DomainError):
        services.grant_allegro_protect(fresh(joined), mediator=mediator, amount="10", reason="  ")
    with pytest.raises(DomainError):
        services.conclude_mediation(fresh(joined), mediator=mediator, outcome=MediationOutcome.AGREEMENT, reason="")
    assert not AuditRecord.objects.exclude(action="JOIN").exists()


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (MediationOutcome.AGREEMENT, Discussion.Status.RESOLVED),
        (MediationOutcome.SELLER_TO_REFUND, Discussion.Status.UNRESOLVED),
        (MediationOutcome.CLAIM_NOT_UPHELD, Discussion.Status.UNRESOLVED),
    ],
)
def test_med_05_concluding_closes_with_the_recorded_outcome(joined, mediator, outcome, status):
    services.conclude_mediation(
        fresh(joined), mediator=mediator, outcome=outcome, reason="Ustalenia", now=REPLY_DUE + 5 * HOUR
    )
    closed = fresh(joined)
    assert (closed.status, closed.is_open, closed.mediation_outcome) == (status, False, outcome)
    assert not closed.mediator_active
    change = StatusChange.objects.filter(discussion=joined).last()
    assert change.actor == mediator and change.note == "Ustalenia"
    assert AuditRecord.objects.get(action="CONCLUDE_MEDIATION").after["outcome"] == outcome


def test_med_05_only_a_joined_open_discussion_can_be_concluded(discussion, mediator):
    with pytest.raises(DomainError):
        services.conclude_mediation(discussion, mediator=mediator, outcome=MediationOutcome.AGREEMENT, reason="x")


def test_med_06_reopening_at_the_buyers_request_keeps_the_buyers_reopening_and_is_audited(joined, mediator):
    services.conclude_mediation(
        fresh(joined), mediator=mediator, outcome=MediationOutcome.CLAIM_NOT_UPHELD, reason="Brak dowodów"
    )
    services.reopen_at_buyers_request(fresh(joined), mediator=mediator, reason="Nowe dowody od kupującego")
    reopened = fresh(joined)
    assert reopened.is_open and reopened.status == Discussion.Status.IN_PROGRESS
    assert reopened.reopen_count == 0
    assert AuditRecord.objects.get(action="REOPEN").reason == "Nowe dowody od kupującego"
    with pytest.raises(DomainError):
        services.reopen_at_buyers_request(fresh(joined), mediator=mediator, reason="again")


def test_med_07_joining_and_posting_are_audited(joined, mediator):
    services.post_message(fresh(joined), author=mediator, role="MEDIATOR", text="Dzień dobry", now=REPLY_DUE + 3 * HOUR)
    actions = list(AuditRecord.objects.order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["JOIN", "POST_MESSAGE"]


def test_med_07_the_audit_trail_cannot_be_changed_or_deleted_in_the_admin(admin_client, joined):
    record = AuditRecord.objects.get(action="JOIN")
    change = admin_client.post(f"/admin/orders/auditrecord/{record.pk}/change/", {"reason": "rewritten"})
    assert change.status_code in (403, 200)
    assert admin_client.post(f"/admin/orders/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.reason == ""
