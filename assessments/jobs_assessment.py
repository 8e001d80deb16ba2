"""Background jobs of the assessment (org/jobs.py): computing a year's scores, the workbook,
the county's notice 通报 and a township's annual report. Each reads its rows through the
requesting user's scope again and may be run any number of times with the same result.

The nightly beat task (config/settings.py CELERY_BEAT_SCHEDULE) recomputes the running
year's draft assessments so the county sees up-to-date draft scores in the morning."""

from __future__ import annotations

import csv

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from org.jobs import JobError, register_job
from org.roles import Role
from org.scoping import CHANGE, VIEW

from . import reports
from . import services_assessment as services
from .models import Assessment, TownshipResult

COUNTY = (Role.COUNTY_ADMIN,)


def _assessment(ctx, action=VIEW) -> Assessment:
    pk = ctx.params.get("assessment")
    assessment = Assessment.objects.for_user(ctx.user, action).select_related("region").filter(pk=pk).first()
    if assessment is None:
        raise JobError("考核不存在或不在您的管辖范围内。")
    return assessment


def _user_error(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "无权进行此操作。"


@register_job("assessment_compute", "计算年度考核得分", roles=COUNTY)
def run_compute(ctx) -> str:
    assessment = _assessment(ctx, CHANGE)
    try:
        summary = services.assessment_compute(
            assessment=assessment, user=ctx.user, progress=lambda pct, msg="": ctx.progress(pct, msg)
        )
    except (ValidationError, PermissionDenied) as exc:
        raise JobError(_user_error(exc)) from exc
    results = TownshipResult.objects.filter(assessment=assessment).select_related("township").order_by("rank")
    with ctx.output_path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["排名", "乡镇", "总分"])
        for r in results:
            w.writerow([r.rank or "", r.township.name, r.total])
    ctx.job.message = f"已计算{summary['townships']}个乡镇、{summary['items']}个考核项目"
    return f"{assessment.region.name}{assessment.year}年度考核得分.csv"


@register_job("assessment_workbook", "年度考核汇总表（Excel）", roles=COUNTY)
def run_workbook(ctx) -> str:
    assessment = _assessment(ctx)
    reports.write_workbook(assessment, ctx.output_path, progress=lambda pct, msg="": ctx.progress(pct, msg))
    return reports.workbook_filename(assessment)


@register_job("assessment_notice", "年度考核通报（PDF）", roles=COUNTY)
def run_notice(ctx) -> str:
    assessment = _assessment(ctx)
    ctx.progress(10, "正在生成通报")
    ctx.output_path.write_bytes(reports.notice_pdf(assessment))
    return reports.notice_filename(assessment)


@register_job("township_report", "乡镇年度工作报告（PDF）", roles=(Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK))
def run_township_report(ctx) -> str:
    pk = ctx.params.get("result")
    result = (
        TownshipResult.objects.for_user(ctx.user, VIEW)
        .select_related("assessment__region", "township")
        .filter(pk=pk)
        .first()
    )
    if result is None:
        raise JobError("乡镇考核结果不存在或不在您的管辖范围内。")
    ctx.progress(10, "正在生成报告")
    ctx.output_path.write_bytes(reports.township_report_pdf(result))
    return reports.township_report_filename(result)


@shared_task(name="assessments.tasks.compute_running_year")
def compute_running_year() -> int:
    """Nightly on beat: recompute every draft assessment of the running year. Returns how many."""
    year = timezone.localdate().year
    n = 0
    for assessment in Assessment.objects.filter(year=year, state=Assessment.State.DRAFT):
        services.assessment_compute(assessment=assessment, user=None)
        n += 1
    return n
