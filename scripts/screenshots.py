#!/usr/bin/env python
"""Full-page screenshots of the portal, for every demo role, at desktop and phone sizes.

    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8000 --out var/screenshots \\
        --password 'Demo#2026renda'

Logs in through the real login form as each user (by default the accounts `seed_demo`
prints), opens every page of that user's sidebar plus the profile, password-change and a
404 page, follows the first row of every table to its detail page, and saves
`<user>-<page>-<size>.png`. The anonymous pages (login, a wrong password, the lockout page)
come first. It needs only a running portal, not Django: point --base at any instance.

Every JavaScript error, console error and failed request (a 404 of a static file, a font
that is not served) is printed and written to `problems.txt`; the exit status is 1 if there
was any, so the script doubles as a smoke test of the front end.

The lockout screenshot fails five logins of a made-up account (`--lockout-user`): that
locks only that name from this IP, but it is written to the audit log; --no-lockout skips it.
Chromium is Debian's /usr/bin/chromium (CHROMIUM_PATH to change); no `playwright install`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
# The accounts `manage.py seed_demo` creates: one of each role.
DEFAULT_USERS = [
    "county_admin",
    "clerk_chengguan",
    "deputy_chengguan_1",
    "unit_chengguan_nongye",
    "auditor",
    "sysadmin",
]
EXTRA_PATHS = ["/org/profile/", "/password/", "/no-such-page/"]
# Links that must not be followed: they change state or download files.
SKIP_LINK = re.compile(r"/(logout|download|export|delete)/|/sysadmin/logout/")


@dataclass
class Problems:
    """What the browser complained about, by page."""

    items: list[str] = field(default_factory=list)
    current: str = ""
    error_documents: set[str] = field(default_factory=set)
    on_error_document: bool = False

    def attach(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.add(f"JS error: {exc}"))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def add(self, text):
        line = f"[{self.current}] {text}"
        self.items.append(line)
        print("  !", line, file=sys.stderr)

    def _console(self, msg):
        if msg.type not in ("error", "warning"):
            return
        url = msg.location.get("url", "")
        # Chromium logs every 4xx document as "Failed to load resource"; pages opened on
        # purpose (404, the 429 lockout page) are not problems, their sub-resources are.
        if msg.text.startswith("Failed to load resource") and url in self.error_documents:
            return
        # Django's DEBUG error pages have no <link rel="icon">, so Chromium asks for
        # /favicon.ico; the portal's own pages all name their icon.
        if url.endswith("/favicon.ico") and self.on_error_document:
            return
        self.add(f"console {msg.type}: {msg.text} {url}".rstrip())

    def _response(self, response):
        if response.request.resource_type == "document":
            self.on_error_document = False
        if response.status < 400:
            return
        if response.request.resource_type == "document":
            self.error_documents.add(response.url)
            self.on_error_document = True
        else:
            self.add(f"HTTP {response.status} {response.request.resource_type}: {response.url}")

    def _failed(self, request):
        if request.failure != "net::ERR_ABORTED":
            self.add(f"request failed: {request.url} {request.failure}")


def page_name(base: str, url: str) -> str:
    path = urlsplit(urljoin(base, url)).path.strip("/")
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


class Shooter:
    def __init__(self, browser, args):
        self.browser = browser
        self.base = args.base.rstrip("/")
        self.out = Path(args.out)
        self.password = args.password
        self.problems = Problems()
        self.count = 0

    def context(self, size):
        ctx = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **SIZES[size])
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        self.problems.attach(page)
        return ctx, page

    def settle(self, page):
        """Wait for the page, its web fonts (the icons) and the charts' entry animation."""
        page.wait_for_load_state("load")
        page.evaluate("document.fonts ? document.fonts.ready.then(() => true) : true")
        if page.locator("[data-chart]").count():
            page.wait_for_timeout(1_200)

    def shoot(self, page, who, name, size, full_page=True):
        self.settle(page)
        path = self.out / f"{who}-{name}-{size}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.count += 1
        print(f"  {path}")

    def visit(self, page, who, url, size, name=None):
        name = name or page_name(self.base, url)
        self.problems.current = f"{who} {name} {size}"
        response = page.goto(urljoin(self.base + "/", url.lstrip("/")))
        status = response.status if response else 0
        if status >= 500:
            self.problems.add(f"HTTP {status} for the page itself: {page.url}")
        self.shoot(page, who, name, size)
        return status

    def login(self, page, username, password):
        page.goto(f"{self.base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()

    # --- anonymous --------------------------------------------------------------------
    def anonymous(self, size, lockout_user):
        ctx, page = self.context(size)
        try:
            self.visit(page, "anon", "/login/", size, name="login")
            self.problems.current = f"anon login-error {size}"
            # A fresh made-up name each run, so earlier runs' failures never lock it.
            self.login(page, f"nobody_{int(time.time())}", "wrong-password")
            self.shoot(page, "anon", "login-error", size)
            if lockout_user:
                self.problems.current = f"anon lockout {size}"
                name = f"{lockout_user}_{size}_{int(time.time())}"
                for i in range(5):
                    self.login(page, name, f"wrong-{i}")
                if "锁定" not in page.content():
                    self.problems.add("five wrong passwords did not show the lockout page")
                self.shoot(page, "anon", "lockout", size)
            self.visit(page, "anon", "/no-such-page/", size, name="404")
        finally:
            ctx.close()

    # --- one user ---------------------------------------------------------------------
    def user(self, username, size):
        ctx, page = self.context(size)
        try:
            self.problems.current = f"{username} login {size}"
            self.login(page, username, self.password)
            if "/login/" in page.url:
                self.problems.add(f"cannot log in as {username} (wrong password or no such user?)")
                return
            if "/password/" in page.url:
                self.problems.add(f"{username} must change the password first; screenshots of it only")
            who = username
            # Where the login lands: the dashboard, or the audit log for the auditor.
            landing = urlsplit(page.url).path
            links = page.eval_on_selector_all("#sidebar a.nav-link", "els => els.map(e => e.getAttribute('href'))")
            paths = list(dict.fromkeys([landing, *links, *EXTRA_PATHS]))
            for url in paths:
                self.visit(page, who, url, size)
                if url.startswith("/sysadmin/"):
                    self.admin_pages(page, who, size)
                    continue
                self.first_detail(page, who, url, size)

            if size == "phone":
                self.problems.current = f"{who} menu-open {size}"
                page.goto(f"{self.base}/")
                toggle = page.locator("[data-bs-target='#sidebar']").first
                if toggle.is_visible():
                    toggle.tap()
                    page.locator("#sidebar.show").wait_for()
                    page.wait_for_timeout(400)  # the offcanvas slide-in
                    self.shoot(page, who, "menu-open", size, full_page=False)
                else:
                    self.problems.add("no menu button on the phone layout")
            else:
                self.region_switch(page, who, size)
        finally:
            ctx.close()

    def first_detail(self, page, who, url, size):
        """The detail page behind the first row of the page's main table, if any."""
        href = page.eval_on_selector_all(
            "main table tbody a[href]", "els => els.map(e => e.getAttribute('href')).filter(Boolean)"
        )
        href = next((h for h in href if not SKIP_LINK.search(h) and not h.startswith("#")), None)
        if href:
            self.visit(page, who, href, size, name=f"{page_name(self.base, url)}-detail")

    # The admin lists worth a look, in this order (others only if none of these exist).
    ADMIN_LISTS = ("/org/user/", "/org/region/", "/axes/accessattempt/")

    def admin_pages(self, page, who, size):
        """The Django admin: the users, regions and lockouts lists, and one user's form."""
        lists = page.eval_on_selector_all(
            "#content-main th[scope=row] a", "els => els.map(e => e.getAttribute('href'))"
        )
        chosen = [h for key in self.ADMIN_LISTS for h in lists if h.endswith(key)] or lists[:2]
        for i, href in enumerate(chosen):
            self.visit(page, who, href, size)
            rows = page.eval_on_selector_all("#result_list tbody th a", "els => els.map(e => e.getAttribute('href'))")
            if rows and i == 0:
                self.visit(page, who, rows[0], size, name=f"{page_name(self.base, href)}-change")

    def region_switch(self, page, who, size):
        """County users: pick a township in the top bar, shoot the dashboard, switch back."""
        page.goto(f"{self.base}/")
        select = page.locator("#region-switch select")
        if not select.count():
            return
        options = select.locator("option")
        if options.count() < 2:
            return
        self.problems.current = f"{who} region-switch {size}"
        with page.expect_navigation():
            select.select_option(index=options.count() // 2)
        self.shoot(page, who, "home-township-view", size)
        with page.expect_navigation():
            page.locator("#region-switch select").select_option(index=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description="为各角色的主要页面截图（桌面 1366×900、手机 390×844）")
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="平台地址")
    parser.add_argument("--out", default="var/screenshots", help="截图保存目录")
    parser.add_argument("--password", required=True, help="各账号的密码（seed_demo 打印的演示密码）")
    parser.add_argument(
        "--users", default=",".join(DEFAULT_USERS), help="逗号分隔的账号（默认 seed_demo 的各角色账号）"
    )
    parser.add_argument("--sizes", default="desktop,phone", help="desktop、phone 或两者")
    parser.add_argument("--lockout-user", default="screenshot_lockout", help="用于截取锁定页面的虚构账号")
    parser.add_argument("--no-lockout", action="store_true", help="不截取锁定页面（不产生登录失败记录）")
    parser.add_argument("--no-anonymous", action="store_true", help="不截取登录页、锁定页等未登录页面")
    args = parser.parse_args(argv)

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"未知尺寸：{', '.join(unknown)}（可选 {', '.join(SIZES)}）")
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"找不到 Chromium：{CHROMIUM}（apt-get install chromium，或设置 CHROMIUM_PATH）")
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        shooter = Shooter(browser, args)
        try:
            for size in sizes:
                if not args.no_anonymous:
                    print(f"== anonymous ({size})")
                    shooter.anonymous(size, None if args.no_lockout else args.lockout_user)
                for username in [u.strip() for u in args.users.split(",") if u.strip()]:
                    print(f"== {username} ({size})")
                    shooter.user(username, size)
        finally:
            browser.close()

    report = out / "problems.txt"
    report.write_text("\n".join(shooter.problems.items) + ("\n" if shooter.problems.items else ""), encoding="utf-8")
    print(f"{shooter.count} screenshots in {out} ({time.monotonic() - started:.0f} s)")
    if shooter.problems.items:
        print(f"{len(shooter.problems.items)} problems, listed in {report}", file=sys.stderr)
        return 1
    print("no console errors, no failed requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
