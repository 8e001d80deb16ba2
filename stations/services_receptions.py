"""Writes of the receptions part: a 接待选民 with the matters voters raised, and the voter
issue workflow of DESIGN.md section 5:

    recorded → on_spot (当场答复) | referred (转办, due date) → answered → fed_back → closed

`TRANSITIONS` is the one table of what may follow what; every transition goes through
`_transition`, which locks the row, refuses a step the state does not allow with a Chinese
message naming the current state, and writes a `VoterIssueEvent`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from org.models import HandlingUnit, Region
from org.roles import TOWNSHIP_KINDS
from org.scoping import CHANGE, can

from .models import Activity, DutyRoster, Reception, Station, VoterIssue, VoterIssueEvent

State = VoterIssue.State
Source = VoterIssue.Source

# A unit is given 15 days to answer unless the clerk sets another date: the issue's brief
# (county practice for 选民意见转办; the 信访 rules use the same 15-day step). Suggestions
# have their own, longer rule (DESIGN.md section 5).
DEFAULT_REFERRAL_DAYS = 15

# What a reception row may say should happen to a matter at once.
DISPOSITION_NONE = ""
DISPOSITION_ON_SPOT = "on_spot"
DISPOSITION_REFER = "refer"
DISPOSITIONS = (
    (DISPOSITION_NONE, "暂不处理"),
    (DISPOSITION_ON_SPOT, "当场答复"),
    (DISPOSITION_REFER, "转办"),
)


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    verb: str  # the Chinese name of the step, as in "不能转办"
    # The scope action the user needs on the issue ("answer" lets the unit's staff in).
    action: str = CHANGE


TRANSITIONS: dict[str, Transition] = {
    "handle_on_spot": Transition((State.RECORDED,), State.ON_SPOT, "当场答复"),
    # From referred: re-refer (改转) to another unit, e.g. the first one was the wrong office.
    "refer": Transition((State.RECORDED, State.REFERRED), State.REFERRED, "转办"),
    "answer": Transition((State.REFERRED,), State.ANSWERED, "录入办理答复", action="answer"),
    "feed_back": Transition((State.ANSWERED, State.ON_SPOT), State.FED_BACK, "反馈选民"),
    # An on-the-spot answer may be closed at once: the voter heard it in person.
    "close": Transition((State.FED_BACK, State.ON_SPOT), State.CLOSED, "办结"),
}


def allowed_steps(state: str) -> list[str]:
    """The names of the transitions open from `state`, in the table's order."""
    return [name for name, t in TRANSITIONS.items() if state in t.sources]


def _today() -> datetime.date:
    return timezone.localdate()


def _actor(user):
    """The user to write down as having acted (none for the public page)."""
    return user if user is not None and user.is_authenticated else None


def _require_write(user, obj) -> None:
    # No user (or an anonymous one) is the public page or a seeder: their callers check.
    if user is not None and user.is_authenticated and not can(user, CHANGE, obj):
        raise PermissionDenied("您无权在此登记。")


def _check_date(value, label: str, *, not_before=None, not_before_label: str = "") -> None:
    if value is None:
        return
    if value > _today():
        raise ValidationError(f"{label}不能晚于今天。")
    if not_before is not None and value < not_before:
        raise ValidationError(f"{label}不能早于{not_before_label}（{not_before:%Y-%m-%d}）。")


def _require_state(issue: VoterIssue, step: str) -> None:
    spec = TRANSITIONS[step]
    if issue.state not in spec.sources:
        raise ValidationError(
            f"该问题当前状态为“{issue.get_state_display()}”，不能{spec.verb}。", code="invalid_transition"
        )


def _transition(issue: VoterIssue, step: str, *, user, note: str = "", **changes) -> VoterIssue:
    """Move `issue` by `step` (a key of TRANSITIONS) setting `changes`, and log it."""
    spec = TRANSITIONS[step]
    # Checked again on the locked row: two clerks may act on the same issue at once.
    locked = VoterIssue.objects.select_for_update(of=("self",)).get(pk=issue.pk)
    _require_state(locked, step)
    if user is not None and user.is_authenticated and not can(user, spec.action, locked):
        raise PermissionDenied("您无权办理此问题。")
    from_state = locked.state
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.state = spec.target
    locked.save()
    VoterIssueEvent.objects.create(
        issue=locked, from_state=from_state, to_state=spec.target, note=note, user=_actor(user)
    )
    issue.refresh_from_db()
    return locked


# --- recording ----------------------------------------------------------------------------


def voter_issue_record(
    *,
    region: Region,
    content: str,
    source: str,
    user,
    station: Station | None = None,
    reception: Reception | None = None,
    activity: Activity | None = None,
    category: str = VoterIssue.Category.OTHER,
    voter_name: str = "",
    voter_phone: str = "",
    voter_address: str = "",
    raised_on: datetime.date | None = None,
    photo=None,
    photo_type: str = "",
    tracking_code: str | None = None,
) -> VoterIssue:
    """Record one matter a voter raised in the township inbox of `region` (state recorded),
    with its first event. The room, reception or activity it came from must lie in that
    township; the date it was raised cannot be in the future."""
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": "请填写反映内容。"})
    if region.kind not in TOWNSHIP_KINDS:
        raise ValidationError({"region": "选民反映问题必须归属一个乡镇（街道）。"})
    if source not in Source.values:
        raise ValidationError({"source": "来源不正确。"})
    if category not in VoterIssue.Category.values:
        raise ValidationError({"category": "类别不正确。"})
    if station is not None and station.township_id != region.pk:
        raise ValidationError({"station": f"阵地“{station}”不属于{region.name}。"})
    if activity is not None and activity.region_id != region.pk:
        raise ValidationError({"activity": f"代表活动“{activity.topic}”不属于{region.name}。"})
    _require_write(user, region)
    raised_on = raised_on or _today()
    try:
        _check_date(raised_on, "反映日期")
    except ValidationError as exc:
        raise ValidationError({"raised_on": exc.messages}) from None
    with transaction.atomic():
        issue = VoterIssue.objects.create(
            region=region,
            station=station,
            reception=reception,
            activity=activity,
            source=source,
            category=category,
            content=content,
            voter_name=voter_name.strip(),
            voter_phone=voter_phone.strip(),
            voter_address=voter_address.strip(),
            photo=photo or "",
            photo_type=photo_type if photo else "",
            raised_on=raised_on,
            tracking_code=tracking_code,
            recorded_by=_actor(user),
        )
        VoterIssueEvent.objects.create(
            issue=issue,
            from_state="",
            to_state=State.RECORDED,
            note=f"登记（来源：{issue.get_source_display()}）",
            user=_actor(user),
        )
    return issue


# --- the workflow -------------------------------------------------------------------------


@transaction.atomic
def voter_issue_handle_on_spot(*, issue: VoterIssue, answer: str, user) -> VoterIssue:
    """当场答复: the deputies or the clerk answered the voter there and then."""
    _require_state(issue, "handle_on_spot")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "请填写当场答复的内容。"})
    return _transition(issue, "handle_on_spot", user=user, note=answer, on_spot_answer=answer)


def referable_units(user):
    """The handling units a clerk may refer an issue to: those it can see, still in use."""
    return HandlingUnit.objects.for_user(user).filter(active=True).select_related("region")


@transaction.atomic
def voter_issue_refer(
    *,
    issue: VoterIssue,
    unit: HandlingUnit,
    due_on: datetime.date | None,
    user,
    note: str = "",
    on: datetime.date | None = None,
) -> VoterIssue:
    """转办 to `unit` with a due date (default: DEFAULT_REFERRAL_DAYS after the referral);
    from referred it re-refers (改转) to another unit, which gets a fresh due date."""
    _require_state(issue, "refer")
    on = on or _today()
    _check_date(on, "转办日期", not_before=issue.raised_on, not_before_label="反映日期")
    if not unit.active:
        raise ValidationError({"handling_unit": f"承办单位“{unit}”已停用。"})
    if user is not None and user.is_authenticated and not referable_units(user).filter(pk=unit.pk).exists():
        raise ValidationError({"handling_unit": f"承办单位“{unit}”不在您的管辖范围内。"})
    due_on = due_on or on + datetime.timedelta(days=DEFAULT_REFERRAL_DAYS)
    if due_on < on:
        raise ValidationError({"due_on": f"办理期限不能早于转办日期（{on:%Y-%m-%d}）。"})
    again = issue.state == State.REFERRED
    text = f"{'改转' if again else '转办'}至{unit}，办理期限{due_on:%Y-%m-%d}"
    if note.strip():
        text += f"。{note.strip()}"
    return _transition(
        issue,
        "refer",
        user=user,
        note=text,
        handling_unit=unit,
        referred_on=on,
        due_on=due_on,
    )


@transaction.atomic
def voter_issue_answer(*, issue: VoterIssue, answer: str, user, on: datetime.date | None = None) -> VoterIssue:
    """答复: the unit's answer to a referred issue, given by its staff in the portal or
    entered by the clerk on its behalf from a paper reply."""
    _require_state(issue, "answer")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "请填写办理答复。"})
    on = on or _today()
    try:
        _check_date(on, "答复日期", not_before=issue.referred_on, not_before_label="转办日期")
    except ValidationError as exc:
        raise ValidationError({"answered_on": exc.messages}) from None
    unit = issue.handling_unit
    return _transition(
        issue,
        "answer",
        user=user,
        note=f"{unit}答复：{answer}" if unit else answer,
        answer=answer,
        answered_on=on,
        answered_by=_actor(user),
    )


@transaction.atomic
def voter_issue_feed_back(
    *, issue: VoterIssue, method: str, on: datetime.date | None, note: str = "", user
) -> VoterIssue:
    """反馈: the voter was told the answer (how, when, and what the voter said of it)."""
    _require_state(issue, "feed_back")
    if method not in VoterIssue.FeedbackMethod.values:
        raise ValidationError({"feedback_method": "请选择反馈方式。"})
    on = on or _today()
    if issue.state == State.ANSWERED:
        earliest, earliest_label = issue.answered_on, "答复日期"
    else:
        earliest, earliest_label = issue.raised_on, "反映日期"
    try:
        _check_date(on, "反馈日期", not_before=earliest, not_before_label=earliest_label)
    except ValidationError as exc:
        raise ValidationError({"fed_back_on": exc.messages}) from None
    note = (note or "").strip()
    label = VoterIssue.FeedbackMethod(method).label
    return _transition(
        issue,
        "feed_back",
        user=user,
        note=f"以{label}方式反馈选民" + (f"；选民意见：{note}" if note else ""),
        feedback_method=method,
        fed_back_on=on,
        feedback_note=note,
    )


@transaction.atomic
def voter_issue_close(*, issue: VoterIssue, user, note: str = "") -> VoterIssue:
    """办结: nothing more to do on the issue."""
    return _transition(issue, "close", user=user, note=(note or "").strip() or "办结", closed_on=_today())


# --- receptions ---------------------------------------------------------------------------


def _check_reception(*, station: Station, date: datetime.date, deputies, voter_count: int, n_issues: int) -> None:
    errors = {}
    if date > _today():
        errors["date"] = "接待日期不能晚于今天。"
    elif station.closed_on and date > station.closed_on:
        errors["date"] = f"阵地“{station}”已于{station.closed_on:%Y-%m-%d}撤销，不能登记之后的接待。"
    if not deputies:
        errors["deputies"] = "请至少选择一名接待代表。"
    else:
        wrong = [d.name for d in deputies if d.region_id != station.township_id]
        if wrong:
            errors["deputies"] = f"接待代表必须是{station.township.name}的代表：{'、'.join(wrong)}。"
    if voter_count < 0:
        errors["voter_count"] = "接待选民人数不能为负数。"
    elif n_issues and voter_count == 0:
        errors["voter_count"] = "登记了选民反映的问题，接待选民人数不能为0。"
    if errors:
        raise ValidationError(errors)


def _add_issues(reception: Reception, issues: list[dict], user, first_number: int = 1) -> list[VoterIssue]:
    """Record each row of `issues` against the reception and apply its disposition. A bad
    row raises a ValidationError naming it (第N条), which undoes the caller's transaction."""
    station = reception.station
    created = []
    for number, row in enumerate(issues, start=first_number):
        try:
            issue = voter_issue_record(
                region=station.township,
                station=station,
                reception=reception,
                source=Source.RECEPTION,
                content=row.get("content", ""),
                category=row.get("category") or VoterIssue.Category.OTHER,
                voter_name=row.get("voter_name", ""),
                voter_phone=row.get("voter_phone", ""),
                voter_address=row.get("voter_address", ""),
                raised_on=reception.date,
                user=user,
            )
            disposition = row.get("disposition") or DISPOSITION_NONE
            if disposition == DISPOSITION_ON_SPOT:
                issue = voter_issue_handle_on_spot(issue=issue, answer=row.get("answer", ""), user=user)
            elif disposition == DISPOSITION_REFER:
                unit = row.get("handling_unit")
                if unit is None:
                    raise ValidationError("转办请选择承办单位。")
                issue = voter_issue_refer(issue=issue, unit=unit, due_on=row.get("due_on"), user=user)
            elif disposition != DISPOSITION_NONE:
                raise ValidationError("处理方式不正确。")
        except ValidationError as exc:
            raise ValidationError(f"第{number}条反映问题：{'；'.join(exc.messages)}") from None
        created.append(issue)
    return created


def _roster_of(station: Station, date: datetime.date) -> DutyRoster | None:
    return DutyRoster.objects.filter(station=station, date=date).first()


@transaction.atomic
def reception_create(
    *,
    station: Station,
    date: datetime.date,
    deputies,
    voter_count: int,
    summary: str,
    issues: list[dict],
    user,
) -> Reception:
    """Record a 接待选民 at `station` on `date` with the deputies on duty and, in the same
    transaction, each matter raised (`issues`: dicts with content, category, voter_name,
    voter_phone, voter_address, disposition "" | "on_spot" | "refer", answer,
    handling_unit, due_on). Links the room's 值日表 entry of that day if there is one.
    Nothing is saved when any part is refused."""
    _require_write(user, station)
    deputies = list(deputies)
    _check_reception(station=station, date=date, deputies=deputies, voter_count=voter_count, n_issues=len(issues))
    reception = Reception.objects.create(
        station=station,
        date=date,
        roster=_roster_of(station, date),
        voter_count=voter_count,
        summary=(summary or "").strip(),
        recorded_by=user,
    )
    reception.deputies.set(deputies)
    _add_issues(reception, issues, user)
    return reception


@transaction.atomic
def reception_update(
    *,
    reception: Reception,
    date: datetime.date,
    deputies,
    voter_count: int,
    summary: str,
    user,
    new_issues: list[dict] = (),
) -> Reception:
    """Change a reception's day, deputies, voter count and summary (the 值日表 link follows
    the day), and record further matters raised there. Issues already recorded keep their
    own workflow and are changed on their own pages."""
    _require_write(user, reception)
    deputies = list(deputies)
    existing = reception.issues.count()
    _check_reception(
        station=reception.station,
        date=date,
        deputies=deputies,
        voter_count=voter_count,
        n_issues=existing + len(new_issues),
    )
    if date != reception.date:
        moved = list(reception.issues.all())
        acted = [i.referred_on for i in moved if i.referred_on and i.referred_on < date]
        if acted:
            raise ValidationError({"date": f"已有问题于{min(acted):%Y-%m-%d}转办，接待日期不能晚于该日。"})
        reception.roster = _roster_of(reception.station, date)
        # The matters were raised on the reception's day.
        for issue in moved:
            issue.raised_on = date
            issue.save(update_fields=["raised_on"])
    reception.date = date
    reception.voter_count = voter_count
    reception.summary = (summary or "").strip()
    reception.save()
    reception.deputies.set(deputies)
    _add_issues(reception, list(new_issues), user, first_number=existing + 1)
    return reception
