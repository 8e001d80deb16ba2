"""deputies' part of seed_demo: every township of the seeded counties gets its congress —
deputies shaped like a real 乡镇人大 (women, minorities, party members, occupations, ages
and education in believable shares), each with a serving mandate in the current term, most
also in the previous term, a few also seated in the county congress — with the rest of a
township congress around them: constituencies 选区 (each 1–3 villages, 1–3 seats), the
presidium 主席团 (one 主席, one or two 副主席, about 8% of the deputies in all), deputy
groups 代表小组 (one per 8–12 deputies, each with a leader and a linked presidium member)
and the voters each deputy keeps in touch with 联系选民 (5–8 each). Three deputies of the
demo county get a login.

Rows go in with bulk_create, county by county, so the province scale (≈90,000 deputies,
≈580,000 voter contacts) stays within about a minute and a half on PostgreSQL. Deputies are
keyed by their 身份证号, constituencies by number, groups by name and voter contacts by
deputy, all generated from generators keyed by township code or 身份证号, so a second run
finds every row and creates nothing; a database seeded by an earlier version of this file
gets the missing parts filled in.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from org.models import Region, chinese_numeral
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

from .models import Constituency, Deputy, DeputyGroup, Mandate, VoterContact, name_initials

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
# Where 河北's minorities live (2020 census): 承德 is about 40% 满族 and 蒙古族 (six of its
# counties are autonomous), 秦皇岛 has 青龙满族自治县, 沧州 and 廊坊 the 回族 counties 孟村
# and 大厂, 唐山 and 张家口 a few percent; elsewhere, as on the plain round the demo county,
# a small share. Keyed by the prefecture digits of the county code.
MINORITIES_BY_PREFECTURE = {
    "02": (0.06, (("满族", 70), ("回族", 20), ("蒙古族", 6), ("朝鲜族", 4))),
    "03": (0.16, (("满族", 85), ("回族", 10), ("蒙古族", 5))),
    "07": (0.04, (("回族", 45), ("蒙古族", 30), ("满族", 25))),
    "08": (0.38, (("满族", 80), ("蒙古族", 15), ("回族", 5))),
    "09": (0.07, (("回族", 92), ("满族", 6), ("蒙古族", 2))),
    "10": (0.05, (("回族", 85), ("满族", 15))),
}
# Members of the eight democratic parties among deputies, roughly as their memberships go.
DEMOCRATIC_PARTY_WEIGHTS = (("民盟", 24), ("民进", 17), ("九三学社", 15), ("民建", 13), ("农工党", 13),
                            ("民革", 11), ("致公党", 5), ("台盟", 2))  # fmt: skip
# 归侨 (returned overseas Chinese) are rare on the North China plain.
RETURNED_OVERSEAS_SHARE = 0.004
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
    """A deputy to create, with the extra mandates it holds and its place in the congress."""

    deputy: Deputy
    previous_term: bool
    county_seat: bool
    constituency: int = 0  # the number of its constituency in the township
    presidium_role: str = ""


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
    minority_share, minorities = MINORITIES_BY_PREFECTURE.get(county.code[2:4], (MINORITY_SHARE, MINORITIES))
    # Attributes added later draw from their own generator, so the people drawn above (and
    # their 身份证号, the key a second run finds them by) stay what earlier versions made.
    extra = ctx.rng_for("deputy-extra", township.code)
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
        ethnicity = _weighted(rng, minorities) if rng.random() < minority_share else "汉族"
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
        # bulk_create skips save(), which fills the search initials.
        deputy.name_initials = name_initials(name)
        deputy.reelected = previous  # 连任: also a deputy of this congress last term
        deputy.returned_overseas = extra.random() < RETURNED_OVERSEAS_SHARE
        deputy.democratic_party = _weighted(extra, DEMOCRATIC_PARTY_WEIGHTS) if party == P.DEMOCRATIC else ""
        plans.append(DeputyPlan(deputy=deputy, previous_term=previous, county_seat=i < 2 or i in county_extra))
    return plans


# --- The township congress around the deputies ----------------------------------------------

# Seats of one constituency: the election law lets a township constituency elect one to three.
CONSTITUENCY_SEATS = ((1, 2), (2, 5), (3, 3))
# Deputies per deputy group, and the presidium's share of the deputies.
GROUP_SIZE = (8, 12)
PRESIDIUM_SHARE = (0.07, 0.09)
VOTER_CONTACTS = (5, 8)
VOTER_NOTES = ("村民代表", "网格员", "种植大户", "个体工商户", "退休教师", "老党员", "外出务工返乡人员", "养殖户")
# Words in a work unit that mark the congress's own chair and vice chair.
CHAIR_POSTS = ("人大主席", "人大工委主任")
VICE_CHAIR_POSTS = ("人大副主席", "人大工委副主任")


@dataclass
class ConstituencyPlan:
    """A constituency of a township: its number, name, seats and villages."""

    number: int
    name: str
    seats: int
    villages: list[Region] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # indexes into the township's plans


@dataclass
class GroupPlan:
    """A deputy group: its name, members, leader and linked presidium member (indexes)."""

    name: str
    members: list[int]
    leader: int
    contact: int


def _seat_sizes(rng: random.Random, n: int) -> list[int]:
    """Seats per constituency, 1–3 each, summing to `n`."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(_weighted(rng, CONSTITUENCY_SEATS), n - sum(sizes)))
    return sizes


def _village_spans(rng: random.Random, k: int, villages: list[Region]) -> list[list[Region]]:
    """Which villages each of `k` constituencies covers, in village order: a big village is
    split over several constituencies, small neighbours share one (at most three)."""
    if not villages:
        return [[] for _ in range(k)]
    if k >= len(villages):
        # Each village gets one constituency, the rest go to villages by a random size.
        parts = [1] * len(villages)
        for _ in range(k - len(villages)):
            parts[_weighted(rng, {i: 1 + i % 3 for i in range(len(villages))})] += 1
        return [[v] for v, m in zip(villages, parts, strict=True) for _ in range(m)]
    sizes = [1] * k
    for _ in range(len(villages) - k):
        # More than three villages a constituency only if a township had that few seats.
        room = [i for i, s in enumerate(sizes) if s < 3] or list(range(k))
        sizes[rng.choice(room)] += 1
    spans, at = [], 0
    for size in sizes:
        spans.append(villages[at : at + size])
        at += size
    return spans


def _constituency_names(rng: random.Random, spans: list[list[Region]]) -> list[str]:
    """Names as a township writes them: the villages, or the part of a split village
    (东关村1—4组, 府前社区第1—3网格)."""
    names, next_unit = [], {}
    split = {v.pk for span in spans if len(span) == 1 for v in span if sum(s == span for s in spans) > 1}
    for span in spans:
        if not span:
            names.append("")
            continue
        village = span[0]
        if len(span) == 1 and village.pk in split:
            first = next_unit.get(village.pk, 1)
            last = first + rng.randint(1, 3)
            next_unit[village.pk] = last + 1
            unit = "组" if village.kind == Region.Kind.VILLAGE else "网格"
            prefix = "" if unit == "组" else "第"
            names.append(f"{village.name}{prefix}{first}—{last}{unit}")
        else:
            names.append("、".join(v.name for v in span))
    return names


def _stem(village: Region) -> str:
    """东关村 → 东关, 府前社区 → 府前."""
    for suffix in ("社区", "村"):
        if village.name.endswith(suffix) and len(village.name) > len(suffix):
            return village.name[: -len(suffix)]
    return village.name


def _presidium(rng: random.Random, plans: list[DeputyPlan]) -> dict[int, str]:
    """Deputy index -> presidium role: the congress's chair and vice chair (the township's
    人大主席/副主席, by post), sometimes a second, part-time vice chair from the villages,
    and members up to about 8% of the deputies (the party secretary usually among them)."""
    n = len(plans)
    low, high = -(-n * PRESIDIUM_SHARE[0] // 1), n * PRESIDIUM_SHARE[1] // 1
    size = int(rng.randint(int(low), int(high)) if low <= high else round(n * 0.08))
    units = [p.deputy.work_unit for p in plans]
    chair = next((i for i, u in enumerate(units) if u.endswith(CHAIR_POSTS)), 0)
    roles = {chair: Mandate.PresidiumRole.CHAIR}
    vice = next((i for i, u in enumerate(units) if u.endswith(VICE_CHAIR_POSTS) and i not in roles), None)
    if vice is not None:
        roles[vice] = Mandate.PresidiumRole.VICE_CHAIR
    villagers = [i for i, p in enumerate(plans) if p.deputy.occupation == O.GRASSROOTS and i not in roles]
    if villagers and (vice is None or rng.random() < 0.5):
        roles[rng.choice(villagers)] = Mandate.PresidiumRole.VICE_CHAIR
    if 0 not in roles and rng.random() < 0.7:
        roles[0] = Mandate.PresidiumRole.MEMBER  # the party secretary
    # The rest from outside the township's leadership: village heads first, then anyone.
    others = [i for i, p in enumerate(plans) if i not in roles and p.deputy.occupation != O.OFFICIAL]
    weights = [3 if plans[i].deputy.occupation == O.GRASSROOTS else 1 for i in others]
    while len(roles) < size and others:
        i = rng.choices(others, weights=weights)[0]
        at = others.index(i)
        others.pop(at)
        weights.pop(at)
        roles[i] = Mandate.PresidiumRole.MEMBER
    return roles


def _groups(rng: random.Random, plans, constituencies, roles) -> list[GroupPlan]:
    """Deputy groups over runs of neighbouring constituencies, one per 8–12 deputies, each
    named after its area, led by one of its deputies (a village head if it has one) and
    linked to a presidium member (its own area's, where the presidium has one there)."""
    n = len(plans)
    count = max(1, round(n / rng.uniform(*GROUP_SIZE)))
    runs: list[list[ConstituencyPlan]] = [[] for _ in range(count)]
    seated = 0
    for c in constituencies:
        # A constituency joins the group whose share of the seats it falls in.
        runs[min(count - 1, seated * count // n)].append(c)
        seated += c.seats
    runs = [r for r in runs if r]
    # Chair last: the chair leads the presidium and links a group only when there are many.
    order = {Mandate.PresidiumRole.MEMBER: 0, Mandate.PresidiumRole.VICE_CHAIR: 1, Mandate.PresidiumRole.CHAIR: 2}
    presidium = sorted(roles, key=lambda i: (order[roles[i]], i))
    unlinked = list(presidium)
    groups, used_names = [], set()
    for run in runs:
        members = [i for c in run for i in c.members]
        # Named after the village with the most of its seats: 东关村代表小组, or 东关片 for several.
        weight: dict[Region, int] = {}
        for c in run:
            for v in c.villages:
                weight[v] = weight.get(v, 0) + c.seats
        main = max(weight, key=lambda v: weight[v]) if weight else None
        if main is None:
            base = "代表小组"
        elif len(weight) == 1:
            base = f"{main.name}代表小组"
        else:
            base = f"{_stem(main)}片代表小组"
        name, k = base, 1
        while name in used_names:
            k += 1
            name = base.replace("代表小组", f"第{chinese_numeral(k)}代表小组")
        used_names.add(name)
        own = [i for i in unlinked if i in members]
        if own:
            contact = own[0]
        elif unlinked:
            contact = unlinked[0]
        else:
            contact = presidium[len(groups) % len(presidium)]
        if contact in unlinked:
            unlinked.remove(contact)
        candidates = [i for i in members if i not in roles] or members
        heads = [i for i in candidates if plans[i].deputy.occupation == O.GRASSROOTS]
        # A village head of the group's own villages leads it where there is one.
        local = [i for i in heads if any(v.name in plans[i].deputy.work_unit for v in weight)]
        leader = rng.choice(local or heads or candidates)
        groups.append(GroupPlan(name=name, members=members, leader=leader, contact=contact))
    return groups


def plan_congress(ctx: SeedContext, township: Region, plans: list[DeputyPlan]):
    """Constituencies, presidium and groups of one township, for the deputies of `plans`
    (setting each plan's constituency number and presidium role)."""
    rng = ctx.rng_for("congress", township.code)
    n = len(plans)
    sizes = _seat_sizes(rng, n)
    spans = _village_spans(rng, len(sizes), ctx.villages.get(township.pk, []))
    names = _constituency_names(rng, spans)
    constituencies = [
        ConstituencyPlan(number=k, name=name or f"{township.name}第{k}选区", seats=seats, villages=span)
        for k, (seats, span, name) in enumerate(zip(sizes, spans, names, strict=True), start=1)
    ]
    # A village deputy stands in its own village's constituency where a seat is free there.
    free = {c.number: c.seats for c in constituencies}
    by_village: dict[str, list[ConstituencyPlan]] = {}
    for c in constituencies:
        for v in c.villages:
            by_village.setdefault(v.name, []).append(c)
    waiting = []
    for i, plan in enumerate(plans):
        home = next((v for v in by_village if v in plan.deputy.work_unit), None)
        spot = next((c for c in by_village.get(home, []) if free[c.number]), None)
        if spot is None:
            waiting.append(i)
            continue
        spot.members.append(i)
        free[spot.number] -= 1
    rng.shuffle(waiting)
    for c in constituencies:
        while free[c.number]:
            c.members.append(waiting.pop())
            free[c.number] -= 1
    for c in constituencies:
        c.members.sort()
        for i in c.members:
            plans[i].constituency = c.number
    roles = _presidium(rng, plans)
    for i, role in roles.items():
        plans[i].presidium_role = role
    return constituencies, _groups(rng, plans, constituencies, roles)


# --- Writing ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """How many rows of each kind a run created."""

    deputies: int = 0
    mandates: int = 0
    constituencies: int = 0
    groups: int = 0
    contacts: int = 0
    repaired: int = 0


def _mandates(ctx: SeedContext, county: Region, plans: list[DeputyPlan], seats: dict) -> list[Mandate]:
    """The mandates of newly created deputies: the current township seat for all (with the
    presidium role), the previous term's for the re-elected, the county seat for a few.
    `seats` maps (township id, constituency number) to the constituency's id."""
    terms = ctx.terms[county.pk]
    current, previous, county_term = terms["township_current"], terms["township_previous"], terms["county_current"]
    rows = []
    for plan in plans:
        d = plan.deputy
        constituency_id = seats.get((d.region_id, plan.constituency))
        rows.append(
            Mandate(
                deputy_id=d.pk,
                level=Mandate.Level.TOWNSHIP,
                region_id=d.region_id,
                term=current,
                constituency_id=constituency_id,
                status=Mandate.Status.SERVING,
                elected_on=current.start_date,
                presidium_role=plan.presidium_role,
            )
        )
        if plan.previous_term:
            # A mandate of the finished term, ended with the term (届满), in the same place.
            rows.append(
                Mandate(
                    deputy_id=d.pk,
                    level=Mandate.Level.TOWNSHIP,
                    region_id=d.region_id,
                    term=previous,
                    constituency_id=constituency_id,
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


def _ensure_constituencies(county: Region, layouts: dict, tally: Tally) -> dict[tuple[int, int], int]:
    """Create the missing constituencies (and their villages); (township id, number) -> id."""
    rows = Constituency.objects.filter(region__path__startswith=county.path).values_list("region_id", "number", "pk")
    have = {(r, n): pk for r, n, pk in rows}
    new = [
        (Constituency(region_id=tid, number=c.number, name=c.name, seats=c.seats), c)
        for tid, (constituencies, _) in layouts.items()
        for c in constituencies
        if (tid, c.number) not in have
    ]
    # SQLite (3.35+) and PostgreSQL both hand back the new ids from a bulk insert.
    Constituency.objects.bulk_create([row for row, _ in new], batch_size=1000)
    through = Constituency.villages.through
    through.objects.bulk_create(
        [through(constituency_id=row.pk, region_id=v.pk) for row, c in new for v in c.villages], batch_size=2000
    )
    tally.constituencies += len(new)
    have.update(((row.region_id, row.number), row.pk) for row, _ in new)
    return have


def _ensure_groups(county: Region, layouts: dict, plans_of: dict, tally: Tally) -> None:
    """Create the missing deputy groups with their members."""
    have = set(DeputyGroup.objects.filter(region__path__startswith=county.path).values_list("region_id", "name"))
    new = []
    for tid, (_, groups) in layouts.items():
        plans = plans_of[tid]
        for g in groups:
            if (tid, g.name) in have:
                continue
            row = DeputyGroup(
                region_id=tid,
                name=g.name,
                leader_id=plans[g.leader].deputy.pk,
                presidium_contact_id=plans[g.contact].deputy.pk,
            )
            new.append((row, [plans[i].deputy.pk for i in g.members]))
    DeputyGroup.objects.bulk_create([row for row, _ in new], batch_size=1000)
    through = DeputyGroup.members.through
    through.objects.bulk_create(
        [through(deputygroup_id=row.pk, deputy_id=pk) for row, members in new for pk in members], batch_size=2000
    )
    tally.groups += len(new)


def _voter_contacts(ctx: SeedContext, plan: DeputyPlan, villages: list[Region], since: datetime.date):
    """The 5–8 voters one deputy keeps in touch with, in the villages of its constituency."""
    d = plan.deputy
    rng = ctx.rng_for("voters", d.id_number)
    rows = []
    for _ in range(rng.randint(*VOTER_CONTACTS)):
        gender = "F" if rng.random() < 0.42 else "M"
        village = rng.choice(villages) if villages else None
        if village is None:
            address = ""
        elif village.kind == Region.Kind.COMMUNITY:
            address = f"{village.name}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元"
        else:
            address = f"{village.name}{rng.randint(1, 9)}组"
        rows.append(
            VoterContact(
                deputy_id=d.pk,
                name=person_name(rng, gender, rng.randint(1950, 2002)),
                phone=phone_number(rng),
                village=village,
                address=address,
                note=rng.choice(VOTER_NOTES) if rng.random() < 0.3 else "",
                since=since + datetime.timedelta(days=rng.randrange(0, 400)),
            )
        )
    return rows


def _ensure_voter_contacts(ctx: SeedContext, county: Region, layouts: dict, plans_of: dict, tally: Tally) -> None:
    """Voter contacts for every deputy that has none yet (written in batches, so a county's
    contacts never sit in memory all at once)."""
    have = set(
        VoterContact.objects.filter(deputy__region__path__startswith=county.path)
        .values_list("deputy_id", flat=True)
        .distinct()
    )
    since = ctx.terms[county.pk]["township_current"].start_date
    batch: list[VoterContact] = []
    for tid, (constituencies, _) in layouts.items():
        villages_of = {c.number: c.villages or ctx.villages.get(tid, []) for c in constituencies}
        for plan in plans_of[tid]:
            if plan.deputy.pk in have:
                continue
            batch += _voter_contacts(ctx, plan, villages_of.get(plan.constituency, []), since)
            if len(batch) >= 10_000:
                VoterContact.objects.bulk_create(batch, batch_size=2000)
                tally.contacts += len(batch)
                batch = []
    VoterContact.objects.bulk_create(batch, batch_size=2000)
    tally.contacts += len(batch)


# Fields an earlier version of this seeder did not fill; they are brought in line on a re-run.
REPAIRED_FIELDS = ("name_initials", "reelected", "returned_overseas", "democratic_party")


def _repair(county: Region, plans: list[DeputyPlan], seats: dict, tally: Tally) -> None:
    """Bring deputies and mandates of an older seed in line with the plan: deputy fields added
    since, and the constituency and presidium role of township mandates. A database this
    version seeded has nothing to repair, and costs two reads."""
    by_pk = {p.deputy.pk: p for p in plans}
    stale = []
    fields = ("pk", *REPAIRED_FIELDS)
    for row in Deputy.objects.filter(region__path__startswith=county.path).values_list(*fields).iterator(2000):
        plan = by_pk.get(row[0])
        if plan is not None and row[1:] != tuple(getattr(plan.deputy, f) for f in REPAIRED_FIELDS):
            stale.append(plan.deputy)
    Deputy.objects.bulk_update(stale, REPAIRED_FIELDS, batch_size=1000)
    missing = Mandate.objects.filter(
        region__path__startswith=county.path, level=Mandate.Level.TOWNSHIP, constituency__isnull=True
    ).values_list("pk", "deputy_id", "status")
    fixed = []
    for pk, deputy_id, status in missing.iterator(2000):
        plan = by_pk.get(deputy_id)
        if plan is None:
            continue  # a deputy entered by hand, not the seed's
        role = plan.presidium_role if status == Mandate.Status.SERVING else ""
        constituency_id = seats.get((plan.deputy.region_id, plan.constituency))
        fixed.append(Mandate(pk=pk, constituency_id=constituency_id, presidium_role=role))
    Mandate.objects.bulk_update(fixed, ["constituency_id", "presidium_role"], batch_size=1000)
    tally.repaired += len(stale) + len(fixed)


def _seed_county(ctx: SeedContext, county: Region, tally: Tally) -> list[DeputyPlan]:
    """Create what is missing of one county's congresses; returns the full plan (existing
    deputies included, with their ids)."""
    used_ids: set[str] = set()
    plans_of: dict[int, list[DeputyPlan]] = {}
    for township in ctx.townships_of(county):
        plans_of[township.pk] = plan_township(ctx, county, township, used_ids)
    layouts = {t.pk: plan_congress(ctx, t, plans_of[t.pk]) for t in ctx.townships_of(county)}
    plans = [p for ps in plans_of.values() for p in ps]
    existing = dict(
        Deputy.objects.filter(region__path__startswith=county.path, id_number__isnull=False).values_list(
            "id_number", "pk"
        )
    )
    new = [p for p in plans if p.deputy.id_number not in existing]
    Deputy.objects.bulk_create([p.deputy for p in new], batch_size=1000)
    if any(p.deputy.pk is None for p in new):  # a backend that does not return ids
        existing = dict(
            Deputy.objects.filter(region__path__startswith=county.path).values_list("id_number", "pk").iterator()
        )
    for p in plans:
        if p.deputy.pk is None:
            p.deputy.pk = existing[p.deputy.id_number]
    seats = _ensure_constituencies(county, layouts, tally)
    mandates = _mandates(ctx, county, new, seats)
    Mandate.objects.bulk_create(mandates, batch_size=1000)
    if len(new) < len(plans):
        created = {id(p) for p in new}
        _repair(county, [p for p in plans if id(p) not in created], seats, tally)
    _ensure_groups(county, layouts, plans_of, tally)
    _ensure_voter_contacts(ctx, county, layouts, plans_of, tally)
    tally.deputies += len(new)
    tally.mandates += len(mandates)
    return plans


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
    """Deputies, mandates, constituencies, groups and voter contacts of every seeded county,
    then the deputy logins."""
    tally = Tally()
    demo_plans = []
    for county in ctx.counties:
        plans = _seed_county(ctx, county, tally)
        if county.pk == ctx.county.pk:
            demo_plans = plans
    ctx.log(f"  代表：新建 {tally.deputies} 名，代表资格 {tally.mandates} 条")
    ctx.log(f"  选区 {tally.constituencies} 个，代表小组 {tally.groups} 个，联系选民 {tally.contacts} 名")
    if tally.repaired:
        ctx.log(f"  补齐旧数据 {tally.repaired} 行")
    _deputy_logins(ctx, demo_plans)
