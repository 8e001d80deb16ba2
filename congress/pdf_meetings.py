"""Printable papers of a meeting (WeasyPrint, A4): the sign-in sheet 签到表 with a blank
signature column and the header repeated on every page, the ballots 表决票 / 选票 of an
agenda item (several to an A4 sheet, to cut), and the minutes 会议纪要 with the attendance
summary and the agenda's results.

Fonts as in deputies/pdf.py: every font stack names "Noto Sans CJK SC" / "Noto Serif CJK SC"
(a missing Chinese glyph would be an empty box, not an error), and nothing is fetched over
the network.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from org.pdf import html_to_pdf

from . import selectors_meetings as selectors
from .models import AgendaItem, Attendance, Meeting

# Ballots to an A4 sheet: 1 (full page) or 2 (top and bottom halves, cut along the line).
BALLOTS_PER_PAGE = (1, 2)
# Blank write-in rows (另选他人) on an election ballot.
WRITE_IN_ROWS = 1


def _write(html: str) -> bytes:

    return html_to_pdf(html)


def sheet_deputies(meeting: Meeting) -> list:
    """Who signs in: the stored roll when there is one, else the deputies who belong on it
    (serving on the meeting's date)."""
    rows = selectors.roll_rows(meeting)
    if rows:
        return [r.deputy for r in rows]
    return list(selectors.roll_deputies(meeting))


def signin_pdf(request, meeting: Meeting) -> bytes:
    """The sign-in sheet: a row per deputy with a blank signature column."""
    deputies = sheet_deputies(meeting)
    ctx = {
        "meeting": meeting,
        "deputies": deputies,
        "serving": meeting.serving_count or len(deputies),
        "generated_at": timezone.localtime(),
    }
    return _write(render_to_string("congress/meetings/pdf_signin.html", ctx, request=request))


def ballot_context(item: AgendaItem, *, copies: int, per_page: int) -> dict:
    meeting = item.meeting
    positions: list[dict] = []
    if item.kind == AgendaItem.Kind.ELECTION:
        by_position: dict[str, list] = {}
        for c in selectors.item_candidates(item):
            by_position.setdefault(c.position, []).append(c)
        # The ballot lists candidates by position in the order entered, not by votes.
        for position, people in by_position.items():
            people.sort(key=lambda c: c.pk)
            positions.append({"position": position, "candidates": people, "write_ins": range(WRITE_IN_ROWS)})
    return {
        "meeting": meeting,
        "item": item,
        "is_election": item.kind == AgendaItem.Kind.ELECTION,
        "positions": positions,
        "copies": range(copies),
        "per_page": per_page,
        "choices": ["赞成", "反对", "弃权"],
        "generated_at": timezone.localtime(),
    }


def ballot_pdf(request, item: AgendaItem, *, copies: int, per_page: int) -> bytes:
    """`copies` ballots of an agenda item, `per_page` to an A4 sheet."""
    ctx = ballot_context(item, copies=copies, per_page=per_page)
    return _write(render_to_string("congress/meetings/pdf_ballot.html", ctx, request=request))


def minutes_context(meeting: Meeting) -> dict:
    rows = selectors.roll_rows(meeting)
    counts = {
        "present": sum(1 for r in rows if r.status == Attendance.Status.PRESENT),
        "leave": sum(1 for r in rows if r.status == Attendance.Status.LEAVE),
        "absent": sum(1 for r in rows if r.status == Attendance.Status.ABSENT),
        "total": len(rows),
    }
    agenda = list(meeting.agenda.prefetch_related("candidates").order_by("order", "pk"))
    for item in agenda:
        item.candidate_rows = sorted(item.candidates.all(), key=lambda c: (c.position, -c.votes, c.pk))
    return {
        "meeting": meeting,
        "summary": selectors.quorum_summary(meeting, counts),
        "on_leave": [r for r in rows if r.status == Attendance.Status.LEAVE],
        "absent": [r for r in rows if r.status == Attendance.Status.ABSENT],
        "agenda": agenda,
        "generated_at": timezone.localtime(),
    }


def minutes_pdf(request, meeting: Meeting) -> bytes:
    """The minutes: meeting, attendance summary and quorum, agenda with results, the text."""
    html = render_to_string("congress/meetings/pdf_minutes.html", minutes_context(meeting), request=request)
    return _write(html)


def filename(meeting: Meeting, what: str) -> str:
    return f"{what}-{meeting.title}.pdf"
