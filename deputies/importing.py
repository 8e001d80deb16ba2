"""Importing the deputy roster (代表信息登记表) from Excel.

The flow: the clerk downloads the template (`build_template`), fills it in (or brings the
township's own messy sheet), uploads it; `read_table` reads it safely with python-calamine,
finds the header below title rows and merged header cells, and `analyse` turns every row
into normalised values and problems ("第N行「列名」：…") in a set-based pass (one query for
the ID numbers already registered, not one per row). Nothing is saved but the `ImportBatch`
with its problems and a per-row preview. `commit` re-reads and re-checks the file against
the database as it is at that moment and writes everything in one transaction, or nothing.

Files above `BACKGROUND_ROWS` data rows are checked and committed by the job kinds
`deputy_import_parse` and `deputy_import_commit` (org.jobs), which report progress.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from org.audit import audit_event
from org.jobs import JobError, register_job
from org.models import AuditEntry, Region, Term
from org.roles import Role
from org.validators import id_checksum, is_valid_id_number, validate_mobile
from org.xlsx import write_sheet

from .models import DEMOCRATIC_PARTIES, ETHNICITIES, Constituency, Deputy, ImportBatch, Mandate, name_initials
from .privacy import mask_id_number

# --- limits ---------------------------------------------------------------------------------
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# Above this many data rows the check and the commit run as background jobs.
BACKGROUND_ROWS = 2_000
# A commit creating at least this many deputies refreshes PostgreSQL's planner statistics.
BIG_IMPORT_ANALYZE = BACKGROUND_ROWS
# What the decompressed parts of an .xlsx may add up to (a real 50,000-row roster is ~60 MB).
MAX_UNZIPPED = 250 * 1024 * 1024
# calamine holds a sheet as a dense grid of its extent: a sheet with one cell in A1 and one in
# XFD1048576 would ask for 17 billion cells. The extent is measured before calamine sees it.
MAX_SHEET_ROWS = MAX_ROWS + 1_000
MAX_SHEET_COLS = 200
MAX_CELLS = 4_000_000
HEADER_SCAN_ROWS = 10

Progress = Callable[[float, str], None]


def _no_progress(percent: float, message: str = "") -> None:
    return None


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is for the clerk (Chinese)."""


# --- columns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    width: int = 12


COLUMNS = (
    Column("name", "姓名", ("代表姓名", "名字"), 10),
    Column("gender", "性别", (), 6),
    Column("ethnicity", "民族", (), 10),
    Column("birth", "出生年月", ("出生日期", "出生年月日", "生日", "出生时间"), 11),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "公民身份证号码", "居民身份证号码", "身份证"), 21),
    Column("phone", "联系电话", ("手机", "手机号", "手机号码", "联系方式", "电话", "电话号码", "联系电话号码"), 14),
    Column("party", "政治面貌", ("党派",), 12),
    Column("democratic_party", "所属民主党派", ("民主党派", "所属党派"), 12),
    Column("education", "学历", ("文化程度", "最高学历", "学历学位"), 12),
    Column("occupation", "职业类别", ("职业", "职业分类", "代表构成", "身份类别"), 14),
    Column("work_unit", "工作单位及职务", ("单位及职务", "工作单位", "工作单位和职务", "单位职务", "工作单位职务"), 30),
    Column("level", "层级", ("代表层级", "代表级别", "级别"), 8),
    Column("constituency", "选区", ("所在选区", "选区名称", "选区编号"), 14),
    Column("elected_on", "当选日期", ("当选时间",), 11),
    Column("reelected", "是否连任", ("连任",), 9),
    Column("returned_overseas", "是否归侨", ("归侨",), 9),
    Column("note", "备注", (), 20),
)
LABELS = {c.key: c.label for c in COLUMNS}
REQUIRED_COLUMNS = ("name", "id_number")


_SPACES = re.compile(r"\s+")
# Control characters other than tab and line breaks (which count as spaces), and surrogates:
# PostgreSQL refuses NUL in text and JSON, Excel files cannot hold them, and no clerk means them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def normalize(value) -> str:
    """NFKC (full-width digits, letters and spaces become plain ones), without control
    characters, and trimmed."""
    return _CONTROL.sub("", unicodedata.normalize("NFKC", str(value))).strip()


def _header_key(text) -> str:
    """A header cell as it is compared with the known names: no spaces, line breaks, stars
    or bracketed hints such as （必填） or (年.月)."""
    s = normalize(text)
    s = re.sub(r"[(\[【].*?[)\]】]", "", s)
    s = re.sub(r"[\s*:：]", "", s)
    return s


HEADER_ALIASES = {_header_key(name): c.key for c in COLUMNS for name in (c.label, *c.aliases)}


def field_for_header(text) -> str | None:
    return HEADER_ALIASES.get(_header_key(text)) if text not in (None, "") else None


# --- value vocabularies -----------------------------------------------------------------------

GENDERS = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}
PARTY_CPC = {"中共党员", "中国共产党党员", "共产党员", "党员", "中共预备党员", "预备党员", "中共正式党员"}
PARTY_MASSES = {"群众"}
PARTY_LEAGUE = {"共青团员", "团员", "中国共产主义青年团团员"}
PARTY_INDEPENDENT = {"无党派人士", "无党派", "无党派民主人士"}
PARTY_DEMOCRATIC = {"民主党派", "民主党派成员"}
# Full names and usual short forms of the eight democratic parties.
DEMOCRATIC_NAMES = {
    "民革": "民革", "中国国民党革命委员会": "民革", "国民党革命委员会": "民革",
    "民盟": "民盟", "中国民主同盟": "民盟", "民主同盟": "民盟",
    "民建": "民建", "中国民主建国会": "民建", "民主建国会": "民建",
    "民进": "民进", "中国民主促进会": "民进", "民主促进会": "民进",
    "农工党": "农工党", "农工": "农工党", "中国农工民主党": "农工党", "农工民主党": "农工党",
    "致公党": "致公党", "致公": "致公党", "中国致公党": "致公党",
    "九三学社": "九三学社", "九三": "九三学社",
    "台盟": "台盟", "台湾民主自治同盟": "台盟",
}  # fmt: skip
EDUCATION = {label: value for value, label in Deputy.Education.choices} | {
    "高中": "senior", "中专": "senior", "职高": "senior", "技校": "senior", "高中(中专)": "senior",
    "中技": "senior", "大学专科": "college", "专科": "college", "高职": "college", "本科": "bachelor",
    "大学": "bachelor", "硕士": "postgraduate", "博士": "postgraduate", "硕士研究生": "postgraduate",
    "博士研究生": "postgraduate", "研究生学历": "postgraduate", "文盲": "primary", "小学及以下": "primary",
}  # fmt: skip
OCCUPATIONS = {label: value for value, label in Deputy.Occupation.choices}
# Looked up as cells are: NFKC, no spaces (高中（中专） is 高中(中专) after NFKC).
EDUCATION = {_SPACES.sub("", normalize(k)): v for k, v in EDUCATION.items()}
LEVELS = {
    "乡镇": "township", "乡": "township", "镇": "township", "街道": "township", "乡级": "township", "镇级": "township",
    "县": "county", "县级": "county", "区": "county", "县(市、区)": "county", "市": "city", "市级": "city",
    "设区的市": "city", "省": "province", "省级": "province", "全国": "national",
}  # fmt: skip
YES = {"是", "√", "✓", "✔", "Y", "YES", "TRUE", "1", "连任", "归侨", "有"}
NO = {"否", "×", "✗", "✘", "N", "NO", "FALSE", "0", "不是", "无", "非"}
# Lines under a table that are not deputies (填表人：…, 合计 …).
FOOTER_STARTS = ("填表", "制表", "审核", "合计", "总计", "注:", "注：", "说明", "负责人", "联系人", "单位盖章")
EXAMPLE_NOTE = "示例行"


def _allowed(labels) -> str:
    return "、".join(labels)


# --- reading the file ---------------------------------------------------------------------------


# Files clerks pick by mistake (a scan, a photo of the paper roster, an archive), by their
# first bytes: named, so the clerk knows what was sent.
OTHER_FORMATS = (
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
)


def sniff(data: bytes) -> None:
    """Refuse, with a message a clerk understands, what is not an .xlsx workbook we can read
    safely: too big, an old .xls, a CSV or web page renamed, a zip that is no workbook or
    that unpacks to far more than its size (a zip bomb), a sheet of absurd extent."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），单个文件不能超过 20 MB。请分成几个文件导入。"
        )
    if not data:
        raise ImportFileError("文件是空的（0 字节），请重新选择文件。")
    head = data[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportFileError(
            "这是旧版 Excel 97-2003（.xls）格式的文件，或是设置了打开密码的文件。"
            "请在 Excel 或 WPS 中打开，取消密码后“另存为” Excel 工作簿（.xlsx）再上传。"
        )
    if not head.startswith(b"PK\x03\x04"):
        kind = next((kind for magic, kind in OTHER_FORMATS if data.startswith(magic)), None)
        if kind:
            raise ImportFileError(
                f"这是一个{kind}，不是 Excel 工作簿，只是扩展名被改成了 .xlsx。请上传填写好的 .xlsx 登记表。"
            )
        text = data[:2048].lstrip(b"\xef\xbb\xbf").lstrip().lower()
        if text.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
            raise ImportFileError(
                "这个文件其实是网页（HTML/XML）格式，只是扩展名为 .xlsx（一些系统“导出Excel”就是这样）。"
                "请用 Excel 或 WPS 打开后“另存为” Excel 工作簿（.xlsx）再上传。"
            )
        if _looks_like_text(data[:4096]):
            raise ImportFileError(
                "这个文件其实是 CSV 或文本文件，只是扩展名被改成了 .xlsx。"
                "请用 Excel 或 WPS 打开后“另存为” Excel 工作簿（.xlsx）再上传。"
            )
        raise ImportFileError(
            "文件不是有效的 Excel 工作簿（.xlsx），可能已损坏。请用 Excel 或 WPS 打开确认后重新保存再上传。"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (*_UNREADABLE_ZIP, ValueError):
        raise ImportFileError(
            "文件不是有效的 Excel 工作簿（.xlsx），压缩结构已损坏。请用 Excel 或 WPS 打开后重新保存再上传。"
        )
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise ImportFileError("这是一个 Word 文档（.docx），不是 Excel 工作簿。请上传填写好的 .xlsx 登记表。")
        raise ImportFileError("这个压缩文件不是 Excel 工作簿（.xlsx）。请上传填写好的 .xlsx 登记表。")
    _check_unzipped(archive)


def _looks_like_text(sample: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ord(ch) < 9 or 13 < ord(ch) < 32 for ch in text)
    return False


_ROW_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br=\"(\d+)\"")
_CELL_COL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br=\"([A-Z]{1,3})\d+\"")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


# What zipfile raises for a damaged or unreadable member: a deflate stream cut or altered
# (zlib.error), a compression method it does not know (NotImplementedError), an encrypted
# member (RuntimeError)... all mean "not a workbook we can read".
_UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)
_REL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*>")
_REL_TARGET = re.compile(rb"""\bTarget\s*=\s*["']([^"']*)["']""")
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
MAX_RELS_BYTES = 1024 * 1024


def _workbook_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts the workbook's relationships point to. A reader opens its worksheets
    wherever these say, not only under xl/worksheets/: each is measured as a sheet."""
    try:
        with archive.open(WORKBOOK_RELS) as fh:
            data = fh.read(MAX_RELS_BYTES + 1)
    except KeyError:
        return set()
    except _UNREADABLE_ZIP:
        raise ImportFileError("文件不是有效的 Excel 工作簿（.xlsx），压缩内容已损坏或已加密。请重新保存后再上传。")
    if len(data) > MAX_RELS_BYTES:
        raise ImportFileError("文件结构异常（工作簿关系表过大），无法导入。请用 Excel 或 WPS 打开后重新保存再上传。")
    parts = set()
    for tag in _REL_TAG.findall(data):
        if m := _REL_TARGET.search(tag):
            target = m[1].decode("utf-8", "replace")
            parts.add(target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}"))
    return parts


def _check_unzipped(archive: zipfile.ZipFile) -> None:
    """Unpack every part with a running total (headers can lie about sizes), and measure
    each worksheet's extent from its cell references."""
    total = 0
    too_big = ImportFileError(
        "文件解压后过大（可能是异常或被恶意构造的文件），无法导入。请只保留代表信息登记表的内容后重新保存再上传。"
    )
    sheets = _workbook_parts(archive)
    for info in archive.infolist():
        if info.file_size > MAX_UNZIPPED:
            raise too_big
        is_sheet = info.filename in sheets or (
            info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        )
        max_row = max_col = rows = cells = row_refs = cell_refs = 0
        tail = b""
        try:
            with archive.open(info) as fh:
                while True:
                    chunk = fh.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > MAX_UNZIPPED:
                        raise too_big
                    if not is_sheet:
                        continue
                    # A tag cut at the chunk's end is read whole with the next chunk.
                    buf = tail + chunk
                    cut = buf.rfind(b"<")
                    buf, tail = buf[:cut], buf[cut:]
                    refs = _ROW_REF.findall(buf)
                    if refs:
                        max_row = max(max_row, max(int(r) for r in refs))
                    row_refs += len(refs)
                    found = _CELL_COL.findall(buf)
                    cell_refs += len(found)
                    if found:
                        max_col = max(max_col, max(_col_number(c) for c in set(found)))
                    rows += len(_ROW_TAG.findall(buf))
                    cells += len(_CELL_TAG.findall(buf))
        except _UNREADABLE_ZIP:
            raise ImportFileError("文件不是有效的 Excel 工作簿（.xlsx），压缩内容已损坏或已加密。请重新保存后再上传。")
        if not is_sheet:
            continue
        # Rows or cells without a reference take the next position: count them as such.
        extent_rows = max_row + (rows - row_refs)
        extent_cols = max_col if cells == cell_refs else max(max_col, cells)
        if extent_rows > MAX_SHEET_ROWS or extent_cols > MAX_SHEET_COLS or extent_rows * extent_cols > MAX_CELLS:
            raise ImportFileError(
                f"工作表的使用范围过大（约 {extent_rows:,} 行 × {extent_cols} 列），一次最多导入 {MAX_ROWS:,} 行。"
                "如果实际数据没有这么多，可能是表格远处残留了内容：请删除数据下方和右侧的空白行列后重新保存再上传。"
            )


@dataclass
class Table:
    """The data sheet as read: rows of cell values (Excel row n is rows[n-1]), the header
    found in it, and the columns it maps to fields."""

    sheet_name: str
    rows: list[list]
    header_rows: tuple[int, ...]  # 0-based indexes of the header row(s)
    columns: dict[str, int]  # field key -> 0-based column index
    headers: dict[str, str]  # field key -> the header text as written in the file
    data_rows: list[int] = field(default_factory=list)  # 0-based indexes of non-blank data rows

    def label(self, key: str) -> str:
        return self.headers.get(key) or LABELS[key]


def read_table(data: bytes) -> Table:
    """Read the workbook and return its roster sheet with the header located. Raises
    ImportFileError for anything a clerk has to fix in the file."""
    sniff(data)
    sheets = _read_sheets_calamine(data)
    if sheets is None:
        sheets = _read_sheets_openpyxl(data)
    best = None
    for sheet_name, rows, banners in sheets:
        found = locate_header(rows)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], sheet_name, rows, found[1], found[2], banners)
    if best is None or not {"name", "id_number"} & set(best[3]):
        raise ImportFileError(
            f"没有找到表头：前 {HEADER_SCAN_ROWS} 行中没有包含“姓名”“身份证号”等列名的行。"
            "请使用本页提供的导入模板，或检查表头的列名。"
        )
    _score, sheet_name, rows, columns, header_rows, banners = best
    missing = [LABELS[k] for k in REQUIRED_COLUMNS if k not in columns]
    if missing:
        raise ImportFileError(
            f"工作表“{sheet_name}”的表头缺少“{'”“'.join(missing)}”列。"
            "导入时用身份证号识别同一人，姓名和身份证号两列必须有。"
        )
    headers = {}
    for key, col in columns.items():
        texts = [_cell_text(rows[r][col]) for r in header_rows if col < len(rows[r])]
        headers[key] = next((t for t in reversed(texts) if field_for_header(t) == key), LABELS[key])
    table = Table(sheet_name=sheet_name, rows=rows, header_rows=header_rows, columns=columns, headers=headers)
    used = list(columns.values())
    for i in range(header_rows[-1] + 1, len(rows)):
        row = rows[i]
        filled = [row[c] for c in used if c < len(row) and not is_blank(row[c])]
        if not filled:
            continue
        if i in banners and all(v == filled[0] for v in filled):
            continue  # one merged line across the table
        table.data_rows.append(i)
    if len(table.data_rows) > MAX_ROWS:
        raise ImportFileError(
            f"数据行过多（{len(table.data_rows):,} 行），一次最多导入 {MAX_ROWS:,} 行，请分成几个文件。"
        )
    return table


def is_blank(value) -> bool:
    """Empty, or nothing but spaces (full-width ones too)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value) -> str:
    return "" if value is None else normalize(value) if isinstance(value, str) else str(value)


def _read_sheets_calamine(data: bytes):
    """[(sheet name, rows)] of the visible worksheets, merged ranges filled with their
    top-left value; None when calamine cannot read the file (openpyxl then tries)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        result = []
        for index, meta in enumerate(book.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue
            sheet = book.get_sheet_by_index(index)
            offset = sheet.start[1] if sheet.start else 0
            pad = [""] * offset
            rows = [pad + row if offset else row for row in sheet.iter_rows()]
            banners = _fill_merged(rows, sheet.merged_cell_ranges or [])
            result.append((meta.name, rows, banners))
            if len(result) >= 10:
                break
        return result
    except Exception:  # calamine raises its own and Rust panics as several types
        return None


def _read_sheets_openpyxl(data: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        result = []
        for ws in book.worksheets[:10]:
            if ws.sheet_state != "visible":
                continue
            rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
            result.append((ws.title, rows, set()))
        book.close()
        return result
    except Exception:
        raise ImportFileError(
            "无法读取这个 Excel 文件（文件可能已损坏或格式不受支持）。请用 Excel 或 WPS 打开后重新保存再上传。"
        )


def _fill_merged(rows: list[list], ranges) -> set[int]:
    """A merged range shows its value in every cell it covers (a 选区 merged over the rows
    of its deputies, a header merged over two rows). Returns the rows holding a merge three
    or more columns wide: below the header those are banners (一、党政干部, 填表人：…), not deputies."""
    banners = set()
    for (r0, c0), (r1, c1) in ranges:
        if c1 - c0 >= 2:
            banners.update(range(r0, r1 + 1))
        if r0 >= len(rows):
            continue
        top = rows[r0]
        value = top[c0] if c0 < len(top) else ""
        if value in (None, ""):
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] in (None, ""):
                    row[c] = value
    return banners


def _row_fields(row) -> dict[int, str]:
    return {c: f for c, v in enumerate(row) if (f := field_for_header(v) if isinstance(v, str) else None)}


def locate_header(rows: list[list]):
    """(score, {field: column}, header row indexes) of the best header among the first
    rows: the row naming most known columns, combined with the row below when the header
    spans two rows (基本信息 merged over 姓名/性别/…, 身份证号 merged down over both)."""
    per_row = [_columns_of(_row_fields(r)) for r in rows[:HEADER_SCAN_ROWS]]
    best = None
    for i, single in enumerate(per_row):
        candidates = [((i,), single)]
        if i + 1 < len(per_row):
            # The lower row names the column where it names anything; the upper row otherwise.
            upper, lower = _row_fields(rows[i]), _row_fields(rows[i + 1])
            pair = _columns_of({**upper, **lower})
            # Two rows only when together they name more than either does alone.
            if len(pair) > max(len(single), len(per_row[i + 1])):
                candidates.append(((i, i + 1), pair))
        for header_rows, columns in candidates:
            score = len(columns)
            if score >= 2 and (best is None or score > best[0]):
                best = (score, columns, header_rows)
    return best


def _columns_of(mapping: dict[int, str]) -> dict[str, int]:
    """{field: column}, the leftmost column of a field named twice (a merged header cell)."""
    columns: dict[str, int] = {}
    for col in sorted(mapping):
        columns.setdefault(mapping[col], col)
    return columns


# --- the values of one row --------------------------------------------------------------------


class FieldError(Exception):
    """A cell's value cannot be used; the message says why and what to write instead."""


@dataclass
class DateValue:
    year: int
    month: int
    day: int | None  # None: only year and month were given
    alt_month: int | None = None  # 1980.1 stored as a number may have been 1980.10

    def as_date(self) -> datetime.date:
        return datetime.date(self.year, self.month, self.day or 1)

    def text(self) -> str:
        return f"{self.year}年{self.month}月" + (f"{self.day}日" if self.day else "")


EXCEL_EPOCH = datetime.date(1899, 12, 30)
_TODAY: list = [None, None]


def _today() -> datetime.date:
    """timezone.localdate(), looked up once a minute: it is asked twice per row."""
    minute = int(time.time() // 60)
    if _TODAY[0] != minute:
        _TODAY[:] = [minute, timezone.localdate()]
    return _TODAY[1]


def parse_date(value) -> DateValue | None:
    """A date as rosters write it: 1980.01, 1980.1, 1980年1月, 1980年1月5日, 1980-1-5,
    1980/01/05, 198001, 19800105, an Excel date cell or serial number. Two-digit years and
    a bare year are refused rather than guessed."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return _checked_date(value.year, value.month, value.day, str(value))
    if isinstance(value, bool):
        raise FieldError(f"无法识别的日期“{value}”，请写成 1980.01 或 1980-01-05。")
    if isinstance(value, (int, float)):
        return _date_from_number(value)
    s = normalize(value)
    s = re.sub(r"[T\s]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", s)  # a time of 00:00:00 from some exports
    s = _SPACES.sub("", s).rstrip(".")
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日?)?", s):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]) if m[3] else None, s)
    if m := re.fullmatch(r"(\d{4})[.\-/](\d{1,2})(?:[.\-/](\d{1,2}))?", s):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]) if m[3] else None, s)
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})?", s):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]) if m[3] else None, s)
    if re.fullmatch(r"\d{4}年?", s):
        raise FieldError(f"“{s}”只有年份，请写到月份，如 {s[:4]}.01。")
    if re.fullmatch(r"\d{2}[.\-/年]\d{1,2}([.\-/月]\d{1,2}日?)?月?", s):
        raise FieldError(f"“{s}”的年份只有两位，无法确定是哪个世纪，请写四位年份，如 1980.01.05。")
    raise FieldError(f"无法识别的日期“{s}”，请写成 1980.01、1980年1月 或 1980-01-05。")


def _checked_date(year: int, month: int, day: int | None, text: str, alt_month: int | None = None) -> DateValue:
    if not 1 <= month <= 12:
        raise FieldError(f"“{text}”的月份 {month} 不存在。")
    try:
        datetime.date(year, month, day or 1)
    except ValueError:
        raise FieldError(f"“{text}”不是有效的日期（{year}年{month}月没有{day}日）。")
    if year < 1900 or datetime.date(year, month, day or 1) > _today():
        raise FieldError(f"“{text}”的年份不合理，请核对。")
    return DateValue(year, month, day, alt_month)


def _date_from_number(n: float) -> DateValue:
    text = f"{n:g}" if isinstance(n, float) else str(n)
    if float(n).is_integer():
        k = int(n)
        if 1900 <= k <= 2100:
            raise FieldError(f"“{k}”只有年份，请写到月份，如 {k}.01。")
        if 190001 <= k <= 210012:
            return _checked_date(k // 100, k % 100, None, text)
        if 19000101 <= k <= 21001231:
            return _checked_date(k // 10000, k // 100 % 100, k % 100, text)
        if 1 <= k < 100000:
            d = EXCEL_EPOCH + datetime.timedelta(days=k)
            return _checked_date(d.year, d.month, d.day, text)
        raise FieldError(f"无法识别的日期“{text}”，请写成 1980.01 或 1980-01-05。")
    if 1900 < n < 2101:
        # Excel turned a typed 1980.10 into the number 1980.1: .1 may mean January or October.
        year, fraction = text.split(".")
        if len(fraction) == 1:
            month = int(fraction)
            return _checked_date(int(year), month, None, text, alt_month=10 if month == 1 else None)
        if len(fraction) == 2:
            return _checked_date(int(year), int(fraction), None, text)
        raise FieldError(f"无法识别的日期“{text}”，请写成 1980.01 或 1980-01-05。")
    if 1 <= n < 100000:
        d = EXCEL_EPOCH + datetime.timedelta(days=int(n))
        return _checked_date(d.year, d.month, d.day, text)
    raise FieldError(f"无法识别的日期“{text}”，请写成 1980.01 或 1980-01-05。")


NUMERIC_ID = "身份证号被Excel存成了数字，末几位已丢失，请把该列设为文本后重新填写"


def parse_id_number(value) -> tuple[str, str | None]:
    """(18-character ID, warning or None). Full-width digits, spaces and a lower-case x are
    forgiven; an ID that Excel stored as a number has lost digits and is refused; a
    15-digit ID of the first generation is converted (19 inserted, check character added)."""
    if isinstance(value, bool):
        raise FieldError("身份证号格式不正确。")
    if isinstance(value, (int, float)):
        if not float(value).is_integer() or abs(value) >= 1e15:
            raise FieldError(NUMERIC_ID)
        value = str(int(value))  # 15 digits fit in a double exactly
    s = _SPACES.sub("", normalize(value)).lstrip("'").upper()
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", s):
        raise FieldError(NUMERIC_ID)
    if not re.fullmatch(r"\d+X?", s):
        raise FieldError("身份证号只能由数字和末位的 X 组成，请核对。")
    if len(s) == 15 and s.isdigit():
        first17 = s[:6] + "19" + s[6:]
        try:
            datetime.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
        except ValueError:
            raise FieldError("15位身份证号中的出生日期不存在，请核对。")
        new = first17 + id_checksum(first17)
        return new, f"15位旧身份证号已按国家标准升位为18位（{mask_id_number(new)}），请核对。"
    if len(s) != 18:
        raise FieldError(f"身份证号应为18位（现为{len(s)}位）。")
    if not s[:17].isdigit():
        raise FieldError("身份证号只能由数字和末位的 X 组成，请核对。")
    try:
        datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise FieldError("身份证号中的出生日期不存在，请核对。")
    if not is_valid_id_number(s):
        raise FieldError("身份证号末位校验码不正确，号码可能有误，请核对。")
    return s, None


def parse_bool(value) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = _SPACES.sub("", normalize(value)).upper()
    if s in YES:
        return True
    if s in NO:
        return False
    raise FieldError(f"“{s}”无法识别，请填写“是”或“否”。")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.strftime("%Y-%m-%d")
    return re.sub(r"\s+", " ", normalize(value)).strip()


def parse_name(value) -> str:
    s = _SPACES.sub("", normalize(value)) if value is not None else ""
    # Names of several ethnic groups have a middle dot; rosters type it every which way.
    s = re.sub(r"(?<=\w)[.·•‧∙・。](?=\w)", "·", s)
    if not s:
        raise FieldError("姓名不能为空。")
    if len(s) > 50:
        raise FieldError("姓名超过50个字。")
    if re.search(r"\d", s):
        raise FieldError(f"姓名“{s}”中有数字，请核对。")
    return s


def parse_phone(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = re.sub(r"[\s()（）]", "", normalize(value))
    s = re.sub(r"^(\+86|0086)-?", "", s)
    if not s:
        return ""
    try:
        validate_mobile(s)
    except Exception:
        raise FieldError(f"“{s}”不是有效的电话号码：手机号为11位数字，座机如 0310-1234567；只填一个号码。")
    return s


def parse_party(party_value, democratic_value) -> tuple[str | None, str, str | None]:
    """(party, democratic party, warning) from 政治面貌 and 所属民主党派."""
    p = _SPACES.sub("", normalize(party_value)) if party_value not in (None, "") else ""
    d = _SPACES.sub("", normalize(democratic_value)) if democratic_value not in (None, "") else ""
    dem = _democratic(d, column="所属民主党派") if d else ""
    if not p:
        if dem:
            return Deputy.Party.DEMOCRATIC, dem, None
        return None, "", None
    if p in PARTY_CPC:
        if dem:
            raise FieldError("政治面貌为中共党员时，“所属民主党派”应为空。")
        return Deputy.Party.CPC, "", None
    if p in PARTY_MASSES or p in PARTY_LEAGUE:
        if dem:
            raise FieldError(f"政治面貌为{p}时，“所属民主党派”应为空。")
        warning = (
            f"“{p}”按“群众”登记（系统的政治面貌分为中共党员、民主党派、无党派人士、群众）。"
            if p in PARTY_LEAGUE
            else None
        )
        return Deputy.Party.MASSES, "", warning
    if p in PARTY_INDEPENDENT:
        if dem:
            raise FieldError("政治面貌为无党派人士时，“所属民主党派”应为空。")
        return Deputy.Party.INDEPENDENT, "", None
    if p in PARTY_DEMOCRATIC:
        if not dem:
            raise FieldError("政治面貌为民主党派时，请在“所属民主党派”列填写党派名称（如民革、民盟）。")
        return Deputy.Party.DEMOCRATIC, dem, None
    named = _democratic(p, column=None)
    if named:
        if dem and dem != named:
            raise FieldError(f"政治面貌“{p}”与所属民主党派“{d}”不一致。")
        return Deputy.Party.DEMOCRATIC, named, None
    raise FieldError(
        f"“{p}”无法识别。请填写：中共党员（含预备党员）、{_allowed(DEMOCRATIC_PARTIES)}（民主党派）、无党派人士、群众。"
    )


def _democratic(text: str, column: str | None) -> str:
    key = re.sub(r"(党员|盟员|会员|社员|成员)$", "", text)
    if key in DEMOCRATIC_NAMES:
        return DEMOCRATIC_NAMES[key]
    if text in DEMOCRATIC_NAMES:
        return DEMOCRATIC_NAMES[text]
    if column:
        raise FieldError(f"“{text}”不是民主党派名称。请填写：{_allowed(DEMOCRATIC_PARTIES)}。")
    return ""


def parse_choice(value, vocabulary: dict, allowed: list[str], what: str) -> str | None:
    if value in (None, ""):
        return None
    s = _SPACES.sub("", normalize(value))
    s_plain = re.sub(r"(学历|毕业|肄业)$", "", s) if what == "学历" else s
    for key in (s, s_plain):
        if key in vocabulary:
            return vocabulary[key]
    raise FieldError(f"“{s}”不在{what}的可选范围内。请填写：{_allowed(allowed)}。")


def parse_ethnicity(value) -> str | None:
    if value in (None, ""):
        return None
    s = _SPACES.sub("", normalize(value))
    if s in ETHNICITIES:
        return s
    if s + "族" in ETHNICITIES:
        return s + "族"
    raise FieldError(f"“{s}”不是56个民族的规范名称，请按模板下拉列表填写（如 汉族、回族、满族、蒙古族）。")


def parse_levels(value) -> list[str] | None:
    if value in (None, ""):
        return None
    s = _SPACES.sub("", normalize(value))
    levels = []
    for part in re.split(r"[、,，;；/和及]+", s):
        if not part:
            continue
        key = re.sub(r"(人大)?代表$", "", part)
        if key not in LEVELS:
            raise FieldError(f"“{part}”无法识别。层级请填写：乡镇、县、市、省、全国（可填多个，用顿号分隔）。")
        if LEVELS[key] not in levels:
            levels.append(LEVELS[key])
    return levels or None


# --- checking a whole table ---------------------------------------------------------------------


@dataclass
class Analysis:
    """What the check of a table found: problems, the accepted values of each good row, and
    which rows would create a deputy and which match one already registered."""

    problems: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # preview summaries, one per data row
    values: dict[int, dict] = field(default_factory=dict)  # excel row -> accepted values (rows without errors)
    existing: dict[int, int] = field(default_factory=dict)  # excel row -> deputy pk in this township
    total_rows: int = 0
    township_term: Term | None = None
    county_term: Term | None = None

    @property
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p["level"] == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for p in self.problems if p["level"] == "warning")

    @property
    def create_count(self) -> int:
        return sum(1 for r in self.rows if r["action"] == "create")

    @property
    def existing_count(self) -> int:
        return sum(1 for r in self.rows if r["action"] == "existing")


def current_term(township: Region, level: str = Term.Level.TOWNSHIP, on: datetime.date | None = None) -> Term | None:
    """The term in force today: the township's own if it has one, else its county's."""
    on = on or timezone.localdate()
    region = township if level == Term.Level.TOWNSHIP else township.parent
    if region is None:
        return None
    regions = [region.pk] + ([township.parent_id] if level == Term.Level.TOWNSHIP and township.parent_id else [])
    terms = Term.objects.filter(region_id__in=regions, level=level, start_date__lte=on, end_date__gte=on)
    by_region = {t.region_id: t for t in terms.order_by("-start_date")}
    return next((by_region[r] for r in regions if r in by_region), None)


FIELD_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}


def analyse(table: Table, township: Region, progress: Progress = _no_progress) -> Analysis:
    """Check every data row of `table` for an import into `township`: parse each cell,
    cross-check with the ID number, find duplicates inside the file and ID numbers already
    registered (one query per 2,000 numbers), and list every problem."""
    result = Analysis(total_rows=len(table.data_rows))
    result.township_term = current_term(township, Term.Level.TOWNSHIP)
    result.county_term = current_term(township, Term.Level.COUNTY)
    constituencies = list(Constituency.objects.filter(region=township))
    by_key = _constituency_keys(constituencies)
    cols = table.columns
    label = table.label
    order: list[tuple[int, int, int]] = []  # (row, column position, arrival) of each problem

    def problem(row, key, message, level="error"):
        result.problems.append({"row": row, "column": label(key) if key else "", "message": message, "level": level})
        order.append((row or 0, FIELD_ORDER.get(key, -1), len(order)))

    if "ethnicity" not in cols:
        problem(None, None, "文件没有“民族”列：新增代表的民族将登记为汉族，请在导入后核对少数民族代表。", "warning")

    parsed: dict[int, dict] = {}
    warned_constituency = False
    n = len(table.data_rows)
    for done, index in enumerate(table.data_rows):
        if done % 500 == 0:
            progress(5 + 70 * done / max(n, 1), f"正在校验第 {done + 1}/{n} 行")
        row = table.rows[index]
        excel_row = index + 1

        def cell(key, row=row):
            col = cols.get(key)
            value = row[col] if col is not None and col < len(row) else None
            return None if is_blank(value) else value

        name_raw = cell("name")
        note = _text(cell("note"))
        if EXAMPLE_NOTE in note or (isinstance(name_raw, str) and name_raw.strip().endswith("（示例）")):
            result.total_rows -= 1
            continue
        if (
            isinstance(name_raw, str)
            and normalize(name_raw).startswith(FOOTER_STARTS)
            and cell("id_number") in (None, "")
        ):
            result.total_rows -= 1
            continue
        if not constituencies and not warned_constituency and cell("constituency") not in (None, ""):
            problem(None, None, "本镇尚未设置选区，“选区”列不会导入；可在设置选区后在代表资格中补录。", "warning")
            warned_constituency = True
        values, errors, warnings = _parse_row(cell, table, by_key, constituencies)
        for key, message in errors:
            problem(excel_row, key, message)
        for key, message in warnings:
            problem(excel_row, key, message, "warning")
        parsed[excel_row] = {"values": values, "ok": not errors, "raw_id": cell("id_number"), "raw_name": name_raw}

    progress(78, "正在查找重复的身份证号")
    first_row: dict[str, int] = {}
    for excel_row, item in parsed.items():
        number = item["values"].get("id_number")
        if not number:
            continue
        if number in first_row:
            problem(
                excel_row, "id_number", f"与第{first_row[number]}行的身份证号重复（同一文件中同一人只能出现一次）。"
            )
            item["ok"] = False
            item["duplicate_of"] = first_row[number]
        else:
            first_row[number] = excel_row

    registered = _registered(list(first_row))
    for number, excel_row in first_row.items():
        hit = registered.get(number)
        if hit is None:
            continue
        deputy_pk, region_id = hit
        if region_id == township.pk:
            result.existing[excel_row] = deputy_pk
        else:
            # Only the fact, nothing of the other record (it is outside this clerk's scope).
            problem(
                excel_row,
                "id_number",
                "该身份证号已在其他乡镇登记为代表，不能重复导入；如代表调动，请联系县人大代表工委。",
            )
            parsed[excel_row]["ok"] = False

    progress(85, "正在比对已有代表")
    same_name_without_id = _names_without_id(township)
    current = _current_values(list(result.existing.values()))
    needs_township_term = False
    for excel_row, item in parsed.items():
        v = item["values"]
        levels = v.get("levels") or ["township"]
        if item["ok"]:
            if excel_row not in result.existing and v.get("name") in same_name_without_id:
                problem(
                    excel_row,
                    "name",
                    f"本镇已有同名代表“{v['name']}”但未登记身份证号，导入将新增一人；如为同一人，请先在其档案中补录身份证号。",
                    "warning",
                )
            if "township" in levels:
                needs_township_term = True
            if "county" in levels and result.county_term is None:
                problem(
                    excel_row,
                    "level",
                    "所属县没有当前的县人大届次，无法登记县级代表资格，请联系县人大代表工委设置届次。",
                )
                item["ok"] = False
        action = "error" if not item["ok"] else ("existing" if excel_row in result.existing else "create")
        summary = {
            "row": excel_row,
            "name": v.get("name") or _text(item["raw_name"])[:50],
            "id": mask_id_number(v.get("id_number") or _text(item["raw_id"]))[:18],
            "gender": Deputy.Gender(v["gender"]).label if v.get("gender") else "",
            "birth": v["birth_date"].strftime("%Y-%m") if v.get("birth_date") else "",
            "party": Deputy.Party(v["party"]).label
            + (f"（{v['democratic_party']}）" if v.get("democratic_party") else "")
            if v.get("party")
            else "",
            "unit": (v.get("work_unit") or "")[:60],
            "action": action,
        }
        if action == "existing":
            summary["deputy"] = result.existing[excel_row]
            summary["changes"] = _changed_labels(v, current.get(result.existing[excel_row], {}))
        if item.get("duplicate_of"):
            summary["duplicate_of"] = item["duplicate_of"]
        result.rows.append(summary)
        if item["ok"]:
            result.values[excel_row] = v

    if needs_township_term and result.township_term is None:
        problem(
            None,
            None,
            "本镇及所属县都没有覆盖今天的乡镇人大届次，无法为代表登记代表资格。请先由县人大代表工委在系统中设置本届届次。",
        )
    # File-level problems first, then by row and by column as the sheet shows them.
    result.problems = [result.problems[i] for *_, i in sorted(order)]
    progress(95, "校验完成")
    return result


UPDATE_FIELDS = (
    "name", "gender", "ethnicity", "birth_date", "phone", "party", "democratic_party", "education",
    "occupation", "work_unit", "reelected", "returned_overseas", "note",
)  # fmt: skip
FIELD_LABELS = {
    "name": "姓名", "gender": "性别", "ethnicity": "民族", "birth_date": "出生年月", "phone": "联系电话",
    "party": "政治面貌", "democratic_party": "所属民主党派", "education": "学历", "occupation": "职业类别",
    "work_unit": "工作单位及职务", "reelected": "是否连任", "returned_overseas": "是否归侨", "note": "备注",
}  # fmt: skip


def _update_values(v: dict) -> dict:
    """The fields an update writes: only cells that were filled in (a blank cell keeps what
    is registered). Party and democratic party go together."""
    out = {f: v[f] for f in UPDATE_FIELDS if v.get(f) not in (None, "")}
    if v.get("party"):
        out["democratic_party"] = v.get("democratic_party") or ""
    return out


def _changed_labels(v: dict, current: dict) -> list[str]:
    return [FIELD_LABELS[f] for f, new in _update_values(v).items() if current.get(f) != new]


def _current_values(pks: list[int]) -> dict[int, dict]:
    out = {}
    for start in range(0, len(pks), 2000):
        for row in Deputy.objects.filter(pk__in=pks[start : start + 2000]).values("pk", *UPDATE_FIELDS):
            out[row.pop("pk")] = row
    return out


def _registered(numbers: list[str]) -> dict[str, tuple[int, int]]:
    """ID number -> (deputy pk, region id) for the numbers already registered anywhere,
    in chunks (SQLite caps the parameters of one statement)."""
    found = {}
    for start in range(0, len(numbers), 2000):
        chunk = numbers[start : start + 2000]
        # Entered by hand before, a number may end in a lower-case x.
        variants = chunk + [n[:-1] + "x" for n in chunk if n.endswith("X")]
        for number, pk, region_id in Deputy.objects.filter(id_number__in=variants).values_list(
            "id_number", "pk", "region_id"
        ):
            found[number.upper()] = (pk, region_id)
    return found


def _names_without_id(township: Region) -> set[str]:
    return set(
        Deputy.objects.filter(region=township)
        .filter(Q(id_number__isnull=True) | Q(id_number=""))
        .values_list("name", flat=True)
    )


def _constituency_keys(constituencies) -> dict[str, Constituency]:
    keys = {}
    for c in constituencies:
        for key in (c.name, str(c), f"第{c.number}选区", str(c.number), re.sub(r"选区$", "", c.name)):
            keys.setdefault(_SPACES.sub("", normalize(key)), c)
    return keys


def _parse_row(cell, table: Table, by_key, constituencies):
    """Values, errors and warnings of one data row; errors and warnings are (field, message)."""
    v: dict = {}
    errors: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []

    def take(key, fn, *args):
        try:
            return fn(*args)
        except FieldError as exc:
            errors.append((key, str(exc)))
            return None

    v["name"] = take("name", parse_name, cell("name"))
    id_raw = cell("id_number")
    if id_raw in (None, ""):
        errors.append(("id_number", "身份证号不能为空（导入时用身份证号识别同一人）。"))
        number = None
    else:
        parsed_id = take("id_number", parse_id_number, id_raw)
        number = parsed_id[0] if parsed_id else None
        if parsed_id and parsed_id[1]:
            warnings.append(("id_number", parsed_id[1]))
    v["id_number"] = number

    gender_raw = cell("gender")
    gender = None
    if gender_raw not in (None, ""):
        g = _SPACES.sub("", normalize(gender_raw)).upper()
        gender = GENDERS.get(g)
        if gender is None:
            errors.append(("gender", f"“{g}”无法识别，请填写“男”或“女”。"))
    birth = take("birth", parse_date, cell("birth"))
    if number:
        id_birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        id_gender = "M" if int(number[16]) % 2 else "F"
        if gender and gender != id_gender:
            errors.append(("gender", f"性别与身份证号不一致（按身份证号应为{Deputy.Gender(id_gender).label}）。"))
        gender = gender or id_gender
        if birth and not _same_birth(birth, id_birth):
            errors.append(
                (
                    "birth",
                    f"出生年月（{birth.text()}）与身份证号（{id_birth.year}年{id_birth.month}月{id_birth.day}日）不一致。",
                )
            )
        v["birth_date"] = id_birth
    elif birth:
        if birth.alt_month:
            errors.append(
                (
                    "birth",
                    f"出生年月“{birth.year}.{birth.month}”被Excel存成了数字，无法分辨是{birth.month}月还是{birth.alt_month}月，"
                    "请把该列设为文本后填写（如 1980.10）。",
                )
            )
        v["birth_date"] = birth.as_date()
    else:
        v["birth_date"] = None
    if v.get("birth_date") and _age(v["birth_date"]) < 18:
        errors.append(("birth", "按出生日期计算未满18周岁，请核对。"))
    v["gender"] = gender
    if gender is None and not number and gender_raw in (None, ""):
        errors.append(("gender", "性别不能为空。"))

    if "ethnicity" in table.columns:
        v["ethnicity"] = take("ethnicity", parse_ethnicity, cell("ethnicity"))
        if v["ethnicity"] is None and not any(k == "ethnicity" for k, _ in errors):
            errors.append(("ethnicity", "民族不能为空。"))
    v["phone"] = take("phone", parse_phone, cell("phone")) or ""

    if "party" in table.columns or "democratic_party" in table.columns:
        key = "party" if "party" in table.columns else "democratic_party"
        try:
            party, dem, warning = parse_party(cell("party"), cell("democratic_party"))
            v["party"], v["democratic_party"] = party, dem
            if warning:
                warnings.append((key, warning))
        except FieldError as exc:
            errors.append((key, str(exc)))
    v["education"] = take(
        "education", parse_choice, cell("education"), EDUCATION, [c.label for c in Deputy.Education], "学历"
    )
    v["occupation"] = take(
        "occupation", parse_choice, cell("occupation"), OCCUPATIONS, [c.label for c in Deputy.Occupation], "职业类别"
    )
    work_unit = _text(cell("work_unit"))
    if len(work_unit) > 200:
        errors.append(("work_unit", f"工作单位及职务超过200字（现为{len(work_unit)}字）。"))
    v["work_unit"] = work_unit
    v["levels"] = take("level", parse_levels, cell("level"))

    c_raw = cell("constituency")
    v["constituency"] = None
    if c_raw not in (None, "") and constituencies:
        if isinstance(c_raw, float) and c_raw.is_integer():
            c_raw = int(c_raw)
        key = _SPACES.sub("", normalize(c_raw))
        match = by_key.get(key) or by_key.get(re.sub(r"选区$", "", key))
        if match is None:
            names = _allowed(str(c) for c in constituencies[:30])
            errors.append(("constituency", f"本镇没有选区“{key}”。可填写：{names}。"))
        else:
            v["constituency"] = match.pk
    elected = take("elected_on", parse_date, cell("elected_on"))
    v["elected_on"] = elected.as_date() if elected else None
    v["reelected"] = take("reelected", parse_bool, cell("reelected"))
    v["returned_overseas"] = take("returned_overseas", parse_bool, cell("returned_overseas"))
    note = _text(cell("note"))
    if len(note) > 200:
        errors.append(("note", "备注超过200字。"))
    v["note"] = note
    return v, errors, warnings


def _same_birth(given: DateValue, id_birth: datetime.date) -> bool:
    if given.year != id_birth.year:
        return False
    months = {given.month, given.alt_month} - {None}
    if id_birth.month not in months:
        return False
    # A date cell formatted 1980年1月 holds the 1st: it said the month, not the day.
    return given.day in (None, 1) or given.day == id_birth.day


def _age(born: datetime.date) -> int:
    today = _today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# --- the batch: check, store, commit ----------------------------------------------------------


def _read_batch_file(batch: ImportBatch) -> bytes:
    try:
        with batch.file.open("rb") as fh:
            return fh.read()
    except (FileNotFoundError, ValueError, OSError):
        raise ImportFileError("上传的文件已不存在，请重新上传。")


def store_analysis(batch: ImportBatch, result: Analysis, state: str = ImportBatch.State.PARSED) -> None:
    """Keep what the check found on the batch. Written with update(): the problem list
    and preview are no row change worth an audit entry each time."""
    fields = {
        "state": state,
        "message": "",
        "total_rows": result.total_rows,
        "create_count": result.create_count,
        "existing_count": result.existing_count,
        "error_count": result.error_count,
        "warning_count": result.warning_count,
        "problems": result.problems,
        "rows": result.rows,
    }
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)
    for name, value in fields.items():
        setattr(batch, name, value)


def fail_batch(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, message=message[:500])
    batch.state, batch.message = ImportBatch.State.FAILED, message[:500]


def check_batch(batch: ImportBatch, table: Table | None = None, progress: Progress = _no_progress) -> Analysis | None:
    """Read (unless given) and check the batch's file, and store the outcome on the batch.
    A file-level problem ends the batch as failed with its message."""
    try:
        if table is None:
            progress(1, "正在读取文件")
            table = read_table(_read_batch_file(batch))
        result = analyse(table, batch.region, progress)
    except ImportFileError as exc:
        fail_batch(batch, str(exc))
        return None
    store_analysis(batch, result)
    return result


class CommitRefused(Exception):
    """The commit found errors (or nothing to do) and saved nothing; the message says why."""


def commit_batch(batch: ImportBatch, user, policy: str, progress: Progress = _no_progress, actor=None) -> dict:
    """Write the batch into the registry, all or nothing: re-read and re-check the file
    against the database as it is now; with any error, save nothing. New deputies get a
    serving mandate in the current term; registered ones of this township are updated
    (blank cells keep their values) or skipped, as `policy` says. One audit entry records
    the whole commit, since bulk writes pass no signals. `actor` stands in for the request
    in the audit entry when a background job commits."""
    township = batch.region
    progress(1, "正在读取文件")
    try:
        table = read_table(_read_batch_file(batch))
    except ImportFileError as exc:
        fail_batch(batch, str(exc))
        raise CommitRefused(str(exc))
    result = analyse(table, township, lambda p, m="": progress(p * 0.4, m))
    if result.error_count:
        store_analysis(batch, result)
        raise CommitRefused(f"文件中还有 {result.error_count} 处错误，未导入任何数据。请修改后重新上传。")
    update = policy == ImportBatch.Policy.UPDATE
    new_rows = [r for r in result.values if r not in result.existing]
    existing_rows = [r for r in result.values if r in result.existing]
    today = timezone.localdate()
    try:
        with transaction.atomic():
            progress(45, "正在新增代表")
            deputies = []
            for r in new_rows:
                v = result.values[r]
                deputies.append(
                    Deputy(
                        region=township,
                        name=v["name"],
                        name_initials=name_initials(v["name"]),
                        gender=v["gender"],
                        ethnicity=v.get("ethnicity") or "汉族",
                        birth_date=v.get("birth_date"),
                        id_number=v["id_number"],
                        phone=v.get("phone") or "",
                        party=v.get("party") or Deputy.Party.MASSES,
                        democratic_party=v.get("democratic_party") or "",
                        education=v.get("education") or "",
                        occupation=v.get("occupation") or Deputy.Occupation.OTHER,
                        work_unit=v.get("work_unit") or "",
                        reelected=bool(v.get("reelected")),
                        returned_overseas=bool(v.get("returned_overseas")),
                        note=v.get("note") or "",
                    )
                )
            Deputy.objects.bulk_create(deputies, batch_size=1000)
            if any(d.pk is None for d in deputies):  # a backend that returns no ids
                ids = dict(
                    Deputy.objects.filter(region=township, id_number__in=[d.id_number for d in deputies]).values_list(
                        "id_number", "pk"
                    )
                )
                for d in deputies:
                    d.pk = ids[d.id_number]
            deputy_of = {r: d.pk for r, d in zip(new_rows, deputies, strict=True)}

            updated = 0
            if update and existing_rows:
                progress(65, "正在更新已有代表")
                targets = Deputy.objects.in_bulk([result.existing[r] for r in existing_rows])
                changed_fields: set[str] = set()
                to_save = []
                for r in existing_rows:
                    d = targets[result.existing[r]]
                    changes = {f: val for f, val in _update_values(result.values[r]).items() if getattr(d, f) != val}
                    if not changes:
                        continue
                    for f, val in changes.items():
                        setattr(d, f, val)
                    if "name" in changes:
                        d.name_initials = name_initials(d.name)
                        changes["name_initials"] = d.name_initials
                    changed_fields |= set(changes)
                    to_save.append(d)
                if to_save:
                    Deputy.objects.bulk_update(to_save, sorted(changed_fields), batch_size=500)
                updated = len(to_save)
                deputy_of.update({r: result.existing[r] for r in existing_rows})

            progress(80, "正在登记代表资格")
            mandates = _mandates(result, deputy_of, township, today)
            Mandate.objects.bulk_create(mandates, batch_size=1000)

            skipped = 0 if update else len(existing_rows)
            # What the check announced (将新增 / 本镇已登记) stays on the batch after the commit.
            create_count, existing_count = result.create_count, result.existing_count
            for summary in result.rows:
                r = summary["row"]
                if summary["action"] == "create":
                    summary["action"], summary["deputy"] = "created", deputy_of[r]
                elif summary["action"] == "existing":
                    summary["action"] = "updated" if update else "skipped"
            now = timezone.now()
            fields = {
                "state": ImportBatch.State.COMMITTED,
                "policy": policy,
                "message": "",
                "created_count": len(deputies),
                "updated_count": updated,
                "skipped_count": skipped,
                "committed_at": now,
                "committed_by": user,
                "rows": result.rows,
                "problems": result.problems,
                "total_rows": result.total_rows,
                "create_count": create_count,
                "existing_count": existing_count,
                "error_count": 0,
                "warning_count": result.warning_count,
            }
            ImportBatch.objects.filter(pk=batch.pk).update(**fields)
            for name, value in fields.items():
                setattr(batch, name, value)
            audit_event(
                AuditEntry.Action.IMPORT,
                instance=batch,
                note=(
                    f"导入代表信息（{township.name}，文件“{batch.original_name}”）：新增代表 {len(deputies)} 名，"
                    f"更新 {updated} 名，跳过 {skipped} 名，登记代表资格 {len(mandates)} 条。"
                ),
                request=actor,
            )
    except IntegrityError:
        # Someone registered one of these numbers between the check and the commit.
        raise CommitRefused("导入时发现身份证号与刚登记的代表冲突，未导入任何数据。请重新上传文件校验。")
    if len(deputies) >= BIG_IMPORT_ANALYZE and connection.vendor == "postgresql":
        # Thousands of new rows at once skew the planner until autovacuum catches up (it
        # may be off): refresh the statistics the roster and structure pages rely on.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE deputies_deputy, deputies_mandate")
    progress(99, "导入完成")
    return {"created": len(deputies), "updated": updated, "skipped": skipped, "mandates": len(mandates)}


def _mandates(result: Analysis, deputy_of: dict[int, int], township: Region, today) -> list[Mandate]:
    """A serving mandate per level the row names, in the current term, unless the deputy
    already holds one (a re-elected deputy updated from an earlier term gets the new one)."""
    terms = {"township": result.township_term, "county": result.county_term}
    regions = {"township": township, "county": township.parent}
    wanted = []
    for r, pk in deputy_of.items():
        v = result.values[r]
        for level in v.get("levels") or ["township"]:
            term = terms.get(level)
            if term is None:
                continue  # 市/省/全国: no term of those congresses is kept here
            wanted.append((pk, level, term, v))
    held = set()
    pks = sorted({w[0] for w in wanted})
    for start in range(0, len(pks), 2000):
        held |= set(
            Mandate.objects.filter(deputy_id__in=pks[start : start + 2000], status=Mandate.Status.SERVING).values_list(
                "deputy_id", "level", "term_id"
            )
        )
    mandates = []
    for pk, level, term, v in wanted:
        if (pk, level, term.pk) in held:
            continue
        mandates.append(
            Mandate(
                deputy_id=pk,
                level=level,
                region=regions[level],
                term=term,
                constituency_id=v.get("constituency") if level == "township" else None,
                status=Mandate.Status.SERVING,
                elected_on=v.get("elected_on") or term.start_date,
            )
        )
    return mandates


def problem_text(p: dict) -> str:
    """第N行「列名」：message, the way the preview and the report list a problem."""
    if p.get("row"):
        return f"第{p['row']}行「{p['column']}」：{p['message']}"
    return p["message"]


# --- the template and the report ---------------------------------------------------------------


def build_template(township: Region | None = None) -> bytes:
    """The import template: a title row, the header, one example row (ignored on import),
    drop-down lists for the coded columns, text format where Excel would mangle numbers
    (ID numbers, dates like 1980.10, phone numbers) and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "代表信息"
    last = get_column_letter(len(COLUMNS))
    title = f"{township.name if township else ''}人大代表信息登记表"
    ws["A1"] = title
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32
    thin = Side(style="thin", color="999999")
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=i, value=col.label)
        required = col.key in REQUIRED_COLUMNS
        cell.font = Font(bold=True, color="C00000" if required else "000000")
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.row_dimensions[2].height = 22
    ws.freeze_panes = "B3"
    first17 = "11010119800101001"
    example = {
        "name": "张三（示例）", "gender": "男", "ethnicity": "汉族", "birth": "1980.01",
        "id_number": first17 + id_checksum(first17), "phone": "13912345678", "party": "中共党员",
        "democratic_party": "", "education": "大学本科", "occupation": "基层干部",
        "work_unit": "××村党支部书记、村委会主任", "level": "乡镇", "constituency": "第1选区",
        "elected_on": "2021.12", "reelected": "是", "returned_overseas": "否", "note": f"{EXAMPLE_NOTE}，导入时自动忽略，可删除",
    }  # fmt: skip
    grey = Font(color="808080", italic=True)
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=3, column=i, value=example[col.key])
        cell.font = grey
        cell.number_format = "@"
    # Text format: Excel keeps 110101198001010011, 1980.10 and 0310-… as typed.
    text_columns = {"birth", "id_number", "phone", "elected_on", "constituency"}
    for i, col in enumerate(COLUMNS, start=1):
        if col.key in text_columns:
            ws.column_dimensions[get_column_letter(i)].number_format = "@"
            for r in range(4, 1004):
                ws.cell(row=r, column=i).number_format = "@"

    lists = wb.create_sheet("选项")
    choice_lists = {
        "gender": ["男", "女"],
        "ethnicity": list(ETHNICITIES),
        "party": ["中共党员", "中共预备党员", *DEMOCRATIC_PARTIES, "无党派人士", "群众"],
        "democratic_party": list(DEMOCRATIC_PARTIES),
        "education": [c.label for c in Deputy.Education],
        "occupation": [c.label for c in Deputy.Occupation],
        "level": ["乡镇", "县", "市", "省", "全国", "乡镇、县"],
        "reelected": ["是", "否"],
        "returned_overseas": ["是", "否"],
    }
    if township is not None:
        names = [str(c) for c in Constituency.objects.filter(region=township)]
        if names:
            choice_lists["constituency"] = names
    position = {c.key: i for i, c in enumerate(COLUMNS, start=1)}
    for j, (key, values) in enumerate(choice_lists.items(), start=1):
        letter = get_column_letter(j)
        lists.cell(row=1, column=j, value=LABELS[key])
        for r, value in enumerate(values, start=2):
            lists.cell(row=r, column=j, value=value)
        dv = DataValidation(
            type="list",
            formula1=f"'选项'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=key not in ("constituency", "level"),
            errorTitle="请从下拉列表中选择",
            error=f"“{LABELS[key]}”请从下拉列表中选择。",
        )
        target = get_column_letter(position[key])
        dv.add(f"{target}3:{target}5002")
        ws.add_data_validation(dv)
    lists.sheet_state = "hidden"

    guide = wb.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 110
    lines = [
        "代表信息登记表填写说明",
        "1. 请在“代表信息”工作表第3行起逐行填写，每位代表一行；第3行为示例行（备注为“示例行”），导入时自动忽略，可直接覆盖或删除。",
        "2. 姓名、身份证号为必填项（表头红色）。系统用身份证号识别同一人：请填写18位号码，末位 X 大小写均可；15位旧号码会自动升为18位。",
        "3. 身份证号、出生年月、联系电话、当选日期列已设为文本格式。从其他表格粘贴时请用“选择性粘贴—数值”，"
        "并确认身份证号没有变成 1.10101E+17 这样的科学计数（那样末几位已丢失，需重新填写）。",
        "4. 出生年月可写 1980.01、1980年1月、1980-01-05 等；年份须写四位。与身份证号不一致时将报错（以身份证号为准）；"
        "性别、出生年月留空时按身份证号填入。",
        "5. 民族请填写56个民族的规范名称（如 汉族、回族、满族），可从下拉列表选择。",
        f"6. 政治面貌：中共党员（含预备党员）、民主党派（可直接填 {_allowed(DEMOCRATIC_PARTIES)}）、无党派人士、群众。",
        f"7. 学历：{_allowed(c.label for c in Deputy.Education)}。职业类别：{_allowed(c.label for c in Deputy.Occupation)}。",
        "8. 层级：乡镇、县、市、省、全国，不填为乡镇；同时是县人大代表的填“乡镇、县”。新增代表自动登记为本届在任代表。",
        "9. 选区：填写本镇已设置的选区（如“第1选区”）；当选日期不填时按本届起始日期登记。是否连任、是否归侨填“是”或“否”，空白为“否”。",
        "10. 身份证号已在本镇登记的代表，导入时可选择“更新已有记录”或“跳过”；更新时空白单元格不会覆盖已登记的信息。"
        "已在其他乡镇登记的身份证号不能导入。",
        f"11. 上传后系统先校验并列出问题（第N行「列名」：问题），没有错误时才能确认导入；导入要么全部成功，要么全部不导入。"
        f"单个文件不超过20MB、{MAX_ROWS:,}行；超过{BACKGROUND_ROWS:,}行时在后台校验和导入，页面显示进度。",
        "12. 请保存为 Excel 工作簿（.xlsx）格式上传，不支持 .xls、.csv。",
    ]
    for r, line in enumerate(lines, start=1):
        cell = guide.cell(row=r, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == 1:
            cell.font = Font(bold=True, size=14)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ACTION_LABELS = {
    "create": "将新增",
    "existing": "已登记（更新或跳过）",
    "error": "有错误",
    "created": "已新增",
    "updated": "已更新",
    "skipped": "已跳过",
}


def write_report(batch: ImportBatch, path: Path) -> None:
    """The check's outcome as a workbook: every problem, then every row with what happens
    to it (ID numbers masked)."""
    problems = batch.problems or []
    by_row: dict[int, list[str]] = {}
    for p in problems:
        if p.get("row"):
            by_row.setdefault(p["row"], []).append(
                f"{'错误' if p['level'] == 'error' else '提示'}：「{p['column']}」{p['message']}"
            )
    rows = [
        [r["row"], r["name"], r["id"], ACTION_LABELS.get(r["action"], r["action"]), "；".join(by_row.get(r["row"], []))]
        for r in batch.rows or []
    ]
    general = [
        ["", "", "", "整个文件", ("错误：" if p["level"] == "error" else "提示：") + p["message"]]
        for p in problems
        if not p.get("row")
    ]
    write_sheet(
        path,
        title="导入校验结果",
        header=["Excel行号", "姓名", "身份证号", "处理", "问题"],
        rows=general + rows,
        widths=[10, 12, 22, 18, 90],
    )


# --- background jobs ----------------------------------------------------------------------------


def _job_batch(ctx) -> ImportBatch:
    batch = (
        ImportBatch.objects.select_related("region", "region__parent")
        .filter(pk=ctx.params.get("batch_id"), region=ctx.region)
        .first()
    )
    if batch is None:
        raise JobError("导入批次不存在或不在任务范围内。")
    return batch


class JobActor:
    """What the audit log reads from a request, for a commit run by a job: the user who
    asked for it and the job as the path (no IP: the worker is not where the user is)."""

    META: dict = {}

    def __init__(self, ctx):
        self.user = ctx.user
        self.path = f"/org/jobs/{ctx.job.pk}/"


@register_job("deputy_import_parse", "代表信息导入：校验", roles=(Role.TOWNSHIP_CLERK,))
def parse_job(ctx) -> str:
    """Check a large uploaded roster in the background; the job's file is the check report."""
    batch = _job_batch(ctx)
    if batch.state != ImportBatch.State.PARSING:
        raise JobError("该导入批次已校验过，无需重复校验。")
    try:
        result = check_batch(batch, progress=ctx.progress)
    except Exception:
        fail_batch(batch, f"校验时出现内部错误（任务编号 {ctx.job.pk}），请联系系统管理员。")
        raise
    if result is None:
        raise JobError(batch.message)
    ctx.job.message = f"校验完成：{batch.total_rows} 行，错误 {batch.error_count} 处，提示 {batch.warning_count} 处"
    write_report(batch, ctx.output_path)
    return f"代表信息导入校验结果-{batch.region.name}-批次{batch.pk}.xlsx"


@register_job("deputy_import_commit", "代表信息导入：写入", roles=(Role.TOWNSHIP_CLERK,))
def commit_job(ctx) -> str:
    """Commit a large checked roster in the background (all or nothing)."""
    batch = _job_batch(ctx)
    if batch.state != ImportBatch.State.COMMITTING:
        raise JobError("该导入批次不在待导入状态。")
    policy = ctx.params.get("policy", ImportBatch.Policy.SKIP)
    try:
        counts = commit_batch(batch, ctx.user, policy, progress=ctx.progress, actor=JobActor(ctx))
    except CommitRefused as exc:
        if batch.state == ImportBatch.State.COMMITTING:
            ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.PARSED, message=str(exc)[:500])
        raise JobError(str(exc))
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportBatch.State.PARSED, message=f"导入时出现内部错误（任务编号 {ctx.job.pk}），未导入任何数据。"
        )
        raise
    ctx.job.message = f"导入完成：新增 {counts['created']} 名，更新 {counts['updated']} 名，跳过 {counts['skipped']} 名"
    write_report(batch, ctx.output_path)
    return f"代表信息导入结果-{batch.region.name}-批次{batch.pk}.xlsx"
