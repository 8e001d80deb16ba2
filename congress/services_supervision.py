"""Writes of the supervision part (监督): the township's annual plan with a focus for each
quarter, and each supervision item's chain

    planned → held (开展) → opinion_sent (交办审议意见) → rectified (报送整改) → closed (跟踪督办、满意度测评)

`TRANSITIONS` is the one table of what may follow what; every step goes through
`_transition`, which locks the row, refuses a step the state does not allow with a Chinese
message naming the current state, checks who may take it, and saves. The row change is
written to the audit log by org/audit.py's signals (state and dates as old → new values).

Only a clerk of the item's township writes, with one exception: the rectification report
(整改情况报告) may also be submitted by the staff of the supervised unit itself (a
`handling_unit` membership of `item.unit`). SupervisionItem has no scope_extra_q for units,
so that membership is checked here explicitly, and in the unit's views.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import HandlingUnit, Region, user_memberships
from org.roles import TOWNSHIP_KINDS, Role
from org.scoping import CHANGE, can

from . import rules
from .models import SupervisionItem, SupervisionPlan
from .notifications import clerks_of, notification_send, unit_users

State = SupervisionItem.State

# The unit gets two months for its rectification report unless the clerk sets another date.
# County rules and township practice give 2–3 months after the review opinions are sent
# (审议意见交办后两个月内报送整改情况, three for complex matters); the shorter default keeps the
# follow-up inside the same half-year, and the clerk lengthens it for a hard case.
DEFAULT_RECTIFICATION_MONTHS = 2
# The satisfaction vote is flagged when more than a third of the votes are 不满意.
HIGH_DISSATISFACTION_LABEL = "不满意率高"
FOCUS_FIELDS = {1: "q1_focus", 2: "q2_focus", 3: "q3_focus", 4: "q4_focus"}
FOCUS_MAX = 300
# What supervision_item_update may change; state and the chain's fields are the steps' own.
ITEM_FIELDS = ("year", "quarter", "kind", "title", "unit", "date")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    verb: str  # the Chinese name of the step, as in "不能交办审议意见"


TRANSITIONS: dict[str, Transition] = {
    "hold": Transition((State.PLANNED,), State.HELD, "登记开展情况"),
    "opinion": Transition((State.HELD,), State.OPINION_SENT, "交办审议意见"),
    "rectification": Transition((State.OPINION_SENT,), State.RECTIFIED, "报送整改情况"),
    "follow_up": Transition((State.RECTIFIED,), State.CLOSED, "登记跟踪督办和满意度测评"),
}


def allowed_steps(state: str) -> list[str]:
    """The names of the transitions open from `state`, in the table's order."""
    return [name for name, t in TRANSITIONS.items() if state in t.sources]


def high_dissatisfaction(*, satisfied: int, basically_satisfied: int, unsatisfied: int) -> bool:
    """More than a third of the votes cast are 不满意 (integer arithmetic: 3u > total)."""
    total = satisfied + basically_satisfied + unsatisfied
    return total > 0 and 3 * unsatisfied > total


# --- checks ---------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _d(day: datetime.date) -> str:
    return f"{day:%Y-%m-%d}"


def is_township_clerk(user, region: Region) -> bool:
    """Whether `user` is a clerk of `region` (no query: memberships are cached)."""
    return any(m.role == Role.TOWNSHIP_CLERK and region.path.startswith(m.region.path) for m in user_memberships(user))


def unit_ids_of(user) -> set[int]:
    """The handling units whose staff `user` is (its `handling_unit` memberships)."""
    return {m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT and m.handling_unit_id}


def is_unit_staff(user, item: SupervisionItem) -> bool:
    """Whether `user` works for the unit `item` supervises."""
    return bool(item.unit_id) and item.unit_id in unit_ids_of(user)


def _require_clerk(user, region: Region) -> None:
    if user is not None and not is_township_clerk(user, region):
        raise PermissionDenied(f"只有{region.name}的乡镇人大秘书可以登记、修改本乡镇的监督工作。")


def _require_item_writer(user, item: SupervisionItem) -> None:
    if user is not None and not can(user, CHANGE, item):
        raise PermissionDenied("您无权修改此监督事项。")


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _check_day(field: str, label: str, value, *, not_before=None, not_before_label: str = "") -> None:
    """A date of a step that has happened: given, not in the future, not before the step before."""
    if not isinstance(value, datetime.date):
        raise _field_error(field, f"请填写{label}。")
    if value > _today():
        raise _field_error(field, f"{label}不能晚于今天。")
    if not_before is not None and value < not_before:
        raise _field_error(field, f"{label}不能早于{not_before_label}（{_d(not_before)}）。")


def _check_year(year) -> None:
    this_year = _today().year
    if not isinstance(year, int) or not 2000 <= year <= this_year + 1:
        raise _field_error("year", f"年度应在2000年至{this_year + 1}年之间。")


def _check_participants(region: Region, participants) -> list[Deputy]:
    deputies = list(participants or [])
    wrong = [d.name for d in deputies if d.region_id != region.pk]
    if wrong:
        raise _field_error("participants", f"参加代表必须是{region.name}的代表：{'、'.join(wrong)}。")
    return deputies


def _check_unit(region: Region, unit: HandlingUnit | None) -> None:
    if unit is None:
        return
    # A unit of the township, or one set up above it (a county office's 站所 in the township).
    if not region.path.startswith(unit.region.path):
        raise _field_error("unit", f"被监督单位“{unit}”不属于{region.name}。")


def _text(value, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise _field_error(field, f"请填写{label}。")
    return value


# --- the plan -------------------------------------------------------------------------------


@transaction.atomic
def supervision_plan_save(
    *,
    region: Region,
    year: int,
    focus: dict,
    approved_on: datetime.date | None,
    note: str,
    user,
    plan: SupervisionPlan | None = None,
) -> SupervisionPlan:
    """Create the annual supervision plan (年度监督工作计划) of `region` for `year`, or change
    `plan`. `focus` maps a quarter (1–4, or "q1".."q4") to its focus (重点); quarters left
    out are cleared. One plan per township and year: a second one is refused. Items of the
    region and year not yet tied to a plan are tied to it."""
    _require_clerk(user, region)
    if region.kind not in TOWNSHIP_KINDS:
        raise _field_error("region", "年度监督计划只能由乡镇（街道）人大制定。")
    _check_year(year)
    taken = SupervisionPlan.objects.filter(region=region, year=year)
    if plan is not None:
        taken = taken.exclude(pk=plan.pk)
    if taken.exists():
        raise _field_error("year", f"{region.name}{year}年的监督工作计划已经存在，请在原计划中修改。")
    values = {}
    for quarter, field in FOCUS_FIELDS.items():
        text = (focus.get(quarter) or focus.get(f"q{quarter}") or "").strip()
        if len(text) > FOCUS_MAX:
            raise _field_error(field, f"第{quarter}季度重点不能超过{FOCUS_MAX}字。")
        values[field] = text
    if approved_on is not None:
        if approved_on > _today():
            raise _field_error("approved_on", "通过日期不能晚于今天。")
        # A plan is adopted at the start of its year, or in the December before.
        if approved_on.year not in (year - 1, year):
            raise _field_error("approved_on", f"通过日期应在{year - 1}年或{year}年。")
    if plan is None:
        plan = SupervisionPlan(region=region)
    elif plan.region_id != region.pk:
        raise _field_error("region", "不能把年度监督计划改到其他乡镇。")
    old_year = plan.year if plan.pk else None
    plan.year = year
    plan.approved_on = approved_on
    plan.note = (note or "").strip()
    for field, text in values.items():
        setattr(plan, field, text)
    plan.save()
    if old_year is not None and old_year != year:
        SupervisionItem.objects.filter(plan=plan).exclude(year=year).update(plan=None)
    SupervisionItem.objects.filter(region=region, year=year, plan__isnull=True).update(plan=plan)
    return plan


def _plan_of(region: Region, year: int) -> SupervisionPlan | None:
    return SupervisionPlan.objects.filter(region=region, year=year).first()


# --- items ----------------------------------------------------------------------------------


def _check_item_fields(*, region: Region, year, quarter, kind, title, unit) -> str:
    _check_year(year)
    if quarter not in (1, 2, 3, 4):
        raise _field_error("quarter", "请选择季度（第1至第4季度）。")
    if kind not in SupervisionItem.Kind.values:
        raise _field_error("kind", "请选择监督方式。")
    _check_unit(region, unit)
    return _text(title, "title", "监督事项")


@transaction.atomic
def supervision_item_create(
    *,
    region: Region,
    year: int,
    quarter: int,
    kind: str,
    title: str,
    unit: HandlingUnit | None,
    date: datetime.date | None = None,
    user,
) -> SupervisionItem:
    """Put a supervision item (监督事项) on `region`'s plan for `year` and `quarter` (state
    planned). `date` is the day it is planned for, if known. It joins the year's plan when
    there is one."""
    _require_clerk(user, region)
    if region.kind not in TOWNSHIP_KINDS:
        raise _field_error("region", "监督事项只能登记在乡镇（街道）。")
    title = _check_item_fields(region=region, year=year, quarter=quarter, kind=kind, title=title, unit=unit)
    if date is not None and date.year != year:
        raise _field_error("date", f"计划开展日期应在{year}年内。")
    return SupervisionItem.objects.create(
        region=region,
        plan=_plan_of(region, year),
        year=year,
        quarter=quarter,
        kind=kind,
        title=title,
        unit=unit,
        date=date,
        created_by=user,
    )


@transaction.atomic
def supervision_item_update(
    *,
    item: SupervisionItem,
    year: int,
    quarter: int,
    kind: str,
    title: str,
    unit: HandlingUnit | None,
    date: datetime.date | None = None,
    participants=None,
    user,
) -> SupervisionItem:
    """Correct an item's facts in any state: year, quarter, kind, title, unit, its date (the
    planned day while planned, the day it was held after), and once held its participants
    (`participants` None leaves them as they are). The chain's own fields change only
    through its steps, and the date stays before the review opinions were sent."""
    _require_item_writer(user, item)
    region = item.region
    title = _check_item_fields(region=region, year=year, quarter=quarter, kind=kind, title=title, unit=unit)
    if item.state == State.PLANNED:
        if date is not None and date.year != year:
            raise _field_error("date", f"计划开展日期应在{year}年内。")
    else:
        _check_day("date", "开展日期", date, not_before=datetime.date(year, 1, 1), not_before_label="年度开始")
        if item.opinion_sent_on and date > item.opinion_sent_on:
            raise _field_error("date", f"开展日期不能晚于审议意见交办日期（{_d(item.opinion_sent_on)}）。")
    deputies = None
    if participants is not None:
        deputies = _check_participants(region, participants)
        if item.state != State.PLANNED and not deputies:
            raise _field_error("participants", "已开展的监督事项至少要有一名参加代表。")
    if unit != item.unit and item.state not in (State.PLANNED, State.HELD):
        raise _field_error("unit", "审议意见已交办，不能再更换被监督单位。")
    item.year, item.quarter, item.kind, item.title, item.unit, item.date = year, quarter, kind, title, unit, date
    if item.plan_id is None or item.plan.year != year:
        item.plan = _plan_of(region, year)
    item.save()
    if deputies is not None:
        item.participants.set(deputies)
    return item


@transaction.atomic
def supervision_item_delete(*, item: SupervisionItem, user) -> None:
    """Remove an item that is still only planned; once held it is part of the record."""
    _require_item_writer(user, item)
    if item.state != State.PLANNED:
        raise ValidationError(f"该监督事项当前状态为“{item.get_state_display()}”，只有计划中的事项可以删除。")
    item.delete()


# --- the chain ------------------------------------------------------------------------------


def _require_state(item: SupervisionItem, step: str) -> None:
    spec = TRANSITIONS[step]
    if item.state not in spec.sources:
        raise ValidationError(
            f"该监督事项当前状态为“{item.get_state_display()}”，不能{spec.verb}。", code="invalid_transition"
        )


def _transition(item: SupervisionItem, step: str, *, may, **changes) -> SupervisionItem:
    """Move `item` by `step` (a key of TRANSITIONS) setting `changes`. `may(locked)` says
    whether the user may take the step on the stored row."""
    # Checked again on the locked row: a clerk and the unit may act on the same item at once.
    locked = SupervisionItem.objects.select_for_update(of=("self",)).select_related("region", "unit").get(pk=item.pk)
    _require_state(locked, step)
    if not may(locked):
        raise PermissionDenied("您无权办理此监督事项。")
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.state = TRANSITIONS[step].target
    locked.save()
    item.refresh_from_db()
    return locked


def _clerk_may(user):
    return lambda locked: user is None or can(user, CHANGE, locked)


@transaction.atomic
def supervision_item_hold(*, item: SupervisionItem, date: datetime.date, participants, user) -> SupervisionItem:
    """开展: the supervision took place on `date` with `participants` (deputies of the
    township, at least one)."""
    _require_state(item, "hold")
    _check_day("date", "开展日期", date, not_before=datetime.date(item.year, 1, 1), not_before_label="年度开始")
    deputies = _check_participants(item.region, participants)
    if not deputies:
        raise _field_error("participants", "请至少选择一名参加代表。")
    held = _transition(item, "hold", may=_clerk_may(user), date=date)
    held.participants.set(deputies)
    return held


@transaction.atomic
def supervision_opinion_send(
    *,
    item: SupervisionItem,
    opinion: str,
    sent_on: datetime.date,
    rectification_due: datetime.date | None,
    user,
) -> SupervisionItem:
    """交办审议意见: the congress's review opinions sent to the unit on `sent_on`, with the
    date its rectification report is due (default DEFAULT_RECTIFICATION_MONTHS later). The
    unit's staff are told in the portal."""
    _require_state(item, "opinion")
    opinion = _text(opinion, "opinion", "审议意见")
    _check_day("sent_on", "交办日期", sent_on, not_before=item.date, not_before_label="开展日期")
    if item.unit_id is None:
        raise _field_error("unit", "请先在监督事项中填写被监督单位，再交办审议意见。")
    due = rectification_due or sent_on + relativedelta(months=DEFAULT_RECTIFICATION_MONTHS)
    if due <= sent_on:
        raise _field_error("rectification_due", f"整改期限应晚于交办日期（{_d(sent_on)}）。")
    sent = _transition(
        item,
        "opinion",
        may=_clerk_may(user),
        review_opinion=opinion,
        opinion_sent_on=sent_on,
        rectification_due=due,
    )
    notification_send(
        users=unit_users([sent.unit_id]),
        title=f"{sent.region.name}人大交办审议意见：{sent.title}",
        body=f"请于{_d(due)}前报送整改情况。",
        url=reverse("congress:unit-supervision-detail", args=[sent.pk]),
    )
    return sent


@transaction.atomic
def supervision_rectification_record(*, item: SupervisionItem, report: str, on: datetime.date, user) -> SupervisionItem:
    """报送整改: the unit's rectification report, received on `on`. The clerk records a paper
    report; the unit's own staff (a handling_unit membership of the supervised unit) may
    submit it in the portal, and the township's clerks are then told."""
    _require_state(item, "rectification")
    report = _text(report, "report", "整改情况报告")
    _check_day("on", "报送日期", on, not_before=item.opinion_sent_on, not_before_label="审议意见交办日期")

    def may(locked):
        return user is None or can(user, CHANGE, locked) or is_unit_staff(user, locked)

    done = _transition(item, "rectification", may=may, rectification_report=report, rectified_on=on)
    if user is not None and is_unit_staff(user, done) and not can(user, CHANGE, done):
        notification_send(
            users=clerks_of(done.region),
            title=f"{done.unit}报送了整改情况：{done.title}",
            url=done.get_absolute_url(),
        )
    return done


@transaction.atomic
def supervision_follow_up(
    *,
    item: SupervisionItem,
    text: str,
    on: datetime.date,
    satisfied: int,
    basically_satisfied: int,
    unsatisfied: int,
    user,
) -> SupervisionItem:
    """跟踪督办 and 满意度测评: how the rectification was checked on `on`, and the deputies'
    vote on it (满意/基本满意/不满意; all 0 when no vote was taken). The votes cannot exceed
    the deputies serving that day. Closes the item; a vote with more than a third 不满意 is
    flagged 不满意率高 (see high_dissatisfaction) for the presidium to take up again."""
    _require_state(item, "follow_up")
    text = _text(text, "text", "跟踪督办情况")
    _check_day("on", "跟踪日期", on, not_before=item.rectified_on, not_before_label="整改情况报送日期")
    counts = {"satisfied": satisfied, "basically_satisfied": basically_satisfied, "unsatisfied": unsatisfied}
    for field, value in counts.items():
        if not isinstance(value, int) or value < 0:
            label = str(SupervisionItem._meta.get_field(field).verbose_name)
            raise _field_error(field, f"“{label}”票数不能为负数。")
    total = sum(counts.values())
    serving = rules.serving_count_on(item.region, on)
    if total > serving:
        raise _field_error(
            "satisfied",
            f"测评票数合计{total}票，超过{_d(on)}{item.region.name}在任代表人数（{serving}人）。",
        )
    return _transition(item, "follow_up", may=_clerk_may(user), follow_up=text, followed_up_on=on, **counts)
