"""Writing Excel files in constant memory, with cells that cannot run as formulas."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that Excel would read as a formula is prefixed with a quote (CSV/formula injection);
    control characters, which the file format cannot hold (openpyxl raises on them), are dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def write_sheet(path: Path, *, title: str, header: list[str], rows: Iterable[list], widths: list[int] | None = None):
    """One sheet, frozen bold header, given column widths; rows are streamed."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[_col(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    head = []
    for text in header:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    wb.save(path)


def _col(i: int) -> str:
    letters = ""
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
