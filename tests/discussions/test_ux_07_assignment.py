"""UX-07: a mediator assigns a case to themselves or another mediator, sees *Moje
sprawy* in the queue, and hands a case back; every assignment is in the audit trail and
shown in the queue; a stale page or a repeated form changes nothing (SAFE-01/02)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.mediators import MEDIATORS_GROUP
from discussions import services
from discussions.models import Discussion
from orders.models import AuditRecord
from tests.discussions.conftest import OPENED, make_order, open_discussion
from tests.factories import OfferFactory, UserFactory
from tests.forms import flashed, hidden_fields

pytestmark = pytest.mark.django_db

QUEUE = "admin:discussions_queue"


@pytest.fixture
def colleague(db):
    user = UserFactory(username="mediator2", is_staff=True)
    user.groups.add(Group.objects.get(name=MEDIATORS_GROUP))
    return user


@pytest.fixture
def case(seller_account, buyer):
    """An open Discussion in the queue: the buyer asked Allegro for help."""
    offer = OfferFactory(seller_account=seller_account, title="Rower", stock=10)
    discussion = open_discussion(make_order(offer, buyer))
    Discussion.objects.filter(pk=discussion.pk).update(help_requested_at=OPENED)
    return Discussion.objects.get(pk=discussion.pk)


def _assign_page(client, case):
    return client.get(reverse("admin:discussions_discussion_assign", args=[case.pk]))


def _post(client, case, page, **data):
    return client.post(reverse("admin:discussions_discussion_assign", args=[case.pk]), {**hidden_fields(page), **data})


def _queue_titles(client, **params):
    response = client.get(reverse(QUEUE), params)
    assert response.status_code == 200
    return [item.title for item in response.context["items"]], response.content.decode()


def test_ux_07_mediator_assigns_a_case_to_themselves_and_sees_it_under_my_cases(client, mediator, case):
    client.force_login(mediator)
    titles, page = _queue_titles(client, mine="1")
    assert titles == []
    assert "Żadna sprawa w kolejce nie jest przypisana do Ciebie." in page
    response = _post(client, case, _assign_page(client, case), action="assign_to_me")
    assert response.status_code == 302
    assert ("success", f"Sprawa {case.number} jest przypisana do Ciebie.") in flashed(response)
    case.refresh_from_db()
    assert case.assignee == mediator and case.assigned_at is not None
    titles, page = _queue_titles(client, mine="1")
    assert [t.split(" · ")[0] for t in titles] == [case.number]
    assert "<strong>Ty</strong>" in page
    record = AuditRecord.objects.get(action="ASSIGN")
    assert (record.actor, record.object_id, record.before, record.after) == (
        mediator,
        str(case.pk),
        {"assignee": ""},
        {"assignee": "mediator"},
    )


def test_ux_07_mediator_assigns_a_case_to_another_mediator_who_sees_it_as_theirs(client, mediator, colleague, case):
    client.force_login(mediator)
    _post(client, case, _assign_page(client, case), action="assign", assignee=colleague.pk)
    case.refresh_from_db()
    assert case.assignee == colleague
    titles, page = _queue_titles(client)
    assert "mediator2" in page  # the queue shows who has it
    assert _queue_titles(client, mine="1")[0] == []
    client.force_login(colleague)
    assert len(_queue_titles(client, mine="1")[0]) == 1
    # The assignment page lists who assigned it to whom, and when.
    page = _assign_page(client, case).content.decode()
    assert "przypisano do mediator2" in page


def test_ux_07_a_case_is_handed_back_and_that_is_audited(client, mediator, case):
    services.assign_case(case, mediator=mediator, to=mediator)
    client.force_login(mediator)
    response = _post(client, case, _assign_page(client, case), action="hand_back")
    assert ("success", f"Sprawa {case.number} została oddana; nie jest nikomu przypisana.") in flashed(response)
    case.refresh_from_db()
    assert case.assignee is None and case.assigned_at is None
    assert list(AuditRecord.objects.order_by("pk").values_list("action", "before", "after")) == [
        ("ASSIGN", {"assignee": ""}, {"assignee": "mediator"}),
        ("UNASSIGN", {"assignee": "mediator"}, {"assignee": ""}),
    ]
    assert _queue_titles(client, mine="1")[0] == []


def test_ux_07_a_stale_page_does_not_reassign_a_case_someone_took_meanwhile(client, mediator, colleague, case):
    client.force_login(mediator)
    page = _assign_page(client, case)  # shows the case unassigned
    services.assign_case(case, mediator=colleague, to=colleague)
    response = _post(client, case, page, action="assign_to_me")
    assert (
        "error",
        "Nic nie zostało zrobione: sprawa została właśnie przypisana do mediator2.",
    ) in flashed(response)
    case.refresh_from_db()
    assert case.assignee == colleague
    assert AuditRecord.objects.filter(action="ASSIGN").count() == 1


def test_ux_07_a_repeated_assignment_form_acts_once(client, mediator, colleague, case):
    client.force_login(mediator)
    page = _assign_page(client, case)
    _post(client, case, page, action="assign", assignee=colleague.pk)
    again = _post(client, case, page, action="assign", assignee=colleague.pk)
    assert again.status_code == 302
    assert not [m for m in flashed(again) if m[0] == "error"]
    assert AuditRecord.objects.filter(action="ASSIGN").count() == 1


def test_ux_07_a_case_goes_only_to_a_mediator(mediator, buyer, case):
    from core.errors import DomainError

    with pytest.raises(DomainError):
        services.assign_case(case, mediator=mediator, to=buyer)
    case.refresh_from_db()
    assert case.assignee is None


def test_ux_07_the_case_view_links_to_the_assignment(client, mediator, case):
    client.force_login(mediator)
    page = client.get(reverse("admin:discussions_discussion_change", args=[case.pk])).content.decode()
    assert reverse("admin:discussions_discussion_assign", args=[case.pk]) in page
    assert ">Przypisz<" in page


def test_ux_06_mediator_searches_the_queue_by_number_login_and_product(client, mediator, case, seller_account, buyer):
    other = OfferFactory(seller_account=seller_account, title="Hulajnoga", stock=10)
    second = open_discussion(make_order(other, UserFactory(username="zenon")))
    Discussion.objects.filter(pk=second.pk).update(help_requested_at=OPENED)
    client.force_login(mediator)
    assert len(_queue_titles(client)[0]) == 2
    assert _queue_titles(client, q=case.number)[0] == [f"{case.number} · Rower"]
    assert _queue_titles(client, q="zen")[0] == [f"{second.number} · Hulajnoga"]
    assert _queue_titles(client, q="rowe")[0] == [f"{case.number} · Rower"]
    titles, page = _queue_titles(client, q="nic-takiego")
    assert titles == [] and "Żadna sprawa nie pasuje do „nic-takiego”." in page
