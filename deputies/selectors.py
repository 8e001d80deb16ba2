"""Reads over deputies for lists, the duty file, the structure analysis and dashboards.

Everything here is a queryset or one aggregate query: no loop over deputies in Python.
Callers pass querysets already limited by the scoping rule (`for_user`), so a selector
never widens what a user sees.
"""

from __future__ import annotations

import calendar
import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from org.batch import aggregate
from org.models import Region, Term, chinese_numeral, user_memberships
from org.roles import Role
from org.scoping import CHANGE, roles_for

from .models import Deputy, DeputyGroup, Mandate

# --- ages -------------------------------------------------------------------------------

# (code, label, lowest age included, age the band stops before); ages in full years.
AGE_BANDS = (
    ("u35", "35岁以下", None, 35),
    ("35_49", "35—49岁", 35, 50),
    ("50_59", "50—59岁", 50, 60),
    ("60p", "60岁及以上", 60, None),
)
AGE_BAND_CHOICES = [(code, label) for code, label, _, _ in AGE_BANDS]


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: datetime.date | None, day: datetime.date) -> int | None:
    """Age in full years on `day`."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band_q(code: str, today: datetime.date, prefix: str = "") -> Q:
    """Rows whose birth date puts them in age band `code` today, as date comparisons the
    database does: age >= n exactly when born on or before the same day n years ago."""
    band = next(b for b in AGE_BANDS if b[0] == code)
    _, _, low, high = band
    q = Q(**{f"{prefix}birth_date__isnull": False})
    if low is not None:
        q &= Q(**{f"{prefix}birth_date__lte": years_before(today, low)})
    if high is not None:
        q &= Q(**{f"{prefix}birth_date__gt": years_before(today, high)})
    return q


def today() -> datetime.date:
    return timezone.localdate()


# --- terms ------------------------------------------------------------------------------


def region_and_ancestor_ids(region: Region) -> list[int]:
    """The ids on `region`'s path: itself and every region above it (no query)."""
    return [int(x) for x in region.path.strip("/").split("/") if x]


def terms_for(regions, level: str | None = None, *, below: bool = True):
    """Terms that apply to `regions`: those defined on any of them or on a region above
    them (a county defines the term of all its townships) and, with `below`, those a
    township under them defines for itself.

    Terms are defined on the county, which a township clerk's scope does not reach, so
    this reads them through the regions' paths rather than Term.objects.for_user()."""
    ids: set[int] = set()
    q = Q()
    for region in regions:
        ids.update(region_and_ancestor_ids(region))
        if below:
            q |= Q(region__path__startswith=region.path)
    qs = Term.objects.filter(Q(region_id__in=ids) | q).select_related("region")
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("level", "-start_date")


def current_and_previous_term(region: Region, level: str, on: datetime.date | None = None):
    """(current, previous) term of `level` for `region`: the latest started by `on` and the
    one before it; either may be None."""
    on = on or today()
    applying = terms_for([region], level, below=False)
    terms = list(applying.filter(start_date__lte=on).order_by("-start_date")[:2])
    if not terms:
        # Nothing started yet: the next one is "current".
        upcoming = applying.order_by("start_date").first()
        return upcoming, None
    return terms[0], (terms[1] if len(terms) > 1 else None)


def term_label(term: Term) -> str:
    """ "乡镇 · 第二十届（2021—2026）" — a term with its level, for choices."""
    return f"{term.get_level_display()} · {term}"


def term_choices(terms) -> list[tuple[int, str]]:
    """(id, term_label) of `terms` read as plain values, no Term instances: a province
    admin's term filter lists a few hundred."""
    levels = dict(Term.Level.choices)
    rows = terms.values_list("pk", "level", "number", "start_date__year", "end_date__year")
    return [
        (pk, f"{levels.get(level, level)} · 第{chinese_numeral(number)}届（{start}—{end}）")
        for pk, level, number, start, end in rows
    ]


# --- who may write ----------------------------------------------------------------------


def writable_townships(user):
    """The townships in which `user` may write deputies (their own, for a clerk)."""
    return Region.objects.for_user(user, CHANGE).townships().order_by("code")


def can_write_region(user, region: Region) -> bool:
    """Whether `user` may write deputy rows of `region` (no query: memberships are cached)."""
    roles = roles_for(Deputy, CHANGE)
    return any(m.role in roles and region.path.startswith(m.region.path) for m in user_memberships(user))


def business_region(user, active_region=None) -> Region | None:
    """The region a county or township user is looking at: the top bar's pick, else the
    widest region of their county/township memberships."""
    if active_region is not None:
        return active_region
    regions = [m.region for m in user_memberships(user) if m.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)]
    return min(regions, key=lambda r: r.depth) if regions else None


# --- roster -----------------------------------------------------------------------------


def serving_mandates_prefetch() -> Prefetch:
    """Each deputy's serving mandates (with their terms) as `deputy.serving_mandates`."""
    return Prefetch(
        "mandates",
        queryset=Mandate.objects.filter(status=Mandate.Status.SERVING)
        .select_related("term")
        .order_by("level", "-elected_on"),
        to_attr="serving_mandates",
    )


def roster(qs):
    """The roster's rows: deputies with their township and serving mandates, in a constant
    number of queries whatever the page size."""
    return qs.select_related("region").prefetch_related(serving_mandates_prefetch())


def has_mandate(**filters) -> Exists:
    """Deputies holding a mandate that matches `filters` (an Exists subquery, so a filter on
    mandates never duplicates a deputy)."""
    return Exists(Mandate.objects.filter(deputy=OuterRef("pk"), **filters))


def serving_deputies(qs, level: str = Mandate.Level.TOWNSHIP):
    """Deputies of `qs` with a serving mandate at `level`."""
    return qs.filter(has_mandate(status=Mandate.Status.SERVING, level=level))


# --- duty file --------------------------------------------------------------------------


def duty_file(qs):
    """Everything the duty file shows of a deputy, prefetched: all mandates (history) with
    their terms, regions and constituencies, groups and voter contacts."""
    return qs.select_related("region", "user").prefetch_related(
        Prefetch(
            "mandates",
            queryset=Mandate.objects.select_related("term", "region", "constituency").order_by(
                "-status", "-elected_on", "-pk"
            ),
        ),
        Prefetch("groups", queryset=DeputyGroup.objects.select_related("leader", "presidium_contact")),
        "voter_contacts__village",
    )


# --- groups -----------------------------------------------------------------------------


def group_list(qs):
    """Groups with their leader, presidium contact and member counts (one query)."""
    return (
        qs.select_related("region", "leader", "presidium_contact")
        .annotate(
            member_count=Count("members", distinct=True),
            women_count=Count("members", filter=Q(members__gender=Deputy.Gender.FEMALE), distinct=True),
        )
        .order_by("region__code", "name", "pk")
    )


def group_members_prefetch() -> Prefetch:
    """A group's members by name, each with its serving mandates."""
    return Prefetch(
        "members",
        queryset=Deputy.objects.select_related("region")
        .order_by("name", "pk")
        .prefetch_related(serving_mandates_prefetch()),
    )


def group_member_counts(group: DeputyGroup) -> dict:
    """Counts of one group's members, in one aggregate query."""
    return group.members.aggregate(
        total=Count("pk"),
        women=Count("pk", filter=Q(gender=Deputy.Gender.FEMALE)),
        cpc=Count("pk", filter=Q(party=Deputy.Party.CPC)),
        serving=Count("pk", filter=Q(has_mandate(status=Mandate.Status.SERVING))),
    )


def presidium_members(qs):
    """Deputies of `qs` holding a serving mandate with a presidium role (主席团成员)."""
    return qs.filter(
        Exists(Mandate.objects.filter(deputy=OuterRef("pk"), status=Mandate.Status.SERVING).exclude(presidium_role=""))
    )


# --- structure analysis -----------------------------------------------------------------

MINORITY_LABEL = "少数民族"


def _share(n: int, total: int) -> float:
    return round(100 * n / total, 1) if total else 0.0


def _rows(pairs, total):
    return [{"key": key, "label": label, "n": n, "share": _share(n, total)} for key, label, n in pairs]


def structure(deputies, *, level: str = Mandate.Level.TOWNSHIP, on: datetime.date | None = None,
              previous_term: Term | None = None, by_township: bool = False) -> dict:  # fmt: skip
    """Counts and shares of the serving deputies in `deputies` (a scoped queryset) by
    gender, age band, party, education, occupation, 连任 and 归侨 — all in ONE aggregate
    query grouped by township, summed here — and by ethnicity in a second
    (values().annotate()).

    连任 (re-elected) is the deputy's own flag or a mandate at the same level in the
    previous term. Returns {"total": n, "dimensions": [...]}, and with `by_township` also
    "by_township": the rows of structure_by_township() from the same grouped query (a
    province's 89,000 deputies are read once, not twice)."""
    on = on or today()
    serving = serving_deputies(deputies, level)
    again = Q(reelected=True)
    if previous_term is not None:
        again |= Q(has_mandate(level=level, term=previous_term))

    counts = {"total": Count("pk")}
    for value, _ in Deputy.Gender.choices:
        counts[f"gender_{value}"] = Count("pk", filter=Q(gender=value))
    for code, _, _, _ in AGE_BANDS:
        counts[f"age_{code}"] = Count("pk", filter=age_band_q(code, on))
    counts["age_none"] = Count("pk", filter=Q(birth_date__isnull=True))
    for value, _ in Deputy.Party.choices:
        counts[f"party_{value}"] = Count("pk", filter=Q(party=value))
    for value, _ in Deputy.Education.choices:
        counts[f"education_{value}"] = Count("pk", filter=Q(education=value))
    counts["education_none"] = Count("pk", filter=Q(education=""))
    for value, _ in Deputy.Occupation.choices:
        counts[f"occupation_{value}"] = Count("pk", filter=Q(occupation=value))
    counts["reelected"] = Count("pk", filter=again)
    counts["overseas"] = Count("pk", filter=Q(returned_overseas=True))
    counts["minority"] = Count("pk", filter=~Q(ethnicity="汉族"))
    # Grouped by the deputy's own region_id (an integer hash aggregate; grouping by the
    # region's name and code sorted 89,000 rows on disk at province scale).
    grouped = list(serving.order_by().values("region").annotate(**counts))
    c = {key: sum(row[key] for row in grouped) for key in counts}
    total = c["total"]

    ethnic = list(serving.order_by().values("ethnicity").annotate(n=Count("pk")).order_by("-n", "ethnicity"))

    def choices(prefix, pairs, extra=()):
        rows = [(value, label, c[f"{prefix}_{value}"]) for value, label in pairs]
        rows += [(k, label, c[f"{prefix}_{k}"]) for k, label in extra if c[f"{prefix}_{k}"]]
        return _rows(rows, total)

    han = next((r["n"] for r in ethnic if r["ethnicity"] == "汉族"), 0)
    dimensions = [
        {"key": "gender", "title": "性别", "chart": "pie", "rows": choices("gender", Deputy.Gender.choices)},
        {
            "key": "ethnicity",
            "title": "民族",
            "chart": "pie",
            "rows": _rows([("han", "汉族", han), ("minority", MINORITY_LABEL, c["minority"])], total),
            "detail": _rows(
                [(r["ethnicity"], r["ethnicity"], r["n"]) for r in ethnic if r["ethnicity"] != "汉族"], total
            ),  # fmt: skip
        },
        {
            "key": "age",
            "title": "年龄",
            "chart": "bar",
            "rows": choices("age", [(code, label) for code, label, _, _ in AGE_BANDS], extra=[("none", "未填")]),
        },
        {"key": "party", "title": "政治面貌", "chart": "pie", "rows": choices("party", Deputy.Party.choices)},
        {
            "key": "education",
            "title": "学历",
            "chart": "bar",
            "rows": choices("education", Deputy.Education.choices, extra=[("none", "未填")]),
        },
        {
            "key": "occupation",
            "title": "职业类别",
            "chart": "bar",
            "rows": choices("occupation", Deputy.Occupation.choices),
        },
        {
            "key": "reelected",
            "title": "连任",
            "chart": "pie",
            "rows": _rows([("yes", "连任", c["reelected"]), ("no", "新当选", total - c["reelected"])], total),
        },
        {
            "key": "overseas",
            "title": "归侨",
            "chart": "pie",
            "rows": _rows([("yes", "归侨", c["overseas"]), ("no", "非归侨", total - c["overseas"])], total),
        },
    ]
    result = {"total": total, "dimensions": dimensions}
    if by_township:
        regions = Region.objects.in_bulk([row["region"] for row in grouped])
        rows = sorted(grouped, key=lambda row: regions[row["region"]].code)
        result["by_township"] = [_township_row(row, regions[row["region"]]) for row in rows]
    return result


def _township_row(row, region: Region) -> dict:
    """One township's row of structure_by_township() from structure()'s grouped counts."""
    out = {
        "region__name": region.name,
        "region__code": region.code,
        "total": row["total"],
        "women": row[f"gender_{Deputy.Gender.FEMALE}"],
        "minority": row["minority"],
        "cpc": row[f"party_{Deputy.Party.CPC}"],
        "workers_farmers": row[f"occupation_{Deputy.Occupation.WORKER}"]
        + row[f"occupation_{Deputy.Occupation.FARMER}"],
        "young": row["age_u35"],
    }
    for key in ("women", "minority", "cpc", "workers_farmers", "young"):
        out[f"{key}_share"] = _share(out[key], out["total"])
    return out


def structure_by_township(deputies, *, level: str = Mandate.Level.TOWNSHIP, on: datetime.date | None = None):
    """Per township: serving deputies and the counts the law and the county watch (women,
    minorities, party members, workers and farmers, under 35, 连任 by flag) — one grouped
    query; shares are added per township row."""
    on = on or today()
    rows = list(
        serving_deputies(deputies, level)
        .order_by()
        .values("region__name", "region__code")
        .annotate(
            total=Count("pk"),
            women=Count("pk", filter=Q(gender=Deputy.Gender.FEMALE)),
            minority=Count("pk", filter=~Q(ethnicity="汉族")),
            cpc=Count("pk", filter=Q(party=Deputy.Party.CPC)),
            workers_farmers=Count("pk", filter=Q(occupation__in=[Deputy.Occupation.WORKER, Deputy.Occupation.FARMER])),
            young=Count("pk", filter=age_band_q("u35", on)),
        )
        .order_by("region__code")
    )
    for row in rows:
        for key in ("women", "minority", "cpc", "workers_farmers", "young"):
            row[f"{key}_share"] = _share(row[key], row["total"])
    return rows


def month_ends(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The last day of each month from `start`'s month to `end`'s; the last point is `end`
    itself when `end` falls inside its month (today, say)."""
    points = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        points.append(min(last, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


def serving_over_time(mandates, *, terms, on: datetime.date | None = None) -> list[dict]:
    """Serving mandates of `mandates` (a scoped queryset) at the end of each month over
    `terms` (e.g. the previous and current term), in ONE aggregate query: a mandate serves
    on day d when elected on or before d and ended (if at all) on d or later — the end
    date is the mandate's last day, as a term's 届满 date is."""
    on = on or today()
    terms = [t for t in terms if t is not None]
    if not terms:
        return []
    start = min(t.start_date for t in terms)
    end = min(on, max(t.end_date for t in terms))
    if end < start:
        return []
    points = month_ends(start, end)
    qs = mandates.filter(term__in=terms).order_by()
    counts = {
        f"m{i}": Count(
            "pk",
            filter=Q(elected_on__lte=day)
            & (Q(ended_on__gte=day) | Q(ended_on__isnull=True, status=Mandate.Status.SERVING)),
        )
        for i, day in enumerate(points)
    }
    row = qs.aggregate(**counts)
    return [{"date": day, "n": row[f"m{i}"]} for i, day in enumerate(points)]


# --- dashboard ---------------------------------------------------------------------------


def serving_counts(region):
    """Serving township deputies under `region`, by gender, in one grouped query."""
    qs = Mandate.objects.filter(
        status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP, region__path__startswith=region.path
    )
    return aggregate(
        qs,
        total=Count("pk"),
        women=Count("pk", filter=Q(deputy__gender=Deputy.Gender.FEMALE)),
        cpc=Count("pk", filter=Q(deputy__party=Deputy.Party.CPC)),
    )


def serving_by_township(region):
    """Per township under `region`: serving township deputies (one grouped query)."""
    return list(
        Mandate.objects.filter(
            status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP, region__path__startswith=region.path
        )
        .values("region__name", "region__code")
        .annotate(n=Count("pk"))
        .order_by("region__code")
    )
