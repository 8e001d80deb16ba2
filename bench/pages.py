"""Benchmark of the pages people open most, at province scale — a script that prints figures.

    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python bench/pages.py --requests 200

or as a part of `make bench`. For each page and persona: p50/p95 over `--requests` GETs through
Django's test Client (after two warm-up requests) and the queries of one more, against the
targets of issue 7 (p95 < 300 ms, ≤ 20 queries, whatever the size of the data). The roster's
variants (deep pages, filters, search) and the Django admin beside it are in bench/deputies.py;
the assessment dashboard is in bench/yearend.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import (
    Result,
    ms,
    page_target,
    print_results,
    quiet_debug,
    reference_requests,
    setup_django,
    time_page,
    users,
)

PART = "常用页面"
P95_MS = 300
QUERIES = 20
DEMO_TOWNSHIP = "130599100000"  # 城关镇 of seed_demo


def pages(who: dict) -> list[tuple[str, str, str, str]]:
    """(page, persona, persona key, url) for every page measured."""
    from django.urls import reverse

    from deputies.models import Deputy

    deputy = who.get("deputy")
    own = Deputy.objects.filter(user=deputy).first() if deputy else None
    other = Deputy.objects.filter(region__code=DEMO_TOWNSHIP).order_by("pk").first()
    out = [
        ("县级看板（首页）", "全省管理员", "province", reverse("home")),
        ("县级看板（首页）", "清河县管理员", "county", reverse("home")),
        ("乡镇看板（首页）", "城关镇秘书", "clerk", reverse("home")),
        ("代表名册", "全省管理员", "province", reverse("deputies:deputy-list")),
        ("代表名册", "清河县管理员", "county", reverse("deputies:deputy-list")),
        ("代表名册", "城关镇秘书", "clerk", reverse("deputies:deputy-list")),
        ("代表建议列表", "全省管理员", "province", reverse("congress:suggestion-list")),
        ("代表建议列表", "清河县管理员", "county", reverse("congress:suggestion-list")),
        ("代表建议列表", "城关镇秘书", "clerk", reverse("congress:suggestion-list")),
        ("我的建议", "代表", "deputy", reverse("congress:my-suggestion-list")),
    ]
    if other is not None:
        url = reverse("deputies:deputy-detail", args=[other.pk])
        out += [("履职档案", "清河县管理员", "county", url), ("履职档案", "城关镇秘书", "clerk", url)]
    if own is not None:
        out.append(("履职档案（本人）", "代表", "deputy", reverse("deputies:deputy-detail", args=[own.pk])))
    return out


def run(args) -> list[Result]:
    quiet_debug()
    who = users()
    n = getattr(args, "requests", 200)
    out = []
    for label, persona, key, url in pages(who):
        user = who.get(key)
        name = f"{label}（{persona}）"
        if user is None:
            out.append(Result(PART, name, "账号不存在"))
            continue
        print(f"  {name}……", flush=True)
        r = time_page(user, url, reference_requests(key, n))
        if "error" in r:
            out.append(Result(PART, name, r["error"], met=False, note=url))
            continue
        out.append(Result(PART, name, f"{ms(r)}，{r['queries']} 次查询", **page_target(key, r, P95_MS, QUERIES)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="常用页面基准测试（全省规模，PostgreSQL）")
    parser.add_argument("--requests", type=int, default=200, help="每个页面计时的请求数（默认200）")
    parser.add_argument("--allow-sqlite", action="store_true", help="在SQLite上试运行（结果不具代表性）")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from bench.common import ensure_seeded

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit("请用 PostgreSQL 运行：DATABASE_URL=postgres://… python bench/pages.py（或加 --allow-sqlite 试运行）")
    ensure_seeded()
    print_results(run(args))


if __name__ == "__main__":
    main()
