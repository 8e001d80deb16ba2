"""stations' part of seed_demo: the default standards (六有/七有/八有/十有) for every seeded
county, a 人大代表之家 in every township, a 代表联络站 (活动室 in a community) in about half
of its villages, each linked to the township's deputy groups, and each room's 六有
self-assessment (most items met, some partly or not).

Rows go in with bulk_create, county by county; rooms are keyed by (region, name) and states
by (room, item), so a second run creates nothing."""

from __future__ import annotations

from deputies.models import DeputyGroup
from org.seeding import REFERENCE_DATE, SeedContext, person_name, phone_number, register_seeder

from .models import StandardItem, Station, StationItemState
from .services import HEADLINE_STANDARD, standards_preload

LIAISON_SHARE = 0.5
STATE_WEIGHTS = ((StationItemState.State.MET, 82), (StationItemState.State.PARTLY, 12), (StationItemState.State.NOT, 6))
PUBLIC_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RULES = ("每月第一个星期二", "每月第二个星期二", "每月第二个星期四", "每月15日", "每月第三个星期五")


def _public_code(rng) -> str:
    # bulk_create skips Station.save(), which draws the QR key; drawn here from the seed.
    return "".join(rng.choice(PUBLIC_CODE_ALPHABET) for _ in range(12))


def _plan(ctx: SeedContext, township, villages, groups) -> list[tuple[Station, list[int]]]:
    """The rooms of one township with the ids of the groups each links."""
    rng = ctx.rng_for("stations", township.code)
    plans = []
    head = "人大工委代表之家" if township.kind == "subdistrict" else "人大代表之家"
    home = Station(
        kind=Station.Kind.HOME,
        name=f"{township.name}{head}",
        region=township,
        township=township,
        address=f"{township.name}政府（办事处）院内",
        opening_hours="工作日 8:30—12:00，14:30—17:30",
        reception_rule=rng.choice(RULES),
        manager_name=person_name(rng, rng.choice("MF")),
        manager_phone=phone_number(rng),
        public_code=_public_code(rng),
    )
    if rng.random() < 0.15:
        home.showcase_level = Station.Showcase.COUNTY
        home.showcase_year = REFERENCE_DATE.year - rng.randint(0, 3)
    plans.append((home, [g.pk for g in groups]))
    chosen = [v for v in villages if rng.random() < LIAISON_SHARE]
    for i, village in enumerate(chosen):
        label = "代表活动室" if village.kind == "community" else "人大代表联络站"
        station = Station(
            kind=Station.Kind.LIAISON,
            name=f"{village.name}{label}",
            region=village,
            township=township,
            address=f"{village.name}党群服务中心",
            opening_hours="每周一至周五上午",
            reception_rule=rng.choice(RULES),
            manager_name=person_name(rng, rng.choice("MF")),
            manager_phone=phone_number(rng),
            public_code=_public_code(rng),
        )
        plans.append((station, [groups[i % len(groups)].pk] if groups else []))
    return plans


@register_seeder("stations", order=30)
def seed_stations(ctx: SeedContext) -> None:
    year = REFERENCE_DATE.year
    n_standards = n_stations = n_states = 0
    Link = Station.groups.through
    for county in ctx.counties:
        n_standards += len(standards_preload(county=county, year=year))
        headline_items = list(
            StandardItem.objects.filter(standard__region=county, standard__year=year, standard__name=HEADLINE_STANDARD)
        )
        townships = ctx.townships_of(county)
        town_ids = [t.pk for t in townships]
        groups_by_town: dict[int, list] = {}
        for g in DeputyGroup.objects.filter(region_id__in=town_ids).order_by("name").only("pk", "region_id"):
            groups_by_town.setdefault(g.region_id, []).append(g)
        existing = set(Station.objects.filter(township_id__in=town_ids).values_list("region_id", "name"))
        new, links = [], []
        for township in townships:
            for station, group_ids in _plan(
                ctx, township, ctx.villages.get(township.pk, []), groups_by_town.get(township.pk, [])
            ):
                if (station.region_id, station.name) in existing:
                    continue
                new.append(station)
                links.append(group_ids)
        Station.objects.bulk_create(new, batch_size=1000)
        if new and not all(s.pk for s in new):  # a backend that returns no ids
            by_key = {(s.region_id, s.name): s.pk for s in Station.objects.filter(township_id__in=town_ids)}
            for s in new:
                s.pk = by_key[(s.region_id, s.name)]
        Link.objects.bulk_create(
            [Link(station_id=s.pk, deputygroup_id=gid) for s, gids in zip(new, links, strict=True) for gid in gids],
            batch_size=2000,
            ignore_conflicts=True,
        )
        n_stations += len(new)
        states = []
        for s in new:
            rng = ctx.rng_for("station-states", s.region_id, s.name)
            for item in headline_items:
                state = rng.choices([k for k, _ in STATE_WEIGHTS], weights=[w for _, w in STATE_WEIGHTS])[0]
                note = "" if state == StationItemState.State.MET else "正在整改完善"
                states.append(StationItemState(station_id=s.pk, item_id=item.pk, state=state, note=note))
        StationItemState.objects.bulk_create(states, batch_size=2000, ignore_conflicts=True)
        n_states += len(states)
    ctx.log(f"  建设标准：新建 {n_standards} 套；代表之家和联络站：新建 {n_stations} 个，“六有”自评 {n_states} 条")
    ctx.shared["stations_standard_year"] = year
