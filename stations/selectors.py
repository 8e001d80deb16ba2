"""Reads of stations/: checklists, counts and the rooms failing the headline standard, in SQL."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from org.batch import aggregate

from .models import Standard, StandardItem, Station, StationItemState
from .services import HEADLINE_STANDARD

MET = StationItemState.State.MET


def standards_for(station: Station):
    """The active standards that apply to a room: those of its county (or its township)."""
    ids = [int(x) for x in station.region.path.strip("/").split("/") if x]
    # 六有, 七有, 八有, 十有 in that order: fewest items first.
    return (
        Standard.objects.filter(region_id__in=ids, active=True)
        .annotate(n_items=Count("items"))
        .order_by("-year", "n_items", "name")
    )


def pick_standard(station: Station, standard_id=None):
    standards = list(standards_for(station))
    chosen = None
    if standard_id:
        chosen = next((s for s in standards if str(s.pk) == str(standard_id)), None)
    if chosen is None:
        chosen = next((s for s in standards if s.name == HEADLINE_STANDARD), None) or (
            standards[0] if standards else None
        )
    return standards, chosen


def checklist(station: Station, standard: Standard) -> list[dict]:
    """Each item of `standard` with the room's state (None: not filled in yet) and a gap flag."""
    states = {s.item_id: s for s in StationItemState.objects.filter(station=station, item__standard=standard)}
    rows = []
    for item in standard.items.all():
        state = states.get(item.pk)
        rows.append({"item": item, "state": state, "gap": state is None or state.state != MET})
    return rows


def current_headline_standards():
    """Each county's active 六有 of its latest year. A county keeps last year's checklist
    active for the records filled in against it; a room is judged by the current one, or it
    would be listed twice for an item, once per year."""
    newer = Standard.objects.filter(
        name=HEADLINE_STANDARD, active=True, region_id=OuterRef("region_id"), year__gt=OuterRef("year")
    )
    return Standard.objects.filter(name=HEADLINE_STANDARD, active=True).exclude(Exists(newer))


def with_headline_counts(qs):
    """Annotate met and gap counts against the headline standard (六有) of the latest year."""
    headline = Q(item_states__item__standard__in=current_headline_standards())
    return qs.annotate(
        met_count=Count("item_states", filter=headline & Q(item_states__state=MET)),
        gap_count=Count("item_states", filter=headline & ~Q(item_states__state=MET)),
    )


def _unmet_headline():
    """Items of the room's county's current 六有 the room has not met (or not filled in)."""
    met_state = StationItemState.objects.filter(station=OuterRef(OuterRef("pk")), item=OuterRef("pk"), state=MET)
    return StandardItem.objects.filter(
        standard__in=current_headline_standards(),
        standard__region_id=OuterRef("township__parent_id"),
    ).exclude(Exists(met_state))


def failing_headline(qs):
    """Rooms with an item of their county's current 六有 not met (or not filled in)."""
    return qs.filter(Exists(_unmet_headline()))


def station_counts(stations) -> dict:
    """Rooms in use, by kind, and those failing the headline standard: one aggregate query."""
    return aggregate(
        stations.filter(active=True),
        total=Count("pk"),
        homes=Count("pk", filter=Q(kind=Station.Kind.HOME)),
        liaisons=Count("pk", filter=Q(kind=Station.Kind.LIAISON)),
        failing=Count("pk", filter=Q(Exists(_unmet_headline()))),
    )


def station_life(station, *, today) -> dict:
    """What a room's page shows of its life this year: receptions, activities, voters'
    issues still open, and its next duty day (three queries)."""
    from django.db.models import Count, Q, Sum

    from .models import Activity, DutyRoster, VoterIssue

    year_start = today.replace(month=1, day=1)
    receptions = station.receptions.filter(date__gte=year_start).aggregate(n=Count("pk"), voters=Sum("voter_count"))
    activities = Activity.objects.filter(
        station=station, date__gte=year_start, status=Activity.Status.CONFIRMED
    ).count()
    open_issues = VoterIssue.objects.filter(station=station).exclude(
        state__in=[VoterIssue.State.CLOSED, VoterIssue.State.ON_SPOT, VoterIssue.State.FED_BACK]
    )
    issues = open_issues.aggregate(
        n=Count("pk"), overdue=Count("pk", filter=Q(state=VoterIssue.State.REFERRED, due_on__lt=today))
    )
    next_day = DutyRoster.objects.filter(station=station, date__gte=today).order_by("date").first()
    return {
        "receptions": receptions["n"],
        "voters": receptions["voters"] or 0,
        "activities": activities,
        "open_issues": issues["n"],
        "overdue_issues": issues["overdue"],
        "next_duty": next_day,
    }
