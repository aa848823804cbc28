"""SAFE-10 in a real browser: on the demo data, the pages with scripts, charts and the
admin's widgets are opened as a buyer, a seller and a mediator, and Chromium reports no
Content-Security-Policy violation (a blocked script or style would break the page)."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from discussions.models import Discussion
from orders.management.commands.seed_demo import DEMO_PASSWORD
from orders.models import Order
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Collected by the page itself: the browser fires this event for every blocked resource.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  if (window.__axeRunning) return;  // the accessibility audit's own styles (tests/browser/conftest.py)
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(page, axe_audit):
    """The page, recording CSP violations from the event and from the console (not what
    the accessibility audit's own injected styles cause, see tests/browser/conftest.py)."""
    page.context.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: None if axe_audit.running else console.append(message.text))

    def violations():
        reported = page.evaluate("window.__cspViolations || []")
        logged = [text for text in console if "Content Security Policy" in text]
        console.clear()
        return reported + logged

    page.violations = violations
    return page


def visit(page, url, ready="main, #content"):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("load")
    assert "unsafe-inline" not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert page.violations() == [], url


def test_safe_10_pages_run_under_the_policy_without_violations(watched, live_server):
    call_command("seed_demo", stdout=io.StringIO())
    page = watched
    discussion = Discussion.objects.filter(seller_account__user__username="sprzedawca").order_by("pk").first()
    order = Order.objects.filter(seller_account__user__username="sprzedawca").order_by("-pk").first()

    visit(page, reverse("login"))
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    for url in (
        reverse("home"),
        reverse("orders:seller_order_list"),
        reverse("orders:seller_order_detail", args=[order.pk]),
        reverse("orders:commission_refund_new", args=[order.pk]),
        reverse("discussions:seller_list"),
        discussion.get_seller_url(),
        reverse("discussions:seller_quality"),
        reverse("buyers:tab"),
        reverse("api_pages:dashboard"),
        reverse("api_pages:guide"),
    ):
        visit(page, url)
    # The API reference: Swagger UI builds the whole page with its scripts.
    visit(page, reverse("api:docs"), ready=".swagger-ui .information-container")

    # Redoc: its page alone allows inline styles (it inserts its own); only the "powered by"
    # logo from a CDN is refused, and Redoc hides it.
    page.goto(reverse("api:redoc"))
    page.get_by_role("heading", name=re.compile("Commission refund")).first.wait_for()
    assert [v for v in page.violations() if "cdn.redoc.ly" not in v] == []

    page.context.clear_cookies()
    sign_in(page, "mediator", DEMO_PASSWORD)
    for url in (
        reverse("admin:index"),
        reverse("admin:discussions_queue"),
        reverse("admin:discussions_discussion_changelist"),
        reverse("admin:discussions_discussion_change", args=[discussion.pk]),
        reverse("admin:orders_order_changelist"),
    ):
        visit(page, url)
    # The admin's own scripts: select all rows of a list with the action checkbox.
    page.goto(reverse("admin:discussions_discussion_changelist"))
    page.locator("#action-toggle").check()
    assert page.locator("tr.selected").count() > 0
    assert page.violations() == []

    # The admin's autocomplete widget (select2) searching users.
    page.context.clear_cookies()
    sign_in(page, "admin", DEMO_PASSWORD)
    visit(page, reverse("admin:orders_selleraccount_add"))
    page.locator(".field-user .select2-selection").click()
    page.locator(".select2-search__field").fill("kup")
    page.locator(".select2-results__option", has_text="kupujacy").first.wait_for()
    assert page.violations() == []
