"""The township assessment 目标考核: metrics against counts made here, compute, hand scores,
grades and the 优秀 cap, ranks, the right of reply, scope, the jobs and the reports."""

from __future__ import annotations

import datetime
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments import metrics
from assessments import services_assessment as services
from assessments.models import Assessment, ChecklistItem, PublicityItem, Score, TownshipResult
from congress.models import Attendance, Meeting
from org.jobs import job_create, job_execute
from org.models import Job
from stations.models import Activity, VoterIssue
from tests.factories import (
    ActivityFactory,
    AttendanceFactory,
    DeputyFactory,
    MandateFactory,
    MeetingFactory,
    PointEntryFactory,
    PointRuleFactory,
    PublicityItemFactory,
    ReceptionFactory,
    RegionFactory,
    StarRatingFactory,
    StarRuleFactory,
    StationFactory,
    SuggestionAssignmentFactory,
    SuggestionFactory,
    TermFactory,
    VoterIssueFactory,
)

pytestmark = pytest.mark.django_db
YEAR = 2026
D = datetime.date


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _ids(world):
    return [world.town_a.pk, world.town_b.pk]


def _assessment(world, **kw):
    return services.assessment_create(county=world.county, year=YEAR, user=world.county_admin, **kw)


# --- metrics against independent counts ------------------------------------------------------


def test_sessions_held_counts_held_sessions_with_quorum(world):
    term = TermFactory(region=world.town_a)
    MeetingFactory(region=world.town_a, term=term, state=Meeting.State.HELD, date=D(YEAR, 3, 1))
    # Held but without quorum (3 serving, none present): not lawful.
    MeetingFactory(region=world.town_a, term=term, state=Meeting.State.HELD, date=D(YEAR, 9, 1), serving_count=3)
    # Quorum met: 2 of 3 present.
    m = MeetingFactory(region=world.town_a, term=term, state=Meeting.State.HELD, date=D(YEAR, 10, 1), serving_count=3)
    for _ in range(2):
        AttendanceFactory(meeting=m, deputy=DeputyFactory(region=world.town_a), status=Attendance.Status.PRESENT)
    MeetingFactory(region=world.town_a, term=term, state=Meeting.State.PLANNED, date=D(YEAR, 11, 1))
    MeetingFactory(region=world.town_a, term=term, state=Meeting.State.HELD, date=D(YEAR - 1, 11, 1))
    MeetingFactory(region=world.town_a, term=term, state=Meeting.State.HELD, date=D(YEAR, 4, 1),
                   kind=Meeting.Kind.PRESIDIUM)  # fmt: skip
    MeetingFactory(region=world.town_b, term=TermFactory(region=world.town_b), state=Meeting.State.HELD,
                   date=D(YEAR, 5, 1))  # fmt: skip

    # Independently: held sessions in the year, minus the one short of quorum.
    lawful_a = 2
    out = metrics.compute(ChecklistItem.Metric.SESSIONS_HELD, _ids(world), YEAR, Decimal(10), {"min": 2})
    assert out[world.town_a.pk] == (Decimal("2.000"), Decimal("10.0"))
    assert out[world.town_a.pk][0] == lawful_a
    assert out[world.town_b.pk] == (Decimal("1.000"), Decimal("5.0"))


def test_presidium_quarters_counts_quarters_with_a_held_meeting(world):
    term = TermFactory(region=world.town_a)
    for month in (2, 3, 8):
        MeetingFactory(region=world.town_a, term=term, kind=Meeting.Kind.PRESIDIUM, state=Meeting.State.HELD,
                       date=D(YEAR, month, 5))  # fmt: skip
    out = metrics.compute(ChecklistItem.Metric.PRESIDIUM_QUARTERS, _ids(world), YEAR, Decimal(8), {})
    assert out[world.town_a.pk] == (Decimal("2.000"), Decimal("4.0"))
    assert out[world.town_b.pk][1] == Decimal("0.0")


def test_suggestions_on_time_is_the_share_answered_by_the_due_date(world):
    s = SuggestionFactory.in_township(world.town_a)
    rows = [
        SuggestionAssignmentFactory(suggestion=s, unit=world.unit_a, due_on=D(YEAR, 6, 1), answered_on=D(YEAR, 5, 30)),
        SuggestionAssignmentFactory(
            suggestion=s, unit=world.unit_a, round=2, due_on=D(YEAR, 6, 1), answered_on=D(YEAR, 6, 2)
        ),  # fmt: skip
        SuggestionAssignmentFactory(suggestion=s, unit=world.unit_a, round=3, due_on=D(YEAR, 7, 1)),
        SuggestionAssignmentFactory(
            suggestion=s, unit=world.unit_a, round=4, due_on=D(YEAR, 8, 1), answered_on=D(YEAR, 8, 1)
        ),  # fmt: skip
    ]
    # Due the next year: not counted.
    SuggestionAssignmentFactory(suggestion=s, unit=world.unit_a, round=5, due_on=D(YEAR + 1, 1, 5))
    on_time = sum(1 for a in rows if a.answered_on and a.answered_on <= a.due_on)
    share = Decimal(on_time) / len(rows)
    out = metrics.compute(ChecklistItem.Metric.SUGGESTIONS_ON_TIME, _ids(world), YEAR, Decimal(12), {})
    assert out[world.town_a.pk] == (share.quantize(Decimal("0.001")), (12 * share).quantize(Decimal("0.1")))
    # Nothing due in township B: full points, no value.
    assert out[world.town_b.pk] == (None, Decimal("12.0"))


def test_receptions_per_room_divides_by_active_rooms(world):
    room1 = StationFactory(region=world.town_a)
    room2 = StationFactory(region=world.village_a)  # a room in a village counts for its township
    StationFactory(region=world.town_a, active=False)
    for _ in range(5):
        ReceptionFactory(station=room1, date=D(YEAR, 4, 1))
    ReceptionFactory(station=room2, date=D(YEAR, 4, 1))
    ReceptionFactory(station=room2, date=D(YEAR - 1, 4, 1))
    expected = Decimal(6) / Decimal(2)
    out = metrics.compute(ChecklistItem.Metric.RECEPTIONS_PER_ROOM, _ids(world), YEAR, Decimal(10), {"min": 12})
    assert out[world.town_a.pk] == (expected.quantize(Decimal("0.001")), Decimal("2.5"))
    assert out[world.town_b.pk] == (Decimal("0.000"), Decimal("0.0"))


def test_issues_fed_back_is_the_share_of_referred_issues(world):
    states = [VoterIssue.State.FED_BACK, VoterIssue.State.CLOSED, VoterIssue.State.REFERRED, VoterIssue.State.ANSWERED]
    for st in states:
        VoterIssueFactory(region=world.town_a, state=st, referred_on=D(YEAR, 3, 1), raised_on=D(YEAR, 3, 1))
    VoterIssueFactory(region=world.town_a, state=VoterIssue.State.ON_SPOT, raised_on=D(YEAR, 3, 1))  # not referred
    VoterIssueFactory(region=world.town_a, state=VoterIssue.State.FED_BACK, referred_on=D(YEAR - 1, 3, 1),
                      raised_on=D(YEAR - 1, 3, 1))  # fmt: skip
    done = VoterIssue.objects.filter(
        region=world.town_a, raised_on__year=YEAR, referred_on__isnull=False, state__in=["fed_back", "closed"]
    ).count()
    referred = VoterIssue.objects.filter(region=world.town_a, raised_on__year=YEAR, referred_on__isnull=False).count()
    out = metrics.compute(ChecklistItem.Metric.ISSUES_FED_BACK, _ids(world), YEAR, Decimal(8), {})
    assert (done, referred) == (2, 4)
    assert out[world.town_a.pk] == (Decimal("0.500"), Decimal("4.0"))


def test_publicity_weights_items_by_media_level(world):
    for level in ("national", "province", "city", "county", "county"):
        PublicityItemFactory(region=world.town_a, level=level, date=D(YEAR, 5, 1))
    PublicityItemFactory(region=world.town_a, level="national", date=D(YEAR - 1, 5, 1))
    PublicityItemFactory(region=world.town_b, level="city", date=D(YEAR, 5, 1))
    weights = {"national": 4, "province": 3, "city": 2, "county": 1}
    expected = sum(weights[p.level] for p in PublicityItem.objects.filter(region=world.town_a, date__year=YEAR))
    out = metrics.compute(ChecklistItem.Metric.PUBLICITY, _ids(world), YEAR, Decimal(8), {"target": 10})
    assert out[world.town_a.pk][0] == expected == 11
    assert out[world.town_a.pk][1] == Decimal("8.0")  # capped at the item's points
    assert out[world.town_b.pk] == (Decimal("2.000"), Decimal("1.6"))


def test_trainings_points_average_and_star_ratings(world):
    ActivityFactory(region=world.town_a, kind=Activity.Kind.TRAINING, date=D(YEAR, 2, 1))
    ActivityFactory(region=world.town_a, kind=Activity.Kind.TRAINING, date=D(YEAR, 2, 2),
                    status=Activity.Status.PENDING)  # fmt: skip
    out = metrics.compute(ChecklistItem.Metric.TRAININGS, _ids(world), YEAR, Decimal(6), {"min": 2})
    assert out[world.town_a.pk] == (Decimal("1.000"), Decimal("3.0"))

    term = TermFactory(region=world.town_a)
    deputies = [DeputyFactory(region=world.town_a) for _ in range(2)]
    for d in deputies:
        MandateFactory(deputy=d, region=world.town_a, term=term)
    rule = PointRuleFactory(region=world.county)
    PointEntryFactory(deputy=deputies[0], rule=rule, points=30)
    PointEntryFactory(deputy=deputies[1], rule=rule, points=10)
    PointEntryFactory(deputy=deputies[1], rule=rule, points=50, capped=True)
    out = metrics.compute(ChecklistItem.Metric.POINTS_AVERAGE, _ids(world), YEAR, Decimal(10), {"target": 50})
    assert out[world.town_a.pk] == (Decimal("20.000"), Decimal("4.0"))

    srule = StarRuleFactory(region=world.county, standard=StarRuleFactory.in_township(world.town_a).standard,
                            year=YEAR)  # fmt: skip
    StarRatingFactory(station=StationFactory(region=world.town_a), rule=srule, stars=4, state="published")
    StarRatingFactory(station=StationFactory(region=world.town_a), rule=srule, stars=3, state="reviewed")
    StarRatingFactory(station=StationFactory(region=world.town_a), rule=srule, stars=1, state="draft")
    out = metrics.compute(ChecklistItem.Metric.STAR_RATINGS, _ids(world), YEAR, Decimal(10), {})
    assert out[world.town_a.pk] == (Decimal("3.500"), Decimal("7.0"))


# --- compute, hand scores, grades, ranks ----------------------------------------------------


def test_default_checklist_totals_100_and_compute_is_idempotent(world):
    a = _assessment(world)
    assert services.checklist_total(a) == 100
    assert a.sections.count() == 4
    PublicityItemFactory(region=world.town_a, level="province", date=D(YEAR, 5, 1))
    services.assessment_compute(assessment=a, user=world.county_admin)
    first = sorted(Score.objects.filter(item__section__assessment=a).values_list("item_id", "township_id", "value",
                                                                                  "points"))  # fmt: skip
    totals = sorted(TownshipResult.objects.filter(assessment=a).values_list("township_id", "total", "rank"))
    services.assessment_compute(assessment=a, user=world.county_admin)
    again = sorted(Score.objects.filter(item__section__assessment=a).values_list("item_id", "township_id", "value",
                                                                                  "points"))  # fmt: skip
    assert first == again
    assert totals == sorted(TownshipResult.objects.filter(assessment=a).values_list("township_id", "total", "rank"))
    assert len(first) == 12 * 2
    pub = a.sections.get(title="宣传和自身建设").items.get(metric="publicity")
    assert Score.objects.get(item=pub, township=world.town_a).points == Decimal("2.4")


def test_compute_leaves_hand_scores_and_refuses_after_draft(world):
    a = _assessment(world)
    services.assessment_compute(assessment=a, user=world.county_admin)
    manual = ChecklistItem.objects.filter(section__assessment=a, method="manual").first()
    services.score_manual_set(item=manual, township=world.town_a, points=5, comment="台账齐全", user=world.county_admin)
    services.assessment_compute(assessment=a, user=world.county_admin)
    s = Score.objects.get(item=manual, township=world.town_a)
    assert (s.points, s.comment, s.scored_by) == (Decimal("5.0"), "台账齐全", world.county_admin)
    services.assessment_open_reply(assessment=a, deadline=D.today(), user=world.county_admin)
    with pytest.raises(ValidationError, match="评分中"):
        services.assessment_compute(assessment=a, user=world.county_admin)


def test_manual_score_bounds_and_who_may_score(world):
    a = _assessment(world)
    manual = ChecklistItem.objects.filter(section__assessment=a, method="manual").first()
    with pytest.raises(ValidationError) as e:
        services.score_manual_set(item=manual, township=world.town_a, points=manual.points + 1, user=world.county_admin)
    assert f"0至{manual.points}分" in str(e.value)
    with pytest.raises(ValidationError):
        services.score_manual_set(item=manual, township=world.town_a, points=-1, user=world.county_admin)
    with pytest.raises(PermissionDenied):
        services.score_manual_set(item=manual, township=world.town_a, points=1, user=world.clerk_a)
    computed = ChecklistItem.objects.filter(section__assessment=a, method="computed").first()
    with pytest.raises(ValidationError, match="系统计算"):
        services.score_manual_set(item=computed, township=world.town_a, points=1, user=world.county_admin)
    s = services.score_manual_set(item=manual, township=world.town_a, points=manual.points, user=world.county_admin)
    assert s.points == manual.points
    assert TownshipResult.objects.get(assessment=a, township=world.town_a).total >= manual.points


def _results_with_totals(world, totals, cap=None):
    a = _assessment(world, with_checklist=False, excellent_cap_percent=cap)
    county = world.county
    out = []
    for i, total in enumerate(totals):
        town = world.town_a if i == 0 else world.town_b if i == 1 else RegionFactory.township(county)
        out.append(TownshipResult.objects.create(assessment=a, township=town, total=Decimal(total)))
    return a, out


def test_grade_thresholds_and_the_excellent_cap(world):
    a, results = _results_with_totals(world, [95, 94, 93, 92, 91], cap=20)
    for r in results:
        r.township.refresh_from_db()
    services.grade_results(a, results)
    grades = [r.grade for r in results]
    assert grades.count("excellent") == 1 and results[0].grade == "excellent"
    assert grades.count("good") == 4

    a.excellent_cap_percent = None
    services.grade_results(a, results)
    assert all(r.grade == "excellent" for r in results)

    for total, grade in ((85, "good"), (60, "pass"), (59.9, "fail"), (90, "excellent")):
        results[0].total = Decimal(str(total))
        services.grade_results(a, results[:1])
        assert results[0].grade == grade, total


def test_finalize_ranks_ties_sharing(world):
    a, results = _results_with_totals(world, [80, 90, 90, 70])
    Assessment.objects.filter(pk=a.pk).update(state="reply")
    a.refresh_from_db()
    # With no checklist the totals come from the scores: set scores that give these totals.
    item = ChecklistItem.objects.create(
        section=a.sections.create(title="测试"), title="测试项", points=100, method="manual"
    )
    for r in results:
        Score.objects.create(item=item, township=r.township, points=r.total)
    services.assessment_finalize(assessment=a, user=world.county_admin)
    ranks = {r.total: r.rank for r in TownshipResult.objects.filter(assessment=a)}
    assert ranks == {Decimal("90.0"): 1, Decimal("80.0"): 3, Decimal("70.0"): 4}
    assert TownshipResult.objects.filter(assessment=a, rank=1).count() == 2
    a.refresh_from_db()
    assert a.state == "final"
    services.assessment_publish(assessment=a, user=world.county_admin)
    a.refresh_from_db()
    assert a.state == "published" and a.published_at


def test_reply_allowed_until_the_deadline_and_refused_after(world):
    a = _assessment(world)
    services.assessment_compute(assessment=a, user=world.county_admin)
    result = TownshipResult.objects.get(assessment=a, township=world.town_a)
    with pytest.raises(ValidationError, match="不在乡镇反馈阶段"):
        services.result_reply(result=result, text="宣传报道漏计", user=world.clerk_a)
    deadline = D.today() + datetime.timedelta(days=3)
    services.assessment_open_reply(assessment=a, deadline=deadline, user=world.county_admin)
    result.refresh_from_db()
    services.result_reply(result=result, text="宣传报道漏计一篇省级报道", user=world.clerk_a, today=deadline)
    result.refresh_from_db()
    assert result.reply == "宣传报道漏计一篇省级报道" and result.replied_at
    with pytest.raises(ValidationError, match="反馈截止日期.*已过"):
        services.result_reply(result=result, text="再补充", user=world.clerk_a,
                              today=deadline + datetime.timedelta(days=1))  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.result_reply(result=result, text="乙镇代答", user=world.clerk_b, today=deadline)
    services.result_reply_answer(result=result, text="已核实，予以补计。", user=world.county_admin)
    result.refresh_from_db()
    assert result.reply_answer == "已核实，予以补计。"


def test_reply_through_the_page_after_the_deadline_is_refused_in_chinese(world, login):
    a = _assessment(world)
    services.assessment_compute(assessment=a, user=world.county_admin)
    Assessment.objects.filter(pk=a.pk).update(state="reply", reply_deadline=D.today() - datetime.timedelta(days=1))
    result = TownshipResult.objects.get(assessment=a, township=world.town_a)
    client = login(world.clerk_a)
    response = client.post(result.get_absolute_url(), {"action": "reply", "reply": "晚了"}, follow=True)
    assert "已过，不能再提交反馈意见" in response.content.decode()
    result.refresh_from_db()
    assert result.reply == ""


# --- scope ---------------------------------------------------------------------------------


def test_clerk_sees_only_its_township(world, login):
    a = _assessment(world)
    services.assessment_compute(assessment=a, user=world.county_admin)
    res_a = TownshipResult.objects.get(assessment=a, township=world.town_a)
    res_b = TownshipResult.objects.get(assessment=a, township=world.town_b)
    client = login(world.clerk_a)
    assert client.get(res_a.get_absolute_url()).status_code == 200
    assert client.get(res_b.get_absolute_url()).status_code == 404
    page = client.get(a.get_absolute_url())
    assert page.status_code == 200
    rows = page.context["matrix"]["rows"]
    assert [r["township"] for r in rows] == [world.town_a]


def test_clerk_b_gets_404_on_every_pk_url_of_township_a(world, login):
    a = services.assessment_create(county=world.town_a, year=YEAR, user=None)
    services.assessment_compute(assessment=a)
    result = TownshipResult.objects.get(assessment=a, township=world.town_a)
    score = Score.objects.filter(township=world.town_a, item__section__assessment=a, item__method="manual").first()
    item = score.item
    pub = PublicityItemFactory(region=world.town_a)
    urls = [
        reverse("assessments:assessment-detail", args=[a.pk]),
        reverse("assessments:township-result", args=[result.pk]),
        reverse("assessments:score-update", args=[score.pk]),
        reverse("assessments:checklist-item-update", args=[item.pk]),
        reverse("assessments:checklist-item-delete", args=[item.pk]),
        reverse("assessments:publicity-update", args=[pub.pk]),
    ]
    client = login(world.clerk_b)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "compute"}).status_code == 404, url
    assert not Job.objects.exists()


def test_clerk_cannot_run_county_actions(world, login):
    a = _assessment(world)
    client = login(world.clerk_a)
    assert client.post(a.get_absolute_url(), {"action": "compute"}).status_code == 403
    assert not Job.objects.exists()


# --- jobs and reports ------------------------------------------------------------------------


def _finished(job):
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    return job


def _published(world):
    a = _assessment(world)
    for level in ("national", "province"):
        PublicityItemFactory(region=world.town_b, level=level, date=D(YEAR, 5, 1))
    _finished(job_create(kind="assessment_compute", region=world.county, user=world.county_admin,
                         params={"assessment": a.pk}))  # fmt: skip
    services.assessment_open_reply(assessment=a, deadline=D.today(), user=world.county_admin)
    services.assessment_finalize(assessment=a, user=world.county_admin)
    a.refresh_from_db()
    return a


def test_compute_job_is_idempotent(world):
    a = _assessment(world)
    params = {"assessment": a.pk}
    _finished(job_create(kind="assessment_compute", region=world.county, user=world.county_admin, params=params))
    first = sorted(Score.objects.values_list("item_id", "township_id", "value", "points"))
    job = _finished(job_create(kind="assessment_compute", region=world.county, user=world.county_admin, params=params))
    assert sorted(Score.objects.values_list("item_id", "township_id", "value", "points")) == first
    assert "2个乡镇" in job.message
    assert job.output.read().decode("utf-8-sig").startswith("排名,乡镇,总分")


def test_workbook_job_opens_with_calamine(world):
    from python_calamine import CalamineWorkbook

    a = _published(world)
    job = _finished(job_create(kind="assessment_workbook", region=world.county, user=world.county_admin,
                               params={"assessment": a.pk}))  # fmt: skip
    assert job.output_name.endswith(".xlsx")
    wb = CalamineWorkbook.from_filelike(io.BytesIO(job.output.read()))
    assert wb.sheet_names == ["排名", "依法履职", "代表工作", "阵地建设", "宣传和自身建设", "乙镇", "甲镇"]
    rows = wb.get_sheet_by_name("排名").to_python()
    assert rows[1][:4] == ["排名", "乡镇", "总分", "等次"]
    assert [r[1] for r in rows[2:]] == ["乙镇", "甲镇"]
    assert rows[2][0] == 1
    detail = wb.get_sheet_by_name("甲镇").to_python()
    assert detail[1][:6] == ["部分", "考核项目", "分值", "计算值", "得分", "上年得分"]


def _pdftext(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pdffonts(path):
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def _assert_cjk_embedded(path):
    lines = [ln for ln in _pdffonts(path).splitlines() if "CJK" in ln]
    assert lines, _pdffonts(path)
    assert all(" yes " in ln for ln in lines), lines


def test_notice_pdf_has_the_title_the_first_township_and_embedded_cjk(world):
    a = _published(world)
    job = _finished(job_create(kind="assessment_notice", region=world.county, user=world.county_admin,
                               params={"assessment": a.pk}))  # fmt: skip
    assert job.output.read(4) == b"%PDF"
    text = _pdftext(job.output.path)
    assert "关于2026年度乡镇人大工作目标考核结果的通报" in text.replace(" ", "")
    first = TownshipResult.objects.get(assessment=a, rank=1).township.name
    assert first == "乙镇" and first in text
    _assert_cjk_embedded(job.output.path)


def test_township_report_pdf(world):
    a = _published(world)
    result = TownshipResult.objects.get(assessment=a, township=world.town_a)
    job = _finished(job_create(kind="township_report", region=world.town_a, user=world.clerk_a,
                               params={"result": result.pk}))  # fmt: skip
    text = _pdftext(job.output.path).replace(" ", "")
    assert "甲镇2026年度人大工作报告" in text
    assert "考核得分" in text
    _assert_cjk_embedded(job.output.path)
    # Township B's clerk cannot have A's report built.
    other = _finished_or_failed(job_create(kind="township_report", region=world.town_b, user=world.clerk_b,
                                           params={"result": result.pk}))  # fmt: skip
    assert other.state == Job.State.FAILED and "不在您的管辖范围" in other.message


def _finished_or_failed(job):
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_detail_page_starts_the_compute_job(world, login):
    a = _assessment(world)
    client = login(world.county_admin)
    response = client.post(a.get_absolute_url(), {"action": "compute"})
    assert response.status_code == 302
    job = Job.objects.get(kind="assessment_compute")
    assert job.params == {"assessment": a.pk}
    page = client.get(a.get_absolute_url()).content.decode()
    assert f'id="job-{job.pk}"' in page
