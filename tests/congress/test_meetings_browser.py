"""The attendance roll in a real browser: the clerk marks deputies on leave with one click
each, the page's counter and quorum badge follow, 全部出席 puts everyone back, and the
saved roll lets the session be marked held from its page.

Runs headless Chromium against pytest-django's live server (tests/browser/conftest.py)."""

from __future__ import annotations

import datetime
import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from congress import services_meetings as services  # noqa: E402
from congress.models import Attendance, Meeting  # noqa: E402
from tests.browser.conftest import DESKTOP, _new_page, browser  # noqa: E402, F401  (browser: the fixture)
from tests.factories import DeputyFactory, MandateFactory, TermFactory  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tab(browser):  # noqa: F811
    context, tab = _new_page(browser, DESKTOP)
    yield tab
    context.close()


def login(page, base, username, password):
    page.goto(f"{base}/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name=re.compile(r"登\s*录")).click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_clerk_fills_the_roll_and_marks_the_session_held(live_server, world, tab, tmp_path):
    page = tab
    term = TermFactory(region=world.county, number=20)
    deputies = []
    for i in range(9):
        deputy = DeputyFactory(region=world.town_a, name=f"代表{i + 1:02d}")
        MandateFactory(deputy=deputy, region=world.town_a, term=term)
        deputies.append(deputy)
    meeting = services.meeting_create(
        region=world.town_a, kind=Meeting.Kind.SESSION, date=datetime.date(2025, 3, 10), user=world.clerk_a
    )
    login(page, live_server.url, "clerk_a", world.password)
    page.goto(f"{live_server.url}/congress/meetings/{meeting.pk}/roll/")
    expect(page.locator("#present-count")).to_have_text("9")
    for deputy in deputies[:4]:
        page.get_by_role("group", name=f"{deputy.name}的出席情况").get_by_text("请假").click()
    expect(page.locator("#present-count")).to_have_text("5")
    expect(page.locator("#quorum-state")).to_have_text("未达到")
    page.get_by_role("button", name="全部出席").click()
    expect(page.locator("#present-count")).to_have_text("9")
    for deputy in deputies[:3]:
        page.get_by_role("group", name=f"{deputy.name}的出席情况").get_by_text("请假").click()
    page.get_by_label(f"{deputies[0].name}的请假事由").fill("外出务工")
    expect(page.locator("#quorum-state")).to_have_text("达到")
    page.screenshot(path=str(tmp_path / "roll.png"), full_page=True)
    page.get_by_role("button", name="保存出席情况").click()
    expect(page.locator(".quorum-box")).to_contain_text("应到9人 实到6人 请假3人 缺席0人")
    expect(page.locator(".quorum-box")).to_contain_text("达到法定人数（至少6人）")
    page.get_by_role("button", name="标记为已召开").click()
    expect(page.locator(".alert-success").first).to_contain_text("已召开")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.HELD
    assert Attendance.objects.get(meeting=meeting, deputy=deputies[0]).note == "外出务工"
    assert page.problems.errors == [], "\n".join(page.problems.errors)
