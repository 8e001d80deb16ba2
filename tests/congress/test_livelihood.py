"""The livelihood-project vote 民生实事项目代表票决制: the shortlist must exceed the places
(差额), counting from per-deputy ballots or paper counts, only deputies present may vote,
passing at more than half of ALL serving deputies, the ranking with ties (inside the places,
and across the last place: a re-vote), progress and rating rules, the PDFs, the pages, the
county overview, and township B's clerk getting 404 on every page of a township-A row."""

from __future__ import annotations

import datetime
import re
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from congress import selectors_livelihood as selectors
from congress import services_livelihood as services
from congress.models import AgendaItem, Attendance, LivelihoodProject, Meeting, ProjectBallot
from org.models import Region
from org.panels import dashboard_panels
from stations.models import VoterIssue
from tests.factories import (
    AttendanceFactory,
    DeputyFactory,
    LivelihoodProjectFactory,
    MandateFactory,
    MeetingFactory,
    ProjectProgressFactory,
    TermFactory,
    VoterIssueFactory,
)

pytestmark = pytest.mark.django_db

S = LivelihoodProject.State
TODAY = timezone.localdate()
# A past year: every quarter of it has come, whatever day the tests run.
YEAR = TODAY.year - 1
SESSION_DAY = datetime.date(YEAR, 3, 1)
SERVING = 6


@pytest.fixture
def town(world):
    """Township A with six serving deputies and a session in March of YEAR."""
    term = TermFactory(region=world.town_a)
    deputies = [DeputyFactory(region=world.town_a, name=n) for n in ("安一", "白二", "陈三", "邓四", "方五", "顾六")]
    for d in deputies:
        MandateFactory(deputy=d, region=world.town_a, term=term, elected_on=datetime.date(YEAR - 3, 12, 1))
    session = MeetingFactory(region=world.town_a, term=term, kind=Meeting.Kind.SESSION, date=SESSION_DAY)
    return {"term": term, "deputies": deputies, "session": session}


def candidates(world, titles, region=None, year=YEAR):
    return [
        services.project_create(region=region or world.town_a, year=year, title=t, user=world.clerk_a) for t in titles
    ]


def on_agenda(world, town, titles, places=None):
    projects = candidates(world, titles)
    services.projects_shortlist(
        region=world.town_a,
        year=YEAR,
        project_ids=[p.pk for p in projects],
        places=places or len(projects) - 1,
        user=world.clerk_a,
    )
    services.projects_put_on_agenda(meeting=town["session"], user=world.clerk_a)
    return [LivelihoodProject.objects.get(pk=p.pk) for p in projects]


def counts(world, project, yes, no=0, abstain=0):
    return services.project_counts_record(project=project, yes=yes, no=no, abstain=abstain, user=world.clerk_a)


def fresh(projects):
    return [LivelihoodProject.objects.get(pk=p.pk) for p in projects]


def roll(town, present, absent=()):
    for d in present:
        AttendanceFactory(meeting=town["session"], deputy=d, status=Attendance.Status.PRESENT)
    for d in absent:
        AttendanceFactory(meeting=town["session"], deputy=d, status=Attendance.Status.LEAVE)
    town["session"].serving_count = SERVING
    town["session"].save()


# --- collecting and the shortlist -----------------------------------------------------------


def test_shortlist_must_have_more_candidates_than_places(world, town):
    projects = candidates(world, ["村道硬化", "饮水改造", "路灯安装", "卫生室改建"])
    ids = [p.pk for p in projects[:3]]
    with pytest.raises(ValidationError) as equal:
        services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=ids, places=3, user=world.clerk_a)
    assert "差额" in str(equal.value) and "必须多于" in str(equal.value)
    with pytest.raises(ValidationError):
        services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=ids, places=4, user=world.clerk_a)
    assert set(LivelihoodProject.objects.values_list("state", flat=True)) == {S.CANDIDATE}

    services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=ids, places=2, user=world.clerk_a)
    states = dict(LivelihoodProject.objects.values_list("title", "state"))
    assert states == {"村道硬化": S.SHORTLISTED, "饮水改造": S.SHORTLISTED, "路灯安装": S.SHORTLISTED,
                      "卫生室改建": S.NOT_SHORTLISTED}  # fmt: skip

    # Redone before the vote: the left-out one comes back in.
    all_ids = [p.pk for p in projects]
    services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=all_ids, places=3, user=world.clerk_a)
    assert set(LivelihoodProject.objects.values_list("state", flat=True)) == {S.SHORTLISTED}


def test_shortlist_refuses_foreign_projects_other_clerks_and_after_the_agenda(world, town):
    projects = candidates(world, ["村道硬化", "饮水改造", "路灯安装"])
    other_year = candidates(world, ["往年项目"], year=YEAR - 1)[0]
    ids = [p.pk for p in projects]
    with pytest.raises(ValidationError, match="不是甲镇"):
        services.projects_shortlist(
            region=world.town_a, year=YEAR, project_ids=[*ids, other_year.pk], places=1, user=world.clerk_a
        )
    for outsider in (world.clerk_b, world.county_admin):
        with pytest.raises(PermissionDenied):
            services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=ids, places=1, user=outsider)
    services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=ids, places=2, user=world.clerk_a)
    services.projects_put_on_agenda(meeting=town["session"], user=world.clerk_a)
    with pytest.raises(ValidationError, match="已提交票决，不能重新初定"):
        services.projects_shortlist(region=world.town_a, year=YEAR, project_ids=ids, places=1, user=world.clerk_a)
    with pytest.raises(ValidationError, match="不能再征集"):
        candidates(world, ["迟到的项目"])


def test_create_checks_and_from_a_public_issue(world, town):
    with pytest.raises(ValidationError, match="请填写项目名称"):
        services.project_create(region=world.town_a, year=YEAR, title="  ", user=world.clerk_a)
    with pytest.raises(ValidationError, match="年度应在"):
        services.project_create(region=world.town_a, year=1990, title="太早", user=world.clerk_a)
    with pytest.raises(ValidationError, match="必须归属一个乡镇"):
        services.project_create(region=world.village_a, year=YEAR, title="村级", user=world.clerk_a)
    with pytest.raises(PermissionDenied):
        services.project_create(region=world.town_a, year=YEAR, title="乙镇代办", user=world.clerk_b)
    candidates(world, ["村道硬化"])
    with pytest.raises(ValidationError, match="已有名为“村道硬化”"):
        candidates(world, ["村道硬化"])

    issue = VoterIssueFactory(
        region=world.town_a,
        source=VoterIssue.Source.PUBLIC,
        content="三组到镇上的路太窄，会车困难",
        voter_name="赵选民",
    )
    project = services.project_create_from_issue(issue=issue, year=YEAR, title="三组道路拓宽", user=world.clerk_a)
    assert (project.region, project.source, project.voter_issue, project.description, project.proposer) == (
        world.town_a, LivelihoodProject.Source.PUBLIC, issue, "三组到镇上的路太窄，会车困难", "赵选民",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="已列为"):
        services.project_create_from_issue(issue=issue, year=YEAR, title="再来一次", user=world.clerk_a)
    other = VoterIssueFactory(region=world.town_b, source=VoterIssue.Source.PUBLIC)
    with pytest.raises(ValidationError, match="不属于甲镇"):
        services.project_create(region=world.town_a, year=YEAR, title="错镇意见", voter_issue=other, user=world.clerk_a)


def test_title_and_year_are_fixed_once_on_the_agenda(world, town):
    first, *_ = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"])
    with pytest.raises(ValidationError, match="项目名称不能再修改"):
        services.project_update(project=first, title="村道硬化（改）", user=world.clerk_a)
    services.project_update(project=first, title="村道硬化", responsible="镇交通办", user=world.clerk_a)
    assert LivelihoodProject.objects.get(pk=first.pk).responsible == "镇交通办"
    with pytest.raises(PermissionDenied):
        services.project_update(project=first, responsible="乙镇", user=world.clerk_b)


def test_put_on_agenda_needs_a_session_of_the_same_township_and_year(world, town):
    projects = candidates(world, ["村道硬化", "饮水改造", "路灯安装"])
    services.projects_shortlist(
        region=world.town_a, year=YEAR, project_ids=[p.pk for p in projects], places=2, user=world.clerk_a
    )
    presidium = MeetingFactory(region=world.town_a, term=town["term"], kind=Meeting.Kind.PRESIDIUM, date=SESSION_DAY)
    next_year = MeetingFactory(region=world.town_a, term=town["term"], date=datetime.date(YEAR + 1, 3, 1))
    with pytest.raises(ValidationError, match="不能提交主席团会议"):
        services.projects_put_on_agenda(meeting=presidium, user=world.clerk_a)
    with pytest.raises(ValidationError, match="没有已初定的候选项目"):
        services.projects_put_on_agenda(meeting=next_year, user=world.clerk_a)
    with pytest.raises(ValidationError, match="不是甲镇"):
        services.projects_put_on_agenda(meeting=next_year, projects=projects, user=world.clerk_a)
    b_session = MeetingFactory.in_township(world.town_b)
    with pytest.raises(PermissionDenied):
        services.projects_put_on_agenda(meeting=b_session, projects=projects, user=world.clerk_a)

    item = services.projects_put_on_agenda(meeting=town["session"], user=world.clerk_a)
    assert (item.kind, item.meeting, item.needs_vote) == (AgendaItem.Kind.LIVELIHOOD_VOTE, town["session"], True)
    assert set(LivelihoodProject.objects.values_list("state", "agenda_item")) == {(S.ON_AGENDA, item.pk)}
    # Put again (nothing voted yet): the same item is used, no second one.
    assert services.projects_put_on_agenda(meeting=town["session"], projects=projects, user=world.clerk_a) == item
    assert AgendaItem.objects.filter(meeting=town["session"], kind=AgendaItem.Kind.LIVELIHOOD_VOTE).count() == 1
    counts(world, projects[0], yes=5)
    with pytest.raises(ValidationError, match="已录入表决结果"):
        services.projects_put_on_agenda(meeting=town["session"], projects=projects, user=world.clerk_a)


# --- counting -------------------------------------------------------------------------------


def test_counts_come_from_the_per_deputy_ballots(world, town):
    project, *_ = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"])
    d = town["deputies"]
    choices = {d[0].pk: "yes", d[1].pk: "yes", d[2].pk: "no", d[3].pk: "abstain", d[4].pk: "yes", d[5].pk: ""}
    project = services.project_ballots_record(project=project, choices=choices, user=world.clerk_a)
    assert (project.yes, project.no, project.abstain) == (3, 1, 1)
    assert ProjectBallot.objects.filter(project=project).count() == 5  # the empty choice is no ballot

    # Recorded again (a correction): the new ballots replace the old ones.
    project = services.project_ballots_record(
        project=project, choices={d[0].pk: "no", d[5].pk: "yes"}, user=world.clerk_a
    )
    assert (project.yes, project.no, project.abstain) == (1, 1, 0)
    assert ProjectBallot.objects.filter(project=project).count() == 2
    with pytest.raises(ValidationError, match="表决意见“maybe”不正确"):
        services.project_ballots_record(project=project, choices={d[0].pk: "maybe"}, user=world.clerk_a)

    # Paper counts are refused while per-deputy ballots hold the tally.
    with pytest.raises(ValidationError, match="已逐人录入2名代表"):
        counts(world, project, yes=4)
    project = services.project_ballots_record(project=project, choices={}, user=world.clerk_a)
    assert counts(world, project, yes=4, no=1, abstain=1).yes == 4


def test_only_deputies_present_on_the_roll_may_vote(world, town):
    project, *_ = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"])
    d = town["deputies"]
    roll(town, present=d[:5], absent=d[5:])
    with pytest.raises(ValidationError) as refused:
        services.project_ballots_record(project=project, choices={d[0].pk: "yes", d[5].pk: "yes"}, user=world.clerk_a)
    assert "出席本次会议的代表" in str(refused.value) and "顾六" in str(refused.value)
    stranger = DeputyFactory(region=world.town_b, name="乙镇代表")
    with pytest.raises(ValidationError, match="乙镇代表"):
        services.project_ballots_record(project=project, choices={stranger.pk: "yes"}, user=world.clerk_a)
    assert not ProjectBallot.objects.exists()
    project = services.project_ballots_record(project=project, choices={x.pk: "yes" for x in d[:5]}, user=world.clerk_a)
    assert project.yes == 5
    # Paper counts are bounded by the deputies present (5), not the serving ones (6).
    other = LivelihoodProject.objects.get(title="饮水改造")
    with pytest.raises(ValidationError, match="超过出席代表人数（5人）"):
        counts(world, other, yes=4, no=2)
    assert counts(world, other, yes=3, no=2).no == 2


def test_without_a_roll_the_deputies_serving_on_the_day_vote(world, town):
    project, *_ = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"])
    gone = DeputyFactory(region=world.town_a, name="早已辞职")
    MandateFactory(
        deputy=gone, region=world.town_a, term=TermFactory(region=world.town_a), elected_on=datetime.date(YEAR - 3, 1, 1),
        status="resigned", ended_on=datetime.date(YEAR, 2, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="在任的代表才能参加表决：早已辞职"):
        services.project_ballots_record(project=project, choices={gone.pk: "yes"}, user=world.clerk_a)
    with pytest.raises(ValidationError, match="超过在任代表人数（6人）"):
        counts(world, project, yes=5, no=2)
    with pytest.raises(ValidationError, match="不小于0"):
        counts(world, project, yes=-1)


def test_votes_only_for_projects_on_the_agenda(world, town):
    project = candidates(world, ["村道硬化"])[0]
    with pytest.raises(ValidationError, match="不能录入表决结果"):
        counts(world, project, yes=3)
    with pytest.raises(PermissionDenied):
        services.project_counts_record(project=project, yes=1, no=0, abstain=0, user=world.clerk_b)


# --- passing and ranking --------------------------------------------------------------------


def test_exactly_half_of_all_serving_fails_even_if_every_ballot_cast_was_yes(world, town):
    """Six serving deputies, no roll taken: three paper ballots, all yes, are exactly half
    of the serving deputies, which is not more than half."""
    a, b, c = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"], places=2)
    counts(world, a, yes=3)
    counts(world, b, yes=4)
    counts(world, c, yes=4)
    services.projects_rank(meeting=town["session"], places=2, user=world.clerk_a)
    a, b, c = fresh([a, b, c])
    assert a.state == S.NOT_ADOPTED and a.rank == 3
    assert (b.state, b.rank, c.state, c.rank) == (S.ADOPTED, 1, S.ADOPTED, 1)


def test_passing_is_measured_against_all_serving_not_those_present(world, town):
    """Four of six present (a quorum): three yes and one no is 75% of those voting, yet only
    half of the serving deputies, so the project fails."""
    d = town["deputies"]
    roll(town, present=d[:4], absent=d[4:])
    a, b, c = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"], places=1)
    services.project_ballots_record(
        project=a, choices={d[0].pk: "yes", d[1].pk: "yes", d[2].pk: "yes", d[3].pk: "no"}, user=world.clerk_a
    )
    services.project_ballots_record(project=b, choices={x.pk: "yes" for x in d[:4]}, user=world.clerk_a)
    services.project_ballots_record(project=c, choices={x.pk: "no" for x in d[:4]}, user=world.clerk_a)
    ranked = {r.project.title: r for r in services.projects_rank(meeting=town["session"], places=1, user=world.clerk_a)}
    assert not ranked["村道硬化"].passed and ranked["饮水改造"].passed
    assert [p.state for p in fresh([a, b, c])] == [S.NOT_ADOPTED, S.ADOPTED, S.NOT_ADOPTED]


def test_no_result_without_a_quorum(world, town):
    d = town["deputies"]
    roll(town, present=d[:3], absent=d[3:])  # 3 of 6: fewer than two thirds
    a, b, c = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"], places=1)
    for p in (a, b, c):
        counts(world, p, yes=3)
    with pytest.raises(ValidationError, match="不足在任代表6人的三分之二（4人）"):
        services.projects_rank(meeting=town["session"], places=1, user=world.clerk_a)
    assert {p.state for p in fresh([a, b, c])} == {S.ON_AGENDA}


def test_top_n_adopted_by_yes_votes(world, town):
    projects = on_agenda(world, town, ["甲", "乙", "丙", "丁", "戊"], places=3)
    for p, yes in zip(projects, (4, 6, 5, 1, 3), strict=True):
        counts(world, p, yes=yes)
    services.projects_rank(meeting=town["session"], places=3, user=world.clerk_a)
    got = {p.title: (p.rank, p.state) for p in fresh(projects)}
    assert got == {
        "乙": (1, S.ADOPTED), "丙": (2, S.ADOPTED), "甲": (3, S.ADOPTED),
        "戊": (4, S.NOT_ADOPTED), "丁": (5, S.NOT_ADOPTED),
    }  # fmt: skip
    item = selectors.vote_item(town["session"])
    assert item.result == AgendaItem.Result.PASSED and "乙" in item.resolution
    with pytest.raises(ValidationError, match="已全部确定结果"):
        services.projects_rank(meeting=town["session"], places=3, user=world.clerk_a)


def test_a_tie_inside_the_places_shares_a_rank_and_both_are_adopted(world, town):
    projects = on_agenda(world, town, ["甲", "乙", "丙", "丁", "戊"], places=3)
    for p, yes in zip(projects, (6, 5, 5, 4, 2), strict=True):
        counts(world, p, yes=yes)
    services.projects_rank(meeting=town["session"], places=3, user=world.clerk_a)
    got = {p.title: (p.rank, p.state) for p in fresh(projects)}
    # 丁 passed (4 of 6) but ranks below the places; 戊 failed.
    assert got == {
        "甲": (1, S.ADOPTED), "乙": (2, S.ADOPTED), "丙": (2, S.ADOPTED),
        "丁": (4, S.NOT_ADOPTED), "戊": (5, S.NOT_ADOPTED),
    }  # fmt: skip


def test_a_tie_across_the_last_place_is_voted_again(world, town):
    """Two places, 乙 and 丙 tie for the second: neither is dropped nor picked; they stay on
    the agenda for a re-vote, after which the second place is decided."""
    projects = on_agenda(world, town, ["甲", "乙", "丙", "丁"], places=2)
    for p, yes in zip(projects, (6, 5, 5, 2), strict=True):
        counts(world, p, yes=yes)
    preview = services.rank_preview(town["session"], 2)
    assert [(r.project.title, r.outcome) for r in preview] == [
        ("甲", services.ADOPT), ("乙", services.REVOTE), ("丙", services.REVOTE), ("丁", services.REJECT),
    ]  # fmt: skip
    services.projects_rank(meeting=town["session"], places=2, user=world.clerk_a)
    got = {p.title: (p.rank, p.state) for p in fresh(projects)}
    assert got == {"甲": (1, S.ADOPTED), "乙": (2, S.ON_AGENDA), "丙": (2, S.ON_AGENDA), "丁": (4, S.NOT_ADOPTED)}
    assert selectors.vote_item(town["session"]).result == ""  # not decided yet

    # The re-vote on the tied two; 甲 keeps its place.
    _, yi, bing, _ = fresh(projects)
    counts(world, yi, yes=4, no=2)
    counts(world, bing, yes=5, no=1)
    services.projects_rank(meeting=town["session"], places=2, user=world.clerk_a)
    got = {p.title: (p.rank, p.state) for p in fresh(projects)}
    assert got == {"甲": (1, S.ADOPTED), "丙": (2, S.ADOPTED), "乙": (3, S.NOT_ADOPTED), "丁": (4, S.NOT_ADOPTED)}
    item = selectors.vote_item(town["session"])
    assert item.result == AgendaItem.Result.PASSED and "丙" in item.resolution and "乙" not in item.resolution


def test_a_revote_where_nobody_passes_leaves_the_place_empty(world, town):
    projects = on_agenda(world, town, ["甲", "乙", "丙"], places=2)
    for p, yes in zip(projects, (6, 4, 4), strict=True):
        counts(world, p, yes=yes)
    services.projects_rank(meeting=town["session"], places=2, user=world.clerk_a)
    _, yi, bing = fresh(projects)
    counts(world, yi, yes=3, no=3)
    counts(world, bing, yes=2, no=4)
    services.projects_rank(meeting=town["session"], places=2, user=world.clerk_a)
    assert [p.state for p in fresh(projects)] == [S.ADOPTED, S.NOT_ADOPTED, S.NOT_ADOPTED]


def test_ranking_refuses_unvoted_projects_and_too_many_places(world, town):
    a, b, c = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"], places=2)
    counts(world, a, yes=4)
    with pytest.raises(ValidationError, match="“饮水改造”、“路灯安装”尚未录入表决结果"):
        services.projects_rank(meeting=town["session"], places=2, user=world.clerk_a)
    counts(world, b, yes=4)
    counts(world, c, yes=4)
    with pytest.raises(ValidationError, match="差额"):
        services.projects_rank(meeting=town["session"], places=3, user=world.clerk_a)
    with pytest.raises(PermissionDenied):
        services.projects_rank(meeting=town["session"], places=2, user=world.county_admin)


# --- progress and rating --------------------------------------------------------------------


def adopted_project(world, town):
    projects = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"], places=1)
    for p, yes in zip(projects, (6, 2, 1), strict=True):
        counts(world, p, yes=yes)
    services.projects_rank(meeting=town["session"], places=1, user=world.clerk_a)
    return fresh(projects)


def test_progress_never_goes_back_and_100_completes(world, town):
    project, lost, _ = adopted_project(world, town)
    report = services.project_progress_report
    with pytest.raises(ValidationError, match="不能填报实施进度"):
        report(project=lost, quarter=1, percent=10, report="未通过的项目", user=world.clerk_a)
    report(project=project, quarter=1, percent=30, report="完成招标", user=world.clerk_a)
    assert LivelihoodProject.objects.get(pk=project.pk).state == S.IN_PROGRESS
    with pytest.raises(ValidationError, match="不能低于第1季度已报的30%"):
        report(project=project, quarter=2, percent=20, report="倒退", user=world.clerk_a)
    report(project=project, quarter=3, percent=60, report="路基完成", user=world.clerk_a)
    with pytest.raises(ValidationError, match="不能高于第3季度已报的60%"):
        report(project=project, quarter=2, percent=70, report="超前", user=world.clerk_a)
    with pytest.raises(ValidationError, match="0%至100%"):
        report(project=project, quarter=4, percent=101, report="超额", user=world.clerk_a)
    # A quarter re-reported is corrected, not duplicated.
    report(project=project, quarter=1, percent=40, report="完成招标和设计", user=world.clerk_a)
    assert list(project.progress_reports.values_list("quarter", "percent")) == [(1, 40), (3, 60)]
    report(project=project, quarter=4, percent=100, report="竣工验收", user=world.clerk_a)
    project.refresh_from_db()
    assert project.state == S.COMPLETED
    with pytest.raises(ValidationError, match="已完成"):
        report(project=project, quarter=4, percent=100, report="再报", user=world.clerk_a)
    assert selectors.with_progress(LivelihoodProject.objects.filter(pk=project.pk)).get().latest_percent == 100


def test_progress_of_a_quarter_to_come_is_refused(world, town):
    project = LivelihoodProjectFactory(region=world.town_a, year=TODAY.year + 1, state=S.ADOPTED)
    with pytest.raises(ValidationError, match="尚未到来"):
        services.project_progress_report(project=project, quarter=1, percent=5, report="提前", user=world.clerk_a)


def test_rating_totals_are_bounded_by_the_serving_deputies(world, town):
    project, lost, _ = adopted_project(world, town)
    rate = services.project_rate
    with pytest.raises(ValidationError, match="超过甲镇在任代表人数（6人）"):
        rate(project=project, satisfied=4, basically_satisfied=2, unsatisfied=1, user=world.clerk_a)
    with pytest.raises(ValidationError, match="至少1人"):
        rate(project=project, satisfied=0, basically_satisfied=0, unsatisfied=0, user=world.clerk_a)
    with pytest.raises(ValidationError, match="未经票决通过"):
        rate(project=lost, satisfied=1, basically_satisfied=0, unsatisfied=0, user=world.clerk_a)
    with pytest.raises(ValidationError, match="不小于0"):
        rate(project=project, satisfied=-1, basically_satisfied=2, unsatisfied=0, user=world.clerk_a)
    project = rate(project=project, satisfied=3, basically_satisfied=2, unsatisfied=1, user=world.clerk_a)
    assert selectors.satisfaction_rate(project) == pytest.approx(83.3)


# --- the county overview --------------------------------------------------------------------


def test_county_overview_per_township_in_one_query(world, town):
    a = LivelihoodProjectFactory
    a(region=world.town_a, year=YEAR, state=S.NOT_SHORTLISTED)
    a(region=world.town_a, year=YEAR, state=S.NOT_ADOPTED)
    a(region=world.town_a, year=YEAR, state=S.IN_PROGRESS, satisfied=4, basically_satisfied=0, unsatisfied=1)
    a(region=world.town_a, year=YEAR, state=S.COMPLETED, satisfied=5, basically_satisfied=1, unsatisfied=0)
    a(region=world.town_a, year=YEAR - 1, state=S.COMPLETED, satisfied=0, basically_satisfied=0, unsatisfied=6)
    a(region=world.town_b, year=YEAR, state=S.ON_AGENDA)
    regions = Region.objects.for_user(world.county_admin)
    with CaptureQueriesContext(connection) as queries:
        rows = {r.name: r for r in selectors.county_overview(regions, year=YEAR)}
    assert len(queries.captured_queries) == 1
    assert set(rows) == {"甲镇", "乙镇"}
    ra, rb = rows["甲镇"], rows["乙镇"]
    assert (ra.candidates, ra.voted, ra.adopted, ra.completed) == (4, 3, 2, 1)
    assert ra.satisfaction == pytest.approx((80 + 100) / 2)  # the mean of the rated projects' rates
    assert (rb.candidates, rb.voted, rb.adopted, rb.completed, rb.satisfaction) == (1, 1, 0, 0, None)
    # A clerk's overview holds only its own township.
    assert [r.name for r in selectors.county_overview(Region.objects.for_user(world.clerk_b), year=YEAR)] == ["乙镇"]


# --- pages ----------------------------------------------------------------------------------


def test_the_whole_vote_through_the_pages(world, town, login):
    client = login(world.clerk_a)
    for title in ("村道硬化", "饮水改造", "路灯安装"):
        response = client.post(
            reverse("congress:livelihood-create"),
            {"region": world.town_a.pk, "year": YEAR, "title": title, "source": "government", "description": "内容"},
        )
        assert response.status_code == 302, response.content.decode()
    ids = list(LivelihoodProject.objects.order_by("pk").values_list("pk", flat=True))
    shortlist = reverse("congress:livelihood-shortlist")
    response = client.post(shortlist, {"township": world.town_a.pk, "year": YEAR, "projects": ids, "places": 3})
    assert response.status_code == 200 and "必须多于拟确定项目数（3个）" in response.content.decode()
    response = client.post(shortlist, {"township": world.town_a.pk, "year": YEAR, "projects": ids, "places": 2})
    assert response.status_code == 302
    response = client.post(
        reverse("congress:livelihood-agenda"),
        {"township": world.town_a.pk, "year": YEAR, "meeting": town["session"].pk},
    )
    assert response.status_code == 302
    assert set(LivelihoodProject.objects.values_list("state", flat=True)) == {S.ON_AGENDA}

    d = town["deputies"]
    ballots = reverse("congress:livelihood-ballots", args=[ids[0]])
    page = client.get(ballots).content.decode()
    assert all(x.name in page for x in d) and "赞成" in page
    grid = {"mode": "ballots", **{f"d{x.pk}": "yes" for x in d[:5]}, f"d{d[5].pk}": "no"}
    assert client.post(ballots, grid).status_code == 302
    assert LivelihoodProject.objects.get(pk=ids[0]).yes == 5
    for pk, yes in ((ids[1], 4), (ids[2], 2)):
        response = client.post(
            reverse("congress:livelihood-ballots", args=[pk]), {"mode": "counts", "yes": yes, "no": 0, "abstain": 0}
        )
        assert response.status_code == 302
    response = client.post(
        reverse("congress:livelihood-ballots", args=[ids[2]]), {"mode": "counts", "yes": 7, "no": 0, "abstain": 0}
    )
    assert "超过在任代表人数（6人）" in response.content.decode()

    result = reverse("congress:livelihood-result", args=[town["session"].pk])
    page = client.get(result + "?places=2").content.decode()
    assert "确定为民生实事项目" in page and "过半数" in page
    assert client.post(result, {"places": 2}).status_code == 302
    assert [p.state for p in LivelihoodProject.objects.order_by("pk")] == [S.ADOPTED, S.ADOPTED, S.NOT_ADOPTED]

    progress = reverse("congress:livelihood-progress", args=[ids[0]])
    response = client.post(
        progress, {"quarter": 2, "percent": 50, "report": "完成一半", "reported_on": f"{YEAR}-06-30"}
    )
    assert response.status_code == 302
    response = client.post(progress, {"quarter": 3, "percent": 20, "report": "倒退", "reported_on": f"{YEAR}-09-30"})
    assert "不能低于第2季度已报的50%" in response.content.decode()
    response = client.post(
        reverse("congress:livelihood-rate", args=[ids[0]]),
        {"satisfied": 5, "basically_satisfied": 1, "unsatisfied": 0},
    )
    assert response.status_code == 302
    page = client.get(reverse("congress:livelihood-detail", args=[ids[0]])).content.decode()
    assert "50%" in page and "满意率" in page and "100.0%" in page

    board = client.get(reverse("congress:livelihood-list") + f"?year={YEAR}").content.decode()
    assert "村道硬化" in board and "票决通过" in board and 'aria-valuenow="50"' in board


def test_county_admin_reads_but_cannot_vote(world, town, login):
    a, b, c = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"])
    client = login(world.county_admin)
    board = client.get(reverse("congress:livelihood-list") + f"?year={YEAR}").content.decode()
    assert 'id="county-overview"' in board and "甲镇" in board and "村道硬化" in board
    page = client.get(reverse("congress:livelihood-ballots", args=[a.pk])).content.decode()
    assert "只有甲镇人大秘书可以录入" in page
    response = client.post(
        reverse("congress:livelihood-ballots", args=[a.pk]), {"mode": "counts", "yes": 3, "no": 0, "abstain": 0}
    )
    assert response.status_code == 403
    assert (
        client.post(reverse("congress:livelihood-result", args=[town["session"].pk]), {"places": 1}).status_code == 403
    )
    assert client.get(reverse("congress:livelihood-create")).status_code == 403


def test_create_page_starts_from_a_public_issue(world, town, login):
    issue = VoterIssueFactory(region=world.town_a, source=VoterIssue.Source.PUBLIC, content="希望在村口装路灯")
    client = login(world.clerk_a)
    page = client.get(reverse("congress:livelihood-create") + f"?issue={issue.pk}").content.decode()
    assert "希望在村口装路灯" in page
    response = client.post(
        reverse("congress:livelihood-create"),
        {"region": world.town_a.pk, "year": YEAR, "title": "村口路灯", "source": "public", "voter_issue": issue.pk},
    )
    assert response.status_code == 302
    assert LivelihoodProject.objects.get(title="村口路灯").voter_issue == issue


def test_dashboard_panel_lists_this_years_adopted_projects(world, rf):
    """The panel alone (the home page holds other parts' panels too)."""
    project = LivelihoodProjectFactory(
        region=world.town_a, year=TODAY.year, title="今年的通过项目", state=S.IN_PROGRESS
    )
    ProjectProgressFactory(project=project, quarter=1, percent=35)
    LivelihoodProjectFactory(region=world.town_a, year=TODAY.year, title="今年的候选项目")
    LivelihoodProjectFactory(region=world.town_b, year=TODAY.year, title="乙镇的通过项目", state=S.ADOPTED)
    panel = next(p for p in dashboard_panels.panels(roles=["township_clerk"]) if p.key == "livelihood")
    assert panel.order == 45
    request = rf.get("/")
    request.user = world.county_admin
    county = render_to_string(panel.template, panel.context(request, world.county), request=request)
    assert "今年的通过项目" in county and "乙镇的通过项目" in county and 'aria-valuenow="35"' in county
    request.user = world.clerk_a
    html = render_to_string(panel.template, panel.context(request, world.town_a), request=request)
    assert "今年的通过项目" in html
    assert "今年的候选项目" not in html and "乙镇的通过项目" not in html
    assert panel.context(request, None) is None


# --- the PDFs -------------------------------------------------------------------------------


def pdf_text_and_fonts(response, tmp_path):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "out.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK|Noto-?Serif-?CJK", line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column
    return text


def test_ballot_pdf(world, town, login, tmp_path):
    on_agenda(world, town, ["村道硬化工程", "安全饮水改造", "太阳能路灯安装"], places=2)
    url = reverse("congress:livelihood-ballot-pdf", args=[town["session"].pk]) + "?places=2"
    text = pdf_text_and_fonts(login(world.clerk_a).get(url), tmp_path)
    for expected in ("票决票", "村道硬化工程", "安全饮水改造", "太阳能路灯安装", "赞成", "反对", "弃权", "拟确定2个"):
        assert expected in text, expected
    assert "划“○”" in text or "划\u201c○\u201d" in text


def test_notice_pdf_after_the_ranking(world, town, login, tmp_path):
    projects = on_agenda(world, town, ["村道硬化工程", "安全饮水改造", "太阳能路灯安装"], places=1)
    client = login(world.clerk_a)
    url = reverse("congress:livelihood-notice-pdf", args=[town["session"].pk])
    response = client.get(url)
    assert response.status_code == 302  # not decided yet: back to the result page with a message
    for p, yes in zip(projects, (6, 3, 1), strict=True):
        counts(world, p, yes=yes)
    services.projects_rank(meeting=town["session"], places=1, user=world.clerk_a)
    text = pdf_text_and_fonts(client.get(url), tmp_path)
    for expected in ("票决结果公告", "村道硬化工程", "安全饮水改造", "太阳能路灯安装", "应到代表6名", "特此公告"):
        assert expected in text, expected
    assert re.search(r"以下\s*1\s*个项目确定为", text), text


# --- scope ----------------------------------------------------------------------------------

PROJECT_URLS = (
    "livelihood-detail",
    "livelihood-update",
    "livelihood-ballots",
    "livelihood-progress",
    "livelihood-rate",
)
MEETING_URLS = ("livelihood-result", "livelihood-ballot-pdf", "livelihood-notice-pdf")


def test_township_b_clerk_gets_404_on_every_pk_url(world, town, login):
    projects = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"], places=1)
    for p, yes in zip(projects, (6, 3, 1), strict=True):
        counts(world, p, yes=yes)
    services.projects_rank(meeting=town["session"], places=1, user=world.clerk_a)
    before = list(LivelihoodProject.objects.order_by("pk").values())
    urls = [reverse(f"congress:{n}", args=[projects[0].pk]) for n in PROJECT_URLS]
    urls += [reverse(f"congress:{n}", args=[town["session"].pk]) for n in MEETING_URLS]
    client = login(world.clerk_b)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"places": 1, "mode": "counts", "yes": 1, "no": 0, "abstain": 0}).status_code in (
            404,
            405,
        ), url
    assert list(LivelihoodProject.objects.order_by("pk").values()) == before
    client = login(world.clerk_a)
    for url in urls:
        assert client.get(url).status_code == 200, url
    # The board and the workflow pages never show township A's projects to township B.
    for name in ("livelihood-list", "livelihood-shortlist", "livelihood-agenda"):
        page = login(world.clerk_b).get(reverse(f"congress:{name}") + f"?year={YEAR}&township={world.town_a.pk}")
        assert "村道硬化" not in page.content.decode(), name


def test_board_and_county_list_take_a_constant_number_of_queries(world, town, login):
    def add(n):
        for _ in range(n):
            p = LivelihoodProjectFactory(region=world.town_a, year=YEAR, state=S.IN_PROGRESS, rank=1)
            ProjectProgressFactory(project=p, quarter=1, percent=10)
            LivelihoodProjectFactory(region=world.town_a, year=YEAR, state=S.ON_AGENDA,
                                     agenda_item=AgendaItem.objects.get_or_create(
                                         meeting=town["session"], kind=AgendaItem.Kind.LIVELIHOOD_VOTE,
                                         defaults={"title": "票决"})[0])  # fmt: skip

    for user in (world.clerk_a, world.county_admin):
        client = login(user)
        url = reverse("congress:livelihood-list") + f"?year={YEAR}"
        add(1)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        add(4)
        with CaptureQueriesContext(connection) as more:
            page = client.get(url).content.decode()
        assert len(more.captured_queries) == len(few.captured_queries), user.username
        assert "测试民生实事项目" in page


def test_update_page_locks_title_and_year_once_on_the_agenda(world, town, login):
    first, *_ = on_agenda(world, town, ["村道硬化", "饮水改造", "路灯安装"])
    client = login(world.clerk_a)
    url = reverse("congress:livelihood-update", args=[first.pk])
    assert "已提交票决，不能修改" in client.get(url).content.decode()
    data = {"year": YEAR + 1, "title": "偷改的名称", "source": "deputies", "responsible": "镇交通办"}
    assert client.post(url, data).status_code == 302
    first.refresh_from_db()
    assert (first.title, first.year, first.source, first.responsible) == ("村道硬化", YEAR, "deputies", "镇交通办")


def test_sidebar_entry_for_clerks_and_county_only():
    from org.menu import menu_for

    def titles(roles):
        return {(s["title"], i["title"]) for s in menu_for(set(roles)) for i in s["items"]}

    assert ("人大工作", "民生实事票决") in titles(["township_clerk"])
    assert ("人大工作", "民生实事票决") in titles(["county_admin"])
    assert ("人大工作", "民生实事票决") not in titles(["deputy"])
