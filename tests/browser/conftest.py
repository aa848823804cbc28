"""Playwright driving Debian's Chromium (no browser download). Screenshots go to
test-artifacts/screenshots/ to be looked at.

UX-09 and UX-01: every page a browser test shows is audited. Before a test leaves a page
or changes its width (Playwright's goto, reload, click, press, set_viewport_size, closing
a page or a context), while the page is still shown and loaded, axe-core (bundled by
axe-playwright-python) runs its WCAG 2.2 A/AA rules on it, once per document and width;
pages still open when the test ends are audited then. A
critical or serious violation fails the test, naming the page, the language, the width,
the rule and the elements; all findings of a test, minor ones included, are written to
test-artifacts/axe/<test>.json. At phone widths (≤ 480 px) the same audit checks that the
page does not scroll sideways (UX-01)."""

import json
import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
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


# --- UX-09: axe-core on every page shown; UX-01: no sideways scrolling on a phone -----------

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = ("critical", "serious")
# Not ours to fix, and not audited: the API reference pages that Swagger UI and Redoc build with
# their own markup, and the select2 widget of Django's admin autocomplete (superusers' forms).
THIRD_PARTY_PAGES = ("/api/docs", "/api/redoc")
THIRD_PARTY_TARGETS = ("select2",)
PHONE_WIDTH = 480

# What a page is, read before auditing it: only HTML pages over HTTP, once per document and width.
PAGE_STATE = """() => ({
  url: location.href, type: document.contentType, audited: window.__axeAudited === window.innerWidth,
  lang: document.documentElement.lang, width: window.innerWidth,
  scrollWidth: document.scrollingElement ? document.scrollingElement.scrollWidth : 0,
  hasAxe: typeof window.axe !== 'undefined',
})"""
# window.__axeRunning: axe's own <style> elements are refused by the CSP (SAFE-10), and the CSP
# test ignores the violations reported while it is set.
RUN_AXE = """async options => {
  window.__axeRunning = true;
  try {
    const results = await axe.run(document, options);
    window.__axeAudited = window.innerWidth;
    return results.violations.map(v => ({
      rule: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map(node => node.target.join(' ')),
    }));
  } finally {
    await new Promise(resolve => setTimeout(resolve, 0));  // the violation events queued meanwhile
    window.__axeRunning = false;
  }
}"""


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url) or "/"


class _Auditor:
    """Audits the pages a test shows and keeps what it found."""

    def __init__(self):
        self.findings = []  # one dict per violation (any impact) and per sideways scroll
        self.audited = []  # (path, language, width) of every audit
        # True while axe runs. axe adds <style> elements, which the pages' CSP (SAFE-10) refuses
        # and Chromium logs: the CSP test ignores what is logged meanwhile.
        self.running = False

    def audit(self, page):
        from playwright.sync_api import Error

        if page.is_closed() or not page.url.startswith("http"):
            return
        try:
            page.wait_for_load_state("load")
            state = page.evaluate(PAGE_STATE)
            if state["type"] != "text/html" or state["audited"]:
                return
            self.running = True
            if not state["hasAxe"]:
                page.evaluate(_axe_script())
            violations = page.evaluate(RUN_AXE, AXE_OPTIONS)
        except Error:  # the page closed or left meanwhile: nothing shown to audit
            return
        finally:
            self.running = False
        where = {"page": _path(state["url"]), "language": state["lang"], "width": state["width"]}
        if where["page"].startswith(THIRD_PARTY_PAGES):
            return
        for violation in violations:
            violation["targets"] = [t for t in violation["targets"] if not any(x in t for x in THIRD_PARTY_TARGETS)]
        violations = [violation for violation in violations if violation["targets"]]
        self.audited.append((where["page"], where["language"], where["width"]))
        self.findings += [{**where, **violation} for violation in violations]
        if state["width"] <= PHONE_WIDTH and state["scrollWidth"] > state["width"]:
            self.findings.append(
                {
                    **where,
                    "rule": "UX-01 sideways scroll",
                    "impact": "serious",
                    "help": f"the page is {state['scrollWidth']} px wide on a {state['width']} px screen",
                    "targets": [],
                }
            )

    def blocking(self):
        return [finding for finding in self.findings if finding["impact"] in BLOCKING]

    def report(self):
        lines = [f"{len(self.blocking())} critical or serious findings (axe-core WCAG 2.2 A/AA; UX-01):"]
        for finding in self.blocking():
            targets = ", ".join(finding["targets"][:5])
            if len(finding["targets"]) > 5:
                targets += f" (+{len(finding['targets']) - 5} more)"
            lines.append(
                f"- {finding['page']} [{finding['language']}, {finding['width']} px] {finding['rule']}"
                f" ({finding['impact']}): {finding['help']}" + (f" — {targets}" if targets else "")
            )
        return "\n".join(lines)


_axe_source = []


def _axe_script():
    if not _axe_source:
        from axe_playwright_python.base import AXE_SCRIPT

        _axe_source.append(AXE_SCRIPT)
    return _axe_source[0]


_running = {}  # "auditor": the running browser test's _Auditor


def _audit_before(method, page_of):
    """`method`, first auditing the page it acts on while the page is still shown: every way
    the tests leave a page (goto, a click, closing) or change its width goes through one."""

    def audited(self, *args, **kwargs):
        auditor = _running.get("auditor")
        if auditor is not None:
            auditor.audit(page_of(self))
        return method(self, *args, **kwargs)

    audited.__wrapped__ = method
    return audited


def _watch_pages():
    from playwright.sync_api import BrowserContext, Locator, Page

    if hasattr(Page.goto, "__wrapped__"):
        return
    for name in ("goto", "reload", "go_back", "go_forward", "click", "press", "set_viewport_size", "close"):
        setattr(Page, name, _audit_before(getattr(Page, name), lambda page: page))
    for name in ("click", "dblclick", "press", "tap"):
        setattr(Locator, name, _audit_before(getattr(Locator, name), lambda locator: locator.page))
    close = BrowserContext.close

    def audited_close(self, *args, **kwargs):
        auditor = _running.get("auditor")
        if auditor is not None:
            for page in self.pages:
                auditor.audit(page)
        return close(self, *args, **kwargs)

    audited_close.__wrapped__ = close
    BrowserContext.close = audited_close


_AUDITOR = pytest.StashKey()
_browsers = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _running["auditor"] = item.stash[_AUDITOR] = _Auditor()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    auditor = _running.pop("auditor", None)
    if auditor is None:
        return result
    for browser in _browsers:  # the pages still open at the end of the test
        for context in browser.contexts:
            for page in context.pages:
                auditor.audit(page)
    if auditor.audited:
        (ARTIFACTS / "axe").mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
        (ARTIFACTS / "axe" / f"{name}.json").write_text(
            json.dumps({"audited": auditor.audited, "findings": auditor.findings}, ensure_ascii=False, indent=1)
        )
    if auditor.blocking():
        pytest.fail(auditor.report(), pytrace=False)
    return result


@pytest.fixture
def axe_audit(request):
    """The running test's auditor (every browser test has one; this fixture names it)."""
    return request.node.stash[_AUDITOR]


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"No Chromium at {CHROMIUM}: browser tests skipped (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    _watch_pages()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _browsers.append(browser)
        yield browser
        _browsers.remove(browser)
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


def open_menu(page):
    """UX-01: below 860 px a signed-in user's navigation is behind the Menu button."""
    toggle = page.locator("header .nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("open") is None:
        toggle.locator("summary").click()


def switch_language(page, code):
    open_menu(page)
    page.locator(f".lang-switch button[value={code}]").click()
    page.wait_for_load_state()
