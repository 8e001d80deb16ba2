"""Reads of the activities part (代表活动): the filtered list, counts by kind in one aggregate,
a deputy's activities for the duty file, and the choices the activity forms offer.

Every function takes a queryset the caller has already scoped (Activity.objects.for_user)
or builds its own through the scoping rule, so nothing here widens what a user sees.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from deputies.models import Deputy, Mandate
from org.batch import aggregate, derived
from org.models import user_memberships
from org.roles import Role

from .models import Activity, ActivityFile, Station

Participation = Activity.participants.through


def is_township_clerk(user, region) -> bool:
    """Whether `user` is a clerk of `region`'s township (no query: memberships are cached)."""
    return any(m.role == Role.TOWNSHIP_CLERK and region.path.startswith(m.region.path) for m in user_memberships(user))


def own_deputy(user) -> Deputy | None:
    """The Deputy row of a user holding the deputy role, or None."""
    if not any(m.role == Role.DEPUTY for m in user_memberships(user)):
        return None
    return Deputy.objects.select_related("region").filter(user=user).first()


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def with_list_related(qs):
    """What a list row shows, in a constant number of queries: township, room,
    the participants' names (one prefetch) and the number of files (a subquery)."""
    files = (
        ActivityFile.objects.filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("region", "station")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Deputy.objects.only("pk", "name", "region_id").order_by("name_initials", "name", "pk"),
            )
        )
        .annotate(file_count=Coalesce(Subquery(files, output_field=IntegerField()), Value(0)))
    )


def activity_list(qs, *, year=None, kind="", station=None, status="", deputy=None, keyword="", township=None):
    """`qs` (scoped) narrowed by the list filters, newest first, ready for a list page.
    `deputy` is a Deputy or its id: the activities it took part in. `keyword` matches the
    topic, place, organiser or a participant's name."""
    if year:
        start, end = year_range(int(year))
        qs = qs.filter(date__gte=start, date__lte=end)
    if kind:
        qs = qs.filter(kind=kind)
    if township:
        qs = qs.filter(region_id=township)
    if station:
        qs = qs.filter(station=station)
    if status:
        qs = qs.filter(status=status)
    if deputy:
        qs = qs.filter(Exists(Participation.objects.filter(activity=OuterRef("pk"), deputy=deputy)))
    keyword = (keyword or "").strip()
    if keyword:
        by_name = Participation.objects.filter(activity=OuterRef("pk"), deputy__name__contains=keyword)
        qs = qs.filter(
            Q(topic__contains=keyword)
            | Q(place__contains=keyword)
            | Q(organiser__contains=keyword)
            | Q(Exists(by_name))
        )
    return with_list_related(qs).order_by("-date", "-pk")


def activity_counts(qs, *, year: int) -> dict:
    """For the activities of `qs` (scoped): the confirmed ones of `year` by kind (every kind of
    the glossary, in its order), their total, the training 人次 of the year, and those
    waiting for the clerk (any year). One aggregate query."""
    start, end = year_range(year)
    in_year = Q(status=Activity.Status.CONFIRMED, date__gte=start, date__lte=end)
    aggregates = {f"kind_{kind}": Count("pk", filter=in_year & Q(kind=kind)) for kind in Activity.Kind.values}
    row = aggregate(
        qs.filter(Q(date__gte=start, date__lte=end) | Q(status=Activity.Status.PENDING)),
        total=Count("pk", filter=in_year),
        pending=Count("pk", filter=Q(status=Activity.Status.PENDING)),
        rejected=Count("pk", filter=Q(status=Activity.Status.REJECTED, date__gte=start, date__lte=end)),
        training_attendance=Sum("attendance", filter=in_year & Q(kind=Activity.Kind.TRAINING)),
        **aggregates,
    )
    return derived(
        lambda: {
            "year": year,
            "total": row["total"],
            "pending": row["pending"],
            "rejected": row["rejected"],
            "training_attendance": row["training_attendance"] or 0,
            "by_kind": [
                {"kind": kind, "label": label, "count": row[f"kind_{kind}"]} for kind, label in Activity.Kind.choices
            ],
        }
    )


def deputy_activities(*, deputy: Deputy, user):
    """The confirmed activities `deputy` took part in that `user` may see, newest first (the
    duty file's 参加活动)."""
    return (
        Activity.objects.for_user(user)
        .filter(status=Activity.Status.CONFIRMED)
        .filter(Exists(Participation.objects.filter(activity=OuterRef("pk"), deputy=deputy)))
        .select_related("station")
        .order_by("-date", "-pk")
    )


def mine(qs, user):
    """Activities of `qs` the user took part in (as a deputy) or recorded itself."""
    took_part = Participation.objects.filter(activity=OuterRef("pk"), deputy__user=user)
    return qs.filter(Q(Exists(took_part)) | Q(recorded_by=user))


# --- choices of the forms -----------------------------------------------------------------


def participant_choices(*, townships, include=()):
    """Deputies an activity of `townships` may list: those serving there (kept by the township
    or elected in it), plus `include` (the current participants, who may have left since).
    Each with its deputy groups prefetched, for picking a whole group at once."""
    serving = Mandate.objects.filter(deputy=OuterRef("pk"), status=Mandate.Status.SERVING)
    q = Q(Exists(serving.filter(region__in=townships))) | (Q(region__in=townships) & Q(Exists(serving)))
    include = [getattr(d, "pk", d) for d in include]
    if include:
        q |= Q(pk__in=include)
    return Deputy.objects.filter(q).prefetch_related("groups").order_by("name_initials", "name", "pk")


def station_choices(*, townships, include=None):
    """Rooms in use of `townships` (and the activity's current room, even if closed since)."""
    q = Q(township__in=townships, active=True)
    if include is not None:
        q |= Q(pk=getattr(include, "pk", include))
    return Station.objects.filter(q).select_related("region").order_by("township__code", "kind", "region__code", "name")
