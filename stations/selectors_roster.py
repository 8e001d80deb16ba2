"""Reads of the duty roster 值日表: who may be on duty at a room, a room's days in a period,
a month as calendar weeks, and a deputy's own duty days."""

from __future__ import annotations

import calendar
import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from deputies.models import Deputy, Mandate
from deputies.selectors import has_mandate

from .models import DutyRoster, Reception, Station

WEEKDAYS = "一二三四五六日"
# Rotation and display order of deputies: pinyin initials, then name (张伟 before 张伟民).
DEPUTY_ORDER = ("name_initials", "name", "pk")
MIN_YEAR, MAX_YEAR = 2000, 2100


def weekday_label(day: datetime.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def period(year: int, month: int | None) -> tuple[datetime.date, datetime.date]:
    """First and last day of a month, or of the year when `month` is None."""
    if month is None:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def period_label(year: int, month: int | None) -> str:
    return f"{year}年{month}月" if month else f"{year}年"


def serving_township_deputies(township_id: int) -> QuerySet:
    """A township's deputies holding a serving township-level mandate."""
    return Deputy.objects.filter(region_id=township_id).filter(
        has_mandate(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP)
    )


def duty_pool(station: Station) -> list[Deputy]:
    """The deputies who take turns at a room, in rotation order: the members of the room's
    groups holding a serving mandate; for a 代表之家 without groups, the township's serving
    township-level deputies. Empty when nobody qualifies."""
    if station.groups.exists():
        qs = Deputy.objects.filter(
            Exists(Station.groups.through.objects.filter(station_id=station.pk, deputygroup__members=OuterRef("pk")))
        ).filter(has_mandate(status=Mandate.Status.SERVING))
    elif station.kind == Station.Kind.HOME:
        qs = serving_township_deputies(station.township_id)
    else:
        return []
    return list(qs.order_by(*DEPUTY_ORDER))


def deputy_choices(station: Station, current_ids=()) -> QuerySet:
    """Deputies a clerk may put on duty at a room: the township's deputies with a serving
    mandate, plus those already on the day (a mandate may have ended since)."""
    qs = Deputy.objects.filter(region_id=station.township_id)
    return qs.filter(has_mandate(status=Mandate.Status.SERVING) | Q(pk__in=list(current_ids))).order_by(*DEPUTY_ORDER)


def _deputies_prefetch() -> Prefetch:
    return Prefetch("deputies", queryset=Deputy.objects.order_by(*DEPUTY_ORDER))


def station_days(station: Station, start: datetime.date, end: datetime.date) -> QuerySet:
    """A room's duty days from `start` to `end` with their deputies and whether a reception
    was recorded against them (two queries)."""
    return (
        DutyRoster.objects.filter(station=station, date__range=(start, end))
        .annotate(has_reception=Exists(Reception.objects.filter(roster=OuterRef("pk"))))
        .prefetch_related(_deputies_prefetch())
        .order_by("date")
    )


def month_weeks(year: int, month: int, days) -> list[list[dict]]:
    """The month as weeks Monday..Sunday for a calendar table; each cell holds its date,
    whether it lies in the month, and the duty days on it."""
    by_date: dict[datetime.date, list] = {}
    for entry in days:
        by_date.setdefault(entry.date, []).append(entry)
    today = datetime.date.today()
    return [
        [{"date": d, "in_month": d.month == month, "today": d == today, "entries": by_date.get(d, [])} for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]


def months_of(days) -> list[dict]:
    """Duty days of a year grouped by month (only months that have some)."""
    months: dict[int, list] = {}
    for entry in days:
        months.setdefault(entry.date.month, []).append(entry)
    return [{"month": m, "entries": entries} for m, entries in sorted(months.items())]


def deputy_duty_days(qs: QuerySet, deputy: Deputy) -> QuerySet:
    """The duty days of `deputy` among `qs` (already scoped), with the room and everyone
    on duty that day, newest first."""
    return (
        qs.filter(deputies=deputy)
        .select_related("station__township", "station__region")
        .prefetch_related(_deputies_prefetch())
        .order_by("-date", "pk")
    )


def split_upcoming(days: QuerySet, today: datetime.date) -> tuple[list, QuerySet]:
    """(upcoming days, soonest first; past days as a queryset, newest first)."""
    upcoming = list(days.filter(date__gte=today).order_by("date", "pk"))
    return upcoming, days.filter(date__lt=today)
