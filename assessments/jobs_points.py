"""The points job (org.jobs kind "points_compute") and its nightly run."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone

from org.jobs import JobError, register_job
from org.models import Region
from org.roles import COUNTY_KINDS, Role
from org.xlsx import write_sheet

from .models import PointEntry
from .services_points import points_compute

log = logging.getLogger(__name__)


@register_job("points_compute", "履职积分计算", roles=(Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK))
def points_compute_job(ctx) -> str:
    """Recompute the year's points of the job's region (params: {"year": 2026}), township by
    township, and write a summary sheet of what each township now has."""
    try:
        year = int(ctx.params.get("year") or timezone.localdate().year)
    except (TypeError, ValueError):
        raise JobError("年度格式不正确。") from None

    def progress(done, total, township):
        ctx.progress(100 * done / total, f"已计算 {done}/{total} 个乡镇（{township.name}）", force=done == total)

    ctx.progress(0, "开始计算履职积分", force=True)
    try:
        result = points_compute(region=ctx.region, year=year, user=ctx.user, progress=progress)
    except ValidationError as exc:
        raise JobError("；".join(exc.messages)) from None
    if not result["townships"]:
        raise JobError(f"“{ctx.region.name}”下没有乡镇，无需计算履职积分。")
    summary = (
        PointEntry.objects.filter(year=year, deputy__region__path__startswith=ctx.region.path)
        .values("deputy__region__code", "deputy__region__name")
        .annotate(
            deputies=Count("deputy", distinct=True),
            lines=Count("pk"),
            capped_lines=Count("pk", filter=Q(capped=True)),
            total=Sum("points", filter=Q(capped=False)),
        )
        .order_by("deputy__region__code")
    )
    write_sheet(
        ctx.output_path,
        title=f"{year}年履职积分计算结果",
        header=["乡镇", "有积分的代表数", "积分条目", "超出上限条目", "计入积分合计"],
        rows=(
            [r["deputy__region__name"], r["deputies"], r["lines"], r["capped_lines"], float(r["total"] or 0)]
            for r in summary
        ),
        widths=[24, 16, 12, 14, 14],
    )
    ctx.job.message = (
        f"已计算{result['townships']}个乡镇{result['deputies']}名代表的{year}年履职积分，"
        f"共{result['entries']}条（超出上限{result['capped']}条）。"
    )
    return f"履职积分计算结果-{ctx.region.name}-{year}.xlsx"


@shared_task(name="assessments.points_compute_nightly")
def points_compute_nightly() -> int:
    """Each night, the running year's points of every county tree; in January the previous
    year's too (the records of December are still being entered when the year is assessed)."""
    today = timezone.localdate()
    years = [today.year - 1, today.year] if today.month == 1 else [today.year]
    roots = Region.objects.filter(parent__isnull=True, kind__in=COUNTY_KINDS).order_by("code")
    entries = 0
    for root in roots:
        for year in years:
            entries += points_compute(region=root, year=year)["entries"]
    log.info("nightly points: %s entries over %s", entries, years)
    return entries
