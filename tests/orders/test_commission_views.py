"""Commission-refund pages through the Django test client (REB-01…08, ORD-04, SEC-01/05).

Texts are checked against what the rule produced (`describe_conditions`, `can_apply`) or
against the source string as the pinned language renders it, not against copies of the
wording (STYLE §11)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from core.templatetags.ui import market_date, market_time, money
from orders import commission, services
from orders.models import CommissionRefund, Order
from orders.views import PAGE_SIZE
from tests.factories import OfferFactory

DAY = timedelta(days=1)
ONLINE = Order.PaymentMethod.ONLINE
TRANSFER = Order.PaymentMethod.TRADITIONAL_TRANSFER
Status = CommissionRefund.Status
Reason = CommissionRefund.Reason


def polish(text, **params):
    with translation.override("pl"):
        translated = gettext(text)
    return escape(translated % params if params else translated)


def html(response):
    return response.content.decode()


def text_of(response):
    """The page's text with tags dropped and white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


def zl(amount):
    return money(Decimal(amount), "PLN")


def bought(offer, buyer, ago, *, quantity=1, method=ONLINE, paid=False):
    now = timezone.now()
    order = services.buy_offer(offer, buyer=buyer, quantity=quantity, payment_method=method, now=now - ago)
    if paid:
        services.pay_order(order, buyer=buyer, now=now - ago + timedelta(hours=1))
    return order


def new_url(order):
    return reverse("orders:commission_refund_new", args=[order.pk])


def detail_url(application):
    return reverse("orders:commission_refund_detail", args=[application.pk])


def form_data(order, reason=Reason.NOT_PAID, units=None, action="apply"):
    line = order.lines.get()
    data = {f"claim_{line.pk}": "on", f"units_{line.pk}": str(line.quantity if units is None else units)}
    if reason:
        data["reason"] = reason
    if action:
        data["action"] = action
    return data


def input_tag(response, name):
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html(response))
    assert tag, f"no input named {name}"
    return tag.group(0)


def field_error(response, field):
    match = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', html(response), re.S)
    return match.group(1) if match else None


@pytest.fixture
def offer(seller_account):
    """10 % of 100.00: a commission of 10.00 per unit."""
    return OfferFactory(seller_account=seller_account, title="Headphones", stock=50, price=Decimal("100.00"))


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


# --- REB-01: from the Akcje menu, with one of three reasons ----------------------------------


def test_reb_01_actions_menu_and_order_page_lead_to_the_application_form(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY)

    listing = seller_client.get(reverse("orders:seller_order_list"))
    detail = seller_client.get(order.get_seller_url())
    form = seller_client.get(new_url(order))

    assert f'href="{new_url(order)}"' in html(listing)
    assert f'href="{new_url(order)}"' in html(detail)
    assert form.status_code == 200
    radios = re.findall(r'<input type="radio" name="reason" value="(\w+)"', html(form))
    assert radios == [Reason.NOT_PAID, Reason.NO_CONTACT, Reason.BUYER_CANCELLED]
    for _value, label in Reason.choices:
        assert escape(str(label)) in html(form)
    assert "<fieldset" in html(form) and "<legend>" in html(form)


def test_reb_01_not_paid_after_the_payment_deadline_is_granted_and_shown(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY, quantity=2)

    response = seller_client.post(new_url(order), form_data(order, Reason.NOT_PAID))

    application = CommissionRefund.objects.get(order=order)
    assert response.status_code == 302
    assert response["Location"] == detail_url(application)
    assert (application.status, application.type, application.amount) == (
        Status.GRANTED,
        CommissionRefund.Type.MANUAL,
        Decimal("20.00"),
    )
    page = seller_client.get(detail_url(application))
    assert escape(application.get_status_display()) in html(page)
    assert zl("20.00") in html(page)
    assert escape(application.get_reason_display()) in html(page)


# --- REB-02: 45 days --------------------------------------------------------------------------


def test_reb_02_menu_disabled_after_45_days_with_the_reason(seller_client, offer, buyer):
    old = bought(offer, buyer, 46 * DAY, paid=True)
    recent = bought(offer, buyer, 44 * DAY, paid=True)
    allowed, reason = commission.can_apply(old, timezone.now())
    assert not allowed

    listing = seller_client.get(reverse("orders:seller_order_list"))
    detail = seller_client.get(old.get_seller_url())
    form = seller_client.get(new_url(old))
    post = seller_client.post(new_url(old), form_data(old))

    assert f'href="{new_url(old)}"' not in html(listing)
    assert f'href="{new_url(recent)}"' in html(listing)
    first_cell = rf'<tr>\s*<td[^>]*><a href="{re.escape(old.get_seller_url())}">'
    row = re.search(rf"{first_cell}.*?</tr>", html(listing), re.S).group(0)
    assert 'aria-disabled="true"' in row
    assert escape(reason) in row
    assert escape(reason) in html(detail)
    assert re.search(r"<button[^>]*disabled[^>]*>", html(detail))
    assert form.status_code == 200 and escape(reason) in html(form)
    assert 'name="reason"' not in html(form)
    assert post.status_code == 400 and escape(reason) in html(post)
    assert not CommissionRefund.objects.exists()


# --- REB-03: lines and quantities ------------------------------------------------------------


def test_reb_03_partial_units_then_only_the_rest_can_be_claimed(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY, quantity=3)
    line = order.lines.get()
    seller_client.post(new_url(order), form_data(order, Reason.NO_CONTACT, units=2))
    first = CommissionRefund.objects.get()
    assert (first.status, first.amount, first.lines.get().quantity) == (Status.GRANTED, Decimal("20.00"), 2)

    form = seller_client.get(new_url(order))
    too_many = seller_client.post(new_url(order), form_data(order, Reason.NO_CONTACT, units=2))

    row = re.search(r'<tr class="commission-line[^"]*".*?</tr>', html(form), re.S).group(0)
    cells = [
        c.strip() for c in re.findall(r'<td class="num">(?:<span class="cell-label">[^<]*</span>)?(.*?)</td>', row)
    ]
    assert cells[:2] == ["3", "2"]  # bought, already claimed
    assert 'max="1"' in input_tag(form, f"units_{line.pk}")
    assert too_many.status_code == 400
    assert field_error(too_many, f"units_{line.pk}")
    assert 'value="2"' in input_tag(too_many, f"units_{line.pk}")
    assert CommissionRefund.objects.count() == 1


def test_reb_03_fully_claimed_order_offers_nothing_more(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY)
    seller_client.post(new_url(order), form_data(order))

    form = seller_client.get(new_url(order))

    assert 'name="reason"' not in html(form)
    assert polish("Every unit of this order is already covered by an application.") in html(form)


# --- REB-04: the result in plain words ----------------------------------------------------------


def test_reb_04_rejected_lists_the_unmet_conditions_in_plain_words(seller_client, offer, buyer):
    order = bought(offer, buyer, 3 * DAY)  # unpaid, its 7 days not over

    seller_client.post(new_url(order), form_data(order, Reason.NOT_PAID))
    application = CommissionRefund.objects.get()
    page = seller_client.get(detail_url(application))

    assert application.status == Status.REJECTED
    conditions = commission.describe_conditions(application.unmet_conditions, order)
    assert conditions
    for condition in conditions:
        assert f"<li>{escape(condition)}</li>" in html(page)
    assert market_time(order.payment_due_at, order.market) in text_of(page)


def test_reb_04_waiting_says_what_is_awaited_then_the_refund_grants_it(seller_client, offer, buyer):
    order = bought(offer, buyer, 5 * DAY, paid=True)
    services.withdraw_from_paid(order, buyer=buyer)

    seller_client.post(new_url(order), form_data(order, Reason.BUYER_CANCELLED))
    application = CommissionRefund.objects.get()
    assert application.status == Status.WAITING_FOR_PAYMENT_REFUND
    waiting = seller_client.get(detail_url(application))
    refund = seller_client.post(reverse("orders:seller_order_refund", args=[order.pk]), {"kind": "full"})
    application.refresh_from_db()
    order_page = seller_client.get(order.get_seller_url())

    for condition in commission.describe_conditions([{"code": "REFUND_NOT_MADE"}], order):
        assert escape(condition) in html(waiting)
    assert market_time(application.deadline_at, order.market) in text_of(waiting)
    assert f'href="{order.get_seller_url()}#refund"' in html(waiting)
    assert refund.status_code == 302
    assert application.status == Status.GRANTED
    assert polish("Commission refund granted: %(amount)s", amount=zl("10.00")) in html(order_page)


# --- REB-05: the commission before submitting -------------------------------------------------------


def test_reb_05_commission_shown_before_submitting(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY, quantity=3)
    line = order.lines.get()

    form = seller_client.get(new_url(order))
    recalculated = seller_client.post(new_url(order), form_data(order, reason=None, units=2, action="recalculate"))

    total = re.compile(r'<output id="commission-total"[^>]*>(.*?)</output>')
    assert total.search(html(form)).group(1) == zl("30.00")  # every unit ticked at first
    assert zl("10.00") in html(form)  # per unit
    assert recalculated.status_code == 200
    assert total.search(html(recalculated)).group(1) == zl("20.00")
    assert 'value="2"' in input_tag(recalculated, f"units_{line.pk}")
    assert field_error(recalculated, "reason") is None  # only the figures were asked for
    assert not CommissionRefund.objects.exists()


def test_reb_05_the_result_shows_the_refunded_commission(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY, quantity=3)

    response = seller_client.post(new_url(order), form_data(order, Reason.NOT_PAID, units=2), follow=True)

    assert zl("20.00") in html(response)
    assert CommissionRefund.objects.get().amount == Decimal("20.00")


# --- SEC-05: errors keep what was entered ------------------------------------------------------------


def test_sec_05_errors_keep_the_input(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY, quantity=3)
    line = order.lines.get()

    no_reason = seller_client.post(new_url(order), form_data(order, reason=None, units=2))
    bad_units = seller_client.post(
        new_url(order), {"reason": Reason.NO_CONTACT, f"claim_{line.pk}": "on", f"units_{line.pk}": "abc"}
    )
    nothing = seller_client.post(new_url(order), {"reason": Reason.NO_CONTACT, f"units_{line.pk}": "2"})

    assert no_reason.status_code == 400
    assert field_error(no_reason, "reason") == polish("Choose the reason for the application.")
    assert 'value="2"' in input_tag(no_reason, f"units_{line.pk}")
    assert "checked" in input_tag(no_reason, f"claim_{line.pk}")
    assert bad_units.status_code == 400
    assert field_error(bad_units, f"units_{line.pk}")
    assert 'value="abc"' in input_tag(bad_units, f"units_{line.pk}")
    assert re.search(r'value="NO_CONTACT"[^>]*checked', html(bad_units))
    assert nothing.status_code == 400
    assert polish("Tick at least one product and its quantity.") in html(nothing)
    assert "checked" not in input_tag(nothing, f"claim_{line.pk}")
    assert not CommissionRefund.objects.exists()


# --- REB-06: the list, cancelling -------------------------------------------------------------------


def test_reb_06_list_shows_status_reason_type_amount_and_dates(seller_client, offer, buyer):
    granted = bought(offer, buyer, 10 * DAY)
    cancelled = bought(offer, buyer, 4 * DAY)
    seller_client.post(new_url(granted), form_data(granted))
    services.cancel_order(cancelled, buyer=buyer)  # REB-08: filed automatically
    manual = CommissionRefund.objects.get(order=granted)
    automatic = CommissionRefund.objects.get(order=cancelled)

    page = seller_client.get(reverse("orders:commission_refund_list"))

    body = html(page)
    for application in (manual, automatic):
        assert f'href="{detail_url(application)}"' in body
        assert f'href="{application.order.get_seller_url()}"' in body
        assert market_time(application.created_at, application.order.market) in body
        assert market_time(application.decided_at, application.order.market) in body
    assert escape(str(CommissionRefund.Type.MANUAL.label)) in body
    assert escape(str(CommissionRefund.Type.AUTOMATIC.label)) in body
    assert escape(str(Reason.NOT_PAID.label)) in body and escape(str(Reason.BUYER_CANCELLED.label)) in body
    assert zl("10.00") in body


def test_reb_06_list_filters_by_status(seller_client, offer, buyer):
    granted_order = bought(offer, buyer, 10 * DAY)
    rejected_order = bought(offer, buyer, 2 * DAY)
    seller_client.post(new_url(granted_order), form_data(granted_order))
    seller_client.post(new_url(rejected_order), form_data(rejected_order))
    granted = CommissionRefund.objects.get(status=Status.GRANTED)
    rejected = CommissionRefund.objects.get(status=Status.REJECTED)

    page = seller_client.get(reverse("orders:commission_refund_list"), {"status": Status.REJECTED})

    assert f'href="{detail_url(rejected)}"' in html(page)
    assert f'href="{detail_url(granted)}"' not in html(page)


def test_reb_06_list_query_count_does_not_grow_with_applications(
    seller_client, django_assert_num_queries, offer, buyer, other_buyer
):
    buyers = [buyer, other_buyer]

    def add(index):
        order = bought(offer, buyers[index % 2], (10 + index % 20) * DAY)
        if index % 3 == 0:
            services.cancel_order(order, buyer=order.buyer)
        else:
            reason = Reason.NOT_PAID if index % 3 == 1 else Reason.NO_CONTACT
            commission.apply(
                order, seller=offer.seller_account.user, reason=reason, quantities={order.lines.get().pk: 1}
            )

    add(1)
    url = reverse("orders:commission_refund_list")
    seller_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        seller_client.get(url)
    with_one = len(queries)  # read now: the next request resets the connection's log
    for index in range(2, 31):
        add(index)

    seller_client.get(url)
    with django_assert_num_queries(with_one):
        response = seller_client.get(url)

    assert len(response.context["page"].object_list) == PAGE_SIZE
    assert CommissionRefund.objects.count() == 30


def test_reb_06_cancel_pending(seller_client, offer, buyer):
    order = bought(offer, buyer, 5 * DAY, paid=True)
    seller_client.post(new_url(order), form_data(order, Reason.BUYER_CANCELLED))
    application = CommissionRefund.objects.get()
    assert application.status == Status.WAITING_FOR_PAYMENT_REFUND
    cancel_url = reverse("orders:commission_refund_cancel", args=[application.pk])

    before = seller_client.get(detail_url(application))
    response = seller_client.post(cancel_url)
    after = seller_client.get(detail_url(application))
    application.refresh_from_db()

    assert f'action="{cancel_url}"' in html(before)
    assert "<details" in html(before)  # the button opens a confirmation first
    assert response.status_code == 302
    assert application.status == Status.CANCELLED and application.cancelled_at
    assert f'action="{cancel_url}"' not in html(after)
    # Its units are free again.
    assert 'name="reason"' in html(seller_client.get(new_url(order)))


def test_reb_06_only_pending_can_be_cancelled(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY)
    seller_client.post(new_url(order), form_data(order))
    application = CommissionRefund.objects.get()
    cancel_url = reverse("orders:commission_refund_cancel", args=[application.pk])

    page = seller_client.get(detail_url(application))
    response = seller_client.post(cancel_url, follow=True)

    assert f'action="{cancel_url}"' not in html(page)
    assert polish("Only a pending application can be cancelled.") in html(response)
    application.refresh_from_db()
    assert application.status == Status.GRANTED


# --- REB-07: appeal once ------------------------------------------------------------------------------


def test_reb_07_appeal_once_via_the_form(seller_client, offer, buyer, mediator):
    order = bought(offer, buyer, 5 * DAY, paid=True)
    seller_client.post(new_url(order), form_data(order, Reason.NOT_PAID))
    application = CommissionRefund.objects.get()
    assert application.status == Status.REJECTED
    appeal_url = reverse("orders:commission_refund_appeal", args=[application.pk])

    form = seller_client.get(detail_url(application))
    empty = seller_client.post(appeal_url, {"text": "   "})
    sent = seller_client.post(appeal_url, {"text": "The buyer cancelled by phone <b>twice</b>."})
    appealed = seller_client.get(detail_url(application))
    again = seller_client.post(appeal_url, {"text": "Once more."}, follow=True)
    application.refresh_from_db()

    assert f'action="{appeal_url}"' in html(form)
    assert empty.status_code == 400 and field_error(empty, "text")
    assert sent.status_code == 302
    assert application.status == Status.APPEALED
    assert application.appeal_text == "The buyer cancelled by phone <b>twice</b>."
    assert f'action="{appeal_url}"' not in html(appealed)
    assert escape(application.appeal_text) in html(appealed)
    assert again.status_code == 200
    assert application.appeal_text.endswith("twice</b>.")

    commission.decide_appeal(application, mediator=mediator, grant=True, reason="The buyer confirmed it.")
    decided = seller_client.get(detail_url(application))
    assert escape(str(Status.GRANTED.label)) in html(decided)
    assert "The buyer confirmed it." in html(decided)


def test_reb_07_appeal_text_too_long_is_kept(seller_client, offer, buyer):
    order = bought(offer, buyer, 5 * DAY, paid=True)
    seller_client.post(new_url(order), form_data(order, Reason.NOT_PAID))
    application = CommissionRefund.objects.get()
    text = "x" * (commission.MAX_APPEAL + 1)

    response = seller_client.post(reverse("orders:commission_refund_appeal", args=[application.pk]), {"text": text})

    assert response.status_code == 400
    assert field_error(response, "text")
    assert text in html(response)
    application.refresh_from_db()
    assert application.status == Status.REJECTED


# --- REB-08: the buyer's withdrawal is reachable ------------------------------------------------------


def test_reb_08_buyer_withdraws_then_the_sellers_refund_files_an_automatic_application(client, seller, offer, buyer):
    order = bought(offer, buyer, 5 * DAY, paid=True)
    withdraw_url = reverse("orders:purchase_withdraw", args=[order.pk])
    client.force_login(buyer)

    page = client.get(order.get_absolute_url())
    response = client.post(withdraw_url)
    after = client.get(order.get_absolute_url())
    order.refresh_from_db()

    assert f'action="{withdraw_url}"' in html(page)
    assert response.status_code == 302 and order.cancellation_requested_at is not None
    assert f'action="{withdraw_url}"' not in html(after)
    client.force_login(seller)
    assert "notice-warning" in html(client.get(order.get_seller_url()))
    client.post(reverse("orders:seller_order_refund", args=[order.pk]), {"kind": "full"})
    application = CommissionRefund.objects.get(order=order)
    assert (application.type, application.status) == (CommissionRefund.Type.AUTOMATIC, Status.GRANTED)
    assert f'href="{detail_url(application)}"' in html(client.get(reverse("orders:commission_refund_list")))


def test_reb_08_withdrawing_is_offered_only_for_a_paid_order(client, offer, buyer):
    unpaid = bought(offer, buyer, 1 * DAY)
    client.force_login(buyer)

    page = client.get(unpaid.get_absolute_url())
    response = client.post(reverse("orders:purchase_withdraw", args=[unpaid.pk]), follow=True)

    assert reverse("orders:purchase_withdraw", args=[unpaid.pk]) not in html(page)
    assert response.status_code == 200
    unpaid.refresh_from_db()
    assert unpaid.cancellation_requested_at is None


# --- ORD-04: the payment deadline and a granted refund on the order pages -------------------------------


@pytest.mark.parametrize(("method", "days"), [(ONLINE, 7), (TRANSFER, 14)], ids=["online-7-days", "transfer-14-days"])
def test_ord_04_payment_deadline_shown(client, seller, offer, buyer, method, days):
    order = bought(offer, buyer, 2 * DAY, method=method)
    assert order.payment_due_at == order.created_at + days * DAY
    due_time = market_time(order.payment_due_at, order.market)

    client.force_login(seller)
    listing = client.get(reverse("orders:seller_order_list"))
    seller_page = client.get(order.get_seller_url())
    form = client.get(new_url(order))
    client.force_login(buyer)
    buyer_page = client.get(order.get_absolute_url())

    assert market_date(order.payment_due_at, order.market) in html(listing)
    for page in (seller_page, form, buyer_page):
        assert due_time in html(page)


def test_ord_04_granted_commission_refund_shown_on_the_sellers_pages(seller_client, offer, buyer):
    order = bought(offer, buyer, 10 * DAY, quantity=2)
    other = bought(offer, buyer, 9 * DAY)
    seller_client.post(new_url(order), form_data(order, units=1))
    seller_client.post(new_url(order), form_data(order, Reason.NO_CONTACT, units=1))

    listing = seller_client.get(reverse("orders:seller_order_list"))
    page = seller_client.get(order.get_seller_url())
    other_page = seller_client.get(other.get_seller_url())

    granted = polish("Commission refund granted")
    first_cell = rf'<tr>\s*<td[^>]*><a href="{re.escape(order.get_seller_url())}">'
    row = re.search(rf"{first_cell}.*?</tr>", html(listing), re.S).group(0)
    assert f"{granted}: {zl('20.00')}" in row
    assert html(listing).count(granted) == 1
    assert polish("Commission refund granted: %(amount)s", amount=zl("20.00")) in html(page)
    assert "commission-granted" not in html(other_page)


# --- SEC-01: other sellers -------------------------------------------------------------------------------


@pytest.mark.parametrize("intruder", ["other_seller", "linked_seller", "buyer"])
def test_sec_01_other_sellers_get_404(client, request, seller, offer, buyer, intruder):
    order = bought(offer, buyer, 5 * DAY, paid=True)
    application = commission.apply(order, seller=seller, reason=Reason.NOT_PAID, quantities={order.lines.get().pk: 1})
    client.force_login(request.getfixturevalue(intruder))

    responses = [
        client.get(new_url(order)),
        client.post(new_url(order), form_data(order)),
        client.get(detail_url(application)),
        client.post(reverse("orders:commission_refund_appeal", args=[application.pk]), {"text": "Mine."}),
        client.post(reverse("orders:commission_refund_cancel", args=[application.pk])),
    ]
    listing = client.get(reverse("orders:commission_refund_list"))

    assert [r.status_code for r in responses] == [404] * 5
    assert detail_url(application) not in html(listing)
    application.refresh_from_db()
    assert (application.status, application.appeal_text) == (Status.REJECTED, "")
    assert CommissionRefund.objects.count() == 1
