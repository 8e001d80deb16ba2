"""Benchmark of the year-end evaluation (assessments app) at province scale — a script that
prints figures, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python bench/yearend.py

or as a part of `make bench` (bench/run.py). On a database without the province it first runs
`seed_demo --scale province`. The seed gives the demo county its assessments; every other
county of the province gets the running year's draft assessment here (not timed), and the
province gets the default point rules where it has none. Then it measures:

1. duty points of every deputy of the province for the running year (`points_compute` on the
   province), run twice: the second run must leave the same entries;
2. the year's full assessment: every county's draft of the running year computed, as the
   nightly beat task does (`compute_running_year`), twice, with the totals compared; and the
   demo county's assessment through the real job runner (job_create + job_execute);
3. the assessment dashboard (/assessments/dashboard/) and the home dashboard for the province
   admin, the demo county's admin and a township clerk: p50/p95 and queries per page;
4. one township's annual report PDF and the demo county's workbook, each in a child process
   for its own time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    Result,
    measured,
    ms,
    page_target,
    print_results,
    quiet_debug,
    reference_requests,
    run_child,
    setup_django,
    time_page,
    users,
)

PART = "年终考评"
PAGE_P95_MS = 300
PAGE_QUERIES = 20
ASSESSMENT_SECONDS = 60
PDF_SECONDS = 15
DEMO_COUNTY = "130599000000"  # 清河县 of seed_demo
DEMO_TOWNSHIP = "130599100000"  # 城关镇


def year_now() -> int:
    from django.utils import timezone

    return timezone.localdate().year


def prepare(year: int) -> dict:
    """Draft assessments for every county that has none, and point rules for the province."""
    from assessments.models import Assessment, PointRule
    from assessments.services_assessment import assessment_create
    from assessments.services_points import point_rules_preload
    from org.models import Region
    from org.roles import TOWNSHIP_KINDS

    roots = list(Region.objects.filter(parent__isnull=True).order_by("code"))
    for root in roots:
        if not PointRule.objects.filter(region=root).exists():
            point_rules_preload(county=root, year=year)
    counties = Region.objects.filter(kind=Region.Kind.COUNTY, children__kind__in=TOWNSHIP_KINDS).distinct()
    have = set(Assessment.objects.filter(year=year).values_list("region_id", flat=True))
    made = 0
    for county in counties.order_by("code"):
        if county.pk not in have:
            assessment_create(county=county, year=year, user=None)
            made += 1
    return {"roots": roots, "counties": counties.count(), "made": made}


def _entries_digest(year: int) -> tuple:
    from django.db.models import Count, Sum

    from assessments.models import PointEntry

    agg = PointEntry.objects.filter(year=year).aggregate(n=Count("pk"), s=Sum("points"))
    return agg["n"], agg["s"]


def bench_points(year: int, roots) -> list[Result]:
    from assessments.services_points import points_compute
    from deputies.models import Deputy

    runs = []
    for _ in range(2):
        with measured() as m:
            totals = {"townships": 0, "entries": 0, "deputies": 0}
            for root in roots:
                r = points_compute(region=root, year=year)
                for k in totals:
                    totals[k] += r[k]
        runs.append((m, totals, _entries_digest(year)))
    (m1, t1, d1), (m2, _, d2) = runs
    deputies = Deputy.objects.count()
    return [
        Result(
            PART,
            f"履职积分：全省 {t1['townships']:,} 个乡镇、{deputies:,} 名代表",
            f"{m1['seconds']:.1f} s，峰值RSS {m1['peak_mb']:.0f} MB（开始时 {m1['before_mb']:.0f} MB）",
            note=f"{t1['entries']:,} 条积分，{t1['deputies']:,} 名代表有积分；{t1['townships'] / m1['seconds']:.0f} 个乡镇/秒",
        ),
        Result(
            PART,
            "履职积分：再算一次",
            f"{m2['seconds']:.1f} s",
            target="结果相同",
            met=d1 == d2,
            note=f"条目数与合计：{d1[0]:,} / {d1[1]} → {d2[0]:,} / {d2[1]}",
        ),
    ]


def _totals(year: int) -> dict:
    from assessments.models import TownshipResult

    return dict(TownshipResult.objects.filter(assessment__year=year).values_list("township_id", "total").order_by("pk"))


def bench_assessment(year: int, who: dict) -> list[Result]:
    from assessments.jobs_assessment import compute_running_year
    from assessments.models import Assessment, TownshipResult
    from org.jobs import job_execute
    from org.models import Job

    runs = []
    for _ in range(2):
        with measured() as m:
            n = compute_running_year()
        runs.append((m, n, _totals(year)))
    (m1, n1, totals1), (m2, _, totals2) = runs
    townships = TownshipResult.objects.filter(assessment__year=year).count()
    out = [
        Result(
            PART,
            f"年度考核全量计算：{n1} 个县、{townships:,} 个乡镇",
            f"{m1['seconds']:.1f} s，峰值RSS {m1['peak_mb']:.0f} MB（开始时 {m1['before_mb']:.0f} MB）",
            target=f"< {ASSESSMENT_SECONDS} s",
            met=m1["seconds"] < ASSESSMENT_SECONDS,
            note="夜间任务 compute_running_year 的同一函数",
        ),
        Result(
            PART,
            "年度考核：再算一次",
            f"{m2['seconds']:.1f} s",
            target="结果相同",
            met=totals1 == totals2 and len(totals1) == townships,
            note=f"{len(totals1):,} 个乡镇总分逐一比较",
        ),
    ]
    demo = Assessment.objects.filter(region__code=DEMO_COUNTY, year=year).first()
    user = who.get("county")
    if demo is None or user is None or demo.state != Assessment.State.DRAFT:
        out.append(Result(PART, "考核计算作业（清河县）", "跳过", note="演示县本年度考核不存在或已不在草稿状态"))
        return out
    # The row as job_create makes it, run here by the runner itself: no broker in between.
    job = Job.objects.create(
        kind="assessment_compute", region=demo.region, requested_by=user, params={"assessment": demo.pk}
    )
    with measured() as m:
        job_execute(job_id=job.pk)
    job = Job.objects.get(pk=job.pk)
    out.append(
        Result(
            PART,
            f"考核计算作业：{demo.region.name}（作业执行器，含导出结果）",
            f"{m['seconds']:.2f} s",
            target="完成",
            met=job.state == Job.State.DONE,
            note=job.message or job.get_state_display(),
        )
    )
    return out


def bench_pages(who: dict, n: int) -> list[Result]:
    from django.urls import reverse

    pages = [
        ("考核看板", "全省管理员", "province", reverse("assessments:dashboard")),
        ("考核看板", "清河县管理员", "county", reverse("assessments:dashboard")),
        ("考核看板", "城关镇秘书", "clerk", reverse("assessments:dashboard")),
        ("首页看板", "全省管理员", "province", reverse("home")),
        ("首页看板", "清河县管理员", "county", reverse("home")),
        ("首页看板", "城关镇秘书", "clerk", reverse("home")),
    ]
    out = []
    for label, persona, key, url in pages:
        user = who.get(key)
        if user is None:
            out.append(Result(PART, f"{label}（{persona}）", "账号不存在"))
            continue
        print(f"  {label}（{persona}）……", flush=True)
        r = time_page(user, url, reference_requests(key, n))
        if "error" in r:
            out.append(Result(PART, f"{label}（{persona}）", r["error"], met=False))
            continue
        out.append(
            Result(
                PART,
                f"{label}（{persona}）",
                f"{ms(r)}，{r['queries']} 次查询",
                **page_target(key, r, PAGE_P95_MS, PAGE_QUERIES),
            )
        )
    return out


def child(what: str, pk: int) -> None:
    """In a fresh process: one report, printed as JSON (time, peak RSS, size)."""
    setup_django()
    quiet_debug()
    from assessments import reports
    from assessments.models import Assessment, TownshipResult
    from bench.common import measured as measure

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out"
        if what == "pdf":
            result = TownshipResult.objects.select_related("assessment__region", "township").get(pk=pk)
            with measure() as m:
                path.write_bytes(reports.township_report_pdf(result))
        else:
            assessment = Assessment.objects.select_related("region").get(pk=pk)
            with measure() as m:
                reports.write_workbook(assessment, path)
        size = path.stat().st_size
        pages = 0
        if what == "pdf":
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False)  # noqa: S603, S607
            pages = next((int(x.split()[-1]) for x in info.stdout.splitlines() if x.startswith("Pages:")), 0)
    print(json.dumps({"seconds": m["seconds"], "peak_mb": m["peak_mb"], "bytes": size, "pages": pages}))


def bench_reports(year: int) -> list[Result]:
    from assessments.models import Assessment, TownshipResult

    result = TownshipResult.objects.filter(assessment__year=year, township__code=DEMO_TOWNSHIP).first()
    assessment = Assessment.objects.filter(region__code=DEMO_COUNTY, year=year).first()
    out = []
    if result is None or assessment is None:
        return [Result(PART, "报告", "跳过", note="演示县本年度考核不存在")]
    r = run_child(Path(__file__), "--child", "pdf", str(result.pk))
    if "error" in r:
        out.append(Result(PART, "乡镇年度报告 PDF", "失败", target=f"< {PDF_SECONDS} s", met=False, note=r["error"]))
    else:
        out.append(
            Result(
                PART,
                f"乡镇年度报告 PDF（{result.township.name}，{r['pages']} 页）",
                f"{r['seconds']:.1f} s，峰值RSS {r['peak_mb']:.0f} MB",
                target=f"< {PDF_SECONDS} s",
                met=r["seconds"] < PDF_SECONDS,
                note=f"{r['bytes'] / 1e3:.0f} KB；新进程，含字体加载",
            )
        )
    r = run_child(Path(__file__), "--child", "workbook", str(assessment.pk))
    if "error" in r:
        out.append(Result(PART, "县考核汇总表 Excel", "失败", met=False, note=r["error"]))
    else:
        out.append(
            Result(
                PART,
                f"县考核汇总表 Excel（{assessment.region.name}）",
                f"{r['seconds']:.2f} s，峰值RSS {r['peak_mb']:.0f} MB",
                note=f"{r['bytes'] / 1e3:.0f} KB",
            )
        )
    return out


def run(args) -> list[Result]:
    year = year_now()
    print("年终考评：准备各县本年度考核和积分规则……", flush=True)
    ready = prepare(year)
    if ready["made"]:
        print(f"  新建 {ready['made']} 个县的 {year} 年度考核（草稿）", flush=True)
    quiet_debug()
    who = users()
    skip = set(getattr(args, "skip", []) or [])
    out = []
    if "points" not in skip:
        print("年终考评：履职积分……", flush=True)
        out += bench_points(year, ready["roots"])
    if "assessment" not in skip:
        print("年终考评：年度考核……", flush=True)
        out += bench_assessment(year, who)
    if "pages" not in skip:
        print("年终考评：看板……", flush=True)
        out += bench_pages(who, getattr(args, "requests", 30))
    if "reports" not in skip:
        print("年终考评：报告……", flush=True)
        out += bench_reports(year)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="年终考评基准测试（全省规模，PostgreSQL）")
    parser.add_argument("--requests", type=int, default=30, help="每个页面计时的请求数（默认30）")
    parser.add_argument("--skip", nargs="*", default=[], choices=["points", "assessment", "pages", "reports"])
    parser.add_argument("--allow-sqlite", action="store_true", help="在SQLite上试运行（结果不具代表性）")
    parser.add_argument("--child", nargs=2, metavar=("WHAT", "PK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    setup_django()
    from django.db import connection

    from bench.common import ensure_seeded

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit(
            "请用 PostgreSQL 运行：DATABASE_URL=postgres://… python bench/yearend.py（或加 --allow-sqlite 试运行）"
        )
    ensure_seeded()
    print_results(run(args))


if __name__ == "__main__":
    main()
