"""Reads of the suggestions part: suggestion lists with their filters, counts per state,
a unit's inbox of assignments, the statistics by unit and the ledger's rows — each a
constant number of queries, aggregates in SQL. Callers pass querysets already limited by the
scoping rule (`for_user`), so a selector never widens what a user sees."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from deputies.models import Deputy
from deputies.selectors import current_and_previous_term
from org.batch import aggregate
from org.models import HandlingUnit, Region, Term

from .models import Suggestion, SuggestionAssignment
from .services_suggestions import assign_by, overdue_q

State = Suggestion.State
Role = SuggestionAssignment.Role
OPEN_STATES = (State.SUBMITTED, State.ACCEPTED, State.ASSIGNED, State.ANSWERED, State.RATED, State.REASSIGNED)


def current_term(region: Region, on: datetime.date | None = None) -> Term | None:
    """The township congress term `region` is in on `on` (today by default)."""
    return current_and_previous_term(region, Term.Level.TOWNSHIP, on)[0]


def year_q(year: int) -> Q:
    """A suggestion's year: when it was submitted, or drafted if not submitted yet."""
    return Q(submitted_on__year=year) | Q(submitted_on__isnull=True, created_at__year=year)


def assignments_prefetch() -> Prefetch:
    return Prefetch(
        "assignments", queryset=SuggestionAssignment.objects.select_related("unit").order_by("round", "-role", "pk")
    )


def current_round_q(prefix: str = "") -> Q:
    """Assignments of the suggestion's current round (the second after an unsatisfied rating)."""
    return Q(**{"round": 1, f"{prefix}reassigned": False}) | Q(**{"round": 2, f"{prefix}reassigned": True})


def current_assignments_prefetch() -> Prefetch:
    """The units handling each suggestion now, as `suggestion.current_assignments`."""
    return Prefetch(
        "assignments",
        queryset=SuggestionAssignment.objects.filter(current_round_q("suggestion__"))
        .select_related("unit")
        # The lead unit first ("lead" sorts after "assist").
        .order_by("-role", "pk"),
        to_attr="current_assignments",
    )


def suggestion_filter(
    qs,
    *,
    state: str = "",
    unit: HandlingUnit | None = None,
    year: int | None = None,
    overdue: bool = False,
    key: bool = False,
    deputy: Deputy | None = None,
    category: str = "",
    q: str = "",
):
    """Suggestions narrowed by the list filters."""
    if state:
        qs = qs.filter(state=state)
    if unit is not None:
        qs = qs.filter(pk__in=SuggestionAssignment.objects.filter(unit=unit).values("suggestion_id"))
    if year:
        qs = qs.filter(year_q(year))
    if overdue:
        qs = qs.filter(overdue_q())
    if key:
        qs = qs.filter(key=True)
    if deputy is not None:
        joined = Suggestion.co_deputies.through.objects.filter(deputy_id=deputy.pk).values("suggestion_id")
        qs = qs.filter(Q(lead_deputy=deputy) | Q(pk__in=joined))
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(number__contains=q) | Q(lead_deputy__name__contains=q))
    return qs


def suggestion_list(qs, **filters):
    """Suggestions narrowed by the list filters (see suggestion_filter), with their deputies
    and units loaded: a constant number of queries per page."""
    return (
        suggestion_filter(qs, **filters)
        .select_related("region", "lead_deputy")
        .prefetch_related("co_deputies", current_assignments_prefetch())
        .order_by("-created_at", "-pk")
    )


def suggestion_state_counts(qs, today: datetime.date | None = None) -> dict:
    """{state: n for every state, "total", "overdue", "key", "open"} in one query."""
    aggregates = {state: Count("pk", filter=Q(state=state)) for state in State.values}
    aggregates["total"] = Count("pk")
    aggregates["overdue"] = Count("pk", filter=overdue_q(today))
    aggregates["key"] = Count("pk", filter=Q(key=True) & ~Q(state=State.CLOSED))
    aggregates["open"] = Count("pk", filter=Q(state__in=OPEN_STATES))
    return aggregate(qs, **aggregates)


def suggestion_detail(qs):
    return qs.select_related(
        "region", "term", "lead_deputy", "meeting", "meeting__term", "created_by"
    ).prefetch_related("co_deputies", assignments_prefetch())


def suggestion_events(suggestion: Suggestion):
    return suggestion.events.select_related("user").order_by("at", "pk")


def suggestions_of_deputy(qs, deputy: Deputy):
    """The suggestions `deputy` led or joined, newest first."""
    return suggestion_list(qs, deputy=deputy)


def deputy_counts(qs, deputy: Deputy) -> dict:
    """{"total", "led", "joined", "to_rate", "drafts"} of `deputy`'s suggestions, one query."""
    mine = suggestion_filter(qs, deputy=deputy)
    return aggregate(
        mine,
        total=Count("pk"),
        led=Count("pk", filter=Q(lead_deputy=deputy)),
        joined=Count("pk", filter=~Q(lead_deputy=deputy)),
        to_rate=Count("pk", filter=Q(lead_deputy=deputy, state=State.ANSWERED)),
        drafts=Count("pk", filter=Q(lead_deputy=deputy, state=State.DRAFT)),
    )


def assign_late(suggestions) -> list[Suggestion]:
    """Of accepted suggestions, those made between sessions and not assigned within five
    working days (the dates are computed, so this takes a short list, not a queryset)."""
    today = timezone.localdate()
    return [s for s in suggestions if s.state == State.ACCEPTED and (d := assign_by(s)) is not None and d < today]


# --- a unit's assignments -------------------------------------------------------------------


def open_assignment_q() -> Q:
    """The assignment waits for its unit's answer: this round's, not answered, and the
    suggestion is still with the units."""
    return Q(answered_on__isnull=True, suggestion__state__in=(State.ASSIGNED, State.REASSIGNED)) & current_round_q(
        "suggestion__"
    )


def overdue_assignment_q(today: datetime.date | None = None) -> Q:
    return open_assignment_q() & Q(due_on__lt=today or timezone.localdate())


def unit_inbox(qs, *, state: str = "", year: int | None = None, unit: HandlingUnit | None = None):
    """Assignments, the ones waiting for an answer first, soonest due first.
    `state`: "open", "overdue" or "answered"."""
    if state == "open":
        qs = qs.filter(open_assignment_q())
    elif state == "overdue":
        qs = qs.filter(overdue_assignment_q())
    elif state == "answered":
        qs = qs.filter(answered_on__isnull=False)
    if year:
        qs = qs.filter(assigned_on__year=year)
    if unit is not None:
        qs = qs.filter(unit=unit)
    waiting = Case(When(open_assignment_q(), then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        qs.select_related("suggestion", "suggestion__region", "suggestion__lead_deputy", "unit")
        .annotate(waiting=waiting)
        .order_by("waiting", "due_on", "-pk")
    )


def assignment_counts(qs) -> dict:
    """{"total", "open", "overdue", "answered"} of assignments, one query."""
    return aggregate(
        qs,
        total=Count("pk"),
        open=Count("pk", filter=open_assignment_q()),
        overdue=Count("pk", filter=overdue_assignment_q()),
        answered=Count("pk", filter=Q(answered_on__isnull=False)),
    )


# --- statistics by unit ---------------------------------------------------------------------


def _rate(n: int, total: int) -> float | None:
    return round(100 * n / total, 1) if total else None


def _stat_aggregates(prefix: str, base: Q, today: datetime.date) -> dict:
    """The Count()s of the statistics, over assignments reached through `prefix`."""

    def f(**kw) -> Q:
        return Q(**{f"{prefix}{k}": v for k, v in kw.items()})

    target = prefix.rstrip("_") if prefix else "pk"
    answered = base & f(answered_on__isnull=False)
    lead_first = base & f(role=Role.LEAD, round=1)
    rated = lead_first & ~f(suggestion__rating="")
    suggestion = f"{prefix}suggestion"
    aggregates = {
        "assignments": Count(target, filter=base),
        "answered": Count(target, filter=answered),
        "on_time": Count(target, filter=answered & f(answered_on__lte=F(f"{prefix}due_on"))),
        # Judged for punctuality: answered, or past the due date without an answer.
        "judged": Count(target, filter=base & (f(answered_on__isnull=False) | f(due_on__lt=today))),
        "overdue": Count(target, filter=base & f(answered_on__isnull=True, due_on__lt=today)),
        "classed": Count(target, filter=answered & ~f(answer_class="")),
        "rated": Count(suggestion, filter=rated, distinct=True),
    }
    for value in Suggestion.AnswerClass.values:
        aggregates[f"class_{value.lower()}"] = Count(target, filter=answered & f(answer_class=value))
    for value in Suggestion.Rating.values:
        aggregates[f"rating_{value}"] = Count(suggestion, filter=rated & f(suggestion__rating=value), distinct=True)
    return aggregates


def _with_rates(row: dict) -> dict:
    row["on_time_rate"] = _rate(row["on_time"], row["judged"])
    for value in Suggestion.AnswerClass.values:
        key = f"class_{value.lower()}"
        row[f"{key}_share"] = _rate(row[key], row["classed"])
    for value in Suggestion.Rating.values:
        row[f"rating_{value}_share"] = _rate(row[f"rating_{value}"], row["rated"])
    # 满意率 as counties report it: satisfied and basically satisfied together.
    row["satisfaction_rate"] = _rate(
        row[f"rating_{Suggestion.Rating.SATISFIED}"] + row[f"rating_{Suggestion.Rating.BASIC}"], row["rated"]
    )
    return row


def unit_stats(units, *, region: Region, year: int, today: datetime.date | None = None):
    """Handling units of `units` with, for the assignments of `region`'s suggestions made in
    `year`: assignments, answered, answered on time (answered_on <= due_on), judged (answered
    or past due), overdue, A/B/C answers, and the ratings of the suggestions each one led —
    one grouped query. Units with no assignment that year are kept while in use."""
    today = today or timezone.localdate()
    prefix = "suggestion_assignments__"
    base = Q(**{f"{prefix}assigned_on__year": year, f"{prefix}suggestion__region__path__startswith": region.path})
    return (
        units.annotate(**_stat_aggregates(prefix, base, today))
        # The region's own units in use, and any unit (a county office) that worked for it.
        .filter(Q(region__path__startswith=region.path, active=True) | Q(assignments__gt=0))
        .select_related("region")
        .order_by("-assignments", "region__code", "name")
    )


def stats_row(unit) -> dict:
    """The figures of one annotated unit (from unit_stats), with its rates."""
    keys = ["assignments", "answered", "on_time", "judged", "overdue", "classed", "rated"]
    keys += [f"class_{v.lower()}" for v in Suggestion.AnswerClass.values]
    keys += [f"rating_{v}" for v in Suggestion.Rating.values]
    return _with_rates({k: getattr(unit, k) for k in keys})


def stats_totals(assignments, *, region: Region, year: int, today: datetime.date | None = None) -> dict:
    """The same figures over all of `region`'s assignments of `year`, one query."""
    today = today or timezone.localdate()
    qs = assignments.filter(assigned_on__year=year, suggestion__region__path__startswith=region.path)
    return _with_rates(qs.aggregate(**_stat_aggregates("", Q(), today)))


# --- the ledger -----------------------------------------------------------------------------

LEDGER_HEADER = [
    "编号", "标题", "领衔代表", "附议代表", "类别", "议案", "提出会议", "状态", "提交日期", "立案日期",
    "主办单位", "协办单位", "交办日期", "办理期限", "答复日期", "答复类别", "代表评价", "评价意见",
    "重新办理", "重点督办", "督办领导", "办结日期", "不予立案理由", "乡镇",
]  # fmt: skip
LEDGER_WIDTHS = [11, 36, 10, 20, 14, 6, 30, 10, 12, 12, 20, 26, 12, 12, 12, 8, 10, 30, 8, 8, 10, 12, 20, 10]


def _d(day) -> str:
    return day.strftime("%Y-%m-%d") if day else ""


def ledger_rows(qs) -> Iterator[list]:
    """The rows of the ledger 建议办理台账, streamed in chunks (prefetches per chunk)."""
    qs = qs.select_related("region", "lead_deputy", "meeting", "meeting__region", "meeting__term").prefetch_related(
        "co_deputies", current_assignments_prefetch()
    )
    for s in qs.order_by("region__code", "number", "pk").iterator(chunk_size=500):
        assignments = s.current_assignments
        leads = [a.unit.name for a in assignments if a.role == Role.LEAD]
        assists = [a.unit.name for a in assignments if a.role == Role.ASSIST]
        refusal = ""
        if s.state == State.NOT_ACCEPTED:
            refusal = s.get_refusal_reason_display() + (f"（{s.refusal_note}）" if s.refusal_note else "")
        yield [
            s.number,
            s.title,
            s.lead_deputy.name,
            "、".join(d.name for d in s.co_deputies.all()),
            s.get_category_display(),
            "是" if s.is_motion else "",
            s.meeting.title if s.meeting_id else "闭会期间",
            s.get_state_display(),
            _d(s.submitted_on),
            _d(s.accepted_on),
            "、".join(leads),
            "、".join(assists),
            _d(s.assigned_on),
            _d(s.due_on),
            _d(s.answered_on),
            s.answer_class,
            s.get_rating_display() if s.rating else "",
            s.rating_note,
            "是" if s.reassigned else "",
            "是" if s.key else "",
            s.key_leader,
            _d(s.closed_on),
            refusal,
            s.region.name,
        ]
