"""DSC-01…22 and RPT-01: the Discussion workflows in the discussions.services package, the state
machine in discussions/rules.py and the reactions to order events.

Orders are made through orders.services and every service and task gets an explicit
`now=` (see conftest.py for the instants: bought Wed 2026-11-25 08:00 Warsaw, opened at
09:00, seller reply due Thu 09:00).
"""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from core.errors import DomainError
from discussions import rules, services, tasks
from discussions.models import (
    Attachment,
    Discussion,
    Message,
    Notification,
    Proposal,
    Reason,
    Report,
    Role,
    Solution,
    StatusChange,
)
from discussions.rules import Action
from discussions.texts import render_automatic
from orders import services as order_services
from orders.models import Order, Shipment
from tests import files
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

Status = Discussion.Status
CloseReason = Discussion.CloseReason
LastMessage = Discussion.LastMessageStatus
Kind = Notification.Kind

# A real one-page PDF: a file that only starts and ends like one is refused (SAFE-08).
PDF_BYTES = files.pdf()


# --- helpers --------------------------------------------------------------------------


def auto_codes(discussion):
    return list(
        Message.objects.filter(discussion=discussion, kind=Message.Kind.AUTOMATIC)
        .order_by("created_at", "pk")
        .values_list("auto_code", flat=True)
    )


def notification_kinds(user, discussion=None):
    qs = Notification.objects.filter(recipient=user)
    if discussion is not None:
        qs = qs.filter(discussion=discussion)
    return list(qs.order_by("pk").values_list("kind", flat=True))


def png_upload(name="photo.png", size=(16, 12)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def say(discussion, user, role, text="Dzień dobry", now=OPENED + HOUR, **kwargs):
    return services.post_message(discussion, author=user, role=role, text=text, now=now, **kwargs)


def ship(order, seller, now):
    return order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="INP-000111", now=now
    )


def deliver(order, delivered_at):
    shipment = Shipment.objects.get(order=order)
    assert order_services.record_delivery(shipment, delivered_at=delivered_at, now=delivered_at)


def status_rows(discussion):
    return list(
        StatusChange.objects.filter(discussion=discussion)
        .order_by("at", "pk")
        .values_list("actor_role", "from_status", "to_status", "from_open", "to_open", "close_reason")
    )


# --- DSC-01 opening window and who may open --------------------------------------------


def test_dsc_01_opening_within_the_first_hour_is_refused_and_the_date_it_becomes_possible_is_given(order):
    too_early = BOUGHT + HOUR - SECOND
    window = rules.opening_availability(order, too_early)
    assert not window.allowed
    assert window.reason
    assert window.available_from == BOUGHT + HOUR

    with pytest.raises(DomainError) as error:
        open_discussion(order, now=too_early)
    assert str(error.value).startswith(str(window.reason))
    assert "25.11.2026 09:00 CET" in str(error.value)  # the instant it becomes possible, market time
    assert not Discussion.objects.exists()

    assert open_discussion(order, now=BOUGHT + HOUR).is_open


def test_dsc_01_opening_more_than_730_days_after_the_purchase_is_refused(order):
    last = BOUGHT + timedelta(days=730)
    window = rules.opening_availability(order, last + SECOND)
    assert not window.allowed
    assert window.available_until == last
    with pytest.raises(DomainError):
        open_discussion(order, now=last + SECOND)
    assert not Discussion.objects.exists()

    assert rules.opening_availability(order, last).allowed
    assert open_discussion(order, now=last).is_open


def test_dsc_01_only_the_orders_buyer_can_open_a_discussion(order, other_buyer, seller, mediator):
    for user in (other_buyer, seller, mediator):
        with pytest.raises(DomainError):
            open_discussion(order, buyer=user)
    assert not Discussion.objects.exists()


# --- DSC-02 reason and product -------------------------------------------------------


@pytest.mark.parametrize("reason", ["", None, "BROKEN"])
def test_dsc_02_a_reason_is_required(order, reason):
    with pytest.raises(DomainError) as error:
        open_discussion(order, reason=reason)
    assert error.value.field == "reason"
    assert not Discussion.objects.exists()


@pytest.mark.parametrize("line_id", ["", None, "abc", 999_999])
def test_dsc_02_the_product_is_required(order, buyer, line_id):
    with pytest.raises(DomainError) as error:
        services.open_discussion(order, buyer=buyer, line_id=line_id, reason=Reason.NOT_RECEIVED, now=OPENED)
    assert error.value.field == "line"
    assert not Discussion.objects.exists()


def test_dsc_02_a_line_of_another_order_is_refused(order, offer, buyer):
    another = make_order(offer, buyer)
    with pytest.raises(DomainError) as error:
        services.open_discussion(
            order, buyer=buyer, line_id=another.lines.get().pk, reason=Reason.NOT_RECEIVED, now=OPENED
        )
    assert error.value.field == "line"
    assert not Discussion.objects.exists()


def test_dsc_02_the_discussion_is_about_the_chosen_line(order):
    discussion = fresh(open_discussion(order, reason=Reason.WITHDRAWAL_PROBLEM))
    assert discussion.line == order.lines.get()
    assert discussion.reason == Reason.WITHDRAWAL_PROBLEM
    assert discussion.order == order
    assert discussion.seller_account_id == order.seller_account_id
    assert discussion.market_id == "PL"


# --- DSC-03 expected solution --------------------------------------------------------

# The order line is one unit of 100.00 PLN.
INVALID_SOLUTIONS = [
    pytest.param(Reason.PRODUCT_PROBLEM, "", None, None, "expected_solution", id="product-problem-without-solution"),
    pytest.param(Reason.PRODUCT_PROBLEM, "MONEY", None, None, "expected_solution", id="unknown-solution"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", None, None, "expected_amount", id="partial-no-value"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", "10.00", 10, "expected_amount", id="partial-both"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", "0", None, "expected_amount", id="amount-zero"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", "-5", None, "expected_amount", id="amount-negative"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", "100.01", None, "expected_amount", id="amount-above-line"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", "abc", None, "expected_amount", id="amount-not-a-number"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", None, 0, "expected_percent", id="percent-0"),
    pytest.param(Reason.PRODUCT_PROBLEM, "PARTIAL_REFUND", None, 100, "expected_percent", id="percent-100"),
    pytest.param(Reason.PRODUCT_PROBLEM, "REPAIR", "10.00", None, "expected_amount", id="amount-with-repair"),
    pytest.param(Reason.NOT_RECEIVED, "REFUND", None, None, "expected_solution", id="solution-with-other-reason"),
    pytest.param(Reason.NO_PAYMENT_REFUND, "", "10.00", None, "expected_solution", id="amount-with-other-reason"),
]


@pytest.mark.parametrize(("reason", "solution", "amount", "percent", "field"), INVALID_SOLUTIONS)
def test_dsc_03_invalid_expected_solutions_are_refused(order, reason, solution, amount, percent, field):
    with pytest.raises(DomainError) as error:
        open_discussion(
            order, reason=reason, expected_solution=solution, expected_amount=amount, expected_percent=percent
        )
    assert error.value.field == field
    assert not Discussion.objects.exists()


@pytest.mark.parametrize(
    ("solution", "amount", "percent", "stored_amount", "stored_percent"),
    [
        ("REPAIR", None, None, None, None),
        ("REPLACEMENT", None, None, None, None),
        ("REFUND", None, None, None, None),
        ("PARTIAL_REFUND", "0.01", None, Decimal("0.01"), None),
        ("PARTIAL_REFUND", "100.00", None, Decimal("100.00"), None),
        ("PARTIAL_REFUND", None, 1, None, 1),
        ("PARTIAL_REFUND", None, "99", None, 99),
    ],
)
def test_dsc_03_valid_expected_solutions_are_stored(order, solution, amount, percent, stored_amount, stored_percent):
    discussion = fresh(
        open_discussion(
            order,
            reason=Reason.PRODUCT_PROBLEM,
            expected_solution=solution,
            expected_amount=amount,
            expected_percent=percent,
        )
    )
    assert discussion.expected_solution == solution
    assert discussion.expected_amount == stored_amount
    assert discussion.expected_percent == stored_percent


def test_dsc_03_the_amount_limit_is_the_lines_paid_value(offer, buyer):
    order = make_order(offer, buyer, quantity=2)  # 2 × 100.00
    discussion = open_discussion(
        order, reason=Reason.PRODUCT_PROBLEM, expected_solution=Solution.PARTIAL_REFUND, expected_amount="150.00"
    )
    assert fresh(discussion).expected_amount == Decimal("150.00")


# --- DSC-04 the automatic first message and the seller's notification ---------------


def test_dsc_04_opening_posts_the_automatic_first_message_and_notifies_the_seller(order, seller, buyer):
    discussion = open_discussion(order)

    (message,) = Message.objects.filter(discussion=discussion)
    assert message.kind == Message.Kind.AUTOMATIC
    assert message.author is None
    assert message.author_role == Role.SYSTEM
    assert message.auto_code == "OPENED"
    assert message.auto_params["reason"] == Reason.NOT_RECEIVED
    assert message.auto_params["product"] == "Headphones"
    assert message.created_at == OPENED
    assert "Headphones" in render_automatic(message.auto_code, message.auto_params, discussion.market)

    notification = Notification.objects.get(recipient=seller)
    assert notification.kind == Kind.NEW_DISCUSSION
    assert notification.discussion == discussion
    assert datetime.fromisoformat(notification.params["due"]) == REPLY_DUE
    assert notification_kinds(buyer) == []


def test_dsc_04_opening_with_an_expected_solution_says_so(order):
    discussion = open_discussion(
        order, reason=Reason.PRODUCT_PROBLEM, expected_solution=Solution.PARTIAL_REFUND, expected_percent=25
    )
    message = Message.objects.get(discussion=discussion)
    assert message.auto_code == "OPENED_WITH_SOLUTION"
    assert message.auto_params["solution"] == Solution.PARTIAL_REFUND
    assert message.auto_params["solution_percent"] == 25


def test_dsc_04_the_buyer_may_add_their_own_text_after_the_automatic_message(order, buyer):
    discussion = open_discussion(order, text="  Paczka nie dotarła.  ")
    automatic, own = Message.objects.filter(discussion=discussion).order_by("pk")
    assert automatic.kind == Message.Kind.AUTOMATIC
    assert own.author == buyer
    assert own.author_role == Role.BUYER
    assert own.kind == Message.Kind.REGULAR
    assert own.text == "Paczka nie dotarła."


def test_dsc_04_the_buyer_may_attach_files_when_opening(order, buyer):
    discussion = open_discussion(order, files=[png_upload()])
    own = Message.objects.get(discussion=discussion, author=buyer)
    assert own.text == ""
    assert own.attachments.get().content_type == "image/png"


# --- DSC-05 one open Discussion per line ---------------------------------------------


def test_dsc_05_a_second_open_discussion_on_the_same_line_is_refused(order):
    first = open_discussion(order)
    with pytest.raises(DomainError) as error:
        open_discussion(order, now=OPENED + HOUR, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPAIR")
    assert error.value.field == "line"
    assert list(Discussion.objects.values_list("pk", flat=True)) == [first.pk]
    assert Message.objects.count() == 1
    assert Notification.objects.count() == 1


def test_dsc_05_after_closing_a_new_discussion_about_the_line_is_allowed(discussion, order, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    second = open_discussion(order, now=OPENED + 2 * HOUR, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPAIR")
    assert second.pk != discussion.pk
    assert second.is_open
    assert Discussion.objects.filter(is_open=True).count() == 1


def test_dsc_05_other_lines_of_other_orders_are_independent(order, offer, buyer):
    open_discussion(order)
    other_order = make_order(offer, buyer)
    assert open_discussion(other_order).is_open


# --- DSC-06 the seller's reply deadline ------------------------------------------------


def test_dsc_06_reply_due_24_business_hours_after_a_midweek_start(discussion):
    assert fresh(discussion).reply_due_at == REPLY_DUE


def test_dsc_06_reply_due_skips_the_weekend(offer, buyer):
    order = make_order(offer, buyer, now=local(2026, 11, 27, 10))
    discussion = open_discussion(order, now=local(2026, 11, 27, 15))  # Friday
    assert fresh(discussion).reply_due_at == local(2026, 11, 30, 15)  # Monday


def test_dsc_06_reply_due_skips_a_public_holiday(offer, buyer):
    order = make_order(offer, buyer, now=local(2026, 11, 10, 10))
    discussion = open_discussion(order, now=local(2026, 11, 10, 18))  # 11 November is a holiday
    assert fresh(discussion).reply_due_at == local(2026, 11, 12, 18)


def test_dsc_06_a_discussion_opened_on_saturday_counts_from_monday(offer, buyer):
    order = make_order(offer, buyer, now=local(2026, 11, 28, 8))
    discussion = open_discussion(order, now=local(2026, 11, 28, 10))
    assert fresh(discussion).reply_due_at == local(2026, 12, 1, 0)


# --- DSC-07 order events that count as the seller's reply ------------------------------

EVENT_CODES = {
    "tracking": ("TRACKING_ENTERED", "TRACKING_ENTERED"),
    "handed_over": ("HANDED_OVER", "HANDED_OVER"),
    "delivered": ("DELIVERED_WAITING", "DELIVERED"),  # NOT_RECEIVED waits 24 h (DSC-20b)
    "refund": ("REFUNDED", "REFUNDED"),
}


def prepare_event(event, order, seller):
    """What must have happened before the Discussion opened for `event` to be possible."""
    if event in ("handed_over", "delivered"):
        ship(order, seller, BOUGHT + timedelta(minutes=30))


def fire_event(event, order, seller, now):
    if event == "tracking":
        ship(order, seller, now)
    elif event == "handed_over":
        order_services.mark_handed_over(order, seller=seller, now=now)
    elif event == "delivered":
        deliver(order, now)
    elif event == "refund":
        order_services.refund_order(order, seller=seller, amount="10.00", now=now)
    else:
        raise AssertionError(event)


def expected_code(event, reason):
    not_received, other = EVENT_CODES[event]
    return not_received if reason == Reason.NOT_RECEIVED else other


@pytest.mark.parametrize("reason", [Reason.NOT_RECEIVED, Reason.NO_REFUND_AFTER_RETURN])
@pytest.mark.parametrize("event", list(EVENT_CODES))
def test_dsc_07_an_order_event_inside_the_deadline_counts_as_the_sellers_reply(order, seller, buyer, event, reason):
    prepare_event(event, order, seller)
    discussion = open_discussion(order, reason=reason)
    at = OPENED + 2 * HOUR

    fire_event(event, order, seller, at)

    discussion = fresh(discussion)
    assert discussion.is_open
    assert discussion.seller_replied_at == at
    assert discussion.first_reply_seconds == 2 * 3600
    assert discussion.last_message_status == LastMessage.SELLER_REPLIED
    message = Message.objects.filter(discussion=discussion, kind=Message.Kind.AUTOMATIC).latest("pk")
    assert message.auto_code == expected_code(event, reason)
    assert message.counts_as_seller_reply
    assert message.created_at == at
    # The buyer hears about it (NTF-01), and the seller is not overdue any more.
    assert Notification.objects.filter(recipient=buyer, discussion=discussion, created_at=at).exists()
    assert tasks.mark_seller_overdue(now=REPLY_DUE + HOUR) == 0
    assert fresh(discussion).seller_overdue_at is None


@pytest.mark.parametrize("reason", [Reason.NOT_RECEIVED, Reason.NO_REFUND_AFTER_RETURN])
@pytest.mark.parametrize("event", list(EVENT_CODES))
def test_dsc_07_an_order_event_after_the_deadline_does_not_count(order, seller, event, reason):
    prepare_event(event, order, seller)
    discussion = open_discussion(order, reason=reason)
    at = REPLY_DUE + SECOND

    fire_event(event, order, seller, at)

    discussion = fresh(discussion)
    assert discussion.seller_replied_at is None
    assert discussion.first_reply_seconds is None
    assert discussion.last_message_status == LastMessage.NEW
    message = Message.objects.filter(discussion=discussion, kind=Message.Kind.AUTOMATIC).latest("pk")
    assert message.auto_code == expected_code(event, reason)
    assert not message.counts_as_seller_reply


@pytest.mark.parametrize("event", list(EVENT_CODES))
def test_dsc_07_order_events_do_not_count_for_a_product_problem(order, seller, event):
    prepare_event(event, order, seller)
    discussion = open_discussion(order, reason=Reason.PRODUCT_PROBLEM, expected_solution=Solution.REPAIR)

    fire_event(event, order, seller, OPENED + 2 * HOUR)

    discussion = fresh(discussion)
    assert discussion.is_open
    assert discussion.seller_replied_at is None
    assert discussion.last_message_status == LastMessage.NEW
    message = Message.objects.filter(discussion=discussion, kind=Message.Kind.AUTOMATIC).latest("pk")
    assert message.auto_code == EVENT_CODES[event][1]
    assert not message.counts_as_seller_reply
    assert discussion.delivery_close_at is None


def test_dsc_07_an_event_after_a_seller_message_does_not_change_the_first_reply(discussion, order, seller):
    say(discussion, seller, Role.SELLER, now=OPENED + HOUR)
    ship(order, seller, OPENED + 3 * HOUR)
    discussion = fresh(discussion)
    assert discussion.seller_replied_at == OPENED + HOUR
    assert discussion.first_reply_seconds == 3600
    assert Message.objects.get(discussion=discussion, auto_code="TRACKING_ENTERED").counts_as_seller_reply is False


def test_dsc_07_events_of_another_order_do_not_touch_the_discussion(discussion, offer, buyer, seller):
    other = make_order(offer, buyer)
    ship(other, seller, OPENED + HOUR)
    assert fresh(discussion).seller_replied_at is None
    assert auto_codes(discussion) == ["OPENED"]


# --- DSC-08 seller overdue and asking for help ---------------------------------------------


def test_dsc_08_the_sweep_marks_the_seller_overdue_and_the_buyer_may_ask_for_help(discussion, buyer, seller):
    assert tasks.mark_seller_overdue(now=REPLY_DUE - SECOND) == 0
    assert fresh(discussion).seller_overdue_at is None
    with pytest.raises(DomainError):
        services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE - SECOND)

    assert tasks.mark_seller_overdue(now=REPLY_DUE + SECOND) == 1
    discussion = fresh(discussion)
    assert discussion.seller_overdue_at == REPLY_DUE + SECOND
    assert auto_codes(discussion) == ["OPENED", "SELLER_OVERDUE"]
    assert notification_kinds(buyer, discussion) == [Kind.DEADLINE_MISSED]

    assert rules.availability(discussion, Role.BUYER, Action.ASK_FOR_HELP, REPLY_DUE + HOUR).allowed
    services.ask_for_help(discussion, buyer=buyer, now=REPLY_DUE + HOUR)
    discussion = fresh(discussion)
    assert discussion.help_requested_at == REPLY_DUE + HOUR
    assert auto_codes(discussion)[-1] == "HELP_REQUESTED"
    assert Kind.NEW_MESSAGE in notification_kinds(seller, discussion)
    # Asking once is enough.
    assert not rules.availability(discussion, Role.BUYER, Action.ASK_FOR_HELP, REPLY_DUE + 2 * HOUR).allowed
    with pytest.raises(DomainError):
        services.ask_for_help(discussion, buyer=buyer, now=REPLY_DUE + 2 * HOUR)


def test_dsc_08_a_seller_who_replied_in_time_is_never_overdue(discussion, buyer, seller):
    say(discussion, seller, Role.SELLER, now=REPLY_DUE - HOUR)
    assert tasks.mark_seller_overdue(now=REPLY_DUE + DAY) == 0
    discussion = fresh(discussion)
    assert discussion.seller_overdue_at is None
    assert not rules.availability(discussion, Role.BUYER, Action.ASK_FOR_HELP, REPLY_DUE + DAY).allowed
    with pytest.raises(DomainError):
        services.ask_for_help(discussion, buyer=buyer, now=REPLY_DUE + DAY)
    assert Kind.DEADLINE_MISSED not in notification_kinds(buyer)


def test_dsc_08_closed_discussions_are_not_marked_overdue(discussion, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    assert tasks.mark_seller_overdue(now=REPLY_DUE + DAY) == 0
    assert fresh(discussion).seller_overdue_at is None


# --- DSC-09 the seller's deadline after a mediator's message ---------------------------

MEDIATOR_WROTE = local(2026, 11, 27, 15)  # Friday
MEDIATOR_DUE = local(2026, 11, 30, 15)  # Monday


def join_and_write(discussion, mediator):
    discussion = services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + HOUR)
    say(discussion, mediator, Role.MEDIATOR, text="Proszę o wyjaśnienie.", now=MEDIATOR_WROTE)
    return fresh(discussion)


def test_dsc_09_the_mediators_first_message_starts_24_business_hours_for_the_seller(discussion, mediator):
    discussion = join_and_write(discussion, mediator)
    assert discussion.mediator_first_message_at == MEDIATOR_WROTE
    assert discussion.mediator_reply_due_at == MEDIATOR_DUE
    # A second mediator message does not move the deadline.
    say(discussion, mediator, Role.MEDIATOR, text="Czekam.", now=MEDIATOR_WROTE + HOUR)
    assert fresh(discussion).mediator_reply_due_at == MEDIATOR_DUE


def test_dsc_09_no_seller_reply_to_the_mediator_flags_the_seller(discussion, mediator):
    discussion = join_and_write(discussion, mediator)
    tasks.mark_seller_overdue(now=MEDIATOR_DUE - SECOND)
    assert fresh(discussion).seller_ignored_mediator_at is None

    tasks.mark_seller_overdue(now=MEDIATOR_DUE + SECOND)
    assert fresh(discussion).seller_ignored_mediator_at == MEDIATOR_DUE + SECOND


def test_dsc_09_a_seller_reply_to_the_mediator_prevents_the_flag(discussion, mediator, seller):
    discussion = join_and_write(discussion, mediator)
    say(discussion, seller, Role.SELLER, text="Już wysyłam.", now=MEDIATOR_DUE - HOUR)
    discussion = fresh(discussion)
    assert discussion.seller_replied_to_mediator_at == MEDIATOR_DUE - HOUR

    tasks.mark_seller_overdue(now=MEDIATOR_DUE + DAY)
    assert fresh(discussion).seller_ignored_mediator_at is None


def test_dsc_09_a_seller_reply_before_the_mediator_wrote_does_not_count_as_the_reply_to_the_mediator(
    discussion, mediator, seller
):
    discussion = services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + HOUR)
    say(discussion, seller, Role.SELLER, now=OPENED + 2 * HOUR)
    say(fresh(discussion), mediator, Role.MEDIATOR, now=MEDIATOR_WROTE)
    assert fresh(discussion).seller_replied_to_mediator_at is None
    tasks.mark_seller_overdue(now=MEDIATOR_DUE + SECOND)
    assert fresh(discussion).seller_ignored_mediator_at == MEDIATOR_DUE + SECOND


# --- DSC-10 first-reply time and who wrote last ------------------------------------


def test_dsc_10_first_reply_time_is_counted_in_business_seconds(offer, buyer, seller):
    order = make_order(offer, buyer, now=local(2026, 11, 27, 12))
    discussion = open_discussion(order, now=local(2026, 11, 27, 18))  # Friday 18:00
    say(discussion, seller, Role.SELLER, now=local(2026, 11, 30, 10))  # Monday 10:00
    discussion = fresh(discussion)
    assert discussion.seller_replied_at == local(2026, 11, 30, 10)
    assert discussion.first_reply_seconds == 16 * 3600

    say(discussion, seller, Role.SELLER, now=local(2026, 11, 30, 15))
    discussion = fresh(discussion)
    assert discussion.seller_replied_at == local(2026, 11, 30, 10)
    assert discussion.first_reply_seconds == 16 * 3600


def test_dsc_10_a_buyer_message_is_not_a_reply(discussion, buyer):
    say(discussion, buyer, Role.BUYER)
    discussion = fresh(discussion)
    assert discussion.seller_replied_at is None
    assert discussion.first_reply_seconds is None


def test_dsc_10_last_message_status_follows_the_last_author(discussion, buyer, seller, mediator):
    assert fresh(discussion).last_message_status == LastMessage.NEW
    say(discussion, buyer, Role.BUYER, now=OPENED + HOUR)
    assert fresh(discussion).last_message_status == LastMessage.BUYER_REPLIED
    say(discussion, seller, Role.SELLER, now=OPENED + 2 * HOUR)
    assert fresh(discussion).last_message_status == LastMessage.SELLER_REPLIED
    say(discussion, buyer, Role.BUYER, now=OPENED + 3 * HOUR)
    assert fresh(discussion).last_message_status == LastMessage.BUYER_REPLIED
    joined = services.join_discussion(fresh(discussion), mediator=mediator, now=OPENED + 4 * HOUR)
    say(joined, mediator, Role.MEDIATOR, now=OPENED + 5 * HOUR)
    discussion = fresh(discussion)
    assert discussion.last_message_status == LastMessage.ALLEGRO_ADVISOR_REPLIED
    assert discussion.last_message_at == OPENED + 5 * HOUR


def test_dsc_10_a_message_notifies_the_other_party_only(discussion, buyer, seller):
    before_seller = notification_kinds(seller)
    say(discussion, buyer, Role.BUYER)
    assert notification_kinds(seller) == [*before_seller, Kind.NEW_MESSAGE]
    assert notification_kinds(buyer) == []


# --- DSC-11 messages and attachments -------------------------------------------------


def test_dsc_11_a_message_of_20000_characters_is_accepted_and_20001_refused(discussion, buyer):
    message = say(discussion, buyer, Role.BUYER, text="ą" * 20_000)
    assert len(Message.objects.get(pk=message.pk).text) == 20_000

    with pytest.raises(DomainError) as error:
        say(discussion, buyer, Role.BUYER, text="ą" * 20_001)
    assert error.value.field == "text"
    assert Message.objects.filter(discussion=discussion, author=buyer).count() == 1


def test_dsc_11_an_empty_message_without_files_is_refused(discussion, buyer):
    with pytest.raises(DomainError) as error:
        say(discussion, buyer, Role.BUYER, text="   ")
    assert error.value.field == "text"


def test_dsc_11_at_most_five_attachments(discussion, buyer):
    with pytest.raises(DomainError) as error:
        say(discussion, buyer, Role.BUYER, files=[png_upload(f"p{i}.png") for i in range(6)])
    assert error.value.field == "files"
    assert not Message.objects.filter(author=buyer).exists()
    assert not Attachment.objects.exists()

    message = say(discussion, buyer, Role.BUYER, files=[png_upload(f"p{i}.png") for i in range(5)])
    assert message.attachments.count() == 5


def test_dsc_11_a_text_file_renamed_to_jpg_is_refused(discussion, buyer):
    fake = SimpleUploadedFile("photo.jpg", b"this is plain text, not a picture\n" * 10, content_type="image/jpeg")
    with pytest.raises(DomainError) as error:
        say(discussion, buyer, Role.BUYER, files=[fake])
    assert error.value.field == "files"
    assert not Message.objects.filter(author=buyer).exists()
    assert not Attachment.objects.exists()


def test_dsc_11_a_file_over_10_mb_is_refused(discussion, buyer):
    big = SimpleUploadedFile("scan.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(DomainError) as error:
        say(discussion, buyer, Role.BUYER, files=[big])
    assert error.value.field == "files"


def test_dsc_11_a_real_png_is_accepted_and_stored_under_a_generated_name(discussion, buyer):
    message = say(discussion, buyer, Role.BUYER, text="", files=[png_upload("zdjęcie uszkodzenia.png")])

    attachment = Attachment.objects.get(message=message)
    assert attachment.original_name == "zdjęcie uszkodzenia.png"
    assert attachment.content_type == "image/png"
    assert attachment.is_image
    assert attachment.file.name.endswith(".png")
    assert "zdj" not in attachment.file.name
    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "PNG"
        assert image.size == (16, 12)
    assert attachment.size == attachment.file.size


def test_dsc_11_a_pdf_is_accepted(discussion, seller):
    upload = SimpleUploadedFile("faktura.pdf", PDF_BYTES, content_type="application/pdf")
    message = say(discussion, seller, Role.SELLER, text="Faktura w załączniku.", files=[upload])
    attachment = message.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".pdf")
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES


def test_dsc_11_a_truncated_pdf_is_refused(discussion, buyer):
    upload = SimpleUploadedFile("faktura.pdf", b"%PDF-1.4\n1 0 obj\n", content_type="application/pdf")
    with pytest.raises(DomainError):
        say(discussion, buyer, Role.BUYER, files=[upload])


def test_dsc_11_messages_are_stored_as_plain_text(discussion, buyer):
    message = say(discussion, buyer, Role.BUYER, text="<script>alert(1)</script>")
    assert Message.objects.get(pk=message.pk).text == "<script>alert(1)</script>"


# --- DSC-12 the seller asks to mark the Discussion as resolved -------------------------


def test_dsc_12_request_end_posts_the_request_and_notifies_the_buyer(discussion, seller, buyer):
    services.request_end(discussion, seller=seller, now=OPENED + HOUR)

    request = Message.objects.get(discussion=discussion, kind=Message.Kind.END_REQUEST)
    assert request.author == seller
    assert request.author_role == Role.SELLER
    assert request.created_at == OPENED + HOUR
    assert auto_codes(discussion) == ["OPENED"]  # SAFE-04: the request is the one message
    assert Notification.objects.filter(recipient=buyer, kind=Kind.END_REQUESTED, discussion=discussion).count() == 1
    discussion = fresh(discussion)
    assert discussion.last_message_status == LastMessage.SELLER_REPLIED
    assert discussion.seller_replied_at == OPENED + HOUR
    assert discussion.is_open
    assert discussion.status == Status.IN_PROGRESS


def test_dsc_12_request_end_is_refused_in_a_closed_or_unresolved_discussion(offer, buyer, seller):
    closed = open_discussion(make_order(offer, buyer))
    services.mark_resolved(closed, buyer=buyer, now=OPENED + HOUR)
    unresolved = open_discussion(make_order(offer, buyer))
    services.mark_unresolved(unresolved, buyer=buyer, now=OPENED + 7 * DAY)

    for discussion in (fresh(closed), fresh(unresolved)):
        assert not rules.availability(discussion, Role.SELLER, Action.REQUEST_END, OPENED + 8 * DAY).allowed
        with pytest.raises(DomainError):
            services.request_end(discussion, seller=seller, now=OPENED + 8 * DAY)
    assert not Message.objects.filter(kind=Message.Kind.END_REQUEST).exists()
    assert not Notification.objects.filter(kind=Kind.END_REQUESTED).exists()


# --- DSC-13 the seller's proposal ------------------------------------------------------


def test_dsc_13_a_proposal_is_only_for_a_product_problem(discussion, seller):
    assert not rules.availability(fresh(discussion), Role.SELLER, Action.PROPOSE, OPENED + HOUR).allowed
    with pytest.raises(DomainError):
        services.propose_solution(discussion, seller=seller, solution=Solution.REFUND, now=OPENED + HOUR)
    assert not Proposal.objects.exists()


def test_dsc_13_accepting_the_proposal_resolves_the_discussion(product_discussion, seller, buyer):
    proposal = services.propose_solution(
        product_discussion,
        seller=seller,
        solution=Solution.PARTIAL_REFUND,
        percent=30,
        requires_return=True,
        now=OPENED + HOUR,
    )
    assert proposal.status == Proposal.Status.PENDING
    assert proposal.requires_return
    assert auto_codes(product_discussion)[-1] == "PROPOSAL_RETURN"
    assert Kind.PROPOSAL in notification_kinds(buyer, product_discussion)
    assert fresh(product_discussion).seller_replied_at == OPENED + HOUR  # the proposal is a reply

    services.accept_proposal(fresh(product_discussion), buyer=buyer, now=OPENED + 2 * HOUR)

    discussion = fresh(product_discussion)
    assert discussion.status == Status.RESOLVED
    assert not discussion.is_open
    assert discussion.close_reason == CloseReason.PROPOSAL_ACCEPTED
    assert discussion.closed_at == OPENED + 2 * HOUR
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert proposal.decided_at == OPENED + 2 * HOUR
    assert auto_codes(discussion)[-1] == "PROPOSAL_ACCEPTED"


def test_dsc_13_declining_keeps_the_discussion_open(product_discussion, seller, buyer):
    proposal = services.propose_solution(product_discussion, seller=seller, solution=Solution.REPAIR, now=OPENED + HOUR)
    services.decline_proposal(fresh(product_discussion), buyer=buyer, now=OPENED + 2 * HOUR)

    discussion = fresh(product_discussion)
    assert discussion.is_open
    assert discussion.status == Status.IN_PROGRESS
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECLINED
    assert auto_codes(discussion)[-1] == "PROPOSAL_DECLINED"
    # Nothing is pending any more.
    assert not rules.availability(discussion, Role.BUYER, Action.ACCEPT_PROPOSAL, OPENED + 3 * HOUR).allowed
    with pytest.raises(DomainError):
        services.accept_proposal(discussion, buyer=buyer, now=OPENED + 3 * HOUR)


def test_dsc_13_a_newer_proposal_supersedes_the_pending_one(product_discussion, seller, buyer):
    first = services.propose_solution(product_discussion, seller=seller, solution=Solution.REPAIR, now=OPENED + HOUR)
    second = services.propose_solution(
        product_discussion, seller=seller, solution=Solution.PARTIAL_REFUND, amount="20.00", now=OPENED + 2 * HOUR
    )
    first.refresh_from_db()
    assert first.status == Proposal.Status.SUPERSEDED
    assert second.status == Proposal.Status.PENDING
    assert second.amount == Decimal("20.00")

    services.accept_proposal(fresh(product_discussion), buyer=buyer, now=OPENED + 3 * HOUR)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == Proposal.Status.ACCEPTED
    assert first.status == Proposal.Status.SUPERSEDED


@pytest.mark.parametrize(
    ("solution", "amount", "percent"),
    [
        ("PARTIAL_REFUND", "10.00", 10),
        ("PARTIAL_REFUND", None, None),
        ("PARTIAL_REFUND", "100.01", None),
        ("X", None, None),
    ],
)
def test_dsc_13_an_invalid_proposal_is_refused(product_discussion, seller, solution, amount, percent):
    with pytest.raises(DomainError):
        services.propose_solution(
            product_discussion, seller=seller, solution=solution, amount=amount, percent=percent, now=OPENED + HOUR
        )
    assert not Proposal.objects.exists()


# --- DSC-15 statuses and their history -------------------------------------------------


def test_dsc_15_opening_and_every_buyer_transition_are_recorded(discussion, buyer, mediator):
    services.mark_unresolved(discussion, buyer=buyer, now=OPENED + 7 * DAY)
    change = StatusChange.objects.filter(discussion=discussion).latest("pk")
    assert change.actor == buyer
    assert change.at == OPENED + 7 * DAY
    assert status_rows(discussion) == [
        (Role.BUYER, "", Status.IN_PROGRESS, None, True, ""),
        (Role.BUYER, Status.IN_PROGRESS, Status.UNRESOLVED, True, True, ""),
    ]


def test_dsc_15_resolving_closing_and_reopening_are_recorded_with_close_reasons(discussion, buyer, mediator):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + 2 * HOUR)
    tasks.auto_resolve(now=OPENED + 2 * HOUR + 30 * DAY)
    services.reopen_discussion(fresh(discussion), mediator=mediator, reason="Prośba kupującego", now=OPENED + 40 * DAY)

    assert status_rows(discussion) == [
        (Role.BUYER, "", Status.IN_PROGRESS, None, True, ""),
        (Role.BUYER, Status.IN_PROGRESS, Status.RESOLVED, True, False, CloseReason.BUYER_RESOLVED),
        (Role.BUYER, Status.RESOLVED, Status.IN_PROGRESS, False, True, ""),
        (Role.SYSTEM, Status.IN_PROGRESS, Status.RESOLVED, True, False, CloseReason.EXPIRED),
        (Role.MEDIATOR, Status.RESOLVED, Status.IN_PROGRESS, False, True, ""),
    ]
    system = StatusChange.objects.get(discussion=discussion, actor_role=Role.SYSTEM)
    assert system.actor is None
    assert system.at == OPENED + 2 * HOUR + 30 * DAY
    by_mediator = StatusChange.objects.get(discussion=discussion, actor_role=Role.MEDIATOR)
    assert by_mediator.actor == mediator
    assert by_mediator.note == "Prośba kupującego"


def test_dsc_15_status_changes_notify_the_other_party(discussion, buyer, seller):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    assert notification_kinds(seller, discussion)[-1] == Kind.STATUS_CHANGED
    assert Kind.STATUS_CHANGED not in notification_kinds(buyer, discussion)


def test_dsc_15_the_database_refuses_a_closed_in_progress_or_an_open_resolved_discussion(discussion):
    with pytest.raises(IntegrityError), transaction.atomic():
        Discussion.objects.filter(pk=discussion.pk).update(is_open=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Discussion.objects.filter(pk=discussion.pk).update(status=Status.RESOLVED)
    # UNRESOLVED may be open or closed.
    Discussion.objects.filter(pk=discussion.pk).update(status=Status.UNRESOLVED)
    Discussion.objects.filter(pk=discussion.pk).update(is_open=False)


# --- DSC-16 the buyer marks it resolved --------------------------------------------


def test_dsc_16_the_buyer_can_mark_an_open_discussion_resolved_at_any_time(discussion, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + SECOND)
    discussion = fresh(discussion)
    assert discussion.status == Status.RESOLVED
    assert not discussion.is_open
    assert discussion.close_reason == CloseReason.BUYER_RESOLVED
    assert discussion.closed_at == OPENED + SECOND
    assert auto_codes(discussion)[-1] == "RESOLVED_BY_BUYER"


def test_dsc_16_marking_resolved_is_refused_once_closed_or_unresolved(offer, buyer):
    closed = open_discussion(make_order(offer, buyer))
    services.mark_resolved(closed, buyer=buyer, now=OPENED + HOUR)
    with pytest.raises(DomainError):
        services.mark_resolved(fresh(closed), buyer=buyer, now=OPENED + 2 * HOUR)

    unresolved = open_discussion(make_order(offer, buyer))
    services.mark_unresolved(unresolved, buyer=buyer, now=OPENED + 7 * DAY)
    with pytest.raises(DomainError):
        services.mark_resolved(fresh(unresolved), buyer=buyer, now=OPENED + 8 * DAY)
    assert fresh(unresolved).status == Status.UNRESOLVED


def test_dsc_16_a_stale_object_cannot_close_a_discussion_twice(discussion, buyer):
    stale = fresh(discussion)
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    with pytest.raises(DomainError):
        services.mark_resolved(stale, buyer=buyer, now=OPENED + 2 * HOUR)
    assert StatusChange.objects.filter(discussion=discussion, to_status=Status.RESOLVED).count() == 1


# --- DSC-17 marking unresolved ------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "days"),
    [
        (Reason.NOT_RECEIVED, 7),
        (Reason.PRODUCT_PROBLEM, 14),
        (Reason.WITHDRAWAL_PROBLEM, 14),
        (Reason.NO_PAYMENT_REFUND, 14),
        (Reason.NO_REFUND_AFTER_RETURN, 14),
    ],
)
def test_dsc_17_marking_unresolved_waits_7_days_for_not_received_and_14_for_others(order, buyer, reason, days):
    extra = {"expected_solution": Solution.REPAIR} if reason == Reason.PRODUCT_PROBLEM else {}
    discussion = open_discussion(order, reason=reason, **extra)
    available_from = OPENED + timedelta(days=days)

    before = rules.availability(fresh(discussion), Role.BUYER, Action.MARK_UNRESOLVED, available_from - SECOND)
    assert not before.allowed
    assert before.available_from == available_from
    assert before.reason
    with pytest.raises(DomainError):
        services.mark_unresolved(fresh(discussion), buyer=buyer, now=available_from - SECOND)
    assert fresh(discussion).status == Status.IN_PROGRESS

    services.mark_unresolved(fresh(discussion), buyer=buyer, now=available_from)
    discussion = fresh(discussion)
    assert discussion.status == Status.UNRESOLVED
    assert discussion.is_open
    assert discussion.unresolved_at == available_from
    assert discussion.auto_resolve_at is None
    assert auto_codes(discussion)[-1] == "UNRESOLVED_BY_BUYER"


def test_dsc_17_an_unresolved_discussion_cannot_be_marked_unresolved_again(discussion, buyer):
    services.mark_unresolved(discussion, buyer=buyer, now=OPENED + 7 * DAY)
    with pytest.raises(DomainError):
        services.mark_unresolved(fresh(discussion), buyer=buyer, now=OPENED + 8 * DAY)


# --- DSC-18 auto-resolve after 30 days -------------------------------------------------


def test_dsc_18_an_unmarked_discussion_is_resolved_as_expired_after_30_days(discussion, seller, buyer):
    assert fresh(discussion).auto_resolve_at == OPENED + 30 * DAY
    assert tasks.auto_resolve(now=OPENED + 30 * DAY - SECOND) == 0
    assert fresh(discussion).is_open

    assert tasks.auto_resolve(now=OPENED + 30 * DAY) == 1
    discussion = fresh(discussion)
    assert discussion.status == Status.RESOLVED
    assert not discussion.is_open
    assert discussion.close_reason == CloseReason.EXPIRED
    assert discussion.closed_at == OPENED + 30 * DAY
    assert auto_codes(discussion)[-1] == "CLOSED_EXPIRED"
    assert Kind.STATUS_CHANGED in notification_kinds(buyer, discussion)
    assert Kind.STATUS_CHANGED in notification_kinds(seller, discussion)


def test_dsc_18_a_discussion_with_a_joined_mediator_is_not_auto_resolved(discussion, mediator):
    services.join_discussion(fresh(discussion), mediator=mediator, now=REPLY_DUE + HOUR)
    assert tasks.auto_resolve(now=OPENED + 60 * DAY) == 0
    discussion = fresh(discussion)
    assert discussion.is_open
    assert discussion.status == Status.IN_PROGRESS


def test_dsc_18_an_unresolved_discussion_is_not_auto_resolved(discussion, buyer):
    services.mark_unresolved(discussion, buyer=buyer, now=OPENED + 7 * DAY)
    assert tasks.auto_resolve(now=OPENED + 60 * DAY) == 0
    assert fresh(discussion).status == Status.UNRESOLVED


# --- DSC-19 reopening ---------------------------------------------------------------------


def test_dsc_19_the_buyer_reopens_once_with_a_new_deadline_and_30_day_period(discussion, buyer, seller):
    say(discussion, seller, Role.SELLER, now=OPENED + HOUR)
    services.mark_resolved(fresh(discussion), buyer=buyer, now=OPENED + 2 * HOUR)
    reopened_at = local(2026, 11, 27, 15)  # Friday

    services.reopen_discussion(fresh(discussion), buyer=buyer, now=reopened_at)

    discussion = fresh(discussion)
    assert discussion.status == Status.IN_PROGRESS
    assert discussion.is_open
    assert discussion.close_reason == ""
    assert discussion.closed_at is None
    assert discussion.reopen_count == 1
    assert discussion.opened_at == reopened_at
    assert discussion.created_at == OPENED
    assert discussion.reply_due_at == local(2026, 11, 30, 15)
    assert discussion.seller_replied_at is None
    assert discussion.auto_resolve_at == reopened_at + 30 * DAY
    assert auto_codes(discussion)[-1] == "REOPENED"
    # UX-04: the seller is told the Discussion was reopened, not that a new one began.
    assert notification_kinds(seller, discussion).count(Kind.NEW_DISCUSSION) == 1
    assert notification_kinds(seller, discussion).count(Kind.REOPENED) == 1
    # The new 30-day period and deadline are the ones the sweeps use.
    assert tasks.auto_resolve(now=OPENED + 30 * DAY) == 0
    assert tasks.mark_seller_overdue(now=local(2026, 11, 30, 15) + SECOND) == 1

    services.mark_resolved(fresh(discussion), buyer=buyer, now=reopened_at + DAY)
    again = rules.availability(fresh(discussion), Role.BUYER, Action.REOPEN, reopened_at + 2 * DAY)
    assert not again.allowed
    assert again.reason
    with pytest.raises(DomainError):
        services.reopen_discussion(fresh(discussion), buyer=buyer, now=reopened_at + 2 * DAY)
    assert not fresh(discussion).is_open


def test_dsc_19_reopening_more_than_730_days_after_the_purchase_is_refused(discussion, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    last = BOUGHT + timedelta(days=730)
    late = rules.availability(fresh(discussion), Role.BUYER, Action.REOPEN, last + SECOND)
    assert not late.allowed
    assert late.available_until == last
    with pytest.raises(DomainError):
        services.reopen_discussion(fresh(discussion), buyer=buyer, now=last + SECOND)
    assert not fresh(discussion).is_open

    services.reopen_discussion(fresh(discussion), buyer=buyer, now=last)
    assert fresh(discussion).is_open


def test_dsc_19_an_open_discussion_cannot_be_reopened(discussion, buyer, mediator):
    with pytest.raises(DomainError):
        services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + HOUR)
    with pytest.raises(DomainError):
        services.reopen_discussion(fresh(discussion), mediator=mediator, reason="Prośba", now=OPENED + HOUR)
    assert fresh(discussion).reopen_count == 0


def test_dsc_19_a_mediator_reopens_with_a_reason_without_using_the_buyers_reopening(discussion, buyer, mediator):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    with pytest.raises(DomainError) as error:
        services.reopen_discussion(fresh(discussion), mediator=mediator, reason="   ", now=OPENED + 2 * HOUR)
    assert error.value.field == "reason"
    assert not fresh(discussion).is_open

    services.reopen_discussion(
        fresh(discussion), mediator=mediator, reason="Kupujący zgłosił nowy problem.", now=OPENED + 2 * HOUR
    )
    discussion = fresh(discussion)
    assert discussion.is_open
    assert discussion.reopen_count == 0
    assert discussion.reply_due_at == rules.reply_deadline(discussion.market, OPENED + 2 * HOUR)

    services.mark_resolved(discussion, buyer=buyer, now=OPENED + 3 * HOUR)
    services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + 4 * HOUR)
    assert fresh(discussion).reopen_count == 1


def test_dsc_19_reopening_is_refused_while_another_discussion_about_the_line_is_open(discussion, order, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    open_discussion(order, now=OPENED + 2 * HOUR, reason=Reason.PRODUCT_PROBLEM, expected_solution="REPAIR")
    with pytest.raises(DomainError):
        services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + 3 * HOUR)
    discussion = fresh(discussion)
    assert not discussion.is_open
    assert discussion.reopen_count == 0


# --- DSC-20 auto-close after a full refund (a) and after delivery (b) ------------------


@pytest.mark.parametrize("reason", [Reason.NOT_RECEIVED, Reason.WITHDRAWAL_PROBLEM, Reason.NO_PAYMENT_REFUND])
def test_dsc_20a_a_full_refund_closes_the_discussion_immediately(order, seller, buyer, reason):
    discussion = open_discussion(order, reason=reason)
    refunded_at = OPENED + 3 * HOUR

    order_services.refund_order(order, seller=seller, full=True, now=refunded_at)

    discussion = fresh(discussion)
    assert discussion.status == Status.RESOLVED
    assert not discussion.is_open
    assert discussion.close_reason == CloseReason.FULL_REFUND
    assert discussion.closed_at == refunded_at
    assert auto_codes(discussion)[-1] == "CLOSED_FULL_REFUND"
    change = StatusChange.objects.filter(discussion=discussion).latest("pk")
    assert (change.actor_role, change.close_reason, change.at) == (Role.SYSTEM, CloseReason.FULL_REFUND, refunded_at)
    assert Kind.STATUS_CHANGED in notification_kinds(buyer, discussion)


def test_dsc_20a_refunds_adding_up_to_the_full_amount_close_it_too(offer, buyer, seller):
    order = make_order(offer, buyer, quantity=2)  # 200.00
    discussion = open_discussion(order, reason=Reason.NO_PAYMENT_REFUND)
    order_services.refund_order(order, seller=seller, amount="150.00", now=OPENED + HOUR)
    assert fresh(discussion).is_open
    order_services.refund_order(order, seller=seller, amount="50.00", now=OPENED + 2 * HOUR)
    discussion = fresh(discussion)
    assert not discussion.is_open
    assert discussion.close_reason == CloseReason.FULL_REFUND


def test_dsc_20a_a_full_refund_does_not_close_a_product_problem(product_discussion, order, seller):
    order_services.refund_order(order, seller=seller, full=True, now=OPENED + HOUR)
    discussion = fresh(product_discussion)
    assert discussion.is_open
    assert discussion.status == Status.IN_PROGRESS
    assert auto_codes(discussion)[-1] == "REFUNDED"


def test_dsc_20a_a_full_refund_does_not_close_no_refund_after_return(order, seller):
    discussion = open_discussion(order, reason=Reason.NO_REFUND_AFTER_RETURN)
    order_services.refund_order(order, seller=seller, full=True, now=OPENED + HOUR)
    assert fresh(discussion).is_open


def test_dsc_20a_a_partial_refund_does_not_close(discussion, order, seller):
    order_services.refund_order(order, seller=seller, amount="40.00", now=OPENED + HOUR)
    discussion = fresh(discussion)
    assert discussion.is_open
    assert discussion.status == Status.IN_PROGRESS
    assert auto_codes(discussion)[-1] == "REFUNDED"


DELIVERED = local(2026, 11, 27, 11)


def test_dsc_20b_delivery_posts_a_message_notifies_the_buyer_and_closes_after_24_hours(
    discussion, order, seller, buyer
):
    ship(order, seller, OPENED + HOUR)
    deliver(order, DELIVERED)

    discussion = fresh(discussion)
    assert discussion.delivery_close_at == DELIVERED + 24 * HOUR
    waiting = Message.objects.get(discussion=discussion, auto_code="DELIVERED_WAITING")
    assert waiting.created_at == DELIVERED
    assert waiting.auto_params["until"] == (DELIVERED + 24 * HOUR).isoformat()
    delivery = Notification.objects.get(recipient=buyer, kind=Kind.DELIVERY_DETECTED)
    assert delivery.discussion == discussion
    assert delivery.created_at == DELIVERED

    assert tasks.close_after_delivery(now=DELIVERED + 24 * HOUR - SECOND) == 0
    assert fresh(discussion).is_open

    assert tasks.close_after_delivery(now=DELIVERED + 24 * HOUR) == 1
    discussion = fresh(discussion)
    assert discussion.status == Status.RESOLVED
    assert not discussion.is_open
    assert discussion.close_reason == CloseReason.DELIVERED_NO_OBJECTION
    assert discussion.delivery_close_at is None
    assert auto_codes(discussion)[-1] == "CLOSED_DELIVERED"


def test_dsc_20b_a_buyer_message_within_24_hours_cancels_the_auto_close(discussion, order, seller, buyer):
    ship(order, seller, OPENED + HOUR)
    deliver(order, DELIVERED)
    say(fresh(discussion), buyer, Role.BUYER, text="To nie moja paczka.", now=DELIVERED + 23 * HOUR)

    assert fresh(discussion).delivery_close_at is None
    assert tasks.close_after_delivery(now=DELIVERED + 48 * HOUR) == 0
    discussion = fresh(discussion)
    assert discussion.is_open
    assert discussion.status == Status.IN_PROGRESS


def test_dsc_20b_a_seller_message_does_not_cancel_the_auto_close(discussion, order, seller):
    ship(order, seller, OPENED + HOUR)
    deliver(order, DELIVERED)
    say(fresh(discussion), seller, Role.SELLER, text="Paczka doręczona.", now=DELIVERED + HOUR)
    assert tasks.close_after_delivery(now=DELIVERED + 24 * HOUR) == 1
    assert fresh(discussion).close_reason == CloseReason.DELIVERED_NO_OBJECTION


def test_dsc_20b_delivery_does_not_auto_close_other_reasons(product_discussion, order, seller):
    ship(order, seller, OPENED + HOUR)
    deliver(order, DELIVERED)
    discussion = fresh(product_discussion)
    assert discussion.delivery_close_at is None
    assert auto_codes(discussion)[-1] == "DELIVERED"
    assert tasks.close_after_delivery(now=DELIVERED + 48 * HOUR) == 0
    assert fresh(discussion).is_open


def test_dsc_20b_a_delivery_in_an_unresolved_discussion_does_not_promise_an_auto_close(
    discussion, order, seller, buyer
):
    services.mark_unresolved(discussion, buyer=buyer, now=OPENED + 7 * DAY)
    ship(order, seller, OPENED + 7 * DAY + HOUR)
    deliver(order, OPENED + 8 * DAY)

    discussion = fresh(discussion)
    assert discussion.delivery_close_at is None
    assert auto_codes(discussion)[-1] == "DELIVERED"
    assert not Notification.objects.filter(kind=Kind.DELIVERY_DETECTED).exists()
    assert Notification.objects.filter(recipient=buyer, kind=Kind.NEW_MESSAGE, created_at=OPENED + 8 * DAY).exists()
    assert tasks.close_after_delivery(now=OPENED + 10 * DAY) == 0
    assert fresh(discussion).status == Status.UNRESOLVED


# --- DSC-21 Allegro Lokalnie ----------------------------------------------------------


def test_dsc_21_on_allegro_lokalnie_not_received_also_waits_14_days(offer, buyer):
    order = make_order(offer, buyer, service=Order.Service.ALLEGRO_LOKALNIE)
    discussion = open_discussion(order, reason=Reason.NOT_RECEIVED)
    assert fresh(discussion).service == Order.Service.ALLEGRO_LOKALNIE

    at_7_days = rules.availability(fresh(discussion), Role.BUYER, Action.MARK_UNRESOLVED, OPENED + 7 * DAY)
    assert not at_7_days.allowed
    assert at_7_days.available_from == OPENED + 14 * DAY
    with pytest.raises(DomainError):
        services.mark_unresolved(fresh(discussion), buyer=buyer, now=OPENED + 14 * DAY - SECOND)

    services.mark_unresolved(fresh(discussion), buyer=buyer, now=OPENED + 14 * DAY)
    assert fresh(discussion).status == Status.UNRESOLVED


# --- DSC-22 the one state machine ----------------------------------------------------------


def test_dsc_22_allowed_actions_lists_every_action_with_reason_and_dates(discussion):
    discussion = fresh(discussion)
    now = OPENED + HOUR

    buyer_actions = rules.allowed_actions(discussion, Role.BUYER, now)
    assert set(buyer_actions) == set(rules.ACTIONS_BY_ROLE[Role.BUYER])
    assert buyer_actions[Action.REPLY].allowed
    assert buyer_actions[Action.MARK_RESOLVED].allowed
    unresolved = buyer_actions[Action.MARK_UNRESOLVED]
    assert (unresolved.allowed, unresolved.available_from) == (False, OPENED + 7 * DAY)
    assert unresolved.reason
    help_ = buyer_actions[Action.ASK_FOR_HELP]
    assert (help_.allowed, help_.available_from) == (False, REPLY_DUE)
    assert help_.reason
    for action in (Action.REOPEN, Action.ACCEPT_PROPOSAL, Action.DECLINE_PROPOSAL):
        assert not buyer_actions[action].allowed
        assert buyer_actions[action].reason

    seller_actions = rules.allowed_actions(discussion, Role.SELLER, now)
    assert set(seller_actions) == {Action.REPLY, Action.PROPOSE, Action.REQUEST_END}
    assert seller_actions[Action.REPLY].allowed
    assert seller_actions[Action.REPLY].available_until == REPLY_DUE
    assert not seller_actions[Action.PROPOSE].allowed
    assert seller_actions[Action.PROPOSE].reason
    assert seller_actions[Action.REQUEST_END].allowed

    mediator_actions = rules.allowed_actions(discussion, Role.MEDIATOR, now)
    assert mediator_actions[Action.JOIN].allowed
    assert not mediator_actions[Action.REPLY].allowed
    assert mediator_actions[Action.REPLY].reason


def test_dsc_22_actions_become_available_with_time(discussion):
    discussion = fresh(discussion)
    later = rules.allowed_actions(discussion, Role.BUYER, OPENED + 7 * DAY)
    assert later[Action.MARK_UNRESOLVED].allowed
    assert later[Action.MARK_UNRESOLVED].available_until == OPENED + 30 * DAY
    assert later[Action.ASK_FOR_HELP].allowed


def test_dsc_22_a_closed_discussion_disables_every_action_but_reopen(discussion, buyer):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    discussion = fresh(discussion)
    now = OPENED + 2 * HOUR
    buyer_actions = rules.allowed_actions(discussion, Role.BUYER, now)
    assert {action for action, a in buyer_actions.items() if a.allowed} == {Action.REOPEN}
    assert all(a.reason for a in buyer_actions.values() if not a.allowed)
    assert not any(a.allowed for a in rules.allowed_actions(discussion, Role.SELLER, now).values())
    assert not any(a.allowed for a in rules.allowed_actions(discussion, Role.MEDIATOR, now).values())


def test_dsc_22_services_refuse_what_the_state_machine_refuses(discussion, buyer, seller, mediator):
    now = OPENED + HOUR
    d = fresh(discussion)
    refused = [
        (Role.BUYER, Action.MARK_UNRESOLVED, lambda: services.mark_unresolved(d, buyer=buyer, now=now)),
        (Role.BUYER, Action.ASK_FOR_HELP, lambda: services.ask_for_help(d, buyer=buyer, now=now)),
        (Role.BUYER, Action.REOPEN, lambda: services.reopen_discussion(d, buyer=buyer, now=now)),
        (Role.BUYER, Action.ACCEPT_PROPOSAL, lambda: services.accept_proposal(d, buyer=buyer, now=now)),
        (Role.BUYER, Action.DECLINE_PROPOSAL, lambda: services.decline_proposal(d, buyer=buyer, now=now)),
        (
            Role.SELLER,
            Action.PROPOSE,
            lambda: services.propose_solution(d, seller=seller, solution=Solution.REFUND, now=now),
        ),
        (Role.MEDIATOR, Action.REPLY, lambda: say(d, mediator, Role.MEDIATOR, now=now)),
    ]
    for role, action, call in refused:
        availability = rules.availability(d, role, action, now)
        assert not availability.allowed, action
        with pytest.raises(DomainError) as error:
            call()
        assert str(error.value) == str(availability.reason), action
        assert error.value.code == action
    assert fresh(discussion).status == Status.IN_PROGRESS
    assert auto_codes(discussion) == ["OPENED"]


def test_dsc_22_nobody_writes_in_a_closed_discussion(discussion, buyer, seller):
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    d = fresh(discussion)
    for user, role in ((buyer, Role.BUYER), (seller, Role.SELLER)):
        assert not rules.availability(d, role, Action.REPLY, OPENED + 2 * HOUR).allowed
        with pytest.raises(DomainError):
            say(d, user, role, now=OPENED + 2 * HOUR)
    assert not Message.objects.filter(discussion=discussion, kind=Message.Kind.REGULAR).exists()


def test_dsc_22_a_message_through_a_stale_open_object_is_refused_when_the_row_is_closed(discussion, buyer):
    stale = fresh(discussion)
    services.mark_resolved(discussion, buyer=buyer, now=OPENED + HOUR)
    with pytest.raises(DomainError) as error:
        say(stale, buyer, Role.BUYER, now=OPENED + 2 * HOUR)
    assert error.value.code == services.CLOSED_ERROR
    assert not Message.objects.filter(discussion=discussion, author=buyer).exists()


# --- RPT-01 reports of violations -------------------------------------------------------


def test_rpt_01_the_buyer_reports_a_seller_message_once(discussion, buyer, seller):
    message = say(discussion, seller, Role.SELLER, text="Pożałujesz tego.")
    assert services.can_report(message, buyer)

    report = services.report_message(
        message, reporter=buyer, category=Report.Category.THREAT, comment=" Groźba. ", now=OPENED + 2 * HOUR
    )
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert report.reporter == buyer
    assert report.comment == "Groźba."
    assert report.created_at == OPENED + 2 * HOUR

    with pytest.raises(DomainError):
        services.report_message(message, reporter=buyer, category=Report.Category.PORNOGRAPHY, now=OPENED + 3 * HOUR)
    assert Report.objects.count() == 1


def test_rpt_01_the_seller_reports_a_buyer_message(discussion, buyer, seller):
    message = say(discussion, buyer, Role.BUYER, text="Nieprzyzwoite treści")
    services.report_message(message, reporter=seller, category=Report.Category.PORNOGRAPHY, now=OPENED + 2 * HOUR)
    assert Report.objects.get().message == message


def test_rpt_01_own_and_automatic_messages_cannot_be_reported(discussion, buyer, seller):
    own = say(discussion, buyer, Role.BUYER)
    automatic = Message.objects.get(discussion=discussion, auto_code="OPENED")
    for message, user in ((own, buyer), (automatic, buyer), (automatic, seller)):
        assert not services.can_report(message, user)
        with pytest.raises(DomainError):
            services.report_message(message, reporter=user, category=Report.Category.THREAT, now=OPENED + 2 * HOUR)
    assert not Report.objects.exists()


@pytest.mark.parametrize("category", ["", None, "SPAM"])
def test_rpt_01_a_category_is_required(discussion, buyer, seller, category):
    message = say(discussion, seller, Role.SELLER)
    with pytest.raises(DomainError) as error:
        services.report_message(message, reporter=buyer, category=category, now=OPENED + 2 * HOUR)
    assert error.value.field == "category"
    assert not Report.objects.exists()


# --- Gaps closed after review ---------------------------------------------------------


def test_dsc_18_asking_allegro_for_help_stops_the_30_day_auto_resolve(discussion, buyer):
    tasks.mark_seller_overdue(now=REPLY_DUE + SECOND)
    services.ask_for_help(fresh(discussion), buyer=buyer, now=REPLY_DUE + HOUR)
    assert fresh(discussion).auto_resolve_at is None
    assert tasks.auto_resolve(now=OPENED + 31 * DAY) == 0
    assert tasks.send_buyer_reminders(now=OPENED + 29 * DAY) == 0
    assert fresh(discussion).is_open


def test_dsc_20b_delivery_does_not_start_the_auto_close_once_allegro_handles_the_case(discussion, mediator, seller):
    services.join_discussion(discussion, mediator=mediator, now=OPENED + HOUR)
    order = discussion.order
    order_services.enter_tracking(
        order, seller=seller, carrier=Shipment.Carrier.INPOST, tracking_number="ABC123456", now=OPENED + 2 * HOUR
    )
    order_services.record_delivery(
        Shipment.objects.get(order=order), delivered_at=OPENED + 3 * HOUR, now=OPENED + 3 * HOUR
    )
    assert fresh(discussion).delivery_close_at is None
    assert tasks.close_after_delivery(now=OPENED + 2 * DAY) == 0


def test_dsc_19_buyer_reopening_does_not_revive_a_concluded_mediation(discussion, buyer, mediator):
    services.join_discussion(discussion, mediator=mediator, now=OPENED + HOUR)
    Discussion.objects.filter(pk=discussion.pk).update(mediation_concluded_at=OPENED + 2 * HOUR)
    services.mark_resolved(fresh(discussion), buyer=buyer, now=OPENED + 3 * HOUR)
    reopened = services.reopen_discussion(fresh(discussion), buyer=buyer, now=OPENED + 4 * HOUR)
    assert fresh(reopened).mediation_concluded_at is not None
    assert not fresh(reopened).mediator_active


def test_rpt_01_only_a_party_of_the_discussion_can_report(discussion, seller, other_buyer):
    message = services.post_message(discussion, author=seller, role=Role.SELLER, text="Hi", now=OPENED + HOUR)
    with pytest.raises(DomainError):
        services.report_message(message, reporter=other_buyer, category=Report.Category.THREAT)
    assert not Report.objects.exists()


def test_dsc_12_end_request_notifies_the_buyer_once(discussion, seller, buyer):
    services.request_end(discussion, seller=seller, now=OPENED + HOUR)
    kinds = list(Notification.objects.filter(recipient=buyer).values_list("kind", flat=True))
    assert kinds.count(Notification.Kind.END_REQUESTED) == 1
    assert Notification.Kind.NEW_MESSAGE not in kinds


def test_dsc_07_a_full_refund_inside_the_deadline_is_the_sellers_reply(discussion, seller):
    order_services.refund_order(discussion.order, seller=seller, full=True, now=OPENED + 2 * HOUR)
    closed = fresh(discussion)
    assert closed.close_reason == Discussion.CloseReason.FULL_REFUND
    assert closed.seller_replied_at == OPENED + 2 * HOUR
    assert closed.first_reply_seconds == 2 * 3600
