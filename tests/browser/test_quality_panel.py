"""QLT-01/02 in a real browser: the demo seller opens *Jakość mojej sprzedaży* from the
navigation; the figures and both server-drawn charts are there without JavaScript, and the
page fits a phone screen. Screenshots go to test-artifacts/screenshots/ to be looked at.

Links and headings are found by their Polish text or, until the catalogue has them, by
the English source text.
"""

import io
import re

import pytest
from django.core.management import call_command

from orders.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser.conftest import open_menu, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def either(polish, english):
    return re.compile(rf"^\s*({re.escape(polish)}|{re.escape(english)})\s*$")


PANEL_LINK = either("Jakość mojej sprzedaży", "My sales quality")


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def open_panel(page):
    sign_in(page, "sprzedawca", DEMO_PASSWORD)
    open_menu(page)  # at 390 px the navigation is folded (UX-01)
    page.get_by_role("navigation").get_by_role("link", name=PANEL_LINK).click()
    page.wait_for_load_state()
    assert page.url.endswith("/seller/quality/")
    assert PANEL_LINK.match(page.get_by_role("heading", level=1).inner_text())


def test_qlt_01_02_seller_opens_the_panel_from_the_navigation(page, demo, shoot):
    open_panel(page)

    table = page.locator(".quality-table")
    assert table.locator("tbody tr").count() == 8
    assert table.locator("thead th").count() == 3
    # The demo seller has Discussions in both windows: numbers, not dashes.
    discussions = page.locator("#figure-discussions .figure-value").all_inner_texts()
    assert all(value.isdigit() and int(value) > 0 for value in discussions)
    assert int(discussions[1]) >= int(discussions[0])
    charts = page.locator("svg[role=img]")
    assert charts.count() == 2
    assert page.locator("svg[role=img] title").count() == 2
    assert page.locator(".chart-weekly .chart-bar rect").count() >= 10  # the demo spreads over 12 weeks
    assert page.locator(".chart-replies .chart-bar rect:not(.chart-track)").count() == 5  # every bucket used
    width = charts.first.bounding_box()["width"]
    assert width > 300
    shoot(page, "qlt-panel-pl")


def test_qlt_02_panel_fits_a_phone_screen(chromium, live_server, demo, shoot):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    open_panel(page)

    shoot(page, "qlt-panel-mobile-pl")
    overflow = sideways_scroll(page)
    assert overflow <= 0, f"the panel scrolls sideways by {overflow}px on a phone"
    for chart in page.locator("svg[role=img]").all():
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    context.close()
