"""Reads of the livelihood-project vote 民生实事项目代表票决制: a township-year's projects by
stage, who may vote at a session, the county overview (one aggregate query), and the
adopted projects of a year with their latest progress for the dashboard."""

from __future__ import annotations

import datetime

from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf

from deputies.models import Deputy
from org.batch import aggregate, derived
from org.models import Region
from org.roles import TOWNSHIP_KINDS

from . import rules
from .models import AgendaItem, Attendance, LivelihoodProject, Meeting, ProjectProgress

State = LivelihoodProject.State

# The stages of the board, left to right, with the states each holds.
STAGES = (
    ("collecting", "征集候选", (State.CANDIDATE, State.NOT_SHORTLISTED)),
    ("shortlisted", "初定候选", (State.SHORTLISTED,)),
    ("voting", "提交票决", (State.ON_AGENDA,)),
    ("adopted", "票决通过", (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED)),
    ("not_adopted", "未通过", (State.NOT_ADOPTED,)),
)
STATE_ORDER = {state: i for i, (_key, _label, states) in enumerate(STAGES) for state in states}
ADOPTED_STATES = (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED)
# Before the vote the shortlist may be redone.
PRE_AGENDA_STATES = (State.CANDIDATE, State.SHORTLISTED, State.NOT_SHORTLISTED)


def with_progress(qs: QuerySet[LivelihoodProject]) -> QuerySet[LivelihoodProject]:
    """Annotate `latest_percent`: the percent of the latest quarter reported (0 when none)."""
    latest = ProjectProgress.objects.filter(project=OuterRef("pk")).order_by("-quarter").values("percent")[:1]
    return qs.annotate(latest_percent=Coalesce(Subquery(latest, output_field=IntegerField()), Value(0)))


def project_list(
    qs: QuerySet[LivelihoodProject], *, year: int | None = None, township: Region | None = None, state: str = ""
) -> QuerySet[LivelihoodProject]:
    """The projects of a year (and township, and state), ordered as the board reads: the
    vote's result first by rank, then the rest by when they were registered."""
    if year:
        qs = qs.filter(year=year)
    if township is not None:
        qs = qs.filter(region=township)
    if state:
        qs = qs.filter(state=state)
    qs = qs.select_related("region", "agenda_item__meeting__term", "agenda_item__meeting__region")
    return with_progress(qs).order_by("region__code", F("rank").asc(nulls_last=True), "pk")


def stage_counts(qs: QuerySet[LivelihoodProject]) -> dict[str, int]:
    """{state: count} for every state, plus the stage totals under the stage keys (one query)."""
    row = aggregate(qs, **{s: Count("pk", filter=Q(state=s)) for s in State.values})

    def stages():
        counts = dict(row)
        for key, _label, states in STAGES:
            counts[key] = sum(counts[s] for s in states)
        counts["total"] = sum(counts[s] for s in State.values)
        counts["completed"] = counts[State.COMPLETED]
        return counts

    return derived(stages)


def projects_by_stage(projects) -> list[dict]:
    """The board's columns from already-fetched projects: [{key, label, projects}]."""
    columns = [{"key": key, "label": label, "states": states, "projects": []} for key, label, states in STAGES]
    for project in projects:
        columns[STATE_ORDER[project.state]]["projects"].append(project)
    return columns


def years_with_projects(qs: QuerySet[LivelihoodProject]) -> list[int]:
    return list(qs.order_by("-year").values_list("year", flat=True).distinct())


def default_year(qs: QuerySet[LivelihoodProject], today: datetime.date) -> int:
    """The year a board opens on: the latest year with projects in scope, else this year."""
    latest = qs.aggregate(y=Max("year"))["y"]
    return latest or today.year


def voters_of(meeting: Meeting) -> tuple[QuerySet[Deputy], bool]:
    """Who may vote on the projects of `meeting`, and whether that comes from its roll:
    the deputies marked present when the roll has been taken, else every deputy serving
    on the meeting's date."""
    if Attendance.objects.filter(meeting=meeting).exists():
        present = Attendance.objects.filter(meeting=meeting, status=Attendance.Status.PRESENT).values("deputy_id")
        return Deputy.objects.filter(pk__in=present).order_by("name_initials", "pk"), True
    return rules.serving_deputies_on(meeting.region, meeting.date), False


def present_count(meeting: Meeting) -> int | None:
    """Deputies present on the roll, or None when no roll has been taken."""
    counts = Attendance.objects.filter(meeting=meeting).aggregate(
        rows=Count("pk"), present=Count("pk", filter=Q(status=Attendance.Status.PRESENT))
    )
    return counts["present"] if counts["rows"] else None


def serving_of(meeting: Meeting) -> int:
    """The serving deputies a project's vote is measured against: the count the roll froze
    on the meeting, else those serving on its date."""
    return meeting.serving_count or rules.serving_count_on(meeting.region, meeting.date)


def vote_item(meeting: Meeting) -> AgendaItem | None:
    return meeting.agenda.filter(kind=AgendaItem.Kind.LIVELIHOOD_VOTE).order_by("order", "pk").first()


def meeting_projects(meeting: Meeting) -> QuerySet[LivelihoodProject]:
    """The projects on `meeting`'s livelihood vote, best result first."""
    return with_progress(
        LivelihoodProject.objects.filter(
            agenda_item__meeting=meeting, agenda_item__kind=AgendaItem.Kind.LIVELIHOOD_VOTE
        ).select_related("region")
    ).order_by(F("rank").asc(nulls_last=True), "-yes", "pk")


def sessions_for(qs: QuerySet[Meeting], *, township: Region, year: int) -> QuerySet[Meeting]:
    """Sessions of `township` in `year` a vote may be put on (not cancelled)."""
    return (
        qs.filter(region=township, kind=Meeting.Kind.SESSION, date__year=year)
        .exclude(state=Meeting.State.CANCELLED)
        .select_related("region", "term")
        .order_by("date", "pk")
    )


def satisfaction_rate(project: LivelihoodProject) -> float | None:
    """满意率: satisfied plus basically satisfied, in percent of the ratings; None unrated."""
    total = project.satisfied + project.basically_satisfied + project.unsatisfied
    if not total:
        return None
    return round(100 * (project.satisfied + project.basically_satisfied) / total, 1)


def _rate_expr(prefix: str = ""):
    s, b, u = (F(f"{prefix}{name}") for name in ("satisfied", "basically_satisfied", "unsatisfied"))
    # NULL for an unrated project, so Avg skips it.
    return ExpressionWrapper((s + b) * 100.0 / NullIf(s + b + u, 0), output_field=FloatField())


def county_overview(regions: QuerySet[Region], *, year: int) -> QuerySet[Region]:
    """Per township of `regions` (already scoped): candidates, shortlisted for the vote,
    adopted, completed and the average 满意率 of the rated projects of `year`, in one
    grouped query (townships without projects show zeros)."""
    p = "livelihood_projects__"
    of_year = Q(**{f"{p}year": year})
    return (
        regions.filter(kind__in=TOWNSHIP_KINDS)
        .annotate(
            candidates=Count(f"{p}pk", filter=of_year),
            voted=Count(
                f"{p}pk",
                filter=of_year & Q(**{f"{p}state__in": (State.ON_AGENDA, State.NOT_ADOPTED, *ADOPTED_STATES)}),
            ),
            adopted=Count(f"{p}pk", filter=of_year & Q(**{f"{p}state__in": ADOPTED_STATES})),
            completed=Count(f"{p}pk", filter=of_year & Q(**{f"{p}state": State.COMPLETED})),
            satisfaction=Avg(_rate_expr(p), filter=of_year),
        )
        .order_by("code")
    )


def adopted_of_year(qs: QuerySet[LivelihoodProject], *, year: int) -> QuerySet[LivelihoodProject]:
    """The adopted projects of `year` with their latest progress (the dashboard panel)."""
    return with_progress(qs.filter(year=year, state__in=ADOPTED_STATES).select_related("region")).order_by(
        "region__code", "rank", "pk"
    )


def progress_reports(project: LivelihoodProject) -> list[ProjectProgress]:
    return list(project.progress_reports.order_by("quarter"))
