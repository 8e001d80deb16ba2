"""Reads of the star rating 星级评定: the county-year list with filters, the star
distribution, what waits for a user's step, a room's history, the export rows. Every
function takes an already scoped queryset or the user, so nothing bypasses the scoping rule."""

from __future__ import annotations

from django.db.models import Count, Max, Q

from org.batch import LazyList, aggregate
from org.models import user_memberships
from org.roles import Role

from .models import StarRating, StarRule

STAR_LEVELS = (5, 4, 3, 2, 1, 0)


def ratings_for(user, *, region=None):
    """The ratings the user may see (narrowed to `region`), ready for a list page."""
    return (
        StarRating.objects.for_user(user)
        .in_region(region)
        .select_related("station__region", "station__township", "rule")
    )


def latest_year(ratings) -> int | None:
    """The most recent year among `ratings` (what a list opens on)."""
    return ratings.aggregate(y=Max("year"))["y"]


def ratings_filtered(ratings, *, year=None, township=None, state=None, stars=None):
    """Narrow a scoped queryset by year, township, state and stars ("0" = 未评星)."""
    if year:
        ratings = ratings.filter(year=year)
    if township:
        ratings = ratings.filter(station__township=township)
    if state:
        ratings = ratings.filter(state=state)
    if stars not in (None, ""):
        stars = int(stars)
        ratings = ratings.filter(stars=stars) if stars else ratings.filter(stars__in=(0, None))
    return ratings.order_by("station__township__code", "station__kind", "station__region__code", "station__name")


def star_distribution(ratings) -> list[dict]:
    """How many ratings hold each star level (5 … 1, then 0 = 未评星 with the unreviewed
    counted apart), in one grouped query."""
    row = aggregate(
        ratings,
        unrated=Count("pk", filter=Q(stars__isnull=True)),
        **{f"s{s}": Count("pk", filter=Q(stars=s)) for s in STAR_LEVELS},
    )
    return LazyList(
        lambda: [{"stars": s, "count": row[f"s{s}"]} for s in STAR_LEVELS] + [{"stars": None, "count": row["unrated"]}]
    )


def state_counts(ratings) -> dict[str, int]:
    """Ratings per state, one grouped query."""
    counts = {row["state"]: row["n"] for row in ratings.order_by().values("state").annotate(n=Count("pk"))}
    return {value: counts.get(value, 0) for value in StarRating.State.values}


def waiting_for(user, ratings):
    """Ratings waiting for this user's step: drafts for a township clerk (to self-assess and
    submit), submitted ones for county staff (to review)."""
    roles = {m.role for m in user_memberships(user)}
    states = []
    if Role.TOWNSHIP_CLERK in roles:
        states.append(StarRating.State.DRAFT)
    if Role.COUNTY_ADMIN in roles:
        states.append(StarRating.State.SUBMITTED)
    return ratings.filter(state__in=states)


def station_history(station, user):
    """A room's ratings across the years, newest first, as the user may see them."""
    return (
        StarRating.objects.for_user(user)
        .filter(station=station)
        .select_related("rule")
        .only("pk", "year", "state", "stars", "review_score", "self_score", "rule__region_id")
        .order_by("-year")
    )


def rule_for(user, *, county, year):
    return StarRule.objects.for_user(user).filter(region=county, year=year).select_related("standard").first()


EXPORT_HEADER = [
    "序号",
    "乡镇",
    "阵地名称",
    "类型",
    "所在区划",
    "年度",
    "状态",
    "自评得分",
    "审核得分",
    "星级",
    "实地核查",
    "审核意见",
    "公布时间",
]
EXPORT_WIDTHS = [6, 14, 28, 18, 14, 8, 12, 10, 10, 12, 10, 40, 18]


def export_rows(ratings):
    """The rows of the ratings workbook, streamed in chunks (constant memory)."""
    from .services_stars import stars_text

    qs = ratings.select_related("station__region", "station__township").order_by(
        "station__township__code", "station__kind", "station__region__code", "station__name"
    )
    for i, r in enumerate(qs.iterator(chunk_size=1000), start=1):
        published = r.published_at.strftime("%Y-%m-%d") if r.published_at else ""
        yield [
            i,
            r.station.township.name,
            r.station.name,
            r.station.get_kind_display(),
            r.station.region.name,
            r.year,
            r.get_state_display(),
            float(r.self_score) if r.self_score is not None else "",
            float(r.review_score) if r.review_score is not None else "",
            stars_text(r.stars) if r.state in (StarRating.State.REVIEWED, StarRating.State.PUBLISHED) else "",
            "是" if r.onsite_checked else "否",
            r.review_comment,
            published,
        ]
