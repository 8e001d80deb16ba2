"""Reads of the meetings part (人民代表大会会议 and 主席团会议): the list with roll counts in
one query, the deputies who belong on a meeting's roll, a roll's quorum summary, the items
and candidates of a meeting, and a deputy's attendance for the duty file.

Every function takes a queryset the caller has already scoped (`for_user`) or a row it
reached through one, so nothing here widens what a user sees. The statutory arithmetic
is congress.rules'.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from deputies.models import Deputy
from org.batch import aggregate
from org.models import Region, Term

from . import rules
from .models import AgendaItem, Attendance, DeputyVote, ElectionCandidate, Meeting, MeetingDocument

PRESENT = Attendance.Status.PRESENT
LEAVE = Attendance.Status.LEAVE
ABSENT = Attendance.Status.ABSENT


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def with_roll_counts(qs):
    """Annotate each meeting with the present / on-leave / absent counts of its roll."""
    return qs.annotate(
        present_count=Count("roll", filter=Q(roll__status=PRESENT)),
        leave_count=Count("roll", filter=Q(roll__status=LEAVE)),
        absent_count=Count("roll", filter=Q(roll__status=ABSENT)),
    )


def meeting_list(qs, *, year: int | None = None, kind: str = "", township: Region | None = None):
    """`qs` (scoped) narrowed by the list filters, newest first, with region, term and the
    roll's counts: a constant number of queries for a page."""
    if year:
        start, end = year_range(year)
        qs = qs.filter(date__gte=start, date__lte=end)
    if kind:
        qs = qs.filter(kind=kind)
    if township is not None:
        qs = qs.filter(region=township)
    return with_roll_counts(qs.select_related("region", "term")).order_by("-date", "-pk")


def meeting_years(qs) -> list[int]:
    """The years `qs` (scoped) has meetings in, newest first (for the year picker)."""
    return sorted({d.year for d in qs.dates("date", "year")}, reverse=True)


def meeting_detail(qs):
    """A meeting page's queryset: agenda with candidates, documents, the region and term."""
    return qs.select_related("region", "term", "created_by").prefetch_related(
        Prefetch("agenda", queryset=AgendaItem.objects.prefetch_related("candidates__deputy")),
        Prefetch("documents", queryset=MeetingDocument.objects.select_related("uploaded_by")),
    )


# --- the roll ---------------------------------------------------------------------------------


def roll_deputies(meeting: Meeting) -> QuerySet[Deputy]:
    """Who belongs on the roll: for a session, every deputy of the township serving on the
    meeting's date; for a presidium meeting, those of them holding a presidium role."""
    if meeting.kind == Meeting.Kind.PRESIDIUM:
        members = rules.serving_mandates_on(meeting.region, meeting.date).exclude(presidium_role="")
        return Deputy.objects.filter(pk__in=members.values("deputy_id")).order_by("name_initials", "pk")
    return rules.serving_deputies_on(meeting.region, meeting.date)


def roll_rows(meeting: Meeting) -> list[Attendance]:
    """The stored roll, deputies in pinyin order."""
    return list(meeting.roll.select_related("deputy").order_by("deputy__name_initials", "deputy_id"))


def roll_counts(meeting: Meeting) -> dict[str, int]:
    """{present, leave, absent, total} of the stored roll, in one aggregate query."""
    return meeting.roll.aggregate(
        present=Count("pk", filter=Q(status=PRESENT)),
        leave=Count("pk", filter=Q(status=LEAVE)),
        absent=Count("pk", filter=Q(status=ABSENT)),
        total=Count("pk"),
    )


def quorum_summary(meeting: Meeting, counts: dict | None = None) -> dict:
    """What the quorum box says: 应到 (serving on the date, kept on the meeting), 实到, 请假,
    缺席, the fewest present that make a quorum and whether the roll reaches it. Presidium
    meetings have no statutory quorum (`applies` False)."""
    counts = counts if counts is not None else roll_counts(meeting)
    serving = meeting.serving_count
    return {
        "serving": serving,
        "present": counts["present"],
        "leave": counts["leave"],
        "absent": counts["absent"],
        "built": counts["total"] > 0 or serving > 0,
        "needed": rules.quorum_needed(serving),
        "met": rules.quorum_met(present=counts["present"], serving=serving),
        "majority": rules.majority_needed(serving),
        "applies": meeting.kind == Meeting.Kind.SESSION,
    }


def present_deputy_ids(meeting: Meeting) -> set[int]:
    return set(meeting.roll.filter(status=PRESENT).values_list("deputy_id", flat=True))


def item_votes(item: AgendaItem) -> dict[int, str]:
    """{deputy id: choice} of an item's per-deputy votes."""
    return dict(DeputyVote.objects.filter(item=item).values_list("deputy_id", "choice"))


def item_candidates(item: AgendaItem) -> list[ElectionCandidate]:
    return list(item.candidates.select_related("deputy").order_by("position", "-votes", "pk"))


# --- terms ------------------------------------------------------------------------------------


def term_covering(region: Region, day: datetime.date) -> Term | None:
    """The township congress term of `region` that covers `day`: one the township defines
    for itself wins over its county's; of two covering the day (the old term's last day
    is the new one's first session), the later-started one."""
    ids = [int(x) for x in region.path.strip("/").split("/") if x]
    return (
        Term.objects.filter(region_id__in=ids, level=Term.Level.TOWNSHIP, start_date__lte=day, end_date__gte=day)
        .select_related("region")
        .order_by("-region__depth", "-start_date")
        .first()
    )


# --- the duty file ----------------------------------------------------------------------------


def deputy_attendance(qs, deputy: Deputy):
    """The roll rows of `deputy` in `qs` (scoped), newest meeting first."""
    return (
        qs.filter(deputy=deputy)
        .select_related("meeting__region", "meeting__term")
        .order_by("-meeting__date", "-meeting_id")
    )


def deputy_attendance_counts(qs, deputy: Deputy) -> dict[str, int]:
    """{present, leave, absent, total} of `deputy`'s rows in `qs` (scoped), one aggregate."""
    return aggregate(
        qs.filter(deputy=deputy),
        present=Count("pk", filter=Q(status=PRESENT)),
        leave=Count("pk", filter=Q(status=LEAVE)),
        absent=Count("pk", filter=Q(status=ABSENT)),
        total=Count("pk"),
    )
