"""org's part of seed_demo: the demo county 清河县 (townships, villages, terms, handling units
and an account of every role) and, at `--scale province`, a province of about 90 counties
and 1,300 townships around it.

The county is invented (its code 130599 is not a real county's, so that generated 身份证号
cannot be real people's) but shaped like a county on the North China plain: two 街道 in the
county seat, six 镇 and four 乡, 村 under 镇/乡 and 社区 under 街道, codes in the national
scheme (街道 001–099, 镇 100–199, 乡 200–399; 居委会 001–199, 村委会 200–399).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from .models import HandlingUnit, Region, Term
from .roles import Role
from .seeding import (
    RegionSpec,
    SeedContext,
    TownshipInfo,
    bulk_create_regions,
    person_name,
    phone_number,
    register_seeder,
    words,
)

PROVINCE_CODE = "130000000000"
PROVINCE_NAME = "河北省"
PREFECTURES = (
    ("01", "石家庄市"), ("02", "唐山市"), ("03", "秦皇岛市"), ("04", "邯郸市"), ("05", "邢台市"),
    ("06", "保定市"), ("07", "张家口市"), ("08", "承德市"), ("09", "沧州市"), ("10", "廊坊市"),
    ("11", "衡水市"),
)  # fmt: skip
DEMO_PREFECTURE = "05"
DEMO_COUNTY_CODE = "130599000000"
DEMO_COUNTY_NAME = "清河县"
# At province scale the demo county counts towards this many townships.
PROVINCE_TOWNSHIPS = 1300

# Township congresses of a county are elected together (同步换届). 第二十届 was elected in
# late 2021 and sits until the 2026/27 elections, so on the demo's "today" it is current.
TOWNSHIP_TERMS = {
    "township_previous": (19, datetime.date(2016, 12, 1), datetime.date(2021, 11, 30)),
    "township_current": (20, datetime.date(2021, 12, 1), datetime.date(2026, 12, 31)),
}
COUNTY_TERMS = {
    "county_current": (18, datetime.date(2021, 12, 1), datetime.date(2026, 12, 31)),
}

# (township part of the code, name, kind, ASCII slug for usernames, population, villages)
DEMO_TOWNSHIPS = (
    ("001", "清泉街道", "subdistrict", "qingquan", 36000,
     "府前社区 清泉社区 文化路社区 育才社区 幸福里社区 东苑社区"),
    ("002", "银河街道", "subdistrict", "yinhe", 31000, "银河社区 滨河社区 建设路社区 锦绣社区 翠园社区"),
    ("100", "城关镇", "township", "chengguan", 38000,
     "东关村 西关村 南关村 北关村 前屯村 后屯村 大王庄村 小王庄村"),
    ("101", "王官庄镇", "township", "wangguanzhuang", 23000,
     "王官庄村 东杨庄村 西杨庄村 刘家营村 前李村 后李村 孙庄村"),
    ("102", "马屯镇", "township", "matun", 21000, "马屯村 北马屯村 张官寨村 赵庄村 郭家桥村 陈庄村 韩村"),
    ("103", "柳林镇", "township", "liulin", 25000,
     "柳林村 东柳林村 西柳林村 杜家庄村 石佛寺村 大辛庄村 吕庄村"),
    ("104", "高庄镇", "township", "gaozhuang", 17500, "高庄村 前高庄村 后高庄村 吴家庄村 宋庄村 田村 白塔村"),
    ("105", "杨家营镇", "township", "yangjiaying", 19000,
     "杨家营村 东营村 西营村 徐庄村 冯家洼村 贾庄村 郝村"),
    ("200", "北辛店乡", "township", "beixindian", 14000, "北辛店村 南辛店村 崔庄村 姜庄村 魏家庄村 曹村"),
    ("201", "南曹乡", "township", "nancao", 12500, "南曹村 北曹村 邓庄村 彭家营村 袁庄村 潘庄村"),
    ("202", "孟楼乡", "township", "menglou", 13000, "孟楼村 前孟楼村 唐庄村 邱家庄村 范庄村 薛庄村"),
    ("203", "大堤口乡", "township", "dadikou", 11000, "大堤口村 小堤口村 段庄村 侯家庄村 龙王庙村 史庄村"),
)  # fmt: skip

# County offices that answer most suggestions (the name is prefixed with the county's).
COUNTY_UNITS = (
    ("交通运输局", HandlingUnit.Kind.GOVERNMENT),
    ("水利局", HandlingUnit.Kind.GOVERNMENT),
    ("农业农村局", HandlingUnit.Kind.GOVERNMENT),
    ("住房和城乡建设局", HandlingUnit.Kind.GOVERNMENT),
    ("自然资源和规划局", HandlingUnit.Kind.GOVERNMENT),
    ("教育局", HandlingUnit.Kind.GOVERNMENT),
    ("卫生健康局", HandlingUnit.Kind.GOVERNMENT),
    ("民政局", HandlingUnit.Kind.GOVERNMENT),
)
TOWNSHIP_UNITS = {
    "township": (("农业综合服务中心", HandlingUnit.Kind.STATION), ("综合行政执法队", HandlingUnit.Kind.STATION)),
    "subdistrict": (("社会事务服务中心", HandlingUnit.Kind.STATION), ("综合行政执法队", HandlingUnit.Kind.STATION)),
}


@dataclass
class TownshipPlan:
    """A township to seed, with its villages and the population its congress size follows."""

    code: str
    name: str
    kind: str
    population: int
    slug: str = ""
    villages: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, kind)


@dataclass
class CountyPlan:
    """A county to seed and its townships."""

    code: str
    name: str
    parent_code: str | None
    townships: list[TownshipPlan] = field(default_factory=list)


# --- Plans -------------------------------------------------------------------------------


def demo_county_plan(parent_code: str | None) -> CountyPlan:
    """The hand-written demo county."""
    prefix = DEMO_COUNTY_CODE[:6]
    plan = CountyPlan(code=DEMO_COUNTY_CODE, name=DEMO_COUNTY_NAME, parent_code=parent_code)
    for part, name, kind, slug, population, villages in DEMO_TOWNSHIPS:
        township = TownshipPlan(code=f"{prefix}{part}000", name=name, kind=kind, population=population, slug=slug)
        first = 1 if kind == "subdistrict" else 200
        village_kind = "community" if kind == "subdistrict" else "village"
        township.villages = [
            (f"{prefix}{part}{first + i:03d}", v, village_kind) for i, v in enumerate(villages.split())
        ]
        plan.townships.append(township)
    return plan


_COUNTY_FIRST = (
    "安平宁丰永新广长临武德兴阜定容隆元深景固高柏灵怀易肃献盐孟望威魏馆成邱磁涉滦遵迁乐昌卢抚青沧博饶唐曲顺涞赞宽崇康沽"
)
_COUNTY_SECOND = "平安宁城阳山水泉丘川源定兴丰州邑台原泽陵海田康乐"
_STREETS = words("城东 城西 城南 城北 新华 解放 胜利 建设 朝阳 文化 育才 振兴 府前 兴华 和平 光明 红旗 人民 迎宾 滨河")
_PLACE_PREFIX = words("大 小 东 西 南 北 前 后 新 高 双 三 石 白 黄 青 龙 马 牛 枣 杏 柳 桃 梨 桑 辛 官 窑")
_PLACE_NOUN = words("河 桥 庄 店 集 营 屯 寨 城 岗 堤 口 坡 洼 林 园 泉 沟 头 寺 铺 固 关 楼 堡")
_SURNAME_PLACE = words("庄 营 屯 集 店 寨 楼 桥 口 堡 官庄 家庄 家营 家寨 家洼 官屯")
_COMMUNITY = words(
    "幸福 和谐 文化路 建设路 府前 阳光 花园 金桥 锦绣 翠园 康乐 丽景 新城 东苑 西苑 滨河 书香 惠民 "
    "安居 佳和 紫薇 龙泉 润园 怡和 朝阳 园丁 和平里 振兴 南苑 北苑 春晖 馨苑"
)
_PLACE_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林郑梁宋韩冯曹田董袁于崔魏吕孟贾郝段侯史薛闫"


def _place_name(rng) -> str:
    """A village- or township-like place name (王官庄, 北辛店, 石桥)."""
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(_PLACE_SURNAMES) + rng.choice(_SURNAME_PLACE)
    if roll < 0.65:
        return rng.choice("前后东西南北大小") + rng.choice(_PLACE_SURNAMES) + rng.choice("庄营屯寨楼")
    return rng.choice(_PLACE_PREFIX) + rng.choice(_PLACE_NOUN)


def _county_stem(rng) -> str:
    """Two characters, not the same one twice (安平, 丰宁)."""
    first = rng.choice(_COUNTY_FIRST)
    return first + rng.choice(_COUNTY_SECOND.replace(first, ""))


def _unique(rng, make, used: set[str]) -> str:
    """A name from `make(rng)` not yet in `used` (and now in it)."""
    for _ in range(200):
        name = make(rng)
        if name not in used:
            used.add(name)
            return name
    # Pools run dry only for absurd sizes; a number keeps the name unique anyway.
    name = f"{make(rng)}{len(used)}"
    used.add(name)
    return name


def _county_townships(code: str, suffix: str, ctx: SeedContext) -> list[TownshipPlan]:
    """Townships of one generated county. Everything comes from generators keyed by codes,
    so a smaller `--townships` run yields a prefix of the full province."""
    rng = ctx.rng_for("county", code)
    n = rng.randint(9, 20)
    n_streets = rng.randint(2, 5) if suffix in "区市" else rng.randint(0, 2)
    n_xiang = round((n - n_streets) * rng.uniform(0.15, 0.35))
    kinds = ["subdistrict"] * n_streets + ["town"] * (n - n_streets - n_xiang) + ["xiang"] * n_xiang
    used: set[str] = set()
    counters = {"subdistrict": 1, "town": 100, "xiang": 200}
    plans = []
    for kind in kinds:
        part = f"{counters[kind]:03d}"
        counters[kind] += 1
        if kind == "subdistrict":
            name = _unique(rng, lambda r: r.choice(_STREETS), used) + "街道"
        else:
            name = _unique(rng, _place_name, used) + ("镇" if kind == "town" else "乡")
        t_code = f"{code[:6]}{part}000"
        t_rng = ctx.rng_for("township", t_code)
        # Deputy seats follow population (see deputies.demo), so the spread of populations
        # gives the spread of township congress sizes: about 70 seats on average.
        population = int(t_rng.triangular(8000, 85000, 20000))
        plan = TownshipPlan(
            code=t_code, name=name, kind="subdistrict" if kind == "subdistrict" else "township", population=population
        )
        n_villages = t_rng.randint(6, 18)
        v_used: set[str] = set()
        if kind == "subdistrict":
            for i in range(min(n_villages, 10)):
                v_name = _unique(t_rng, lambda r: r.choice(_COMMUNITY), v_used) + "社区"
                plan.villages.append((f"{code[:6]}{part}{1 + i:03d}", v_name, "community"))
        else:
            for i in range(n_villages):
                v_name = _unique(t_rng, _place_name, v_used) + "村"
                plan.villages.append((f"{code[:6]}{part}{200 + i:03d}", v_name, "village"))
        plans.append(plan)
    return plans


def province_plan(ctx: SeedContext, total_townships: int) -> list[CountyPlan]:
    """About `total_townships` townships (the demo county's included) in counties spread over
    the prefectures; county codes start at 41 in each prefecture, above the real ones."""
    plans = [demo_county_plan(parent_code=f"13{DEMO_PREFECTURE}00000000")]
    remaining = total_townships - len(plans[0].townships)
    names_rng = ctx.rng_for("county-names")
    used_names = {DEMO_COUNTY_NAME[:-1]}
    i = 0
    while remaining > 0:
        prefecture = PREFECTURES[i % len(PREFECTURES)][0]
        number = 41 + i // len(PREFECTURES)
        if number > 98:
            raise ValueError("too many counties for the code scheme")
        code = f"13{prefecture}{number:02d}000000"
        roll = names_rng.random()
        suffix = "县" if roll < 0.78 else ("市" if roll < 0.9 else "区")
        stem = _unique(names_rng, _county_stem, used_names)
        county = CountyPlan(code=code, name=stem + suffix, parent_code=f"13{prefecture}00000000")
        county.townships = _county_townships(code, suffix, ctx)[:remaining]
        remaining -= len(county.townships)
        plans.append(county)
        i += 1
    return plans


# --- The seeder ----------------------------------------------------------------------------


@register_seeder("org", order=10)
def seed_org(ctx: SeedContext) -> None:
    """Regions, terms, handling units and the demo accounts."""
    province_scale = ctx.scale == "province"
    if province_scale:
        total = ctx.options.get("townships") or PROVINCE_TOWNSHIPS
        plans = province_plan(ctx, total)
        specs = [RegionSpec(PROVINCE_CODE, PROVINCE_NAME, Region.Kind.PROVINCE)]
        used_prefectures = {p.parent_code for p in plans}
        specs += [
            RegionSpec(f"13{num}00000000", name, Region.Kind.PREFECTURE, PROVINCE_CODE)
            for num, name in PREFECTURES
            if f"13{num}00000000" in used_prefectures
        ]
    else:
        plans = [demo_county_plan(parent_code=None)]
        specs = []
    for county in plans:
        specs.append(RegionSpec(county.code, county.name, Region.Kind.COUNTY, county.parent_code))
        for t in county.townships:
            specs.append(RegionSpec(t.code, t.name, t.kind, county.code))
            specs += [RegionSpec(code, name, kind, t.code) for code, name, kind in t.villages]
    created = bulk_create_regions(specs)
    ctx.log(f"  行政区划：新建 {created} 个（共 {len(specs)} 个）")

    if province_scale:
        _attach_demo_county(plans[0].parent_code)
    _load_regions(ctx, plans)
    _ensure_terms(ctx)
    _ensure_units(ctx)
    _ensure_accounts(ctx)


def _attach_demo_county(prefecture_code: str) -> None:
    """A demo county seeded earlier at demo scale is a root; at province scale it moves under
    its prefecture (Region.save carries the subtree's paths along)."""
    county = Region.objects.get(code=DEMO_COUNTY_CODE)
    if county.parent_id is None:
        county.parent = Region.objects.get(code=prefecture_code)
        county.save()


def _load_regions(ctx: SeedContext, plans: list[CountyPlan]) -> None:
    """Read the seeded tree back (ids and paths) into the context, in code order."""
    root_code = PROVINCE_CODE if ctx.scale == "province" else DEMO_COUNTY_CODE
    root = Region.objects.get(code=root_code)
    info = {t.code: t for c in plans for t in c.townships}
    county_codes = {c.code for c in plans}
    ctx.province = root if root.kind == Region.Kind.PROVINCE else None
    ctx.counties, ctx.townships, ctx.villages, ctx.township_info = [], [], {}, {}
    for region in Region.objects.filter(path__startswith=root.path).order_by("code"):
        if region.code == DEMO_COUNTY_CODE:
            ctx.county = region
        if region.kind == Region.Kind.COUNTY and region.code in county_codes:
            ctx.counties.append(region)
        elif region.code in info:
            ctx.townships.append(region)
            plan = info[region.code]
            ctx.township_info[region.pk] = TownshipInfo(population=plan.population, slug=plan.slug)
            ctx.villages[region.pk] = []
        elif region.parent_id in ctx.villages:
            ctx.villages[region.parent_id].append(region)


def _ensure_terms(ctx: SeedContext) -> None:
    """The township terms 第十九届/第二十届 and the county congress term on every county."""
    wanted = [(key, Term.Level.TOWNSHIP, spec) for key, spec in TOWNSHIP_TERMS.items()]
    wanted += [(key, Term.Level.COUNTY, spec) for key, spec in COUNTY_TERMS.items()]
    county_ids = [c.pk for c in ctx.counties]

    def existing():
        """(county id, level, number) -> Term, as the database has them now."""
        return {(t.region_id, t.level, t.number): t for t in Term.objects.filter(region_id__in=county_ids)}

    have = existing()
    new = [
        Term(region_id=cid, level=level, number=number, start_date=start, end_date=end)
        for cid in county_ids
        for _, level, (number, start, end) in wanted
        if (cid, level, number) not in have
    ]
    Term.objects.bulk_create(new)
    have = existing()
    ctx.terms = {cid: {key: have[(cid, level, spec[0])] for key, level, spec in wanted} for cid in county_ids}
    ctx.log(f"  届次：新建 {len(new)} 个")


def _ensure_units(ctx: SeedContext) -> None:
    """County offices on every county, two 站所 on every township."""
    wanted = []
    for county in ctx.counties:
        wanted += [(county, county.name + name, kind) for name, kind in COUNTY_UNITS]
        wanted.append((county, f"国网{county.name}供电公司", HandlingUnit.Kind.ENTERPRISE))
    for township in ctx.townships:
        wanted += [(township, township.name + name, kind) for name, kind in TOWNSHIP_UNITS[township.kind]]
    root = ctx.province or ctx.county
    have = set(HandlingUnit.objects.filter(region__path__startswith=root.path).values_list("region_id", "name"))
    new = []
    for region, name, kind in wanted:
        if (region.pk, name) in have:
            continue
        rng = ctx.rng_for("unit", region.code, name)
        new.append(
            HandlingUnit(
                region=region,
                name=name,
                kind=kind,
                contact=person_name(rng, rng.choice("MMF"), rng.randint(1966, 1996)),
                phone=phone_number(rng),
            )
        )
    HandlingUnit.objects.bulk_create(new, batch_size=1000)
    ctx.log(f"  承办单位：新建 {len(new)} 个（共 {len(wanted)} 个）")


def _account(ctx: SeedContext, username: str, role: str, region: Region, **kw):
    """A demo account with a generated name and phone (the same on every run)."""
    rng = ctx.rng_for("account", username)
    gender = "F" if rng.random() < 0.4 else "M"
    return ctx.ensure_account(
        username,
        name=person_name(rng, gender, rng.randint(1970, 1992)),
        phone=phone_number(rng),
        role=role,
        region=region,
        **kw,
    )


def _ensure_accounts(ctx: SeedContext) -> None:
    """One account of every role: county staff, the IT admin, the auditor, a clerk for every
    township of the demo county and staff of two handling units. Deputy logins come from
    the deputies seeder, which owns the Deputy rows they link to."""
    county = ctx.county
    if ctx.province is not None:
        _account(ctx, "province_admin", Role.COUNTY_ADMIN, ctx.province)
    _account(ctx, "county_admin", Role.COUNTY_ADMIN, county)
    _account(ctx, "sysadmin", Role.SUPERUSER, county, superuser=True)
    _account(ctx, "auditor", Role.AUDITOR, county)
    for township in ctx.townships_of(county):
        _account(ctx, f"clerk_{ctx.township_info[township.pk].slug}", Role.TOWNSHIP_CLERK, township)
    by_slug = {ctx.township_info[t.pk].slug: t for t in ctx.townships_of(county)}
    transport = HandlingUnit.objects.get(region=county, name=f"{county.name}交通运输局")
    _account(ctx, "unit_jiaotong", Role.HANDLING_UNIT, county, handling_unit=transport)
    chengguan = by_slug["chengguan"]
    farm_centre = HandlingUnit.objects.get(region=chengguan, name=f"{chengguan.name}农业综合服务中心")
    _account(ctx, "unit_chengguan_nongye", Role.HANDLING_UNIT, chengguan, handling_unit=farm_centre)
