"""Writes of the suggestions part: the deputy suggestion 代表建议 workflow of DESIGN.md
section 5, its deadlines and the daily overdue check.

    draft → submitted → accepted (立案) | not_accepted (不予立案, with a reason)
          → assigned (交办: lead unit + assisting units, due in 3 months, 6 if complex)
          → answered (the lead unit's answer, class A/B/C) → rated by the deputy
          → closed;  不满意 → reassigned (重新办理, once, due a month later) → answered → …

`TRANSITIONS` is the one table of what may follow what and which scope action a user needs
for it; every step goes through `_transition`, which locks the row, refuses a step the
state does not allow with a Chinese message naming the current state, checks the user's
scope, and writes a `SuggestionEvent` (who, when, note). The people concerned are told
through in-portal notifications (congress.notifications).

Scope actions (org.scoping, Suggestion.scope_extra_q): "change" — the township clerk, or a
deputy on its own draft; "manage" — the township clerk only (立案, 交办, 办结, 督办);
"answer" — the clerk or the staff of an assigned unit; "rate" — the clerk (recording a
paper rating) or the lead deputy.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import HandlingUnit, Region, Term, user_memberships
from org.roles import TOWNSHIP_KINDS, Role
from org.scoping import CHANGE, can

from .models import Meeting, Suggestion, SuggestionAssignment, SuggestionEvent
from .notifications import clerks_of, notification_send, unit_users

State = Suggestion.State
MANAGE = "manage"
ANSWER = "answer"
RATE = "rate"

# Deadlines (DESIGN.md section 5): three calendar months from assignment, six for complex
# suggestions, one month for the re-handling after an unsatisfied rating; a suggestion made
# between sessions is assigned within five working days of its acceptance.
DUE_MONTHS = 3
COMPLEX_DUE_MONTHS = 6
REHANDLING_MONTHS = 1
ASSIGN_WITHIN_WORKING_DAYS = 5
# The overdue reminder is an event with this note; one per suggestion per week.
OVERDUE_NOTE = "超期督办提醒"
REMIND_EVERY_DAYS = 7


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    # None: the state stays (marking a key suggestion). Rating may also end in reassigned or
    # closed (an unsatisfied rating), decided by suggestion_rate.
    target: str | None
    verb: str  # the Chinese name of the step, as in "不能立案"
    action: str


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition((State.DRAFT,), State.SUBMITTED, "提交", CHANGE),
    "accept": Transition((State.SUBMITTED,), State.ACCEPTED, "立案", MANAGE),
    "refuse": Transition((State.SUBMITTED,), State.NOT_ACCEPTED, "不予立案", MANAGE),
    "assign": Transition((State.ACCEPTED,), State.ASSIGNED, "交办", MANAGE),
    "answer": Transition((State.ASSIGNED, State.REASSIGNED), State.ANSWERED, "答复", ANSWER),
    "rate": Transition((State.ANSWERED,), State.RATED, "评价", RATE),
    "close": Transition((State.RATED,), State.CLOSED, "办结", MANAGE),
    "mark_key": Transition(
        (State.ACCEPTED, State.ASSIGNED, State.ANSWERED, State.RATED, State.REASSIGNED), None, "列为重点督办", MANAGE
    ),
}


def allowed_steps(state: str) -> list[str]:
    """The names of the transitions open from `state`, in the table's order."""
    return [name for name, t in TRANSITIONS.items() if state in t.sources]


# --- dates ----------------------------------------------------------------------------------


def due_date(assigned_on: datetime.date, months: int) -> datetime.date:
    """`months` calendar months after `assigned_on`, clamped to the month's last day
    (30 November + 3 months = 28 or 29 February)."""
    index = assigned_on.month - 1 + months
    year, month = assigned_on.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(assigned_on.day, calendar.monthrange(year, month)[1]))


def working_days_after(day: datetime.date, n: int) -> datetime.date:
    """The n-th working day (Monday to Friday) after `day`. Public holidays are not known to
    the portal, so the date is the latest a suggestion may wait, never earlier."""
    while n > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def assign_by(suggestion: Suggestion) -> datetime.date | None:
    """When an accepted suggestion made between sessions must be assigned by (None for one
    made at a session, or not yet accepted)."""
    if suggestion.meeting_id or suggestion.accepted_on is None:
        return None
    return working_days_after(suggestion.accepted_on, ASSIGN_WITHIN_WORKING_DAYS)


def _today() -> datetime.date:
    return timezone.localdate()


def _not_in_future(value: datetime.date, field: str, label: str, *, not_before=None, before_label="") -> None:
    if value > _today():
        raise ValidationError({field: f"{label}不能晚于今天。"})
    if not_before is not None and value < not_before:
        raise ValidationError({field: f"{label}不能早于{before_label}（{not_before:%Y-%m-%d}）。"})


# --- who is who -----------------------------------------------------------------------------


def is_clerk_of(user, region: Region) -> bool:
    """Whether `user` is a township clerk over `region` (no query: memberships are cached)."""
    return any(m.role == Role.TOWNSHIP_CLERK and region.path.startswith(m.region.path) for m in user_memberships(user))


def own_deputy(user) -> Deputy | None:
    """The Deputy row of a user holding the deputy role, or None."""
    if user is None or not any(m.role == Role.DEPUTY for m in user_memberships(user)):
        return None
    return Deputy.objects.select_related("region").filter(user=user).first()


def current_round(suggestion: Suggestion) -> int:
    return 2 if suggestion.reassigned else 1


def _deputy_users(suggestion: Suggestion) -> list:
    lead = suggestion.lead_deputy
    return [lead.user] if lead.user_id else []


# --- the transition machinery ---------------------------------------------------------------


def _refuse_state(suggestion: Suggestion, verb: str) -> ValidationError:
    return ValidationError(
        f"该建议当前状态为“{suggestion.get_state_display()}”，不能{verb}。", code="invalid_transition"
    )


def _require_state(suggestion: Suggestion, step: str) -> None:
    spec = TRANSITIONS[step]
    if suggestion.state not in spec.sources:
        raise _refuse_state(suggestion, spec.verb)


def _require_scope(user, action: str, suggestion: Suggestion, verb: str) -> None:
    if user is not None and not can(user, action, suggestion):
        raise PermissionDenied(f"您无权对此建议执行“{verb}”。")


def _check(suggestion: Suggestion, step: str, user) -> None:
    """The state allows `step` and the user may take it (before any input is looked at)."""
    _require_state(suggestion, step)
    _require_scope(user, TRANSITIONS[step].action, suggestion, TRANSITIONS[step].verb)


def _lock(suggestion: Suggestion) -> Suggestion:
    return (
        Suggestion.objects.select_for_update(of=("self",)).select_related("region", "lead_deputy").get(pk=suggestion.pk)
    )


def _log(suggestion: Suggestion, from_state: str, to_state: str, *, user, note: str = "", at=None) -> SuggestionEvent:
    fields = {"at": at} if at is not None else {}
    return SuggestionEvent.objects.create(
        suggestion=suggestion, from_state=from_state, to_state=to_state, note=note, user=user, **fields
    )


def _transition(suggestion: Suggestion, step: str, *, user, note: str = "", target: str | None = None, **changes):
    """Move `suggestion` by `step` (a key of TRANSITIONS) setting `changes`, and log it.
    Returns the locked, saved row; the caller's object is refreshed too."""
    spec = TRANSITIONS[step]
    # Checked again on the locked row: two clerks may act on the same suggestion at once.
    locked = _lock(suggestion)
    _require_state(locked, step)
    _require_scope(user, spec.action, locked, spec.verb)
    from_state = locked.state
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.state = target or spec.target or from_state
    locked.save()
    _log(locked, from_state, locked.state, user=user, note=note)
    suggestion.refresh_from_db()
    return locked


# --- drafting -------------------------------------------------------------------------------


def _clean_content(
    *, region: Region, lead_deputy: Deputy, co_deputies, title: str, content: str, category: str, meeting
) -> tuple[str, str, list[Deputy]]:
    """The rules of a suggestion's text and deputies; one ValidationError naming each field."""
    errors: dict[str, list[str]] = {}
    title, content = (title or "").strip(), (content or "").strip()
    if not title:
        errors.setdefault("title", []).append("请填写建议标题。")
    elif len(title) > 200:
        errors.setdefault("title", []).append("建议标题不能超过200个字。")
    if not content:
        errors.setdefault("content", []).append("请填写建议内容。")
    if category not in Suggestion.Category.values:
        errors.setdefault("category", []).append("请选择建议类别。")
    if lead_deputy is None:
        errors.setdefault("lead_deputy", []).append("请选择领衔代表。")
    elif lead_deputy.region_id != region.pk:
        errors.setdefault("lead_deputy", []).append(f"领衔代表“{lead_deputy.name}”不是{region.name}的代表。")
    # The lead deputy is not also a co-signer of its own suggestion.
    co = [d for d in dict.fromkeys(co_deputies or ()) if lead_deputy is None or d.pk != lead_deputy.pk]
    wrong = [d.name for d in co if d.region_id != region.pk]
    if wrong:
        errors.setdefault("co_deputies", []).append(f"附议代表必须是{region.name}的代表：{'、'.join(wrong)}不是。")
    if meeting is not None and (meeting.region_id != region.pk or meeting.kind != Meeting.Kind.SESSION):
        errors.setdefault("meeting", []).append(f"提出会议必须是{region.name}的人民代表大会会议。")
    if errors:
        raise ValidationError(errors)
    return title, content, co


def _check_term(term: Term | None, region: Region) -> None:
    ids = {int(x) for x in region.path.strip("/").split("/") if x}
    if term is None:
        raise ValidationError({"term": f"{region.name}尚未设置届次，请联系县人大代表工委。"})
    if term.region_id not in ids or term.level != Term.Level.TOWNSHIP:
        raise ValidationError({"term": f"届次“{term}”不是{region.name}的乡镇人大届次。"})


@transaction.atomic
def suggestion_create(
    *,
    region: Region,
    term: Term | None,
    lead_deputy: Deputy,
    co_deputies=(),
    title: str,
    content: str,
    category: str = Suggestion.Category.OTHER,
    is_motion: bool = False,
    meeting: Meeting | None = None,
    user,
    voter_issue=None,
) -> Suggestion:
    """Draft a suggestion of `region`. A deputy drafts its own (it is the lead deputy); a
    township clerk drafts one for any deputy of its township (a suggestion handed in on
    paper). Joint suggestions name their co-signing deputies, all of the same township."""
    if region.kind not in TOWNSHIP_KINDS:
        raise ValidationError({"region": "代表建议必须归属一个乡镇（街道）。"})
    if user is not None and not is_clerk_of(user, region):
        own = own_deputy(user)
        if own is None:
            raise PermissionDenied("您的账号尚未关联代表信息，不能提出建议，请联系乡镇人大秘书。")
        if lead_deputy is None or own.pk != lead_deputy.pk:
            raise PermissionDenied("代表只能以本人为领衔代表提出建议。")
    title, content, co = _clean_content(
        region=region,
        lead_deputy=lead_deputy,
        co_deputies=co_deputies,
        title=title,
        content=content,
        category=category,
        meeting=meeting,
    )
    _check_term(term, region)
    if voter_issue is not None:
        if voter_issue.region_id != region.pk:
            raise ValidationError(f"选民反映问题不属于{region.name}。")
        # One matter, one suggestion (a refused one may be made again, better argued).
        existing = Suggestion.objects.filter(voter_issue=voter_issue).exclude(state=State.NOT_ACCEPTED).first()
        if existing is not None:
            raise ValidationError(f"该问题已转为代表建议《{existing.title}》。")
    suggestion = Suggestion.objects.create(
        region=region,
        term=term,
        lead_deputy=lead_deputy,
        title=title,
        content=content,
        category=category,
        is_motion=bool(is_motion),
        meeting=meeting,
        voter_issue=voter_issue,
        created_by=user,
    )
    suggestion.co_deputies.set(co)
    note = "起草建议"
    if user is not None and is_clerk_of(user, region):
        note = f"乡镇人大秘书代{lead_deputy.name}代表登记"
    if voter_issue is not None:
        note += "（由选民反映问题转来）"
    _log(suggestion, "", State.DRAFT, user=user, note=note)
    return suggestion


@transaction.atomic
def suggestion_update(
    *,
    suggestion: Suggestion,
    user,
    title: str,
    content: str,
    category: str,
    is_motion: bool = False,
    meeting: Meeting | None = None,
    co_deputies=(),
    lead_deputy: Deputy | None = None,
) -> Suggestion:
    """Change a suggestion's text, category and deputies: a draft by its deputy or the
    clerk; a submitted one by the township clerk only, before it is accepted. Only the clerk
    changes the lead deputy (`lead_deputy` None keeps it)."""
    locked = _lock(suggestion)
    clerk = user is None or is_clerk_of(user, locked.region)
    if locked.state == State.SUBMITTED and not clerk:
        raise ValidationError("已提交的建议只能由乡镇人大秘书在立案前修改。", code="invalid_transition")
    if locked.state not in (State.DRAFT, State.SUBMITTED):
        raise _refuse_state(locked, "修改")
    _require_scope(user, CHANGE, locked, "修改")
    if lead_deputy is not None and lead_deputy.pk != locked.lead_deputy_id and not clerk:
        raise PermissionDenied("只有乡镇人大秘书可以更换领衔代表。")
    lead = lead_deputy or locked.lead_deputy
    title, content, co = _clean_content(
        region=locked.region,
        lead_deputy=lead,
        co_deputies=co_deputies,
        title=title,
        content=content,
        category=category,
        meeting=meeting,
    )
    locked.lead_deputy, locked.title, locked.content = lead, title, content
    locked.category, locked.is_motion, locked.meeting = category, bool(is_motion), meeting
    locked.save()
    locked.co_deputies.set(co)
    if locked.state == State.SUBMITTED:
        # The deputy handed in the text: a change after that is on the record.
        _log(locked, locked.state, locked.state, user=user, note="乡镇人大秘书在立案前修改了建议内容")
    suggestion.refresh_from_db()
    return locked


@transaction.atomic
def suggestion_submit(*, suggestion: Suggestion, user) -> Suggestion:
    """提交: the draft goes to the township clerk for acceptance."""
    locked = _transition(suggestion, "submit", user=user, note="提交建议", submitted_on=_today())
    notification_send(
        users=clerks_of(locked.region),
        title=f"新的代表建议待立案：{locked.title}",
        body=f"{locked.lead_deputy.name}代表提交了建议《{locked.title}》，请审查是否立案。",
        url=locked.get_absolute_url(),
    )
    return locked


def _next_number(region: Region, year: int) -> str:
    prefix = f"{year}-"
    taken = Suggestion.objects.filter(region=region, number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[len(prefix) :]) for n in taken if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


@transaction.atomic
def suggestion_accept(*, suggestion: Suggestion, number: str | None = None, user) -> Suggestion:
    """立案: the clerk accepts a submitted suggestion. Its number is given or the next
    "YYYY-NNN" of the township's year; a number is used once within a township."""
    locked = _lock(suggestion)
    _check(locked, "accept", user)
    today = _today()
    number = (number or "").strip()
    if number:
        if len(number) > 20:
            raise ValidationError({"number": "编号不能超过20个字符。"})
        if Suggestion.objects.filter(region=locked.region, number=number).exclude(pk=locked.pk).exists():
            raise ValidationError({"number": f"编号“{number}”已被本乡镇的其他建议使用。"})
    else:
        number = _next_number(locked.region, today.year)
    locked = _transition(locked, "accept", user=user, note=f"立案，编号{number}", number=number, accepted_on=today)
    suggestion.refresh_from_db()
    notification_send(
        users=_deputy_users(locked),
        title=f"您的建议已立案：{locked.title}",
        body=f"建议《{locked.title}》已立案，编号{number}，将交承办单位办理。",
        url=locked.get_absolute_url(),
    )
    return locked


@transaction.atomic
def suggestion_refuse(*, suggestion: Suggestion, reason: str, note: str = "", user) -> Suggestion:
    """不予立案: the clerk refuses a submitted suggestion with one of the usual reasons
    (a note is required when the reason is "other"); the deputy is told why."""
    _check(suggestion, "refuse", user)
    note = (note or "").strip()
    if reason not in Suggestion.RefusalReason.values:
        raise ValidationError({"refusal_reason": "请选择不予立案理由。"})
    if reason == Suggestion.RefusalReason.OTHER and not note:
        raise ValidationError({"refusal_note": "理由为“其他”时请填写说明。"})
    if len(note) > 300:
        raise ValidationError({"refusal_note": "说明不能超过300个字。"})
    label = Suggestion.RefusalReason(reason).label
    locked = _transition(
        suggestion,
        "refuse",
        user=user,
        note=f"不予立案：{label}" + (f"。{note}" if note else ""),
        refusal_reason=reason,
        refusal_note=note,
    )
    notification_send(
        users=_deputy_users(locked),
        title=f"您的建议不予立案：{locked.title}",
        body=f"理由：{label}" + (f"。{note}" if note else ""),
        url=locked.get_absolute_url(),
    )
    return locked


def _check_unit(unit: HandlingUnit, region: Region, field: str) -> None:
    # A unit of the township itself or of the county above it.
    if not region.path.startswith(unit.region.path):
        raise ValidationError({field: f"承办单位“{unit.name}”不属于{region.name}或其上级。"})
    if not unit.active:
        raise ValidationError({field: f"承办单位“{unit.name}”已停用。"})


@transaction.atomic
def suggestion_assign(
    *,
    suggestion: Suggestion,
    lead_unit: HandlingUnit,
    assist_units=(),
    complex: bool = False,  # noqa: A002 - the model's field name
    assigned_on: datetime.date | None = None,
    user,
) -> Suggestion:
    """交办: the clerk gives an accepted suggestion to a lead unit (主办) and any assisting
    units (协办). Due three calendar months after assignment, six when complex."""
    locked = _lock(suggestion)
    _check(locked, "assign", user)
    if lead_unit is None:
        raise ValidationError({"lead_unit": "请选择主办单位。"})
    _check_unit(lead_unit, locked.region, "lead_unit")
    assists = [u for u in dict.fromkeys(assist_units or ()) if u.pk != lead_unit.pk]
    for unit in assists:
        _check_unit(unit, locked.region, "assist_units")
    assigned_on = assigned_on or _today()
    _not_in_future(assigned_on, "assigned_on", "交办日期", not_before=locked.accepted_on, before_label="立案日期")
    due = due_date(assigned_on, COMPLEX_DUE_MONTHS if complex else DUE_MONTHS)
    SuggestionAssignment.objects.bulk_create(
        [
            SuggestionAssignment(suggestion=locked, unit=unit, role=role, round=1, assigned_on=assigned_on, due_on=due)
            for unit, role in [(lead_unit, SuggestionAssignment.Role.LEAD)]
            + [(u, SuggestionAssignment.Role.ASSIST) for u in assists]
        ]
    )
    parts = [f"主办：{lead_unit.name}"]
    if assists:
        parts.append(f"协办：{'、'.join(u.name for u in assists)}")
    parts.append(f"办理期限：{due:%Y-%m-%d}" + ("（情况复杂，六个月）" if complex else ""))
    locked = _transition(
        locked,
        "assign",
        user=user,
        note="交办。" + "；".join(parts),
        complex=bool(complex),
        assigned_on=assigned_on,
        due_on=due,
    )
    suggestion.refresh_from_db()
    _notify_units(locked, round_=1, title=f"新交办的代表建议：{locked.title}", body=f"请于{due:%Y-%m-%d}前答复。")
    notification_send(
        users=_deputy_users(locked),
        title=f"您的建议已交办：{locked.title}",
        body="；".join(parts),
        url=locked.get_absolute_url(),
    )
    return locked


def _notify_units(suggestion: Suggestion, *, round_: int, title: str, body: str, only_unanswered=False) -> int:
    """Tell the staff of each unit of `round_`, linking each to its own answer page."""
    sent = 0
    assignments = suggestion.assignments.filter(round=round_).select_related("unit")
    if only_unanswered:
        assignments = assignments.filter(answered_on__isnull=True)
    for assignment in assignments:
        sent += len(
            notification_send(
                users=unit_users([assignment.unit_id]),
                title=title,
                body=f"{assignment.unit.name}（{assignment.get_role_display()}）：{body}",
                url=reverse("congress:assignment-answer", args=[assignment.pk]),
            )
        )
    return sent


@transaction.atomic
def suggestion_answer(
    *,
    assignment: SuggestionAssignment,
    answer: str,
    answer_class: str = "",
    user,
    answered_on: datetime.date | None = None,
) -> SuggestionAssignment:
    """答复: a unit answers its assignment of the current round (its staff, or the clerk
    entering a paper answer). The lead unit's answer, with its class A/B/C, makes the
    suggestion answered; an assisting unit's answer is recorded beside it."""
    locked_assignment = (
        SuggestionAssignment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=assignment.pk)
    )
    suggestion = _lock(locked_assignment.suggestion)
    if suggestion.state not in TRANSITIONS["answer"].sources:
        raise _refuse_state(suggestion, "答复")
    if user is not None and not SuggestionAssignment.objects.for_user(user, ANSWER).filter(pk=assignment.pk).exists():
        raise PermissionDenied("您无权答复此交办。")
    if locked_assignment.round != current_round(suggestion):
        raise ValidationError("这是上一轮的交办，已办理完毕，请在重新办理的交办中答复。", code="invalid_transition")
    if locked_assignment.answered_on is not None:
        raise ValidationError(f"{locked_assignment.unit.name}已答复此建议，不能重复答复。", code="invalid_transition")
    answer = (answer or "").strip()
    lead = locked_assignment.role == SuggestionAssignment.Role.LEAD
    if not answer:
        raise ValidationError({"answer": "请填写答复内容。"})
    if answer_class and answer_class not in Suggestion.AnswerClass.values:
        raise ValidationError({"answer_class": "答复类别不正确。"})
    if lead and not answer_class:
        raise ValidationError({"answer_class": "主办单位答复时请选择答复类别（A/B/C）。"})
    answered_on = answered_on or _today()
    _not_in_future(
        answered_on,
        "answered_on",
        "答复日期",
        not_before=locked_assignment.assigned_on,
        before_label="交办日期",
    )
    locked_assignment.answer, locked_assignment.answer_class = answer, answer_class
    locked_assignment.answered_on, locked_assignment.answered_by = answered_on, user
    locked_assignment.save()
    assignment.refresh_from_db()
    class_label = Suggestion.AnswerClass(answer_class).label if answer_class else ""
    if not lead:
        _log(
            suggestion,
            suggestion.state,
            suggestion.state,
            user=user,
            note=f"协办单位{locked_assignment.unit.name}已答复",
        )
        return locked_assignment
    late = "（超期答复）" if answered_on > locked_assignment.due_on else ""
    locked = _transition(
        suggestion,
        "answer",
        user=user,
        note=f"主办单位{locked_assignment.unit.name}答复：{class_label}{late}",
        answered_on=answered_on,
        answer_class=answer_class,
    )
    deputies = _deputy_users(locked)
    notification_send(
        users=deputies,
        title=f"您的建议已答复，请评价：{locked.title}",
        body=f"{locked_assignment.unit.name}答复为{class_label}。请对办理结果作出评价（满意/基本满意/不满意）。",
        url=locked.get_absolute_url(),
    )
    if not deputies:
        # A deputy without a login rates on paper: the clerk records it.
        notification_send(
            users=clerks_of(locked.region),
            title=f"建议已答复，请录入代表评价：{locked.title}",
            body=f"{locked.lead_deputy.name}代表没有平台账号，请按书面评价代为录入。",
            url=locked.get_absolute_url(),
        )
    return locked_assignment


@transaction.atomic
def suggestion_rate(*, suggestion: Suggestion, rating: str, note: str = "", user) -> Suggestion:
    """评价: the lead deputy (or the clerk recording a paper rating) rates the answer.
    满意/基本满意 → rated, for the clerk to close. 不满意 → the same units handle it once
    more (重新办理, due one month later); a second 不满意 closes it, the rating kept."""
    locked = _lock(suggestion)
    _check(locked, "rate", user)
    note = (note or "").strip()
    if rating not in Suggestion.Rating.values:
        raise ValidationError({"rating": "请选择评价意见。"})
    if rating == Suggestion.Rating.UNSATISFIED and not note:
        raise ValidationError({"rating_note": "评价为不满意时请填写意见，说明哪些问题没有解决。"})
    if len(note) > 300:
        raise ValidationError({"rating_note": "评价意见不能超过300个字。"})
    today = _today()
    label = Suggestion.Rating(rating).label
    changes = {"rating": rating, "rating_note": note, "rated_on": today}
    event_note = f"代表评价：{label}" + (f"。{note}" if note else "")
    if rating != Suggestion.Rating.UNSATISFIED:
        locked = _transition(locked, "rate", user=user, note=event_note, **changes)
    elif locked.reassigned:
        locked = _transition(
            locked,
            "rate",
            user=user,
            target=State.CLOSED,
            note=event_note + "。已重新办理过一次，不再交办，办结",
            closed_on=today,
            **changes,
        )
    else:
        due = due_date(today, REHANDLING_MONTHS)
        first = list(locked.assignments.filter(round=1))
        SuggestionAssignment.objects.bulk_create(
            [
                SuggestionAssignment(
                    suggestion=locked, unit_id=a.unit_id, role=a.role, round=2, assigned_on=today, due_on=due
                )
                for a in first
            ]
        )
        locked = _transition(
            locked,
            "rate",
            user=user,
            target=State.REASSIGNED,
            note=event_note + f"。重新交办原承办单位办理，办理期限{due:%Y-%m-%d}",
            reassigned=True,
            due_on=due,
            answered_on=None,
            answer_class="",
            **changes,
        )
        _notify_units(
            locked,
            round_=2,
            title=f"代表不满意，建议需重新办理：{locked.title}",
            body=f"代表意见：{note}。请于{due:%Y-%m-%d}前重新答复。",
        )
    suggestion.refresh_from_db()
    notification_send(
        users=clerks_of(locked.region),
        title=f"代表已评价建议（{label}）：{locked.title}",
        body=f"当前状态：{locked.get_state_display()}。",
        url=locked.get_absolute_url(),
    )
    return locked


@transaction.atomic
def suggestion_close(*, suggestion: Suggestion, user, note: str = "") -> Suggestion:
    """办结: the clerk closes a rated suggestion."""
    note = (note or "").strip()
    locked = _transition(
        suggestion, "close", user=user, note="办结" + (f"。{note}" if note else ""), closed_on=_today()
    )
    notification_send(
        users=_deputy_users(locked),
        title=f"您的建议已办结：{locked.title}",
        body=f"建议《{locked.title}》已办结。",
        url=locked.get_absolute_url(),
    )
    return locked


@transaction.atomic
def suggestion_mark_key(*, suggestion: Suggestion, leader: str, user) -> Suggestion:
    """重点督办: the clerk marks an accepted suggestion as a key one, followed by a named
    leader; the units handling it are told."""
    _check(suggestion, "mark_key", user)
    leader = (leader or "").strip()
    if not leader:
        raise ValidationError({"key_leader": "请填写督办领导。"})
    if len(leader) > 50:
        raise ValidationError({"key_leader": "督办领导不能超过50个字。"})
    locked = _transition(
        suggestion, "mark_key", user=user, note=f"列为重点督办建议，督办领导：{leader}", key=True, key_leader=leader
    )
    _notify_units(
        locked,
        round_=current_round(locked),
        title=f"重点督办建议：{locked.title}",
        body=f"该建议已列为重点督办，督办领导：{leader}。",
    )
    return locked


_ISSUE_CATEGORIES = {
    "roads": Suggestion.Category.INFRASTRUCTURE,
    "water": Suggestion.Category.AGRICULTURE,
    "agriculture": Suggestion.Category.AGRICULTURE,
    "environment": Suggestion.Category.ENVIRONMENT,
    "education": Suggestion.Category.EDUCATION,
    "health": Suggestion.Category.HEALTH,
    "social": Suggestion.Category.SOCIAL,
    "safety": Suggestion.Category.GOVERNANCE,
    "economy": Suggestion.Category.ECONOMY,
}


def suggestion_promote_from_issue(*, voter_issue, lead_deputy: Deputy, user, term: Term | None = None) -> Suggestion:
    """Turn what voters raised at a room (stations.VoterIssue) into a draft suggestion led
    by `lead_deputy`, linked to the issue. An issue becomes one suggestion at most."""
    from .selectors_suggestions import current_term

    region = voter_issue.region
    content = voter_issue.content.strip()
    title = content.splitlines()[0][:40] if content else "选民反映问题"
    return suggestion_create(
        region=region,
        term=term or current_term(region),
        lead_deputy=lead_deputy,
        title=f"关于{title}的建议" if not title.startswith("关于") else title,
        content=content,
        category=_ISSUE_CATEGORIES.get(voter_issue.category, Suggestion.Category.OTHER),
        user=user,
        voter_issue=voter_issue,
    )


# --- the daily overdue check ----------------------------------------------------------------


def overdue_q(today: datetime.date | None = None) -> Q:
    """Assigned or reassigned (no lead answer yet) and past the due date, in SQL."""
    return Q(state__in=(State.ASSIGNED, State.REASSIGNED), due_on__lt=today or _today())


def _moment(day: datetime.date) -> datetime.datetime:
    """Now, on `day` (the job's day may be given: a test or a catch-up run)."""
    now = timezone.localtime()
    if day == now.date():
        return now
    return timezone.make_aware(datetime.datetime.combine(day, now.time().replace(microsecond=0)))


def suggestions_flag_overdue(*, today: datetime.date | None = None) -> dict:
    """The daily check (督办): every assigned or reassigned suggestion past its due date with
    no answer from its lead unit is flagged with an event, and its township's clerks and
    the units yet to answer are told — once a week per suggestion, not every day.
    Returns {"overdue": n, "reminded": n, "notifications": n}."""
    today = today or _today()
    overdue = Suggestion.objects.filter(overdue_q(today))
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=REMIND_EVERY_DAYS - 1), datetime.time.min)
    )
    recent = SuggestionEvent.objects.filter(suggestion=OuterRef("pk"), note__startswith=OVERDUE_NOTE, at__gte=since)
    # The ids first, then the rows in slices: no cursor stays open while the loop writes.
    todo = list(
        overdue.annotate(reminded=Exists(recent))
        .filter(reminded=False)
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )
    counts = {"overdue": overdue.count(), "reminded": 0, "notifications": 0}
    clerks_cache: dict[int, list] = {}
    at = _moment(today)
    for start in range(0, len(todo), 200):
        batch = Suggestion.objects.filter(pk__in=todo[start : start + 200]).select_related("region", "lead_deputy")
        for suggestion in batch.order_by("due_on", "pk"):
            counts["notifications"] += _remind_overdue(suggestion, today=today, at=at, clerks_cache=clerks_cache)
            counts["reminded"] += 1
    return counts


def _remind_overdue(suggestion: Suggestion, *, today: datetime.date, at, clerks_cache: dict) -> int:
    """Flag one overdue suggestion (an event) and tell its clerks and the units yet to
    answer; returns how many notifications were left."""
    days = (today - suggestion.due_on).days
    note = f"{OVERDUE_NOTE}：办理期限{suggestion.due_on:%Y-%m-%d}，已超期{days}天，主办单位尚未答复"
    with transaction.atomic():
        _log(suggestion, suggestion.state, suggestion.state, user=None, note=note, at=at)
        if suggestion.region_id not in clerks_cache:
            clerks_cache[suggestion.region_id] = clerks_of(suggestion.region)
        sent = len(
            notification_send(
                users=clerks_cache[suggestion.region_id],
                title=f"代表建议超期未答复：{suggestion.title}",
                body=note + "。",
                url=suggestion.get_absolute_url(),
            )
        )
        sent += _notify_units(
            suggestion,
            round_=current_round(suggestion),
            title=f"代表建议已超过办理期限：{suggestion.title}",
            body=f"办理期限{suggestion.due_on:%Y-%m-%d}，已超期{days}天，请尽快答复。",
            only_unanswered=True,
        )
    return sent
