"""API-01 and REB-01…08 through the seller API: /order/refund-claims.

Every response goes through `ApiClient`, which validates it against the marketplace's
description (api/reference/allegro-openapi-excerpt.yaml). The clock stands still at
OVERDUE (time_machine) unless a test moves it: the default order is three units of the
`offer` (100.00 PLN, 10.00 PLN of commission per unit) bought on Wednesday 2026-11-25
08:00 in Warsaw and paid online within 7 days — or not.
"""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.base import PUBLIC, SCOPE_DISPUTES, SCOPE_ORDERS_READ, SCOPE_ORDERS_WRITE
from api.refund_claims import inferred_reason
from orders import commission, services
from orders.models import CommissionRefund, CommissionRefundLine, Order, OrderLine
from tests.api.conftest import ApiClient, make_token
from tests.factories import OfferFactory
from tests.races import POSTGRES_RACES, race

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

BOUGHT = datetime(2026, 11, 25, 8, 0, tzinfo=WARSAW)  # Wednesday
OVERDUE = BOUGHT + 7 * DAY + HOUR  # the online payment deadline passed an hour ago
CLAIMS = "/order/refund-claims"

Reason = CommissionRefund.Reason
Status = CommissionRefund.Status


def body(response):
    return json.loads(response.content)


def claim_path(claim_id):
    return f"{CLAIMS}/{claim_id}"


def buy(offer, buyer, *, quantity=3, now=BOUGHT, paid=False):
    """*Kup teraz* (online payment) at `now`; paid five minutes later when `paid`."""
    order = services.buy_offer(
        offer, buyer=buyer, quantity=quantity, payment_method=Order.PaymentMethod.ONLINE, now=now
    )
    if paid:
        services.pay_order(order, buyer=buyer, now=now + 5 * MINUTE)
    return Order.objects.select_related("market").get(pk=order.pk)


ALL_UNITS = object()


def file_claim(api, line, quantity=ALL_UNITS, *, reason=None, **kwargs):
    """POST a claim for `quantity` units of `line` (all of them by default)."""
    data = {"lineItem": {"id": str(line.public_id)}, "quantity": line.quantity if quantity is ALL_UNITS else quantity}
    if reason:
        data["reason"] = reason
    return api.post(CLAIMS, data, accept=PUBLIC, **kwargs)


def errors(response):
    return body(response)["errors"]


@pytest.fixture(autouse=True)
def clock():
    """Time stands still at OVERDUE; tests move it with `clock.move_to`."""
    with time_machine.travel(OVERDUE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def token(seller, oauth_app):
    """The seller's token, valid for a year of moved clocks."""
    return make_token(seller, oauth_app, expires_in=365 * DAY)


@pytest.fixture
def offer(seller_account):
    return OfferFactory(seller_account=seller_account, title="Headphones", stock=500)


@pytest.fixture
def unpaid(offer, buyer):
    return buy(offer, buyer)


@pytest.fixture
def paid(offer, buyer):
    return buy(offer, buyer, paid=True)


@pytest.fixture
def other_order(other_seller_account, buyer):
    other_offer = OfferFactory(seller_account=other_seller_account, title="Lamp", stock=10)
    return buy(other_offer, buyer)


@pytest.fixture
def waiting(paid, seller):
    """A BUYER_CANCELLED application for 2 of 3 paid units, waiting for the refund."""
    application = commission.apply(
        paid, seller=seller, reason=Reason.BUYER_CANCELLED, quantities={paid.lines.get().pk: 2}, now=BOUGHT + DAY
    )
    assert application.status == Status.WAITING_FOR_PAYMENT_REFUND
    return application


def only_claim(application):
    return application.lines.get()


# --- POST: filing (REB-01…05) -----------------------------------------------------------------


def test_api_01_reb_04_unpaid_overdue_order_is_granted_at_once(api, unpaid, buyer, offer):
    line = unpaid.lines.get()

    response = file_claim(api, line)

    assert response.status_code == 201
    created = body(response)
    claim = CommissionRefundLine.objects.select_related("application").get(public_id=created["id"])
    assert created == {"id": str(claim.public_id), "status": "GRANTED"}
    assert claim.application.type == CommissionRefund.Type.MANUAL
    assert claim.application.created_by == unpaid.seller_account.user

    detail = api.get(claim_path(claim.public_id), accept=PUBLIC, language="en-US")
    assert detail.status_code == 200
    assert body(detail) == {
        "id": str(claim.public_id),
        "status": "GRANTED",
        "quantity": 3,
        "commission": {"amount": 30.0, "currency": "PLN"},
        "buyer": {"id": str(buyer.pk)},
        "createdAt": "2026-12-02T08:00:00.000Z",
        "lineItem": {
            "id": str(line.public_id),
            "quantity": 3,
            "boughtAt": "2026-11-25T07:00:00.000Z",
            "offer": {"id": str(offer.pk)},
        },
        "type": "MANUAL",
        "applicationId": claim.application.number,
        "reason": "NOT_PAID",
        "unmetConditions": [],
        "appeal": None,
    }
    # The excerpt types the amount `number`: a JSON number, not a string.
    assert b'"amount":30.0' in detail.content


def test_api_01_reb_04_paid_order_waits_for_the_refund_then_is_granted(api, paid, seller, clock):
    line = paid.lines.get()

    response = file_claim(api, line, 2, language="en-US")

    assert response.status_code == 201
    assert body(response)["status"] == "WAITING_FOR_PAYMENT_REFUND"
    claim_id = body(response)["id"]
    waiting = body(api.get(claim_path(claim_id), accept=PUBLIC, language="en-US"))
    assert waiting["reason"] == "BUYER_CANCELLED"  # inferred from the paid order
    assert waiting["unmetConditions"] == [
        "The money for the claimed units has not been refunded to the buyer through Allegro Finanse."
    ]

    clock.move_to(OVERDUE + HOUR)
    services.refund_order(paid, seller=seller, lines={line.pk: 2}, now=OVERDUE + HOUR)

    granted = body(api.get(claim_path(claim_id), accept=PUBLIC))
    assert granted["status"] == "GRANTED"
    assert granted["unmetConditions"] == []
    assert granted["commission"] == {"amount": 20.0, "currency": "PLN"}


def test_reb_02_a_claim_after_45_days_is_refused_with_422(api, unpaid, clock):
    clock.move_to(BOUGHT + 45 * DAY + MINUTE)

    response = file_claim(api, unpaid.lines.get(), language="en-US")

    assert response.status_code == 422
    [error] = errors(response)
    assert "within 45 days of the purchase" in error["userMessage"]
    assert not CommissionRefund.objects.exists()


def test_reb_02_a_claim_on_day_45_is_still_accepted(api, unpaid, clock):
    clock.move_to(BOUGHT + 45 * DAY)

    response = file_claim(api, unpaid.lines.get())

    assert response.status_code == 201
    assert body(response)["status"] == "GRANTED"


def test_reb_03_the_same_units_cannot_be_claimed_twice(api, unpaid):
    line = unpaid.lines.get()
    assert file_claim(api, line).status_code == 201

    response = file_claim(api, line, 1, language="en-US")

    assert response.status_code == 422
    [error] = errors(response)
    assert error["path"] == "quantity"
    assert error["userMessage"] == ("“Headphones”: you can claim at most 0 more units (bought 3, already claimed 3).")
    assert CommissionRefund.objects.count() == 1


def test_reb_03_part_of_the_units_can_be_claimed_and_the_rest_later(api, unpaid):
    line = unpaid.lines.get()

    first = file_claim(api, line, 2)
    second = file_claim(api, line, 1)
    third = file_claim(api, line, 1)

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 422)
    claim = body(api.get(claim_path(body(first)["id"]), accept=PUBLIC))
    assert claim["quantity"] == 2
    assert claim["lineItem"]["quantity"] == 3
    assert claim["commission"]["amount"] == 20.0
    assert commission.claimed_units(unpaid) == {line.pk: 3}


def test_reb_01_an_explicit_reason_no_contact_is_used(api, unpaid):
    response = file_claim(api, unpaid.lines.get(), reason="NO_CONTACT")

    assert response.status_code == 201
    claim = body(api.get(claim_path(body(response)["id"]), accept=PUBLIC))
    assert (claim["reason"], claim["status"]) == ("NO_CONTACT", "GRANTED")


def test_reb_01_an_unknown_reason_is_422_on_reason(api, unpaid):
    response = file_claim(api, unpaid.lines.get(), reason="BORED")

    assert response.status_code == 422
    assert [error["path"] for error in errors(response)] == ["reason"]


def test_reb_04_an_explicit_reason_is_evaluated_as_given(api, paid):
    """NOT_PAID on a paid order is filed and rejected, naming the unmet condition."""
    response = file_claim(api, paid.lines.get(), 1, reason="NOT_PAID", language="en-US")

    assert body(response)["status"] == "REJECTED"
    claim = body(api.get(claim_path(body(response)["id"]), accept=PUBLIC, language="en-US"))
    assert claim["unmetConditions"] == ["The buyer paid for the order."]


@pytest.mark.parametrize(
    ("state", "expected"),
    [("unpaid", Reason.NOT_PAID), ("paid", Reason.BUYER_CANCELLED), ("withdrawn", Reason.BUYER_CANCELLED)],
)
def test_reb_01_the_reason_follows_from_the_order_when_not_given(api, offer, buyer, state, expected):
    order = buy(offer, buyer, paid=state != "unpaid")
    if state == "withdrawn":
        services.withdraw_from_paid(order, buyer=buyer, now=BOUGHT + DAY)

    response = file_claim(api, order.lines.get(), 1)

    assert response.status_code == 201
    assert CommissionRefund.objects.get().reason == expected


def test_reb_01_a_cancelled_order_infers_buyer_cancelled(offer, buyer):
    """A cancelled unpaid order's units are all claimed automatically (REB-08), so the
    API can only meet it as a refusal; the inference is checked on its own."""
    order = buy(offer, buyer)
    services.cancel_order(order, buyer=buyer, now=BOUGHT + DAY)

    assert inferred_reason(Order.objects.get(pk=order.pk)) == Reason.BUYER_CANCELLED


def test_api_01_plain_application_json_bodies_are_accepted(api, unpaid):
    line = unpaid.lines.get()

    response = api.post(
        CLAIMS,
        {"lineItem": {"id": str(line.public_id)}, "quantity": 1},
        accept=PUBLIC,
        content_type="application/json",
    )

    assert response.status_code == 201


@pytest.mark.parametrize("line_id", ["other seller's", "00000000-0000-4000-8000-000000000000", "not-a-uuid", 12])
def test_api_01_a_line_of_another_seller_account_or_unknown_is_422_on_line_item_id(api, other_order, line_id):
    if line_id == "other seller's":
        line_id = str(other_order.lines.get().public_id)

    response = api.post(CLAIMS, {"lineItem": {"id": line_id}, "quantity": 1}, accept=PUBLIC, language="en-US")

    assert response.status_code == 422
    [error] = errors(response)
    assert error["path"] == "lineItem.id"
    assert error["userMessage"] == "No purchased product of this seller account has this ID."
    assert not CommissionRefund.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "Tick at least one product and its quantity."),
        (-1, "Enter whole numbers of units."),
        (1.5, "Enter whole numbers of units."),
        ("two", "Enter whole numbers of units."),
        (True, "Enter whole numbers of units."),
        ([1], "Enter whole numbers of units."),
        (4, "“Headphones”: you can claim at most 3 more units (bought 3, already claimed 0)."),
        (None, "This field may not be null."),
    ],
)
def test_reb_03_a_bad_quantity_is_422_on_quantity_with_the_services_message(api, unpaid, quantity, message):
    response = file_claim(api, unpaid.lines.get(), quantity, language="en-US")

    assert response.status_code == 422
    [error] = errors(response)
    assert (error["path"], error["userMessage"]) == ("quantity", message)
    assert not CommissionRefund.objects.exists()


@pytest.mark.parametrize(
    ("data", "paths"),
    [
        ({}, ["lineItem", "quantity"]),
        ({"quantity": 1}, ["lineItem"]),
        ({"lineItem": {}, "quantity": 1}, ["lineItem.id"]),
        ({"lineItem": "abc", "quantity": 1}, ["lineItem"]),
        ({"lineItem": {"id": "x"}}, ["quantity"]),
    ],
)
def test_api_01_missing_body_fields_are_422_naming_them(api, data, paths):
    response = api.post(CLAIMS, data, accept=PUBLIC)

    assert response.status_code == 422
    assert [error["path"] for error in errors(response)] == paths


def test_api_01_a_body_that_is_not_json_is_400(api):
    response = api.post(CLAIMS, "{not json", accept=PUBLIC)

    assert response.status_code == 400
    assert errors(response)[0]["code"] == "MALFORMED_REQUEST"


# --- REB-03 race through the API (PostgreSQL) -------------------------------------------------


def postgres_race(test):
    """tests/races.py's markers: PostgreSQL only, real transactions."""
    for mark in POSTGRES_RACES:
        test = mark(test)
    return test


@postgres_race
def test_reb_03_two_api_submissions_for_the_same_units_claim_them_once(offer, buyer, token):
    for round_ in range(5):
        order = buy(offer, buyer, now=BOUGHT + round_ * MINUTE)
        line = order.lines.get()

        def submit(line=line):
            return file_claim(ApiClient(token), line, 2)

        outcomes = race(submit, submit)

        assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
        assert sorted(response.status_code for response in outcomes) == [201, 422], round_
        [refused] = [response for response in outcomes if response.status_code == 422]
        assert errors(refused)[0]["path"] == "quantity"
        assert commission.claimed_units(order) == {line.pk: 2}
        assert CommissionRefundLine.objects.filter(line=line).count() == 1


# --- GET list ---------------------------------------------------------------------------------


@pytest.fixture
def listed(offer, seller_account, seller, buyer, other_buyer, other_order):
    """Five claims of the seller account, filed an hour apart (the last is the newest), and
    one of another account (never listed)."""
    second_offer = OfferFactory(seller_account=seller_account, title="Speaker", stock=50)
    plan = [
        (offer, buyer, Reason.NOT_PAID),  # granted
        (offer, other_buyer, Reason.NOT_PAID),  # granted
        (second_offer, buyer, Reason.NOT_PAID),  # granted
        (second_offer, other_buyer, Reason.BUYER_CANCELLED),  # rejected: not cancelled
        (offer, buyer, Reason.NO_CONTACT),  # granted
    ]
    claims = []
    for index, (item, who, reason) in enumerate(plan):
        order = buy(item, who, quantity=1, now=BOUGHT + index * MINUTE)
        application = commission.apply(
            order, seller=seller, reason=reason, quantities={order.lines.get().pk: 1}, now=OVERDUE + index * HOUR
        )
        claims.append(only_claim(application))
    commission.apply(
        other_order,
        seller=other_order.seller_account.user,
        reason=Reason.NOT_PAID,
        quantities={other_order.lines.get().pk: 1},
        now=OVERDUE,
    )
    return {"claims": claims, "second_offer": second_offer}


def listed_ids(response):
    return [claim["id"] for claim in body(response)["refundClaims"]]


def ids(claims):
    return [str(claim.public_id) for claim in claims]


def test_api_01_list_shows_the_accounts_claims_newest_first(api, listed):
    response = api.get(CLAIMS, accept=PUBLIC)

    assert response.status_code == 200
    assert listed_ids(response) == ids(reversed(listed["claims"]))
    assert (body(response)["count"], body(response)["totalCount"]) == (5, 5)


def test_api_01_list_pages_with_limit_and_offset(api, listed):
    newest_first = ids(reversed(listed["claims"]))

    response = api.get(f"{CLAIMS}?limit=2&offset=1", accept=PUBLIC)

    assert listed_ids(response) == newest_first[1:3]
    assert (body(response)["count"], body(response)["totalCount"]) == (2, 5)
    last = api.get(f"{CLAIMS}?limit=2&offset=4", accept=PUBLIC)
    assert (listed_ids(last), body(last)["count"]) == (newest_first[4:], 1)
    beyond = api.get(f"{CLAIMS}?offset=50", accept=PUBLIC)
    assert (body(beyond)["refundClaims"], body(beyond)["count"], body(beyond)["totalCount"]) == ([], 0, 5)


def test_api_01_list_filters_by_offer_buyer_and_status(api, listed, offer, other_buyer):
    claims = listed["claims"]

    by_offer = api.get(f"{CLAIMS}?lineItem.offer.id={offer.pk}", accept=PUBLIC)
    by_buyer = api.get(f"{CLAIMS}?buyer.id={other_buyer.pk}", accept=PUBLIC)
    rejected = api.get(f"{CLAIMS}?status=REJECTED", accept=PUBLIC)
    both = api.get(f"{CLAIMS}?status=GRANTED&lineItem.offer.id={listed['second_offer'].pk}", accept=PUBLIC)

    assert listed_ids(by_offer) == ids([claims[4], claims[1], claims[0]])
    assert listed_ids(by_buyer) == ids([claims[3], claims[1]])
    assert listed_ids(rejected) == ids([claims[3]])
    assert listed_ids(both) == ids([claims[2]])
    assert body(by_offer)["totalCount"] == 3


@pytest.mark.parametrize("query", ["status=IN_PROGRESS", "status=CANCELLED", "lineItem.offer.id=abc", "buyer.id=-1"])
def test_api_01_list_filters_that_match_nothing_give_an_empty_page(api, listed, query):
    response = api.get(f"{CLAIMS}?{query}", accept=PUBLIC)

    assert response.status_code == 200
    assert body(response) == {"refundClaims": [], "count": 0, "totalCount": 0}


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("status=FOO", "status"),
        ("status=granted", "status"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
    ],
)
def test_api_01_list_parameters_out_of_range_are_422_naming_them(api, query, path):
    response = api.get(f"{CLAIMS}?{query}", accept=PUBLIC, language="en-US")

    assert response.status_code == 422
    [error] = errors(response)
    assert error["path"] == path


def test_api_01_list_makes_the_same_number_of_queries_for_1_and_100_claims(
    api, offer, buyer, seller, django_assert_max_num_queries
):
    def add_claims(count, first):
        for index in range(first, first + count):
            order = buy(offer, buyer, quantity=1, now=BOUGHT + index * MINUTE)
            commission.apply(
                order, seller=seller, reason=Reason.NOT_PAID, quantities={order.lines.get().pk: 1}, now=OVERDUE
            )

    add_claims(1, 0)
    with CaptureQueriesContext(connection) as one:
        assert body(api.get(f"{CLAIMS}?limit=100", accept=PUBLIC, language="en-US"))["count"] == 1
    add_claims(99, 1)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = api.get(f"{CLAIMS}?limit=100", accept=PUBLIC, language="en-US")

    assert body(response)["count"] == 100


def test_api_01_an_application_of_several_lines_appears_as_several_claims(api, paid, seller, seller_account):
    headphones = paid.lines.get()
    speaker = OfferFactory(seller_account=seller_account, title="Speaker", stock=5)
    extra = OrderLine.objects.create(
        order=paid,
        offer=speaker,
        title="Speaker",
        unit_price=Decimal("50.00"),
        quantity=1,
        commission_per_unit=Decimal("5.00"),
    )
    application = commission.apply(
        paid,
        seller=seller,
        reason=Reason.BUYER_CANCELLED,
        quantities={headphones.pk: 1, extra.pk: 1},
        now=OVERDUE,
    )

    listed = body(api.get(CLAIMS, accept=PUBLIC))["refundClaims"]

    assert len(listed) == 2
    assert {claim["applicationId"] for claim in listed} == {application.number}
    assert sorted(claim["commission"]["amount"] for claim in listed) == [5.0, 10.0]
    assert {claim["lineItem"]["offer"]["id"] for claim in listed} == {str(headphones.offer_id), str(speaker.pk)}

    # REB-06: cancelling one claim cancels the whole application, so both claims.
    first, second = listed
    assert api.delete(claim_path(first["id"]), accept=PUBLIC).status_code == 204
    assert body(api.get(claim_path(second["id"]), accept=PUBLIC))["status"] == "CANCELLED"


def test_reb_08_automatic_applications_are_listed_as_automatic(api, unpaid, buyer):
    services.cancel_order(unpaid, buyer=buyer, now=BOUGHT + DAY)

    [claim] = body(api.get(CLAIMS, accept=PUBLIC))["refundClaims"]

    assert (claim["type"], claim["reason"], claim["status"], claim["quantity"]) == (
        "AUTOMATIC",
        "BUYER_CANCELLED",
        "GRANTED",
        3,
    )


# --- GET one, DELETE (REB-06) -----------------------------------------------------------------


def test_api_01_another_accounts_claim_is_404(api, other_order, other_token):
    application = commission.apply(
        other_order,
        seller=other_order.seller_account.user,
        reason=Reason.NOT_PAID,
        quantities={other_order.lines.get().pk: 1},
        now=OVERDUE,
    )
    foreign = only_claim(application).public_id

    assert api.get(claim_path(foreign), accept=PUBLIC).status_code == 404
    assert api.delete(claim_path(foreign), accept=PUBLIC).status_code == 404
    assert CommissionRefund.objects.get().status == Status.GRANTED
    # Its own account sees it.
    assert api.get(claim_path(foreign), token=other_token, accept=PUBLIC).status_code == 200


@pytest.mark.parametrize("claim_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "12"])
def test_api_01_an_unknown_or_malformed_claim_id_is_404(api, claim_id):
    response = api.get(claim_path(claim_id), accept=PUBLIC)

    assert response.status_code == 404
    assert errors(response)[0]["code"] == "NotFoundException"
    assert api.delete(claim_path(claim_id), accept=PUBLIC).status_code == 404


def test_reb_06_a_waiting_application_is_cancelled_then_a_second_delete_is_422(api, waiting):
    claim_id = only_claim(waiting).public_id

    first = api.delete(claim_path(claim_id), accept=PUBLIC)
    second = api.delete(claim_path(claim_id), accept=PUBLIC, language="en-US")

    assert first.status_code == 204
    assert first.content == b""
    waiting.refresh_from_db()
    assert (waiting.status, waiting.cancelled_at) == (Status.CANCELLED, OVERDUE)
    assert second.status_code == 422
    [error] = errors(second)
    assert (error["code"], error["userMessage"]) == (
        "ALREADY_PROCESSED",
        "Only a pending application can be cancelled.",
    )
    assert body(api.get(claim_path(claim_id), accept=PUBLIC))["status"] == "CANCELLED"


def test_reb_06_a_granted_application_cannot_be_cancelled(api, unpaid):
    claim_id = body(file_claim(api, unpaid.lines.get()))["id"]

    response = api.delete(claim_path(claim_id), accept=PUBLIC)

    assert response.status_code == 422
    assert CommissionRefund.objects.get().status == Status.GRANTED


def test_reb_07_an_appealed_application_shows_the_appeal_and_can_be_cancelled(api, paid, seller):
    rejected = commission.apply(
        paid, seller=seller, reason=Reason.NOT_PAID, quantities={paid.lines.get().pk: 1}, now=BOUGHT + DAY
    )
    commission.appeal(rejected, seller=seller, text="Kupujący zapłacił omyłkowo.", now=BOUGHT + 2 * DAY)
    claim_id = only_claim(rejected).public_id

    claim = body(api.get(claim_path(claim_id), accept=PUBLIC))

    assert claim["status"] == "APPEALED"
    assert claim["appeal"] == {
        "appealedAt": "2026-11-27T07:00:00.000Z",
        "text": "Kupujący zapłacił omyłkowo.",
        "decisionReason": None,
    }
    assert api.delete(claim_path(claim_id), accept=PUBLIC).status_code == 204


def test_reb_07_a_decided_appeal_shows_the_mediators_reason(api, paid, seller, mediator):
    rejected = commission.apply(
        paid, seller=seller, reason=Reason.NOT_PAID, quantities={paid.lines.get().pk: 1}, now=BOUGHT + DAY
    )
    commission.appeal(rejected, seller=seller, text="Kupujący zapłacił omyłkowo.", now=BOUGHT + 2 * DAY)
    commission.decide_appeal(rejected, mediator=mediator, grant=False, reason="Zapłata potwierdzona.", now=OVERDUE)

    claim = body(api.get(claim_path(only_claim(rejected).public_id), accept=PUBLIC))

    assert claim["status"] == "REJECTED_AFTER_APPEAL"
    assert claim["appeal"]["decisionReason"] == "Zapłata potwierdzona."


# --- Accept-Language ----------------------------------------------------------------------------


def test_api_01_accept_language_picks_the_language_of_unmet_conditions(api, offer, buyer):
    order = buy(offer, buyer, now=OVERDUE - DAY)  # its payment deadline is six days away
    claim_id = body(file_claim(api, order.lines.get(), reason="NOT_PAID"))["id"]

    english = api.get(claim_path(claim_id), accept=PUBLIC, language="en-US")
    polish = api.get(claim_path(claim_id), accept=PUBLIC, language="pl-PL")

    assert body(english)["status"] == "REJECTED"
    assert body(english)["unmetConditions"] == [
        "The buyer's payment deadline has not passed yet: it passes on 12/08/2026 9 a.m. CET."
    ]
    assert body(polish)["unmetConditions"] == [
        "Termin płatności kupującego jeszcze nie minął: mija 08.12.2026 09:00 CET."
    ]
    assert (english["Content-Language"], polish["Content-Language"]) == ("en", "pl")


def test_api_01_accept_language_picks_the_language_of_error_messages(api, unpaid):
    line = unpaid.lines.get()

    english = file_claim(api, line, 1.5, language="en-US")
    polish = file_claim(api, line, 1.5, language="pl-PL")

    assert errors(english)[0]["userMessage"] == "Enter whole numbers of units."
    assert errors(polish)[0]["userMessage"] == "Podaj liczby sztuk jako liczby całkowite."


@pytest.mark.parametrize(("header", "language"), [("cs-CZ", "cs"), ("sk-SK", "sk"), ("hu-HU", "hu")])
def test_api_01_i18n_01_czech_slovak_and_hungarian_clients_get_their_language(api, unpaid, header, language):
    from django.utils import translation

    response = file_claim(api, unpaid.lines.get(), 1.5, language=header)

    with translation.override(language):
        expected = translation.gettext("Enter whole numbers of units.")
    assert expected != "Enter whole numbers of units."
    assert errors(response)[0]["userMessage"] == expected
    assert response["Content-Language"] == language


# --- Media type, tokens, scopes ---------------------------------------------------------------


def test_api_01_accept_application_json_is_406(api, waiting):
    claim_id = only_claim(waiting).public_id

    for method, path in [("get", CLAIMS), ("get", claim_path(claim_id)), ("delete", claim_path(claim_id))]:
        response = api.request(method, path, accept="application/json")
        assert response.status_code == 406, (method, path)
        assert errors(response)[0]["code"] == "NotAcceptableException"
    assert file_claim(api, waiting.order.lines.get(), 1, headers={"Accept": "application/json"}).status_code == 406
    assert CommissionRefund.objects.get().status == Status.WAITING_FOR_PAYMENT_REFUND


def test_api_01_no_token_is_401_and_an_expired_token_is_401(anonymous_api, api, expired_token, unpaid):
    assert anonymous_api.get(CLAIMS, accept=PUBLIC).status_code == 401
    assert file_claim(anonymous_api, unpaid.lines.get()).status_code == 401
    assert api.get(CLAIMS, token=expired_token, accept=PUBLIC).status_code == 401
    assert not CommissionRefund.objects.exists()


@pytest.mark.parametrize(
    ("scope", "read", "write"),
    [
        (SCOPE_DISPUTES, 403, 403),
        (SCOPE_ORDERS_READ, 200, 403),
        (SCOPE_ORDERS_WRITE, 403, 201),
    ],
)
def test_api_01_reading_needs_orders_read_and_filing_needs_orders_write(
    api, seller, oauth_app, unpaid, scope, read, write
):
    scoped = make_token(seller, oauth_app, scope=scope)

    assert api.get(CLAIMS, token=scoped, accept=PUBLIC).status_code == read
    assert file_claim(api, unpaid.lines.get(), 1, token=scoped).status_code == write


def test_api_01_cancelling_needs_orders_write(api, seller, oauth_app, waiting):
    read_only = make_token(seller, oauth_app, scope=SCOPE_ORDERS_READ)

    response = api.delete(claim_path(only_claim(waiting).public_id), token=read_only, accept=PUBLIC)

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"  # API-04
    assert CommissionRefund.objects.get().status == Status.WAITING_FOR_PAYMENT_REFUND


def test_api_01_a_token_of_a_user_without_seller_account_is_403(api, buyer, oauth_app):
    assert api.get(CLAIMS, token=make_token(buyer, oauth_app), accept=PUBLIC).status_code == 403


def test_api_01_the_generated_document_describes_the_refund_claims(api):
    response = api.get("/openapi.json", accept="application/json", contract_check=False)

    document = json.loads(response.content)
    operations = document["paths"]["/order/refund-claims"]
    assert operations["get"]["operationId"] == "getRefundApplications"
    assert operations["post"]["operationId"] == "createRefundApplication"
    assert operations["post"]["security"] == [{"oauth2": [SCOPE_ORDERS_WRITE]}]
    detail = document["paths"]["/order/refund-claims/{claim_id}"]
    assert {detail["get"]["operationId"], detail["delete"]["operationId"]} == {
        "getRefundApplication",
        "cancelRefundApplication",
    }
    schemas = document["components"]["schemas"]
    assert schemas["RefundClaimRequest"]["properties"]["quantity"]["minimum"] == 1
    assert schemas["RefundClaimCommission"]["properties"]["amount"]["type"] == "number"
