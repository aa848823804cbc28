"""REB-07 / MED-01 / MED-07 in the admin: an appealed commission-refund application waits
in the mediators' queue, and a mediator decides it on the appeal screen with a reason."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from orders import commission
from orders.models import AuditRecord, CommissionRefund
from tests.factories import OfferFactory, UserFactory
from tests.orders.test_commission import BOUGHT, DAY, buy, claim, fresh

pytestmark = pytest.mark.django_db

Reason = CommissionRefund.Reason
Status = CommissionRefund.Status
QUEUE = "admin:discussions_queue"
APPEAL = "admin:orders_commissionrefund_appeal"


@pytest.fixture
def appealed(seller_account, seller, buyer):
    """A NOT_PAID application on a paid order, rejected, then appealed by the seller."""
    offer = OfferFactory(seller_account=seller_account, title="Headphones", stock=10)
    order = buy(offer, buyer, paid=True)
    application = claim(order, seller, 1, reason=Reason.NOT_PAID, now=BOUGHT + DAY)
    return commission.appeal(application, seller=seller, text="Kupujący zapłacił omyłkowo.", now=BOUGHT + 2 * DAY)


@pytest.fixture
def staff_without_permission(db):
    """A staff user who may look at applications but not decide appeals."""
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_commissionrefund"),
        Permission.objects.get(codename="view_discussion"),
    )
    return user


def test_reb_07_med_01_an_appeal_waits_in_the_mediators_queue(client, mediator, appealed):
    client.force_login(mediator)

    response = client.get(reverse(QUEUE), {"reason": "appeal"})

    assert response.status_code == 200
    [item] = response.context["items"]
    assert item.reason == "appeal"
    assert item.waiting_from == appealed.appealed_at
    assert appealed.number in item.title
    assert item.url == reverse("admin:orders_commissionrefund_change", args=[appealed.pk])
    # Unfiltered, the appeal is listed with the other cases.
    response = client.get(reverse(QUEUE))
    assert [i.reason for i in response.context["items"]] == ["appeal"]


def test_reb_07_med_01_a_decided_appeal_leaves_the_queue(client, mediator, appealed):
    commission.decide_appeal(appealed, mediator=mediator, grant=True, reason="Tak.", now=BOUGHT + 3 * DAY)
    client.force_login(mediator)

    response = client.get(reverse(QUEUE), {"reason": "appeal"})

    assert list(response.context["items"]) == []


def test_reb_07_the_application_page_offers_the_decision_to_a_mediator(client, mediator, appealed):
    client.force_login(mediator)

    response = client.get(reverse("admin:orders_commissionrefund_change", args=[appealed.pk]))

    assert response.status_code == 200
    assert reverse(APPEAL, args=[appealed.pk]) in response.content.decode()


def test_reb_07_the_appeal_screen_shows_the_sellers_justification(client, mediator, appealed):
    client.force_login(mediator)

    response = client.get(reverse(APPEAL, args=[appealed.pk]))

    assert response.status_code == 200
    assert "Kupujący zapłacił omyłkowo." in response.content.decode()


@pytest.mark.parametrize(("decision", "status"), [("grant", Status.GRANTED), ("reject", Status.REJECTED_AFTER_APPEAL)])
def test_reb_07_med_07_the_mediator_decides_the_appeal_in_the_admin(client, mediator, appealed, decision, status):
    client.force_login(mediator)

    response = client.post(
        reverse(APPEAL, args=[appealed.pk]), {"decision": decision, "reason": "Sprawdzono historię płatności."}
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:orders_commissionrefund_change", args=[appealed.pk])
    stored = fresh(appealed)
    assert stored.status == status
    assert stored.decided_by_mediator == mediator
    assert stored.decision_reason == "Sprawdzono historię płatności."
    [record] = AuditRecord.objects.all()
    assert (record.actor, record.object_id, record.reason) == (
        mediator,
        str(appealed.pk),
        "Sprawdzono historię płatności.",
    )


def test_reb_07_a_decision_without_a_reason_is_refused_on_the_screen(client, mediator, appealed):
    client.force_login(mediator)

    response = client.post(reverse(APPEAL, args=[appealed.pk]), {"decision": "grant", "reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert fresh(appealed).status == Status.APPEALED
    assert not AuditRecord.objects.exists()


def test_reb_07_a_decided_appeal_cannot_be_decided_again_on_the_screen(client, mediator, appealed):
    client.force_login(mediator)
    url = reverse(APPEAL, args=[appealed.pk])
    client.post(url, {"decision": "reject", "reason": "Nie."})

    response = client.post(url, {"decision": "grant", "reason": "Jednak tak."})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert fresh(appealed).status == Status.REJECTED_AFTER_APPEAL
    assert AuditRecord.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_reb_07_med_10_staff_without_the_permission_gets_403(client, staff_without_permission, appealed, method):
    client.force_login(staff_without_permission)

    response = getattr(client, method)(reverse(APPEAL, args=[appealed.pk]), {"decision": "grant", "reason": "Tak."})

    assert response.status_code == 403
    assert fresh(appealed).status == Status.APPEALED
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize("actor", ["seller", "buyer"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_reb_07_sellers_and_buyers_are_sent_to_the_admin_login(client, appealed, request, actor, method):
    client.force_login(request.getfixturevalue(actor))
    url = reverse(APPEAL, args=[appealed.pk])

    response = getattr(client, method)(url, {"decision": "grant", "reason": "Tak."})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert fresh(appealed).status == Status.APPEALED
