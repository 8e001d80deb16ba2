"""Headless Chromium for the browser tests (Debian's /usr/bin/chromium, driven by
Playwright's sync API; `playwright install` is never needed).

A missing Chromium FAILS the browser tests with a clear message, so that CI cannot pass
without them; set SKIP_BROWSER_TESTS=1 to skip them on a machine without a browser."""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop running in the test thread; Django refuses ORM
# calls from such a thread unless told that this is fine (it is: nothing here is async).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _skip_requested() -> bool:
    return os.environ.get("SKIP_BROWSER_TESTS", "") in ("1", "true", "yes")


@pytest.fixture(scope="module")
def browser():
    if _skip_requested():
        pytest.skip("SKIP_BROWSER_TESTS=1: browser tests skipped on request")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            "(scripts/install-system-deps.sh test), point CHROMIUM_PATH at a Chromium binary, "
            "or set SKIP_BROWSER_TESTS=1 to skip the browser tests.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in requirements-dev.txt
        pytest.fail(f"the Python package `playwright` is missing ({exc}); pip install -r requirements-dev.txt")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class PageProblems:
    """JavaScript errors and failed requests (404s of static files above all) seen by a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.error_documents: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"JS error: {exc}"))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, msg):
        if msg.type != "error":
            return
        url = msg.location.get("url", "")
        # Chromium logs every 4xx page as "Failed to load resource"; pages a test opens on
        # purpose (the lockout page is a 429) are not problems. The favicon is not exempt.
        if msg.text.startswith("Failed to load resource") and url in self.error_documents:
            return
        self.errors.append(f"console: {msg.text} ({url})")

    def _failed(self, request):
        # A navigation started before the last page finished aborts that page's requests.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response):
        # 429 is the lockout page itself and 4xx pages the tests ask for on purpose are
        # documents; only failing sub-resources (CSS, JS, fonts, images) count.
        if response.status < 400:
            return
        if response.request.resource_type == "document":
            self.error_documents.add(response.url)
        else:
            self.errors.append(f"HTTP {response.status}: {response.url}")


def _new_page(browser, viewport, **kw):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **kw)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    return context, page


@pytest.fixture
def page(browser):
    context, page = _new_page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context, page = _new_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield page
    context.close()
