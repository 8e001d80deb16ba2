"""One deputy suggestion from submission to rating in a real browser, across three roles:
the deputy drafts and submits it, the township clerk accepts it and assigns it to a unit,
the unit's staff answer it (class A), the deputy rates it 满意 and the clerk sees it rated
and ready to close.

Runs headless Chromium against pytest-django's live server (see conftest.py)."""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from congress.models import Suggestion  # noqa: E402
from tests.browser.conftest import DESKTOP, _new_page  # noqa: E402
from tests.browser.test_login_flow import assert_clean, login  # noqa: E402
from tests.factories import DeputyFactory, MandateFactory, TermFactory  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "关于修缮甲村村道的建议"


def as_user(browser, base, user, password):
    context, page = _new_page(browser, DESKTOP)
    login(page, base, user.username, password)
    return context, page


def test_a_suggestion_from_submission_to_rating(live_server, world, browser):
    term = TermFactory(region=world.town_a)
    me = DeputyFactory(region=world.town_a, name="王建议", user=world.deputy_a)
    MandateFactory(deputy=me, region=world.town_a, term=term)
    base = live_server.url
    pages = []

    # The deputy drafts and submits.
    context, deputy = as_user(browser, base, world.deputy_a, world.password)
    pages.append((context, deputy))
    deputy.locator("#sidebar").get_by_role("link", name="我的建议").click()
    expect(deputy.locator("main h1")).to_have_text("我的建议")
    deputy.get_by_role("link", name="提出建议").click()
    deputy.get_by_label("标题").fill(TITLE)
    deputy.get_by_label("建议内容").fill("甲村村道年久失修，雨天泥泞，建议列入明年修缮计划。")
    deputy.get_by_label("类别").select_option(label="城乡建设和交通")
    deputy.get_by_role("button", name="保存").click()
    expect(deputy.locator("main h1")).to_contain_text(TITLE)
    expect(deputy.locator("#suggestion-state")).to_contain_text("草稿")
    deputy.locator("#step-submit").get_by_role("button", name="提交建议").click()
    expect(deputy.locator("#suggestion-state")).to_contain_text("已提交")
    detail_url = deputy.url
    assert_clean(deputy)

    # The clerk accepts it and assigns it to unit A.
    context, clerk = as_user(browser, base, world.clerk_a, world.password)
    pages.append((context, clerk))
    clerk.locator("#sidebar").get_by_role("link", name="代表建议").click()
    expect(clerk.locator("main h1")).to_have_text("代表建议")
    clerk.get_by_role("link", name=TITLE).click()
    clerk.locator("#step-accept").get_by_role("button", name="立案").click()
    expect(clerk.locator("#suggestion-state")).to_contain_text("已立案")
    assign = clerk.locator("#step-assign")
    assign.get_by_label("主办单位").select_option(label=world.unit_a.name)
    assign.get_by_role("button", name="交办").click()
    expect(clerk.locator("#suggestion-state")).to_contain_text("已交办")
    expect(clerk.get_by_text(world.unit_a.name).first).to_be_visible()
    assert_clean(clerk)

    # The unit answers it, class A.
    context, unit = as_user(browser, base, world.unit_user_a, world.password)
    pages.append((context, unit))
    unit.locator("#sidebar").get_by_role("link", name="待办建议").click()
    expect(unit.locator("main h1")).to_have_text("待办建议")
    unit.locator("#assignment-table").get_by_role("link", name="答复").click()
    unit.get_by_label("答复内容").fill("已列入明年村道修缮计划，三月开工。")
    unit.get_by_label("答复类别").select_option("A")
    unit.get_by_role("button", name="提交答复").click()
    expect(unit.locator("main h1")).to_have_text("待办建议")
    expect(unit.locator("#assignment-table")).to_contain_text("A")
    assert_clean(unit)

    # The deputy rates it 满意.
    deputy.goto(detail_url)
    expect(deputy.locator("#suggestion-state")).to_contain_text("已答复")
    expect(deputy.locator("#answer-class")).to_contain_text("A类")
    rate = deputy.locator("#step-rate")
    rate.get_by_label("满意", exact=True).check()
    rate.get_by_role("button", name="评价办理结果").click()
    expect(deputy.locator("#suggestion-state")).to_contain_text("已评价")
    assert_clean(deputy)

    # The clerk sees it rated and ready to close.
    clerk.reload()
    expect(clerk.locator("#suggestion-state")).to_contain_text("已评价")
    expect(clerk.locator("#can-close")).to_contain_text("可办结")
    expect(clerk.locator("#step-close")).to_be_visible()
    assert_clean(clerk)

    s = Suggestion.objects.get(title=TITLE)
    assert (s.state, s.answer_class, s.rating, s.lead_deputy) == ("rated", "A", "satisfied", me)
    assert re.search(rf"/congress/suggestions/{s.pk}/$", detail_url)
    for context, _ in pages:
        context.close()
