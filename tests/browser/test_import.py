"""The roster import in a real browser: a clerk opens 导入代表信息 from the sidebar, downloads
the template, uploads a small sheet with one bad row and sees the preview with the
problem named by row and column, and no commit button.

Runs headless Chromium against pytest-django's live server (see conftest.py)."""

from __future__ import annotations

import datetime
import io
import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from openpyxl import Workbook, load_workbook  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from org.models import Term  # noqa: E402
from org.validators import id_checksum  # noqa: E402
from tests.browser.test_login_flow import assert_clean, login  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _id(born: datetime.date, seq: int) -> str:
    first17 = f"110101{born:%Y%m%d}{seq:03d}"
    return first17 + id_checksum(first17)


def small_sheet(path):
    wb = Workbook()
    ws = wb.active
    ws.append(["甲镇人大代表信息登记表"])
    ws.append(["姓名", "性别", "民族", "出生年月", "身份证号", "政治面貌"])
    ws.append(["张三", "男", "汉族", "1980.01", _id(datetime.date(1980, 1, 15), 11), "中共党员"])
    ws.append(["李四", "女", "火星族", "1975.03", _id(datetime.date(1975, 3, 8), 12), "群众"])
    wb.save(path)


def test_clerk_downloads_the_template_uploads_and_sees_the_problem(live_server, world, page, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    today = datetime.date.today()
    Term.objects.create(
        region=world.county,
        level="township",
        number=20,
        start_date=today.replace(year=today.year - 2),
        end_date=today.replace(year=today.year + 3),
    )
    base = live_server.url
    login(page, base, world.clerk_a.username, world.password)
    expect(page.locator("main h1")).to_have_text("甲镇")

    page.locator("#sidebar").get_by_role("link", name="导入代表信息").click()
    expect(page.locator("main h1")).to_have_text("导入代表信息")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("下载导入模板")).click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx") and "甲镇" in download.suggested_filename
    # Playwright keeps the download under a name without .xlsx, which openpyxl refuses.
    template = load_workbook(io.BytesIO(download.path().read_bytes()))
    assert template["代表信息"]["A2"].value == "姓名"

    sheet = tmp_path / "登记表.xlsx"
    small_sheet(sheet)
    page.get_by_label("代表信息登记表").set_input_files(str(sheet))
    page.get_by_role("button", name="上传并校验").click()

    expect(page).to_have_url(re.compile(r"/deputies/import/\d+/$"))
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("第4行「民族」：“火星族”不是56个民族的规范名称")
    expect(page.locator("#count-create")).to_have_text("1")
    expect(page.locator("#count-errors")).to_have_text("1")
    expect(page.locator("#import-commit-form")).to_have_count(0)
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("有错误")
    # The preview masks ID numbers.
    expect(page.locator("#import-rows")).to_contain_text("1101**********")

    # The upload page lists the batch.
    page.get_by_role("link", name="导入代表信息").first.click()
    expect(page.locator("main table")).to_contain_text("登记表.xlsx")
    assert_clean(page)
