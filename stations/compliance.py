"""Compliance lists of the 两室一平台 (DESIGN.md section 6), computed in SQL for a scoped
queryset and a reference date:

- rooms with no reception and no confirmed activity in the last `IDLE_DAYS` days
  (“有平台无活动”). A rolling 90 days rather than the last calendar quarter: a room that
  met voters ten days ago is not flagged just because a quarter began, and one idle since
  the spring is flagged in any month. A 人大代表之家 also counts the township's activities
  that name no room (they are its books' records, see registers.py);
- rooms with an item of their county's 六有 not met or not filled in (stations.selectors);
- voter issues referred and past their due date, or answered and not fed back to the
  voter within `FEEDBACK_DAYS`;
- serving deputies with nothing on file this year up to the reference date: no confirmed
  activity, no reception, no duty day.

Each selector takes a queryset already limited by the scoping rule (`for_user`, and
`in_region` for the region the user looks at) and returns a queryset, so pages paginate
them and dashboards count them (all four counts in one query, and one more for the table
per township).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from deputies.models import Deputy, Mandate
from deputies.selectors import has_mandate
from org.batch import aggregate, annotate_grouped, batched, derived
from org.models import Region

from . import selectors
from .models import Activity, DutyRoster, Reception, StandardItem, Station, StationItemState, VoterIssue
from .services import HEADLINE_STANDARD

# “月进站、季回家”: a room should see deputies at least once a quarter; 90 days is a quarter.
IDLE_DAYS = 90
# The seeds set no deadline for telling the voter the answer. Counties' rules for 选民意见
# commonly ask for feedback within a week of the unit's answer; a county that sets another
# figure changes it here.
FEEDBACK_DAYS = 7

CONFIRMED = Activity.Status.CONFIRMED
MET = StationItemState.State.MET

# The four lists, in the order the page's tabs and the dashboard show them.
LISTS = (
    ("rooms", "无活动阵地"),
    ("standards", f"“{HEADLINE_STANDARD}”未达标阵地"),
    ("issues", "问题超期、未反馈"),
    ("deputies", "本年无履职记录代表"),
)


def reference_date() -> datetime.date:
    return timezone.localdate()


# --- rooms --------------------------------------------------------------------------------------


def _recent(on: datetime.date) -> dict:
    return {"date__gte": on - datetime.timedelta(days=IDLE_DAYS), "date__lte": on}


def idle_rooms(stations, *, on: datetime.date):
    """Active rooms of `stations` with no reception and no confirmed activity in the
    `IDLE_DAYS` days up to `on`."""
    window = _recent(on)
    reception = Reception.objects.filter(station=OuterRef("pk"), **window)
    activity = Activity.objects.filter(station=OuterRef("pk"), status=CONFIRMED, **window)
    township_activity = Activity.objects.filter(
        station__isnull=True, region=OuterRef("township"), status=CONFIRMED, **window
    )
    busy = Q(Exists(reception)) | Q(Exists(activity)) | Q(Exists(township_activity), kind=Station.Kind.HOME)
    return stations.filter(active=True).exclude(busy)


def with_last_dates(rooms, *, on: datetime.date):
    """Annotate each room's last reception and last confirmed activity up to `on`."""
    last_reception = Reception.objects.filter(station=OuterRef("pk"), date__lte=on).order_by("-date")
    last_activity = Activity.objects.filter(station=OuterRef("pk"), status=CONFIRMED, date__lte=on).order_by("-date")
    return rooms.annotate(
        last_reception=Subquery(last_reception.values("date")[:1]),
        last_activity=Subquery(last_activity.values("date")[:1]),
    )


def failing_rooms(stations):
    """Active rooms of `stations` with an item of their county's 六有 not met (or not filled in)."""
    return selectors.failing_headline(stations.filter(active=True))


def unmet_items(rooms) -> dict[int, list[str]]:
    """{room id: titles of the 六有 items it has not met} for a page of rooms, in two queries
    (the items of their counties, the states they met)."""
    rooms = list(rooms)
    county_ids = {r.township.parent_id for r in rooms}
    items = list(
        StandardItem.objects.filter(
            standard__in=selectors.current_headline_standards(), standard__region_id__in=county_ids
        )
        .select_related("standard")
        .order_by("standard__region_id", "order", "pk")
    )
    met = set(
        StationItemState.objects.filter(station__in=rooms, item__in=items, state=MET).values_list(
            "station_id", "item_id"
        )
    )
    return {
        r.pk: [i.title for i in items if i.standard.region_id == r.township.parent_id and (r.pk, i.pk) not in met]
        for r in rooms
    }


# --- voter issues -------------------------------------------------------------------------------


def _overdue_q(on: datetime.date) -> Q:
    return Q(state=VoterIssue.State.REFERRED, due_on__lt=on)


def _unfed_q(on: datetime.date) -> Q:
    return Q(state=VoterIssue.State.ANSWERED, answered_on__lt=on - datetime.timedelta(days=FEEDBACK_DAYS))


def late_issues(issues, *, on: datetime.date):
    """Voter issues referred and past their due date, or answered more than `FEEDBACK_DAYS`
    days before `on` and not yet fed back to the voter; the oldest first."""
    return issues.filter(_overdue_q(on) | _unfed_q(on)).order_by("due_on", "answered_on", "pk")


# --- deputies -----------------------------------------------------------------------------------


def idle_deputies(deputies, *, on: datetime.date):
    """Deputies of `deputies` with a serving mandate and, from 1 January of `on`'s year to
    `on`, no confirmed activity, no reception and no duty day."""
    start = on.replace(month=1, day=1)
    activity = Activity.participants.through.objects.filter(
        deputy_id=OuterRef("pk"), activity__status=CONFIRMED, activity__date__gte=start, activity__date__lte=on
    )
    reception = Reception.deputies.through.objects.filter(
        deputy_id=OuterRef("pk"), reception__date__gte=start, reception__date__lte=on
    )
    duty = DutyRoster.deputies.through.objects.filter(
        deputy_id=OuterRef("pk"), dutyroster__date__gte=start, dutyroster__date__lte=on
    )
    return (
        deputies.filter(has_mandate(status=Mandate.Status.SERVING))
        .exclude(Exists(activity))
        .exclude(Exists(reception))
        .exclude(Exists(duty))
    )


# --- counts -------------------------------------------------------------------------------------


def scoped_sources(user, region: Region | None) -> dict:
    """The scoped querysets the lists start from: the user's rows, narrowed to `region`."""
    return {
        "stations": Station.objects.for_user(user).in_region(region),
        "issues": VoterIssue.objects.for_user(user).in_region(region),
        "deputies": Deputy.objects.for_user(user).in_region(region),
    }


def compliance_counts(user, region: Region | None, *, on: datetime.date) -> Mapping[str, int]:
    """How many rows each list holds (issues split into overdue and not fed back): four
    aggregates, sent in one query (org.batch) with whatever else the page asks."""
    src = scoped_sources(user, region)
    with batched():
        issues = aggregate(
            late_issues(src["issues"], on=on),
            overdue=Count("pk", filter=_overdue_q(on)),
            unfed=Count("pk", filter=_unfed_q(on)),
        )
        rooms = aggregate(idle_rooms(src["stations"], on=on), n=Count("pk"))
        standards = aggregate(failing_rooms(src["stations"]), n=Count("pk"))
        deputies = aggregate(idle_deputies(src["deputies"], on=on), n=Count("pk"))
    return derived(
        lambda: {
            "rooms": rooms["n"],
            "standards": standards["n"],
            "issues": issues["overdue"] + issues["unfed"],
            "overdue": issues["overdue"],
            "unfed": issues["unfed"],
            "deputies": deputies["n"],
        }
    )


def counts_by_township(user, region: Region, *, on: datetime.date) -> list[dict]:
    """The same counts per township under `region`, in one query: the townships with each
    list grouped by township and joined to them (org.batch.annotate_grouped)."""
    src = scoped_sources(user, region)
    issues = late_issues(src["issues"], on=on)
    townships = annotate_grouped(
        Region.objects.townships().for_user(user).in_region(region),
        order_by=("code",),
        n_rooms=(idle_rooms(src["stations"], on=on), "township_id", Count("pk")),
        n_standards=(failing_rooms(src["stations"]), "township_id", Count("pk")),
        n_deputies=(idle_deputies(src["deputies"], on=on), "region_id", Count("pk")),
        n_overdue=(issues, "region_id", Count("pk", filter=_overdue_q(on))),
        n_unfed=(issues, "region_id", Count("pk", filter=_unfed_q(on))),
    )
    return [
        {
            "township": t,
            "rooms": t.n_rooms,
            "standards": t.n_standards,
            "issues": t.n_overdue + t.n_unfed,
            "overdue": t.n_overdue,
            "unfed": t.n_unfed,
            "deputies": t.n_deputies,
        }
        for t in townships
    ]
