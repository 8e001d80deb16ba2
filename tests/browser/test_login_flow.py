"""The portal in a real browser: log in through the form, see the dashboard, open the roster,
log out through the user menu; the phone layout's sidebar; the lockout page.

Runs headless Chromium against pytest-django's live server (see conftest.py)."""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from tests.factories import DeputyFactory, MandateFactory, TermFactory  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, username, password):
    page.goto(f"{base}/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name=re.compile(r"登\s*录")).click()


def assert_clean(page):
    assert page.problems.errors == [], "browser reported problems:\n" + "\n".join(page.problems.errors)


def test_clerk_logs_in_sees_dashboard_opens_roster_and_logs_out(live_server, world, page):
    DeputyFactory(region=world.town_a, name="张三丰")
    DeputyFactory(region=world.town_b, name="乙镇的人")
    base = live_server.url

    page.goto(f"{base}/deputies/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/deputies/"))
    login(page, base, world.clerk_a.username, world.password)

    # The `next` of the login page brings the clerk to the roster it asked for; go home first.
    page.goto(f"{base}/")
    expect(page.locator("main h1")).to_have_text("甲镇")
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_be_visible()
    for entry in ("首页", "代表名册", "后台任务", "个人信息"):
        expect(sidebar.get_by_role("link", name=entry)).to_be_visible()
    # A clerk has no system section and no region switcher.
    expect(sidebar.get_by_role("link", name="审计日志")).to_have_count(0)
    expect(page.locator("#region-switch")).to_have_count(0)

    sidebar.get_by_role("link", name="代表名册").click()
    expect(page).to_have_url(re.compile(r"/deputies/$"))
    expect(page.locator("main h1")).to_have_text("代表名册")
    expect(page.get_by_role("link", name="张三丰")).to_be_visible()
    expect(page.get_by_text("乙镇的人")).to_have_count(0)
    expect(sidebar.get_by_role("link", name="代表名册")).to_have_class(re.compile(r"\bactive\b"))

    page.locator(".navbar .dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("button", name=re.compile(r"登\s*录"))).to_be_visible()

    # Logged out for real: the roster sends back to the login page.
    page.goto(f"{base}/deputies/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    assert_clean(page)


def test_phone_sidebar_hides_behind_the_menu_button(live_server, world, phone_page):
    page = phone_page
    login(page, live_server.url, world.clerk_a.username, world.password)
    expect(page.locator("main h1")).to_have_text("甲镇")

    sidebar = page.locator("#sidebar")
    roster = sidebar.get_by_role("link", name="代表名册")
    expect(roster).to_be_hidden()
    toggle = page.get_by_role("button", name="打开菜单")
    expect(toggle).to_be_visible()

    toggle.tap()
    expect(sidebar).to_have_class(re.compile(r"\bshow\b"))
    expect(roster).to_be_visible()
    # Nothing of the page is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    roster.tap()
    expect(page.locator("main h1")).to_have_text("代表名册")
    expect(roster).to_be_hidden()
    assert_clean(page)


def test_county_dashboard_draws_the_chart_and_switches_region(live_server, world, page):
    for town, n in ((world.town_a, 3), (world.town_b, 2)):
        term = TermFactory(region=town)
        for _ in range(n):
            MandateFactory(deputy=DeputyFactory(region=town), region=town, term=term)
    base = live_server.url
    login(page, base, world.county_admin.username, world.password)
    expect(page.locator("main h1")).to_have_text("测试县")
    # ECharts drew into the chart's box (a canvas), from the vendored script.
    expect(page.locator("#panel-deputy_structure [data-chart] canvas")).to_have_count(1)
    expect(page.locator("#panel-region_overview table")).to_contain_text("乙镇")

    with page.expect_navigation():
        page.locator("#region-switch select").select_option(label="　乙镇")
    expect(page.locator("main h1")).to_have_text("乙镇")
    expect(page.locator(".scope-bar")).to_contain_text("乙镇")
    page.get_by_role("button", name="返回全县视图").click()
    expect(page.locator("main h1")).to_have_text("测试县")
    expect(page.locator(".scope-bar")).to_have_count(0)
    assert_clean(page)


def test_five_wrong_passwords_show_the_lockout_page(live_server, world, page):
    base = live_server.url
    for attempt in range(1, 5):
        login(page, base, world.clerk_a.username, f"wrong-{attempt}")
        expect(page.get_by_text("账号或密码不正确")).to_be_visible()
    login(page, base, world.clerk_a.username, "wrong-5")
    expect(page.locator("h1")).to_contain_text("锁定")
    expect(page.locator("#lockout-message")).to_contain_text("15 分钟")

    # Locked means locked: the right password does not get in either.
    login(page, base, world.clerk_a.username, world.password)
    expect(page.locator("h1")).to_contain_text("锁定")
    # Another account from the same browser is not locked (username + IP).
    login(page, base, world.clerk_b.username, world.password)
    expect(page.locator("main h1")).to_have_text("乙镇")
    assert_clean(page)
