"""Reads of the year's work dashboard 年度工作看板 (a county, or one township): the numbers of
the KPI cards with last year's beside, the township × quarter compliance table, the
suggestion funnel, the monthly trend of receptions and activities, the rooms' star
distribution, the assessment ranking, and for a township its tasks due and its rooms' 六有 gaps.

Every read starts from `Model.objects.for_user(user).in_region(region)`, so the page never shows
a row outside the user's scope, and every measure is one aggregate or one grouped query: the
number of queries does not depend on the number of townships or rows."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Subquery, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from congress import compliance_meetings
from congress.models import Suggestion, SuggestionAssignment, SupervisionItem
from congress.selectors_suggestions import year_q
from congress.services_suggestions import overdue_q as suggestion_overdue_q
from deputies.models import Deputy, Mandate
from deputies.selectors import has_mandate
from org.batch import aggregate, batched, derived
from org.models import Region
from stations import compliance
from stations.models import Activity, Reception, Station, VoterIssue

from .models import Assessment, PointEntry, StarRating, TownshipResult
from .selectors_assessment import visible_results
from .selectors_stars import star_distribution

QUARTERS = (1, 2, 3, 4)
MONTHS = tuple(range(1, 13))
# A suggestion due within this many days is a task of its township (办理期限将至).
DUE_SOON_DAYS = 30
RANKING_SIZE = 10
TASK_ROWS = 10

S = Suggestion.State
# The funnel's stages and the states a suggestion has reached each stage in.
FUNNEL = (
    ("submitted", "已提交", S.SUBMITTED, tuple(s for s in S.values if s != S.DRAFT)),
    ("accepted", "已立案", S.ACCEPTED, (S.ACCEPTED, S.ASSIGNED, S.ANSWERED, S.RATED, S.REASSIGNED, S.CLOSED)),
    ("assigned", "已交办", S.ASSIGNED, (S.ASSIGNED, S.ANSWERED, S.RATED, S.REASSIGNED, S.CLOSED)),
    ("answered", "已答复", S.ANSWERED, (S.ANSWERED, S.RATED, S.REASSIGNED, S.CLOSED)),
    ("rated", "已评价/办结", S.RATED, (S.RATED, S.REASSIGNED, S.CLOSED)),
)
ISSUE_DONE = (VoterIssue.State.FED_BACK, VoterIssue.State.CLOSED)
RATED_STATES = (StarRating.State.REVIEWED, StarRating.State.PUBLISHED)


def reference_date() -> datetime.date:
    return timezone.localdate()


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def _rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, None when there is nothing to measure."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _delta(now, before) -> dict | None:
    """{"value", "up"} of now − before (None when either is unknown or they are equal)."""
    if now is None or before is None or now == before:
        return None
    return {"value": abs(now - before), "up": now > before}


# --- grouped counts by township and month ------------------------------------------------------


def _monthly(qs, *, date_field: str, township_field: str, years: tuple[int, int]) -> list[dict]:
    """[{t, y, m, n}] of `qs` in `years`: one grouped query."""
    start, end = datetime.date(min(years), 1, 1), datetime.date(max(years), 12, 31)
    return list(
        qs.filter(**{f"{date_field}__gte": start, f"{date_field}__lte": end})
        .annotate(y=ExtractYear(date_field), m=ExtractMonth(date_field))
        .order_by()
        .values("y", "m", t=F(township_field))
        .annotate(n=Count("pk"))
    )


def _fold(rows: list[dict], year: int) -> dict:
    """Totals of the grouped rows: {"year", "last", "months": {y: [n per month]},
    "quarters": {(township, quarter): n} of `year`}."""
    months = {year: [0] * 12, year - 1: [0] * 12}
    quarters: dict[tuple[int, int], int] = {}
    for r in rows:
        months[r["y"]][r["m"] - 1] += r["n"]
        if r["y"] == year:
            key = (r["t"], quarter_of(r["m"]))
            quarters[key] = quarters.get(key, 0) + r["n"]
    return {"year": sum(months[year]), "last": sum(months[year - 1]), "months": months, "quarters": quarters}


# --- the measures -------------------------------------------------------------------------------


def suggestion_numbers(suggestions, assignments, *, year: int, on: datetime.date) -> dict:
    """Counts of the year's suggestions (and last year's total), the funnel, the overdue
    count (of any year) and the on-time rate of assignments due in each year: two queries."""
    this = year_q(year)
    agg = {
        "total": Count("pk", filter=this),
        "last_total": Count("pk", filter=year_q(year - 1)),
        "overdue": Count("pk", filter=suggestion_overdue_q(on)),
    }
    for key, _label, state, reached in FUNNEL:
        agg[f"reached_{key}"] = Count("pk", filter=this & Q(state__in=reached))
        agg[f"now_{key}"] = Count("pk", filter=this & Q(state=state))
    agg["now_reassigned"] = Count("pk", filter=this & Q(state=S.REASSIGNED))
    agg["now_closed"] = Count("pk", filter=this & Q(state=S.CLOSED))
    agg["now_not_accepted"] = Count("pk", filter=this & Q(state=S.NOT_ACCEPTED))
    counts_row = aggregate(suggestions, **agg)
    on_time = {}
    for y in (year, year - 1):
        due = Q(due_on__gte=datetime.date(y, 1, 1), due_on__lte=datetime.date(y, 12, 31))
        on_time[f"due_{y}"] = Count("pk", filter=due)
        on_time[f"ok_{y}"] = Count("pk", filter=due & Q(answered_on__isnull=False, answered_on__lte=F("due_on")))
    rates = aggregate(assignments, **on_time)

    def finish():
        counts = dict(counts_row)
        counts["on_time_rate"] = _rate(rates[f"ok_{year}"], rates[f"due_{year}"])
        counts["last_on_time_rate"] = _rate(rates[f"ok_{year - 1}"], rates[f"due_{year - 1}"])
        counts["due"] = rates[f"due_{year}"]
        counts["funnel"] = [
            {"key": k, "label": label, "state": state, "reached": counts[f"reached_{k}"], "now": counts[f"now_{k}"]}
            for k, label, state, _reached in FUNNEL
        ]
        return counts

    return derived(finish)


def issue_numbers(issues, *, year: int, on: datetime.date) -> dict:
    """Voter issues referred in each year and fed back (rate), and those overdue now: one query."""
    agg = {"overdue": Count("pk", filter=Q(state=VoterIssue.State.REFERRED, due_on__lt=on))}
    for y in (year, year - 1):
        referred = Q(raised_on__gte=datetime.date(y, 1, 1), raised_on__lte=datetime.date(y, 12, 31))
        referred &= Q(referred_on__isnull=False)
        agg[f"referred_{y}"] = Count("pk", filter=referred)
        agg[f"done_{y}"] = Count("pk", filter=referred & Q(state__in=ISSUE_DONE))
    c = aggregate(issues, **agg)
    return derived(
        lambda: {
            "overdue": c["overdue"],
            "referred": c[f"referred_{year}"],
            "fed_back": c[f"done_{year}"],
            "rate": _rate(c[f"done_{year}"], c[f"referred_{year}"]),
            "last_rate": _rate(c[f"done_{year - 1}"], c[f"referred_{year - 1}"]),
        }
    )


def points_numbers(entries, serving: Mapping, *, year: int) -> Mapping:
    """Average duty points per serving deputy (`serving["n"]`) this year and last (capped lines
    left out; last year divided by today's serving count too): one aggregate."""
    sums = aggregate(
        entries.filter(capped=False),
        now=Sum("points", filter=Q(year=year)),
        last=Sum("points", filter=Q(year=year - 1)),
    )

    def avg(total):
        if not serving["n"]:
            return None
        return (Decimal(total or 0) / serving["n"]).quantize(Decimal("0.1"))

    return derived(lambda: {"average": avg(sums["now"]), "last_average": avg(sums["last"])})


def star_numbers(ratings) -> Mapping:
    """The star distribution of the latest year with reviewed or published ratings: one
    aggregate over the ratings of that year (found by a subquery)."""
    rated = ratings.filter(state__in=RATED_STATES)
    latest = rated.filter(year=Subquery(rated.order_by("-year").values("year")[:1]))
    row = aggregate(latest, y=Max("year"))
    distribution = star_distribution(latest)

    def finish():
        if row["y"] is None:
            return {"year": None, "levels": [], "rated": 0}
        levels = [lv for lv in distribution if lv["stars"] is not None]
        return {"year": row["y"], "levels": levels, "rated": sum(lv["count"] for lv in levels)}

    return derived(finish)


def ranking_numbers(user, county: Region | None) -> dict:
    """The latest published assessment of the county (or, before any is published, the latest
    one being scored) with its top ten townships: three queries."""
    if county is None:
        return {"assessment": None, "top": []}
    assessments = Assessment.objects.for_user(user).filter(region=county)
    assessment = assessments.filter(state=Assessment.State.PUBLISHED).order_by("-year").first()
    if assessment is None:
        assessment = assessments.order_by("-year").first()
    if assessment is None:
        return {"assessment": None, "top": []}
    return {"assessment": assessment, "top": list(visible_results(user, assessment)[:RANKING_SIZE])}


def compliance_table(meeting_rows: list[dict], receptions: dict, activities: dict, *, year, on) -> list[dict]:
    """Township × quarter: sessions held, presidium meeting held, receptions and activities
    per quarter; a cell is `missing` when its quarter has ended with nothing in it (sessions:
    none by the first session's deadline, or fewer than two in a year that is over)."""
    ended = set(compliance_meetings.past_quarters(year, on))
    rows = []
    for m in meeting_rows:
        t = m["township"]
        quarters = []
        for q in QUARTERS:
            presidium = m["quarters"][q - 1]["count"]
            rec = receptions["quarters"].get((t.pk, q), 0)
            act = activities["quarters"].get((t.pk, q), 0)
            quarters.append(
                {
                    "quarter": q,
                    "ended": q in ended,
                    "presidium": presidium,
                    "presidium_missing": q in ended and not presidium,
                    "receptions": rec,
                    "receptions_missing": q in ended and not rec,
                    "activities": act,
                    "activities_missing": q in ended and not act,
                }
            )
        rows.append(
            {
                "township": t,
                "sessions_held": m["sessions_held"],
                "sessions_lawful": m["sessions_lawful"],
                # Short of two only counts once the year is over; none by mid-July counts at once.
                "sessions_missing": m["first_session_late"] or (bool(m["sessions_short"]) and year < on.year),
                "flags": m["flags"],
                "quarters": quarters,
            }
        )
    return rows


def township_tasks(user, township: Region, *, on: datetime.date, suggestions, issues: Mapping) -> Mapping:
    """What a township must do: suggestions due within `DUE_SOON_DAYS` or overdue, voter issues
    overdue (`issues["overdue"]`), supervision rectifications overdue, rooms idle, star ratings
    waiting for its self-assessment, the assessment reply: two queries and four aggregates."""
    open_states = (S.ASSIGNED, S.REASSIGNED)
    soon = on + datetime.timedelta(days=DUE_SOON_DAYS)
    due = suggestions.filter(state__in=open_states, due_on__isnull=False, due_on__lte=soon)
    due_counts = aggregate(
        due, overdue=Count("pk", filter=Q(due_on__lt=on)), soon=Count("pk", filter=Q(due_on__gte=on))
    )
    supervision = aggregate(
        SupervisionItem.objects.for_user(user)
        .in_region(township)
        .filter(state=SupervisionItem.State.OPINION_SENT, rectification_due__lt=on),
        n=Count("pk"),
    )
    stations = Station.objects.for_user(user).in_region(township)
    idle = aggregate(compliance.idle_rooms(stations, on=on), n=Count("pk"))
    drafts = aggregate(
        StarRating.objects.for_user(user).in_region(township).filter(state=StarRating.State.DRAFT), n=Count("pk")
    )
    due_rows = list(due.only("pk", "title", "number", "due_on", "state").order_by("due_on", "pk")[:TASK_ROWS])
    for s in due_rows:
        s.is_late = s.due_on < on
    result = (
        TownshipResult.objects.for_user(user)
        .filter(township=township, assessment__state=Assessment.State.REPLY)
        .select_related("assessment")
        .order_by("-assessment__year")
        .first()
    )

    def finish():
        counts = {
            "suggestions_overdue": due_counts["overdue"],
            "suggestions_soon": due_counts["soon"],
            "issues_overdue": issues["overdue"],
            "supervision_overdue": supervision["n"],
            "idle_rooms": idle["n"],
            "star_drafts": drafts["n"],
        }
        total = sum(counts.values()) + (1 if result else 0)
        return {**counts, "suggestion_rows": due_rows, "reply": result, "total": total}

    return derived(finish)


def township_gaps(user, township: Region) -> list[dict]:
    """Rooms of the township with items of their county's 六有 not met: [{room, items}], two queries."""
    rooms = list(
        compliance.failing_rooms(Station.objects.for_user(user).in_region(township))
        .select_related("township")
        .order_by("kind", "name", "pk")
    )
    unmet = compliance.unmet_items(rooms)
    return [{"room": r, "items": unmet.get(r.pk, [])} for r in rooms]


def dashboard(user, region: Region, *, year: int, on: datetime.date | None = None) -> dict:
    """Everything the dashboard shows for `region` (a county or one township) in `year`, as
    the user may see it; for a township also its tasks and gaps. A constant number of queries:
    the counts of every measure go to the database together (org.batch)."""
    with batched():
        return _dashboard(user, region, year=year, on=on or reference_date())


def _dashboard(user, region: Region, *, year: int, on: datetime.date) -> dict:
    years = (year, year - 1)
    meeting_rows = compliance_meetings.yearly_table(user, region, year=year, on=on)
    receptions = _fold(
        _monthly(
            Reception.objects.for_user(user).in_region(region),
            date_field="date",
            township_field="station__township_id",
            years=years,
        ),
        year,
    )
    activities = _fold(
        _monthly(
            Activity.objects.for_user(user).in_region(region).filter(status=Activity.Status.CONFIRMED),
            date_field="date",
            township_field="region_id",
            years=years,
        ),
        year,
    )
    serving = aggregate(
        Deputy.objects.for_user(user).in_region(region).filter(has_mandate(status=Mandate.Status.SERVING)),
        n=Count("pk"),
    )
    rooms = aggregate(Station.objects.for_user(user).in_region(region).filter(active=True), n=Count("pk"))
    suggestions_qs = Suggestion.objects.for_user(user).in_region(region)
    suggestions = suggestion_numbers(
        suggestions_qs, SuggestionAssignment.objects.for_user(user).in_region(region), year=year, on=on
    )
    issues = issue_numbers(VoterIssue.objects.for_user(user).in_region(region), year=year, on=on)
    points = points_numbers(PointEntry.objects.for_user(user).in_region(region), serving, year=year)
    stars = star_numbers(StarRating.objects.for_user(user).in_region(region))
    tasks = None
    if region.is_township:
        tasks = township_tasks(user, region, on=on, suggestions=suggestions_qs, issues=issues)
    county = region if region.is_county_level else region.parent
    ranking = ranking_numbers(user, county)
    out = {
        "region": region,
        "year": year,
        "on": on,
        "is_township": region.is_township,
        "townships": len(meeting_rows),
        "serving": serving["n"],
        "rooms": rooms["n"],
        "receptions": receptions,
        "activities": activities,
        "suggestions": suggestions,
        "issues": issues,
        "points": points,
        "stars": stars,
        "ranking": ranking,
        "table": compliance_table(meeting_rows, receptions, activities, year=year, on=on),
        "deltas": {
            "receptions": _delta(receptions["year"], receptions["last"]),
            "activities": _delta(activities["year"], activities["last"]),
            "suggestions": _delta(suggestions["total"], suggestions["last_total"]),
            "on_time": _delta(suggestions["on_time_rate"], suggestions["last_on_time_rate"]),
            "issues": _delta(issues["rate"], issues["last_rate"]),
            "points": _delta(points["average"], points["last_average"]),
        },
    }
    if region.is_township:
        out["own_result"] = next((r for r in ranking["top"] if r.township_id == region.pk), None)
        if out["own_result"] is None and ranking["assessment"] is not None:
            out["own_result"] = visible_results(user, ranking["assessment"]).filter(township=region).first()
        out["tasks"] = tasks
        out["gaps"] = township_gaps(user, region)
    return out


# --- chart options (ECharts) --------------------------------------------------------------------


def trend_option(receptions: dict, activities: dict, year: int, *, today: datetime.date | None = None) -> dict:
    months = [f"{m}月" for m in MONTHS]
    last = year - 1
    today = today or timezone.localdate()

    def so_far(data):
        # Months still to come have no figure yet: a gap in the line, not a fall to zero.
        if year != today.year:
            return data
        return [v if m <= today.month else None for m, v in zip(MONTHS, data, strict=False)]

    def line(name, data, color, dashed=False):
        style = {"color": color, "type": "dashed" if dashed else "solid"}
        return {"type": "line", "name": name, "data": data, "lineStyle": style, "itemStyle": {"color": color}}

    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 56, "containLabel": True},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "name": "次", "minInterval": 1},
        "series": [
            line(f"{year}年接待选民", so_far(receptions["months"][year]), "#9b1c1c"),
            line(f"{last}年接待选民", receptions["months"][last], "#9b1c1c", dashed=True),
            line(f"{year}年代表活动", so_far(activities["months"][year]), "#1d4ed8"),
            line(f"{last}年代表活动", activities["months"][last], "#1d4ed8", dashed=True),
        ],
    }


def stars_option(stars: dict) -> dict:
    levels = stars["levels"]
    return {
        "tooltip": {},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"{lv['stars']}星" if lv["stars"] else "未评星" for lv in levels]},
        "yAxis": {"type": "value", "name": "个", "minInterval": 1},
        "series": [
            {"type": "bar", "name": "阵地数", "data": [lv["count"] for lv in levels], "itemStyle": {"color": "#b45309"}}
        ],
    }


def funnel_option(funnel: list[dict]) -> dict:
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}件"},
        "series": [
            {
                "type": "funnel",
                "name": "代表建议",
                "sort": "none",
                "left": "10%",
                "width": "80%",
                "minSize": "10%",
                "label": {"show": True, "position": "inside", "formatter": "{b} {c}"},
                "data": [{"name": f["label"], "value": f["reached"]} for f in funnel],
            }
        ],
    }
