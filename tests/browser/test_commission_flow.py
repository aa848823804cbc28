"""REB-01…08 in a real browser, on the demo data: the demo seller applies for commission
refunds from *Zamówienia* — an unpaid order after its payment deadline (granted at once),
a paid order the buyer withdrew from (waiting, then granted by the refund on the order
page), a paid order for which "the buyer did not pay" is rejected with the reasons — and
appeals; a mediator finds the appeal in the mediators' queue and grants it; the seller
sees it granted. A second walk: the buyer withdraws from a paid purchase (*Odstąp od
umowy*) and the seller's refund files the automatic application (REB-08).

The commission-refund pages are new: their labels are matched by a pattern taking the
Polish or the English text (until the catalogue has them), by link target or by form
field name; assertions are on URLs, numbers and the stored state.
"""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from core.templatetags.ui import money
from orders import commission
from orders.management.commands.seed_demo import DEMO_PASSWORD
from orders.models import CommissionRefund, Order
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

Status = CommissionRefund.Status
APPEAL_TEXT = "Kupujący zapłacił, a potem zrezygnował telefonicznie i odesłał paczkę bez odstąpienia w systemie."
DECISION_TEXT = "Kupujący potwierdził rezygnację; przyznajemy zwrot prowizji."
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def either(polish, english):
    return re.compile(rf"^\s*({re.escape(polish)}|{re.escape(english)})\s*$")


COMMISSION_REFUND = either("Zwrot prowizji", "Commission refund")


@pytest.fixture
def demo(live_server):
    # Content types, permissions and markets are put back by conftest's _reference_data.
    call_command("seed_demo", stdout=io.StringIO())


def seller_orders():
    return Order.objects.filter(
        seller_account__user__username="sprzedawca",
        created_at__gt=timezone.now() - timedelta(days=40),
        commission_refunds__isnull=True,
        refunds__isnull=True,
    ).order_by("-created_at")


def new_path(order):
    return reverse("orders:commission_refund_new", args=[order.pk])


def detail_path(application):
    return reverse("orders:commission_refund_detail", args=[application.pk])


def pln(amount):
    return money(Decimal(amount), "PLN")


def total(page):
    return page.locator("#commission-total").inner_text().strip()


def submit(page, action):
    page.locator(f".commission-form button[value={action}]").click()
    page.wait_for_load_state()


def admin_sign_in(page, username):
    page.goto("/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state()


def test_reb_01_to_07_seller_applies_three_ways_and_a_mediator_grants_the_appeal(
    chromium, live_server, page, demo, shoot
):
    now = timezone.now()
    overdue = seller_orders().filter(status=Order.Status.AWAITING_PAYMENT, payment_due_at__lt=now).first()
    withdrawn = seller_orders().filter(status=Order.Status.PAID, cancellation_requested_at__isnull=False).first()
    paid = seller_orders().filter(status=Order.Status.PAID, cancellation_requested_at__isnull=True).first()
    assert overdue and withdrawn and paid, "the demo keeps these orders for the walk-through"
    sign_in(page, "sprzedawca", DEMO_PASSWORD)

    # REB-02: after 45 days the menu item is disabled, with the reason.
    page.goto("/seller/orders/?show=overdue")
    old = (
        Order.objects.filter(
            seller_account__user__username="sprzedawca",
            status=Order.Status.AWAITING_PAYMENT,
            created_at__lt=now - timedelta(days=45),
        )
        .order_by("-created_at")
        .first()
    )
    old_row = page.locator("tr", has=page.get_by_role("link", name=old.number, exact=True))
    old_row.get_by_text("Akcje").click()
    with translation.override("pl"):
        _allowed, why = commission.can_apply(old, timezone.now())
    assert old_row.locator(".menu-disabled").get_by_text(COMMISSION_REFUND).is_visible()
    assert old_row.locator(".menu-why").inner_text() == why
    assert old_row.locator(f'a[href="{new_path(old)}"]').count() == 0
    shoot(page, "commission-menu-disabled-pl")
    old_row.get_by_text("Akcje").click()

    # REB-01: Zamówienia → Akcje → Zwrot prowizji, on the unpaid order after its deadline.
    row = page.locator("tr", has=page.get_by_role("link", name=overdue.number, exact=True))
    row.get_by_text("Akcje").click()
    shoot(page, "commission-menu-pl")
    row.get_by_role("link", name=COMMISSION_REFUND).click()
    page.wait_for_load_state()
    assert page.url.endswith(new_path(overdue))
    line = overdue.lines.get()
    claim, units = page.locator(f"#id_claim_{line.pk}"), page.locator(f"#id_units_{line.pk}")
    line_commission = line.commission_per_unit * line.quantity
    # REB-05: the commission is shown before submitting, and follows the ticks live.
    assert claim.is_checked()
    assert total(page) == pln(line_commission)
    claim.uncheck()
    assert total(page) == pln("0.00")
    claim.check()
    assert total(page) == pln(line_commission)
    shoot(page, "commission-form-pl")

    # SEC-05: too many units and no reason — both errors shown, the input kept.
    units.fill(str(line.quantity + 4))
    submit(page, "apply")
    assert page.locator(".field-error").count() == 2
    assert units.input_value() == str(line.quantity + 4)
    assert claim.is_checked()
    shoot(page, "commission-form-error-pl")
    units.fill(str(line.quantity))
    page.locator("input[name=reason][value=NOT_PAID]").check()
    submit(page, "recalculate")  # without JavaScript the server recomputes the figure
    assert total(page) == pln(line_commission)
    assert page.locator("input[name=reason][value=NOT_PAID]").is_checked()
    submit(page, "apply")
    granted = CommissionRefund.objects.get(order=overdue)
    assert (granted.status, granted.amount) == (Status.GRANTED, line_commission)
    assert page.url.endswith(detail_path(granted))
    assert page.locator(".commission-result").get_by_text(pln(line_commission)).is_visible()
    shoot(page, "commission-granted-pl")

    # REB-04/05: the paid order the buyer withdrew from — waiting for the refund …
    page.goto(withdrawn.get_seller_url())
    page.locator(f'#commission-refund a[href="{new_path(withdrawn)}"]').click()
    page.wait_for_load_state()
    page.locator("input[name=reason][value=BUYER_CANCELLED]").check()
    submit(page, "apply")
    waiting = CommissionRefund.objects.get(order=withdrawn)
    assert waiting.status == Status.WAITING_FOR_PAYMENT_REFUND
    assert page.url.endswith(detail_path(waiting))
    with translation.override("pl"):
        awaited = commission.describe_conditions(waiting.unmet_conditions, withdrawn)
    assert page.locator(".commission-result .conditions li").all_inner_texts() == awaited
    shoot(page, "commission-waiting-pl")
    # … granted when the seller refunds through Allegro Finanse on the order page.
    page.locator(f'.commission-result a[href="{withdrawn.get_seller_url()}#refund"]').click()
    page.wait_for_load_state()
    page.locator("#refund input[name=kind][value=full]").check()
    page.locator("#refund button[type=submit]").click()
    page.wait_for_load_state()
    # SAFE-03: the refund is confirmed on a page that says the amount in money format.
    with translation.override("pl"):
        assert money(withdrawn.total_amount, withdrawn.currency) in page.locator(".confirmation").inner_text()
    shoot(page, "refund-confirm-pl")
    page.locator(".confirmation button[type=submit]").click()
    page.wait_for_load_state()
    waiting.refresh_from_db()
    assert waiting.status == Status.GRANTED
    assert page.locator(".commission-granted").is_visible()
    shoot(page, "commission-order-granted-pl")

    # REB-04: "the buyer did not pay" on a paid order — rejected, with the reasons …
    page.goto(new_path(paid))
    page.locator("input[name=reason][value=NOT_PAID]").check()
    submit(page, "apply")
    rejected = CommissionRefund.objects.get(order=paid)
    assert rejected.status == Status.REJECTED
    with translation.override("pl"):
        reasons = commission.describe_conditions(rejected.unmet_conditions, paid)
    assert reasons
    assert page.locator(".commission-result .conditions li").all_inner_texts() == reasons
    # … REB-07: and appealed once, through the appeal form.
    page.locator("#appeal textarea[name=text]").fill(APPEAL_TEXT)
    shoot(page, "commission-rejected-pl")
    page.locator("#appeal button[type=submit]").click()
    page.wait_for_load_state()
    rejected.refresh_from_db()
    assert (rejected.status, rejected.appeal_text) == (Status.APPEALED, APPEAL_TEXT)
    assert page.locator("#appeal").count() == 0
    assert page.get_by_text(APPEAL_TEXT).is_visible()
    shoot(page, "commission-appealed-pl")

    # REB-06: the list, with the three new applications.
    page.goto(reverse("orders:commission_refund_list"))
    for application in (granted, waiting, rejected):
        assert page.locator(f'a[href="{detail_path(application)}"]').is_visible()
    shoot(page, "commission-list-pl")

    # REB-07 / MED-01: the mediator finds the appeal in the queue and grants it.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    desk = context.new_page()
    desk.set_default_timeout(10_000)
    admin_sign_in(desk, "mediator")
    desk.goto(reverse("admin:discussions_queue") + "?reason=appeal")
    queue_row = desk.locator("#result_list tbody tr", has=desk.get_by_role("link", name=re.compile(rejected.number)))
    assert queue_row.count() == 1
    assert "queue-appeal" in queue_row.get_attribute("class")
    shoot(desk, "commission-mediator-queue-pl")
    queue_row.get_by_role("link", name=re.compile(rejected.number)).click()
    desk.wait_for_load_state()
    assert desk.url.endswith(reverse("admin:orders_commissionrefund_change", args=[rejected.pk]))
    desk.locator(
        f'.object-tools a[href$="{reverse("admin:orders_commissionrefund_appeal", args=[rejected.pk])}"]'
    ).click()
    desk.wait_for_load_state()
    assert desk.get_by_text(APPEAL_TEXT).is_visible()
    desk.locator("input[name=decision][value=grant]").check()
    desk.locator("textarea[name=reason]").fill(DECISION_TEXT)
    shoot(desk, "commission-mediator-decision-pl")
    desk.locator("#content form [type=submit]").click()
    desk.wait_for_load_state()
    assert desk.url.endswith(reverse("admin:orders_commissionrefund_change", args=[rejected.pk]))
    context.close()
    rejected.refresh_from_db()
    assert (rejected.status, rejected.decision_reason) == (Status.GRANTED, DECISION_TEXT)
    assert rejected.decided_by_mediator.username == "mediator"

    # The seller sees it granted, with the mediator's reason.
    page.goto(detail_path(rejected))
    assert page.locator(".mediator-decision").get_by_text(DECISION_TEXT).is_visible()
    assert page.locator(".commission-result").get_by_text(pln(rejected.amount)).is_visible()
    shoot(page, "commission-appeal-granted-pl")


def test_reb_08_buyer_withdraws_and_the_sellers_refund_files_the_automatic_application(
    chromium, live_server, page, demo, shoot
):
    order = (
        seller_orders()
        .filter(status=Order.Status.PAID, cancellation_requested_at__isnull=True, buyer__username="kupujacy")
        .first()
    )
    assert order is not None
    sign_in(page, "kupujacy", DEMO_PASSWORD)
    page.goto(order.get_absolute_url())
    page.locator("details.withdraw summary").click()
    shoot(page, "commission-buyer-withdraw-pl")
    page.locator(f'form[action="{reverse("orders:purchase_withdraw", args=[order.pk])}"] button').click()
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.cancellation_requested_at is not None
    assert page.locator("details.withdraw").count() == 0

    page.context.clear_cookies()
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    page.goto(order.get_seller_url())
    assert page.locator(".notice-warning").first.is_visible()
    page.locator("#refund input[name=kind][value=full]").check()
    page.locator("#refund button[type=submit]").click()
    page.wait_for_load_state()
    page.locator(".confirmation button[type=submit]").click()  # SAFE-03
    page.wait_for_load_state()
    # After a full refund the form is gone and the order reads refunded.
    assert page.locator("#refund").count() == 0
    application = CommissionRefund.objects.get(order=order)
    assert (application.type, application.status) == (CommissionRefund.Type.AUTOMATIC, Status.GRANTED)
    page.goto(reverse("orders:commission_refund_list") + "?status=GRANTED")
    row = page.locator("tr", has=page.locator(f'a[href="{detail_path(application)}"]'))
    assert row.get_by_text(str(application.get_type_display())).is_visible()
    shoot(page, "commission-list-automatic-pl")


def test_reb_commission_pages_fit_a_phone_screen(chromium, live_server, demo, shoot):
    order = seller_orders().filter(status=Order.Status.AWAITING_PAYMENT).first()
    application = CommissionRefund.objects.filter(
        seller_account__user__username="sprzedawca", status=Status.REJECTED_AFTER_APPEAL
    ).first()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    pages = [
        (new_path(order), "commission-form-mobile-pl"),
        (reverse("orders:commission_refund_list"), "commission-list-mobile-pl"),
        (detail_path(application), "commission-detail-mobile-pl"),
    ]
    for path, name in pages:
        page.goto(path)
        shoot(page, name)
        overflow = page.evaluate(NO_SIDEWAYS_SCROLL)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    context.close()
