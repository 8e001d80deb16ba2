"""`make bench`: the whole benchmark suite on one province-scale database, one table of figures.

    make bench                                  # database portal_bench on 127.0.0.1
    make bench BENCH_ARGS="--skip load"         # any part left out
    .venv/bin/python bench/run.py --database portal_bench --requests 200

Creates the PostgreSQL database when it is missing, migrates it, seeds `--scale province` once
(a second run reuses the data), runs VACUUM ANALYZE, then each part in turn — every part is a module of
this folder with `run(args) -> list[Result]` — and prints one table with each target met or
missed. The table is also written to var/bench/ with the date, for comparing runs.

Use a throwaway database: the parts add rows (filler deputies, imported deputies deleted again,
assessments of every county, receptions posted by the load test).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import io
import os
import sys
import time
import traceback
from contextlib import redirect_stdout
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import BASE_DIR, Result, print_results, setup_django

# In the order they run: the load test last, as it leaves the most rows behind.
PARTS = {
    "pages": "bench.pages",
    "deputies": "bench.deputies",
    "exports": "bench.exports",
    "yearend": "bench.yearend",
    "load": "bench.load",
}


def create_database(url: str) -> bool:
    """CREATE DATABASE for `url` when it does not exist; True if it was made."""
    import environ
    import psycopg2
    from psycopg2 import sql

    cfg = environ.Env.db_url_config(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg.get("USER") or None,
        password=cfg.get("PASSWORD") or None,
        host=cfg.get("HOST") or None,
        port=cfg.get("PORT") or None,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
            return True
    finally:
        conn.close()


def prepare() -> list[Result]:
    """Migrate, seed once, ANALYZE: the figures of getting the data there."""
    from django.core.management import call_command
    from django.db import connection

    from deputies.models import Deputy

    out = []
    with redirect_stdout(io.StringIO()):
        call_command("migrate", verbosity=0, interactive=False)
    if not Deputy.objects.exists():
        print("生成全省规模演示数据（seed_demo --scale province，约十几分钟）……", flush=True)
        started = time.monotonic()
        call_command("seed_demo", "--scale", "province", verbosity=0)
        out.append(
            Result("数据", "全省演示数据生成", f"{time.monotonic() - started:.0f} s", note="seed_demo --scale province")
        )
    # The planner needs statistics after bulk loads, and index-only scans need the visibility
    # map: autovacuum may be off (it is on this machine) or not have run yet.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return out


def describe() -> str:
    from django.db import connection

    from congress.models import Suggestion
    from deputies.models import Deputy
    from org.models import Region
    from org.roles import TOWNSHIP_KINDS
    from stations.models import Reception

    load = os.getloadavg()
    return (
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}  数据库 {connection.vendor} {connection.settings_dict['NAME']}  "
        f"CPU {os.cpu_count()} 核，负载 {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}\n"
        f"数据：乡镇 {Region.objects.filter(kind__in=TOWNSHIP_KINDS).count():,} 个，代表 {Deputy.objects.count():,} 名，"
        f"接待 {Reception.objects.count():,} 次，代表建议 {Suggestion.objects.count():,} 件"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="全省规模基准测试套件（PostgreSQL + Redis）")
    parser.add_argument(
        "--database",
        default="portal_bench",
        help="PostgreSQL 数据库名（默认 portal_bench；设了 DATABASE_URL 时以它为准）",
    )
    parser.add_argument("--requests", type=int, default=200, help="每个页面计时的请求数（默认200）")
    parser.add_argument("--skip", nargs="*", default=[], choices=list(PARTS), help="跳过的部分")
    parser.add_argument("--only", nargs="*", default=[], choices=list(PARTS), help="只运行这些部分")
    parser.add_argument("--users", type=int, default=50, help="压力测试并发用户数（默认50）")
    parser.add_argument("--duration", default="3m", help="压力测试时长（默认3m）")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{args.database}")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("基准测试需要 PostgreSQL：DATABASE_URL 应为 postgres://…")
    if create_database(os.environ["DATABASE_URL"]):
        print(f"已新建数据库 {args.database}", flush=True)
    setup_django()
    results = prepare()
    wanted = [p for p in PARTS if (not args.only or p in args.only) and p not in args.skip]
    for name in wanted:
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            module = importlib.import_module(PARTS[name])
        except ModuleNotFoundError as exc:
            results.append(Result(name, "（此部分）", "未提供", note=str(exc)))
            continue
        part_args = argparse.Namespace(**{**vars(args), "skip": []})
        try:
            results += module.run(part_args)
        except Exception as exc:  # noqa: BLE001 - one failing part must not hide the others' figures
            traceback.print_exc()
            results.append(Result(name, "（此部分）", "出错", met=False, note=f"{type(exc).__name__}: {exc}"))
        print(f"   {time.monotonic() - started:.0f} s", flush=True)

    header = describe()
    buf = io.StringIO()
    with redirect_stdout(buf):
        print(header)
        print()
        print_results(results)
    text = buf.getvalue()
    print()
    print(text)
    out_dir = BASE_DIR / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"bench-{datetime.datetime.now():%Y%m%d-%H%M}.txt"
    path.write_text(text, encoding="utf-8")
    print(f"已保存：{path.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
