"""Hostile input to the deputy roster import (issue 7, item 4): property-based tests with
hypothesis over the whole path a clerk's file takes (upload → check → preview → report →
commit → roster export), and over files that are no workbook at all.

Properties:
- whatever the cells hold (any Unicode with control characters, RTL marks, emoji, escaped
  lone surrogates, 32,767-character cells, formulas, numbers/dates/booleans where text is
  expected, blank rows and columns, merged cells, extra sheets), the upload answers with
  the preview or a Chinese form error, never a 500; every row problem names 第N行 and its
  column; the preview page and the check report download;
- the commit is all or nothing: with any error the number of deputies is unchanged, without
  one it grows by exactly the rows the preview announced;
- what was stored and is exported again comes back neutralised: no cell of the roster is a
  formula, and text that starts like one carries Excel's quote prefix;
- zip bombs, an .xlsx with a huge sharedStrings, a sheet hidden outside xl/worksheets/ with
  an absurd extent, random or corrupted bytes, PDF/PNG/CSV/.xls renamed .xlsx, empty and
  truncated files are refused with a Chinese message, without unpacking them into memory.

Examples are derandomized (the same ones in every CI run) and few enough that the file runs
in well under 40 s single-process.
"""

from __future__ import annotations

import datetime
import io
import re
import struct
import tracemalloc
import zipfile
import zlib

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from deputies import importing
from deputies.models import Deputy, ImportBatch
from org.models import Term
from org.validators import id_checksum

pytestmark = pytest.mark.django_db

UPLOAD = reverse("deputies:import-upload")
EXPORT = reverse("deputies:deputy-export")
CJK = re.compile(r"[\u4e00-\u9fff]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Few examples, always the same ones; no deadline (a shared 2-core CI machine); no example
# database (nothing written under the checkout).
HOSTILE = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

FORMULAS = [
    '=HYPERLINK("http://x","点击")',
    "=1+1",
    "@SUM(A1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # full-width: NFKC makes it a plain "=" on the way in
    "=cmd|'/C calc'!A0",
]
SPECIALS = [
    "\u202e代表\u202c",  # right-to-left override
    "مرحبا",
    "👨‍👩‍👧‍👦张三",
    "\x00",
    "a\x01b\x08c\x0b",
    "\ufeff姓名",
    "\u200b",
    "<script>alert(1)</script>",
    "'; DROP TABLE deputies_deputy; --",
    "_x0041_",
    "LONE_SURROGATE",  # replaced by an escaped lone surrogate (_xD800_) in the file
    "字" * 32767,
    "A" * 32767,
]
LONE = "LONE_SURROGATE"

hostile_text = st.one_of(
    st.text(max_size=30),  # any code point but surrogates, control characters included
    st.sampled_from(FORMULAS + SPECIALS),
)
hostile_cell = st.one_of(
    st.none(),
    hostile_text,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(9999, 12, 31)),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1)),
    st.tuples(st.just("formula"), st.sampled_from(FORMULAS[:5]), st.one_of(st.integers(-9, 9), hostile_text)),
)

KEYS = [c.key for c in importing.COLUMNS]
HEADER_NAMES = {c.key: [c.label, *c.aliases] for c in importing.COLUMNS}


def make_id(seq: int) -> str:
    """A valid 18-digit ID of someone born on 1970-01-01 (no X check character)."""
    while True:
        first17 = f"11010119700101{seq:03d}"
        number = first17 + id_checksum(first17)
        if not number.endswith("X"):
            return number
        seq += 2


def cn_name(i: int) -> str:
    return "代表" + "".join("零一二三四五六七八九"[int(d)] for d in str(i))


def good_value(key: str, i: int, formula: str):
    """A value the check accepts for `key` in the i-th row; the free-text columns carry a
    formula, so a clean file stores formulas for the export to neutralise."""
    return {
        "name": cn_name(i),
        "id_number": make_id(2 * i + 1),
        "ethnicity": "汉族",
        "phone": "13912345678",
        "party": "群众",
        "education": "大学本科",
        "level": "乡镇",
        "reelected": "是",
        "returned_overseas": "否",
        "work_unit": formula,
        "note": formula,
    }.get(key)


@st.composite
def workbooks(draw):
    """(xlsx bytes, whether any cell was made hostile) of a roster as a clerk might send it,
    or worse: title rows, a header somewhere in the first rows with some known columns in
    any order and junk columns between them, rows good or hostile, blank rows, merged
    cells, formula cells with cached values, and extra sheets before or after."""
    optional = draw(st.lists(st.sampled_from(KEYS[2:]), unique=True, max_size=8))
    keys = draw(st.permutations(["name", "id_number", *optional]))
    header = []
    for key in keys:
        if draw(st.booleans()):
            header.append(("junk", draw(st.one_of(st.none(), hostile_text))))
        header.append((key, draw(st.sampled_from(HEADER_NAMES[key]))))
    hostile_rate = draw(st.sampled_from([0, 0, 0.15, 0.6]))
    n_rows = draw(st.integers(0, 6))
    rows, hostile = [], False
    for i in range(n_rows):
        if draw(st.integers(0, 5)) == 0:
            rows.append(None)  # a blank row
            continue
        formula = draw(st.sampled_from(FORMULAS))
        row = []
        for key, _label in header:
            if key == "junk":
                row.append(draw(hostile_cell))
            elif hostile_rate and draw(st.floats(0, 1)) < hostile_rate:
                row.append(draw(hostile_cell))
                hostile = True
            else:
                row.append(good_value(key, i, formula))
        rows.append(row)

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False})
    if draw(st.booleans()):
        extra = wb.add_worksheet("说明")
        extra.write_string(0, 0, draw(hostile_text) or "说明")
        if draw(st.booleans()):
            extra.hide()
    ws = wb.add_worksheet("代表信息")
    r = 0
    if draw(st.booleans()):
        ws.merge_range(0, 0, 0, max(len(header) - 1, 1), "甲镇人大代表信息登记表")
        r = 1
    r += draw(st.integers(0, 2))  # blank rows above the header
    for c, (_key, label) in enumerate(header):
        write(ws, r, c, label)
    first = r + 1
    for i, row in enumerate(rows):
        for c, value in enumerate(row or []):
            write(ws, first + i, c, value)
    if rows and header and draw(st.booleans()):
        # Merged cells in the data: down one column, or across a row (a banner line).
        i = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(header) - 1))
        if draw(st.booleans()) and i + 1 < len(rows):
            ws.merge_range(first + i, c, first + i + 1, c, None)
        elif len(header) > 2:
            ws.merge_range(first + i, 0, first + i, len(header) - 1, None)
    if draw(st.booleans()):
        other = wb.add_worksheet("Sheet3")
        other.write_string(0, 0, "姓名")
        other.write_string(1, 0, "无关")
    wb.close()
    data = buf.getvalue()
    if LONE.encode() in data:
        data = rewrite_part(data, "xl/sharedStrings.xml", lambda b: b.replace(LONE.encode(), b"_xD800_"))
    return Roster(data, hostile, header, rows)


class Roster:
    """A generated file; shown in a failure report by its header and rows, not its bytes."""

    def __init__(self, data: bytes, hostile: bool, header: list, rows: list):
        self.data, self.hostile, self.header, self.rows = data, hostile, header, rows

    def __repr__(self) -> str:
        def short(v):
            text = repr(v)
            return text if len(text) < 60 else text[:50] + f"…({len(text)})"

        rows = [None if r is None else [short(v) for v in r] for r in self.rows]
        return f"Roster(header={[label for _, label in self.header]}, rows={rows})"


def write(ws, r: int, c: int, value) -> None:
    if value is None:
        return
    if isinstance(value, tuple):
        _, formula, cached = value
        ws.write_formula(r, c, formula, None, cached)
    elif isinstance(value, str):
        ws.write_string(r, c, value)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value)
    elif isinstance(value, datetime.datetime):
        ws.write_datetime(r, c, value)
    elif isinstance(value, datetime.date):
        ws.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()))


def rewrite_part(data: bytes, name: str, change) -> bytes:
    """The same zip with one part changed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, change(body) if info.filename == name else body)
    return out.getvalue()


# --- the whole path over random workbooks --------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def terms(world):
    today = timezone.localdate()
    start, end = today.replace(year=today.year - 2), today.replace(year=today.year + 3)
    Term.objects.create(region=world.county, level="township", number=20, start_date=start, end_date=end)
    Term.objects.create(region=world.county, level="county", number=18, start_date=start, end_date=end)


class Rollback(Exception):
    """Raised to undo one example's rows (the test's own transaction stays open)."""


def check_upload(client, data: bytes, hostile: bool) -> int:
    """Upload, preview, report, commit and export one file; assert the properties. Returns
    how many exported cells start like a formula (quoted)."""
    before = Deputy.objects.count()
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("代表信息登记表.xlsx", data)})
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        # The file as a whole was refused: a Chinese message on the form, no batch.
        errors = response.context["form"].errors["file"]
        assert errors and all(CJK.search(e) for e in errors), errors
        assert not ImportBatch.objects.exists()
        return 0
    batch = ImportBatch.objects.latest("pk")
    assert batch.state in (ImportBatch.State.PARSED, ImportBatch.State.FAILED)
    for p in batch.problems:
        assert CJK.search(p["message"]), p
        if p.get("row"):
            assert isinstance(p["row"], int) and p["row"] >= 1
            assert p["column"], p
            assert importing.problem_text(p).startswith(f"第{p['row']}行「{p['column']}」：")
    assert client.get(batch.get_absolute_url()).status_code == 200
    announced = batch.create_count
    report = client.get(reverse("deputies:import-report", args=[batch.pk]))
    assert report.status_code == 200
    load_workbook(io.BytesIO(report.content))  # a workbook Excel (and openpyxl) can open

    response = client.post(reverse("deputies:import-commit", args=[batch.pk]), {"policy": "update"})
    assert response.status_code == 302
    batch.refresh_from_db()
    after = Deputy.objects.count()
    if batch.error_count or batch.state != ImportBatch.State.COMMITTED:
        assert after == before  # all or nothing
        return 0
    assert after == before + announced == before + batch.created_count
    assert batch.create_count == announced  # the preview's figures survive the commit
    return assert_export_neutralised(client) if batch.created_count else 0


def assert_export_neutralised(client) -> int:
    """No cell of the roster export is a formula; returns how many cells start like one."""
    response = client.post(EXPORT)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    checked = 0
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                assert cell.quotePrefix, (cell.coordinate, cell.value)
                checked += 1
    return checked


def test_random_workbooks_never_crash_and_commit_all_or_nothing(world, terms, login):
    client = login(world.clerk_a)

    @HOSTILE
    @given(workbooks())
    def run(roster):
        try:
            with transaction.atomic():
                check_upload(client, roster.data, roster.hostile)
                raise Rollback
        except Rollback:
            pass

    run()


def test_a_clean_file_with_formulas_commits_and_exports_them_as_text(world, terms, login):
    """The happy path of the property above, pinned: every formula stored, every one quoted."""
    client = login(world.clerk_a)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False})
    ws = wb.add_worksheet()
    for c, label in enumerate(["姓名", "身份证号", "工作单位及职务", "备注"]):
        ws.write_string(0, c, label)
    names = ["@SUM(A)", '=HYPERLINK("http://x","点击")', "-张三", "+李四"]
    for i, formula in enumerate(FORMULAS[:4]):
        for c, value in enumerate([names[i], make_id(2 * i + 1), formula, formula]):
            ws.write_string(i + 1, c, value)
    wb.close()
    assert check_upload(client, buf.getvalue(), hostile=False) == 8  # four names, four units
    assert set(Deputy.objects.values_list("name", flat=True)) == set(names)
    assert set(Deputy.objects.values_list("work_unit", flat=True)) == set(FORMULAS[:4])


def test_control_characters_and_a_lone_surrogate_never_reach_the_database(world, terms, login):
    """PostgreSQL refuses NUL in text and JSON; a lone surrogate cannot be encoded at all.
    Control characters are dropped on the way in, so the row commits on both databases."""
    client = login(world.clerk_a)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet()
    for c, label in enumerate(["姓名", "身份证号", "工作单位及职务", "备注"]):
        ws.write_string(0, c, label)
    for c, value in enumerate(["张\x00三\x01", make_id(1), "甲村\x0b主任\x1f", f"a{LONE}b"]):
        ws.write_string(1, c, value)
    wb.close()
    data = rewrite_part(buf.getvalue(), "xl/sharedStrings.xml", lambda b: b.replace(LONE.encode(), b"_xD800_"))
    check_upload(client, data, hostile=True)
    deputy = Deputy.objects.get()
    assert (deputy.name, deputy.work_unit) == ("张三", "甲村主任")
    assert "\ud800" not in deputy.note and deputy.note.startswith("a") and deputy.note.endswith("b")


# --- the writers on their own: any text, no formula out ---------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(hostile_text, st.integers(), st.none()), min_size=1, max_size=8))
def test_write_sheet_neutralises_any_text(values):
    from org.xlsx import write_sheet

    out = io.BytesIO()
    write_sheet(out, title="结果", header=["列"] * len(values), rows=[values])
    ws = load_workbook(out).active
    for cell in next(ws.iter_rows(min_row=2, max_row=2)):
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_STARTS), cell.value


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(hostile_text, min_size=17, max_size=17))
def test_write_roster_neutralises_any_text(values):
    from deputies.exports import write_roster

    out = io.BytesIO()
    write_roster(out, title="花名册", note="说明", rows=[values])
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    for cell in next(ws.iter_rows(min_row=4, max_row=4)):
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            assert cell.quotePrefix, (cell.coordinate, cell.value)


# --- files that are not a workbook ---------------------------------------------------------------


def refused(data: bytes, *, max_mib: int = 64) -> str:
    """The Chinese message read_table refuses `data` with; fails if it is read instead, if
    anything else is raised, or if Python's allocations peak above `max_mib` meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(importing.ImportFileError) as info:
            importing.read_table(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert CJK.search(message), message
    assert peak < max_mib * 1024 * 1024 + len(data) * 2, f"peak {peak / 1024 / 1024:.0f} MiB"
    return message


def minimal_xlsx() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("代表")
    for r, row in enumerate([("姓名", "身份证号"), ("张三", make_id(1))]):
        ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


GOOD_XLSX = minimal_xlsx()  # once: its bytes carry the time it was written


@pytest.fixture(scope="module")
def gigabyte_of_zeros() -> bytes:
    """1 GiB of zeros as one raw deflate stream (about 1 MB): the body of the bombs below."""
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk = b"0" * (1 << 20)
    return b"".join([*(z.compress(chunk) for _ in range(1024)), z.flush()])


def raw_zip(parts: dict[str, bytes], bomb: tuple[str, bytes, int] | None = None) -> bytes:
    """A zip written byte by byte: `parts` deflated as usual, and `bomb` = (name, raw deflate
    stream, the uncompressed size its headers claim — which may lie, with a CRC to match
    nothing). zipfile cannot write a member from an already deflated stream."""
    members = []
    for name, body in parts.items():
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
        members.append((name, z.compress(body) + z.flush(), zlib.crc32(body), len(body)))
    if bomb:
        members.append((bomb[0], bomb[1], 0, bomb[2]))
    out, central = io.BytesIO(), io.BytesIO()
    for name, stream, crc, size in members:
        encoded = name.encode()
        offset = out.tell()
        fields = (20, 0x800, 8, 0, 0x5821, crc, len(stream), size, len(encoded))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + stream)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central.getvalue()), start, 0))
    return out.getvalue()


def workbook_parts() -> dict[str, bytes]:
    src = zipfile.ZipFile(io.BytesIO(minimal_xlsx()))
    return {name: src.read(name) for name in src.namelist()}


@pytest.mark.parametrize(
    ("claimed", "expected"),
    [(2**30, "解压后过大"), (1024, "已损坏"), (200 * 2**20, "已损坏")],
    ids=["honest-header", "header-says-1kb", "header-says-200mb"],
)
def test_a_gigabyte_zip_bomb_is_refused_without_inflating_it(gigabyte_of_zeros, claimed, expected):
    """A ~1 MB file that inflates to 1 GiB, whatever size its headers claim: too big when
    they say so, damaged when they lie (nothing is inflated past the size they claim)."""
    parts = workbook_parts()
    parts.pop("xl/sharedStrings.xml")
    data = raw_zip(parts, ("xl/sharedStrings.xml", gigabyte_of_zeros, claimed))
    assert len(data) < 5 * 1024 * 1024
    assert expected in refused(data)


def test_a_valid_workbook_with_a_huge_shared_strings_part_is_refused(gigabyte_of_zeros):
    """sharedStrings.xml that is well-formed XML with one 1 GiB string in it."""
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    # A deflate stream cannot be cut and glued; the long string is 300 MiB of "0" deflated here.
    body = b"".join(
        [z.compress(head), *(z.compress(b"0" * (1 << 20)) for _ in range(300)), z.compress(b"</t></si></sst>")]
    )
    stream = body + z.flush()
    parts = workbook_parts()
    parts.pop("xl/sharedStrings.xml")
    data = raw_zip(parts, ("xl/sharedStrings.xml", stream, 300 * 2**20))
    assert "解压后过大" in refused(data)


def test_a_sheet_outside_xl_worksheets_cannot_hide_an_absurd_extent():
    """The workbook's relationships may put a worksheet anywhere in the zip; its extent is
    measured all the same (A1 and XFD1048576: 17 billion cells for a trusting reader)."""
    parts = workbook_parts()
    sheet = parts.pop("xl/worksheets/sheet1.xml").replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    parts["xl/hidden/data.bin"] = sheet
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b'Target="worksheets/sheet1.xml"', b'Target="/xl/hidden/data.bin"'
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"/xl/worksheets/sheet1.xml", b"/xl/hidden/data.bin"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    assert "使用范围过大" in refused(out.getvalue())


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    + b"\0" * 64
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "空的"),
        (PDF, "这是一个PDF 文件"),
        (PDF.replace(b"\xe2\xe3\xcf\xd3", b"text"), "这是一个PDF 文件"),
        (PNG, "这是一个PNG 图片"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)), "JPEG 图片"),
        ("姓名,身份证号\n张三,110101197001010011\n".encode(), "CSV 或文本文件"),
        ("姓名\t身份证号\n张三\t1\n".encode("gb18030"), "CSV 或文本文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "97-2003（.xls）"),
        (b"PK\x03\x04" + b"\0" * 100, "压缩结构已损坏"),
        (b"PK\x05\x06" + b"\0" * 18, "不是有效的 Excel 工作簿"),
    ],
    ids=["empty", "pdf", "pdf-ascii", "png", "jpeg", "csv-utf8", "tsv-gb18030", "xls", "zip-header-only", "empty-zip"],
)
def test_files_of_another_kind_renamed_xlsx_are_refused(data, expected):
    assert expected in refused(data)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_in_chinese(data):
    refused(data)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_a_truncated_or_corrupted_workbook_is_refused_or_read(data):
    """Cut anywhere, the file is refused; a few bytes overwritten anywhere, it is refused
    or read — never anything else raised."""
    good = GOOD_XLSX
    if data.draw(st.booleans(), label="truncate"):
        cut = data.draw(st.integers(0, len(good) - 1), label="cut")
        refused(good[:cut])
        return
    damaged = bytearray(good)
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        at = data.draw(st.integers(0, len(good) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    try:
        importing.read_table(bytes(damaged))
    except importing.ImportFileError as exc:
        assert CJK.search(str(exc))


def test_files_that_are_no_workbook_are_a_form_error_through_the_page(world, login, gigabyte_of_zeros):
    """The same refusals through the upload page: 200 with the message on the form, no batch."""
    client = login(world.clerk_a)
    bomb = raw_zip(workbook_parts(), ("xl/worksheets/sheet2.xml", gigabyte_of_zeros, 2**30))
    for data in (bomb, PDF, PNG, minimal_xlsx()[:500]):
        response = client.post(UPLOAD, {"file": SimpleUploadedFile("代表信息登记表.xlsx", data)})
        assert response.status_code == 200
        errors = response.context["form"].errors["file"]
        assert errors and all(CJK.search(e) for e in errors)
    assert not ImportBatch.objects.exists()
