"""API-03: what an issue says agrees with the reference and with /chat.

- `subject` is the reference's enumerated English text for the reason (read here from
  the excerpt's PostPurchaseIssue.subject description), in the requested language;
- `chat.initialMessage` is the oldest message of /chat, with the same author;
- `chat.lastMessage` is the newest message of /chat (automatic ones included), and its
  status follows the reference's definitions from the authors /chat shows.

Every response is validated against the excerpt by the `api` client.
"""

import re

import pytest
import yaml

from discussions import services
from discussions.models import Reason, Role
from orders import services as order_services
from orders.models import Shipment
from tests.api.contract import EXCERPT, body
from tests.api.test_issues import NOW, upload
from tests.discussions.conftest import HOUR, OPENED, fresh, make_order, open_discussion

OUR_REASON_CODES = {
    Reason.NOT_RECEIVED: "NO_PRODUCT_RECEIVED",
    Reason.PRODUCT_PROBLEM: "NOT_AS_DESCRIBED",
    Reason.WITHDRAWAL_PROBLEM: "PROBLEM_WITH_WITHDRAWAL_CANCELLATION_OF_PURCHASE",
    Reason.NO_PAYMENT_REFUND: "NO_REFUND_AFTER_CANCELING_ORDER",
    Reason.NO_REFUND_AFTER_RETURN: "NO_REFUND_AFTER_RETURNING_PRODUCT",
}


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


def reference_subjects():
    """{reason code: English text} as the excerpt's description of `subject` lists them
    ("- NO_PRODUCT_RECEIVED - I have not received the product - …")."""
    spec = yaml.safe_load(EXCERPT.read_text())
    description = spec["components"]["schemas"]["PostPurchaseIssue"]["properties"]["subject"]["description"]
    pairs = re.findall(r"- ([A-Z_]+) - (.+?)(?= - [A-Z_]+ - |$)", description.split(":", 1)[1])
    return dict(pairs)


def full_chat(api, discussion):
    return body(api.get(f"/sale/issues/{discussion.public_id}/chat?limit=100", language="en-US"))["chat"]


def issue_of(api, discussion):
    return body(api.get(f"/sale/issues/{discussion.public_id}", language="en-US"))


def status_from_chat(chat):
    """PostPurchaseIssueLastMessage.status as the reference defines it, from the authors
    /chat shows (newest first): NEW while the seller never wrote; else who wrote last
    (automatic messages are written by no one)."""
    written = [m["author"]["role"] for m in chat if m["author"]["role"] != "SYSTEM"]
    if written and written[0] == "SELLER":
        return "SELLER_REPLIED"
    if "SELLER" not in written or not written:
        return "NEW"
    return {"BUYER": "BUYER_REPLIED", "ADMIN": "ALLEGRO_ADVISOR_REPLIED"}[written[0]]


def assert_agrees_with_chat(api, discussion):
    issue, chat = issue_of(api, discussion), full_chat(api, discussion)
    assert issue["chat"]["messagesCount"] == len(chat)
    assert issue["chat"]["initialMessage"] == chat[-1]  # same id, text, attachments, author, instant
    assert issue["chat"]["lastMessage"] == {"status": status_from_chat(chat), "createdAt": chat[0]["createdAt"]}
    listed = body(api.get("/sale/issues?limit=100", language="en-US"))["issues"]
    assert next(i for i in listed if i["id"] == issue["id"])["chat"] == issue["chat"]
    return issue, chat


# --- subject ----------------------------------------------------------------------------


def test_api_03_the_excerpt_lists_the_texts_we_use():
    subjects = reference_subjects()
    assert len(subjects) == 19 and subjects["OTHER"] == "my reason is not on the list"
    assert set(OUR_REASON_CODES.values()) <= set(subjects)


@pytest.mark.parametrize("reason", list(Reason), ids=lambda reason: reason.value)
def test_api_03_subject_is_the_references_english_text_for_the_reason(api, offer, buyer, reason):
    solution = {"expected_solution": "REFUND"} if reason == Reason.PRODUCT_PROBLEM else {}
    discussion = open_discussion(make_order(offer, buyer), reason=reason, **solution)

    for language in ("en-US", "en"):
        issue = body(api.get(f"/sale/issues/{discussion.public_id}", language=language))
        assert issue["subject"] == reference_subjects()[OUR_REASON_CODES[reason]]


def test_api_03_subject_follows_accept_language_as_the_reference_says(api, offer, buyer):
    """The reference's Accept-Language is the "expected language of subject field"."""
    discussion = open_discussion(make_order(offer, buyer), reason=Reason.NOT_RECEIVED)
    subjects = {
        language: body(api.get(f"/sale/issues/{discussion.public_id}", language=language))["subject"]
        for language in ("en-US", "pl-PL", "cs-CZ", "sk-SK", "hu-HU")
    }
    assert subjects == {
        "en-US": "I have not received the product",
        "pl-PL": "nie otrzymałem produktu",
        "cs-CZ": "neobdržel jsem produkt",
        "sk-SK": "nedostal som produkt",
        "hu-HU": "nem kaptam meg a terméket",
    }


# --- initialMessage ---------------------------------------------------------------------


def test_api_03_initial_message_is_the_buyers_opening_message_and_the_oldest_of_chat(api, offer, buyer):
    discussion = open_discussion(make_order(offer, buyer), text="Where is my parcel?", files=[upload("label.png")])

    issue, chat = assert_agrees_with_chat(api, discussion)

    assert chat[-1]["text"] == "Where is my parcel?"
    assert chat[-1]["author"] == {"login": "buyer", "role": "BUYER"}
    # The automatic opening message of the same instant comes after it, as SYSTEM.
    assert chat[-2]["author"] == {"role": "SYSTEM"} and chat[-2]["createdAt"] == chat[-1]["createdAt"]
    assert issue["attachments"] == chat[-1]["attachments"] != []


def test_api_03_without_the_buyers_text_the_automatic_opening_is_the_buyers_in_chat_too(api, offer, buyer):
    """The reference's initial message has role BUYER or ADMIN, so the automatic message
    that stands for it has that author in /chat as well (it said SYSTEM there before)."""
    discussion = open_discussion(make_order(offer, buyer))

    _issue, chat = assert_agrees_with_chat(api, discussion)

    assert chat == [chat[-1]]
    assert chat[-1]["author"] == {"login": "buyer", "role": "BUYER"}
    assert chat[-1]["text"].startswith("The buyer started a Discussion.")


def test_api_03_a_discussion_allegro_opened_starts_with_an_admin_message_in_both(api, offer, buyer, mediator):
    order = make_order(offer, buyer)
    services.open_on_buyers_behalf(
        order, mediator=mediator, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED, note="Phoned us", now=OPENED
    )
    [discussion] = order.discussions.all()

    _issue, chat = assert_agrees_with_chat(api, discussion)

    assert chat[-1]["author"] == {"role": "ADMIN"}


# --- lastMessage ------------------------------------------------------------------------


def test_api_03_last_message_is_the_newest_of_chat_automatic_messages_included(api, offer, buyer, seller, mediator):
    discussion = open_discussion(make_order(offer, buyer), text="Where is my parcel?")
    services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Sent.", now=OPENED + HOUR)
    services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + 2 * HOUR)  # automatic

    issue, chat = assert_agrees_with_chat(api, discussion)

    assert chat[0]["author"]["role"] == "SYSTEM"
    assert issue["chat"]["lastMessage"] == {"status": "SELLER_REPLIED", "createdAt": "2026-11-25T10:00:00.000Z"}


def test_api_03_last_message_status_is_new_until_the_seller_writes(api, offer, buyer, seller, mediator):
    discussion = open_discussion(make_order(offer, buyer), text="Where is my parcel?")
    services.post_message(fresh(discussion), author=buyer, role=Role.BUYER, text="Hello?", now=OPENED + HOUR / 2)
    issue, _chat = assert_agrees_with_chat(api, discussion)
    assert issue["chat"]["lastMessage"]["status"] == "NEW"  # our web list says "buyer replied"

    services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Sent.", now=OPENED + HOUR)
    services.post_message(fresh(discussion), author=buyer, role=Role.BUYER, text="Thanks", now=OPENED + 2 * HOUR)
    issue, _chat = assert_agrees_with_chat(api, discussion)
    assert issue["chat"]["lastMessage"]["status"] == "BUYER_REPLIED"

    services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + 3 * HOUR)
    services.post_message(
        fresh(discussion), author=mediator, role=Role.MEDIATOR, text="Checking.", now=OPENED + 4 * HOUR
    )
    issue, _chat = assert_agrees_with_chat(api, discussion)
    assert issue["chat"]["lastMessage"]["status"] == "ALLEGRO_ADVISOR_REPLIED"


def test_api_03_a_chat_of_automatic_messages_is_not_seller_replied(api, offer, buyer, seller):
    """Entering tracking inside the deadline counts as the seller's reply (DSC-07) and
    posts an automatic message; our column says SELLER_REPLIED, but /chat holds no
    message of the seller: the issue says NEW, at the automatic message's instant."""
    order = make_order(offer, buyer)
    discussion = open_discussion(order)
    order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.DPD, tracking_number="DPD-123456", now=OPENED + HOUR
    )
    assert fresh(discussion).last_message_status == "SELLER_REPLIED"

    issue, chat = assert_agrees_with_chat(api, discussion)

    assert [m["author"]["role"] for m in chat] == ["SYSTEM", "BUYER"]
    assert issue["chat"]["lastMessage"] == {"status": "NEW", "createdAt": chat[0]["createdAt"]}


def test_api_03_the_cached_issue_follows_a_new_automatic_message(api, offer, buyer, seller, mediator):
    """The issue cache (api.issue_cache) keys on what the page row read: a new automatic
    message changes lastMessage and messagesCount at once."""
    discussion = open_discussion(make_order(offer, buyer), text="Where is my parcel?")
    services.post_message(fresh(discussion), author=seller, role=Role.SELLER, text="Sent.", now=OPENED + HOUR)
    before = body(api.get("/sale/issues", language="en-US"))["issues"][0]["chat"]

    services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + 2 * HOUR)
    after = body(api.get("/sale/issues", language="en-US"))["issues"][0]["chat"]

    assert after["messagesCount"] == before["messagesCount"] + 1
    assert before["lastMessage"]["createdAt"] == "2026-11-25T09:00:00.000Z"
    assert after["lastMessage"]["createdAt"] == "2026-11-25T10:00:00.000Z"
