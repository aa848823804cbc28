"""UX-02 and UX-03 in a real browser, at 1280 and 390 px: the open-a-Discussion form shows
only the fields that apply (static/js/open-discussion.js; CSP forbids inline scripts), and
a mediator's decision is shown to the buyer with its written justification."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from discussions import services, tasks
from discussions.models import Discussion, MediationOutcome, Reason
from orders import services as order_services
from orders.models import Order
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, OfferFactory, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
JUSTIFICATION = "Przesyłka została doręczona do paczkomatu wskazanego przez kupującego; potwierdza to przewoźnik."


def bought(days_ago=2):
    seller_account = SellerAccountFactory(user=UserFactory(username="sprzedawca_ux"), display_name="Sklep UX")
    offer = OfferFactory(seller_account=seller_account, title="Słuchawki bezprzewodowe", price=Decimal("119.00"))
    buyer = UserFactory(username="kupujacy_ux")
    when = timezone.now() - timedelta(days=days_ago)
    order = order_services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=when
    )
    order_services.pay_order(order, buyer=buyer, now=when + timedelta(minutes=5))
    return order


def visible(page, selector):
    return page.locator(selector).is_visible()


def test_ux_02_the_open_form_shows_only_the_fields_of_the_chosen_reason_and_solution(page, live_server, shoot):
    order = bought()
    sign_in(page, "kupujacy_ux", PASSWORD)
    page.goto(order.get_absolute_url())
    page.get_by_role("link", name="Rozpocznij Dyskusję").click()
    page.wait_for_load_state()
    product_group = "[data-applies-reason=PRODUCT_PROBLEM]"
    partial_group = "[data-applies-solution=PARTIAL_REFUND]"
    # No reason yet, or "not received": nothing about solutions or amounts.
    assert not visible(page, product_group)
    page.get_by_role("radio", name="Nie otrzymałem produktu").check()
    assert not visible(page, product_group)
    shoot(page, "ux-02-open-not-received-1280")
    # A problem with the product asks for the expected solution; a partial refund for the amount.
    page.get_by_role("radio", name="Problem z produktem").check()
    assert visible(page, product_group) and not visible(page, partial_group)
    page.get_by_label("Oczekiwane rozwiązanie").select_option("PARTIAL_REFUND")
    assert visible(page, partial_group)
    amount = page.get_by_label("Częściowy zwrot: kwota (zł)")
    assert amount.get_attribute("max") == "119.00"
    assert page.get_by_text("najwyżej 119,00\u00a0zł, czyli wartość produktu").is_visible()
    amount.fill("30")
    shoot(page, "ux-02-open-partial-refund-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0
    shoot(page, "ux-02-open-partial-refund-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Changing the reason hides the amount and does not send it: the form is accepted.
    page.get_by_role("radio", name="Nie otrzymałem produktu").check()
    assert not visible(page, partial_group)
    page.get_by_role("button", name="Rozpocznij Dyskusję").click()
    page.wait_for_load_state()
    discussion = Discussion.objects.get(order=order)
    assert discussion.reason == Reason.NOT_RECEIVED and discussion.expected_amount is None

    # The only product now has an open Discussion: the order page links it instead.
    page.goto(order.get_absolute_url())
    assert page.get_by_role("link", name=f"Kontynuuj Dyskusję {discussion.number}").is_visible()
    assert page.get_by_role("link", name="Rozpocznij Dyskusję").count() == 0
    shoot(page, "ux-02-order-continue-1280")


def test_ux_03_the_buyer_sees_allegros_decision_and_its_justification(page, live_server, shoot):
    order = bought(days_ago=11)
    now = timezone.now()
    discussion = services.open_discussion(
        order, buyer=order.buyer, line_id=order.lines.get().pk, reason=Reason.NOT_RECEIVED, now=now - timedelta(days=10)
    )
    tasks.mark_seller_overdue(now=now - timedelta(days=5))
    discussion = services.ask_for_help(
        Discussion.objects.get(pk=discussion.pk), buyer=order.buyer, now=now - timedelta(days=5)
    )
    mediator = UserFactory(username="mediator_ux", is_staff=True)
    discussion = services.join_discussion(discussion, mediator=mediator, now=now - timedelta(days=4))
    services.conclude_mediation(
        Discussion.objects.get(pk=discussion.pk),
        mediator=mediator,
        outcome=MediationOutcome.CLAIM_NOT_UPHELD,
        reason=JUSTIFICATION,
        now=now - timedelta(hours=1),
    )
    sign_in(page, "kupujacy_ux", PASSWORD)
    page.goto(discussion.get_absolute_url())
    panel = page.locator("section.decision")
    assert panel.get_by_role("heading", name="Decyzja Allegro").is_visible()
    assert panel.get_by_text("Roszczenie kupującego nie zostało uwzględnione").is_visible()
    assert panel.get_by_text(JUSTIFICATION).is_visible()
    shoot(page, "ux-03-decision-buyer-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0
    assert panel.get_by_text(JUSTIFICATION).is_visible()
    shoot(page, "ux-03-decision-buyer-390")


def test_ux_05_admin_change_lists_show_every_column_at_1280_px(page, live_server, mediator, shoot):
    order = bought(days_ago=11)
    services.open_discussion(
        order,
        buyer=order.buyer,
        line_id=order.lines.get().pk,
        reason=Reason.WITHDRAWAL_PROBLEM,
        now=timezone.now() - timedelta(days=10),
    )
    page.goto("/admin/login/")
    page.locator("#id_username").fill(mediator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state()
    for name, url in (
        ("discussions", "/admin/discussions/discussion/"),
        ("orders", "/admin/orders/order/"),
        ("notifications", "/admin/discussions/notification/"),
    ):
        page.goto(url)
        cut_off = page.evaluate(
            "(() => { const r = document.querySelector('#changelist .results');"
            " return r.scrollWidth - r.clientWidth; })()"
        )
        assert cut_off <= 0, (url, cut_off)
        assert page.evaluate(NO_SIDEWAYS_SCROLL) <= 0
        # The filters are above the list, not pushed under it.
        filters_top = page.locator("#changelist-filter").bounding_box()["y"]
        assert filters_top < page.locator("#result_list").bounding_box()["y"]
        shoot(page, f"ux-05-admin-{name}-1280")
