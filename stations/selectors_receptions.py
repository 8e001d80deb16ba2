"""Reads of the receptions part: reception and voter issue lists with their filters, counts
per state and the overdue list, each one query (aggregates in SQL). Callers pass querysets
already limited by the scoping rule (`for_user`), so a selector never widens what a user sees.
"""

from __future__ import annotations

import datetime

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractYear
from django.utils import timezone

from deputies.models import Deputy, Mandate
from org.batch import aggregate
from org.models import user_memberships
from org.roles import REGION_READ_ROLES, Role

from .models import Reception, Station, VoterIssue

State = VoterIssue.State

# The voter has not heard back yet: still to be dealt with, with the unit, or answered but
# not passed on. An on-the-spot answer was heard in person.
NOT_FED_BACK_STATES = (State.RECORDED, State.REFERRED, State.ANSWERED)
OPEN_STATES = (State.RECORDED, State.ON_SPOT, State.REFERRED, State.ANSWERED, State.FED_BACK)


def overdue_q(today: datetime.date | None = None) -> Q:
    """Referred, not answered, and past the due date (VoterIssue.is_overdue, in SQL)."""
    return Q(state=State.REFERRED, due_on__lt=today or timezone.localdate())


def issue_list(
    qs,
    *,
    state: str = "",
    source: str = "",
    overdue: bool = False,
    not_fed_back: bool = False,
    station: Station | None = None,
    unit=None,
    year: int | None = None,
    q: str = "",
):
    """Voter issues narrowed by the list filters, with what a row shows loaded."""
    if state:
        qs = qs.filter(state=state)
    if source:
        qs = qs.filter(source=source)
    if overdue:
        qs = qs.filter(overdue_q())
    if not_fed_back:
        qs = qs.filter(state__in=NOT_FED_BACK_STATES)
    if station is not None:
        qs = qs.filter(station=station)
    if unit is not None:
        qs = qs.filter(handling_unit=unit)
    if year:
        qs = qs.filter(raised_on__year=year)
    if q:
        qs = qs.filter(Q(content__contains=q) | Q(voter_name__contains=q))
    return qs.select_related("region", "station", "handling_unit")


def unit_inbox(qs):
    """Issues given to a unit, the ones waiting for its answer first, soonest due first."""
    waiting = Case(When(state=State.REFERRED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.filter(handling_unit__isnull=False).annotate(waiting=waiting).order_by("waiting", "due_on", "-pk")


def issue_state_counts(qs) -> dict:
    """{state: n for every state, "total": n, "overdue": n, "not_fed_back": n} in one query."""
    aggregates = {state: Count("pk", filter=Q(state=state)) for state in State.values}
    aggregates["total"] = Count("pk")
    aggregates["overdue"] = Count("pk", filter=overdue_q())
    aggregates["not_fed_back"] = Count("pk", filter=Q(state__in=NOT_FED_BACK_STATES))
    return aggregate(qs, **aggregates)


def overdue_issues(qs):
    """The overdue issues, longest overdue first."""
    return qs.filter(overdue_q()).select_related("region", "station", "handling_unit").order_by("due_on", "pk")


def reception_list(qs, *, township=None, station: Station | None = None, year: int | None = None):
    """Receptions narrowed by township, room and year, with their deputies and the number of
    matters raised (a constant number of queries per page)."""
    if township is not None:
        qs = qs.filter(station__township=township)
    if station is not None:
        qs = qs.filter(station=station)
    if year:
        qs = qs.filter(date__year=year)
    return (
        qs.select_related("station", "station__township", "roster")
        .prefetch_related("deputies")
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-date", "-pk")
    )


def reception_issues(reception: Reception):
    return reception.issues.select_related("handling_unit").order_by("pk")


def receptions_of_deputy(qs, deputy: Deputy):
    """The receptions `deputy` took part in (for the duty file), newest first."""
    return (
        qs.filter(deputies=deputy)
        .select_related("station")
        .annotate(issue_count=Count("issues", distinct=True))
        .order_by("-date", "-pk")
    )


def reception_years_of_deputy(qs, deputy: Deputy) -> list[dict]:
    """[{"year": 2026, "n": 4, "voters": 31}, ...] for `deputy`, newest year first."""
    return list(
        qs.filter(deputies=deputy)
        .annotate(year=ExtractYear("date"))
        .values("year")
        .annotate(n=Count("pk"), voters=Sum("voter_count"))
        .order_by("-year")
    )


def roster_deputies(station: Station, date: datetime.date):
    """The deputies on duty at `station` on `date` by its 值日表 (none when there is no entry)."""
    return Deputy.objects.filter(duty_days__station=station, duty_days__date=date).order_by("name", "pk")


def serving_deputies(township_ids, keep=()):
    """The serving deputies of the townships (the choices of a reception's deputies), and
    those in `keep` (already on a reception) even if no longer serving."""
    serving = Q(region_id__in=township_ids, mandates__status=Mandate.Status.SERVING)
    if keep:
        serving |= Q(pk__in=[d.pk for d in keep])
    ids = Deputy.objects.filter(serving).values("pk")
    return Deputy.objects.filter(pk__in=ids).order_by("name", "pk")


def unit_ids_of(user) -> list[int]:
    """The handling units whose staff `user` is."""
    return [m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT and m.handling_unit_id]


def may_see_voter(user, issue: VoterIssue) -> bool:
    """Whether `user` sees a voter's phone and address in full: the township's clerk and
    county staff over it. A handling unit sees the matter, never how to reach the voter."""
    path = issue.region.path
    return any(m.role in REGION_READ_ROLES and path.startswith(m.region.path) for m in user_memberships(user))
