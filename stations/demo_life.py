"""stations' second part of seed_demo: the life of the rooms over the last two years.

For every seeded township: duty rosters from each room's reception-day rule (two years up to
the end of the current year, deputies of the room's groups in rotation), receptions on most
past duty days with the matters voters raised, those matters in every state of their
workflow (handled on the spot, referred to a unit, answered, fed back, closed, overdue),
activities of every kind, a few opinions left on the public page, and one activity a deputy
recorded that waits for the clerk. A few liaison rooms fall silent in the last months, so the
compliance lists have something to show.

The province scale seeds the last twelve months only (the benchmark's volume, not its
history). A township that already has activities is left alone, so a second run creates
nothing.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from deputies.models import Deputy, DeputyGroup, Mandate
from org.models import HandlingUnit, Membership, Region, User
from org.roles import Role
from org.seeding import SeedContext, person_name, phone_number, register_seeder

from .models import Activity, DutyRoster, Reception, Station, VoterIssue, VoterIssueEvent
from .models.receptions import TRACKING_ALPHABET, TRACKING_LENGTH
from .roster_rules import parse_rule

S = VoterIssue.State
C = VoterIssue.Category
K = Activity.Kind

# Share of past duty days on which voters actually came.
RECEPTION_SHARE = 0.8
# Share of liaison rooms that fell silent (no reception, no activity) in the last months.
DORMANT_SHARE = 0.12
DORMANT_DAYS = 120
# Activities a township holds in a year, by kind.
ACTIVITIES_PER_YEAR = {
    K.VISIT_VOTERS: 8,
    K.GROUP: 6,
    K.TRAINING: 4,
    K.INSPECTION: 3,
    K.RESEARCH: 3,
    K.REPORT_TO_VOTERS: 3,
    K.LAW_ENFORCEMENT: 1,
    K.WORK_REVIEW: 1,
    K.OTHER: 1,
}

# What voters raise, by category, and which unit (by name ending) usually gets it.
MATTERS = {
    C.ROADS: (
        ("{v}至镇区的通村公路坑洼不平，雨天积水严重，群众出行困难，希望尽快修补。", "交通运输局"),
        ("{v}村口道路缺少减速带和警示标志，学生上下学存在安全隐患。", "交通运输局"),
        ("{v}组道路两侧路灯损坏多盏，夜间通行不便。", "住房和城乡建设局"),
    ),
    C.WATER: (
        ("{v}灌溉渠道年久失修，渗漏严重，影响夏季农田灌溉。", "水利局"),
        ("{v}部分农户自来水水压不足，高峰时段经常停水。", "水利局"),
    ),
    C.AGRICULTURE: (
        ("希望加强对{v}种植户的技术指导，推广优质小麦品种。", "农业综合服务中心"),
        ("{v}高标准农田建设后部分田块排水不畅，请求复查整改。", "农业农村局"),
    ),
    C.ENVIRONMENT: (
        ("{v}垃圾清运不及时，村头垃圾池经常满溢，气味难闻。", "综合行政执法队"),
        ("{v}附近有小作坊夜间排放异味，群众反映强烈。", "综合行政执法队"),
    ),
    C.EDUCATION: (("{v}小学校车接送路线调整后，部分学生上学距离变远。", "教育局"),),
    C.HEALTH: (
        ("{v}卫生室缺少常用慢性病药品，老年人取药需要跑到镇上。", "卫生健康局"),
        ("希望在{v}开展免费健康体检和义诊活动。", "卫生健康局"),
    ),
    C.SOCIAL: (
        ("{v}有困难老人申请低保，希望了解办理流程并给予帮助。", "民政局"),
        ("{v}留守儿童较多，建议增设儿童之家活动场所。", "民政局"),
    ),
    C.SAFETY: (("{v}电动车充电乱拉电线，存在消防隐患。", "综合行政执法队"),),
    C.OTHER: (("{v}部分区域用电电压不稳，家电经常无法正常使用。", "供电公司"),),
}
ON_SPOT_ANSWERS = (
    "值班代表当场解释了相关政策，选民表示理解。",
    "代表当场联系村委会负责人，约定本周内处理。",
    "已当场告知办理流程和所需材料，选民表示满意。",
)
UNIT_ANSWERS = (
    "经现场查看，已安排施工队进行修复，预计两周内完工。",
    "已将该事项列入年度工作计划，资金到位后实施。",
    "经调查核实，已责成相关站所整改到位。",
    "已组织技术人员上门服务，问题已解决。",
)
TOPICS = {
    K.VISIT_VOTERS: ("走访联系选民，听取对{t}民生实事的意见", "入户走访困难群众，了解冬季取暖情况"),
    K.GROUP: ("代表小组集中学习活动", "代表小组围绕人居环境整治开展议事活动"),
    K.TRAINING: ("新修改的代表法专题学习", "乡镇人大代表履职能力培训", "预算审查监督知识培训"),
    K.INSPECTION: ("视察{t}农村公路建设情况", "视察{t}义务教育学校建设", "视察{t}养老服务中心运行情况"),
    K.RESEARCH: ("就{t}农村饮水安全开展专题调研", "调研{t}特色产业发展情况"),
    K.REPORT_TO_VOTERS: ("代表向选民述职", "代表进站述职评议活动"),
    K.LAW_ENFORCEMENT: ("《中华人民共和国农产品质量安全法》执法检查",),
    K.WORK_REVIEW: ("对{t}派出所工作开展评议", "对{t}卫生院工作开展评议"),
    K.OTHER: ("参加{t}重点项目观摩活动",),
}
CATEGORY_WEIGHT = {C.ROADS: 4, C.WATER: 2, C.AGRICULTURE: 2, C.ENVIRONMENT: 2}
FEEDBACK_METHODS = [m for m, _ in VoterIssue.FeedbackMethod.choices if m != "other"]


@dataclass
class Tally:
    roster: int = 0
    receptions: int = 0
    issues: int = 0
    activities: int = 0
    public: int = 0
    townships: int = 0


@dataclass
class TownshipPlan:
    """Rows of one township, built in memory, then inserted in bulk with the others."""

    roster: list = field(default_factory=list)  # (DutyRoster, [deputy ids])
    receptions: list = field(default_factory=list)  # (Reception, [deputy ids], [(VoterIssue, [events])])
    issues: list = field(default_factory=list)  # (VoterIssue, [events]) not from a reception
    activities: list = field(default_factory=list)  # (Activity, [deputy ids])


def _months(first: datetime.date, last: datetime.date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _event(issue, from_state, to_state, day, note="", user=None):
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    return VoterIssueEvent(issue=issue, from_state=from_state, to_state=to_state, note=note, user=user, at=at)


def _issue_life(
    rng: random.Random,
    issue: VoterIssue,
    units: dict[str, HandlingUnit],
    unit_name: str,
    clerk: User | None,
    today: datetime.date,
):
    """Move `issue` (raised on issue.raised_on) along its workflow as far as its age allows;
    returns the events. Old issues are closed; recent ones still wait; a few run overdue."""
    day = issue.raised_on
    age = (today - day).days
    events = [_event(issue, "", S.RECORDED, day, "接待时登记", clerk)]
    if rng.random() < 0.4:
        issue.on_spot_answer = rng.choice(ON_SPOT_ANSWERS)
        issue.state = S.ON_SPOT
        events.append(_event(issue, S.RECORDED, S.ON_SPOT, day, issue.on_spot_answer, clerk))
        if age > 20:
            issue.state, issue.closed_on = S.CLOSED, day + datetime.timedelta(days=rng.randint(1, 10))
            events.append(_event(issue, S.ON_SPOT, S.CLOSED, issue.closed_on, "", clerk))
        return events
    unit = next((u for name, u in units.items() if name.endswith(unit_name)), None) or rng.choice(list(units.values()))
    issue.handling_unit = unit
    issue.referred_on = day + datetime.timedelta(days=rng.randint(0, 3))
    issue.due_on = issue.referred_on + datetime.timedelta(days=15)
    issue.state = S.REFERRED
    events.append(_event(issue, S.RECORDED, S.REFERRED, issue.referred_on, f"转{unit.name}办理", clerk))
    # Recent referrals are half still with the unit (its inbox has work in it); older ones
    # were mostly answered within the time limit, one in ten late.
    if age < 45 and rng.random() < 0.5:
        return events
    answer_after = rng.randint(4, 14) if rng.random() < 0.9 else rng.randint(20, 60)
    answered_on = issue.referred_on + datetime.timedelta(days=answer_after)
    if answered_on >= today:
        return events
    issue.state, issue.answer, issue.answered_on = S.ANSWERED, rng.choice(UNIT_ANSWERS), answered_on
    events.append(_event(issue, S.REFERRED, S.ANSWERED, answered_on, issue.answer))
    fed_back_on = answered_on + datetime.timedelta(days=rng.randint(1, 12))
    if fed_back_on >= today or rng.random() < 0.05:
        return events
    issue.state, issue.fed_back_on = S.FED_BACK, fed_back_on
    issue.feedback_method = rng.choice(FEEDBACK_METHODS)
    issue.feedback_note = rng.choice(("满意", "满意", "基本满意", "希望尽快落实"))
    events.append(_event(issue, S.ANSWERED, S.FED_BACK, fed_back_on, issue.feedback_note, clerk))
    closed_on = fed_back_on + datetime.timedelta(days=rng.randint(1, 7))
    if closed_on < today:
        issue.state, issue.closed_on = S.CLOSED, closed_on
        events.append(_event(issue, S.FED_BACK, S.CLOSED, closed_on, "", clerk))
    return events


def _tracking_code(rng: random.Random) -> str:
    return "".join(rng.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def _plan_township(
    ctx: SeedContext,
    township: Region,
    stations: list[Station],
    pools: dict[int, list[int]],
    serving: list[int],
    units: dict[str, HandlingUnit],
    clerk: User | None,
    first: datetime.date,
    today: datetime.date,
) -> TownshipPlan:
    rng = ctx.rng_for("station-life", township.code)
    plan = TownshipPlan()
    last_day = datetime.date(today.year, 12, 31)
    villages = {v.pk: v for v in ctx.villages.get(township.pk, [])}
    homes = [s for s in stations if s.kind == Station.Kind.HOME]
    dormant = {s.pk for s in stations if s.kind == Station.Kind.LIAISON and rng.random() < DORMANT_SHARE}
    # Roads and water are what voters raise most.
    categories = [c for c in MATTERS for _ in range(CATEGORY_WEIGHT.get(c, 1))]
    for station in stations:
        pool = pools.get(station.pk) or serving
        if not pool:
            continue
        rule = parse_rule(station.reception_rule or "每月第二个星期二")
        turn = 0
        place = villages.get(station.region_id, township).name
        for y, m in _months(first, last_day):
            for day in rule.dates(y, m):
                if day < first:
                    continue
                on_duty = [pool[(turn + i) % len(pool)] for i in range(min(2, len(pool)))]
                turn += len(on_duty)
                entry = DutyRoster(station=station, date=day, generated=True, created_by=clerk)
                plan.roster.append((entry, on_duty))
                silent = station.pk in dormant and (today - day).days < DORMANT_DAYS
                if day >= today or silent or rng.random() > RECEPTION_SHARE:
                    continue
                reception = Reception(
                    station=station, date=day, roster=entry, voter_count=rng.randint(1, 9), recorded_by=clerk
                )
                issues = []
                for _ in range(rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]):
                    category = rng.choice(categories)
                    text, unit_name = rng.choice(MATTERS[category])
                    issue = VoterIssue(
                        region=township,
                        station=station,
                        reception=reception,
                        source=VoterIssue.Source.RECEPTION,
                        category=category,
                        content=text.format(v=place),
                        voter_name=person_name(rng, rng.choice("MF")),
                        voter_phone=phone_number(rng),
                        raised_on=day,
                        recorded_by=clerk,
                    )
                    issues.append((issue, _issue_life(rng, issue, units, unit_name, clerk, today)))
                reception.summary = (
                    "；".join(i.content.rstrip("。") for i, _ in issues) + "。"
                    if issues
                    else "选民来站咨询政策，无具体问题。"
                )
                plan.receptions.append((reception, on_duty, issues))
    # Activities of every kind, spread over the period.
    liaisons = [s for s in stations if s.kind == Station.Kind.LIAISON and s.pk not in dormant]
    span = (min(today, last_day) - first).days
    years = max(1, round(span / 365))
    for kind, per_year in ACTIVITIES_PER_YEAR.items():
        for _ in range(per_year * years):
            day = first + datetime.timedelta(days=rng.randint(0, span - 1))
            station = (
                rng.choice(liaisons or homes) if kind in (K.GROUP, K.VISIT_VOTERS) else rng.choice(homes or stations)
            )
            pool = pools.get(station.pk) or serving
            if not pool:
                continue
            if kind == K.REPORT_TO_VOTERS:
                people = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
            elif kind in (K.TRAINING, K.WORK_REVIEW, K.LAW_ENFORCEMENT):
                people = rng.sample(serving, min(len(serving), rng.randint(8, 30)))
            else:
                people = rng.sample(pool, min(len(pool), rng.randint(3, 8)))
            topic = rng.choice(TOPICS[kind]).format(t=township.name)
            activity = Activity(
                region=township,
                kind=kind,
                date=day,
                station=station,
                place=station.name,
                organiser=f"{township.name}人大" if kind != K.GROUP else "代表小组",
                topic=topic,
                summary=f"{topic}，参加代表{len(people)}人，收集意见建议{rng.randint(0, 6)}条。",
                attendance=len(people) + (rng.randint(0, 20) if kind == K.TRAINING else 0),
                voter_count=rng.randint(30, 90) if kind == K.REPORT_TO_VOTERS else 0,
                satisfaction=rng.randint(86, 100) if kind == K.REPORT_TO_VOTERS else None,
                status=Activity.Status.CONFIRMED,
                recorded_by=clerk,
                confirmed_by=clerk,
            )
            plan.activities.append((activity, people))
    # A few opinions from the public page: one waits for the clerk, one has been answered.
    for n, state in enumerate((S.RECORDED, S.REFERRED, S.FED_BACK)[: rng.randint(1, 3)]):
        station = rng.choice(stations)
        category = rng.choice(categories)
        text, unit_name = rng.choice(MATTERS[category])
        day = today - datetime.timedelta(days=rng.randint(2, 40) + 20 * n)
        issue = VoterIssue(
            region=township,
            station=station,
            source=VoterIssue.Source.PUBLIC,
            category=category,
            content=text.format(v=villages.get(station.region_id, township).name),
            voter_name=rng.choice(("", person_name(rng, rng.choice("MF")))),
            raised_on=day,
            tracking_code=_tracking_code(rng),
        )
        events = [_event(issue, "", S.RECORDED, day, "群众扫码提交")]
        if state != S.RECORDED:
            events = _issue_life(rng, issue, units, unit_name, clerk, today)
            events[0].note = "群众扫码提交"
        plan.issues.append((issue, events))
    return plan


def _insert(plans: list[TownshipPlan], tally: Tally) -> None:
    """Bulk-insert the plans' rows, parents before children, then the many-to-many links."""
    roster = [e for p in plans for e, _ in p.roster]
    DutyRoster.objects.bulk_create(roster, batch_size=2000)
    DutyRoster.deputies.through.objects.bulk_create(
        [
            DutyRoster.deputies.through(dutyroster_id=e.pk, deputy_id=d)
            for p in plans
            for e, people in p.roster
            for d in people
        ],
        batch_size=5000,
    )
    receptions = [r for p in plans for r, _, _ in p.receptions]
    for r in receptions:
        r.roster_id = r.roster.pk
    Reception.objects.bulk_create(receptions, batch_size=2000)
    Reception.deputies.through.objects.bulk_create(
        [
            Reception.deputies.through(reception_id=r.pk, deputy_id=d)
            for p in plans
            for r, people, _ in p.receptions
            for d in people
        ],
        batch_size=5000,
    )
    pairs = [pair for p in plans for _, _, issues in p.receptions for pair in issues]
    pairs += [pair for p in plans for pair in p.issues]
    for issue, _ in pairs:
        if issue.reception is not None:
            issue.reception_id = issue.reception.pk
    VoterIssue.objects.bulk_create([i for i, _ in pairs], batch_size=2000)
    events = []
    for issue, evs in pairs:
        for ev in evs:
            ev.issue_id = issue.pk
            events.append(ev)
    VoterIssueEvent.objects.bulk_create(events, batch_size=5000)
    activities = [a for p in plans for a, _ in p.activities]
    Activity.objects.bulk_create(activities, batch_size=2000)
    Activity.participants.through.objects.bulk_create(
        [
            Activity.participants.through(activity_id=a.pk, deputy_id=d)
            for p in plans
            for a, people in p.activities
            for d in people
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    tally.roster += len(roster)
    tally.receptions += len(receptions)
    tally.issues += len(pairs)
    tally.public += sum(len(p.issues) for p in plans)
    tally.activities += len(activities)


def _pending_from_deputies(ctx: SeedContext, today: datetime.date) -> None:
    """The demo deputies' own records: one waits for the clerk's confirmation."""
    for deputy in Deputy.objects.filter(user__username__startswith="deputy_", region__path__startswith=ctx.county.path):
        if Activity.objects.filter(recorded_by=deputy.user_id).exists():
            continue
        activity = Activity.objects.create(
            region=deputy.region,
            kind=K.VISIT_VOTERS,
            date=today - datetime.timedelta(days=5),
            place="本选区",
            organiser="本人",
            topic="走访联系选民，听取对冬季取暖的意见",
            summary="走访选民12户，收集意见3条。",
            attendance=1,
            status=Activity.Status.PENDING,
            recorded_by=deputy.user,
        )
        activity.participants.add(deputy)


def _units_by_township(county: Region) -> dict[int, dict[str, HandlingUnit]]:
    county_units = {u.name: u for u in HandlingUnit.objects.filter(region=county)}
    own: dict[int, dict[str, HandlingUnit]] = defaultdict(dict)
    for u in HandlingUnit.objects.filter(region__parent=county):
        own[u.region_id][u.name] = u
    return defaultdict(lambda: dict(county_units), {k: {**county_units, **v} for k, v in own.items()})


@register_seeder("stations_life", order=35)
def seed_station_life(ctx: SeedContext) -> None:
    # The rooms' life is dated from the day of seeding, unlike people's birth dates: nothing
    # here must come out the same on a second run (a township with activities is skipped), and
    # the demo should always have recent receptions, open referrals and a "last quarter".
    today = timezone.localdate()
    first = datetime.date(today.year - 1, 1, 1)
    if ctx.scale != "demo":
        first = datetime.date(today.year - 1, today.month, 1)
    tally = Tally()
    for county in ctx.counties:
        townships = ctx.townships_of(county)
        busy = set(Activity.objects.filter(region__in=townships).values_list("region_id", flat=True).distinct())
        townships = [t for t in townships if t.pk not in busy]
        if not townships:
            continue
        town_ids = [t.pk for t in townships]
        stations: dict[int, list[Station]] = defaultdict(list)
        for s in Station.objects.filter(township_id__in=town_ids, active=True).order_by("region__code", "pk"):
            stations[s.township_id].append(s)
        serving_rows = Mandate.objects.filter(
            region_id__in=town_ids, status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP
        ).values_list("region_id", "deputy_id")
        serving: dict[int, list[int]] = defaultdict(list)
        for region_id, deputy_id in serving_rows.order_by("deputy__name_initials", "deputy_id"):
            serving[region_id].append(deputy_id)
        members: dict[int, list[int]] = defaultdict(list)
        serving_ids = {d for ids in serving.values() for d in ids}
        for group_id, deputy_id in DeputyGroup.members.through.objects.filter(
            deputygroup__region_id__in=town_ids
        ).values_list("deputygroup_id", "deputy_id"):
            if deputy_id in serving_ids:
                members[group_id].append(deputy_id)
        pools: dict[int, list[int]] = defaultdict(list)
        for station_id, group_id in Station.groups.through.objects.filter(
            station__township_id__in=town_ids
        ).values_list("station_id", "deputygroup_id"):
            pools[station_id].extend(members.get(group_id, []))
        clerks = dict(
            Membership.objects.filter(region_id__in=town_ids, role=Role.TOWNSHIP_CLERK).values_list(
                "region_id", "user_id"
            )
        )
        clerk_users = User.objects.in_bulk(list(clerks.values()))
        units = _units_by_township(county)
        plans = [
            _plan_township(
                ctx,
                t,
                stations.get(t.pk, []),
                pools,
                serving.get(t.pk, []),
                units[t.pk],
                clerk_users.get(clerks.get(t.pk)),
                first,
                today,
            )
            for t in townships
            if stations.get(t.pk)
        ]
        _insert(plans, tally)
        tally.townships += len(plans)
    if ctx.county is not None:
        _pending_from_deputies(ctx, today)
    ctx.log(
        f"  阵地活动：{tally.townships} 个乡镇，值日 {tally.roster} 天，接待 {tally.receptions} 次，"
        f"选民反映问题 {tally.issues} 件（扫码 {tally.public} 件），代表活动 {tally.activities} 次"
    )
