"""Benchmark of the deputies registry at province scale — a script that prints figures, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python bench/deputies.py

or as a part of `make bench` (bench/run.py calls `run(args)`). On an empty database, run
alone, it first runs `seed_demo --scale province` (≈90,000 deputies). Then it measures:

1. the roster 代表名册 (`deputies:deputy-list`) — first page, page 2,000 reached by 下一页 (the
   cursor link a user follows) and typed as `?page=2000`, the last page, a filter and a pinyin
   search — as the province admin, the demo county's admin and a township clerk: p50/p95 over
   --requests requests and the queries of one more, against p95 < 300 ms and ≤ 20 queries;
   the structure page 代表结构 likewise;
2. the same Deputy rows through the Django admin changelist (/sysadmin/deputies/deputy/, as
   deputies/admin.py configures it) side by side: the roster must be ≥ 3× faster on the
   first page, on page 2,000 and on the search;
3. importing 10,000 rows through deputies.importing (read + check + commit) — figures only;
4. the duty-file PDF of one deputy — figures only.

The export of 100,000 rows, side by side with django-import-export, the writer alone and
COPY, is bench/exports.py (run alone, this script runs it too unless `--skip export`).
Rows added for (3) are deleted again. Use a throwaway database: never the one you work in.
"""

from __future__ import annotations

import argparse
import inspect
import io
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/deputies.py`: import bench.* from the root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result, ms, pct, print_results, quiet_debug, setup_django, time_page, users

PART = "代表名册"
P95_MS = 300
QUERIES = 20
VS_ADMIN = 3.0
DEEP_PAGE = 2000
# ID-number prefixes no seeded county uses (the seed takes a county's own code digits).
IMPORT_PREFIX = "139999"
IMPORT_ROWS = 10_000
DEMO_TOWNSHIP = "130599100000"  # 城关镇 of seed_demo


# --- 0. data -------------------------------------------------------------------------------------


def ensure_seeded() -> None:
    from django.core.management import call_command

    from deputies.models import Deputy

    if not Deputy.objects.exists():
        print("数据库为空：生成全省规模演示数据（seed_demo --scale province）……", flush=True)
        started = time.monotonic()
        call_command("seed_demo", "--scale", "province", verbosity=0)
        print(f"  用时 {time.monotonic() - started:.1f} 秒", flush=True)
    n = Deputy.objects.count()
    if n < 50_000:
        print(f"注意：库中只有 {n} 名代表，不是全省规模；结果只作参考。", flush=True)


# --- 1. pages, and the admin beside them -------------------------------------------------------------


def cursor_url(user, number: int) -> str | None:
    """The link 下一页 on page `number - 1` of `user`'s unfiltered roster: the page as a user
    who clicks through reaches it (the cursor of the row just before it)."""
    from django.urls import reverse

    from deputies.models import Deputy
    from deputies.selectors_roster import ORDER, encode_cursor

    rows = Deputy.objects.for_user(user).select_related("region").order_by(*ORDER)
    anchor = rows[(number - 1) * 20 - 1 : (number - 1) * 20].first()
    if anchor is None:
        return None
    return f"{reverse('deputies:deputy-list')}?page={number}&after={encode_cursor(anchor)}"


def page_list(who: dict) -> list[tuple[str, str, str, str | None]]:
    """(key, page, persona key, url); keys pair a roster page with its admin twin."""
    from django.urls import NoReverseMatch, reverse

    roster = reverse("deputies:deputy-list")
    province = who.get("province")
    out = [
        ("first", "第1页", "province", roster),
        (
            "deep",
            f"第{DEEP_PAGE}页（点“下一页”到达）",
            "province",
            cursor_url(province, DEEP_PAGE) if province else None,
        ),
        ("typed", f"第{DEEP_PAGE}页（地址栏输入 ?page={DEEP_PAGE}）", "province", f"{roster}?page={DEEP_PAGE}"),
        ("last", "末页", "province", f"{roster}?page=last"),
        ("filter", "筛选：女、少数民族", "province", f"{roster}?gender=F&ethnicity=minority"),
        ("search", "搜索拼音 zw", "province", f"{roster}?q=zw"),
        ("", "第1页", "county", roster),
        ("", "搜索拼音 zw", "county", f"{roster}?q=zw"),
        ("", "第1页", "clerk", roster),
        ("", "末页", "clerk", f"{roster}?page=last"),
    ]
    try:
        structure = reverse("deputies:structure")
    except NoReverseMatch:
        structure = None
    if structure:
        out += [("", "代表结构", key, structure) for key in ("province", "county", "clerk")]
    return out


ADMIN = "/sysadmin/deputies/deputy/"
# The admin twin of each roster page (same rows, same order: Deputy.Meta.ordering).
ADMIN_PAGES = {
    "first": ("Django admin 第1页", ADMIN),
    "deep": (f"Django admin 第{DEEP_PAGE}页", f"{ADMIN}?p={DEEP_PAGE}"),
    "search": ("Django admin 搜索 zw", f"{ADMIN}?q=zw"),
}
PERSONAS = {"province": "全省管理员", "county": "清河县管理员", "clerk": "城关镇秘书", "it": "系统管理员"}


def bench_pages(n: int, who: dict) -> list[Result]:
    results, timed = [], {}
    for key, label, persona, url in page_list(who):
        user = who.get(persona)
        name = f"{label}（{PERSONAS[persona]}）"
        if user is None or url is None:
            results.append(Result(PART, name, "账号或页面不存在", met=False))
            continue
        print(f"  {name}……", flush=True)
        r = time_page(user, url, n)
        if "error" in r:
            results.append(Result(PART, name, r["error"], met=False, note=url))
            continue
        if key:
            timed[key] = r
        results.append(
            Result(
                PART,
                name,
                f"{ms(r)}，{r['queries']} 次查询",
                f"p95 < {P95_MS} ms，≤ {QUERIES} 次查询",
                r["p95"] < P95_MS and r["queries"] <= QUERIES,
                f"{r['n']} 次请求",
            )
        )
    it = who.get("it")
    for key, (label, url) in ADMIN_PAGES.items():
        if it is None:
            results.append(Result(PART, label, "没有 sysadmin 账号", met=False))
            continue
        print(f"  {label}……", flush=True)
        admin = time_page(it, url, n)
        if "error" in admin:
            results.append(Result(PART, label, admin["error"], met=False, note=url))
            continue
        results.append(Result(PART, f"{label}（系统管理员）", f"{ms(admin)}，{admin['queries']} 次查询"))
        # The typed deep page is compared with the admin's deep page as well: both OFFSET.
        for ours_key in [key] + (["typed"] if key == "deep" else []):
            ours = timed.get(ours_key)
            if ours is None:
                continue
            ratio = admin["p50"] / ours["p50"]
            ratio95 = admin["p95"] / ours["p95"]
            what = {"first": "第1页", "deep": f"第{DEEP_PAGE}页（点下一页）", "typed": f"第{DEEP_PAGE}页（输入页码）",
                    "search": "搜索 zw"}[ours_key]  # fmt: skip
            results.append(
                Result(
                    PART,
                    f"名册比 Django admin 快：{what}",
                    f"p50 {ratio:.1f}×，p95 {ratio95:.1f}×",
                    f"≥ {VS_ADMIN:g}×",
                    min(ratio, ratio95) >= VS_ADMIN,
                    "同样的行、同样的顺序",
                )
            )
    return results


# --- 2. import ---------------------------------------------------------------------------------


def _import_file(township, n: int) -> bytes:
    """A roster of `n` new deputies under the import template's headers."""
    import xlsxwriter

    from deputies.importing import COLUMNS
    from org.seeding import birth_date_for_age, id_number, person_name, phone_number

    rng = random.Random(2026)
    keys = ["name", "gender", "ethnicity", "birth", "id_number", "phone", "party", "education", "occupation",
            "work_unit"]  # fmt: skip
    labels = {c.key: c.label for c in COLUMNS}
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = wb.add_worksheet("代表信息")
    ws.write_string(0, 0, f"{township.name}人大代表信息登记表")
    for c, key in enumerate(keys):
        ws.write_string(1, c, labels[key])
    used: set[str] = set()
    for r in range(n):
        gender = "M" if rng.random() < 0.7 else "F"
        born = birth_date_for_age(rng, rng.randint(28, 62))
        values = [
            person_name(rng, gender, born.year),
            "男" if gender == "M" else "女",
            "汉族",
            f"{born:%Y.%m}",
            id_number(rng, IMPORT_PREFIX, born, gender, used),
            phone_number(rng),
            rng.choice(["中共党员", "群众", "中共党员", "无党派人士"]),
            rng.choice(["高中（中专）", "大专", "大学本科", "初中"]),
            rng.choice(["农民", "工人", "专业技术人员", "基层干部"]),
            f"{township.name}某村村民",
        ]
        for c, value in enumerate(values):
            ws.write_string(r + 2, c, value)
    wb.close()
    return out.getvalue()


def delete_prefixed(prefix: str) -> int:
    """Remove bench deputies (and what hangs off them) without a signal per row."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        ids = "SELECT id FROM deputies_deputy WHERE id_number LIKE %s"
        for table, column in (
            ("deputies_mandate", "deputy_id"),
            ("deputies_votercontact", "deputy_id"),
            ("deputies_deputygroup_members", "deputy_id"),
        ):
            cur.execute(f"DELETE FROM {table} WHERE {column} IN ({ids})", [prefix + "%"])  # noqa: S608
        cur.execute("DELETE FROM deputies_deputy WHERE id_number LIKE %s", [prefix + "%"])
        return cur.rowcount


def bench_import(who: dict) -> list[Result]:
    try:
        from deputies import importing
        from deputies.models import ImportBatch

        steps = (importing.read_table, importing.check_batch, importing.commit_batch)
    except (ImportError, AttributeError) as exc:
        return [Result("导入", "导入 10,000 行", "不可用", note=str(exc))]
    del steps
    from django.core.files.base import ContentFile

    from org.models import Region

    delete_prefixed(IMPORT_PREFIX)  # a run stopped half-way
    township = Region.objects.get(code=DEMO_TOWNSHIP)
    clerk = who.get("clerk")
    data = _import_file(township, IMPORT_ROWS)
    batch = ImportBatch(region=township, uploaded_by=clerk, original_name="bench-10000.xlsx")
    batch.file.save("bench-10000.xlsx", ContentFile(data), save=False)
    batch.save()
    try:
        t0 = time.perf_counter()
        # read_table(data) or, in earlier versions, read_table(data, name).
        extra = [batch.original_name] if len(inspect.signature(importing.read_table).parameters) > 1 else []
        table = importing.read_table(data, *extra)
        t1 = time.perf_counter()
        result = importing.check_batch(batch, table)
        t2 = time.perf_counter()
        if result is None or batch.error_count:
            return [Result("导入", "导入 10,000 行", "校验未通过", note=str(batch.message or batch.problems[:3]))]
        counts = importing.commit_batch(batch, clerk, ImportBatch.Policy.SKIP)
        t3 = time.perf_counter()
    except (TypeError, AttributeError) as exc:  # the module's interface moved on
        return [Result("导入", "导入 10,000 行", "不可用", note=f"接口已变：{exc!r}")]
    finally:
        removed = delete_prefixed(IMPORT_PREFIX)
        batch.file.delete(save=False)
    print(f"  导入：新增 {counts.get('created')} 名（已删除 {removed} 名，库恢复原状）", flush=True)
    return [
        Result("导入", "读取文件（calamine）", f"{t1 - t0:.2f} s", note=f"{IMPORT_ROWS / (t1 - t0):,.0f} 行/秒"),
        Result("导入", "校验", f"{t2 - t1:.2f} s", note=f"{IMPORT_ROWS / (t2 - t1):,.0f} 行/秒"),
        Result("导入", "写入", f"{t3 - t2:.2f} s", note=f"{IMPORT_ROWS / (t3 - t2):,.0f} 行/秒"),
        Result(
            "导入", "合计 10,000 行（校验＋写入）", f"{t3 - t0:.2f} s", note=f"{IMPORT_ROWS / (t3 - t0):,.0f} 行/秒"
        ),
    ]


# --- 4. PDF ----------------------------------------------------------------------------------------


def bench_pdf(who: dict, n: int = 5) -> list[Result]:
    from django.test import Client

    from deputies.models import Deputy

    deputy = Deputy.objects.filter(region__code=DEMO_TOWNSHIP).order_by("pk").first()
    client = Client()
    client.force_login(who["county"], backend="django.contrib.auth.backends.ModelBackend")
    url = f"/deputies/{deputy.pk}/pdf/"
    client.get(url)  # fonts loaded once per process
    times, size = [], 0
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        size = len(response.content)
    return [
        Result(
            "PDF",
            "履职档案（1名代表）",
            f"p50 {pct(times, 50):.2f} s，p95 {pct(times, 95):.2f} s",
            note=f"{n} 次请求，{size / 1e3:.0f} KB",
        )
    ]


# --- run -------------------------------------------------------------------------------------------


def run(args) -> list[Result]:
    """Pages beside the admin, import, PDF (the export is bench/exports.py)."""
    setup_django()
    quiet_debug()
    who = users()
    skip = set(getattr(args, "skip", None) or [])
    results = []
    if "pages" not in skip:
        print("页面延迟……", flush=True)
        results += bench_pages(getattr(args, "requests", 30), who)
    if "import" not in skip:
        print("导入……", flush=True)
        results += bench_import(who)
    if "pdf" not in skip and who.get("county"):
        print("PDF……", flush=True)
        results += bench_pdf(who)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="代表管理模块基准测试（全省规模，PostgreSQL）")
    parser.add_argument("--requests", type=int, default=30, help="每个页面计时的请求数（默认30）")
    parser.add_argument("--skip", nargs="*", default=[], choices=["pages", "import", "export", "pdf"])
    parser.add_argument("--allow-sqlite", action="store_true", help="在SQLite上试运行（结果不具代表性）")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit(
            "请用 PostgreSQL 运行：DATABASE_URL=postgres://… python bench/deputies.py（或加 --allow-sqlite 试运行）"
        )
    ensure_seeded()
    results = run(args)
    if "export" not in args.skip:
        from bench import exports

        print("导出……", flush=True)
        results += exports.run(args)
    print_results(results)


if __name__ == "__main__":
    main()
