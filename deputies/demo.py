"""deputies' part of seed_demo: every township of the seeded counties gets its congress —
deputies shaped like a real 乡镇人大 (women, minorities, party members, occupations, ages
and education in believable shares), each with a serving mandate in the current term, most
also in the previous term, a few also seated in the county congress — and three deputies of
the demo county get a login.

Rows go in with bulk_create, county by county, so the province scale (≈90,000 deputies)
takes seconds, not hours. Deputies are keyed by their 身份证号, which is generated from
generators keyed by township code, so a second run finds every one and creates nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from org.models import Region
from org.roles import Role
from org.seeding import (
    REFERENCE_DATE,
    SeedContext,
    birth_date_for_age,
    id_number,
    person_name,
    phone_number,
    register_seeder,
    words,
)

from .models import Deputy, Mandate

O = Deputy.Occupation  # noqa: E741 - short alias keeps the tables below readable
E = Deputy.Education
P = Deputy.Party

# Seats of a township congress (选举法 as amended in 2020): a base of 45, one more per 1,500
# inhabitants, at most 160.
SEAT_BASE, SEAT_PER, SEAT_MAX = 45, 1500, 160

# Occupation mix: workers and farmers well above the third the law asks to be "appropriate",
# 党政领导干部 well under a fifth. A 街道 has few farmers and more workers and residents.
OCCUPATIONS = {
    "township": ((O.FARMER, 30), (O.WORKER, 7), (O.GRASSROOTS, 21), (O.OFFICIAL, 16), (O.PROFESSIONAL, 12),
                 (O.ENTREPRENEUR, 9), (O.OTHER, 5)),
    "subdistrict": ((O.FARMER, 4), (O.WORKER, 26), (O.GRASSROOTS, 22), (O.OFFICIAL, 16), (O.PROFESSIONAL, 16),
                    (O.ENTREPRENEUR, 10), (O.OTHER, 6)),
}  # fmt: skip
# Per occupation: share of women, (youngest, oldest, commonest age), party shares
# (中共党员, 民主党派; the rest 群众) and education weights.
PROFILE = {
    O.OFFICIAL: (0.20, (30, 57, 46), (1.00, 0.0), {E.COLLEGE: 15, E.BACHELOR: 65, E.POSTGRADUATE: 20}),
    O.GRASSROOTS: (0.20, (30, 63, 50), (0.95, 0.0), {E.JUNIOR: 15, E.SENIOR: 45, E.COLLEGE: 30, E.BACHELOR: 10}),
    O.FARMER: (0.27, (32, 65, 52), (0.50, 0.0),
               {E.PRIMARY: 6, E.JUNIOR: 50, E.SENIOR: 32, E.COLLEGE: 10, E.BACHELOR: 2}),
    O.WORKER: (0.27, (28, 58, 42), (0.45, 0.0), {E.JUNIOR: 35, E.SENIOR: 45, E.COLLEGE: 15, E.BACHELOR: 5}),
    O.PROFESSIONAL: (0.42, (28, 60, 44), (0.55, 0.08), {E.COLLEGE: 30, E.BACHELOR: 60, E.POSTGRADUATE: 10}),
    O.ENTREPRENEUR: (0.20, (30, 62, 48), (0.45, 0.08),
                     {E.JUNIOR: 10, E.SENIOR: 35, E.COLLEGE: 30, E.BACHELOR: 22, E.POSTGRADUATE: 3}),
    O.OTHER: (0.30, (28, 65, 47), (0.40, 0.02), {E.JUNIOR: 35, E.SENIOR: 40, E.COLLEGE: 20, E.BACHELOR: 5}),
}  # fmt: skip
MINORITY_SHARE = 0.065
# Minorities of the North China plain first (回族, 满族), some from elsewhere.
MINORITIES = (("回族", 40), ("满族", 33), ("蒙古族", 9), ("土家族", 6), ("苗族", 5), ("壮族", 4), ("朝鲜族", 3))
# The share of deputies re-elected from the previous term, for those old enough to have sat in it.
PREVIOUS_TERM_SHARE = 0.64

# Leading posts of a township, in the order they are usually also deputies; the first two
# also sit in the county congress.
LEADERS = {
    "township": ("党委书记", "党委副书记、{head}长", "人大主席", "党委副书记", "人大副主席", "纪委书记",
                 "组织委员", "宣传委员", "副{head}长", "副{head}长", "武装部部长", "党委委员、统战委员"),
    "subdistrict": ("党工委书记", "党工委副书记、办事处主任", "人大工委主任", "党工委副书记", "人大工委副主任",
                    "纪工委书记", "组织委员", "宣传委员", "办事处副主任", "办事处副主任", "武装部部长"),
}  # fmt: skip
# 书记, 镇长 and 人大主席 are seasoned cadres, not newcomers.
TOP_LEADERS, TOP_LEADER_AGES = 3, (38, 57, 48)
VILLAGE_POSTS = {
    "village": ("党支部书记、村委会主任", "村委会副主任", "村务监督委员会主任", "党支部副书记", "村妇联主席"),
    "community": ("党委书记、居委会主任", "居委会副主任", "党委副书记", "社区网格员", "社区妇联主席"),
}
FIRM_STEMS = words("恒达 宏远 鑫源 华泰 永兴 金宇 润丰 天成 瑞祥 福源 盛达 宏图 鸿运 博远 东方 新兴 裕丰 广和")
FIRM_TRADES = ("羊绒制品", "纺织", "机械制造", "汽车配件", "食品", "建材", "农产品加工", "新能源科技", "包装", "家具")
WORKER_POSTS = ("职工", "车间主任", "技术员", "班组长", "质检员")
ENTREPRENEUR_POSTS = ("董事长", "总经理", "董事长、总经理")
FARM_TRADES = ("种植", "蔬菜种植", "林果", "养殖", "农机", "食用菌")


def seats(population: int) -> int:
    """The number of deputies a township of `population` elects."""
    return min(SEAT_MAX, SEAT_BASE + population // SEAT_PER)


def _weighted(rng: random.Random, pairs) -> object:
    """One key of `pairs` ({key: weight} or [(key, weight)]), drawn by weight."""
    items = list(pairs.items()) if isinstance(pairs, dict) else list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


@dataclass
class DeputyPlan:
    """A deputy to create, with the extra mandates it holds."""

    deputy: Deputy
    previous_term: bool
    county_seat: bool


def _work_unit(rng: random.Random, occupation: str, county: Region, township: Region, villages: list[Region]):
    """Where the deputy works and what as, the way a roster writes it."""
    place = f"{county.name}{township.name}"
    village = rng.choice(villages).name if villages else ""
    firm = f"{county.name}{rng.choice(FIRM_STEMS)}{rng.choice(FIRM_TRADES)}有限公司"
    residential = township.kind == Region.Kind.SUBDISTRICT
    if occupation == O.FARMER:
        return rng.choice(
            (
                f"{place}{village}{'居民' if residential else '村民'}",
                f"{place}{village}{rng.choice(FARM_TRADES)}大户",
                f"{place}{village}{rng.choice(FARM_TRADES)}专业合作社理事长",
                f"{place}{village}家庭农场负责人",
            )
        )
    if occupation == O.GRASSROOTS:
        posts = VILLAGE_POSTS["community" if residential else "village"]
        return f"{place}{village}{_weighted(rng, zip(posts, (6, 2, 1, 1, 1), strict=True))}"
    if occupation == O.WORKER:
        return f"{firm}{rng.choice(WORKER_POSTS)}"
    if occupation == O.ENTREPRENEUR:
        return f"{firm}{rng.choice(ENTREPRENEUR_POSTS)}"
    if occupation == O.PROFESSIONAL:
        return rng.choice(
            (
                f"{place}中心学校教师",
                f"{place}中心小学校长",
                f"{place}中学教师",
                f"{place}卫生院医生",
                f"{place}卫生院院长",
                f"{place}{village}卫生室乡村医生" if not residential else f"{place}社区卫生服务中心医生",
                f"{place}农业综合服务中心农艺师" if not residential else f"{county.name}律师事务所律师",
            )
        )
    return rng.choice(
        (f"{place}个体工商户", f"{place}{village}退役军人", f"{place}{village}居民", f"{county.name}退休教师")
    )


def plan_township(ctx: SeedContext, county: Region, township: Region, used_ids: set[str]) -> list[DeputyPlan]:
    """The deputies of one township: seats from its population, less a vacancy or two."""
    rng = ctx.rng_for("deputies", township.code)
    n = seats(ctx.township_info[township.pk].population) - rng.randint(0, 2)
    villages = ctx.villages.get(township.pk, [])
    head = "乡" if township.name.endswith("乡") else "镇"
    leaders = [post.format(head=head) for post in LEADERS[township.kind]]
    mix = OCCUPATIONS[township.kind]
    n_leaders = min(len(leaders), max(6, round(n * dict(mix)[O.OFFICIAL] / 100)))
    occupations = [O.OFFICIAL] * n_leaders + [
        _weighted(rng, [(o, w) for o, w in mix if o != O.OFFICIAL]) for _ in range(n - n_leaders)
    ]
    # About 40 county deputies in a county of 12 townships: the two top leaders and one or
    # two others of each township.
    county_extra = set(rng.sample(range(n_leaders, n), k=rng.randint(1, 2)))
    prefix = county.code[:6]
    names: set[str] = set()
    plans = []
    for i, occupation in enumerate(occupations):
        women, (young, old, mode), (cpc, democratic), education = PROFILE[occupation]
        if occupation == O.OFFICIAL:
            work_unit = f"{county.name}{township.name}{leaders[i]}"
        else:
            work_unit = _work_unit(rng, occupation, county, township, villages)
        # A 妇联主席 is a woman; otherwise the occupation's share of women applies.
        female = "妇联" in work_unit or rng.random() < women
        gender = Deputy.Gender.FEMALE if female else Deputy.Gender.MALE
        if i < TOP_LEADERS:
            young, old, mode = TOP_LEADER_AGES
        age = round(rng.triangular(young, old, mode))
        birth = birth_date_for_age(rng, age)
        name = person_name(rng, gender, birth.year)
        while name in names:  # two deputies of one township with one name only confuse the demo
            name = person_name(rng, gender, birth.year)
        names.add(name)
        roll = rng.random()
        party = P.CPC if roll < cpc else (P.DEMOCRATIC if roll < cpc + democratic else P.MASSES)
        ethnicity = _weighted(rng, MINORITIES) if rng.random() < MINORITY_SHARE else "汉族"
        deputy = Deputy(
            region=township,
            name=name,
            gender=gender,
            ethnicity=ethnicity,
            birth_date=birth,
            id_number=id_number(rng, prefix, birth, gender, used_ids),
            phone=phone_number(rng),
            party=party,
            education=_weighted(rng, education),
            occupation=occupation,
            work_unit=work_unit,
        )
        # Sitting in 2016 needs an adult then; younger deputies are newcomers.
        previous = age - (REFERENCE_DATE.year - 2016) >= 25 and rng.random() < PREVIOUS_TERM_SHARE
        plans.append(DeputyPlan(deputy=deputy, previous_term=previous, county_seat=i < 2 or i in county_extra))
    return plans


def _mandates(ctx: SeedContext, county: Region, plans: list[DeputyPlan]) -> list[Mandate]:
    """The mandates of newly created deputies: the current township seat for all, the
    previous term's for the re-elected, the county seat for a few."""
    terms = ctx.terms[county.pk]
    current, previous, county_term = terms["township_current"], terms["township_previous"], terms["county_current"]
    rows = []
    for plan in plans:
        d = plan.deputy
        rows.append(
            Mandate(
                deputy_id=d.pk,
                level=Mandate.Level.TOWNSHIP,
                region_id=d.region_id,
                term=current,
                status=Mandate.Status.SERVING,
                elected_on=current.start_date,
            )
        )
        if plan.previous_term:
            # A mandate of the finished term, ended with the term (届满).
            rows.append(
                Mandate(
                    deputy_id=d.pk,
                    level=Mandate.Level.TOWNSHIP,
                    region_id=d.region_id,
                    term=previous,
                    status=Mandate.Status.EXPIRED,
                    elected_on=previous.start_date,
                    ended_on=previous.end_date,
                )
            )
        if plan.county_seat:
            rows.append(
                Mandate(
                    deputy_id=d.pk,
                    level=Mandate.Level.COUNTY,
                    region=county,
                    term=county_term,
                    status=Mandate.Status.SERVING,
                    elected_on=county_term.start_date,
                )
            )
    return rows


def _seed_county(ctx: SeedContext, county: Region) -> tuple[list[DeputyPlan], int, int]:
    """Create the missing deputies of one county and their mandates; returns the full plan
    (existing deputies included) and how many deputies and mandates were created."""
    used_ids: set[str] = set()
    plans = []
    for township in ctx.townships_of(county):
        plans += plan_township(ctx, county, township, used_ids)
    existing = set(
        Deputy.objects.filter(region__path__startswith=county.path, id_number__isnull=False).values_list(
            "id_number", flat=True
        )
    )
    new = [p for p in plans if p.deputy.id_number not in existing]
    Deputy.objects.bulk_create([p.deputy for p in new], batch_size=1000)
    if any(p.deputy.pk is None for p in new):  # a backend that does not return ids
        ids = dict(
            Deputy.objects.filter(region__path__startswith=county.path).values_list("id_number", "pk").iterator()
        )
        for p in new:
            p.deputy.pk = ids[p.deputy.id_number]
    mandates = _mandates(ctx, county, new)
    Mandate.objects.bulk_create(mandates, batch_size=1000)
    return plans, len(new), len(mandates)


def _deputy_logins(ctx: SeedContext, plans: list[DeputyPlan]) -> None:
    """Three deputies of the demo county log in: a village head and a farmer of 城关镇 and a
    professional of 马屯镇 (the duty platform's typical users)."""
    slugs = {t.pk: ctx.township_info[t.pk].slug for t in ctx.townships_of(ctx.county)}
    wanted = (("chengguan", O.GRASSROOTS, 1), ("chengguan", O.FARMER, 2), ("matun", O.PROFESSIONAL, 1))
    for slug, occupation, number in wanted:
        plan = next(p for p in plans if slugs[p.deputy.region_id] == slug and p.deputy.occupation == occupation)
        deputy = Deputy.objects.select_related("region").get(id_number=plan.deputy.id_number)
        user = ctx.ensure_account(
            f"deputy_{slug}_{number}", name=deputy.name, phone=deputy.phone, role=Role.DEPUTY, region=deputy.region
        )
        if deputy.user_id != user.pk:
            Deputy.objects.filter(pk=deputy.pk).update(user=user)


@register_seeder("deputies", order=20)
def seed_deputies(ctx: SeedContext) -> None:
    """Deputies and mandates of every seeded county, then the deputy logins."""
    created_deputies = created_mandates = 0
    demo_plans = []
    for county in ctx.counties:
        plans, n_deputies, n_mandates = _seed_county(ctx, county)
        created_deputies += n_deputies
        created_mandates += n_mandates
        if county.pk == ctx.county.pk:
            demo_plans = plans
    ctx.log(f"  代表：新建 {created_deputies} 名，代表资格 {created_mandates} 条")
    _deputy_logins(ctx, demo_plans)
