"""The year's assessment in a real browser: a county user opens 目标考核 from the sidebar,
opens the year's assessment, clicks 计算得分, sees the job reach 已完成 and the matrix
filled, then builds and downloads the workbook and the 通报.

Jobs run in-process: the queueing step is replaced with the runner itself (org.jobs
job_execute), so no broker or worker is needed; the page still polls the job row."""

from __future__ import annotations

import datetime
import os
import re

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from assessments import services_assessment as services  # noqa: E402
from tests.browser.test_login_flow import assert_clean, login  # noqa: E402
from tests.factories import PublicityItemFactory  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def in_process_jobs(monkeypatch):
    import org.jobs

    monkeypatch.setattr(org.jobs, "job_enqueue", lambda *, job_id: org.jobs.job_execute(job_id=job_id))


def test_county_user_computes_the_year_and_downloads_both_reports(live_server, world, page, tmp_path, settings,
                                                                  in_process_jobs):  # fmt: skip
    settings.MEDIA_ROOT = str(tmp_path / "media")
    year = datetime.date.today().year
    PublicityItemFactory(region=world.town_a, level="province", date=datetime.date(year, 3, 1))
    assessment = services.assessment_create(county=world.county, year=year, user=world.county_admin)
    base = live_server.url

    login(page, base, world.county_admin.username, world.password)
    page.locator("#sidebar").get_by_role("link", name="目标考核").click()
    expect(page.locator("main h1")).to_have_text("目标考核")
    page.get_by_role("link", name=str(assessment)).click()
    expect(page.locator("main h1")).to_have_text(str(assessment))

    page.locator("#btn-compute").click()
    compute_row = page.locator("#assessment-jobs tr").filter(has_text="计算年度考核得分")
    expect(compute_row).to_contain_text("已完成", timeout=30_000)
    page.get_by_role("link", name="刷新得分").click()
    matrix = page.locator("#assessment-matrix")
    expect(matrix).to_contain_text("甲镇")
    expect(matrix).to_contain_text("乙镇")

    for button, label, magic, ending in (
        ("#btn-workbook", "年度考核汇总表", b"PK", ".xlsx"),
        ("#btn-notice", "年度考核通报", b"%PDF", ".pdf"),
    ):
        page.locator(button).click()
        row = page.locator("#assessment-jobs tr").filter(has_text=label)
        expect(row).to_contain_text("已完成", timeout=30_000)
        with page.expect_download() as info:
            row.get_by_role("link", name=re.compile("下载")).click()
        download = info.value
        assert download.suggested_filename.endswith(ending)
        assert download.path().read_bytes()[: len(magic)] == magic
    assert_clean(page)
