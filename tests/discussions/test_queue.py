"""The mediators' desk (issue 4): the one queue (MED-01), the case view (MED-02), the
sellers listed for consequences (MED-08/09) and what a mediator may not do (MED-10)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.mediators import MEDIATOR_PERMISSIONS, MEDIATORS_GROUP
from discussions import queue, services, tasks
from discussions.models import Discussion, Message, Report, Role
from orders.models import AuditRecord
from tests.discussions.conftest import BOUGHT, DAY, HOUR, OPENED, REPLY_DUE, SECOND, fresh, make_order, open_discussion
from tests.factories import OfferFactory, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:discussions_queue"


def unresolved(offer, buyer, *, at):
    """NOT_RECEIVED opened at OPENED, marked unresolved by the buyer at `at` (≥ 7 days)."""
    discussion = open_discussion(make_order(offer, buyer))
    return services.mark_unresolved(discussion, buyer=buyer, now=at)


def asked_for_help(offer, buyer, *, at):
    discussion = open_discussion(make_order(offer, buyer))
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    return services.ask_for_help(fresh(discussion), buyer=buyer, now=at)


def ignored_mediator(offer, buyer, mediator, *, at):
    discussion = asked_for_help(offer, buyer, at=REPLY_DUE + HOUR)
    services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + 2 * HOUR)
    services.post_message(
        fresh(discussion), author=mediator, role=Role.MEDIATOR, text="Numer przesyłki?", now=REPLY_DUE + 2 * HOUR
    )
    tasks.mark_seller_overdue(now=at)
    return fresh(discussion)


def report(discussion, seller, reporter, *, at):
    message = services.post_message(
        fresh(discussion), author=seller, role=Role.SELLER, text="Pożałujesz.", now=at - HOUR
    )
    return services.report_message(message, reporter=reporter, category=Report.Category.THREAT, now=at)


def queue_reasons(client, **params):
    response = client.get(reverse(QUEUE), params)
    assert response.status_code == 200
    return [(item.reason, item.title) for item in response.context["items"]]


@pytest.fixture
def bulk(seller_account):
    return OfferFactory(seller_account=seller_account, title="Cable", stock=1000)


def test_med_01_the_queue_lists_every_kind_of_case_oldest_first(
    client, mediator, bulk, buyer, other_buyer, seller, settings
):
    settings.SELLER_UNRESOLVED_THRESHOLD = 2
    first = unresolved(bulk, buyer, at=OPENED + 8 * DAY)
    second = unresolved(bulk, other_buyer, at=OPENED + 9 * DAY)
    helped = asked_for_help(bulk, buyer, at=OPENED + 10 * DAY)
    reported = report(open_discussion(make_order(bulk, other_buyer)), seller, other_buyer, at=OPENED + 11 * DAY)
    quiet = open_discussion(make_order(bulk, buyer))

    client.force_login(mediator)
    listed = queue_reasons(client)
    assert listed == [
        # The seller account has 2 open UNRESOLVED Discussions, waiting since the first one
        # (a tie in waiting time is broken by the reason's name).
        ("threshold", str(first.seller_account)),
        ("unresolved", f"{first.number} · Cable"),
        ("unresolved", f"{second.number} · Cable"),
        ("help", f"{helped.number} · Cable"),
        ("report", f"{reported.get_category_display()} · {reported.message.discussion.number}"),
    ]
    assert all(quiet.number not in title for _reason, title in listed)


def test_med_01_dsc_09_seller_who_ignored_allegro_is_in_the_queue_under_that_reason(client, mediator, bulk, buyer):
    discussion = ignored_mediator(bulk, buyer, mediator, at=REPLY_DUE + 5 * DAY)
    client.force_login(mediator)
    response = client.get(reverse(QUEUE))
    (item,) = response.context["items"]
    assert (item.reason, item.state, item.mediator) == ("ignored", queue.State.IN_MEDIATION, str(mediator))
    assert item.waiting_from == fresh(discussion).seller_ignored_mediator_at


def test_med_01_filters_by_reason_market_and_status(client, mediator, bulk, buyer, other_buyer):
    unresolved(bulk, buyer, at=OPENED + 8 * DAY)
    helped = asked_for_help(bulk, other_buyer, at=OPENED + 9 * DAY)
    cz_seller = SellerAccountFactory(market_id="CZ")
    cz = unresolved(OfferFactory(seller_account=cz_seller, title="Kabel", stock=5), buyer, at=OPENED + 10 * DAY)
    services.join_discussion(fresh(helped), mediator=mediator, now=OPENED + 10 * DAY)

    client.force_login(mediator)
    assert [r for r, _t in queue_reasons(client, reason="help")] == ["help"]
    assert queue_reasons(client, market="CZ") == [("unresolved", f"{cz.number} · Kabel")]
    assert [t for _r, t in queue_reasons(client, state=queue.State.IN_MEDIATION)] == [f"{helped.number} · Cable"]
    assert len(queue_reasons(client, state=queue.State.WAITING)) == 2
    # A bad filter value is reported, not an error page; the list stays whole.
    response = client.get(reverse(QUEUE), {"market": "XX"})
    assert response.status_code == 200 and response.context["form"].errors


def test_med_09_threshold_flags_accounts_with_enough_open_unresolved_and_not_blocked_ones(
    client, mediator, bulk, buyer, settings
):
    settings.SELLER_UNRESOLVED_THRESHOLD = 3
    for days in (8, 9):
        unresolved(bulk, buyer, at=OPENED + days * DAY)
    client.force_login(mediator)
    assert "threshold" not in [r for r, _t in queue_reasons(client)]
    third = unresolved(bulk, buyer, at=OPENED + 10 * DAY)
    assert "threshold" in [r for r, _t in queue_reasons(client)]
    services.block_seller_account(
        third.seller_account, mediator=mediator, statement="Brak wyjaśnień.", rule="Regulamin", now=OPENED + 11 * DAY
    )
    assert "threshold" not in [r for r, _t in queue_reasons(client)]


def _fill_queue(count, bulk, buyers, seller, mediator):
    """`count` cases of mixed kinds, from several buyers and seller accounts."""
    for i in range(count):
        buyer = buyers[i % len(buyers)]
        kind = i % 4
        if kind == 0:
            unresolved(bulk, buyer, at=OPENED + 8 * DAY + i * SECOND)
        elif kind == 1:
            other = OfferFactory(seller_account=SellerAccountFactory(), stock=5)
            unresolved(other, buyer, at=OPENED + 8 * DAY + i * SECOND)
        elif kind == 2:
            discussion = open_discussion(make_order(bulk, buyer))
            report(discussion, seller, buyer, at=OPENED + DAY + i * SECOND)
        else:
            discussion = asked_for_help(bulk, buyer, at=REPLY_DUE + HOUR + i * SECOND)
            if i % 8 == 3:
                services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + 2 * HOUR)


def _queries(client, url, params=None):
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize(
    "url_name,params",
    [
        (QUEUE, None),
        ("admin:discussions_discussion_changelist", None),
        ("admin:discussions_discussion_changelist", {"queue": "needs_mediator"}),
        ("admin:discussions_flaggedselleraccount_changelist", None),
        ("admin:discussions_report_changelist", None),
        ("admin:index", None),
    ],
)
def test_med_01_queue_and_changelists_use_a_constant_number_of_queries(
    client, mediator, bulk, buyer, other_buyer, seller, url_name, params, settings
):
    settings.SELLER_UNRESOLVED_THRESHOLD = 3
    client.force_login(mediator)
    # One case of each kind first: the queue loads each kind on the page with one query.
    _fill_queue(4, bulk, [buyer], seller, mediator)
    one, response = _queries(client, reverse(url_name), params)
    _fill_queue(100, bulk, [buyer, other_buyer, UserFactory()], seller, mediator)
    hundred, response = _queries(client, reverse(url_name), params)
    assert hundred == one, f"{url_name}: {one} queries for 4 cases, {hundred} for 104"
    if url_name == QUEUE:
        assert len(response.context["items"]) == 50  # a full page of the ~100 cases


def test_med_02_case_view_shows_one_timeline_and_both_parties_history(
    client, mediator, bulk, buyer, other_buyer, seller
):
    earlier = open_discussion(make_order(bulk, buyer, now=BOUGHT - 4 * DAY), now=OPENED - 3 * DAY)
    services.mark_resolved(earlier, buyer=buyer, now=OPENED - 2 * DAY)
    open_discussion(make_order(bulk, other_buyer))  # the seller's, not this buyer's
    discussion = asked_for_help(bulk, buyer, at=REPLY_DUE + HOUR)
    services.post_message(
        fresh(discussion), author=seller, role=Role.SELLER, text="Wysłane wczoraj.", now=REPLY_DUE + 2 * HOUR
    )
    hidden = services.post_message(
        fresh(discussion), author=seller, role=Role.SELLER, text="Obraźliwa treść", now=REPLY_DUE + 3 * HOUR
    )
    Message.objects.filter(pk=hidden.pk).update(hidden_at=REPLY_DUE + 4 * HOUR, hidden_by=mediator)

    client.force_login(mediator)
    response = client.get(reverse("admin:discussions_discussion_change", args=[discussion.pk]))
    assert response.status_code == 200
    history = response.context["history"]
    assert (history["buyer"]["total"], history["buyer"]["open"]) == (1, 0)
    assert (history["seller"]["total"], history["seller"]["open"]) == (2, 1)
    timeline = response.context["timeline"]
    kinds = [entry.kind for entry in timeline]
    assert kinds[:2] == ["order", "order"]  # placed, paid — before the Discussion started
    assert {"message", "status", "order"} <= set(kinds)
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    texts = [e.text for e in timeline if e.kind == "message"]
    assert "Wysłane wczoraj." in texts
    # Mediators still see a hidden message, marked as hidden (RPT-03).
    (shown,) = [e for e in timeline if e.anchor == f"m{hidden.pk}"]
    assert shown.hidden and shown.text == "Obraźliwa treść"
    page = response.content.decode()
    assert f'id="m{hidden.pk}"' in page
    assert f"?buyer__id__exact={buyer.pk}" in page
    # The history links are real filters of the Discussion list.
    listed = client.get(reverse("admin:discussions_discussion_changelist"), {"buyer__id__exact": buyer.pk})
    assert {d.pk for d in listed.context["cl"].result_list} == {earlier.pk, discussion.pk}


def test_med_02_case_view_costs_the_same_for_a_long_conversation(client, mediator, bulk, buyer, seller):
    discussion = open_discussion(make_order(bulk, buyer))
    url = reverse("admin:discussions_discussion_change", args=[discussion.pk])
    client.force_login(mediator)
    short, _response = _queries(client, url)
    for i in range(30):
        author, role = (seller, Role.SELLER) if i % 2 else (buyer, Role.BUYER)
        services.post_message(fresh(discussion), author=author, role=role, text=f"#{i}", now=OPENED + i * HOUR)
    long, _response = _queries(client, url)
    assert long == short


def test_med_08_sellers_who_ignored_allegro_are_listed_for_consequences(
    client, mediator, bulk, buyer, other_seller_account
):
    ignored_mediator(bulk, buyer, mediator, at=REPLY_DUE + 5 * DAY)
    client.force_login(mediator)
    response = client.get(reverse("admin:discussions_flaggedselleraccount_changelist"), {"flag": "ignored"})
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert [a.pk for a in listed] == [bulk.seller_account_id]
    assert listed[0].ignored_count == 1
    assert other_seller_account.pk not in [a.pk for a in listed]


def test_med_10_the_mediators_group_has_only_view_permissions_and_its_action_ones():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=MEDIATORS_GROUP)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == set(MEDIATOR_PERMISSIONS)
    actions = {
        "discussions.mediate_discussion",
        "buyers.remove_abusive_entry",
        "orders.decide_appeal",
        "discussions.retry_notification",  # SAFE-05: send a mail that used up its tries again
    }
    assert all(code.split(".")[1].startswith("view_") or code in actions for code in granted)


@pytest.mark.parametrize(
    "model", ["discussion", "report", "sellerblock", "notification", "flaggedselleraccount", "compensation"]
)
def test_med_10_a_mediator_cannot_add_or_delete_anything(client, mediator, discussion, model):
    from django.urls import NoReverseMatch

    client.force_login(mediator)
    try:
        add = reverse(f"admin:discussions_{model}_add")
    except NoReverseMatch:  # not in the admin at all: only visible through the case view
        return
    assert client.get(add).status_code == 403
    if model == "discussion":
        assert client.post(reverse("admin:discussions_discussion_delete", args=[discussion.pk])).status_code == 403
        assert Discussion.objects.filter(pk=discussion.pk).exists()


def test_med_10_a_mediator_cannot_edit_a_message_text(client, mediator, discussion, seller):
    """Messages have no admin page of their own; the case view shows them and posting to
    it changes nothing."""
    from django.urls import NoReverseMatch

    message = services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Oryginał", now=OPENED)
    client.force_login(mediator)
    with pytest.raises(NoReverseMatch):
        reverse("admin:discussions_message_change", args=[message.pk])
    url = reverse("admin:discussions_discussion_change", args=[discussion.pk])
    page = client.get(url).content.decode()
    assert "Oryginał" in page and 'name="messages-0-text"' not in page
    response = client.post(
        url, {"messages-TOTAL_FORMS": "1", "messages-0-id": message.pk, "messages-0-text": "Zmieniony"}
    )
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.text == "Oryginał"


def test_med_10_changelist_actions_cannot_delete(client, mediator, discussion):
    client.force_login(mediator)
    response = client.get(reverse("admin:discussions_discussion_changelist"))
    assert "delete_selected" not in dict(response.context["cl"].model_admin.get_actions(response.wsgi_request))


@pytest.mark.parametrize(
    "url_name,args",
    [
        ("admin:index", []),
        (QUEUE, []),
        ("admin:discussions_discussion_changelist", []),
        ("admin:discussions_discussion_change", ["discussion"]),
        ("admin:orders_auditrecord_changelist", []),
    ],
)
def test_med_10_sec_01_a_non_staff_user_gets_no_admin_page(client, buyer, seller, discussion, url_name, args):
    url = reverse(url_name, args=[discussion.pk for _a in args])
    for user in (buyer, seller):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_med_07_the_audit_trail_cannot_be_edited_or_deleted_even_by_a_superuser(admin_client, mediator, discussion):
    services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE)
    record = AuditRecord.objects.get()
    change = admin_client.post(reverse("admin:orders_auditrecord_change", args=[record.pk]), {"reason": "x"})
    assert change.status_code in (403, 200)
    delete = admin_client.post(reverse("admin:orders_auditrecord_delete", args=[record.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert AuditRecord.objects.get(pk=record.pk).reason == record.reason
    assert admin_client.get(reverse("admin:orders_auditrecord_add")).status_code == 403


def test_med_01_the_admin_index_shows_the_queue_with_counts_per_reason(client, mediator, bulk, buyer):
    unresolved(bulk, buyer, at=OPENED + 8 * DAY)
    unresolved(bulk, buyer, at=OPENED + 9 * DAY)
    client.force_login(mediator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert f'href="{reverse(QUEUE)}?reason=unresolved"' in response.content.decode()
    assert queue.queue_counts()["unresolved"] == 2
