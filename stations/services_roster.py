"""Writes of the duty roster 值日表: generating a room's reception days for a month or a
year with its deputies in rotation, and the clerk's changes by hand."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from deputies.models import Deputy

from . import selectors_roster as selectors
from .models import DutyRoster, Reception, Station
from .roster_rules import parse_rule

MAX_PER_DAY = 10
# How far a day moved by hand (a holiday 顺延 or 提前) may lie from the rule date it replaces.
MOVE_WINDOW = datetime.timedelta(days=31)


@dataclass
class RosterGeneration:
    """What a generation did: the days it created, how many generated days it replaced,
    the days of the period it left alone (changed by hand, added by hand, or with a
    reception recorded), and the rule dates not refilled because a day was moved from them."""

    created: list[DutyRoster] = field(default_factory=list)
    replaced: int = 0
    kept: list[DutyRoster] = field(default_factory=list)
    moved_from: list[datetime.date] = field(default_factory=list)


def _day(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _check_period(year, month):
    if not isinstance(year, int) or not selectors.MIN_YEAR <= year <= selectors.MAX_YEAR:
        raise ValidationError({"year": f"年份应在{selectors.MIN_YEAR}至{selectors.MAX_YEAR}年之间。"})
    if month is not None and (not isinstance(month, int) or not 1 <= month <= 12):
        raise ValidationError({"month": "月份应在1至12月之间。"})


def _next_position(pool_index: dict[int, int], deputy_ids, n: int) -> int:
    """Where the rotation resumes after a day on which `deputy_ids` were on duty: after the
    end of their run in the pool (a run may wrap round, e.g. the last and the first)."""
    taken = {pool_index[d] for d in deputy_ids if d in pool_index}
    if not taken:
        return 0
    ends = [i for i in sorted(taken) if (i + 1) % n not in taken]
    return (ends[-1] + 1) % n if ends else 0


def _moved_from(rows, rule_dates: list[datetime.date]) -> set[datetime.date]:
    """Rule dates a day was moved away from by hand: each changed day that is not on a rule
    date stands in for the nearest rule date with no day at all, earlier first (a holiday
    is usually 顺延, postponed), within MOVE_WINDOW."""
    row_dates = {r.date for r in rows}
    rule_set = set(rule_dates)
    free = sorted(d for d in rule_dates if d not in row_dates)
    consumed: set[datetime.date] = set()
    for row in sorted((r for r in rows if r.generated and r.edited and r.date not in rule_set), key=lambda r: r.date):
        earlier = [d for d in free if d not in consumed and row.date - MOVE_WINDOW <= d < row.date]
        later = [d for d in free if d not in consumed and row.date < d <= row.date + MOVE_WINDOW]
        if earlier:
            consumed.add(earlier[-1])
        elif later:
            consumed.add(later[0])
    return consumed


@transaction.atomic
def duty_roster_generate(*, station: Station, year: int, month: int | None = None, per_day: int = 2, user):
    """Build a room's 值日表 for a month (or the whole year when `month` is None) from its
    reception-day rule, `per_day` deputies a day taken in turn from `selectors.duty_pool`.

    The rotation resumes after the last generated day before the period, so months
    generated one after another share the turns fairly. Generated days of the period are
    replaced; days changed or added by hand (`edited`, or not `generated`) and days with a
    reception recorded are kept as they are, and a day moved by hand (a holiday) is not
    generated again on the date it was moved from. Returns a RosterGeneration; raises
    ValidationError (Chinese) for an unreadable rule, a closed room or nobody to put on duty.
    """
    _check_period(year, month)
    if not isinstance(per_day, int) or not 1 <= per_day <= MAX_PER_DAY:
        raise ValidationError({"per_day": f"每天值班代表人数应在1至{MAX_PER_DAY}人之间。"})
    station = Station.objects.select_for_update(of=("self",)).get(pk=station.pk)
    if not station.active:
        raise ValidationError(f"“{station.name}”已撤销，不能编排值日表。")
    try:
        rule = parse_rule(station.reception_rule)
    except ValueError as exc:
        raise ValidationError({"reception_rule": f"“{station.name}”的接待日无法生成值日表：{exc}"}) from None
    pool = selectors.duty_pool(station)
    if not pool:
        raise ValidationError(
            {
                "station": f"“{station.name}”没有可安排值班的在任代表：请先在阵地信息中关联代表小组，"
                "并确认小组成员为在任代表。"
            }
        )
    start, end = selectors.period(year, month)
    window = list(
        DutyRoster.objects.filter(station=station, date__range=(start - MOVE_WINDOW, end + MOVE_WINDOW)).annotate(
            has_reception=Exists(Reception.objects.filter(roster=OuterRef("pk")))
        )
    )
    in_period = [r for r in window if start <= r.date <= end]
    replaceable = [r for r in in_period if r.generated and not r.edited and not r.has_reception]
    kept = [r for r in in_period if r not in replaceable]
    moved = _moved_from(window, rule.dates_between(start - MOVE_WINDOW, end + MOVE_WINDOW))
    taken = {r.date for r in kept}
    targets = [d for d in rule.dates_between(start, end) if d not in taken and d not in moved]

    replaced = DutyRoster.objects.filter(pk__in=[r.pk for r in replaceable]).delete()[1].get(DutyRoster._meta.label, 0)

    n = len(pool)
    per_day = min(per_day, n)
    pool_index = {d.pk: i for i, d in enumerate(pool)}
    last = (
        DutyRoster.objects.filter(station=station, date__lt=start, generated=True)
        .order_by("-date", "-pk")
        .prefetch_related("deputies")
        .first()
    )
    position = _next_position(pool_index, [d.pk for d in last.deputies.all()], n) if last else 0
    created = []
    for day in targets:
        entry = DutyRoster.objects.create(
            station=station,
            date=day,
            start_time=rule.start_time,
            end_time=rule.end_time,
            generated=True,
            created_by=user,
        )
        entry.deputies.set([pool[(position + j) % n] for j in range(per_day)])
        position = (position + per_day) % n
        created.append(entry)
    return RosterGeneration(
        created=created,
        replaced=replaced,
        kept=sorted(kept, key=lambda r: r.date),
        moved_from=sorted(moved & set(rule.dates_between(start, end))),
    )


def _check_day(*, station: Station, date, deputies: list[Deputy], start_time, end_time, exclude_pk=None):
    errors = {}
    if date is None:
        errors["date"] = "请填写值班日期。"
    elif DutyRoster.objects.filter(station=station, date=date).exclude(pk=exclude_pk).exists():
        errors["date"] = f"“{station.name}”在{_day(date)}已有值班安排，请另选日期，或修改、删除那一天的安排。"
    if not deputies:
        errors["deputies"] = "请至少选择一名值班代表。"
    else:
        outsiders = [d.name for d in deputies if d.region_id != station.township_id]
        if outsiders:
            errors["deputies"] = f"值班代表须为{station.township.name}的代表，以下代表不是：{'、'.join(outsiders)}。"
    if start_time and end_time and end_time <= start_time:
        errors["end_time"] = "结束时间应晚于开始时间。"
    if errors:
        raise ValidationError(errors)


def _save(entry: DutyRoster):
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # Another clerk took the date between the check and the save.
        raise ValidationError(
            {"date": f"“{entry.station.name}”在{_day(entry.date)}已有值班安排，请另选日期。"}
        ) from None


_UNCHANGED = object()


@transaction.atomic
def duty_roster_update(
    *, entry: DutyRoster, date, deputies, note: str = "", user, start_time=_UNCHANGED, end_time=_UNCHANGED
) -> DutyRoster:
    """Change one duty day by hand: move it (a holiday), swap its deputies, add a note. The
    day is marked `edited`, so a later generation keeps it and does not refill the date it
    was moved from. A date the room already has another day on is refused (ValidationError)."""
    deputies = list(deputies)
    station = entry.station
    start_time = entry.start_time if start_time is _UNCHANGED else start_time
    end_time = entry.end_time if end_time is _UNCHANGED else end_time
    _check_day(
        station=station, date=date, deputies=deputies, start_time=start_time, end_time=end_time, exclude_pk=entry.pk
    )
    entry.date = date
    entry.start_time, entry.end_time = start_time, end_time
    entry.note = note or ""
    entry.edited = True
    _save(entry)
    entry.deputies.set(deputies)
    return entry


@transaction.atomic
def duty_roster_add(
    *, station: Station, date, deputies, note: str = "", user, start_time=None, end_time=None
) -> DutyRoster:
    """Add a duty day by hand (an extra reception day, e.g. before a session). It is not
    `generated`, so generations never touch it."""
    deputies = list(deputies)
    _check_day(station=station, date=date, deputies=deputies, start_time=start_time, end_time=end_time)
    entry = DutyRoster(
        station=station,
        date=date,
        start_time=start_time,
        end_time=end_time,
        note=note or "",
        generated=False,
        created_by=user,
    )
    _save(entry)
    entry.deputies.set(deputies)
    return entry


@transaction.atomic
def duty_roster_delete(*, entry: DutyRoster, user) -> None:
    """Remove one duty day. A reception recorded against it stays, no longer linked to the
    roster. A generated day deleted here comes back if its period is generated again."""
    entry.delete()
