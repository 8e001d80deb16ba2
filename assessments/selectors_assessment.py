"""Reads of the township assessment: the matrix of townships × items, a township's detail
with last year's points beside, the numbers of a township's annual report, the jobs of an
assessment, the dashboard's summary. Every read takes the user's scope or is called on rows
already read through it."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum

from org.models import Job, Region
from org.scoping import VIEW

from .models import Assessment, ChecklistItem, ChecklistSection, PublicityItem, Score, TownshipResult

JOB_KINDS = ("assessment_compute", "assessment_workbook", "assessment_notice")


def checklist(assessment: Assessment) -> list[ChecklistSection]:
    """Sections with their items (two queries)."""
    return list(assessment.sections.prefetch_related("items").order_by("order", "pk"))


def visible_results(user, assessment: Assessment):
    return (
        TownshipResult.objects.for_user(user, VIEW)
        .filter(assessment=assessment)
        .select_related("township")
        .order_by("rank", "township__code")
    )


def matrix(user, assessment: Assessment) -> dict:
    """The townships (the user's scope) × items with points: {sections, items, rows} where each
    row is {result, township, cells: [score or None per item]}. Three queries."""
    sections = checklist(assessment)
    items = [i for s in sections for i in s.items.all()]
    results = list(visible_results(user, assessment))
    scores = {
        (s.item_id, s.township_id): s
        for s in Score.objects.for_user(user, VIEW).filter(item__section__assessment=assessment)
    }
    rows = [
        {"result": r, "township": r.township, "cells": [scores.get((i.pk, r.township_id)) for i in items]}
        for r in results
    ]
    return {"sections": sections, "items": items, "rows": rows}


def previous_assessment(assessment: Assessment) -> Assessment | None:
    return Assessment.objects.filter(region=assessment.region, year=assessment.year - 1).first()


def last_year_points(assessment: Assessment, township_ids) -> dict:
    """{(item title, township_id): points} of last year's assessment of the same county,
    matched by item title (checklists change from year to year)."""
    prev = previous_assessment(assessment)
    if prev is None:
        return {}
    rows = Score.objects.filter(item__section__assessment=prev, township_id__in=list(township_ids)).values_list(
        "item__title", "township_id", "points"
    )
    return {(title, t): p for title, t, p in rows}


def last_year_totals(assessment: Assessment) -> dict:
    prev = previous_assessment(assessment)
    if prev is None:
        return {}
    return dict(TownshipResult.objects.filter(assessment=prev).values_list("township_id", "total"))


def township_detail(result: TownshipResult) -> list[dict]:
    """A township's scores item by item, grouped by section, with last year's points:
    [{section, rows: [{item, score, last}]}]."""
    assessment = result.assessment
    sections = checklist(assessment)
    scores = {
        s.item_id: s
        for s in Score.objects.filter(item__section__assessment=assessment, township=result.township).select_related(
            "scored_by"
        )
    }
    last = last_year_points(assessment, [result.township_id])
    return [
        {
            "section": s,
            "rows": [
                {"item": i, "score": scores.get(i.pk), "last": last.get((i.title, result.township_id))}
                for i in s.items.all()
            ],
        }
        for s in sections
    ]


def grade_counts(results) -> dict:
    counts = Counter(r.grade for r in results)
    return {label: counts.get(value, 0) for value, label in TownshipResult.Grade.choices}


def latest_jobs(user, assessment: Assessment, kinds=JOB_KINDS) -> dict:
    """The newest job of each kind run on this assessment, {kind: job}."""
    jobs = (
        Job.objects.for_user(user, VIEW)
        .filter(kind__in=kinds, params__assessment=assessment.pk)
        .select_related("region", "requested_by")
        .order_by("-created_at", "-pk")[:50]
    )
    out = {}
    for job in jobs:
        out.setdefault(job.kind, job)
    return out


def township_numbers(township: Region, year: int) -> dict:
    """The numbers of a township's year for its annual report (a query per record kind)."""
    from congress.models import Meeting, Suggestion
    from deputies.models import Mandate
    from stations.models import Activity, Reception, Station, VoterIssue

    from .models import PointEntry, StarRating

    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_year = {"date__gte": start, "date__lte": end}
    meetings = Meeting.objects.filter(region=township, state=Meeting.State.HELD, **in_year).aggregate(
        sessions=Count("pk", filter=Q(kind=Meeting.Kind.SESSION)),
        presidium=Count("pk", filter=Q(kind=Meeting.Kind.PRESIDIUM)),
    )
    deputies = (
        Mandate.objects.filter(deputy__region=township, status=Mandate.Status.SERVING)
        .values("deputy")
        .distinct()
        .count()
    )
    rooms = list(Station.objects.filter(township=township, active=True).order_by("kind", "name"))
    receptions = dict(
        Reception.objects.filter(station__township=township, **in_year)
        .order_by()
        .values_list("station_id")
        .annotate(n=Count("pk"))
    )
    stars = dict(
        StarRating.objects.filter(station__township=township, year=year, stars__isnull=False)
        .filter(state__in=(StarRating.State.REVIEWED, StarRating.State.PUBLISHED))
        .values_list("station_id", "stars")
    )
    for room in rooms:
        room.year_receptions = receptions.get(room.pk, 0)
        room.year_stars = stars.get(room.pk)
    activities = Activity.objects.filter(region=township, status=Activity.Status.CONFIRMED, **in_year).aggregate(
        total=Count("pk"), trainings=Count("pk", filter=Q(kind=Activity.Kind.TRAINING))
    )
    issues = VoterIssue.objects.filter(region=township, raised_on__gte=start, raised_on__lte=end).aggregate(
        total=Count("pk"),
        referred=Count("pk", filter=Q(referred_on__isnull=False)),
        fed_back=Count("pk", filter=Q(state__in=(VoterIssue.State.FED_BACK, VoterIssue.State.CLOSED))),
    )
    suggestions = Suggestion.objects.filter(region=township, submitted_on__gte=start, submitted_on__lte=end).aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=Q(answered_on__isnull=False)),
    )
    points_sum = PointEntry.objects.filter(deputy__region=township, year=year, capped=False).aggregate(s=Sum("points"))[
        "s"
    ] or Decimal(0)
    star_avg = StarRating.objects.filter(
        station__township=township,
        year=year,
        stars__isnull=False,
        state__in=(StarRating.State.REVIEWED, StarRating.State.PUBLISHED),
    ).aggregate(a=Avg("stars"))["a"]
    publicity = PublicityItem.objects.filter(region=township, date__gte=start, date__lte=end).count()
    return {
        "deputies": deputies,
        "sessions": meetings["sessions"],
        "presidium": meetings["presidium"],
        "rooms": rooms,
        "room_count": len(rooms),
        "receptions": sum(receptions.values()),
        "activities": activities["total"],
        "trainings": activities["trainings"],
        "issues": issues,
        "suggestions": suggestions,
        "points_average": (points_sum / deputies).quantize(Decimal("0.1")) if deputies else Decimal("0.0"),
        "star_average": round(star_avg, 1) if star_avg is not None else None,
        "publicity": publicity,
    }


def dashboard_county(user, region: Region, year: int) -> dict:
    # One query for both: this year's assessment and the latest published one (a county has
    # one assessment a year, so this reads a handful of rows).
    rows = list(
        Assessment.objects.for_user(user, VIEW)
        .filter(Q(year=year) | Q(state=Assessment.State.PUBLISHED), region=region)
        .select_related("region")
        .order_by("-year")
    )
    this_year = next((a for a in rows if a.year == year), None)
    published = next((a for a in rows if a.state == Assessment.State.PUBLISHED), None)
    top = list(visible_results(user, published)[:5]) if published else []
    return {"current": this_year, "published": published, "top": top}


def dashboard_township(user, township: Region, year: int) -> dict:
    result = (
        TownshipResult.objects.for_user(user, VIEW)
        .filter(township=township, assessment__year__in=(year, year - 1))
        .select_related("assessment")
        .order_by("-assessment__year")
        .first()
    )
    return {"result": result}


def items_of(assessment: Assessment):
    return ChecklistItem.objects.filter(section__assessment=assessment).select_related("section")


def township_report_job(user, result: TownshipResult):
    """The newest annual-report job of this township result the user may see."""
    return (
        Job.objects.for_user(user, VIEW)
        .filter(kind="township_report", params__result=result.pk)
        .select_related("region", "requested_by")
        .order_by("-created_at", "-pk")
        .first()
    )
