"""The paper of a session's livelihood-project vote (WeasyPrint, A4): the 票决票 each deputy
marks, and the 结果公告 posted after the vote.

Fonts as in deputies/pdf.py: every font stack names "Noto Sans CJK SC" / "Noto Serif CJK SC"
(a missing Chinese glyph would be drawn as an empty box, not an error), and nothing is
fetched over the network.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from org.pdf import html_to_pdf

from . import rules
from . import selectors_livelihood as selectors
from . import services_livelihood as services
from .models import LivelihoodProject


def _write(html: str) -> bytes:

    return html_to_pdf(html)


def _year(meeting, projects) -> int:
    return projects[0].year if projects else meeting.date.year


def ballot_context(meeting, places: int | None = None) -> dict:
    # The ballot lists the projects in the order they were shortlisted (registered).
    projects = list(selectors.meeting_projects(meeting).order_by("pk"))
    if not projects:
        raise ValidationError("本次会议还没有提交票决的民生实事项目，无法生成票决票。")
    # After a tie only the tied projects are voted on again: the ballot holds those.
    pending = [p for p in projects if p.state == LivelihoodProject.State.ON_AGENDA]
    revote = bool(pending) and len(pending) < len(projects)
    return {
        "meeting": meeting,
        "year": _year(meeting, projects),
        "projects": pending if pending else projects,
        "revote": revote,
        "places": places if places and places < len(pending or projects) else None,
        "generated_at": timezone.localtime(),
    }


def ballot_pdf(request, meeting, places: int | None = None) -> bytes:
    """The 票决票 of `meeting`'s livelihood vote as PDF bytes."""
    html = render_to_string("congress/livelihood/pdf_ballot.html", ballot_context(meeting, places), request=request)
    return _write(html)


def notice_context(meeting) -> dict:
    state = services.vote_state(meeting)
    if not state.decided:
        raise ValidationError("本次会议的票决结果尚未确定，无法生成结果公告。")
    projects = list(selectors.meeting_projects(meeting))
    for p in projects:
        p.passed = rules.passes(yes=p.yes, serving=state.serving)
    adopted = [p for p in projects if p.state in selectors.ADOPTED_STATES]
    return {
        "meeting": meeting,
        "year": _year(meeting, projects),
        "vote": state,
        "projects": projects,
        "adopted": adopted,
        "pending": state.pending,
        "majority": rules.majority_needed(state.serving),
        "signed_on": meeting.end_date or meeting.date,
        "generated_at": timezone.localtime(),
    }


def notice_pdf(request, meeting) -> bytes:
    """The 结果公告 of `meeting`'s livelihood vote as PDF bytes."""
    html = render_to_string("congress/livelihood/pdf_notice.html", notice_context(meeting), request=request)
    return _write(html)


def ballot_filename(meeting) -> str:
    return f"民生实事项目票决票-{meeting.region.name}-{meeting.date:%Y%m%d}.pdf"


def notice_filename(meeting) -> str:
    return f"民生实事项目票决结果公告-{meeting.region.name}-{meeting.date:%Y%m%d}.pdf"
