"""API-01: /sale/issues — the seller's Discussions as the marketplace's post-purchase issues.

Every response goes through the `api` client, which validates it against the excerpt
(api/reference/allegro-openapi-excerpt.yaml); a difference fails the test. The clock is
set explicitly with time_machine (the views read `timezone.now()`).
"""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from api.base import api_time
from discussions import presenters, rules, services
from discussions.models import Discussion, Message, Reason, Report, Role
from discussions.texts import render_automatic
from tests.api.conftest import ApiClient, make_token
from tests.api.contract import body
from tests.discussions.conftest import (
    BOUGHT,
    DAY,
    HOUR,
    OPENED,
    REPLY_DUE,
    SECOND,
    fresh,
    local,
    make_order,
    open_discussion,
)
from tests.factories import OfferFactory

NOW = OPENED + 2 * HOUR  # Wednesday 2026-11-25 11:00 Warsaw, before the reply deadline


def png(color=(200, 30, 30), size=(8, 8)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def upload(name="photo.png", data=None):
    return SimpleUploadedFile(name, data or png(), content_type="image/png")


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def api_at(time_machine, seller, oauth_app):
    """A client whose token is issued at `instant` (tokens live 12 hours), with the clock there."""

    def at(instant):
        time_machine.move_to(instant, tick=False)
        return ApiClient(make_token(seller, oauth_app))

    return at


@pytest.fixture
def order(offer, buyer):
    return make_order(offer, buyer)


@pytest.fixture
def discussion(order):
    """NOT_RECEIVED, opened Wed 2026-11-25 09:00 Warsaw with the buyer's text and a photo."""
    return open_discussion(order, text="Where is my parcel?", files=[upload("label.png")])


def issues_path(discussion=None, suffix=""):
    return f"/sale/issues/{discussion.public_id}{suffix}" if discussion else "/sale/issues"


# --- GET /sale/issues ----------------------------------------------------------------


def test_api_01_list_shows_the_sellers_dispute_in_the_excerpts_shape(api, discussion, buyer, order):
    response = api.get("/sale/issues")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.allegro.beta.v1+json"
    data = body(response)
    assert data["totalCount"] == 1
    [issue] = data["issues"]
    buyer_message = Message.objects.get(discussion=discussion, author_role=Role.BUYER)
    attachment = buyer_message.attachments.get()
    assert issue["id"] == str(discussion.public_id)
    assert issue["type"] == "DISPUTE"
    assert issue["referenceNumber"] is None
    assert issue["decisionDueDate"] is None
    assert issue["openedDate"] == api_time(OPENED) == "2026-11-25T08:00:00.000Z"
    assert issue["subject"] == "nie otrzymałem produktu"  # Polish, the default (API-03)
    assert issue["description"] is None
    assert issue["expectations"] == []
    assert issue["buyer"] == {"id": str(buyer.pk), "login": "buyer"}
    assert issue["checkoutForm"] == {"id": str(order.public_id), "createdAt": api_time(BOUGHT)}
    assert issue["currentState"] == {
        "status": "DISPUTE_ONGOING",
        "statusDueDate": None,
        "returnRequired": None,
        "chatActive": True,
    }
    line = order.lines.get()
    assert issue["offer"] == {"id": str(line.offer_id), "quantity": 1}
    assert issue["product"] is None and issue["reason"] is None
    assert "right" not in issue  # claims only
    url = f"http://testserver/api/sale/issues/attachments/{attachment.public_id}"
    assert issue["chat"] == {
        "lastMessage": {"status": "NEW", "createdAt": api_time(OPENED)},
        "messagesCount": 2,  # the automatic opening message and the buyer's
        "initialMessage": {
            "id": str(buyer_message.public_id),
            "text": "Where is my parcel?",
            "attachments": [{"fileName": "label.png", "url": url}],
            "author": {"login": "buyer", "role": "BUYER"},
            "createdAt": api_time(OPENED),
        },
    }
    assert issue["attachments"] == [{"fileName": "label.png", "url": url}]


def test_api_01_subject_and_description_follow_accept_language(api, order):
    open_discussion(order, reason=Reason.PRODUCT_PROBLEM, expected_solution="PARTIAL_REFUND", expected_percent=30)

    english = body(api.get("/sale/issues", language="en-US"))["issues"][0]
    polish = body(api.get("/sale/issues", language="pl-PL"))["issues"][0]

    assert english["subject"] == "does not match the description"  # the reference's text (API-03)
    assert english["description"] == "Partial refund (30%)"
    assert polish["subject"] == "niezgodny z opisem"
    # The automatic opening message is the initial one when the buyer wrote nothing.
    assert english["chat"]["initialMessage"]["author"] == {"login": "buyer", "role": "BUYER"}
    assert english["chat"]["initialMessage"]["text"].startswith("The buyer started a Discussion.")
    assert english["attachments"] == []


def test_api_01_initial_message_of_a_discussion_opened_by_allegro_has_role_admin(api, order, mediator):
    services.open_on_buyers_behalf(
        order, mediator=mediator, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED, note="Phoned us", now=OPENED
    )

    issue = body(api.get("/sale/issues", language="en-US"))["issues"][0]

    assert issue["chat"]["initialMessage"]["author"] == {"role": "ADMIN"}
    assert issue["chat"]["initialMessage"]["text"].startswith("Allegro started this Discussion")


def test_api_01_list_is_ordered_by_the_latest_opening(api, bulk_offer, buyer):
    first = open_discussion(make_order(bulk_offer, buyer), now=OPENED)
    third = open_discussion(make_order(bulk_offer, buyer), now=OPENED + HOUR / 3)
    second = open_discussion(make_order(bulk_offer, buyer), now=OPENED + HOUR / 6)
    # The first one is closed and reopened: its latest opening is now the newest.
    services.mark_resolved(first, buyer=buyer, now=OPENED + HOUR / 2)
    services.reopen_discussion(first, buyer=buyer, now=NOW - HOUR / 4)

    issues = body(api.get("/sale/issues"))["issues"]

    assert [i["id"] for i in issues] == [str(d.public_id) for d in (first, third, second)]
    assert issues[0]["openedDate"] == api_time(NOW - HOUR / 4)


def test_api_01_list_filters_by_checkout_form_and_status(api_at, bulk_offer, buyer):
    ongoing = open_discussion(make_order(bulk_offer, buyer))
    closed = open_discussion(make_order(bulk_offer, buyer))
    services.mark_resolved(closed, buyer=buyer, now=OPENED + HOUR)
    unresolved = open_discussion(make_order(bulk_offer, buyer))
    later = OPENED + 8 * DAY  # NOT_RECEIVED: unresolved after 7 days (DSC-17)
    services.mark_unresolved(unresolved, buyer=buyer, now=later)
    api = api_at(later + HOUR)

    def ids(**params):
        query = "&".join(f"{key}={value}" for key, values in params.items() for value in values)
        return {i["id"] for i in body(api.get(f"/sale/issues?{query}"))["issues"]}

    assert ids(status=["DISPUTE_ONGOING"]) == {str(ongoing.public_id)}
    assert ids(status=["DISPUTE_CLOSED"]) == {str(closed.public_id)}
    assert ids(status=["DISPUTE_UNRESOLVED", "DISPUTE_ONGOING"]) == {str(ongoing.public_id), str(unresolved.public_id)}
    assert ids(status=["CLAIM_SUBMITTED"]) == set()
    assert ids(**{"checkoutForm.id": [str(closed.order.public_id)]}) == {str(closed.public_id)}
    assert ids(**{"checkoutForm.id": [str(uuid.uuid4())]}) == set()
    statuses = {i["id"]: i["currentState"]["status"] for i in body(api.get("/sale/issues"))["issues"]}
    assert statuses == {
        str(ongoing.public_id): "DISPUTE_ONGOING",
        str(closed.public_id): "DISPUTE_CLOSED",
        str(unresolved.public_id): "DISPUTE_UNRESOLVED",
    }


def test_api_01_list_pages_with_limit_and_offset(api, bulk_offer, buyer):
    made = [open_discussion(make_order(bulk_offer, buyer), now=OPENED + i * HOUR / 10) for i in range(3)]
    newest_first = [str(d.public_id) for d in reversed(made)]

    default = body(api.get("/sale/issues"))
    page_1 = body(api.get("/sale/issues?limit=2"))
    page_2 = body(api.get("/sale/issues?limit=2&offset=2"))
    beyond = body(api.get("/sale/issues?offset=10"))

    assert [i["id"] for i in default["issues"]] == newest_first
    assert [i["id"] for i in page_1["issues"]] == newest_first[:2]
    assert [i["id"] for i in page_2["issues"]] == newest_first[2:]
    assert beyond["issues"] == []
    assert {default["totalCount"], page_1["totalCount"], page_2["totalCount"], beyond["totalCount"]} == {3}


def test_api_01_total_count_follows_a_discussion_opened_after_the_last_list(api, bulk_offer, buyer):
    """totalCount without filters is the count the seller's list keeps in the cache
    (discussions.list_counts): a new Discussion shows in the next answer at once."""
    open_discussion(make_order(bulk_offer, buyer), now=OPENED)
    assert body(api.get("/sale/issues"))["totalCount"] == 1
    open_discussion(make_order(bulk_offer, buyer), now=OPENED + HOUR)
    assert body(api.get("/sale/issues"))["totalCount"] == 2


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("status=DISPUTE_OPEN", "status"),
        ("status=DISPUTE_ONGOING&status=open", "status"),
        ("checkoutForm.id=12345", "checkoutForm.id"),
    ],
)
def test_api_01_list_refuses_invalid_parameters_with_422(api, discussion, query, path):
    response = api.get(f"/sale/issues?{query}", language="en-US")

    assert response.status_code == 422
    [error] = body(response)["errors"]
    assert error["path"] == path
    assert error["code"] == "VALIDATION_ERROR"
    assert error["userMessage"]


def test_api_01_list_shows_only_the_token_accounts_disputes(discussion, other_token, other_seller_account, buyer):
    other_offer = OfferFactory(seller_account=other_seller_account, stock=5)
    others = open_discussion(make_order(other_offer, buyer))

    data = body(ApiClient(other_token).get("/sale/issues"))

    assert [i["id"] for i in data["issues"]] == [str(others.public_id)]
    assert data["totalCount"] == 1


def test_api_01_list_needs_a_valid_token_with_the_disputes_scope(discussion, expired_token, seller, oauth_app):
    assert ApiClient(None).get("/sale/issues").status_code == 401
    assert ApiClient(expired_token).get("/sale/issues").status_code == 401
    orders_only = make_token(seller, oauth_app, scope="allegro:api:orders:read")
    # The excerpt documents no 403 for this operation (it does for the others).
    assert ApiClient(orders_only).get("/sale/issues", contract_check=False).status_code == 403


def test_api_01_list_runs_a_constant_number_of_queries(api, bulk_offer, buyer, django_assert_max_num_queries):
    """1 and 100 Discussions cost the same: the token, the account, the count, the page,
    the messages' counts, the initial messages and their attachments."""
    open_discussion(make_order(bulk_offer, buyer), text="First", files=[upload()])
    with django_assert_max_num_queries(7) as one:
        assert body(api.get("/sale/issues?limit=100"))["totalCount"] == 1
    for i in range(99):
        files = [upload()] if i % 3 == 0 else []
        text = "Hello" if i % 2 == 0 else ""
        open_discussion(make_order(bulk_offer, buyer), text=text, files=files, now=OPENED + i * HOUR / 100)
    with django_assert_max_num_queries(len(one.captured_queries)) as hundred:
        data = body(api.get("/sale/issues?limit=100"))
    assert len(data["issues"]) == 100
    assert len(hundred.captured_queries) == len(one.captured_queries)


# --- GET /sale/issues/{issueId} ------------------------------------------------------


def test_api_01_detail_returns_the_issue(api, discussion):
    response = api.get(issues_path(discussion))

    assert response.status_code == 200
    listed = body(api.get("/sale/issues"))["issues"][0]
    assert body(response) == listed


def test_api_01_detail_of_another_account_or_an_unknown_id_is_404(discussion, other_token):
    other = ApiClient(other_token)

    assert other.get(issues_path(discussion)).status_code == 404
    response = other.get(f"/sale/issues/{uuid.uuid4()}")
    assert response.status_code == 404
    assert body(response)["errors"][0]["code"] == "NotFoundException"


def test_dsc_22_allowed_actions_are_the_web_pages_state_machine(api, discussion):
    issue = body(api.get(issues_path(discussion), language="en-US"))

    with translation.override("en"):
        expected = [
            {
                "action": a.action,
                "allowed": a.allowed,
                "reason": str(a.reason) or None,
                "availableFrom": api_time(a.available_from),
                "availableUntil": api_time(a.available_until),
            }
            for a in rules.allowed_actions(fresh(discussion), Role.SELLER, NOW).values()
        ]
    assert issue["allowedActions"] == expected
    by_action = {a["action"]: a for a in issue["allowedActions"]}
    # Not replied yet: the reply is due at the deadline; no solution to propose for NOT_RECEIVED.
    assert by_action["REPLY"] == {
        "action": "REPLY",
        "allowed": True,
        "reason": None,
        "availableFrom": None,
        "availableUntil": api_time(REPLY_DUE),
    }
    assert by_action["PROPOSE"]["allowed"] is False
    assert by_action["PROPOSE"]["reason"] == "Solutions are proposed in Discussions about a product problem."
    assert by_action["REQUEST_END"]["allowed"] is True


def test_dsc_22_a_closed_discussion_allows_nothing_and_its_chat_is_inactive(api, discussion, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=NOW - HOUR)

    issue = body(api.get(issues_path(discussion), language="en-US"))

    assert issue["currentState"]["status"] == "DISPUTE_CLOSED"
    assert issue["currentState"]["chatActive"] is False
    assert {a["action"]: (a["allowed"], a["reason"]) for a in issue["allowedActions"]} == {
        "REPLY": (False, "The Discussion is closed."),
        "PROPOSE": (False, "The Discussion is closed."),
        "REQUEST_END": (False, "The Discussion is closed."),
    }
    assert issue["replyDeadline"] is None


def test_dsc_06_reply_deadline_is_explained_as_on_the_web_page(api_at, order):
    friday = local(2026, 11, 27, 15)  # deadline Monday 15:00: the weekend is skipped
    discussion = open_discussion(order, now=friday)
    api = api_at(friday + HOUR)

    issue = body(api.get(issues_path(discussion), language="en-US"))

    with translation.override("en"):
        deadline = presenters.reply_deadline(fresh(discussion), friday + HOUR)
    assert issue["replyDeadline"] == {"dueDate": api_time(local(2026, 11, 30, 15)), "explanation": deadline.explanation}
    assert "saturday" in deadline.explanation and "sunday" in deadline.explanation


# --- GET /sale/issues/{issueId}/chat -------------------------------------------------


@pytest.fixture
def conversation(discussion, seller, mediator, buyer):
    """Automatic opening, buyer, seller, mediator joins (automatic) and writes."""
    services.post_message(discussion, author=seller, role=Role.SELLER, text="Sent yesterday.", now=NOW - HOUR)
    services.join_discussion(discussion, mediator=mediator, now=NOW - HOUR / 2)
    services.post_message(discussion, author=mediator, role=Role.MEDIATOR, text="Please check.", now=NOW - HOUR / 4)
    return discussion


def test_api_01_chat_lists_messages_newest_first_with_their_roles(api, conversation):
    response = api.get(issues_path(conversation, "/chat"), language="en-US")

    assert response.status_code == 200
    chat = body(response)["chat"]
    # Newest first; of one instant, automatic messages first (after what caused them, API-03).
    stored = sorted(conversation.messages.all(), key=lambda m: (m.created_at, m.kind == Message.Kind.AUTOMATIC, m.pk))
    stored.reverse()
    assert [m["id"] for m in chat] == [str(m.public_id) for m in stored]
    assert [m["author"] for m in chat] == [
        {"role": "ADMIN"} if m.author_role == Role.MEDIATOR else
        {"role": "SYSTEM"} if m.author_role == Role.SYSTEM else
        {"role": m.author_role, "login": m.author.username}
        for m in stored
    ]  # fmt: skip
    assert chat[0] == {
        "id": str(stored[0].public_id),
        "text": "Please check.",
        "attachments": [],
        "author": {"role": "ADMIN"},
        "createdAt": api_time(NOW - HOUR / 4),
    }
    roles = [m["author"]["role"] for m in chat]
    assert roles.count("SELLER") == 1 and roles.count("BUYER") == 1 and "SYSTEM" in roles
    buyer_message = next(m for m in chat if m["author"]["role"] == "BUYER")
    assert buyer_message["attachments"][0]["fileName"] == "label.png"


def test_i18n_01_chat_renders_automatic_messages_in_the_requested_language(api, discussion):
    opening = discussion.messages.get(author_role=Role.SYSTEM)

    def system_text(language):
        chat = body(api.get(issues_path(discussion, "/chat"), language=language))["chat"]
        return next(m["text"] for m in chat if m["author"]["role"] == "SYSTEM")

    english, polish = system_text("en-US"), system_text("pl-PL")

    with translation.override("en"):
        assert english == render_automatic(opening.auto_code, opening.auto_params, discussion.market)
    with translation.override("pl"):
        assert polish == render_automatic(opening.auto_code, opening.auto_params, discussion.market)
    assert english.startswith("The buyer started a Discussion.")
    assert polish != english


def test_rpt_03_a_hidden_message_shows_the_notice_without_text_or_attachments(api, discussion, seller, mediator):
    buyer_message = discussion.messages.get(author_role=Role.BUYER)
    report = services.report_message(buyer_message, reporter=seller, category=Report.Category.THREAT, now=NOW - HOUR)
    services.decide_report(
        report, mediator=mediator, decision=services.ReportDecision.HIDE, reason="Threat", now=NOW - HOUR / 2
    )

    chat = body(api.get(issues_path(discussion, "/chat"), language="en-US"))["chat"]
    issue = body(api.get(issues_path(discussion), language="en-US"))

    hidden = next(m for m in chat if m["id"] == str(buyer_message.public_id))
    assert hidden["text"] == "This message was hidden by Allegro."
    assert hidden["attachments"] == []
    assert issue["chat"]["initialMessage"]["text"] == "This message was hidden by Allegro."
    assert issue["attachments"] == []


def test_api_01_chat_pages_with_limit_and_offset(api, conversation):
    everything = body(api.get(issues_path(conversation, "/chat?limit=100")))["chat"]
    first = body(api.get(issues_path(conversation, "/chat?limit=2")))["chat"]
    rest = body(api.get(issues_path(conversation, "/chat?limit=100&offset=2")))["chat"]

    assert len(everything) == conversation.messages.count() == 5
    assert first + rest == everything
    issue = body(api.get(issues_path(conversation)))
    assert issue["chat"]["messagesCount"] == 5
    assert issue["chat"]["lastMessage"] == {"status": "ALLEGRO_ADVISOR_REPLIED", "createdAt": api_time(NOW - HOUR / 4)}


def test_api_01_chat_refuses_invalid_paging_with_422(api, discussion):
    # The excerpt lists no 422 for /chat; we answer invalid paging as /sale/issues does.
    response = api.get(issues_path(discussion, "/chat?limit=101"), contract_check=False)

    assert response.status_code == 422
    assert body(response)["errors"][0]["path"] == "limit"


def test_api_01_chat_of_another_account_is_404(discussion, other_token):
    assert ApiClient(other_token).get(issues_path(discussion, "/chat")).status_code == 404


def test_api_01_chat_runs_a_constant_number_of_queries(api, discussion, buyer, seller, django_assert_max_num_queries):
    with django_assert_max_num_queries(5) as few:
        assert len(body(api.get(issues_path(discussion, "/chat?limit=100")))["chat"]) == 2
    for i in range(98):
        author, role = (buyer, Role.BUYER) if i % 2 else (seller, Role.SELLER)
        files = [upload()] if i % 10 == 0 else []
        services.post_message(
            discussion, author=author, role=role, text=f"#{i}", files=files, now=NOW - HOUR + i * SECOND
        )
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert len(body(api.get(issues_path(discussion, "/chat?limit=100")))["chat"]) == 100
    assert len(many.captured_queries) == len(few.captured_queries)


# --- POST /sale/issues/{issueId}/message ---------------------------------------------


def post_message(api, discussion, data, **kwargs):
    return api.post(issues_path(discussion, "/message"), data, **kwargs)


def test_dsc_11_seller_posts_a_regular_message(api, discussion):
    response = post_message(api, discussion, {"text": "Sent today, DPD.", "type": "REGULAR", "attachment": None})

    assert response.status_code == 201
    data = body(response)
    message = Message.objects.get(public_id=data["id"])
    assert data == {
        "id": str(message.public_id),
        "text": "Sent today, DPD.",
        "attachments": [],
        "author": {"login": "seller", "role": "SELLER"},
        "createdAt": api_time(NOW),
    }
    after = fresh(discussion)
    assert after.last_message_status == Discussion.LastMessageStatus.SELLER_REPLIED
    assert after.seller_replied_at == NOW
    assert message.author_role == Role.SELLER and message.kind == Message.Kind.REGULAR


def test_dsc_12_end_request_asks_the_buyer_to_mark_the_discussion_resolved(api, discussion):
    response = post_message(api, discussion, {"type": "END_REQUEST"}, language="en-US")

    assert response.status_code == 201
    data = body(response)
    assert data["text"] == "The seller asks you to mark the Discussion as resolved."
    end = Message.objects.get(public_id=data["id"])
    assert end.kind == Message.Kind.END_REQUEST and end.author_role == Role.SELLER
    # SAFE-04: the request is the one message (no automatic copy of it).
    assert not discussion.messages.filter(kind=Message.Kind.AUTOMATIC, auto_code="END_REQUEST").exists()
    assert fresh(discussion).last_message_status == Discussion.LastMessageStatus.SELLER_REPLIED


def test_dsc_12_end_request_with_text_posts_the_text_first(api, discussion):
    response = post_message(api, discussion, {"type": "END_REQUEST", "text": "Refunded. All good?"})

    assert response.status_code == 201
    assert body(response)["text"] == "Refunded. All good?"
    seller_messages = discussion.messages.filter(author_role=Role.SELLER).order_by("pk")
    assert [(m.kind, m.text) for m in seller_messages] == [
        (Message.Kind.REGULAR, "Refunded. All good?"),
        (Message.Kind.END_REQUEST, ""),
    ]


def test_dsc_12_end_request_is_refused_with_409_while_allegro_handles_it_as_unresolved(api_at, discussion, buyer):
    services.mark_unresolved(discussion, buyer=buyer, now=OPENED + 8 * DAY)
    api = api_at(OPENED + 8 * DAY + HOUR)

    response = post_message(api, discussion, {"type": "END_REQUEST", "text": "Done?"})

    assert response.status_code == 409
    assert body(response)["errors"][0]["code"] == "END_REQUEST_NOT_ALLOWED"
    assert not discussion.messages.filter(author_role=Role.SELLER).exists()


@pytest.mark.parametrize("kind", ["RETURN_REQUIRED_SELLER_LABEL", "RETURN_REQUIRED_CUSTOM", "RETURN_NOT_REQUIRED"])
def test_api_01_return_message_types_are_for_claims_only(api, discussion, kind):
    response = post_message(api, discussion, {"type": kind, "text": "Send it back."})

    assert response.status_code == 422
    assert body(response)["errors"][0]["path"] == "type"
    assert not discussion.messages.filter(author_role=Role.SELLER).exists()


def test_dsc_15_a_closed_discussion_refuses_messages_with_409(api, discussion, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=NOW - HOUR)

    response = post_message(api, discussion, {"type": "REGULAR", "text": "Hello?"}, language="en-US")

    assert response.status_code == 409
    [error] = body(response)["errors"]
    assert error["code"] == "DISCUSSION_CLOSED"
    assert error["userMessage"] == "The Discussion is closed."
    assert not discussion.messages.filter(author_role=Role.SELLER).exists()


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"type": "REGULAR", "text": ""}, "text"),
        ({"type": "REGULAR", "text": "   \n"}, "text"),
        ({"type": "REGULAR"}, "text"),
        ({"type": "REGULAR", "text": "x" * 20_001}, "text"),
        ({"text": "No type"}, "type"),
        ({"type": "URGENT", "text": "Hi"}, "type"),
        ({"type": "REGULAR", "text": "Hi", "attachments": [{"id": "not-a-uuid"}]}, "attachments[0].id"),
        ({"type": "REGULAR", "text": "Hi", "attachments": [{"id": str(uuid.uuid4())}]}, "attachments[0].id"),
        ({"type": "REGULAR", "text": "Hi", "attachment": {"id": str(uuid.uuid4())}}, "attachment.id"),
    ],
)
def test_dsc_11_invalid_messages_are_refused_with_422(api, discussion, data, path):
    response = post_message(api, discussion, data)

    assert response.status_code == 422
    assert body(response)["errors"][0]["path"] == path
    assert not discussion.messages.filter(author_role=Role.SELLER).exists()


def test_dsc_11_the_longest_message_is_accepted(api, discussion):
    response = post_message(api, discussion, {"type": "REGULAR", "text": "x" * 20_000})

    assert response.status_code == 201


def test_api_01_posting_in_another_accounts_discussion_is_404(discussion, other_token):
    response = post_message(ApiClient(other_token), discussion, {"type": "REGULAR", "text": "Hi"})

    assert response.status_code == 404
    assert not discussion.messages.filter(author_role=Role.SELLER).exists()


def test_issue_13_whether_the_seller_wrote_is_looked_up_per_discussion(api, discussion, seller):
    """`sellerWrote`-like columns of an issue are read through the Discussion's own messages
    (the first seller message's id, LIMIT 1, through message_discussion_idx). As an
    EXISTS, PostgreSQL answered it from a hash of every seller message of the table once
    the page held many Discussions: a scan of all messages on every page (bench/pages.py,
    10,000 Discussions: 0.45 ms of the query's 2.2). A LIMIT keeps it per Discussion."""
    from api.issue_queries import issue_values

    sql = str(issue_values(Discussion.objects.all()).query)
    end = sql.index(' AS "seller_wrote"')
    seller_wrote = sql[sql.rindex("(SELECT", 0, end) : end]
    assert seller_wrote.endswith("LIMIT 1) IS NOT NULL"), seller_wrote
    assert '"discussions_message"' in seller_wrote and "SELLER" in seller_wrote and "EXISTS" not in seller_wrote
    services.post_message(discussion, author=seller, role=Role.SELLER, text="Wysłane", now=NOW)
    assert api.get(issues_path()).status_code == 200
    assert issue_values(Discussion.objects.filter(pk=discussion.pk)).get()["seller_wrote"] is True
