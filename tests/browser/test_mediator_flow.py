"""MED-01/02/04 in a real browser: the seller missed the deadline and the buyer asked
Allegro for help; a mediator finds the case in the mediators' queue, joins it as Allegro,
writes as Allegro and grants Allegro Protect; the buyer then sees all of it.

The mediators' desk is new: its labels are matched by link target, or by a pattern
taking both the Polish and the English text, so the test does not depend on compiled
translations, and its assertions are on URLs, the Discussion number and the stored state.
The buyer's page uses the site's established Polish texts and is checked in Polish."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions import services, tasks
from discussions.models import Compensation, Discussion, Message, Reason, Role
from orders import services as order_services
from orders.models import Order
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, OfferFactory, SellerAccountFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MEDIATOR_TEXT = "Dzień dobry, prosimy sprzedającego o numer przesyłki do jutra."
PROTECT_REASON = "Sprzedający nie odpowiedział ani nie wysłał paczki."
PROTECT_AMOUNT = Decimal("89.99")

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def either(polish, english):
    """A pattern for a label in Polish or, while the catalogue is not compiled, English."""
    return re.compile(f"{re.escape(polish)}|{re.escape(english)}", re.IGNORECASE)


@pytest.fixture
def helped(live_server):
    """NOT_RECEIVED opened ten days ago; the seller never replied, the sweep marked them
    overdue and the buyer asked Allegro for help (DSC-08) — the case waits in the queue."""
    now = timezone.now()
    seller_account = SellerAccountFactory(user=UserFactory(username="sprzedawca_med"), display_name="Sklep Zwłoka")
    offer = OfferFactory(seller_account=seller_account, title="Słuchawki bezprzewodowe", price=Decimal("119.00"))
    buyer = UserFactory(username="kupujacy_med")
    bought = now - timedelta(days=11)
    order = order_services.buy_offer(
        offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=bought
    )
    order_services.pay_order(order, buyer=buyer, now=bought + timedelta(minutes=5))
    discussion = services.open_discussion(
        order,
        buyer=buyer,
        line_id=order.lines.get().pk,
        reason=Reason.NOT_RECEIVED,
        text="Paczka nie dotarła.",
        now=bought + timedelta(days=1),
    )
    tasks.mark_seller_overdue(now=now)
    discussion = Discussion.objects.get(pk=discussion.pk)
    assert discussion.seller_overdue_at is not None
    return services.ask_for_help(discussion, buyer=buyer, now=now)


def admin_sign_in(page, username):
    """The `mediator` of tests/conftest.py: staff, in the Mediators group, nothing else."""
    page.goto("/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state()


def test_med_01_med_02_med_04_mediator_joins_posts_and_grants_allegro_protect(
    chromium, live_server, page, helped, mediator, shoot
):
    discussion = helped
    case_path = reverse("admin:discussions_discussion_change", args=[discussion.pk])
    queue_path = reverse("admin:discussions_queue")
    tool = {
        action: f'.object-tools a[href$="{reverse(f"admin:discussions_discussion_{action}", args=[discussion.pk])}"]'
        for action in ("join", "post", "protect", "reopen")
    }

    # MED-01: from the admin index to the one queue; the case waits there under its reason.
    admin_sign_in(page, mediator.username)
    assert page.url.endswith(reverse("admin:index"))
    page.locator("#mediator-queue-summary").get_by_role(
        "link", name=either("Kolejka mediatorów", "Mediators' queue")
    ).click()
    page.wait_for_load_state()
    assert page.url.endswith(queue_path)
    row = page.locator("#result_list tbody tr", has=page.get_by_role("link", name=discussion.number))
    assert row.count() == 1
    assert "queue-help" in row.get_attribute("class")
    assert row.get_by_text(either("Kupujący poprosił Allegro o pomoc", "Buyer asked Allegro for help")).is_visible()
    assert row.get_by_text(either("Czeka na mediatora", "Waiting for a mediator")).is_visible()
    shoot(page, "mediator-queue-pl")

    # MED-02: the case view — the timeline and both parties' history.
    row.get_by_role("link", name=discussion.number).click()
    page.wait_for_load_state()
    assert page.url.endswith(case_path)
    timeline = page.locator("#case-timeline")
    assert timeline.is_visible()
    assert timeline.get_by_text("Paczka nie dotarła.").is_visible()
    assert page.locator(".case-history .module").count() == 2
    assert page.locator(".case-history").get_by_text(discussion.buyer.username).is_visible()
    assert page.locator(".case-history").get_by_text(str(discussion.seller_account)).is_visible()
    assert page.locator(tool["post"]).count() == 0  # not joined yet
    shoot(page, "mediator-case-pl")

    page.locator(tool["join"]).click()
    page.wait_for_load_state()
    assert page.get_by_text(discussion.number).first.is_visible()
    page.locator("#content form [type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(case_path)
    discussion.refresh_from_db()
    assert discussion.mediator == mediator and discussion.mediator_joined_at is not None
    assert page.locator(tool["join"]).count() == 0

    page.locator(tool["post"]).click()
    page.wait_for_load_state()
    page.locator("textarea[name=text]").fill(MEDIATOR_TEXT)
    page.locator("#content form [type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(case_path)
    assert Message.objects.filter(discussion=discussion, author=mediator, author_role=Role.MEDIATOR).exists()
    assert page.locator("#case-timeline .role-MEDIATOR").get_by_text(MEDIATOR_TEXT).is_visible()
    shoot(page, "mediator-case-joined-pl")

    # MED-04: Allegro Protect, at most the order value, with a reason; the Discussion closes.
    page.locator(tool["protect"]).click()
    page.wait_for_load_state()
    page.locator("input[name=amount]").fill(str(PROTECT_AMOUNT))
    page.locator("textarea[name=reason]").fill(PROTECT_REASON)
    shoot(page, "mediator-protect-form-pl")
    page.locator("#content form [type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith(case_path)
    discussion.refresh_from_db()
    assert (discussion.status, discussion.is_open, discussion.close_reason) == (
        Discussion.Status.RESOLVED,
        False,
        Discussion.CloseReason.ALLEGRO_PROTECT,
    )
    compensation = Compensation.objects.get(discussion=discussion)
    assert (compensation.amount, compensation.granted_by, compensation.reason) == (
        PROTECT_AMOUNT,
        mediator,
        PROTECT_REASON,
    )
    assert compensation.amount <= discussion.order.total_amount
    # Closed: no more joining, writing or compensating; reopening is offered instead.
    for action in ("join", "post", "protect"):
        assert page.locator(tool[action]).count() == 0
    assert page.locator(tool["reopen"]).is_visible()
    shoot(page, "mediator-case-protected-pl")

    # The case left the queue.
    page.goto(queue_path)
    assert page.get_by_role("link", name=discussion.number).count() == 0

    # MED-02 / MED-04 as the buyer sees it, in a separate browser.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    buyer_page = context.new_page()
    buyer_page.set_default_timeout(10_000)
    sign_in(buyer_page, discussion.buyer.username, PASSWORD)
    buyer_page.goto(discussion.get_absolute_url())
    assert buyer_page.locator("html").get_attribute("lang") == "pl"
    assert buyer_page.get_by_role("heading", name=re.compile(re.escape(discussion.number))).is_visible()
    conversation = buyer_page.locator("ol.conversation")
    joined = conversation.locator("li.msg-auto").filter(has_text="Do Dyskusji dołączył pracownik Allegro.")
    assert joined.count() == 1
    allegro = conversation.locator("li.msg-mediator").filter(has_text=MEDIATOR_TEXT)
    assert allegro.count() == 1
    assert allegro.locator(".msg-head strong").inner_text() == "Allegro"
    assert allegro.locator(".badge-allegro").inner_text() == "Pracownik Allegro"
    protect = conversation.locator("li.msg-auto").filter(
        has_text="Przyznaliśmy kupującemu rekompensatę z Allegro Protect w wysokości 89,99\u00a0zł"
    )
    assert protect.count() == 1
    assert protect.locator(".msg-text").inner_text().endswith("zamknęliśmy Dyskusję jako rozwiązaną.")
    meta = buyer_page.locator(".discussion-meta")
    assert meta.get_by_text("Rozwiązana", exact=True).is_visible()
    assert meta.get_by_text("Zamknięta", exact=True).is_visible()
    # Closed because …, and (UX-03) Allegro's decision with the amount and the mediator's justification.
    facts = buyer_page.locator(".discussion-details dd")
    assert facts.get_by_text("Przyznana rekompensata z Allegro Protect").is_visible()
    decision = buyer_page.get_by_role("region", name="Decyzja Allegro")
    assert decision.get_by_text("Przyznana rekompensata z Allegro Protect").is_visible()
    assert decision.get_by_text(PROTECT_REASON).is_visible()
    shoot(buyer_page, "mediator-buyer-discussion-protected-pl")
    context.close()


def test_med_01_med_02_queue_and_case_view_fit_a_phone_screen(chromium, live_server, helped, mediator, shoot):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    admin_sign_in(page, mediator.username)
    pages = [
        (reverse("admin:discussions_queue"), "mediator-queue-mobile-pl"),
        (reverse("admin:discussions_discussion_change", args=[helped.pk]), "mediator-case-mobile-pl"),
    ]
    overflows = {}
    for path, name in pages:
        page.goto(path)
        assert page.get_by_text(helped.number).first.is_visible()
        shoot(page, name)
        overflows[path] = page.evaluate(NO_SIDEWAYS_SCROLL)
    context.close()
    assert all(overflow <= 0 for overflow in overflows.values()), f"scrolls sideways on a phone (px): {overflows}"
