"""The roster export 代表花名册 of 100,000 deputies, side by side — a script that prints figures.

    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python bench/exports.py

Four ways to the same 100,000 rows and columns, each in a fresh child process so its peak
RSS (VmHWM, reset just before the work) is its own:

1. ours: `deputies.exports.RosterExport.write()` — read, mask, write, as the job does;
2. django-import-export, what a Django shop would reach for: a `ModelResource` for Deputy
   with the same 17 columns and Chinese headers, `resource.export(queryset).export("xlsx")`
   as its documentation shows (tablib → openpyxl). Its mandates are prefetched and read
   2,000 rows a time (`Meta.chunk_size`; `iter_queryset` uses Django's prefetching iterator
   instead of its default OFFSET pages), so the baseline is the best that library does,
   not a strawman;
3. the Excel writer alone: `deputies.exports.write_roster` with the same options over the
   same rows, fetched into a list beforehand; only the writing is timed. Ours cannot be
   faster than this, so it says how much our reading and masking cost on top;
4. the floor: the same rows and columns as `COPY (SELECT …) TO STDOUT` through psycopg2.

Before measuring, the deputies are topped up to exactly 100,000 with filler deputies of a
bench-only ID prefix (kept, so a later run finds them). Use the bench database only.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/exports.py`: import bench.* from the root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result, measured, print_results, run_child, setup_django, users

PART = "导出"
FILLER_PREFIX = "139998"  # an ID-number prefix no seeded county uses
EXPORT_ROWS = 100_000
# Targets of issue 7.
PEAK_MB = 300
VS_IMPORT_EXPORT = 2.0
VS_WRITER = 1.5


# --- data ----------------------------------------------------------------------------------------


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


def _export_for(username: str, region_code: str):
    from deputies.exports import RosterExport
    from org.models import Region, User

    return RosterExport(user=User.objects.get(username=username), region=Region.objects.get(code=region_code))


# --- the children: each prints one JSON line -------------------------------------------------------


def child_ours(username: str, region_code: str) -> dict:
    export = _export_for(username, region_code)
    export.count()  # connection and imports warm, so the peak below is the export's
    cpu = time.process_time()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp, measured() as m:
        stats = export.write(tmp.name)
        size = Path(tmp.name).stat().st_size
    cpu = time.process_time() - cpu
    return {"rows": stats.rows, "seconds": m["seconds"], "cpu": cpu, "peak_mb": m["peak_mb"], "bytes": size}


def child_writer(username: str, region_code: str) -> dict:
    from django.utils import timezone

    from deputies.exports import roster_rows, roster_title, write_roster

    export = _export_for(username, region_code)
    rows = list(roster_rows(export.queryset(), export.user))  # fetched beforehand: not timed
    # 1.7 million cells held at once would make every collection walk them all while the
    # writer runs, a cost the streaming export never has: the timed writing excludes it.
    gc.collect()
    gc.freeze()
    note = f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}　范围：{export.region.name}"
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        write_roster(tmp.name, title=roster_title(export.region), note=note, rows=rows)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rows": len(rows), "seconds": seconds, "cpu": cpu}


def deputy_resource_class():
    """A ModelResource for Deputy with the roster's columns and headers, written the way the
    django-import-export documentation shows (declared fields, dehydrate_<field> methods)."""
    from django.db.models import Prefetch
    from import_export import fields, resources, widgets

    from deputies.exports import LABELS, mandate_columns, party_label
    from deputies.models import Deputy, Mandate
    from deputies.privacy import full_view_paths, mask_id_number, mask_phone

    class DeputyResource(resources.ModelResource):
        number = fields.Field(column_name="序号")
        name = fields.Field(attribute="name", column_name="姓名")
        gender = fields.Field(column_name="性别")
        ethnicity = fields.Field(attribute="ethnicity", column_name="民族")
        birth_date = fields.Field(attribute="birth_date", column_name="出生年月", widget=widgets.DateWidget("%Y.%m"))
        id_number = fields.Field(column_name="身份证号")
        phone = fields.Field(column_name="联系电话")
        party = fields.Field(column_name="政治面貌")
        education = fields.Field(column_name="学历")
        occupation = fields.Field(column_name="职业类别")
        work_unit = fields.Field(attribute="work_unit", column_name="工作单位及职务")
        township = fields.Field(attribute="region__name", column_name="所属乡镇")
        levels = fields.Field(column_name="层级")
        term = fields.Field(column_name="届次")
        status = fields.Field(column_name="状态")
        reelected = fields.Field(column_name="连任")
        returned_overseas = fields.Field(column_name="归侨")

        class Meta:
            model = Deputy
            fields = ("number", "name", "gender", "ethnicity", "birth_date", "id_number", "phone", "party",
                      "education", "occupation", "work_unit", "township", "levels", "term", "status",
                      "reelected", "returned_overseas")  # fmt: skip
            export_order = fields
            chunk_size = 2000

        def __init__(self, user, **kwargs):
            super().__init__(**kwargs)
            self.paths = full_view_paths(user)
            self.counter = 0

        @staticmethod
        def queryset_for(qs):
            mandates = Mandate.objects.select_related("term").only(
                "deputy_id", "level", "status", "term__number", "elected_on", "by_election"
            )
            return (
                qs.select_related("region")
                .prefetch_related(Prefetch("mandates", queryset=mandates))
                .order_by("region__code", "name", "pk")
            )

        def iter_queryset(self, queryset):
            # Django's own iterator prefetches per chunk; the library's default pages with
            # OFFSET, which at 100,000 rows would make this baseline needlessly slow.
            yield from queryset.iterator(chunk_size=self.get_chunk_size())

        def _full(self, obj) -> bool:
            return any(obj.region.path.startswith(p) for p in self.paths)

        def _mandates(self, obj):
            if not hasattr(obj, "_roster_mandates"):
                obj._roster_mandates = mandate_columns(
                    [(m.level, m.status, m.term.number, m.elected_on, m.by_election) for m in obj.mandates.all()]
                )
            return obj._roster_mandates

        def dehydrate_number(self, obj):
            self.counter += 1
            return self.counter

        def dehydrate_gender(self, obj):
            return LABELS["gender"].get(obj.gender, obj.gender)

        def dehydrate_id_number(self, obj):
            return (obj.id_number if self._full(obj) else mask_id_number(obj.id_number)) or ""

        def dehydrate_phone(self, obj):
            return (obj.phone if self._full(obj) else mask_phone(obj.phone)) or ""

        def dehydrate_party(self, obj):
            return party_label(obj.party, obj.democratic_party)

        def dehydrate_education(self, obj):
            return LABELS["education"].get(obj.education, obj.education)

        def dehydrate_occupation(self, obj):
            return LABELS["occupation"].get(obj.occupation, obj.occupation)

        def dehydrate_levels(self, obj):
            return self._mandates(obj)[0]

        def dehydrate_term(self, obj):
            return self._mandates(obj)[1]

        def dehydrate_status(self, obj):
            return self._mandates(obj)[2]

        def dehydrate_reelected(self, obj):
            return "是" if obj.reelected else ""

        def dehydrate_returned_overseas(self, obj):
            return "是" if obj.returned_overseas else ""

    return DeputyResource


def child_import_export(username: str, region_code: str) -> dict:
    export = _export_for(username, region_code)
    resource = deputy_resource_class()(export.user)
    queryset = resource.queryset_for(export.queryset())
    queryset.count()  # connection warm
    cpu = time.process_time()
    with measured() as m:
        dataset = resource.export(queryset)
        data = dataset.export("xlsx")
    cpu = time.process_time() - cpu
    return {"rows": len(dataset), "seconds": m["seconds"], "cpu": cpu, "peak_mb": m["peak_mb"], "bytes": len(data)}


CHILDREN = {"ours": child_ours, "writer": child_writer, "import_export": child_import_export}


# --- the floor -------------------------------------------------------------------------------------

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


def copy_floor() -> tuple[float, int]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0, 0
    connection.ensure_connection()
    sink = _Sink()
    with connection.connection.cursor() as cur:
        started = time.perf_counter()
        cur.copy_expert(COPY_SQL, sink)
        return time.perf_counter() - started, sink.bytes


# --- run -----------------------------------------------------------------------------------------


def _child(kind: str, username: str, region_code: str) -> dict:
    return run_child(Path(__file__), "--child", kind, username, region_code)


def run(args) -> list[Result]:
    """The export side by side: ours, django-import-export, the writer alone, COPY."""
    setup_django()
    from deputies.models import Deputy
    from org.models import Region

    added = top_up(EXPORT_ROWS)
    if added:
        print(f"  补充 {added} 名基准测试代表，使总数为 {EXPORT_ROWS:,}", flush=True)
    total = Deputy.objects.count()
    who = users()
    user = who.get("province") or who.get("county")
    if user is None:
        return [Result(PART, "花名册导出", "没有 province_admin / county_admin 账号", met=False)]
    root = Region.objects.filter(parent__isnull=True).order_by("depth", "code").first()
    print(f"  导出花名册（{total:,} 名代表）：本系统……", flush=True)
    ours = _child("ours", user.username, root.code)
    results = []
    if "error" in ours:
        return [Result(PART, "花名册导出（本系统）", ours["error"], met=False)]
    rows = ours["rows"]
    rate = f"{rows / ours['seconds']:,.0f} 行/秒"
    results.append(
        Result(
            PART,
            f"花名册 {rows:,} 行 用时（本系统）",
            f"{ours['seconds']:.1f} s",
            note=f"{rate}，文件 {ours['bytes'] / 1e6:.1f} MB",
        )
    )
    results.append(
        Result(
            PART, "花名册 峰值内存（本系统）", f"{ours['peak_mb']:.0f} MB", f"< {PEAK_MB} MB", ours["peak_mb"] < PEAK_MB
        )
    )

    print("  导出花名册：django-import-export……", flush=True)
    iex = _child("import_export", user.username, root.code)
    if "error" in iex:
        results.append(Result(PART, "django-import-export 导出", iex["error"], met=None))
    else:
        speed = iex["seconds"] / ours["seconds"]
        note = (
            f"import-export {iex['seconds']:.1f} s、峰值 {iex['peak_mb']:.0f} MB，{iex['rows']:,} 行；"
            f"CPU 时间之比 {iex['cpu'] / ours['cpu']:.1f}×"
        )
        results.append(
            Result(
                PART,
                "比 django-import-export 快",
                f"{speed:.1f}×",
                f"≥ {VS_IMPORT_EXPORT:g}×",
                speed >= VS_IMPORT_EXPORT,
                note,
            )
        )
        results.append(
            Result(
                PART,
                "内存 django-import-export / 本系统",
                f"{iex['peak_mb'] / ours['peak_mb']:.1f}×",
                note="峰值RSS之比",
            )
        )

    print("  导出花名册：只计 Excel 写入……", flush=True)
    writer = _child("writer", user.username, root.code)
    if "error" in writer:
        results.append(Result(PART, "只计 Excel 写入", writer["error"], met=None))
    else:
        over = ours["seconds"] / writer["seconds"]
        results.append(
            Result(
                PART,
                "本系统 / 只计 Excel 写入",
                f"{over:.2f}×",
                f"≤ {VS_WRITER:g}×",
                over <= VS_WRITER,
                f"同一写入器与选项写同样 {writer['rows']:,} 行：{writer['seconds']:.1f} s；"
                f"CPU 时间之比 {ours['cpu'] / writer['cpu']:.2f}×",
            )
        )

    copy_s, copy_bytes = copy_floor()
    if copy_s:
        results.append(
            Result(
                PART,
                "本系统 / COPY … TO STDOUT",
                f"{ours['seconds'] / copy_s:.0f}×",
                note=f"COPY 同样的行和列 {copy_s:.2f} s，CSV {copy_bytes / 1e6:.1f} MB",
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="代表花名册导出的并排基准（全省规模，PostgreSQL）")
    parser.add_argument("--allow-sqlite", action="store_true", help="在SQLite上试运行（结果不具代表性）")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "USERNAME", "REGION_CODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False
    if args.child:
        kind, username, region_code = args.child
        print(json.dumps(CHILDREN[kind](username, region_code)))
        return
    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit(
            "请用 PostgreSQL 运行：DATABASE_URL=postgres://… python bench/exports.py（或加 --allow-sqlite 试运行）"
        )
    print_results(run(args))


if __name__ == "__main__":
    main()
