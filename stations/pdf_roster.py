"""The 值日表 of a room as an A4 PDF to hang on the wall (WeasyPrint): room, address, opening
hours, reception day, and a table of date, weekday, hours, deputies on duty and the room
manager's phone, with 第 X 页 共 Y 页 below.

Fonts as in deputies/pdf.py: every font stack names "Noto Sans CJK SC" (a missing Chinese
glyph would be drawn as an empty box, not an error), and nothing is fetched over the network.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from org.pdf import html_to_pdf

from . import selectors_roster as selectors


def roster_context(station, year: int, month: int | None) -> dict:
    start, end = selectors.period(year, month)
    days = list(selectors.station_days(station, start, end))
    for entry in days:
        entry.weekday = selectors.weekday_label(entry.date)
    return {
        "station": station,
        "label": selectors.period_label(year, month),
        "year": year,
        "month": month,
        "days": days,
        "generated_at": timezone.localtime(),
    }


def roster_pdf(request, station, year: int, month: int | None) -> bytes:
    """The room's duty days of a month (or of the year when `month` is None) as PDF bytes."""

    html = render_to_string("stations/roster/pdf.html", roster_context(station, year, month), request=request)
    return html_to_pdf(html)


def roster_filename(station, year: int, month: int | None) -> str:
    return f"值日表-{station.name}-{selectors.period_label(year, month)}.pdf"
