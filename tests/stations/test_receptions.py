"""Receptions (接待选民) and the voter issue workflow: the services' transitions allowed and
refused, the reception recorded all-or-nothing, the 值日表 prefill, and the pages of the
township, the county and the handling unit (which sees only its own issues and never the
voter's phone)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deputies.panels import duty_file_panels
from org.panels import dashboard_panels
from org.roles import Role
from stations import selectors_receptions as selectors
from stations import services_receptions as services
from stations.models import Reception, VoterIssue, VoterIssueEvent
from tests.factories import (
    ActivityFactory,
    DeputyFactory,
    DutyRosterFactory,
    HandlingUnitFactory,
    MandateFactory,
    StationFactory,
    TermFactory,
    VoterIssueFactory,
    member,
)

pytestmark = pytest.mark.django_db

S = VoterIssue.State
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
PHONE = "13912345678"


@pytest.fixture
def town_a(world):
    """Township A with its home, three serving deputies and a second unit with its own user."""
    term = TermFactory(region=world.town_a)
    deputies = [DeputyFactory(region=world.town_a, name=n) for n in ("张值班", "李值班", "王代表")]
    for d in deputies:
        MandateFactory(deputy=d, region=world.town_a, term=term)
    unit_b = HandlingUnitFactory(region=world.town_a, name="甲镇水务站")
    return {
        "station": StationFactory(region=world.town_a, name="甲镇人大代表之家"),
        "deputies": deputies,
        "unit_b": unit_b,
        "unit_user_b": member(world.town_a, Role.HANDLING_UNIT, handling_unit=unit_b, username="unit_b"),
    }


def record(world, town_a, **kw):
    return services.voter_issue_record(
        region=world.town_a,
        station=town_a["station"],
        content=kw.pop("content", "村口路灯不亮，晚上出行不便"),
        source=kw.pop("source", VoterIssue.Source.OTHER),
        voter_name="赵选民",
        voter_phone=PHONE,
        voter_address="甲村三组12号",
        raised_on=kw.pop("raised_on", TODAY - 3 * DAY),
        user=world.clerk_a,
        **kw,
    )


def referred(world, town_a, unit=None, due_on=None):
    issue = record(world, town_a)
    return services.voter_issue_refer(
        issue=issue, unit=unit or world.unit_a, due_on=due_on or TODAY + 10 * DAY, user=world.clerk_a
    )


def states_of(issue):
    return list(issue.events.values_list("from_state", "to_state"))


# --- reception_create --------------------------------------------------------------------


def test_reception_with_one_issue_on_the_spot_and_one_referred(world, town_a):
    station, deputies = town_a["station"], town_a["deputies"]
    roster = DutyRosterFactory(station=station, date=TODAY - 2 * DAY)
    reception = services.reception_create(
        station=station,
        date=TODAY - 2 * DAY,
        deputies=deputies[:2],
        voter_count=5,
        summary="选民反映道路和灌溉问题。",
        issues=[
            {"content": "村道有坑", "category": "roads", "disposition": "on_spot", "answer": "已联系村委会修补。"},
            {
                "content": "灌溉渠堵塞",
                "voter_name": "钱选民",
                "voter_phone": PHONE,
                "disposition": "refer",
                "handling_unit": world.unit_a,
                "due_on": None,
            },
        ],  # fmt: skip
        user=world.clerk_a,
    )
    assert reception.roster == roster
    assert set(reception.deputies.all()) == set(deputies[:2])
    on_spot, sent = reception.issues.order_by("pk")
    assert (on_spot.state, on_spot.on_spot_answer, on_spot.category) == (S.ON_SPOT, "已联系村委会修补。", "roads")
    assert sent.state == S.REFERRED and sent.handling_unit == world.unit_a
    # Default due date: DEFAULT_REFERRAL_DAYS after the referral (made today).
    assert sent.referred_on == TODAY
    assert sent.due_on == TODAY + datetime.timedelta(days=services.DEFAULT_REFERRAL_DAYS)
    for issue in (on_spot, sent):
        assert issue.region == world.town_a and issue.station == station
        assert issue.source == VoterIssue.Source.RECEPTION and issue.raised_on == TODAY - 2 * DAY
    assert states_of(on_spot) == [("", S.RECORDED), (S.RECORDED, S.ON_SPOT)]
    assert states_of(sent) == [("", S.RECORDED), (S.RECORDED, S.REFERRED)]


def test_a_bad_row_saves_nothing_and_names_the_row(world, town_a):
    other_unit = HandlingUnitFactory(region=world.town_b, name="乙镇城建办")
    with pytest.raises(ValidationError, match="第2条反映问题.*不在您的管辖范围内"):
        services.reception_create(
            station=town_a["station"],
            date=TODAY,
            deputies=town_a["deputies"][:1],
            voter_count=2,
            summary="",
            issues=[
                {"content": "路灯坏了", "disposition": "on_spot", "answer": "马上修。"},
                {"content": "水管漏水", "disposition": "refer", "handling_unit": other_unit},
            ],
            user=world.clerk_a,
        )
    assert not Reception.objects.exists()
    assert not VoterIssue.objects.exists() and not VoterIssueEvent.objects.exists()


def test_reception_refuses_future_dates_and_deputies_of_another_township(world, town_a):
    stranger = DeputyFactory(region=world.town_b, name="乙镇代表")
    with pytest.raises(ValidationError) as exc:
        services.reception_create(
            station=town_a["station"],
            date=TODAY + DAY,
            deputies=[stranger],
            voter_count=0,
            summary="",
            issues=[{"content": "x"}],
            user=world.clerk_a,
        )
    errors = exc.value.message_dict
    assert errors["date"] == ["接待日期不能晚于今天。"]
    assert "乙镇代表" in errors["deputies"][0]
    assert "不能为0" in errors["voter_count"][0]


def test_reception_update_follows_the_roster_and_adds_issues(world, town_a):
    station = town_a["station"]
    reception = services.reception_create(
        station=station, date=TODAY - 5 * DAY, deputies=town_a["deputies"][:1], voter_count=1, summary="",
        issues=[{"content": "第一条"}], user=world.clerk_a,
    )  # fmt: skip
    assert reception.roster is None
    roster = DutyRosterFactory(station=station, date=TODAY - 4 * DAY)
    services.reception_update(
        reception=reception, date=TODAY - 4 * DAY, deputies=town_a["deputies"], voter_count=3, summary="补记",
        new_issues=[{"content": "第二条", "disposition": "refer", "handling_unit": world.unit_a}], user=world.clerk_a,
    )  # fmt: skip
    reception.refresh_from_db()
    assert reception.roster == roster and reception.voter_count == 3
    assert list(reception.issues.order_by("pk").values_list("content", "state", "raised_on")) == [
        ("第一条", S.RECORDED, TODAY - 4 * DAY),
        ("第二条", S.REFERRED, TODAY - 4 * DAY),
    ]


# --- the workflow: allowed transitions ----------------------------------------------------


def test_referred_answered_fed_back_closed(world, town_a):
    issue = referred(world, town_a)
    services.voter_issue_answer(issue=issue, answer="已安排维修。", user=world.unit_user_a)
    assert (issue.state, issue.answer, issue.answered_on, issue.answered_by) == (
        S.ANSWERED, "已安排维修。", TODAY, world.unit_user_a,
    )  # fmt: skip
    services.voter_issue_feed_back(issue=issue, method="phone", on=TODAY, note="满意", user=world.clerk_a)
    assert (issue.state, issue.feedback_method, issue.fed_back_on, issue.feedback_note) == (
        S.FED_BACK, "phone", TODAY, "满意",
    )  # fmt: skip
    services.voter_issue_close(issue=issue, user=world.clerk_a)
    assert issue.state == S.CLOSED and issue.closed_on == TODAY
    assert states_of(issue) == [
        ("", S.RECORDED),
        (S.RECORDED, S.REFERRED),
        (S.REFERRED, S.ANSWERED),
        (S.ANSWERED, S.FED_BACK),
        (S.FED_BACK, S.CLOSED),
    ]
    users = list(issue.events.values_list("user__username", flat=True))
    assert users == ["clerk_a", "clerk_a", "unit_a", "clerk_a", "clerk_a"]


def test_on_spot_then_closed_or_fed_back(world, town_a):
    first = record(world, town_a)
    services.voter_issue_handle_on_spot(issue=first, answer="当场解释了政策。", user=world.clerk_a)
    services.voter_issue_close(issue=first, user=world.clerk_a)
    assert first.state == S.CLOSED
    second = record(world, town_a)
    services.voter_issue_handle_on_spot(issue=second, answer="当场答复。", user=world.clerk_a)
    services.voter_issue_feed_back(issue=second, method="visit", on=TODAY, note="", user=world.clerk_a)
    assert second.state == S.FED_BACK
    assert states_of(second)[-1] == (S.ON_SPOT, S.FED_BACK)


def test_re_referral_moves_the_issue_to_another_unit(world, town_a):
    issue = referred(world, town_a)
    services.voter_issue_refer(issue=issue, unit=town_a["unit_b"], due_on=None, note="职责调整", user=world.clerk_a)
    assert issue.state == S.REFERRED and issue.handling_unit == town_a["unit_b"]
    event = issue.events.last()
    assert (event.from_state, event.to_state) == (S.REFERRED, S.REFERRED)
    assert "改转至甲镇水务站" in event.note and "职责调整" in event.note
    # The first unit no longer sees it.
    assert not VoterIssue.objects.for_user(world.unit_user_a).filter(pk=issue.pk).exists()


def test_the_clerk_may_answer_on_the_units_behalf(world, town_a):
    issue = record(world, town_a)
    services.voter_issue_refer(issue=issue, unit=world.unit_a, due_on=None, on=TODAY - 2 * DAY, user=world.clerk_a)
    assert issue.due_on == TODAY - 2 * DAY + datetime.timedelta(days=services.DEFAULT_REFERRAL_DAYS)
    services.voter_issue_answer(issue=issue, answer="据书面答复录入。", on=TODAY - DAY, user=world.clerk_a)
    assert issue.state == S.ANSWERED and issue.answered_on == TODAY - DAY


def test_transition_table_is_the_one_the_design_describes():
    assert services.allowed_steps(S.RECORDED) == ["handle_on_spot", "refer"]
    assert services.allowed_steps(S.REFERRED) == ["refer", "answer"]
    assert services.allowed_steps(S.ANSWERED) == ["feed_back"]
    assert services.allowed_steps(S.ON_SPOT) == ["feed_back", "close"]
    assert services.allowed_steps(S.FED_BACK) == ["close"]
    assert services.allowed_steps(S.CLOSED) == []


# --- refused transitions ------------------------------------------------------------------


def test_refused_transitions_name_the_state_and_change_nothing(world, town_a):
    fresh = record(world, town_a)
    sent = referred(world, town_a)
    refused = [
        (lambda: services.voter_issue_answer(issue=fresh, answer="答复", user=world.clerk_a), fresh, "待处理", "录入办理答复"),
        (lambda: services.voter_issue_close(issue=sent, user=world.clerk_a), sent, "已转办", "办结"),
        (lambda: services.voter_issue_feed_back(issue=sent, method="phone", on=TODAY, user=world.clerk_a), sent,
         "已转办", "反馈选民"),
        (lambda: services.voter_issue_feed_back(issue=fresh, method="phone", on=TODAY, user=world.clerk_a), fresh,
         "待处理", "反馈选民"),
        (lambda: services.voter_issue_handle_on_spot(issue=sent, answer="x", user=world.clerk_a), sent, "已转办",
         "当场答复"),
    ]  # fmt: skip
    for call, issue, state_label, verb in refused:
        events = issue.events.count()
        with pytest.raises(ValidationError) as exc:
            call()
        assert exc.value.messages == [f"该问题当前状态为“{state_label}”，不能{verb}。"]
        assert issue.events.count() == events
        issue.refresh_from_db()
        assert issue.state in (S.RECORDED, S.REFERRED) and not issue.answer and not issue.feedback_method


def test_closed_is_final(world, town_a):
    issue = record(world, town_a)
    services.voter_issue_handle_on_spot(issue=issue, answer="好", user=world.clerk_a)
    services.voter_issue_close(issue=issue, user=world.clerk_a)
    with pytest.raises(ValidationError, match="已办结"):
        services.voter_issue_refer(issue=issue, unit=world.unit_a, due_on=None, user=world.clerk_a)
    with pytest.raises(ValidationError, match="已办结"):
        services.voter_issue_close(issue=issue, user=world.clerk_a)


def test_dates_are_checked(world, town_a):
    issue = record(world, town_a)
    with pytest.raises(ValidationError, match="办理期限不能早于转办日期"):
        services.voter_issue_refer(issue=issue, unit=world.unit_a, due_on=TODAY - DAY, user=world.clerk_a)
    issue = services.voter_issue_refer(issue=issue, unit=world.unit_a, due_on=None, user=world.clerk_a)
    with pytest.raises(ValidationError, match="答复日期不能晚于今天"):
        services.voter_issue_answer(issue=issue, answer="a", on=TODAY + DAY, user=world.clerk_a)
    with pytest.raises(ValidationError, match="答复日期不能早于转办日期"):
        services.voter_issue_answer(issue=issue, answer="a", on=TODAY - DAY, user=world.clerk_a)
    services.voter_issue_answer(issue=issue, answer="a", user=world.clerk_a)
    with pytest.raises(ValidationError, match="反馈日期不能早于答复日期"):
        services.voter_issue_feed_back(issue=issue, method="sms", on=TODAY - DAY, user=world.clerk_a)
    with pytest.raises(ValidationError, match="请选择反馈方式"):
        services.voter_issue_feed_back(issue=issue, method="pigeon", on=TODAY, user=world.clerk_a)
    with pytest.raises(ValidationError, match="反映日期不能晚于今天"):
        record(world, town_a, raised_on=TODAY + DAY)
    assert issue.state == S.ANSWERED


def test_a_unit_cannot_answer_another_units_issue_in_the_service(world, town_a):
    issue = referred(world, town_a)
    with pytest.raises(PermissionDenied):
        services.voter_issue_answer(issue=issue, answer="不是我的", user=town_a["unit_user_b"])
    issue.refresh_from_db()
    assert issue.state == S.REFERRED


# --- overdue ------------------------------------------------------------------------------


def test_overdue_flag_and_selectors(world, town_a):
    late = referred(world, town_a)
    VoterIssue.objects.filter(pk=late.pk).update(referred_on=TODAY - 20 * DAY, due_on=TODAY - DAY)
    late.refresh_from_db()
    on_time = referred(world, town_a, due_on=TODAY)
    answered_late = referred(world, town_a)
    VoterIssue.objects.filter(pk=answered_late.pk).update(due_on=TODAY - DAY)
    answered_late.refresh_from_db()
    services.voter_issue_answer(issue=answered_late, answer="迟到的答复", user=world.clerk_a)
    assert late.is_overdue and not on_time.is_overdue and not answered_late.is_overdue
    qs = VoterIssue.objects.for_user(world.clerk_a)
    assert list(selectors.overdue_issues(qs)) == [late]
    counts = selectors.issue_state_counts(qs)
    assert (counts["referred"], counts["answered"], counts["overdue"], counts["total"]) == (2, 1, 1, 3)
    assert counts["not_fed_back"] == 3
    assert list(selectors.issue_list(qs, overdue=True)) == [late]


# --- pages: reception ---------------------------------------------------------------------


def reception_post(world, town_a, rows, **over):
    data = {
        "station": town_a["station"].pk,
        "date": (TODAY - DAY).isoformat(),
        "deputies": [d.pk for d in town_a["deputies"][:2]],
        "voter_count": "4",
        "summary": "接待情况",
        "issues-TOTAL_FORMS": str(len(rows)),
        "issues-INITIAL_FORMS": "0",
        "issues-MIN_NUM_FORMS": "0",
        "issues-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in {"category": "other", "disposition": "", **row}.items():
            data[f"issues-{i}-{key}"] = value
    data.update(over)
    return data


def test_clerk_records_a_reception_through_the_page(world, town_a, login):
    client = login(world.clerk_a)
    rows = [
        {"content": "路灯坏了", "disposition": "on_spot", "answer": "当场联系电工。"},
        {"content": "河道垃圾", "voter_phone": PHONE, "disposition": "refer", "handling_unit": world.unit_a.pk,
         "due_on": (TODAY + 7 * DAY).isoformat()},
        {"content": "", "disposition": ""},  # a blank extra row is left out
    ]  # fmt: skip
    response = client.post(reverse("stations:reception-create"), reception_post(world, town_a, rows))
    assert response.status_code == 302, response.context["form"].errors
    reception = Reception.objects.get()
    assert response["Location"] == reception.get_absolute_url()
    assert list(reception.issues.order_by("pk").values_list("state", flat=True)) == [S.ON_SPOT, S.REFERRED]
    assert reception.issues.get(state=S.REFERRED).due_on == TODAY + 7 * DAY
    page = client.get(reception.get_absolute_url()).content.decode()
    assert "河道垃圾" in page and "已转办" in page and "甲镇农业站" in page


def test_a_bad_row_on_the_page_is_named_and_nothing_is_saved(world, town_a, login):
    client = login(world.clerk_a)
    rows = [
        {"content": "路灯坏了", "disposition": "on_spot", "answer": "好"},
        {"content": "河道垃圾", "disposition": "refer"},
        {"content": "", "disposition": "on_spot"},
    ]
    response = client.post(reverse("stations:reception-create"), reception_post(world, town_a, rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert "转办请选择承办单位。" in page and "请填写反映内容。" in page
    assert "第<span data-row-number>2</span>条反映问题" in page
    assert not Reception.objects.exists() and not VoterIssue.objects.exists()


def test_a_unit_of_another_township_is_an_invalid_choice(world, town_a, login):
    other = HandlingUnitFactory(region=world.town_b, name="乙镇城建办")
    client = login(world.clerk_a)
    rows = [{"content": "水管漏水", "disposition": "refer", "handling_unit": other.pk}]
    response = client.post(reverse("stations:reception-create"), reception_post(world, town_a, rows))
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Reception.objects.exists()


def test_the_edit_page_changes_the_reception_and_adds_a_matter(world, town_a, login):
    reception = services.reception_create(
        station=town_a["station"], date=TODAY - 3 * DAY, deputies=town_a["deputies"][:1], voter_count=1,
        summary="", issues=[{"content": "第一条"}], user=world.clerk_a,
    )  # fmt: skip
    client = login(world.clerk_a)
    url = reverse("stations:reception-update", args=[reception.pk])
    page = client.get(url).content.decode()
    assert "已登记的 1 条问题" in page and 'name="issues-TOTAL_FORMS" value="0"' in page
    data = reception_post(world, town_a, [{"content": "补充一条", "disposition": "on_spot", "answer": "已解释"}])
    data.pop("station")
    data["deputies"] = [d.pk for d in town_a["deputies"]]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    reception.refresh_from_db()
    assert reception.date == TODAY - DAY and reception.deputies.count() == 3
    assert list(reception.issues.order_by("pk").values_list("content", "state")) == [
        ("第一条", S.RECORDED),
        ("补充一条", S.ON_SPOT),
    ]
    # Another township's clerk: 404; the county: may look, may not edit.
    assert login(world.clerk_b).get(url).status_code == 404
    assert login(world.county_admin).get(url).status_code == 403


def test_roster_prefills_the_deputies(world, town_a, login):
    station = town_a["station"]
    roster = DutyRosterFactory(station=station, date=TODAY - DAY)
    roster.deputies.set(town_a["deputies"][:2])
    client = login(world.clerk_a)
    url = reverse("stations:reception-roster", args=[station.pk])
    data = client.get(url, {"date": (TODAY - DAY).isoformat()}).json()
    assert data["found"] is True
    assert set(data["deputies"]) == {d.pk for d in town_a["deputies"][:2]}
    assert client.get(url, {"date": TODAY.isoformat()}).json() == {"found": False, "deputies": [], "names": []}
    # Without the script: the GET round-trip ticks the same deputies, all others stay offered.
    response = client.get(reverse("stations:reception-create"), {"station": station.pk, "date": (TODAY - DAY)})
    form = response.context["form"]
    assert {d.pk for d in form.initial["deputies"]} == {d.pk for d in town_a["deputies"][:2]}
    assert set(form.fields["deputies"].queryset) == set(town_a["deputies"])
    # Another township's clerk cannot read this room's roster.
    assert login(world.clerk_b).get(url, {"date": (TODAY - DAY).isoformat()}).status_code == 404


def test_reception_list_and_duty_file_panel(world, town_a, login, rf):
    deputy = town_a["deputies"][0]
    reception = services.reception_create(
        station=town_a["station"], date=TODAY - DAY, deputies=[deputy], voter_count=6, summary="",
        issues=[{"content": "一条"}, {"content": "两条"}], user=world.clerk_a,
    )  # fmt: skip
    page = login(world.clerk_a).get(reverse("stations:reception-list")).content.decode()
    assert reception.get_absolute_url() in page and "张值班" in page
    assert (
        reception.get_absolute_url()
        not in login(world.clerk_b).get(reverse("stations:reception-list")).content.decode()
    )
    request = rf.get("/")
    request.user = world.clerk_a
    panel = duty_file_panels._panels["receptions"]
    assert (panel.title, panel.order) == ("接待选民", 50)
    html = render_to_string(panel.template, panel.context(request, deputy), request=request)
    assert reception.get_absolute_url() in html and f"{(TODAY - DAY).year}年接待 1 次、接待选民 6 人" in html
    html = render_to_string(panel.template, panel.context(request, town_a["deputies"][2]), request=request)
    assert "暂无接待选民记录" in html


# --- pages: the township's issue workflow -------------------------------------------------


def test_each_step_through_the_detail_page(world, town_a, login):
    issue = record(world, town_a)
    client = login(world.clerk_a)
    url = issue.get_absolute_url()
    page = client.get(url).content.decode()
    assert 'id="step-handle_on_spot"' in page and 'id="step-refer"' in page and 'id="step-answer"' not in page
    due = (TODAY + 5 * DAY).isoformat()
    data = {"step": "refer", "refer-handling_unit": world.unit_a.pk, "refer-due_on": due}
    assert client.post(url, data).status_code == 302
    data = {"step": "answer", "answer-answer": "代为录入", "answer-answered_on": TODAY.isoformat()}
    assert client.post(url, data).status_code == 302
    data = {"step": "feed_back", "feed_back-feedback_method": "phone", "feed_back-fed_back_on": TODAY.isoformat()}
    assert client.post(url, data).status_code == 302
    assert client.post(url, {"step": "close"}).status_code == 302
    issue.refresh_from_db()
    assert issue.state == S.CLOSED and issue.due_on == TODAY + 5 * DAY
    page = client.get(url).content.decode()
    assert page.count('class="list-group-item') == 5 and "已办结" in page


def test_a_step_the_state_does_not_allow_is_refused_on_the_page(world, town_a, login):
    issue = record(world, town_a)
    client = login(world.clerk_a)
    response = client.post(issue.get_absolute_url(), {"step": "close"})
    assert response.status_code == 200
    assert "该问题当前状态为“待处理”，不能办结。" in response.content.decode()
    response = client.post(
        issue.get_absolute_url(), {"step": "answer", "answer-answer": "x", "answer-answered_on": TODAY.isoformat()}
    )
    assert "不能录入办理答复" in response.content.decode()
    issue.refresh_from_db()
    assert issue.state == S.RECORDED and issue.events.count() == 1


def test_county_reads_but_does_not_act(world, town_a, login):
    issue = record(world, town_a)
    client = login(world.county_admin)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert PHONE in page and 'id="step-refer"' not in page
    assert (
        client.post(issue.get_absolute_url(), {"step": "handle_on_spot", "handle_on_spot-answer": "x"}).status_code
        == 403
    )
    issue.refresh_from_db()
    assert issue.state == S.RECORDED


def test_issue_list_flags_overdue_rows_and_filters(world, town_a, login):
    late = referred(world, town_a)
    VoterIssue.objects.filter(pk=late.pk).update(due_on=TODAY - DAY, content="超期的问题")
    record(world, town_a, content="刚登记的问题")
    VoterIssueFactory(region=world.town_a, content="群众扫码反映的问题", source=VoterIssue.Source.PUBLIC)
    client = login(world.clerk_a)
    page = client.get(reverse("stations:issue-list")).content.decode()
    assert "群众扫码反映的问题" in page and "刚登记的问题" in page
    assert page.count("overdue-row") == 1 and "超期" in page
    page = client.get(reverse("stations:issue-list"), {"flag": "overdue"}).content.decode()
    assert "超期的问题" in page and "刚登记的问题" not in page
    page = client.get(reverse("stations:issue-list"), {"source": "public"}).content.decode()
    assert "群众扫码反映的问题" in page and "刚登记的问题" not in page
    assert "超期的问题" not in login(world.clerk_b).get(reverse("stations:issue-list")).content.decode()


def test_issue_create_from_an_activity(world, town_a, login):
    activity = ActivityFactory(region=world.town_a, station=town_a["station"], date=TODAY - 2 * DAY)
    client = login(world.clerk_a)
    url = reverse("stations:issue-create")
    response = client.get(url, {"activity": activity.pk})
    assert response.context["form"].initial["source"] == VoterIssue.Source.ACTIVITY
    data = {
        "region": world.town_a.pk, "station": town_a["station"].pk, "activity": activity.pk, "source": "activity",
        "category": "water", "content": "视察时群众反映自来水浑浊", "voter_name": "孙选民", "raised_on": (TODAY - 2 * DAY).isoformat(),
    }  # fmt: skip
    response = client.post(f"{url}?activity={activity.pk}", data)
    issue = VoterIssue.objects.get()
    assert response.status_code == 302 and response["Location"] == issue.get_absolute_url()
    assert (issue.source, issue.activity, issue.state, issue.recorded_by) == (
        VoterIssue.Source.ACTIVITY, activity, S.RECORDED, world.clerk_a,
    )  # fmt: skip
    other = ActivityFactory(region=world.town_b)
    assert client.get(url, {"activity": other.pk}).status_code == 404


# --- pages: the handling unit -------------------------------------------------------------


def test_unit_sees_only_its_issues_and_never_the_voters_phone(world, town_a, login):
    mine = referred(world, town_a)
    theirs = referred(world, town_a, unit=town_a["unit_b"])
    VoterIssue.objects.filter(pk=theirs.pk).update(content="水务站的问题")
    VoterIssue.objects.filter(pk=mine.pk).update(content="农业站的问题")
    client = login(world.unit_user_a)
    page = client.get(reverse("stations:unit-issue-list")).content.decode()
    assert "农业站的问题" in page and "水务站的问题" not in page
    assert reverse("stations:issue-answer", args=[mine.pk]) in page
    assert client.get(reverse("stations:issue-answer", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("stations:issue-answer", args=[theirs.pk]), {"answer": "x", "answered_on": TODAY.isoformat()}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == S.REFERRED
    page = client.get(reverse("stations:issue-answer", args=[mine.pk])).content.decode()
    assert PHONE not in page and "139****5678" in page and "甲村三组12号" not in page and "（已隐藏）" in page
    assert "农业站的问题" in page
    # The township's pages are not the unit's.
    assert client.get(reverse("stations:issue-list")).status_code == 403
    assert client.get(mine.get_absolute_url()).status_code == 403


def test_unit_answers_through_its_page(world, town_a, login):
    issue = referred(world, town_a)
    client = login(world.unit_user_a)
    url = reverse("stations:issue-answer", args=[issue.pk])
    response = client.post(url, {"answer": "已派人清理。", "answered_on": TODAY.isoformat()})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.state == S.ANSWERED and issue.answered_by == world.unit_user_a
    response = client.post(url, {"answer": "再答一次", "answered_on": TODAY.isoformat()})
    assert "该问题当前状态为“已答复”，不能录入办理答复。" in response.content.decode()
    issue.refresh_from_db()
    assert issue.answer == "已派人清理。"


def test_unit_dashboard_panel_counts_its_own(world, town_a, rf):
    late = referred(world, town_a)
    VoterIssue.objects.filter(pk=late.pk).update(due_on=TODAY - DAY)
    referred(world, town_a)
    referred(world, town_a, unit=town_a["unit_b"])
    panel = dashboard_panels._panels["unit_issues"]
    assert panel.roles == (Role.HANDLING_UNIT,) and panel.order == 10
    request = rf.get("/")
    request.user = world.unit_user_a
    html = render_to_string(panel.template, panel.context(request, None), request=request)
    assert '<div class="kpi-value">2</div><div class="kpi-label">待答复</div>' in html
    assert 'text-danger">1</div><div class="kpi-label">已超期' in html


def test_services_refuse_another_townships_clerk(world, town_a):
    with pytest.raises(PermissionDenied):
        services.reception_create(
            station=town_a["station"], date=TODAY, deputies=town_a["deputies"][:1], voter_count=1, summary="",
            issues=[], user=world.clerk_b,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.voter_issue_record(
            region=world.town_a, content="x", source=VoterIssue.Source.OTHER, user=world.clerk_b
        )
    issue = record(world, town_a)
    with pytest.raises(PermissionDenied):
        services.voter_issue_handle_on_spot(issue=issue, answer="x", user=world.clerk_b)
    assert not Reception.objects.exists() and VoterIssue.objects.get().state == S.RECORDED


# --- constant queries per page ------------------------------------------------------------


def add_rows(world, town_a, n):
    for i in range(n):
        reception = services.reception_create(
            station=town_a["station"], date=TODAY - i * DAY, deputies=town_a["deputies"][:2], voter_count=2,
            summary="", issues=[{"content": f"问题{i}", "disposition": "refer", "handling_unit": world.unit_a}],
            user=world.clerk_a,
        )  # fmt: skip
        services.voter_issue_record(
            region=world.town_a, content=f"扫码{i}", source=VoterIssue.Source.PUBLIC, user=None,
            station=reception.station,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("clerk_a", "stations:reception-list"),
        ("county_admin", "stations:reception-list"),
        ("clerk_a", "stations:issue-list"),
        ("county_admin", "stations:issue-list"),
        ("unit_user_a", "stations:unit-issue-list"),
        ("clerk_a", "stations:unit-issue-list"),
    ],
)
def test_lists_cost_the_same_whatever_the_rows(world, town_a, client, persona, url_name):
    client.force_login(getattr(world, persona), backend="django.contrib.auth.backends.ModelBackend")
    url = reverse(url_name)

    def cost():
        client.get(url)  # the region picker is cached after the first page (org/context_processors.py)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add_rows(world, town_a, 2)
    few = cost()
    add_rows(world, town_a, 5)
    assert cost() == few


def test_township_dashboard_panel_counts_by_state(world, town_a, rf):
    late = referred(world, town_a)
    VoterIssue.objects.filter(pk=late.pk).update(due_on=TODAY - DAY)
    record(world, town_a)
    VoterIssueFactory.in_township(world.town_b)
    panel = dashboard_panels._panels["voter_issues"]
    assert Role.TOWNSHIP_CLERK in panel.roles and panel.order == 35
    request = rf.get("/")
    request.user = world.clerk_a
    ctx = panel.context(request, world.town_a)
    assert [(value, n) for value, _, n in ctx["states"]][:3] == [("recorded", 1), ("on_spot", 0), ("referred", 1)]
    html = render_to_string(panel.template, ctx, request=request)
    assert "超期未答复 1 条" in html and "尚未反馈选民 2 条" in html
    request.user = world.county_admin
    assert panel.context(request, world.county)["counts"]["total"] == 3
    assert panel.context(request, None) is None


def test_a_deputy_reads_the_receptions_it_took_part_in(world, town_a, login):
    deputy = town_a["deputies"][0]
    deputy.user = world.deputy_a
    deputy.save()
    mine = services.reception_create(
        station=town_a["station"], date=TODAY - DAY, deputies=[deputy], voter_count=1, summary="",
        issues=[{"content": "路灯", "voter_phone": PHONE}], user=world.clerk_a,
    )  # fmt: skip
    other = services.reception_create(
        station=town_a["station"], date=TODAY - 2 * DAY, deputies=town_a["deputies"][1:2], voter_count=1,
        summary="", issues=[], user=world.clerk_a,
    )  # fmt: skip
    client = login(world.deputy_a)
    page = client.get(mine.get_absolute_url()).content.decode()
    assert "路灯" in page and PHONE not in page and "139****5678" in page
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(reverse("stations:reception-update", args=[mine.pk])).status_code == 403
