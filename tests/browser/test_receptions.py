"""A reception in a real browser: the township clerk records a 接待选民 with one matter
referred to a handling unit (the deputies ticked from the 值日表 by the page's script), the
unit's staff find it in their inbox and answer it, and the clerk sees it answered.

Runs headless Chromium against pytest-django's live server (see conftest.py)."""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from stations.models import VoterIssue  # noqa: E402
from tests.factories import (  # noqa: E402
    DeputyFactory,
    DutyRosterFactory,
    MandateFactory,
    StationFactory,
    TermFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "甲村灌溉渠堵塞，春耕前需要清淤"
PHONE = "13912345678"


def login(page, base, username, password):
    page.goto(f"{base}/login/")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name=re.compile(r"登\s*录")).click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def logout(page):
    page.locator(".navbar .dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def assert_clean(page):
    assert page.problems.errors == [], "browser reported problems:\n" + "\n".join(page.problems.errors)


def test_clerk_records_a_reception_and_the_unit_answers_it(live_server, world, page):
    term = TermFactory(region=world.town_a)
    on_duty = [DeputyFactory(region=world.town_a, name=n) for n in ("张值班", "李值班")]
    other = DeputyFactory(region=world.town_a, name="王代表")
    for deputy in [*on_duty, other]:
        MandateFactory(deputy=deputy, region=world.town_a, term=term)
    station = StationFactory(region=world.town_a, name="甲镇人大代表之家")
    roster = DutyRosterFactory(station=station, date=timezone.localdate())
    roster.deputies.set(on_duty)
    base = live_server.url

    # The clerk records the reception.
    # The dashboard belongs to every part of the portal; these pages start from the room list.
    login(page, base, world.clerk_a.username, world.password)
    page.goto(f"{base}/stations/")
    page.locator("#sidebar").get_by_role("link", name="接待选民").click()
    expect(page.locator("main h1")).to_have_text("接待选民")
    page.get_by_role("link", name="登记接待").click()
    expect(page.locator("main h1")).to_have_text("登记接待选民")

    page.get_by_label("接待阵地").select_option(label="甲镇人大代表之家")
    # Today's 值日表 ticks the two deputies on duty; the third stays free to add.
    expect(page.locator("#roster-note")).to_contain_text("已按值日表预填")
    expect(page.get_by_label("张值班")).to_be_checked()
    expect(page.get_by_label("李值班")).to_be_checked()
    expect(page.get_by_label("王代表")).not_to_be_checked()
    page.get_by_label("接待选民人数").fill("3")
    page.get_by_label("接待情况").fill("选民反映灌溉和道路问题。")

    row = page.locator("[data-row]").first
    row.get_by_label("反映内容").fill(CONTENT)
    row.get_by_label("反映人").fill("赵选民")
    row.get_by_label("联系电话").fill(PHONE)
    unit_select = row.get_by_label("承办单位")
    expect(unit_select).to_be_hidden()
    row.get_by_label("转办", exact=True).check()
    expect(unit_select).to_be_visible()
    unit_select.select_option(label=world.unit_a.name)
    page.get_by_role("button", name="保存").click()

    expect(page.locator("main h1")).to_contain_text("接待选民")
    expect(page.locator("#reception-deputies")).to_have_text("张值班、李值班")
    expect(page.locator("main table")).to_contain_text(CONTENT[:10])
    expect(page.locator("main table")).to_contain_text("已转办")
    issue = VoterIssue.objects.get()
    assert issue.state == VoterIssue.State.REFERRED and issue.handling_unit == world.unit_a
    assert_clean(page)
    logout(page)

    # The unit finds it in its inbox and answers; the voter's phone is not shown to it.
    login(page, base, world.unit_user_a.username, world.password)
    page.goto(f"{base}/org/profile/")
    page.locator("#sidebar").get_by_role("link", name="待办问题").click()
    expect(page.locator("main h1")).to_have_text("待办问题")
    inbox = page.locator("#unit-issues")
    expect(inbox).to_contain_text(CONTENT[:10])
    inbox.get_by_role("link", name="答复").click()
    expect(page.locator("main h1")).to_contain_text("答复选民反映问题")
    expect(page.locator("#voter-phone")).to_have_text("139****5678")
    page.get_by_label("办理答复").fill("已安排农技人员三日内清淤。")
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".alert-success")).to_contain_text("已提交办理答复")
    expect(page.locator("#unit-issues")).to_contain_text("已答复")
    assert PHONE not in page.content()
    assert_clean(page)
    logout(page)

    # The clerk sees the answer and the state 已答复.
    login(page, base, world.clerk_a.username, world.password)
    page.goto(f"{base}/stations/")
    page.locator("#sidebar").get_by_role("link", name="选民反映问题").click()
    page.get_by_role("link", name=re.compile(CONTENT[:8])).click()
    expect(page.locator("#issue-state")).to_contain_text("已答复")
    expect(page.locator("#issue-answer")).to_have_text("已安排农技人员三日内清淤。")
    expect(page.locator("#voter-phone")).to_have_text(PHONE)
    expect(page.locator("#step-feed_back")).to_be_visible()
    assert_clean(page)
