"""Benchmark of the deputies registry at province scale — a script that prints figures, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1/exp_bench .venv/bin/python bench/deputies.py

On an empty database it first runs `seed_demo --scale province` (≈90,000 deputies, about a
minute and a half). Then it measures, printing one table at the end:

1. page latency (p50/p95 over --requests requests, and queries per request) of the roster
   page and the structure page for the province admin, the demo county's admin and a
   township clerk, with Django's test Client; and the same Deputy rows through the Django
   admin changelist, side by side;
2. importing 10,000 rows through deputies.importing (read + check + commit), if it exists;
3. exporting 100,000 rows of the roster (deputies.exports) in a child process: time and peak
   RSS, against the raw floor `COPY (SELECT …) TO STDOUT` of the same rows via psycopg2;
4. the duty-file PDF (deputies.pdf) of one deputy.

Rows it adds for (2) are deleted again; for (3) it tops the deputies up to exactly 100,000
with filler deputies of a bench-only ID prefix (kept, so a second run finds them). Use a
throwaway database: never the one you work in.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import inspect
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as `python bench/deputies.py`, this folder is first on sys.path and this file would
# shadow the deputies app: the project root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(BASE_DIR))
# ID-number prefixes no seeded county uses (the seed takes a county's own code digits).
IMPORT_PREFIX = "139999"
FILLER_PREFIX = "139998"
EXPORT_ROWS = 100_000
IMPORT_ROWS = 10_000


def setup_django() -> None:
    # whitenoise warns once that collectstatic has not run: nothing static is measured here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    # The test Client's host; and no query log (DEBUG is on for seed_demo's sake only).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def quiet_debug():
    from django.conf import settings

    settings.DEBUG = False


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


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


def users():
    from org.models import User

    wanted = {"province": "province_admin", "county": "county_admin", "clerk": "clerk_chengguan", "it": "sysadmin"}
    found = {key: User.objects.filter(username=name).first() for key, name in wanted.items()}
    return {k: u for k, u in found.items() if u is not None}


# --- 1. pages ----------------------------------------------------------------------------------


def time_page(user, url: str, n: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(2):  # warm caches (templates, the session, the user's memberships)
        response = client.get(url)
    if response.status_code != 200:
        return {"error": f"HTTP {response.status_code}"}
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {"p50": pct(times, 50), "p95": pct(times, 95), "queries": len(queries)}


def bench_pages(n: int, who: dict) -> list[tuple]:
    from django.urls import NoReverseMatch, reverse

    roster = reverse("deputies:deputy-list")
    rows = []
    pages = [
        ("代表名册", "全省管理员", who.get("province"), roster),
        ("代表名册 第2000页", "全省管理员", who.get("province"), f"{roster}?page=2000"),
        ("代表名册 筛选：女、少数民族", "全省管理员", who.get("province"), f"{roster}?gender=F&ethnicity=minority"),
        ("代表名册 搜索拼音 zw", "全省管理员", who.get("province"), f"{roster}?q=zw"),
        ("代表名册", "清河县管理员", who.get("county"), roster),
        ("代表名册", "城关镇秘书", who.get("clerk"), roster),
    ]
    try:
        structure = reverse("deputies:structure")
    except NoReverseMatch:
        structure = None
        print("说明：deputies:structure 尚未定义，跳过代表结构页面。", flush=True)
    if structure:
        pages += [
            ("代表结构", "全省管理员", who.get("province"), structure),
            ("代表结构", "清河县管理员", who.get("county"), structure),
            ("代表结构", "城关镇秘书", who.get("clerk"), structure),
        ]
    admin = "/sysadmin/deputies/deputy/"
    pages += [
        ("Django admin 列表", "系统管理员", who.get("it"), admin),
        ("Django admin 列表 第2000页", "系统管理员", who.get("it"), f"{admin}?p=2000"),
        ("Django admin 搜索 zw", "系统管理员", who.get("it"), f"{admin}?q=zw"),
    ]
    for label, persona, user, url in pages:
        if user is None:
            rows.append((label, persona, "账号不存在", "", ""))
            continue
        print(f"  {label}（{persona}）……", flush=True)
        r = time_page(user, url, n)
        if "error" in r:
            rows.append((label, persona, r["error"], "", ""))
        else:
            rows.append((label, persona, f"{r['p50']:.0f}", f"{r['p95']:.0f}", str(r["queries"])))
    return rows


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


def bench_import(who: dict) -> list[tuple]:
    try:
        from deputies import importing
        from deputies.models import ImportBatch

        steps = (importing.read_table, importing.check_batch, importing.commit_batch)
    except (ImportError, AttributeError) as exc:
        print(f"导入：not available（{exc}）", flush=True)
        return [("导入 10,000 行", "not available", "", "")]
    del steps
    from django.core.files.base import ContentFile

    from org.models import Region

    delete_prefixed(IMPORT_PREFIX)  # a run stopped half-way
    township = Region.objects.get(code="130599100000")  # 城关镇 of the demo county
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
            print(f"导入校验未通过：{batch.message or batch.problems[:3]}", flush=True)
            return [("导入 10,000 行", "校验未通过", "", "")]
        counts = importing.commit_batch(batch, clerk, ImportBatch.Policy.SKIP)
        t3 = time.perf_counter()
    except (TypeError, AttributeError) as exc:  # the module's interface moved on
        print(f"导入：not available（接口已变：{exc!r}）", flush=True)
        return [("导入 10,000 行", "not available", "", "")]
    finally:
        removed = delete_prefixed(IMPORT_PREFIX)
        batch.file.delete(save=False)
    print(f"  导入：新增 {counts.get('created')} 名（已删除 {removed} 名，库恢复原状）", flush=True)
    return [
        ("导入 读取文件（calamine）", f"{t1 - t0:.2f} s", f"{IMPORT_ROWS / (t1 - t0):,.0f} 行/秒", ""),
        ("导入 校验", f"{t2 - t1:.2f} s", f"{IMPORT_ROWS / (t2 - t1):,.0f} 行/秒", ""),
        ("导入 写入", f"{t3 - t2:.2f} s", f"{IMPORT_ROWS / (t3 - t2):,.0f} 行/秒", ""),
        ("导入 合计 10,000 行", f"{t3 - t0:.2f} s", f"{IMPORT_ROWS / (t3 - t0):,.0f} 行/秒", ""),
    ]


# --- 3. export -----------------------------------------------------------------------------------


def top_up(total: int) -> int:
    """Filler deputies (with a serving mandate each) until there are exactly `total`."""
    from deputies.models import Deputy, Mandate, name_initials
    from org.models import Region, Term
    from org.seeding import birth_date_for_age, id_number, person_name, phone_number

    have = Deputy.objects.count()
    if have >= total:
        return 0
    township = Region.objects.townships().order_by("-code").first()
    term = Term.objects.filter(region=township.parent, level=Term.Level.TOWNSHIP).order_by("-number").first()
    rng = random.Random(have)
    used = set(Deputy.objects.filter(id_number__startswith=FILLER_PREFIX).values_list("id_number", flat=True))
    rows = []
    for _ in range(total - have):
        gender = "M" if rng.random() < 0.72 else "F"
        born = birth_date_for_age(rng, rng.randint(28, 64))
        name = person_name(rng, gender, born.year)
        rows.append(
            Deputy(
                region=township,
                name=name,
                name_initials=name_initials(name),
                gender=gender,
                birth_date=born,
                id_number=id_number(rng, FILLER_PREFIX, born, gender, used),
                phone=phone_number(rng),
                party=rng.choice(["cpc", "masses", "cpc"]),
                education=rng.choice(["senior", "college", "bachelor"]),
                occupation=rng.choice(["farmer", "worker", "grassroots", "professional"]),
                work_unit=f"{township.name}基准测试补充代表",
            )
        )
    Deputy.objects.bulk_create(rows, batch_size=2000)
    Mandate.objects.bulk_create(
        [Mandate(deputy=d, region=township, term=term, status="serving", elected_on=term.start_date) for d in rows],
        batch_size=2000,
    )
    return len(rows)


def export_child(username: str, region_code: str) -> None:
    """In a fresh process: write the roster of `region_code` for `username`; print JSON."""
    setup_django()
    quiet_debug()
    from deputies.exports import RosterExport
    from org.models import Region, User

    user = User.objects.get(username=username)
    region = Region.objects.get(code=region_code)
    export = RosterExport(user=user, region=region)
    export.count()  # connection and imports warm, so the peak below is the export's
    before = _status_kb("VmRSS")
    _reset_peak()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        started = time.perf_counter()
        stats = export.write(tmp.name)
        seconds = time.perf_counter() - started
        size = os.path.getsize(tmp.name)
    peak = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": stats.rows, "seconds": seconds, "rss_before_mb": before / 1024,
                      "rss_peak_mb": peak / 1024, "bytes": size}))  # fmt: skip


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc (Linux), in kB; 0 elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    """Start the peak-RSS count (VmHWM) afresh, so it is the export's alone (Linux 4.0+).
    getrusage's ru_maxrss cannot be reset, and even carries over from the parent on exec."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


COPY_SQL = """
COPY (
  SELECT row_number() OVER (ORDER BY r.code, d.name, d.id), d.name, d.gender, d.ethnicity,
         to_char(d.birth_date, 'YYYY.MM'), d.id_number, d.phone, d.party, d.democratic_party,
         d.education, d.occupation, d.work_unit, r.name, m.levels, m.term, m.status,
         d.reelected, d.returned_overseas
  FROM deputies_deputy d
  JOIN org_region r ON r.id = d.region_id
  LEFT JOIN LATERAL (
    SELECT string_agg(mm.level, '、') FILTER (WHERE mm.status = 'serving') AS levels,
           max(t.number) AS term, min(mm.status) AS status
    FROM deputies_mandate mm JOIN org_term t ON t.id = mm.term_id
    WHERE mm.deputy_id = d.id
  ) m ON true
  ORDER BY r.code, d.name, d.id
) TO STDOUT WITH (FORMAT csv)
"""


class _Sink(io.RawIOBase):
    """Counts what COPY sends and keeps none of it."""

    def __init__(self):
        self.bytes = 0

    def writable(self):
        return True

    def write(self, b):
        self.bytes += len(b)
        return len(b)


def bench_copy() -> tuple[float, int]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0, 0
    connection.ensure_connection()
    sink = _Sink()
    with connection.connection.cursor() as cur:
        started = time.perf_counter()
        cur.copy_expert(COPY_SQL, sink)
        return time.perf_counter() - started, sink.bytes


def bench_export(who: dict) -> list[tuple]:
    from deputies.models import Deputy
    from org.models import Region

    added = top_up(EXPORT_ROWS)
    if added:
        print(f"  补充 {added} 名基准测试代表，使总数为 {EXPORT_ROWS:,}", flush=True)
    total = Deputy.objects.count()
    root = Region.objects.filter(parent__isnull=True).order_by("depth", "code").first()
    user = who.get("province") or who.get("county")
    child = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, __file__, "--export-child", user.username, root.code],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    r = json.loads(child.stdout.strip().splitlines()[-1])
    copy_s, copy_bytes = bench_copy()
    rows = [
        (
            f"导出花名册 {r['rows']:,} 行（共 {total:,} 名）",
            f"{r['seconds']:.1f} s",
            f"{r['rows'] / r['seconds']:,.0f} 行/秒",
            f"峰值RSS {r['rss_peak_mb']:.0f} MB（导出前 {r['rss_before_mb']:.0f} MB），文件 {r['bytes'] / 1e6:.1f} MB",
        )
    ]
    if copy_s:
        rows.append(
            (
                "COPY (SELECT …) TO STDOUT 同样的行",
                f"{copy_s:.2f} s",
                f"{total / copy_s:,.0f} 行/秒",
                f"CSV {copy_bytes / 1e6:.1f} MB；导出耗时为 COPY 的 {r['seconds'] / copy_s:.0f} 倍",
            )
        )
    return rows


# --- 4. PDF ----------------------------------------------------------------------------------------


def bench_pdf(who: dict, n: int = 5) -> list[tuple]:
    from django.test import Client

    from deputies.models import Deputy

    deputy = Deputy.objects.filter(region__code="130599100000").order_by("pk").first()
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
        ("履职档案 PDF（1名代表）", f"{pct(times, 50):.2f} s", f"p95 {pct(times, 95):.2f} s", f"{size / 1e3:.0f} KB")
    ]


# --- main -------------------------------------------------------------------------------------------


def table(headers, rows) -> str:
    import unicodedata

    def width(s):
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))

    widths = [max(width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c) + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description="代表管理模块基准测试（全省规模，PostgreSQL）")
    parser.add_argument("--requests", type=int, default=30, help="每个页面计时的请求数（默认30）")
    parser.add_argument("--skip", nargs="*", default=[], choices=["pages", "import", "export", "pdf"])
    parser.add_argument("--allow-sqlite", action="store_true", help="在SQLite上试运行（结果不具代表性）")
    parser.add_argument("--export-child", nargs=2, metavar=("USERNAME", "REGION_CODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit(
            "请用 PostgreSQL 运行：DATABASE_URL=postgres://… python bench/deputies.py（或加 --allow-sqlite 试运行）"
        )
    ensure_seeded()
    quiet_debug()
    who = users()
    started = datetime.datetime.now()
    sections = []
    if "pages" not in args.skip:
        print("页面延迟……", flush=True)
        sections.append(("页面（毫秒）", ("页面", "用户", "p50", "p95", "查询数"), bench_pages(args.requests, who)))
    other = []
    if "import" not in args.skip:
        print("导入……", flush=True)
        other += bench_import(who)
    if "export" not in args.skip:
        print("导出……", flush=True)
        other += bench_export(who)
    if "pdf" not in args.skip:
        print("PDF……", flush=True)
        other += bench_pdf(who)
    if other:
        sections.append(("导入、导出、PDF", ("项目", "耗时", "速度", "说明"), other))
    from deputies.models import Deputy

    print()
    print(
        f"代表管理模块基准测试  {started:%Y-%m-%d %H:%M}  数据库：{connection.vendor}  代表 {Deputy.objects.count():,} 名"
    )
    for title, headers, rows in sections:
        print()
        print(f"【{title}】")
        print(table(headers, rows))


if __name__ == "__main__":
    main()
