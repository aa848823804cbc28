"""RPT-02/03: reports go to the mediators; a mediator dismisses them or hides the
message, optionally warning or blocking the author. Audited (MED-07)."""

import pytest

from core.errors import DomainError
from discussions import services
from discussions.models import Message, Notification, Report, Role
from discussions.services import ReportDecision, Sanction
from orders.models import AuditRecord
from tests.discussions.conftest import HOUR, OPENED

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(discussion, seller, buyer):
    message = services.post_message(discussion, author=seller, role=Role.SELLER, text="Pożałujesz!", now=OPENED + HOUR)
    return services.report_message(message, reporter=buyer, category=Report.Category.THREAT, now=OPENED + 2 * HOUR)


def test_rpt_02_reports_wait_in_the_moderation_queue(client, mediator, report):
    client.force_login(mediator)
    response = client.get("/admin/discussions/report/?status__exact=OPEN")
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [report.pk]


def test_rpt_03_hiding_keeps_the_message_for_mediators_and_shows_it_hidden_to_the_parties(
    client, report, mediator, buyer
):
    services.decide_report(report, mediator=mediator, decision=ReportDecision.HIDE, reason="Groźba")
    message = Message.objects.get(pk=report.message_id)
    assert message.is_hidden and message.text == "Pożałujesz!"
    assert report.status == Report.Status.HIDDEN
    client.force_login(buyer)
    body = client.get(message.discussion.get_absolute_url()).content.decode()
    assert "Pożałujesz!" not in body
    assert "ukryta przez Allegro" in body
    assert AuditRecord.objects.get(action="REPORT_HIDE").reason == "Groźba"


def test_rpt_03_dismissing_changes_nothing_in_the_conversation(report, mediator):
    services.decide_report(report, mediator=mediator, decision=ReportDecision.DISMISS, reason="Brak naruszenia")
    assert not Message.objects.get(pk=report.message_id).is_hidden
    assert report.status == Report.Status.DISMISSED
    with pytest.raises(DomainError):
        services.decide_report(report, mediator=mediator, decision=ReportDecision.HIDE, reason="again")


def test_rpt_03_warning_notifies_the_author_and_blocking_stops_sign_in(report, mediator, seller):
    services.decide_report(
        report, mediator=mediator, decision=ReportDecision.HIDE, sanction=Sanction.BLOCK, reason="Groźby"
    )
    seller.refresh_from_db()
    assert not seller.is_active
    assert AuditRecord.objects.get(action="REPORT_HIDE").after["sanction"] == Sanction.BLOCK


def test_rpt_03_warning_is_a_notification_to_the_author(report, mediator, seller):
    services.decide_report(report, mediator=mediator, decision=ReportDecision.HIDE, sanction=Sanction.WARN, reason="x")
    assert Notification.objects.filter(recipient=seller, kind=Notification.Kind.WARNING).count() == 1
    seller.refresh_from_db()
    assert seller.is_active


def test_rpt_03_a_dismissed_report_carries_no_sanction_and_a_reason_is_required(report, mediator):
    with pytest.raises(DomainError):
        services.decide_report(
            report, mediator=mediator, decision=ReportDecision.DISMISS, sanction=Sanction.BLOCK, reason="x"
        )
    with pytest.raises(DomainError):
        services.decide_report(report, mediator=mediator, decision=ReportDecision.HIDE, reason=" ")
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
