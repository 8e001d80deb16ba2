"""The registers 五簿一档 as a PDF (WeasyPrint), laid out like the paper books a room keeps:
each book opens with a cover (县, room, book, year, township) and then its ruled table on
A4 landscape, the header repeated on every page and 第 X 页 共 Y 页 below.

Fonts and fetching as in deputies/pdf.py: every font stack names "Noto Sans CJK SC" /
"Noto Serif CJK SC" (a missing glyph is an empty box, not an error), and the fetcher loads
only static files from disk and data: URIs, never the network.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from org.pdf import html_to_pdf

from .registers import ALL_BOOKS, REGISTERS, Column, Register, RegisterScope, cell_text, register_title

# Tables with more columns than this print in a smaller type (the 问题转办反馈记录簿).
DENSE_COLUMNS = 10


def _paper_width(column: Column) -> int:
    """A column's share of the printed width: the Excel width, but never so narrow that a
    date (2026.12.31) or a short label (已反馈) breaks over two lines."""
    if column.kind == "num":
        return max(column.width, 6)
    if column.kind == "date":
        return max(column.width, 13)
    if column.kind == "center":
        return max(column.width, 10)
    return column.width


def book_context(scope: RegisterScope, register: Register) -> dict:
    """One book: its title, columns (with widths as shares of the page) and every row as text."""
    columns = register.columns_for(scope)
    weights = [_paper_width(c) for c in columns]
    total = sum(weights)
    rows = [
        [{"text": cell_text(value, paper=True), "kind": col.kind} for col, value in zip(columns, row, strict=True)]
        for row in register.rows(scope)
    ]
    return {
        "register": register,
        "title": register_title(scope, register),
        "columns": [
            {"heading": c.heading, "kind": c.kind, "share": f"{100 * w / total:.2f}"}
            for c, w in zip(columns, weights, strict=True)
        ],
        "dense": len(columns) > DENSE_COLUMNS,
        "rows": rows,
    }


def registers_pdf(request, scope: RegisterScope, registers: list[Register]) -> tuple[bytes, dict[str, int]]:
    """The books as PDF bytes, and the rows each holds (for the audit line)."""

    books = [book_context(scope, r) for r in registers]
    township = scope.township
    station = scope.station
    ctx = {
        "scope": scope,
        "books": books,
        "subject": scope.subject_name,
        "county": scope.county_name,
        "township": township.name if township else "",
        "station": station,
        "year": scope.year,
        "generated_at": timezone.localtime(),
        "generated_by": getattr(request.user, "name", "") or request.user.get_username(),
    }
    html = render_to_string("stations/registers/pdf.html", ctx, request=request)
    content = html_to_pdf(html)
    return content, {b["register"].key: len(b["rows"]) for b in books}


def pdf_filename(scope: RegisterScope, book: str) -> str:
    label = "五簿" if book == ALL_BOOKS else REGISTERS[book].title
    return f"{scope.subject_name}-{scope.year}年{label}.pdf"
