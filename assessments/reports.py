"""The assessment's reports: the Excel workbook (XlsxWriter), the county's notice 通报 and a
township's annual report (PDF through WeasyPrint, org/pdf.py).

Charts are SVG drawn here, inline in the HTML, with Chinese labels in Noto Sans CJK SC (the
font the PDF embeds); no chart library. Long tables repeat their header on each page
(thead as table-header-group). Every text cell of the workbook goes through
org.xlsx.safe_cell, so a township's text can never run as a formula.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html import escape
from pathlib import Path

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone

from org.pdf import html_to_pdf
from org.xlsx import safe_cell

from . import selectors_assessment as selectors
from .models import Assessment, Score, TownshipResult

FONT = "Noto Sans CJK SC"


# --- SVG charts -------------------------------------------------------------------------


def bar_chart_svg(
    rows: list[tuple[str, float | Decimal | None]],
    *,
    max_value: float,
    title: str = "",
    second: list[float | Decimal | None] | None = None,
    legend: tuple[str, str] = ("", ""),
    width: int = 640,
) -> str:
    """A horizontal bar chart: one bar per (label, value), optional second bar (last year)
    beside each; the label on the left, the value at the bar's end."""
    bar_h, gap, label_w, top = 14, 10, 150, 34 if title else 10
    per_row = bar_h * (2 if second else 1) + gap
    plot_w = width - label_w - 60
    height = top + per_row * len(rows) + 24
    max_value = float(max_value) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11">'
    ]
    if title:
        parts.append(f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">'
                     f"{escape(title)}</text>")  # fmt: skip
    for i, (label, value) in enumerate(rows):
        y = top + i * per_row
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 3}" text-anchor="end">{escape(str(label))}</text>')
        bars = [(value, "#b22222")] + ([(second[i], "#9aa7b8")] if second else [])
        for j, (v, colour) in enumerate(bars):
            by = y + j * bar_h
            v = float(v or 0)
            w = max(0.0, min(v / max_value, 1.0)) * plot_w
            parts.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}"/>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{by + bar_h - 4}" font-size="10">{v:g}</text>')
    axis_y = top + per_row * len(rows)
    parts.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{axis_y}" stroke="#333"/>')
    if second and any(legend):
        parts.append(f'<rect x="{label_w}" y="{axis_y + 8}" width="10" height="10" fill="#b22222"/>'
                     f'<text x="{label_w + 14}" y="{axis_y + 17}">{escape(legend[0])}</text>'
                     f'<rect x="{label_w + 90}" y="{axis_y + 8}" width="10" height="10" fill="#9aa7b8"/>'
                     f'<text x="{label_w + 104}" y="{axis_y + 17}">{escape(legend[1])}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


# --- the workbook ---------------------------------------------------------------------------


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "", name)[:28] or "表"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}{n}", n + 1
    used.add(candidate)
    return candidate


def _num(v):
    return None if v is None else float(v)


def _data(assessment: Assessment) -> dict:
    sections = selectors.checklist(assessment)
    items = [i for s in sections for i in s.items.all()]
    results = list(
        TownshipResult.objects.filter(assessment=assessment)
        .select_related("township")
        .order_by("rank", "township__code")
    )
    scores = {(s.item_id, s.township_id): s for s in Score.objects.filter(item__section__assessment=assessment)}
    last = selectors.last_year_points(assessment, [r.township_id for r in results])
    last_totals = selectors.last_year_totals(assessment)
    return {"sections": sections, "items": items, "results": results, "scores": scores, "last": last,
            "last_totals": last_totals}  # fmt: skip


def write_workbook(assessment: Assessment, path: Path, progress=None) -> None:
    """The assessment workbook: 排名 (total, grade, rank, last year's total), one sheet per
    section (townships × its items) and one per township (its items with last year's points)."""
    progress = progress or (lambda *a, **k: None)
    d = _data(assessment)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    title_f = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter",
                             "font_name": FONT})  # fmt: skip
    head = wb.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1, "align": "center", "valign": "vcenter",
                          "text_wrap": True, "font_name": FONT})  # fmt: skip
    text = wb.add_format({"border": 1, "font_name": FONT, "text_wrap": True, "valign": "top"})
    num = wb.add_format({"border": 1, "num_format": "0.0", "font_name": FONT})
    val = wb.add_format({"border": 1, "num_format": "0.000", "font_name": FONT})
    used: set[str] = set()

    def setup(ws, header_rows: int, last_col: int):
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.repeat_rows(header_rows - 1)
        ws.freeze_panes(header_rows, 1)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页 共 &N 页")

    # 排名
    ws = wb.add_worksheet(_sheet_name("排名", used))
    header = ["排名", "乡镇", "总分", "等次", "上年总分"]
    ws.merge_range(0, 0, 0, len(header) - 1, safe_cell(f"{assessment}排名"), title_f)
    ws.write_row(1, 0, header, head)
    for r, res in enumerate(d["results"], start=2):
        ws.write_number(r, 0, res.rank or 0, text) if res.rank else ws.write_blank(r, 0, None, text)
        ws.write_string(r, 1, safe_cell(res.township.name), text)
        ws.write_number(r, 2, float(res.total), num)
        ws.write_string(r, 3, res.get_grade_display() if res.grade else "", text)
        lt = d["last_totals"].get(res.township_id)
        ws.write(r, 4, _num(lt), num)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 4, 12)
    setup(ws, 2, len(header) - 1)

    # One sheet per section
    for section in d["sections"]:
        items = list(section.items.all())
        ws = wb.add_worksheet(_sheet_name(section.title, used))
        header = ["乡镇"] + [f"{i.title}（{i.points}分）" for i in items] + ["小计"]
        ws.merge_range(0, 0, 0, max(len(header) - 1, 1), safe_cell(f"{section.title}得分"), title_f)
        ws.write_row(1, 0, [safe_cell(h) for h in header], head)
        ws.set_row(1, 45)
        for r, res in enumerate(d["results"], start=2):
            ws.write_string(r, 0, safe_cell(res.township.name), text)
            subtotal = Decimal(0)
            for c, item in enumerate(items, start=1):
                s = d["scores"].get((item.pk, res.township_id))
                p = s.points if s else None
                subtotal += p or 0
                ws.write(r, c, _num(p), num)
            ws.write_number(r, len(items) + 1, float(subtotal), num)
        ws.set_column(0, 0, 16)
        ws.set_column(1, len(items) + 1, 14)
        setup(ws, 2, len(header) - 1)
    progress(40, "正在写入各乡镇明细")

    # One sheet per township
    for n, res in enumerate(d["results"], start=1):
        ws = wb.add_worksheet(_sheet_name(res.township.name, used))
        header = ["部分", "考核项目", "分值", "计算值", "得分", "上年得分", "评分说明"]
        grade = res.get_grade_display() if res.grade else "未定等次"
        ws.merge_range(0, 0, 0, len(header) - 1,
                       safe_cell(f"{res.township.name}　总分 {res.total}　{grade}　排名 {res.rank or '—'}"),
                       title_f)  # fmt: skip
        ws.write_row(1, 0, header, head)
        r = 2
        for item in d["items"]:
            s = d["scores"].get((item.pk, res.township_id))
            ws.write_string(r, 0, safe_cell(item.section.title if hasattr(item, "section") else ""), text)
            ws.write_string(r, 1, safe_cell(item.title), text)
            ws.write_number(r, 2, float(item.points), num)
            ws.write(r, 3, _num(s.value) if s else None, val)
            ws.write(r, 4, _num(s.points) if s else None, num)
            ws.write(r, 5, _num(d["last"].get((item.title, res.township_id))), num)
            ws.write_string(r, 6, safe_cell(s.comment if s else ""), text)
            r += 1
        ws.write_string(r, 1, "合计", head)
        ws.write_number(r, 4, float(res.total), num)
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 5, 10)
        ws.set_column(6, 6, 30)
        setup(ws, 2, len(header) - 1)
        progress(40 + 55 * n / max(len(d["results"]), 1), f"正在写入：{res.township.name}")
    wb.close()


def workbook_filename(assessment: Assessment) -> str:
    return f"{assessment.region.name}{assessment.year}年度乡镇人大工作目标考核.xlsx"


# --- the 通报 ---------------------------------------------------------------------------------


def notice_title(assessment: Assessment) -> str:
    return f"关于{assessment.year}年度乡镇人大工作目标考核结果的通报"


def notice_pdf(assessment: Assessment) -> bytes:
    """The county's notice: title, the ranking table, the count of each grade and a bar chart
    of the totals."""
    d = _data(assessment)
    results = d["results"]
    chart = bar_chart_svg(
        [(r.township.name, r.total) for r in results],
        max_value=float(sum((i.points for i in d["items"]), Decimal(0)) or 100),
        title=f"{assessment.year}年度各乡镇考核总分",
    )
    html = render_to_string(
        "assessments/assessment/pdf_notice.html",
        {
            "assessment": assessment,
            "title": notice_title(assessment),
            "results": results,
            "last_totals": d["last_totals"],
            "grades": selectors.grade_counts(results),
            "chart": chart,
            "sections": d["sections"],
            "generated_at": timezone.localtime(),
        },
    )
    return html_to_pdf(html)


def notice_filename(assessment: Assessment) -> str:
    return f"{assessment.region.name}{assessment.year}年度目标考核通报.pdf"


# --- a township's annual report --------------------------------------------------------------


def township_report_pdf(result: TownshipResult) -> bytes:
    """A township's year: its numbers, rooms, its scores with last year's beside and a chart."""
    assessment = result.assessment
    detail = selectors.township_detail(result)
    rows = [row for block in detail for row in block["rows"]]
    chart = bar_chart_svg(
        [(row["item"].title[:12], row["score"].points if row["score"] else 0) for row in rows],
        max_value=float(max((row["item"].points for row in rows), default=10)),
        title="各项得分与上年对比",
        second=[row["last"] or 0 for row in rows],
        legend=(f"{assessment.year}年", f"{assessment.year - 1}年"),
    )
    html = render_to_string(
        "assessments/assessment/pdf_township.html",
        {
            "assessment": assessment,
            "result": result,
            "title": f"{result.township.name}{assessment.year}年度人大工作报告",
            "numbers": selectors.township_numbers(result.township, assessment.year),
            "detail": detail,
            "last_total": selectors.last_year_totals(assessment).get(result.township_id),
            "chart": chart,
            "generated_at": timezone.localtime(),
        },
    )
    return html_to_pdf(html)


def township_report_filename(result: TownshipResult) -> str:
    return f"{result.township.name}{result.assessment.year}年度人大工作报告.pdf"
