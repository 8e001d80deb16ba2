"""The computed items of the checklist: one function per `ChecklistItem.Metric`.

Each takes the townships of a county (their ids), the year, the item's full points and its
`params`, and returns {township_id: (value, points)} for every township at once, from one or
two grouped aggregates whatever the number of townships. `value` is what was measured (a
count, a share, an average) and is shown beside the points; `points` are rounded to one
decimal and never exceed the item's points nor fall below zero. A township without records
gets value 0 and no points, unless the docstring says otherwise (a rate with nothing to
measure is full marks: nothing was late).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Case, Count, F, IntegerField, Q, Sum, Value, When

from congress import compliance_meetings as compliance
from congress.models import Meeting, SuggestionAssignment
from deputies.models import Mandate
from stations.models import Activity, Reception, Station, VoterIssue

from .models import ChecklistItem, PointEntry, PublicityItem, StarRating

Metric = ChecklistItem.Metric
ONE_DECIMAL = Decimal("0.1")
THREE_DECIMALS = Decimal("0.001")
# PublicityItem weights by media level.
PUBLICITY_WEIGHTS = {
    PublicityItem.Level.NATIONAL: 4,
    PublicityItem.Level.PROVINCE: 3,
    PublicityItem.Level.CITY: 2,
    PublicityItem.Level.COUNTY: 1,
}


def _dec(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def clamp_points(points, full) -> Decimal:
    """Points rounded to 0.1, between 0 and the item's full points."""
    full = _dec(full)
    p = _dec(points).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    return max(Decimal("0.0"), min(p, full.quantize(ONE_DECIMAL)))


def _value(x) -> Decimal | None:
    return None if x is None else _dec(x).quantize(THREE_DECIMALS, rounding=ROUND_HALF_UP)


def _pro_rata(value, target, full) -> Decimal:
    """Full points at `target`, in proportion below it."""
    target = _dec(target)
    if target <= 0:
        return clamp_points(full, full)
    return clamp_points(_dec(full) * min(_dec(value), target) / target, full)


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _param(params: dict, key: str, default):
    try:
        v = Decimal(str((params or {}).get(key, default)))
    except Exception:
        return Decimal(str(default))
    return v if v > 0 else Decimal(str(default))


def sessions_held(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Sessions 人民代表大会会议 held in the year with quorum (a held session whose roll
    shows fewer than two thirds of the serving count present does not count). Full points at
    params["min"] sessions (default 2), in proportion below."""
    target = _param(params, "min", compliance.MIN_SESSIONS)
    meetings = Meeting.objects.filter(region_id__in=township_ids)
    held = dict(
        compliance.held_in_year(meetings, year)
        .filter(kind=Meeting.Kind.SESSION)
        .order_by()
        .values_list("region_id")
        .annotate(n=Count("pk"))
    )
    for s in compliance.sessions_without_quorum(meetings, year):
        held[s["region_id"]] = held.get(s["region_id"], 0) - 1
    out = {}
    for t in township_ids:
        n = max(held.get(t, 0), 0)
        out[t] = (_value(n), _pro_rata(n, target, full))
    return out


def presidium_quarters(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Quarters of the year with at least one held presidium meeting 主席团会议:
    points × quarters / 4."""
    aggregates = {}
    for q in compliance.QUARTERS:
        start, end = compliance.quarter_range(year, q)
        aggregates[f"q{q}"] = Count("pk", filter=Q(date__gte=start, date__lte=end))
    rows = (
        compliance.held_in_year(Meeting.objects.filter(region_id__in=township_ids), year)
        .filter(kind=Meeting.Kind.PRESIDIUM)
        .order_by()
        .values("region_id")
        .annotate(**aggregates)
    )
    quarters = {r["region_id"]: sum(1 for q in compliance.QUARTERS if r[f"q{q}"]) for r in rows}
    return {t: (_value(quarters.get(t, 0)), _pro_rata(quarters.get(t, 0), 4, full)) for t in township_ids}


def suggestions_on_time(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Share of the suggestion assignments (交办) due in the year answered by their due date:
    points × share. A township with nothing due gets full points (nothing was late) and no value."""
    start, end = _year_range(year)
    rows = (
        SuggestionAssignment.objects.filter(suggestion__region_id__in=township_ids, due_on__gte=start, due_on__lte=end)
        .order_by()
        .values("suggestion__region_id")
        .annotate(
            due=Count("pk"), on_time=Count("pk", filter=Q(answered_on__isnull=False, answered_on__lte=F("due_on")))
        )
    )
    got = {r["suggestion__region_id"]: (r["due"], r["on_time"]) for r in rows}
    return _share(township_ids, got, full)


def _share(township_ids, got: dict, full) -> dict:
    out = {}
    for t in township_ids:
        total, good = got.get(t, (0, 0))
        if not total:
            out[t] = (None, clamp_points(full, full))
            continue
        share = Decimal(good) / Decimal(total)
        out[t] = (_value(share), clamp_points(_dec(full) * share, full))
    return out


def trainings(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Confirmed trainings 学习培训 (Activity kind training) held in the year. Full points at
    params["min"] (default 2), in proportion below."""
    start, end = _year_range(year)
    target = _param(params, "min", 2)
    counts = dict(
        Activity.objects.filter(
            region_id__in=township_ids,
            kind=Activity.Kind.TRAINING,
            status=Activity.Status.CONFIRMED,
            date__gte=start,
            date__lte=end,
        )
        .order_by()
        .values_list("region_id")
        .annotate(n=Count("pk"))
    )
    return {t: (_value(counts.get(t, 0)), _pro_rata(counts.get(t, 0), target, full)) for t in township_ids}


def receptions_per_room(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Receptions 接待选民 in the year per active room (代表之家 and 联络站 in use). Full points
    at params["min"] receptions per room (default 12, one a month), in proportion below. A
    township without an active room gets nothing."""
    start, end = _year_range(year)
    target = _param(params, "min", 12)
    rooms = dict(
        Station.objects.filter(township_id__in=township_ids, active=True)
        .order_by()
        .values_list("township_id")
        .annotate(n=Count("pk"))
    )
    receptions = dict(
        Reception.objects.filter(station__township_id__in=township_ids, date__gte=start, date__lte=end)
        .order_by()
        .values_list("station__township_id")
        .annotate(n=Count("pk"))
    )
    out = {}
    for t in township_ids:
        n_rooms = rooms.get(t, 0)
        if not n_rooms:
            out[t] = (_value(0), clamp_points(0, full))
            continue
        per_room = Decimal(receptions.get(t, 0)) / Decimal(n_rooms)
        out[t] = (_value(per_room), _pro_rata(per_room, target, full))
    return out


def issues_fed_back(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Share of the voter issues raised in the year and referred to a handling unit (转办)
    that were fed back to the voter or closed: points × share. Nothing referred: full points."""
    start, end = _year_range(year)
    done = (VoterIssue.State.FED_BACK, VoterIssue.State.CLOSED)
    rows = (
        VoterIssue.objects.filter(
            region_id__in=township_ids, raised_on__gte=start, raised_on__lte=end, referred_on__isnull=False
        )
        .order_by()
        .values("region_id")
        .annotate(total=Count("pk"), good=Count("pk", filter=Q(state__in=done)))
    )
    return _share(township_ids, {r["region_id"]: (r["total"], r["good"]) for r in rows}, full)


def points_average(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Average duty points 履职积分 of the year (entries over a rule's cap excluded) per
    deputy serving in the township. Full points at params["target"] (default 50)."""
    target = _param(params, "target", 50)
    sums = dict(
        PointEntry.objects.filter(deputy__region_id__in=township_ids, year=year, capped=False)
        .order_by()
        .values_list("deputy__region_id")
        .annotate(s=Sum("points"))
    )
    serving = dict(
        Mandate.objects.filter(deputy__region_id__in=township_ids, status=Mandate.Status.SERVING)
        .order_by()
        .values_list("deputy__region_id")
        .annotate(n=Count("deputy", distinct=True))
    )
    out = {}
    for t in township_ids:
        n = serving.get(t, 0)
        if not n:
            out[t] = (_value(0), clamp_points(0, full))
            continue
        avg = _dec(sums.get(t) or 0) / Decimal(n)
        out[t] = (_value(avg), _pro_rata(avg, target, full))
    return out


def star_ratings(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Average stars of the township's rooms rated for the year (reviewed or published):
    points × average / 5. No rated room: nothing."""
    states = (StarRating.State.REVIEWED, StarRating.State.PUBLISHED)
    avgs = dict(
        StarRating.objects.filter(
            station__township_id__in=township_ids, year=year, state__in=states, stars__isnull=False
        )
        .order_by()
        .values_list("station__township_id")
        .annotate(a=Avg("stars"))
    )
    out = {}
    for t in township_ids:
        avg = _dec(avgs.get(t) or 0)
        out[t] = (_value(avg), _pro_rata(avg, 5, full))
    return out


def publicity(township_ids: list[int], year: int, full, params: dict) -> dict:
    """Publicity 宣传报道 of the year weighted by media level (中央级 4, 省级 3, 市级 2,
    县级 1). Full points at params["target"] weighted items (default 10)."""
    start, end = _year_range(year)
    target = _param(params, "target", 10)
    weight = Case(
        *[When(level=level, then=Value(w)) for level, w in PUBLICITY_WEIGHTS.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    sums = dict(
        PublicityItem.objects.filter(region_id__in=township_ids, date__gte=start, date__lte=end)
        .order_by()
        .values_list("region_id")
        .annotate(w=Sum(weight))
    )
    return {t: (_value(sums.get(t) or 0), _pro_rata(sums.get(t) or 0, target, full)) for t in township_ids}


METRICS: dict[str, Callable[[list[int], int, Decimal, dict], dict]] = {
    Metric.SESSIONS_HELD: sessions_held,
    Metric.PRESIDIUM_QUARTERS: presidium_quarters,
    Metric.SUGGESTIONS_ON_TIME: suggestions_on_time,
    Metric.TRAININGS: trainings,
    Metric.RECEPTIONS_PER_ROOM: receptions_per_room,
    Metric.ISSUES_FED_BACK: issues_fed_back,
    Metric.POINTS_AVERAGE: points_average,
    Metric.STAR_RATINGS: star_ratings,
    Metric.PUBLICITY: publicity,
}


def compute(metric: str, township_ids: Iterable[int], year: int, full, params: dict | None = None) -> dict:
    """{township_id: (value, points)} of `metric` for every township in `township_ids`."""
    fn = METRICS.get(metric)
    if fn is None:
        raise ValueError(f"未知的计算指标：{metric}")
    return fn(list(township_ids), year, _dec(full), params or {})
