"""Duty points 履职积分: rules, the computation from records, caps, the job, rankings, the
minimums check, the pages and their scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import selectors_points as selectors
from assessments.models import PointEntry, PointRule
from assessments.services_points import point_rule_save, point_rules_preload, points_compute
from congress.models import Meeting, Suggestion, SupervisionItem
from deputies.models import Deputy, Mandate
from org.jobs import JobContext, job_execute
from org.models import Job
from stations.models import Activity
from tests.factories import (
    ActivityFactory,
    AttendanceFactory,
    DeputyFactory,
    MandateFactory,
    MeetingFactory,
    PointRuleFactory,
    ReceptionFactory,
    RegionFactory,
    StationFactory,
    SuggestionFactory,
    SupervisionItemFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db
YEAR = 2026
Event = PointRule.Event


def d(month, day, year=YEAR):
    return datetime.date(year, month, day)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def rules(world):
    point_rules_preload(county=world.county, year=2020)
    return {r.event: r for r in PointRule.objects.filter(region=world.county)}


def session(township, term, when, state=Meeting.State.HELD, kind=Meeting.Kind.SESSION):
    return MeetingFactory(region=township, term=term, date=when, state=state, kind=kind)


def activity(township, deputy, kind, when, status=Activity.Status.CONFIRMED, topic=None):
    row = ActivityFactory(region=township, kind=kind, date=when, status=status, topic=topic or f"{kind}{when}")
    row.participants.add(deputy)
    return row


def reception(township, deputy, when, station=None):
    row = ReceptionFactory(station=station or StationFactory(region=township), date=when)
    row.deputies.add(deputy)
    return row


@pytest.fixture
def records(world, rules):
    """Known records of one deputy of township A, and what they are worth by hand."""
    deputy = DeputyFactory(region=world.town_a, name="积分测试代表")
    term = TermFactory(region=world.town_a)
    for month, status in ((1, "present"), (3, "present"), (6, "absent"), (9, "leave")):
        AttendanceFactory(meeting=session(world.town_a, term, d(month, 10)), deputy=deputy, status=status)
    # A planned session and a presidium meeting give nothing, nor does last year's session.
    AttendanceFactory(meeting=session(world.town_a, term, d(12, 1), state=Meeting.State.PLANNED), deputy=deputy)
    AttendanceFactory(meeting=session(world.town_a, term, d(2, 1), kind=Meeting.Kind.PRESIDIUM), deputy=deputy)
    AttendanceFactory(meeting=session(world.town_a, term, d(3, 1, 2025)), deputy=deputy)
    led = SuggestionFactory(
        region=world.town_a, term=term, lead_deputy=deputy, submitted_on=d(3, 2), title="关于修缮甲村村道的建议"
    )
    SuggestionFactory(region=world.town_a, term=term, lead_deputy=deputy, state=Suggestion.State.DRAFT)
    station = StationFactory(region=world.town_a, name="甲镇代表之家")
    for month in (2, 5, 8):
        reception(world.town_a, deputy, d(month, 12), station=station)
    activity(world.town_a, deputy, Activity.Kind.TRAINING, d(4, 1))
    report = activity(world.town_a, deputy, Activity.Kind.REPORT_TO_VOTERS, d(10, 8), topic="向甲村选民述职")
    activity(world.town_a, deputy, Activity.Kind.INSPECTION, d(5, 5), status=Activity.Status.PENDING)
    expected = 5 + 5 - 5 + 3 + 3 * 2 + 1 + 5
    return {"deputy": deputy, "term": term, "expected": Decimal(expected), "led": led, "report": report}


def entry_tuples(deputy_ids=None):
    qs = PointEntry.objects.all()
    if deputy_ids is not None:
        qs = qs.filter(deputy_id__in=deputy_ids)
    return sorted(
        qs.values_list(
            "deputy_id", "year", "date", "rule_id", "event", "points", "capped", "source_label", "source_url"
        )
    )


# --- computation ----------------------------------------------------------------------------


def test_points_from_known_records_equal_the_hand_sum(world, records):
    result = points_compute(region=world.county, year=YEAR)
    deputy = records["deputy"]
    entries = PointEntry.objects.filter(deputy=deputy, year=YEAR)
    assert selectors.entries_total(entries) == records["expected"] == Decimal(20)
    by_event = sorted(entries.values_list("event", flat=True))
    assert by_event == sorted(
        [Event.SESSION_PRESENT] * 2
        + [Event.SESSION_ABSENT, Event.SUGGESTION_LEAD, Event.TRAINING, Event.REPORT_TO_VOTERS]
        + [Event.RECEPTION_DUTY] * 3
    )  # the pending inspection, the leave, the draft, the planned and last year's meetings: nothing
    assert result["townships"] == 2 and result["entries"] == 9 and result["deputies"] == 1
    lead = entries.get(event=Event.SUGGESTION_LEAD)
    assert lead.source_label == "领衔提出建议：关于修缮甲村村道的建议"
    assert lead.source_url == records["led"].get_absolute_url()
    report = entries.get(event=Event.REPORT_TO_VOTERS)
    assert report.points == 5 and report.source_url == records["report"].get_absolute_url()
    absent = entries.get(event=Event.SESSION_ABSENT)
    assert absent.points == -5 and "无故缺席" in absent.source_label and absent.date == d(6, 10)


def test_joint_suggestions_and_supervision_count(world, rules):
    deputy = DeputyFactory(region=world.town_a)
    term = TermFactory(region=world.town_a)
    joined = SuggestionFactory(region=world.town_a, term=term, lead_deputy=DeputyFactory(region=world.town_a))
    joined.co_deputies.add(deputy)
    refused = SuggestionFactory(region=world.town_a, term=term, lead_deputy=deputy, state=Suggestion.State.NOT_ACCEPTED)
    assert refused  # 不予立案: no points
    held = SupervisionItemFactory(
        region=world.town_a, kind=SupervisionItem.Kind.INSPECTION, state=SupervisionItem.State.HELD, date=d(5, 1)
    )
    review = SupervisionItemFactory(region=world.town_a, state=SupervisionItem.State.CLOSED, date=d(6, 1))
    planned = SupervisionItemFactory(region=world.town_a, state=SupervisionItem.State.PLANNED, date=d(7, 1))
    for item in (held, review, planned):
        item.participants.add(deputy)
    points_compute(region=world.town_a, year=YEAR)
    events = sorted(PointEntry.objects.filter(deputy=deputy).values_list("event", "points"))
    assert events == sorted(
        [(Event.SUGGESTION_JOINT, Decimal(1)), (Event.INSPECTION, Decimal(2)), (Event.SUPERVISION, Decimal(2))]
    )


def test_cap_keeps_the_line_but_does_not_count_it(world, rules):
    assert rules[Event.VISIT_VOTERS].yearly_cap == 12 and rules[Event.VISIT_VOTERS].points == 1
    deputy = DeputyFactory(region=world.town_a)
    for day in range(1, 14):
        activity(world.town_a, deputy, Activity.Kind.VISIT_VOTERS, d(3, day))
    points_compute(region=world.town_a, year=YEAR)
    lines = list(PointEntry.objects.filter(deputy=deputy).order_by("date"))
    assert len(lines) == 13
    assert [e.capped for e in lines] == [False] * 12 + [True]
    assert lines[-1].date == d(3, 13) and lines[-1].points == 1  # the points it would have had
    assert selectors.entries_total(PointEntry.objects.filter(deputy=deputy)) == 12


def test_rules_are_valid_by_year_and_by_county(world):
    PointRuleFactory(region=world.county, event=Event.TRAINING, points=1, valid_from=2020, valid_to=2025)
    PointRuleFactory(region=world.county, event=Event.TRAINING, points=3, valid_from=2026)
    other_county = RegionFactory.county(name="邻县")
    other_town = RegionFactory.township(other_county, name="邻县丙镇")
    PointRuleFactory(region=other_county, event=Event.TRAINING, points=7, valid_from=2020)
    ours, theirs = DeputyFactory(region=world.town_a), DeputyFactory(region=other_town)
    for year in (2025, 2026):
        activity(world.town_a, ours, Activity.Kind.TRAINING, d(4, 1, year))
        activity(other_town, theirs, Activity.Kind.TRAINING, d(4, 1, year))
        points_compute(region=world.county, year=year)
        points_compute(region=other_county, year=year)
    got = dict(PointEntry.objects.filter(deputy=ours).values_list("year", "points"))
    assert got == {2025: Decimal(1), 2026: Decimal(3)}
    assert set(PointEntry.objects.filter(deputy=theirs).values_list("points", flat=True)) == {Decimal(7)}
    # An event without a rule gives nothing.
    activity(world.town_a, ours, Activity.Kind.GROUP, d(5, 1))
    points_compute(region=world.town_a, year=2026)
    assert not PointEntry.objects.filter(deputy=ours, event=Event.GROUP).exists()


def test_rerunning_gives_identical_rows(world, records):
    points_compute(region=world.county, year=YEAR)
    first = entry_tuples()
    first_pks = set(PointEntry.objects.values_list("pk", flat=True))
    points_compute(region=world.county, year=YEAR)
    assert entry_tuples() == first and len(first) == 9
    assert not first_pks & set(PointEntry.objects.values_list("pk", flat=True))  # rebuilt, not appended
    # A record removed is gone after the next run; other years are left alone.
    other_year = PointEntry.objects.create(
        deputy=records["deputy"], year=2025, date=d(1, 1, 2025), rule=PointRule.objects.first(),
        event=Event.TRAINING, points=1, source_label="上年",
    )  # fmt: skip
    records["report"].delete()
    points_compute(region=world.county, year=YEAR)
    assert len(entry_tuples()) == 9  # 8 of this year + last year's line
    assert PointEntry.objects.filter(pk=other_year.pk).exists()


def test_compute_issues_a_constant_number_of_queries_per_township(world, rules, django_assert_max_num_queries):
    term = TermFactory(region=world.town_a)
    meeting = session(world.town_a, term, d(3, 1))
    for i in range(15):
        deputy = DeputyFactory(region=world.town_a)
        AttendanceFactory(meeting=meeting, deputy=deputy)
        activity(world.town_a, deputy, Activity.Kind.VISIT_VOTERS, d(4, 1 + i))
        reception(world.town_a, deputy, d(5, 1 + i))
    # 2 setup reads + per township (2): 6 record reads, a delete, an insert, savepoints.
    with django_assert_max_num_queries(30):
        result = points_compute(region=world.county, year=YEAR)
    assert result["entries"] == 45


# --- rules ----------------------------------------------------------------------------------


def test_preload_is_idempotent_and_has_the_defaults(world):
    created = point_rules_preload(county=world.county, year=2026)
    assert len(created) == len(Event.values)
    assert point_rules_preload(county=world.county, year=2026) == []
    assert PointRule.objects.get(region=world.county, event=Event.SESSION_ABSENT).points == -5
    assert PointRule.objects.get(region=world.county, event=Event.RECEPTION_DUTY).yearly_cap == 24
    with pytest.raises(ValidationError):
        point_rules_preload(county=world.town_a, year=2026)


def test_rule_save_validates_in_chinese(world, rules):
    common = {"user": world.county_admin, "county": world.county, "points": Decimal(2)}
    with pytest.raises(ValidationError) as exc:
        point_rule_save(event=Event.GROUP, valid_from=2027, valid_to=2026, **common)
    assert "截止年度（2026）不能早于起始年度（2027）" in exc.value.message_dict["valid_to"][0]
    with pytest.raises(ValidationError) as exc:
        point_rule_save(event=Event.GROUP, valid_from=2024, valid_to=None, **common)
    assert (
        "年度重叠" in exc.value.message_dict["valid_from"][0]
        and "参加小组活动" in exc.value.message_dict["valid_from"][0]
    )
    with pytest.raises(ValidationError, match="县人大代表工委"):
        point_rule_save(**{**common, "user": world.clerk_a}, event=Event.GROUP, valid_from=2030)
    # The running rule ended, a new one from 2027: no overlap.
    point_rule_save(user=world.county_admin, rule=rules[Event.GROUP], event=Event.GROUP, points=Decimal(1),
                    valid_from=2020, valid_to=2026)  # fmt: skip
    rule = point_rule_save(event=Event.GROUP, valid_from=2027, **common)
    assert rule.region == world.county and rule.points == 2


# --- the job ----------------------------------------------------------------------------------


def test_job_runs_in_process_with_progress(world, records, media, monkeypatch):
    messages = []
    original = JobContext.progress

    def spy(self, percent, message="", force=False):
        messages.append((int(percent), message))
        return original(self, percent, message, force=True)

    monkeypatch.setattr(JobContext, "progress", spy)
    job = Job.objects.create(
        kind="points_compute", region=world.county, requested_by=world.county_admin, params={"year": YEAR}
    )
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert job.progress == 100 and job.output_name == f"履职积分计算结果-测试县-{YEAR}.xlsx"
    assert "2个乡镇1名代表" in job.message and "共9条" in job.message
    assert (50, "已计算 1/2 个乡镇（甲镇）") in messages and (100, "已计算 2/2 个乡镇（乙镇）") in messages
    assert selectors.entries_total(PointEntry.objects.filter(deputy=records["deputy"])) == records["expected"]


def test_job_of_another_township_is_refused(world, records, media):
    job = Job.objects.create(kind="points_compute", region=world.town_a, requested_by=world.clerk_b, params={})
    job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and not PointEntry.objects.exists()


def test_compute_view_creates_the_job(world, login, django_capture_on_commit_callbacks):
    client = login(world.clerk_a)
    response = client.post(reverse("assessments:points-compute"), {"year": "2026"})
    job = Job.objects.get(kind="points_compute")
    assert response.status_code == 302 and response["Location"] == reverse("org:job-detail", args=[job.pk])
    assert job.region == world.town_a and job.params == {"year": 2026}
    response = login(world.clerk_b).post(reverse("assessments:points-compute"), {"region": world.town_a.pk})
    assert response.status_code == 404 and Job.objects.count() == 1


# --- ranking and minimums ---------------------------------------------------------------------


def test_ranking_ties_share_a_rank(world, rules):
    term = TermFactory(region=world.town_a)
    names = {"甲一": 2, "甲二": 2, "甲三": 1}
    deputies = {}
    for name, count in names.items():
        deputies[name] = DeputyFactory(region=world.town_a, name=name)
        MandateFactory(deputy=deputies[name], region=world.town_a, term=term)
        for i in range(count):
            reception(world.town_a, deputies[name], d(3, 1 + i))
    idle = DeputyFactory(region=world.town_a, name="甲四")
    MandateFactory(deputy=idle, region=world.town_a, term=term)
    b = DeputyFactory(region=world.town_b, name="乙一")
    reception(world.town_b, b, d(3, 1))
    DeputyFactory(region=world.town_a, name="往届代表")  # no seat, no points: not ranked
    points_compute(region=world.county, year=YEAR)
    rows = {r.name: r for r in selectors.ranking(Deputy.objects.all(), YEAR)}
    assert set(rows) == {"甲一", "甲二", "甲三", "甲四", "乙一"}
    assert (rows["甲一"].total, rows["甲一"].township_rank) == (4, 1)
    assert (rows["甲二"].total, rows["甲二"].township_rank) == (4, 1)
    assert (rows["甲三"].township_rank, rows["甲四"].township_rank, rows["甲四"].total) == (2, 3, 0)
    assert (rows["乙一"].township_rank, rows["乙一"].county_rank, rows["甲三"].county_rank) == (1, 2, 2)

    page = login_get(world, "county_admin", reverse("assessments:points-ranking") + "?year=2026")
    assert "甲一" in page and "乙一" in page and "全县名次" in page
    page = login_get(world, "clerk_b", reverse("assessments:points-ranking") + "?year=2026")
    assert "乙一" in page and "甲一" not in page and "甲四" not in page


def login_get(world, who, url):
    from django.test import Client

    client = Client()
    client.force_login(getattr(world, who), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(url)
    assert response.status_code == 200, (who, url, response.status_code)
    return response.content.decode()


def test_minimums_list_the_deputies_short(world):
    term = TermFactory(region=world.town_a)  # ends 2026: the report to voters is due this year
    full = DeputyFactory(region=world.town_a, name="全勤代表")
    short = DeputyFactory(region=world.town_a, name="欠缺代表")
    for deputy in (full, short):
        MandateFactory(deputy=deputy, region=world.town_a, term=term)
        activity(world.town_a, deputy, Activity.Kind.VISIT_VOTERS, d(3, 1))
        reception(world.town_a, deputy, d(4, 1))
        SuggestionFactory(region=world.town_a, term=term, lead_deputy=deputy, submitted_on=d(3, 2))
    activity(world.town_a, full, Activity.Kind.TRAINING, d(5, 1))
    activity(world.town_a, full, Activity.Kind.REPORT_TO_VOTERS, d(1, 5, 2024))  # earlier in the term
    activity(world.town_a, short, Activity.Kind.TRAINING, d(5, 1), status=Activity.Status.PENDING)
    resigned = DeputyFactory(region=world.town_a, name="辞职代表")
    MandateFactory(deputy=resigned, region=world.town_a, term=term, status=Mandate.Status.RESIGNED)

    rows = list(selectors.short_of_minimums(Mandate.objects.all(), YEAR))
    assert [r.deputy.name for r in rows] == ["欠缺代表"]
    assert selectors.missing_of(rows[0]) == ["参加学习培训", "本届向选民述职"]
    # In 2025 the term still runs: the report is not yet due, and nothing else was done that year.
    rows_2025 = {r.deputy.name: selectors.missing_of(r) for r in selectors.short_of_minimums(Mandate.objects, 2025)}
    assert rows_2025["全勤代表"] == ["走访选民", "提出建议", "进站接待选民", "参加学习培训"]

    page = login_get(world, "clerk_a", reverse("assessments:points-minimums") + "?year=2026")
    assert "欠缺代表" in page and "未参加学习培训" in page and "全勤代表" not in page
    page = login_get(world, "clerk_b", reverse("assessments:points-minimums") + "?year=2026")
    assert "欠缺代表" not in page


# --- pages and scope --------------------------------------------------------------------------


def test_rule_pages_county_edits_townships_read(world, rules, login):
    rule = rules[Event.TRAINING]
    town_rule = PointRuleFactory(region=world.town_a, event=Event.GROUP, points=Decimal("2.5"))
    page = login(world.clerk_b).get(reverse("assessments:point-rule-list")).content.decode()
    assert "参加学习培训 +1分" in page and "参加小组活动 +2.5分" not in page and "加载默认规则" not in page
    assert login(world.clerk_b).get(reverse("assessments:point-rule-update", args=[town_rule.pk])).status_code == 404
    assert login(world.clerk_b).post(reverse("assessments:point-rule-delete", args=[town_rule.pk])).status_code == 404
    assert login(world.clerk_a).get(reverse("assessments:point-rule-update", args=[rule.pk])).status_code == 403
    assert login(world.clerk_a).post(reverse("assessments:point-rule-create"), {}).status_code == 403
    assert login(world.clerk_a).post(reverse("assessments:point-rule-preload"), {}).status_code == 403

    client = login(world.county_admin)
    url = reverse("assessments:point-rule-update", args=[rule.pk])
    data = {"event": Event.TRAINING, "points": "2", "yearly_cap": "10", "valid_from": "2020", "valid_to": "2019"}
    response = client.post(url, data)
    assert response.status_code == 200 and "截止年度（2019）不能早于起始年度（2020）" in response.content.decode()
    response = client.post(url, {**data, "valid_to": ""})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points, rule.yearly_cap) == (2, 10)
    response = client.post(
        reverse("assessments:point-rule-create"), {"event": Event.TRAINING, "points": "1", "valid_from": "2027"}
    )
    assert response.status_code == 200 and "年度重叠" in response.content.decode()
    response = client.post(reverse("assessments:point-rule-delete", args=[rule.pk]))
    assert response.status_code == 302 and not PointRule.objects.filter(pk=rule.pk).exists()
    response = client.post(reverse("assessments:point-rule-preload"), {"county": world.county.pk, "year": 2026})
    assert response.status_code == 302
    assert PointRule.objects.get(region=world.county, event=Event.TRAINING, valid_from=2026).points == 1


def test_duty_file_panel_shows_entries_and_my_points(world, records, login):
    deputy = records["deputy"]
    deputy.user = world.deputy_a
    deputy.save()
    # Visits past the cap show marked.
    rules = {r.event: r for r in PointRule.objects.filter(region=world.county)}
    rules[Event.VISIT_VOTERS].yearly_cap = 1
    rules[Event.VISIT_VOTERS].save()
    activity(world.town_a, deputy, Activity.Kind.VISIT_VOTERS, d(7, 1), topic="走访甲村一组")
    activity(world.town_a, deputy, Activity.Kind.VISIT_VOTERS, d(7, 2), topic="走访甲村二组")
    points_compute(region=world.town_a, year=YEAR)

    page = login(world.clerk_a).get(deputy.get_absolute_url()).content.decode()
    assert 'id="panel-points"' in page and "履职积分" in page
    assert "领衔提出建议：关于修缮甲村村道的建议" in page and records["led"].get_absolute_url() in page
    assert "超出上限不计" in page and "走访选民：走访甲村二组" in page
    assert "积分合计 <strong>21</strong>" in page  # 20 + one counted visit
    assert login(world.clerk_b).get(deputy.get_absolute_url()).status_code == 404

    page = login(world.deputy_a).get(reverse("assessments:my-points") + "?year=2026").content.decode()
    assert "向选民述职" in page and "走访甲村二组" in page and ">21<" in page
    assert login(world.clerk_b).get(reverse("assessments:my-points")).status_code == 403


def test_my_points_shows_only_own_lines(world, records, login):
    other = DeputyFactory(region=world.town_a, user=world.deputy_a, name="本人代表")
    activity(world.town_a, other, Activity.Kind.TRAINING, d(4, 2), topic="本人参加的培训")
    points_compute(region=world.town_a, year=YEAR)
    page = login(world.deputy_a).get(reverse("assessments:my-points") + "?year=2026").content.decode()
    assert "本人参加的培训" in page and "关于修缮甲村村道的建议" not in page


def test_every_points_url_hides_township_a_from_clerk_b(world, records, login):
    points_compute(region=world.county, year=YEAR)
    town_rule = PointRuleFactory(region=world.town_a, event=Event.GROUP, points=9)
    client = login(world.clerk_b)
    for name in ("points-ranking", "points-minimums", "point-rule-list"):
        response = client.get(reverse(f"assessments:{name}") + "?year=2026")
        text = response.content.decode()
        assert response.status_code == 200 and "积分测试代表" not in text and "+9分" not in text, name
    for name in ("point-rule-update", "point-rule-delete"):
        assert client.get(reverse(f"assessments:{name}", args=[town_rule.pk])).status_code == 404
        assert client.post(reverse(f"assessments:{name}", args=[town_rule.pk])).status_code == 404
    assert PointRule.objects.filter(pk=town_rule.pk, points=9).exists()
    assert client.post(reverse("assessments:points-compute"), {"region": world.town_a.pk}).status_code == 404
    assert client.get(reverse("assessments:my-points")).status_code == 403
    # County staff and the township-A clerk do see the deputy (so the absence above means something).
    for user in (world.county_admin, world.clerk_a):
        assert "积分测试代表" in login(user).get(reverse("assessments:points-ranking") + "?year=2026").content.decode()


def test_duty_file_pdf_html_has_the_points_panel(world, records):
    from django.test import RequestFactory

    from deputies.pdf import render_duty_file_html

    points_compute(region=world.town_a, year=YEAR)
    request = RequestFactory().get("/")
    request.user = world.clerk_a
    html, _full = render_duty_file_html(request, records["deputy"])
    assert "履职积分" in html and "向甲村选民述职" in html and "<strong>20</strong>" in html


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the region picker is cached after the first page (org/context_processors.py)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_ranking_and_minimums_pages_read_a_constant_number_of_queries(world, rules, login):
    term = TermFactory(region=world.town_a)

    def add(n):
        for _ in range(n):
            deputy = DeputyFactory(region=world.town_a)
            MandateFactory(deputy=deputy, region=world.town_a, term=term)
            reception(world.town_a, deputy, d(3, 1))
        points_compute(region=world.county, year=YEAR)

    client = login(world.county_admin)
    urls = [reverse(f"assessments:{n}") + "?year=2026" for n in ("points-ranking", "points-minimums")]
    add(2)
    few = [_queries(client, u) for u in urls]
    add(20)
    assert [_queries(client, u) for u in urls] == few
