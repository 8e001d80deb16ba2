"""Whether each township holds its statutory meetings (DESIGN.md section 6), per year:

- at least two sessions 人民代表大会会议 a year, the first by mid-July (by custom one in the
  first quarter and one in the third; a county that wants another deadline changes
  `FIRST_SESSION_BY`);
- a presidium meeting 主席团会议 in every quarter that has ended;
- no session held without quorum. Marking a session held is refused without two thirds of
  the serving deputies present, but imported or older rows may lack it, so held sessions
  are checked again here with the roll they carry.

Only meetings marked held count, and a session without quorum does not count as held
lawfully. Counts come from one grouped aggregate over the meetings of the scope, the
quorum check from one query of the year's held sessions with their present counts, the
townships from one more: three queries whatever the number of townships.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, IntegerField, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from org.models import Region

from . import rules
from .models import Attendance, Meeting

MIN_SESSIONS = 2
# (month, day): the first session of the year is held by this day.
FIRST_SESSION_BY = (7, 15)
QUARTERS = (1, 2, 3, 4)

SESSION = Meeting.Kind.SESSION
PRESIDIUM = Meeting.Kind.PRESIDIUM
HELD = Meeting.State.HELD


def reference_date() -> datetime.date:
    return timezone.localdate()


def deadline(year: int) -> datetime.date:
    return datetime.date(year, *FIRST_SESSION_BY)


def quarter_range(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * quarter - 2, 1)
    end = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return start, end - datetime.timedelta(days=1)


def past_quarters(year: int, on: datetime.date) -> list[int]:
    """The quarters of `year` that have ended by `on`."""
    return [q for q in QUARTERS if quarter_range(year, q)[1] < on]


def _aggregates(year: int) -> dict:
    session = Q(kind=SESSION)
    out = {
        "sessions_held": Count("pk", filter=session),
        "first_session": Min("date", filter=session),
        "sessions_by_deadline": Count("pk", filter=session & Q(date__lte=deadline(year))),
    }
    for q in QUARTERS:
        q_start, q_end = quarter_range(year, q)
        out[f"presidium_q{q}"] = Count("pk", filter=Q(kind=PRESIDIUM, date__gte=q_start, date__lte=q_end))
    return out


def held_in_year(meetings, year: int):
    """The meetings of `meetings` (scoped) marked held in `year`."""
    return meetings.filter(state=HELD, date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31))


def sessions_without_quorum(meetings, year: int) -> list[dict]:
    """Held sessions of `year` whose roll shows fewer present than the quorum of the
    serving count kept on them: [{pk, region_id, date, number, serving, present, needed}]."""
    present = (
        Attendance.objects.filter(meeting=OuterRef("pk"), status=Attendance.Status.PRESENT)
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        held_in_year(meetings, year)
        .filter(kind=SESSION)
        .annotate(present=Coalesce(Subquery(present, output_field=IntegerField()), Value(0)))
        .order_by("date", "pk")
        .values("pk", "region_id", "date", "number", "serving_count", "present")
    )
    out = []
    for row in rows:
        needed = rules.quorum_needed(row["serving_count"])
        if row["present"] < needed:
            out.append(
                {
                    "pk": row["pk"],
                    "region_id": row["region_id"],
                    "date": row["date"],
                    "number": row["number"],
                    "serving": row["serving_count"],
                    "present": row["present"],
                    "needed": needed,
                }
            )
    return out


def _row(township: Region, counts: dict, no_quorum: list[dict], *, year: int, on: datetime.date) -> dict:
    held = counts.get("sessions_held", 0)
    lawful = held - len(no_quorum)
    by_deadline = counts.get("sessions_by_deadline", 0) - sum(1 for s in no_quorum if s["date"] <= deadline(year))
    ended = past_quarters(year, on)
    quarters = [
        {
            "quarter": q,
            "count": counts.get(f"presidium_q{q}", 0),
            "ended": q in ended,
            "missing": q in ended and not counts.get(f"presidium_q{q}", 0),
        }
        for q in QUARTERS
    ]
    flags = []
    if lawful < MIN_SESSIONS:
        flags.append(f"{year}年依法召开人民代表大会会议{lawful}次，少于{MIN_SESSIONS}次")
    deadline_passed = on > deadline(year)
    late = deadline_passed and by_deadline == 0
    if late:
        month, day = FIRST_SESSION_BY
        flags.append(f"{month}月{day}日前未召开人民代表大会会议")
    for q in quarters:
        if q["missing"]:
            flags.append(f"第{q['quarter']}季度未召开主席团会议")
    for s in no_quorum:
        flags.append(
            f"{s['date']:%Y-%m-%d}的会议出席{s['present']}人，未达到应到{s['serving']}人的三分之二（至少{s['needed']}人）"
        )
    return {
        "township": township,
        "year": year,
        "sessions_held": held,
        "sessions_lawful": lawful,
        "sessions_short": max(MIN_SESSIONS - lawful, 0),
        "first_session": counts.get("first_session"),
        "first_session_late": late,
        "deadline_passed": deadline_passed,
        "quarters": quarters,
        "presidium_total": sum(q["count"] for q in quarters),
        "presidium_missing": [q["quarter"] for q in quarters if q["missing"]],
        "no_quorum": no_quorum,
        "flags": flags,
    }


def yearly_table(user, region: Region | None, *, year: int, on: datetime.date | None = None) -> list[dict]:
    """One row per township of `region` (the user's scope when None) for `year`: sessions
    held (and held lawfully), the first session's date, presidium meetings per quarter,
    sessions without quorum and the flags. Three queries, however many townships."""
    on = on or reference_date()
    meetings = Meeting.objects.for_user(user).in_region(region)
    counts = {
        row["region_id"]: row
        for row in held_in_year(meetings, year).order_by().values("region_id").annotate(**_aggregates(year))
    }
    no_quorum: dict[int, list[dict]] = defaultdict(list)
    for s in sessions_without_quorum(meetings, year):
        no_quorum[s["region_id"]].append(s)
    townships = Region.objects.townships().for_user(user).in_region(region).order_by("code")
    return [_row(t, counts.get(t.pk, {}), no_quorum.get(t.pk, []), year=year, on=on) for t in townships]


def township_status(user, township: Region, *, year: int, on: datetime.date | None = None) -> dict:
    """The row of `yearly_table` for one township."""
    rows = yearly_table(user, township, year=year, on=on)
    return rows[0] if rows else _row(township, {}, [], year=year, on=on or reference_date())


def summary(rows: list[dict]) -> dict:
    """Totals of a yearly table for a dashboard: townships, and those flagged for each rule."""
    return {
        "townships": len(rows),
        "flagged": sum(1 for r in rows if r["flags"]),
        "short": sum(1 for r in rows if r["sessions_short"]),
        "late": sum(1 for r in rows if r["first_session_late"]),
        "presidium": sum(1 for r in rows if r["presidium_missing"]),
        "no_quorum": sum(1 for r in rows if r["no_quorum"]),
    }
