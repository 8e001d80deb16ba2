"""Writes of the livelihood-project vote 民生实事项目代表票决制 (DESIGN.md section 5), per
township and year:

    candidate (征集) → shortlisted (初定, more candidates than places: 差额) | not_shortlisted
    → on_agenda (提交人代会票决) → adopted (票决通过) | not_adopted → in_progress → completed

Counting: each project on a session's ballot gets yes/no/abstain, either from per-deputy
`ProjectBallot`s (only deputies present on the roll, or serving on the date when no roll
was taken) or typed from counted paper ballots. A project passes with more than half of ALL
the serving deputies (congress.rules.passes), not of those present or voting.

Ranking (`projects_rank`) — the rule for ties:
- every project on the ballot is ranked by yes votes, highest first; equal yes votes share a
  rank and the next rank skips (1, 2, 2, 4);
- a project that passed is adopted when its whole tie group fits into the places;
- when a tie group of passed projects straddles the last place (it starts inside the places
  but does not fit), NONE of it is dropped or picked silently: those projects stay on the
  agenda marked 需重新表决 (`needs_revote`), the others are decided. The session votes again
  on the tied projects (new ballots or counts replace the old ones) and `projects_rank`
  runs again with the same number of places: the projects already adopted keep their
  places and ranks, the tied ones are ranked into the places left;
- projects that did not pass, or rank wholly below the places, are not adopted. Places left
  unfilled (fewer projects passed) stay unfilled: the vote decides up to N projects.

The number of places is not stored (no field for it): it is passed to the ranking and is
visible afterwards as the number of adopted projects.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from org.models import Region, user_memberships
from org.roles import TOWNSHIP_KINDS
from org.scoping import CHANGE, can, roles_for

from . import rules
from . import selectors_livelihood as selectors
from .models import AgendaItem, LivelihoodProject, Meeting, ProjectBallot, ProjectProgress

State = LivelihoodProject.State
Choice = ProjectBallot.Choice
ADOPTED_STATES = selectors.ADOPTED_STATES
PRE_AGENDA_STATES = selectors.PRE_AGENDA_STATES
# Fields a clerk may still correct after the ballot is printed: the title and year are on it.
LOCKED_AFTER_SHORTLIST = ("title", "year")
EDITABLE_FIELDS = ("title", "year", "description", "source", "proposer", "budget", "responsible")
FIRST_YEAR = 2000


def _today() -> datetime.date:
    return timezone.localdate()


def _names(projects) -> str:
    return "、".join(f"“{p.title}”" for p in projects)


def may_write_in(user, region: Region) -> bool:
    """Whether `user` holds a role that writes projects (the township clerk) covering `region`."""
    roles = roles_for(LivelihoodProject, CHANGE)
    return any(m.role in roles and region.path.startswith(m.region.path) for m in user_memberships(user))


def _check_region(user, region: Region) -> None:
    """Only a township's own clerk records its projects."""
    if region.kind not in TOWNSHIP_KINDS:
        raise ValidationError({"region": "民生实事项目必须归属一个乡镇（街道）。"})
    if user is not None and not may_write_in(user, region):
        raise PermissionDenied(f"您无权办理{region.name}的民生实事项目。")


def _check_project(user, project: LivelihoodProject) -> None:
    if user is not None and not can(user, CHANGE, project):
        raise PermissionDenied("您无权办理此民生实事项目。")


def _check_year(year) -> None:
    last = _today().year + 1
    if not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        raise ValidationError({"year": f"年度应在{FIRST_YEAR}年至{last}年之间。"})


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    out = dict(fields)
    for name in ("title", "description", "proposer", "responsible"):
        if name in out:
            out[name] = (out[name] or "").strip()
    if "title" in out and not out["title"]:
        raise ValidationError({"title": "请填写项目名称。"})
    if "source" in out and out["source"] not in LivelihoodProject.Source.values:
        raise ValidationError({"source": "项目来源不正确。"})
    if out.get("budget") is not None and out["budget"] < 0:
        raise ValidationError({"budget": "估算投资不能为负数。"})
    if "year" in out:
        _check_year(out["year"])
    return out


def _check_unique_title(region: Region, year: int, title: str, exclude_pk=None) -> None:
    same = LivelihoodProject.objects.filter(region=region, year=year, title=title)
    if exclude_pk:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError({"title": f"{region.name}{year}年已有名为“{title}”的项目。"})


def _vote_started(region: Region, year: int) -> bool:
    return LivelihoodProject.objects.filter(region=region, year=year).exclude(state__in=PRE_AGENDA_STATES).exists()


# --- collecting -----------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    region: Region,
    year: int,
    title: str,
    user,
    description: str = "",
    source: str = LivelihoodProject.Source.GOVERNMENT,
    proposer: str = "",
    budget=None,
    responsible: str = "",
    voter_issue=None,
) -> LivelihoodProject:
    """Register a candidate project (征集) of `region` for `year`, from the deputies, the
    government, the public or elsewhere. While the vote of that township-year is under way
    or done, no candidate can be added (the ballot is fixed)."""
    _check_region(user, region)
    fields = _clean_fields(
        {
            "title": title,
            "year": year,
            "description": description,
            "source": source,
            "proposer": proposer,
            "budget": budget,
            "responsible": responsible,
        }
    )
    if voter_issue is not None and voter_issue.region_id != region.pk:
        raise ValidationError({"voter_issue": f"所选选民意见不属于{region.name}。"})
    _check_unique_title(region, fields["year"], fields["title"])
    if _vote_started(region, fields["year"]):
        raise ValidationError(f"{region.name}{fields['year']}年的民生实事项目已提交票决，不能再征集候选项目。")
    return LivelihoodProject.objects.create(region=region, voter_issue=voter_issue, **fields)


def project_create_from_issue(*, issue, year: int, title: str, user, **fields) -> LivelihoodProject:
    """Register a candidate from what voters raised (a `stations.VoterIssue`, typically one
    left on the public page): source 群众征集, the township and the content taken from the
    issue. An issue gives at most one candidate a year."""
    if LivelihoodProject.objects.filter(voter_issue=issue, year=year).exists():
        raise ValidationError({"voter_issue": f"该选民意见已列为{year}年的候选项目。"})
    fields.setdefault("description", issue.content)
    fields.setdefault("source", LivelihoodProject.Source.PUBLIC)
    fields.setdefault("proposer", issue.voter_name or "选民群众")
    return project_create(region=issue.region, year=year, title=title, voter_issue=issue, user=user, **fields)


@transaction.atomic
def project_update(*, project: LivelihoodProject, user, **fields) -> LivelihoodProject:
    """Correct a project's particulars. Its title and year are on the ballot, so they are
    fixed once the project is on a session's agenda; the rest (description, responsible
    unit, budget...) may be completed later."""
    _check_project(user, project)
    fields = _clean_fields(fields)
    if project.state not in PRE_AGENDA_STATES:
        changed = [n for n in LOCKED_AFTER_SHORTLIST if n in fields and fields[n] != getattr(project, n)]
        if changed:
            label = "、".join(str(LivelihoodProject._meta.get_field(n).verbose_name) for n in changed)
            raise ValidationError({changed[0]: f"项目已{project.get_state_display()}，{label}不能再修改。"})
    year = fields.get("year", project.year)
    if "year" in fields and year != project.year and _vote_started(project.region, year):
        raise ValidationError({"year": f"{project.region.name}{year}年的民生实事项目已提交票决，不能再调入候选项目。"})
    _check_unique_title(project.region, year, fields.get("title", project.title), exclude_pk=project.pk)
    for name, value in fields.items():
        setattr(project, name, value)
    project.save()
    return project


# --- shortlist and agenda -------------------------------------------------------------------


@transaction.atomic
def projects_shortlist(*, region: Region, year: int, project_ids, places: int, user) -> list[LivelihoodProject]:
    """初定: choose the candidates of `region`'s `year` that go on the ballot. There must be
    more of them than the places to fill (差额); the other candidates become 未列入候选.
    May be redone until the projects are put on a session's agenda."""
    _check_region(user, region)
    if not isinstance(places, int) or places < 1:
        raise ValidationError({"places": "拟确定项目数至少为1个。"})
    if _vote_started(region, year):
        raise ValidationError(f"{region.name}{year}年的民生实事项目已提交票决，不能重新初定。")
    pool = list(
        LivelihoodProject.objects.select_for_update(of=("self",))
        .filter(region=region, year=year, state__in=PRE_AGENDA_STATES)
        .order_by("pk")
    )
    wanted = {int(pk) for pk in project_ids}
    known = {p.pk for p in pool}
    if wanted - known:
        raise ValidationError({"projects": f"所选项目不是{region.name}{year}年的候选项目。"})
    chosen = [p for p in pool if p.pk in wanted]
    if len(chosen) <= places:
        raise ValidationError(
            {
                "projects": f"实行差额票决：初定候选项目（{len(chosen)}个）必须多于拟确定项目数（{places}个），"
                f"请至少选择{places + 1}个。"
            }
        )
    for project in pool:
        target = State.SHORTLISTED if project.pk in wanted else State.NOT_SHORTLISTED
        if project.state != target:
            project.state = target
            project.save(update_fields=["state"])
    return chosen


@transaction.atomic
def projects_put_on_agenda(*, meeting: Meeting, projects=None, user) -> AgendaItem:
    """提交票决: put the shortlisted projects (all of the township-year's when `projects` is
    None) on the livelihood-vote item of a session of the same township and year, creating
    the item at the end of the agenda if the session has none. Projects already on another
    session's agenda may move here while no vote has been recorded for them."""
    _check_region(user, meeting.region)
    if meeting.kind != Meeting.Kind.SESSION:
        raise ValidationError({"meeting": "民生实事项目只能提交人民代表大会会议票决，不能提交主席团会议。"})
    if meeting.state == Meeting.State.CANCELLED:
        raise ValidationError({"meeting": f"“{meeting}”已取消，不能提交票决。"})
    year = meeting.date.year
    if projects is None:
        projects = LivelihoodProject.objects.filter(region=meeting.region, year=year, state=State.SHORTLISTED)
    projects = list(LivelihoodProject.objects.select_for_update(of=("self",)).filter(pk__in=[p.pk for p in projects]))
    if not projects:
        raise ValidationError({"projects": f"{meeting.region.name}{year}年没有已初定的候选项目，请先初定候选项目。"})
    wrong = [p for p in projects if p.region_id != meeting.region_id or p.year != year]
    if wrong:
        raise ValidationError(
            {"meeting": f"{_names(wrong)}不是{meeting.region.name}{year}年的项目，不能提交“{meeting}”票决。"}
        )
    item = selectors.vote_item(meeting)
    not_ready = [
        p
        for p in projects
        if not (
            p.state == State.SHORTLISTED
            or (p.state == State.ON_AGENDA and not (p.yes or p.no or p.abstain) and not p.ballots.exists())
        )
    ]
    if not_ready:
        raise ValidationError({"projects": f"{_names(not_ready)}不是待票决的初定候选项目（或已录入表决结果）。"})
    if item is None:
        last = meeting.agenda.aggregate(n=Max("order"))["n"] or 0
        item = AgendaItem.objects.create(
            meeting=meeting,
            order=last + 1,
            kind=AgendaItem.Kind.LIVELIHOOD_VOTE,
            title=f"票决{year}年{meeting.region.name}民生实事项目",
            needs_vote=True,
        )
    for project in projects:
        project.agenda_item = item
        project.state = State.ON_AGENDA
        project.save(update_fields=["agenda_item", "state"])
    return item


# --- the vote -------------------------------------------------------------------------------


def _meeting_of(project: LivelihoodProject) -> Meeting:
    if project.agenda_item_id is None or project.state != State.ON_AGENDA:
        raise ValidationError(f"“{project.title}”当前状态为“{project.get_state_display()}”，不能录入表决结果。")
    return project.agenda_item.meeting


@transaction.atomic
def project_ballots_record(*, project: LivelihoodProject, choices: dict, user) -> LivelihoodProject:
    """Record each deputy's vote on `project` (赞成/反对/弃权) and tally the counts from them.
    `choices` maps deputy id → choice; an empty choice means no ballot from that deputy.
    The ballots given replace any recorded before (a re-vote after a tie, a correction).
    Only the deputies present on the meeting's roll may vote, or, when no roll was taken,
    the deputies serving on the meeting's date."""
    _check_project(user, project)
    project = LivelihoodProject.objects.select_for_update(of=("self",)).get(pk=project.pk)
    meeting = _meeting_of(project)
    voters, from_roll = selectors.voters_of(meeting)
    allowed = {d.pk: d for d in voters}
    wanted = {}
    for deputy_id, choice in choices.items():
        if not choice:
            continue
        if choice not in Choice.values:
            raise ValidationError({"choices": f"表决意见“{choice}”不正确，只能是赞成、反对或弃权。"})
        wanted[int(deputy_id)] = choice
    outsiders = sorted(set(wanted) - set(allowed))
    if outsiders:
        from deputies.models import Deputy

        names = "、".join(Deputy.objects.filter(pk__in=outsiders).order_by("pk").values_list("name", flat=True))
        who = "出席本次会议的代表" if from_roll else f"{meeting.date:%Y年%m月%d日}在任的代表"
        raise ValidationError({"choices": f"只有{who}才能参加表决：{names or '所选代表'}不在其中。"})
    project.ballots.all().delete()
    ProjectBallot.objects.bulk_create(
        [ProjectBallot(project=project, deputy_id=pk, choice=choice) for pk, choice in sorted(wanted.items())]
    )
    tally = list(wanted.values())
    project.yes, project.no, project.abstain = (tally.count(c) for c in (Choice.YES, Choice.NO, Choice.ABSTAIN))
    project.save(update_fields=["yes", "no", "abstain"])
    return project


@transaction.atomic
def project_counts_record(*, project: LivelihoodProject, yes: int, no: int, abstain: int, user) -> LivelihoodProject:
    """Record the counted paper ballots of `project` (无记名投票, the tellers' tally). The
    total cannot exceed the deputies present (or serving, with no roll). Counts replace
    per-deputy ballots only when none are recorded: those are cleared on their own page."""
    _check_project(user, project)
    project = LivelihoodProject.objects.select_for_update(of=("self",)).get(pk=project.pk)
    meeting = _meeting_of(project)
    values = {"yes": yes, "no": no, "abstain": abstain}
    for name, value in values.items():
        if not isinstance(value, int) or value < 0:
            label = LivelihoodProject._meta.get_field(name).verbose_name
            raise ValidationError({name: f"{label}票数必须是不小于0的整数。"})
    n_ballots = project.ballots.count()
    if n_ballots:
        raise ValidationError(
            f"“{project.title}”已逐人录入{n_ballots}名代表的表决意见，票数由其统计；"
            "如改为录入计票结果，请先在逐人表决中清空。"
        )
    present = selectors.present_count(meeting)
    limit, who = (present, "出席代表") if present is not None else (selectors.serving_of(meeting), "在任代表")
    total = yes + no + abstain
    if total > limit:
        raise ValidationError(f"“{project.title}”的赞成、反对、弃权票合计{total}票，超过{who}人数（{limit}人）。")
    project.yes, project.no, project.abstain = yes, no, abstain
    project.save(update_fields=["yes", "no", "abstain"])
    return project


# --- ranking --------------------------------------------------------------------------------

ADOPT = "adopt"
REVOTE = "revote"
REJECT = "reject"
OUTCOME_LABELS = {ADOPT: "确定为民生实事项目", REVOTE: "得票相同，需重新表决", REJECT: "未确定"}


@dataclass
class Ranked:
    project: LivelihoodProject
    rank: int
    passed: bool
    outcome: str  # ADOPT | REVOTE | REJECT

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


def rank_projects(projects, *, serving: int, places: int, start_rank: int = 0) -> list[Ranked]:
    """The ranking rule of the module docstring, without saving: `projects` ranked by yes
    votes into `places`, ranks counted on from `start_rank` (the places already taken)."""
    ordered = sorted(projects, key=lambda p: (-p.yes, p.pk))
    out = []
    for project in ordered:
        above = sum(1 for other in ordered if other.yes > project.yes)
        tied = sum(1 for other in ordered if other.yes == project.yes)
        rank = above + 1
        passed = rules.passes(yes=project.yes, serving=serving)
        if passed and rank + tied - 1 <= places:
            outcome = ADOPT
        elif passed and rank <= places:
            outcome = REVOTE
        else:
            outcome = REJECT
        out.append(Ranked(project, start_rank + rank, passed, outcome))
    return out


@dataclass
class VoteState:
    """Where the vote of a session stands: what is decided, what is still to rank."""

    meeting: Meeting
    serving: int
    present: int | None
    decided: list[LivelihoodProject]
    pending: list[LivelihoodProject]

    @property
    def adopted(self) -> list[LivelihoodProject]:
        return [p for p in self.decided if p.state in ADOPTED_STATES]

    @property
    def majority(self) -> int:
        return rules.majority_needed(self.serving)


def vote_state(meeting: Meeting, *, lock: bool = False) -> VoteState:
    qs = LivelihoodProject.objects.filter(
        agenda_item__meeting=meeting, agenda_item__kind=AgendaItem.Kind.LIVELIHOOD_VOTE
    ).order_by("pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    projects = list(qs)
    return VoteState(
        meeting=meeting,
        serving=selectors.serving_of(meeting),
        present=selectors.present_count(meeting),
        decided=[p for p in projects if p.state != State.ON_AGENDA],
        pending=[p for p in projects if p.state == State.ON_AGENDA],
    )


def rank_preview(meeting: Meeting, places: int) -> list[Ranked]:
    """What `projects_rank` would decide for the projects still on the agenda (no writes)."""
    state = vote_state(meeting)
    remaining = places - len(state.adopted)
    return rank_projects(state.pending, serving=state.serving, places=remaining, start_rank=len(state.adopted))


@transaction.atomic
def projects_rank(*, meeting: Meeting, places: int, user) -> list[Ranked]:
    """Decide the vote of `meeting`: each project on its ballot passes with more than half
    of all serving deputies, and the passed ones are ranked by yes votes into `places`
    (the tie rule is in the module docstring). Adopted projects become 票决通过, the others
    未通过; a tie across the last place stays on the agenda for a re-vote. The session's
    roll, if taken, must show a quorum."""
    _check_region(user, meeting.region)
    if not isinstance(places, int) or places < 1:
        raise ValidationError({"places": "确定项目数至少为1个。"})
    state = vote_state(meeting, lock=True)
    if not state.pending:
        if state.decided:
            raise ValidationError("本次会议票决的项目已全部确定结果。")
        raise ValidationError("本次会议没有提交票决的民生实事项目。")
    if state.serving < 1:
        raise ValidationError(f"{meeting.date:%Y年%m月%d日}{meeting.region.name}没有在任代表，无法计算票决结果。")
    if state.present is not None and not rules.quorum_met(present=state.present, serving=state.serving):
        raise ValidationError(
            f"出席代表{state.present}人，不足在任代表{state.serving}人的三分之二"
            f"（{rules.quorum_needed(state.serving)}人），表决无效。"
        )
    taken = len(state.adopted)
    remaining = places - taken
    if remaining < 1:
        raise ValidationError({"places": f"已确定{taken}个项目，名额（{places}个）已满。"})
    if len(state.pending) <= remaining:
        raise ValidationError(
            {"places": f"实行差额票决：待票决项目（{len(state.pending)}个）必须多于待确定名额（{remaining}个）。"}
        )
    unvoted = [p for p in state.pending if not (p.yes or p.no or p.abstain)]
    if unvoted:
        raise ValidationError(f"{_names(unvoted)}尚未录入表决结果。")
    ranked = rank_projects(state.pending, serving=state.serving, places=remaining, start_rank=taken)
    for r in ranked:
        r.project.rank = r.rank
        if r.outcome == ADOPT:
            r.project.state = State.ADOPTED
        elif r.outcome == REJECT:
            r.project.state = State.NOT_ADOPTED
        r.project.save(update_fields=["rank", "state"])
    if not any(r.outcome == REVOTE for r in ranked):
        _close_item(meeting)
    return ranked


def _close_item(meeting: Meeting) -> None:
    """Write the result onto the agenda item once every project is decided."""
    item = selectors.vote_item(meeting)
    if item is None:
        return
    adopted = list(LivelihoodProject.objects.filter(agenda_item=item, state__in=ADOPTED_STATES).order_by("rank", "pk"))
    item.result = AgendaItem.Result.PASSED if adopted else AgendaItem.Result.FAILED
    if adopted:
        year = adopted[0].year
        lines = "；".join(f"{i}. {p.title}（赞成{p.yes}票）" for i, p in enumerate(adopted, start=1))
        item.resolution = (
            f"经代表票决，确定以下{len(adopted)}个项目为{year}年{meeting.region.name}民生实事项目：{lines}。"
        )
    else:
        item.resolution = "票决项目均未获得全体代表的过半数赞成票，未确定民生实事项目。"
    item.save(update_fields=["result", "resolution"])


# --- monitoring and rating ------------------------------------------------------------------


def _current_quarter(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


@transaction.atomic
def project_progress_report(
    *,
    project: LivelihoodProject,
    quarter: int,
    percent: int,
    report: str,
    user,
    reported_on: datetime.date | None = None,
) -> ProjectProgress:
    """The quarterly progress report of an adopted project (a quarter's report may be
    corrected). Progress never goes back: a quarter's percent lies between the earlier
    quarters' and the later ones'. 100% completes the project; less puts it 实施中."""
    _check_project(user, project)
    project = LivelihoodProject.objects.select_for_update(of=("self",)).get(pk=project.pk)
    if project.state not in (State.ADOPTED, State.IN_PROGRESS):
        raise ValidationError(f"“{project.title}”当前状态为“{project.get_state_display()}”，不能填报实施进度。")
    if quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": "季度只能是第1至第4季度。"})
    today = _today()
    if project.year > today.year or (project.year == today.year and quarter > _current_quarter(today)):
        raise ValidationError({"quarter": f"{project.year}年第{quarter}季度尚未到来，不能填报进度。"})
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError({"percent": "完成进度应在0%至100%之间。"})
    report = (report or "").strip()
    if not report:
        raise ValidationError({"report": "请填写进展情况。"})
    others = list(project.progress_reports.exclude(quarter=quarter))
    earlier = [r for r in others if r.quarter < quarter]
    later = [r for r in others if r.quarter > quarter]
    if earlier and percent < max(r.percent for r in earlier):
        best = max(earlier, key=lambda r: r.percent)
        raise ValidationError({"percent": f"完成进度不能低于第{best.quarter}季度已报的{best.percent}%。"})
    if later and percent > min(r.percent for r in later):
        least = min(later, key=lambda r: r.percent)
        raise ValidationError({"percent": f"完成进度不能高于第{least.quarter}季度已报的{least.percent}%。"})
    row, _created = ProjectProgress.objects.update_or_create(
        project=project,
        quarter=quarter,
        defaults={"percent": percent, "report": report, "reported_on": reported_on or today},
    )
    project.state = State.COMPLETED if percent == 100 else State.IN_PROGRESS
    project.save(update_fields=["state"])
    return row


@transaction.atomic
def project_rate(
    *, project: LivelihoodProject, satisfied: int, basically_satisfied: int, unsatisfied: int, user
) -> LivelihoodProject:
    """The deputies' year-end satisfaction rating (满意度测评) of an adopted project: how
    many rated it 满意, 基本满意, 不满意. At least one rating, and no more ratings than the
    township's serving deputies today. A new rating replaces the last one."""
    _check_project(user, project)
    if project.state not in ADOPTED_STATES:
        raise ValidationError(f"“{project.title}”未经票决通过，不进行满意度测评。")
    values = {"satisfied": satisfied, "basically_satisfied": basically_satisfied, "unsatisfied": unsatisfied}
    for name, value in values.items():
        if not isinstance(value, int) or value < 0:
            label = LivelihoodProject._meta.get_field(name).verbose_name
            raise ValidationError({name: f"“{label}”人数必须是不小于0的整数。"})
    total = sum(values.values())
    if total < 1:
        raise ValidationError("请填写测评结果：满意、基本满意、不满意合计至少1人。")
    serving = rules.serving_count_on(project.region, _today())
    if total > serving:
        raise ValidationError(f"测评人数合计{total}人，超过{project.region.name}在任代表人数（{serving}人）。")
    for name, value in values.items():
        setattr(project, name, value)
    project.save(update_fields=list(values))
    return project
