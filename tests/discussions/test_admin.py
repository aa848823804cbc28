"""The minimal mediator hooks of the Discussions issue (MED-01/02 slice): the queue in the
admin, joining and posting as Allegro through the same services as the pages."""

import pytest
from django.urls import reverse

from discussions import services, tasks
from discussions.models import Discussion, Message, Reason, Role
from tests.discussions.conftest import DAY, HOUR, OPENED, REPLY_DUE, SECOND, fresh, make_order, open_discussion

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked_for_help(discussion, buyer):
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    return services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR)


def test_dsc_08_help_request_and_unresolved_cases_are_in_the_mediators_queue(
    client, mediator, asked_for_help, offer, buyer
):
    unresolved = open_discussion(make_order(offer, buyer), reason=Reason.WITHDRAWAL_PROBLEM)
    services.mark_unresolved(unresolved, buyer=buyer, now=OPENED + 14 * DAY)
    quiet = open_discussion(make_order(offer, buyer))
    client.force_login(mediator)
    response = client.get(reverse("admin:discussions_discussion_changelist") + "?queue=needs_mediator")
    assert response.status_code == 200
    listed = [d.pk for d in response.context["cl"].result_list]
    assert listed == [asked_for_help.pk, unresolved.pk]  # ordered by waiting time
    assert quiet.pk not in listed


def test_dsc_09_mediator_joins_and_posts_as_allegro_from_the_admin(client, mediator, asked_for_help):
    client.force_login(mediator)
    join = reverse("admin:discussions_discussion_join", args=[asked_for_help.pk])
    assert client.get(join).status_code == 200  # the confirmation step
    assert client.post(join).status_code == 302
    joined = fresh(asked_for_help)
    assert joined.mediator == mediator and joined.mediator_active
    post = reverse("admin:discussions_discussion_post", args=[asked_for_help.pk])
    assert client.post(post, {"text": "Prosimy o numer przewozowy."}).status_code == 302
    message = Message.objects.get(discussion=asked_for_help, author_role=Role.MEDIATOR)
    assert message.author == mediator
    assert fresh(asked_for_help).mediator_reply_due_at is not None
    assert fresh(asked_for_help).last_message_status == Discussion.LastMessageStatus.ALLEGRO_ADVISOR_REPLIED


def test_med_10_a_staff_user_outside_the_mediators_group_cannot_join(client, asked_for_help):
    from tests.factories import UserFactory

    staff = UserFactory(username="staff_only", is_staff=True)
    client.force_login(staff)
    response = client.post(reverse("admin:discussions_discussion_join", args=[asked_for_help.pk]))
    assert response.status_code == 403
    assert not fresh(asked_for_help).mediator_active


def test_med_10_mediators_cannot_change_a_discussion_by_editing_fields(client, mediator, discussion):
    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_change", args=[discussion.pk])
    client.post(url, {"status": Discussion.Status.RESOLVED, "is_open": ""})
    assert fresh(discussion).status == Discussion.Status.IN_PROGRESS
    assert client.post(reverse("admin:discussions_discussion_delete", args=[discussion.pk])).status_code == 403
    assert Discussion.objects.filter(pk=discussion.pk).exists()


def test_med_04_mediator_grants_allegro_protect_from_the_admin(client, mediator, asked_for_help):
    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_protect", args=[asked_for_help.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"amount": "100.01", "reason": "Zaginęła"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert fresh(asked_for_help).is_open
    assert client.post(url, {"amount": "50.00", "reason": "Zaginęła"}).status_code == 302
    closed = fresh(asked_for_help)
    assert closed.close_reason == Discussion.CloseReason.ALLEGRO_PROTECT and not closed.is_open


def test_med_05_mediator_concludes_from_the_admin(client, mediator, asked_for_help):
    services.join_discussion(fresh(asked_for_help), mediator=mediator, now=REPLY_DUE + 2 * HOUR)
    client.force_login(mediator)
    url = reverse("admin:discussions_discussion_conclude", args=[asked_for_help.pk])
    assert client.post(url, {"outcome": "AGREEMENT", "reason": "Porozumienie"}).status_code == 302
    assert fresh(asked_for_help).mediation_outcome == "AGREEMENT"


def test_rpt_03_mediator_decides_a_report_from_the_admin(client, mediator, discussion, seller, buyer):
    from discussions.models import Report

    message = services.post_message(discussion, author=seller, role=Role.SELLER, text="Groźba", now=OPENED + HOUR)
    report = services.report_message(message, reporter=buyer, category=Report.Category.THREAT, now=OPENED + HOUR)
    client.force_login(mediator)
    assert client.get(reverse("admin:discussions_report_change", args=[report.pk])).status_code == 200
    url = reverse("admin:discussions_report_decide", args=[report.pk])
    response = client.post(url, {"decision": "HIDE", "sanction": "WARN", "reason": "Groźba"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.HIDDEN
    assert Message.objects.get(pk=message.pk).is_hidden


def test_med_03_mediator_opens_a_discussion_on_the_buyers_behalf_from_the_order(client, mediator, order):
    from orders.models import AuditRecord

    client.force_login(mediator)
    assert (
        f"/admin/discussions/discussion/open-for-order/{order.pk}/"
        in client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    )
    url = reverse("admin:discussions_discussion_open_for_order", args=[order.pk])
    refused = client.post(url, {"line": order.lines.get().pk, "reason": "NOT_RECEIVED", "note": ""})
    assert refused.status_code == 200 and not Discussion.objects.exists()
    response = client.post(
        url, {"line": order.lines.get().pk, "reason": "NOT_RECEIVED", "note": "Kupujący zadzwonił na infolinię"}
    )
    assert response.status_code == 302
    discussion = Discussion.objects.get()
    assert discussion.opened_by_marketplace and discussion.mediator == mediator and discussion.mediator_active
    assert discussion.buyer == order.buyer
    assert Message.objects.get(discussion=discussion, author_role=Role.SYSTEM).auto_code == "OPENED_BY_ALLEGRO"
    assert AuditRecord.objects.get(action="OPEN_ON_BEHALF").reason == "Kupujący zadzwonił na infolinię"
    client.force_login(order.buyer)
    body = client.get(discussion.get_absolute_url()).content.decode()
    assert "w imieniu kupującego" in body
