"""Reads of the supervision part (监督): the filtered list, overdue rectifications, counts by
kind and state in one aggregate, a plan with its items per quarter, a unit's items, a
deputy's participation (the duty file), and the choices of the forms.

Functions take a queryset the caller has scoped (SupervisionItem.objects.for_user) or scope
their own; `visible_items` is the one place that adds a unit's staff to the scoping rule
(SupervisionItem has no scope_extra_q, so the unit membership is spelt out here).
"""

from __future__ import annotations

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone

from deputies.models import Deputy, Mandate
from org.batch import aggregate, derived
from org.models import HandlingUnit, user_memberships
from org.roles import TOWNSHIP_KINDS, Role
from org.scoping import VIEW, scope_q

from .models import SupervisionItem, SupervisionPlan

State = SupervisionItem.State
Kind = SupervisionItem.Kind
Participation = SupervisionItem.participants.through
QUARTERS = (1, 2, 3, 4)


def unit_ids_of(user) -> list[int]:
    """The handling units whose staff `user` is."""
    return sorted(
        {m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT and m.handling_unit_id}
    )


def clerk_townships(user) -> list:
    """The townships where `user` is the clerk (where it may put items and plans)."""
    return [
        m.region for m in user_memberships(user) if m.role == Role.TOWNSHIP_CLERK and m.region.kind in TOWNSHIP_KINDS
    ]


def visible_items(user, action: str = VIEW):
    """Items `user` may `action`: the scoping rule, plus (to view) the items supervising a
    unit the user works for."""
    q = scope_q(SupervisionItem, user, action)
    if action == VIEW and getattr(user, "is_authenticated", False) and user.is_active:
        units = unit_ids_of(user)
        if units:
            mine = Q(unit_id__in=units)
            q = mine if q is None else q | mine
    return SupervisionItem.objects.none() if q is None else SupervisionItem.objects.filter(q)


def overdue_q(today=None) -> Q:
    """Opinions sent, no rectification report yet, and its due date passed (as is_overdue)."""
    today = today or timezone.localdate()
    return Q(state=State.OPINION_SENT, rectification_due__lt=today)


def overdue(qs, today=None):
    """The items of `qs` whose rectification report is overdue, the longest overdue first."""
    return qs.filter(overdue_q(today)).order_by("rectification_due", "pk")


def with_list_related(qs):
    """What a list row shows, in a constant number of queries: township, unit, plan and the
    participants' names (one prefetch)."""
    return qs.select_related("region", "unit", "plan").prefetch_related(
        Prefetch(
            "participants", queryset=Deputy.objects.only("pk", "name", "region_id").order_by("name_initials", "pk")
        )
    )


def item_list(qs, *, year=None, quarter=None, kind="", state="", unit=None, only_overdue=False):
    """`qs` (scoped) narrowed by the list filters, by quarter, township and date."""
    if year:
        qs = qs.filter(year=year)
    if quarter:
        qs = qs.filter(quarter=quarter)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if unit:
        qs = qs.filter(unit=unit)
    if only_overdue:
        qs = qs.filter(overdue_q())
    return with_list_related(qs).order_by("quarter", "region__code", "date", "pk")


def counts(qs, *, year: int) -> dict:
    """For the items of `qs` (scoped) in `year`: the total, each kind of the glossary (in its
    order), each state, and the overdue rectifications. One aggregate query."""
    today = timezone.localdate()
    aggregates = {f"kind_{k}": Count("pk", filter=Q(kind=k)) for k in Kind.values}
    aggregates.update({f"state_{s}": Count("pk", filter=Q(state=s)) for s in State.values})
    row = aggregate(qs.filter(year=year), total=Count("pk"), overdue=Count("pk", filter=overdue_q(today)), **aggregates)
    return derived(
        lambda: {
            "year": year,
            "total": row["total"],
            "overdue": row["overdue"],
            "by_kind": [{"kind": k, "label": label, "count": row[f"kind_{k}"]} for k, label in Kind.choices],
            "by_state": [{"state": s, "label": label, "count": row[f"state_{s}"]} for s, label in State.choices],
        }
    )


def plan_quarters(plan: SupervisionPlan | None, items) -> list[dict]:
    """The four quarters with the plan's focus (if any) and the given items of each, in order."""
    by_quarter: dict[int, list] = {q: [] for q in QUARTERS}
    for item in items:
        by_quarter.setdefault(item.quarter, []).append(item)
    return [
        {"quarter": q, "focus": getattr(plan, f"q{q}_focus", "") if plan else "", "items": by_quarter[q]}
        for q in QUARTERS
    ]


def plan_with_items(plan: SupervisionPlan) -> list[dict]:
    """A plan's quarters, each with its focus and the plan's items (the items of its township
    and year, tied to it or not), in two queries."""
    items = with_list_related(SupervisionItem.objects.filter(region=plan.region_id, year=plan.year)).order_by(
        "quarter", "date", "pk"
    )
    return plan_quarters(plan, items)


def plans_of_year(user, region, year: int):
    """The plans of `year` the user may see in `region` (None: all it sees)."""
    return SupervisionPlan.objects.for_user(user).in_region(region).filter(year=year).select_related("region")


def unit_items(qs, user):
    """The items of `qs` supervising a unit `user` works for, those awaiting its report first."""
    waiting = Case(When(state=State.OPINION_SENT, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        with_list_related(qs.filter(unit_id__in=unit_ids_of(user)))
        .annotate(waiting=waiting)
        .order_by("waiting", "rectification_due", "-year", "quarter", "pk")
    )


def deputy_items(*, deputy: Deputy, user):
    """The items `deputy` took part in, newest first (the duty file's 参加监督): those the
    user may see, and all of them when the user is that deputy."""
    q = scope_q(SupervisionItem, user, VIEW)
    if deputy.user_id and deputy.user_id == user.pk:
        q = Q(pk__isnull=False)
    if q is None:
        return SupervisionItem.objects.none()
    took_part = Participation.objects.filter(supervisionitem=OuterRef("pk"), deputy=deputy)
    return SupervisionItem.objects.filter(q).filter(Exists(took_part)).select_related("unit").order_by("-date", "-pk")


def year_choices(qs) -> list[int]:
    """The years that have items in `qs`, and this year, newest first."""
    years = set(qs.order_by().values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


# --- choices of the forms -------------------------------------------------------------------


def participant_choices(*, region, include=()):
    """Deputies a supervision item of `region` may list: those kept by the township with a
    serving mandate, plus `include` (the current participants, who may have left since)."""
    serving = Mandate.objects.filter(deputy=OuterRef("pk"), status=Mandate.Status.SERVING)
    q = Q(region=region) & Q(Exists(serving))
    include = [getattr(d, "pk", d) for d in include]
    if include:
        q |= Q(pk__in=include)
    return Deputy.objects.filter(q).order_by("name_initials", "name", "pk")


def unit_choices(*, townships, include=None):
    """Units in use of `townships` or set up above them (and the item's current unit)."""
    paths = [t.path for t in townships]
    ids = {int(p) for t in townships for p in t.path.strip("/").split("/") if p}
    q = Q(region_id__in=ids, active=True)
    if include is not None:
        q |= Q(pk=getattr(include, "pk", include))
    qs = HandlingUnit.objects.filter(q).select_related("region").order_by("region__code", "name")
    return qs if paths else qs.none()
