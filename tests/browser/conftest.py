"""Playwright driving Debian's Chromium (no browser download). Screenshots go to
test-artifacts/screenshots/ to be looked at."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"No Chromium at {CHROMIUM}: browser tests skipped (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Markets and the Mediators group come from post_migrate; a transactional test's
    flush removes them and serialized_rollback does not always bring them back when
    Playwright starts after another transactional test (seen on PostgreSQL). Put them
    back idempotently, as `migrate` would."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    from core.mediators import sync_mediators_group
    from orders.markets import ensure_markets

    ContentType.objects.clear_cache()
    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
    ensure_markets()
    sync_mediators_group()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    """shoot(page, name): a full-page screenshot to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return _shoot


def sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Nazwa użytkownika").or_(page.get_by_label("Username")).fill(username)
    page.get_by_label("Hasło").or_(page.get_by_label("Password")).fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def switch_language(page, code):
    page.locator(f".lang-switch button[value={code}]").click()
    page.wait_for_load_state()
