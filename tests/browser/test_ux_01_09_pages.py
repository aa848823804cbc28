"""UX-01 and UX-09 in a real browser, on the demo data.

UX-09: the main pages of a buyer, a seller and a mediator (the mediators' desk included)
are walked in Polish at 390 px and in English at 1280 px; conftest's audit runs axe-core's
WCAG 2.2 A/AA rules on every one of them (and on every page of every other browser test)
and fails on any critical or serious violation. UX-01: at 390 px no page scrolls sideways,
the navigation folds into a menu button that works without JavaScript, list rows keep
their column labels when stacked, the seller list's reason filter does not widen the page,
radio buttons are big enough to tap, and on a Discussion the actions the user can take
now (the seller's proposal and *Przyjmij propozycję*) come before the message box.
Screenshots ux-<role>-<page>-<language>-<width>.png are looked at."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from discussions.models import Discussion, Proposal
from orders.management.commands.seed_demo import DEMO_PASSWORD
from orders.models import Order
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIDEWAYS = "document.scrollingElement.scrollWidth - window.innerWidth"


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def proposed():
    """The demo Discussion in which the seller's proposal waits for kupujacy's answer."""
    return Proposal.objects.get(discussion__buyer__username="kupujacy", status=Proposal.Status.PENDING).discussion


def main_pages():
    """(role login, page name, path) of each role's main pages."""
    discussion = proposed()
    order = Order.objects.filter(seller_account__user__username="sprzedawca").order_by("-pk").first()
    queued = Discussion.objects.filter(buyer__username="kupujacy2", is_open=True, help_requested_at__isnull=False)
    return [
        ("kupujacy", "home", reverse("home")),
        ("kupujacy", "offers", reverse("orders:offer_list")),
        ("kupujacy", "purchases", reverse("orders:purchase_list")),
        ("kupujacy", "purchase", reverse("orders:purchase_detail", args=[discussion.order_id])),
        ("kupujacy", "open", reverse("discussions:open", args=[discussion.order_id])),
        ("kupujacy", "discussions", reverse("discussions:buyer_list")),
        ("kupujacy", "discussion", discussion.get_absolute_url()),
        ("kupujacy", "notifications", reverse("discussions:notifications")),
        ("sprzedawca", "orders", reverse("orders:seller_order_list")),
        ("sprzedawca", "order", reverse("orders:seller_order_detail", args=[order.pk])),
        ("sprzedawca", "commission-refunds", reverse("orders:commission_refund_list")),
        ("sprzedawca", "discussions", reverse("discussions:seller_list")),
        ("sprzedawca", "discussion", discussion.get_seller_url()),
        ("sprzedawca", "quality", reverse("discussions:seller_quality")),
        ("sprzedawca", "inactive-buyers", reverse("buyers:tab")),
        ("sprzedawca", "api", reverse("api_pages:dashboard")),
        ("mediator", "desk", reverse("admin:index")),
        ("mediator", "queue", reverse("admin:discussions_queue")),
        ("mediator", "case", reverse("admin:discussions_discussion_change", args=[queued.first().pk])),
        ("mediator", "discussions", reverse("admin:discussions_discussion_changelist")),
    ]


@pytest.mark.parametrize(("viewport", "language"), [(PHONE, "pl"), (DESKTOP, "en")], ids=["390-pl", "1280-en"])
def test_ux_09_ux_01_main_pages_of_each_role_pass_axe_and_fit(
    chromium, live_server, demo, shoot, axe_audit, viewport, language
):
    pages = main_pages()
    overflow = {}
    for login in dict.fromkeys(role for role, _, _ in pages):
        context = chromium.new_context(viewport=viewport, base_url=live_server.url)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, login, DEMO_PASSWORD)
        for role, name, path in pages:
            if role != login:
                continue
            response = page.goto(path)
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == language, path
            shoot(page, f"ux-{role}-{name}-{language}-{viewport['width']}")
            overflow[path] = page.evaluate(SIDEWAYS)
        context.close()
    # UX-01: nothing scrolls sideways (checked again by the audit at phone widths).
    assert {path: px for path, px in overflow.items() if px > 0} == {}
    # UX-09: the audit saw every page, in this language and at this width.
    audited = {(path, lang, width) for path, lang, width in axe_audit.audited}
    missing = [path for _, _, path in pages if (path, language, viewport["width"]) not in audited]
    assert missing == []


LABELS_JS = """table => {
  const headers = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const cells = [...table.querySelectorAll('tbody tr:first-child td[data-label]')];
  return {
    headers,
    labels: cells.map(td => td.dataset.label),
    shown: cells.map(td => getComputedStyle(td, '::before').content),
  };
}"""


def box(locator):
    return locator.first.bounding_box()


def test_ux_01_on_a_phone_the_menu_folds_rows_keep_labels_and_actions_come_first(chromium, live_server, demo, shoot):
    discussion = proposed()
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "sprzedawca", DEMO_PASSWORD)

    page.goto(reverse("discussions:seller_list") + "?reason=NOT_RECEIVED")
    # The header is one row: the brand and the Menu button (with the unread count).
    # The menu is a <details>: it works without JavaScript, and the page has none.
    assert page.locator("script").count() == 0
    toggle = page.locator("header .nav-toggle summary")
    assert toggle.is_visible() and toggle.get_attribute("aria-controls") == "main-nav header-tools"
    assert page.locator(".site-header").bounding_box()["height"] < 80
    assert not page.locator("#main-nav").is_visible() and not page.locator(".lang-switch").is_visible()
    shoot(page, "ux01-seller-list-menu-closed-pl-390")
    toggle.click()
    assert page.locator("header .nav-toggle").get_attribute("open") is not None
    nav = page.get_by_role("navigation", name="Nawigacja główna")
    assert nav.get_by_role("link").count() == 10  # with Kontakt (UX-11)
    assert page.locator(".lang-switch button").count() == 5
    for link in nav.get_by_role("link").all():  # each a full-width row to tap
        assert link.bounding_box()["height"] >= 40
    shoot(page, "ux01-seller-list-menu-open-pl-390")

    # The reason filter fits; stacked rows keep their column labels.
    assert page.locator(".filter-bar select[name=reason]").bounding_box()["width"] <= PHONE["width"]
    assert page.evaluate(SIDEWAYS) <= 0
    columns = page.locator("table.stack-table").evaluate(LABELS_JS)
    assert (
        columns["labels"]
        == columns["headers"]
        == [
            "Dyskusja",
            "Powód",
            "Kupujący",
            "Status",
            "Ostatnia wiadomość",
            "Odpowiedź do",
        ]
    )
    assert all(label in content for label, content in zip(columns["labels"], columns["shown"], strict=True))

    nav.get_by_role("link", name="Zamówienia").click()
    page.wait_for_load_state()
    columns = page.locator("table.orders-table").evaluate(LABELS_JS)
    assert columns["labels"] == ["Zamówienie", "Kupujący", "Produkty", "Kwota", "Status"]
    assert all(label in content for label, content in zip(columns["labels"], columns["shown"], strict=True))
    context.close()

    context = chromium.new_context(viewport=PHONE, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "kupujacy", DEMO_PASSWORD)
    # The buyer's Discussion: the proposal and its buttons come before the conversation and the message box.
    page.goto(discussion.get_absolute_url())
    accept = page.get_by_role("button", name="Przyjmij propozycję")
    assert box(accept)["y"] < box(page.locator("#conversation-heading"))["y"]
    assert box(accept)["y"] < box(page.get_by_label("Twoja wiadomość"))["y"]
    assert box(page.locator("#actions-heading"))["y"] < box(page.locator("#conversation-heading"))["y"]
    shoot(page, "ux01-buyer-discussion-pl-390")
    # Radio buttons big enough to tap, each choice a 44 px row.
    # (on an order of the buyer's whose product has no open Discussion: UX-02 offers no form otherwise)
    page.goto(reverse("discussions:open", args=[bought_today(discussion.buyer).pk]))
    radios = page.locator("input[type=radio]")
    assert radios.count() > 3
    for radio in radios.all():
        assert radio.bounding_box()["width"] >= 20
        assert radio.locator("xpath=..").bounding_box()["height"] >= 44
    shoot(page, "ux01-open-form-pl-390")
    context.close()


def bought_today(buyer):
    """A paid order of the buyer's from a demo offer, with no Discussion yet."""
    from datetime import timedelta

    from django.utils import timezone

    from orders import services as order_services
    from orders.models import Offer

    offer = Offer.objects.filter(seller_account__market__code="PL").exclude(seller_account__user=buyer).first()
    now = timezone.now() - timedelta(hours=2)
    order = order_services.buy_offer(offer, buyer=buyer, quantity=1, payment_method=Order.PaymentMethod.ONLINE, now=now)
    order_services.pay_order(order, buyer=buyer, now=now + timedelta(minutes=5))
    return order


def test_ux_01_on_a_desktop_nothing_folds_and_the_conversation_keeps_its_column(chromium, live_server, demo, shoot):
    discussion = proposed()
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "kupujacy", DEMO_PASSWORD)
    page.goto(discussion.get_absolute_url())
    assert not page.locator("header .nav-toggle").is_visible()
    assert page.locator("#main-nav").is_visible() and page.locator(".lang-switch").is_visible()
    # The conversation on the left, what can be done now on the right, from the top.
    conversation, proposal = box(page.locator(".discussion-conversation")), box(page.locator(".proposal"))
    assert conversation["x"] + conversation["width"] <= proposal["x"]
    assert abs(conversation["y"] - box(page.locator(".discussion-now"))["y"]) < 1
    assert box(page.locator(".discussion-details"))["x"] == proposal["x"]
    accept = page.get_by_role("button", name="Przyjmij propozycję")
    assert box(accept)["y"] < box(page.get_by_label("Twoja wiadomość"))["y"]
    shoot(page, "ux01-buyer-discussion-pl-1280")
    # Stacked labels are for phones only.
    page.goto(reverse("discussions:buyer_list"))
    assert set(page.locator("table.stack-table").evaluate(LABELS_JS)["shown"]) == {"none"}
    context.close()
