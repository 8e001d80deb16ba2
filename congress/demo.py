"""congress' part of seed_demo: two years of congress work in every seeded township.

Each township gets its two sessions a year (the second only once its date has passed) with
a roll of the deputies serving that day, agenda items with vote counts and the year's
livelihood-project vote, a presidium meeting each past quarter, a supervision plan with an
item each quarter at every stage of its chain, and deputies' suggestions in every state
(drafts, refused, assigned, overdue, answered, rated, re-handled, closed) handled by the
county's and the township's units.

Deliberate blemishes, so the compliance lists have something to show: the second township
missed the presidium meeting of last year's second quarter, and the third township's first
session this year fell short of a quorum (left 筹备中 with a note), so it held one session
only.

The province scale seeds the current year only. Dates are relative to the day of seeding, as in stations.demo_life; a township that already
has meetings is left alone, so a second run creates nothing.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from deputies.models import Deputy, Mandate
from org.models import HandlingUnit, Membership, Term, User
from org.roles import Role
from org.seeding import SeedContext, register_seeder

from .models import (
    AgendaItem,
    Attendance,
    LivelihoodProject,
    Meeting,
    ProjectProgress,
    Suggestion,
    SuggestionAssignment,
    SuggestionEvent,
    SupervisionItem,
    SupervisionPlan,
)
from .rules import passes

SG = Suggestion.State
SUGGESTION_TOPICS = (
    ("关于加快{t}农村公路提档升级的建议", Suggestion.Category.INFRASTRUCTURE, "交通运输局"),
    ("关于完善{t}农田水利设施的建议", Suggestion.Category.AGRICULTURE, "水利局"),
    ("关于加强{t}农村人居环境整治的建议", Suggestion.Category.ENVIRONMENT, "综合行政执法队"),
    ("关于改善{t}中小学办学条件的建议", Suggestion.Category.EDUCATION, "教育局"),
    ("关于提升{t}卫生院服务能力的建议", Suggestion.Category.HEALTH, "卫生健康局"),
    ("关于加大{t}特色种植产业扶持力度的建议", Suggestion.Category.AGRICULTURE, "农业综合服务中心"),
    ("关于健全{t}农村养老服务体系的建议", Suggestion.Category.SOCIAL, "民政局"),
    ("关于规范{t}集镇停车秩序的建议", Suggestion.Category.GOVERNANCE, "综合行政执法队"),
    ("关于解决{t}部分村组供电不稳问题的建议", Suggestion.Category.INFRASTRUCTURE, "供电公司"),
)
# The states a year's suggestions end up in (older ones further along the chain).
SUGGESTION_FATES = (
    SG.CLOSED,
    SG.CLOSED,
    SG.RATED,
    SG.ANSWERED,
    SG.ASSIGNED,
    SG.REASSIGNED,
    SG.NOT_ACCEPTED,
    SG.SUBMITTED,
    SG.DRAFT,
)
SUPERVISION_TOPICS = (
    (SupervisionItem.Kind.REPORT_REVIEW, "听取和审议镇政府关于优化营商环境工作情况的报告", "农业综合服务中心"),
    (SupervisionItem.Kind.INSPECTION, "视察农村公路养护工作", "交通运输局"),
    (SupervisionItem.Kind.LAW_ENFORCEMENT, "《中华人民共和国食品安全法》执法检查", "综合行政执法队"),
    (SupervisionItem.Kind.WORK_REVIEW, "对卫生院工作开展评议", "卫生健康局"),
)
LIVELIHOOD_CANDIDATES = (
    ("{t}镇区污水管网改造工程", 320),
    ("{t}农村公路安全生命防护工程", 260),
    ("{t}中心小学塑胶运动场建设", 180),
    ("{t}农贸市场提升改造", 150),
    ("{t}村级养老服务站建设", 90),
    ("{t}农村饮水安全巩固提升", 210),
)
PLACES = 3


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(15, 0)))


@dataclass
class Tally:
    meetings: int = 0
    suggestions: int = 0
    supervision: int = 0
    projects: int = 0


class TownshipSeeder:
    """Builds one township's congress work for a list of years."""

    def __init__(self, ctx, township, term, mandates, units, clerk, today, index):
        self.ctx, self.township, self.term, self.units = ctx, township, term, units
        self.mandates, self.clerk, self.today, self.index = mandates, clerk, today, index
        self.rng = ctx.rng_for("congress", township.code)

    # --- people ---
    def serving_on(self, day):
        return [d for d, elected, ended in self.mandates if elected <= day and (ended is None or ended > day)]

    def presidium(self):
        return [d for d, *_ in self.mandates[:7]]

    def unit(self, ending):
        return next((u for name, u in self.units.items() if name.endswith(ending)), None) or self.rng.choice(
            list(self.units.values())
        )

    # --- meetings ---
    def meeting(self, kind, number, day, *, held=True, quorum_short=False, note=""):
        meeting = Meeting.objects.create(
            region=self.township,
            term=self.term,
            kind=kind,
            number=number,
            date=day,
            end_date=day + datetime.timedelta(days=1) if kind == Meeting.Kind.SESSION else None,
            place=f"{self.township.name}政府三楼会议室",
            state=Meeting.State.HELD if held else Meeting.State.PLANNED,
            note=note,
            created_by=self.clerk,
        )
        roll = self.serving_on(day) if kind == Meeting.Kind.SESSION else self.presidium()
        meeting.serving_count = len(roll)
        rows = []
        for deputy_id in roll:
            r = self.rng.random()
            if quorum_short:
                status = Attendance.Status.PRESENT if r < 0.55 else Attendance.Status.LEAVE
            else:
                status = (
                    Attendance.Status.PRESENT
                    if r < 0.9
                    else Attendance.Status.LEAVE
                    if r < 0.97
                    else Attendance.Status.ABSENT
                )
            note_text = "外出务工请假" if status == Attendance.Status.LEAVE else ""
            rows.append(Attendance(meeting=meeting, deputy_id=deputy_id, status=status, note=note_text))
        Attendance.objects.bulk_create(rows)
        meeting.save(update_fields=["serving_count"])
        return meeting, sum(1 for r in rows if r.status == Attendance.Status.PRESENT)

    def vote_item(self, meeting, present, order, kind, title):
        no = self.rng.randint(0, 2)
        abstain = self.rng.randint(0, 2)
        yes = max(0, present - no - abstain)
        result = (
            AgendaItem.Result.PASSED if passes(yes=yes, serving=meeting.serving_count) else AgendaItem.Result.FAILED
        )
        return AgendaItem.objects.create(
            meeting=meeting,
            order=order,
            kind=kind,
            title=title,
            needs_vote=True,
            yes=yes,
            no=no,
            abstain=abstain,
            result=result,
            resolution=f"会议批准{title.removeprefix('审议')}。" if result == AgendaItem.Result.PASSED else "",
        )

    def sessions(self, year, tally):
        start = self.term.start_date.year
        for k, (month, day) in enumerate(((2, 20), (8, 26))):
            date = datetime.date(year, month, day) + datetime.timedelta(days=self.rng.randint(0, 12))
            if date >= self.today:
                continue
            number = 2 * (year - start - 1) + 2 + k
            if self.index == 2 and year == self.today.year and k == 0:
                # Convened but short of a quorum: it cannot be marked held.
                self.meeting(
                    Meeting.Kind.SESSION,
                    number,
                    date,
                    held=False,
                    quorum_short=True,
                    note="出席代表未达法定人数，会议延期召开",
                )
                tally.meetings += 1
                continue
            meeting, present = self.meeting(Meeting.Kind.SESSION, number, date)
            tally.meetings += 1
            if k == 0:
                self.vote_item(meeting, present, 1, AgendaItem.Kind.GOVERNMENT_REPORT, "审议镇人民政府工作报告")
                self.vote_item(
                    meeting, present, 2, AgendaItem.Kind.BUDGET, f"审议{year - 1}年财政预算执行情况和{year}年财政预算"
                )
                item = self.vote_item(meeting, present, 3, AgendaItem.Kind.LIVELIHOOD_VOTE, f"票决{year}年民生实事项目")
                self.livelihood(year, meeting, item, present, tally)
            else:
                self.vote_item(
                    meeting, present, 1, AgendaItem.Kind.WORK_REPORT, "审议镇人大主席团关于代表建议办理情况的报告"
                )
                self.vote_item(
                    meeting, present, 2, AgendaItem.Kind.OTHER, "审议镇人民政府关于民生实事项目推进情况的报告"
                )
            meeting.minutes = (
                f"会议应到代表{meeting.serving_count}人，实到{present}人，符合法定人数。会议审议通过了各项议程。"
            )
            meeting.save(update_fields=["minutes"])

    def presidium_meetings(self, year, tally):
        start = self.term.start_date.year
        for q in range(4):
            day = datetime.date(year, 3 * q + 1, 10) + datetime.timedelta(days=self.rng.randint(0, 40))
            if day >= self.today:
                continue
            if self.index == 1 and year == self.today.year - 1 and q == 1:
                continue  # the missed quarter
            self.meeting(Meeting.Kind.PRESIDIUM, 4 * (year - start - 1) + q + 2, day)
            tally.meetings += 1

    # --- livelihood ---
    def livelihood(self, year, meeting, item, present, tally):
        picks = self.rng.sample(LIVELIHOOD_CANDIDATES, 6)
        projects = []
        for n, (title, budget) in enumerate(picks):
            state = LivelihoodProject.State.NOT_SHORTLISTED if n == 5 else LivelihoodProject.State.ON_AGENDA
            projects.append(
                LivelihoodProject.objects.create(
                    region=self.township,
                    year=year,
                    title=title.format(t=self.township.name),
                    description="按照镇人民政府提出的实施方案建设。",
                    source=self.rng.choice(list(LivelihoodProject.Source.values)),
                    budget=budget,
                    responsible=f"{self.township.name}人民政府",
                    state=state,
                    agenda_item=item if state == LivelihoodProject.State.ON_AGENDA else None,
                )
            )
        on_agenda = [p for p in projects if p.state == LivelihoodProject.State.ON_AGENDA]
        for p in on_agenda:
            p.yes = max(0, present - self.rng.randint(0, present // 2))
            p.no = self.rng.randint(0, max(0, present - p.yes))
            p.abstain = present - p.yes - p.no
        on_agenda.sort(key=lambda p: -p.yes)
        for rank, p in enumerate(on_agenda, start=1):
            p.rank = rank
            if passes(yes=p.yes, serving=meeting.serving_count) and rank <= PLACES:
                done = year < self.today.year
                p.state = LivelihoodProject.State.COMPLETED if done else LivelihoodProject.State.IN_PROGRESS
                quarters = 4 if done else (self.today.month - 1) // 3
                for q in range(1, quarters + 1):
                    ProjectProgress.objects.create(
                        project=p,
                        quarter=q,
                        percent=min(100, 25 * q + self.rng.randint(0, 10)) if q < 4 else 100,
                        report="按计划推进，已完成阶段任务。" if q < 4 else "项目已竣工验收。",
                        reported_on=min(self.today, datetime.date(year, 3 * q, 28)),
                    )
                if done:
                    voters = meeting.serving_count
                    p.satisfied = int(voters * 0.8)
                    p.basically_satisfied = voters - p.satisfied - 1
                    p.unsatisfied = 1
            else:
                p.state = LivelihoodProject.State.NOT_ADOPTED
            p.save()
        tally.projects += len(projects)

    # --- supervision ---
    def supervision(self, year, tally):
        plan = SupervisionPlan.objects.create(
            region=self.township,
            year=year,
            q1_focus="优化营商环境",
            q2_focus="农村公路养护",
            q3_focus="食品安全",
            q4_focus="基层医疗服务",
            approved_on=datetime.date(year, 2, 28),
        )
        for q, (kind, title, unit_name) in enumerate(SUPERVISION_TOPICS, start=1):
            day = datetime.date(year, 3 * q - 1, 15)
            item = SupervisionItem(
                region=self.township,
                plan=plan,
                year=year,
                quarter=q,
                kind=kind,
                title=title,
                unit=self.unit(unit_name),
                created_by=self.clerk,
            )
            if day < self.today:
                item.date, item.state = day, SupervisionItem.State.HELD
                item.review_opinion = "一、进一步提高思想认识；二、加大资金投入；三、健全长效机制。"
                item.opinion_sent_on = day + datetime.timedelta(days=10)
                item.rectification_due = _add_months(item.opinion_sent_on, 2)
                if item.opinion_sent_on < self.today:
                    item.state = SupervisionItem.State.OPINION_SENT
                # One in five units runs late with its report.
                late = self.rng.random() < 0.2
                if not late and item.rectification_due < self.today:
                    item.state = SupervisionItem.State.RECTIFIED
                    item.rectification_report = "已对照审议意见逐条整改，建立了长效管理机制。"
                    item.rectified_on = item.rectification_due - datetime.timedelta(days=7)
                    follow = item.rectified_on + datetime.timedelta(days=30)
                    if follow < self.today:
                        item.state = SupervisionItem.State.CLOSED
                        item.follow_up = "代表跟踪视察，整改措施已落实。"
                        item.followed_up_on = follow
                        voters = len(self.serving_on(follow))
                        item.satisfied = int(voters * 0.7)
                        item.basically_satisfied = voters - item.satisfied - 2
                        item.unsatisfied = 2
            item.save()
            if item.date:
                people = self.serving_on(item.date)
                item.participants.set(self.rng.sample(people, min(len(people), 8)))
            tally.supervision += 1

    # --- suggestions ---
    def suggestions(self, year, tally):
        serving = self.serving_on(datetime.date(year, 3, 1))
        if not serving:
            return
        assignments, log = [], []
        for n, fate in enumerate(SUGGESTION_FATES):
            title, category, unit_name = SUGGESTION_TOPICS[(n + self.index) % len(SUGGESTION_TOPICS)]
            made = datetime.date(year, 3, 1) + datetime.timedelta(days=self.rng.randint(0, 200))
            if made >= self.today:
                made = self.today - datetime.timedelta(days=self.rng.randint(100, 140))
            if year < self.today.year and fate in (SG.DRAFT, SG.SUBMITTED, SG.ASSIGNED, SG.ANSWERED, SG.RATED):
                fate = SG.CLOSED
            lead = self.rng.choice(serving)
            s = Suggestion(
                region=self.township,
                term=self.term,
                title=title.format(t=self.township.name),
                content="经走访调研，群众反映强烈，建议有关部门统筹资金、制定方案、尽快实施。",
                category=category,
                lead_deputy_id=lead,
                state=SG.DRAFT,
                created_by=self.clerk,
            )
            events = [(SG.DRAFT, "", made)]
            if fate != SG.DRAFT:
                s.submitted_on = made
                events.append((SG.SUBMITTED, "", made))
            if fate == SG.NOT_ACCEPTED:
                s.state, s.refusal_reason = SG.NOT_ACCEPTED, Suggestion.RefusalReason.PRIVATE
                s.refusal_note = "所提事项属代表个人事务，建议通过其他渠道反映。"
                events.append((SG.NOT_ACCEPTED, s.refusal_note, made + datetime.timedelta(days=3)))
            elif fate not in (SG.DRAFT, SG.SUBMITTED):
                s.accepted_on = made + datetime.timedelta(days=3)
                s.number = f"{year}-{n + 1:03d}"
                events.append((SG.ACCEPTED, "", s.accepted_on))
                s.assigned_on = s.accepted_on + datetime.timedelta(days=2)
                s.complex = n % 4 == 0
                # Overdue ones: the unit has not answered and the due date has passed.
                if fate == SG.ASSIGNED:
                    s.complex = False
                    s.assigned_on = self.today - datetime.timedelta(days=self.rng.randint(100, 130))
                s.due_on = _add_months(s.assigned_on, 6 if s.complex else 3)
                events.append((SG.ASSIGNED, "", s.assigned_on))
                s.key = n == 0
                s.key_leader = "镇人大主席" if s.key else ""
            s.state = fate if fate not in (SG.REASSIGNED,) else SG.REASSIGNED
            if fate in (SG.ANSWERED, SG.RATED, SG.CLOSED, SG.REASSIGNED):
                s.answered_on = min(
                    self.today - datetime.timedelta(days=1), s.assigned_on + datetime.timedelta(days=45)
                )
                s.answer_class = self.rng.choice("AAB" if fate != SG.REASSIGNED else "C")
                events.append((SG.ANSWERED, "", s.answered_on))
            if fate in (SG.RATED, SG.CLOSED, SG.REASSIGNED):
                s.rated_on = s.answered_on + datetime.timedelta(days=5)
                s.rating = (
                    Suggestion.Rating.UNSATISFIED
                    if fate == SG.REASSIGNED
                    else self.rng.choice([Suggestion.Rating.SATISFIED, Suggestion.Rating.BASIC])
                )
                events.append((SG.RATED, "", s.rated_on))
            if fate == SG.REASSIGNED:
                s.reassigned = True
                s.due_on = _add_months(s.rated_on, 1)
                events.append((SG.REASSIGNED, "代表不满意，重新办理", s.rated_on))
            if fate == SG.CLOSED:
                s.closed_on = s.rated_on + datetime.timedelta(days=3)
                events.append((SG.CLOSED, "", s.closed_on))
            s.save()
            if fate not in (SG.DRAFT, SG.SUBMITTED, SG.NOT_ACCEPTED):
                lead_unit = self.unit(unit_name)
                assist = self.rng.choice([u for u in self.units.values() if u.pk != lead_unit.pk])
                for unit, role in (
                    (lead_unit, SuggestionAssignment.Role.LEAD),
                    (assist, SuggestionAssignment.Role.ASSIST),
                ):
                    a = SuggestionAssignment(
                        suggestion=s,
                        unit=unit,
                        role=role,
                        assigned_on=s.assigned_on,
                        due_on=_add_months(s.assigned_on, 6 if s.complex else 3),
                    )
                    if s.answered_on:
                        a.answered_on, a.answer_class = s.answered_on, s.answer_class
                        a.answer = "已将该建议列入年度重点工作，安排专项资金逐步实施。"
                    assignments.append(a)
                    if fate == SG.REASSIGNED:
                        assignments.append(
                            SuggestionAssignment(
                                suggestion=s, unit=unit, role=role, round=2, assigned_on=s.rated_on, due_on=s.due_on
                            )
                        )
            if self.rng.random() < 0.4 and len(serving) > 3:
                s.co_deputies.set(self.rng.sample([d for d in serving if d != lead], 2))
            prev = ""
            for state, note, day in events:
                log.append(
                    SuggestionEvent(
                        suggestion=s, from_state=prev, to_state=state, note=note, user=self.clerk, at=_at(day)
                    )
                )
                prev = state
            tally.suggestions += 1
        # One insert each for the township-year's assignments and workflow log (the province
        # scale seeds 1,300 townships).
        SuggestionAssignment.objects.bulk_create(assignments)
        SuggestionEvent.objects.bulk_create(log)


def _deputy_suggestion(ctx: SeedContext, today: datetime.date) -> None:
    """deputy_chengguan_1 has one answered suggestion waiting for its rating."""
    deputy = Deputy.objects.filter(user__username="deputy_chengguan_1").first()
    if deputy is None:
        return
    s = Suggestion.objects.filter(region=deputy.region, state=SG.ANSWERED).first()
    if s is not None and s.lead_deputy_id != deputy.pk:
        Suggestion.objects.filter(pk=s.pk).update(lead_deputy=deputy)


@register_seeder("congress", order=40)
def seed_congress(ctx: SeedContext) -> None:
    today = timezone.localdate()
    # The province scale is for benchmarks: this year's volume, not two years of history.
    years = (today.year - 1, today.year) if ctx.scale == "demo" else (today.year,)
    tally = Tally()
    for county in ctx.counties:
        term = ctx.terms.get(county.pk, {}).get("township_current")
        if term is None:
            term = Term.objects.filter(region=county, level=Term.Level.TOWNSHIP).order_by("-start_date").first()
        townships = ctx.townships_of(county)
        busy = set(Meeting.objects.filter(region__in=townships).values_list("region_id", flat=True))
        townships = [t for t in townships if t.pk not in busy]
        if not townships or term is None:
            continue
        town_ids = [t.pk for t in townships]
        mandates = defaultdict(list)
        for region_id, deputy_id, elected, ended in (
            Mandate.objects.filter(region_id__in=town_ids, level=Mandate.Level.TOWNSHIP)
            .filter(Q(term=term))
            .order_by("-presidium_role", "deputy__name_initials", "deputy_id")
            .values_list("region_id", "deputy_id", "elected_on", "ended_on")
        ):
            mandates[region_id].append((deputy_id, elected, ended))
        county_units = {u.name: u for u in HandlingUnit.objects.filter(region=county)}
        own_units = defaultdict(dict)
        for u in HandlingUnit.objects.filter(region_id__in=town_ids):
            own_units[u.region_id][u.name] = u
        clerks = dict(
            Membership.objects.filter(region_id__in=town_ids, role=Role.TOWNSHIP_CLERK).values_list(
                "region_id", "user_id"
            )
        )
        users = User.objects.in_bulk(list(clerks.values()))
        for index, township in enumerate(ctx.townships_of(county)):
            if township.pk not in town_ids or not mandates.get(township.pk):
                continue
            seeder = TownshipSeeder(
                ctx,
                township,
                term,
                mandates[township.pk],
                {**county_units, **own_units[township.pk]},
                users.get(clerks.get(township.pk)),
                today,
                index,
            )
            for year in years:
                seeder.sessions(year, tally)
                seeder.presidium_meetings(year, tally)
                seeder.supervision(year, tally)
                seeder.suggestions(year, tally)
    if ctx.county is not None:
        _deputy_suggestion(ctx, today)
    ctx.log(
        f"  人大工作：会议 {tally.meetings} 次，代表建议 {tally.suggestions} 件，"
        f"监督事项 {tally.supervision} 项，民生实事候选项目 {tally.projects} 个"
    )
