"""Deputy suggestions (代表建议): every transition of the workflow allowed and refused, the
deadlines, the daily overdue job and its notifications, who sees what (a unit only its own
assignments, a deputy only its own suggestions, township B nothing of township A), the
statistics by unit, the Excel ledger, the panels and the user's notifications."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from congress import selectors_suggestions as selectors
from congress import services_suggestions as services
from congress.models import Suggestion, SuggestionAssignment, SuggestionEvent
from congress.notifications import notification_send
from congress.tasks import flag_overdue_suggestions
from deputies.panels import duty_file_panels
from org.models import AuditEntry, HandlingUnit, Notification
from org.roles import Role
from tests.factories import (
    DeputyFactory,
    HandlingUnitFactory,
    MandateFactory,
    MeetingFactory,
    SuggestionAssignmentFactory,
    SuggestionFactory,
    TermFactory,
    VoterIssueFactory,
    member,
)

pytestmark = pytest.mark.django_db

S = Suggestion.State
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def town(world):
    """Township A with a term, three serving deputies (the first is deputy_a's own record),
    a second unit with its own user, and township B with a deputy of its own."""
    term = TermFactory(region=world.town_a)
    me = DeputyFactory(region=world.town_a, name="王建议", user=world.deputy_a)
    co = DeputyFactory(region=world.town_a, name="李附议")
    other = DeputyFactory(region=world.town_a, name="赵代表")
    for d in (me, co, other):
        MandateFactory(deputy=d, region=world.town_a, term=term)
    unit_b = HandlingUnitFactory(region=world.town_a, name="甲镇水务站")
    term_b = TermFactory(region=world.town_b)
    b_deputy = DeputyFactory(region=world.town_b, name="乙镇代表")
    MandateFactory(deputy=b_deputy, region=world.town_b, term=term_b)
    return SimpleNamespace(
        term=term,
        me=me,
        co=co,
        other=other,
        unit_b=unit_b,
        unit_user_b=member(world.town_a, Role.HANDLING_UNIT, handling_unit=unit_b, username="unit_b"),
        term_b=term_b,
        b_deputy=b_deputy,
        other_user=member(world.town_a, Role.DEPUTY, username="deputy_other"),
    )


def draft(world, town, *, user=None, lead=None, co=(), title="关于修缮甲村村道的建议", **kw):
    return services.suggestion_create(
        region=world.town_a,
        term=town.term,
        lead_deputy=lead or town.me,
        co_deputies=co,
        title=title,
        content="甲村村道年久失修，雨天泥泞，建议列入明年修缮计划。",
        category=kw.pop("category", Suggestion.Category.INFRASTRUCTURE),
        user=user or world.deputy_a,
        **kw,
    )


def submitted(world, town, **kw):
    s = draft(world, town, **kw)
    return services.suggestion_submit(suggestion=s, user=world.deputy_a if s.lead_deputy == town.me else world.clerk_a)


def accepted(world, town, **kw):
    s = submitted(world, town, **kw)
    return services.suggestion_accept(suggestion=s, user=world.clerk_a)


def assigned(world, town, *, assists=True, complex=False, **kw):
    s = accepted(world, town, **kw)
    return services.suggestion_assign(
        suggestion=s,
        lead_unit=world.unit_a,
        assist_units=[town.unit_b] if assists else [],
        complex=complex,
        user=world.clerk_a,
    )


def lead_of(s, round_=1):
    return s.assignments.get(role=SuggestionAssignment.Role.LEAD, round=round_)


def assist_of(s, round_=1):
    return s.assignments.get(role=SuggestionAssignment.Role.ASSIST, round=round_)


def answered(world, town, answer_class="A", **kw):
    s = assigned(world, town, **kw)
    services.suggestion_answer(
        assignment=lead_of(s), answer="已列入明年修缮计划。", answer_class=answer_class, user=world.unit_user_a
    )
    s.refresh_from_db()
    return s


def states_of(s):
    return list(s.events.order_by("at", "pk").values_list("from_state", "to_state"))


def titles(user):
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


# --- the workflow, step by step -------------------------------------------------------------


def test_the_whole_way_from_draft_to_closed_is_logged_with_who_and_when(world, town):
    s = draft(world, town, co=[town.co])
    assert (s.state, s.lead_deputy, list(s.co_deputies.all()), s.term) == (S.DRAFT, town.me, [town.co], town.term)
    services.suggestion_submit(suggestion=s, user=world.deputy_a)
    assert s.state == S.SUBMITTED and s.submitted_on == TODAY
    services.suggestion_accept(suggestion=s, user=world.clerk_a)
    assert (s.state, s.number, s.accepted_on) == (S.ACCEPTED, f"{TODAY.year}-001", TODAY)
    services.suggestion_assign(suggestion=s, lead_unit=world.unit_a, assist_units=[town.unit_b], user=world.clerk_a)
    assert (s.state, s.assigned_on, s.due_on) == (S.ASSIGNED, TODAY, services.due_date(TODAY, 3))
    services.suggestion_answer(assignment=assist_of(s), answer="配合做好测量。", user=town.unit_user_b)
    s.refresh_from_db()
    assert s.state == S.ASSIGNED, "an assisting unit's answer leaves the suggestion with the lead unit"
    services.suggestion_answer(
        assignment=lead_of(s), answer="已列入明年修缮计划。", answer_class="B", user=world.unit_user_a
    )
    s.refresh_from_db()
    assert (s.state, s.answer_class, s.answered_on) == (S.ANSWERED, "B", TODAY)
    services.suggestion_rate(suggestion=s, rating=Suggestion.Rating.SATISFIED, user=world.deputy_a)
    assert (s.state, s.rating, s.rated_on) == (S.RATED, "satisfied", TODAY)
    services.suggestion_close(suggestion=s, user=world.clerk_a)
    assert (s.state, s.closed_on) == (S.CLOSED, TODAY)

    assert states_of(s) == [
        ("", S.DRAFT),
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.ACCEPTED),
        (S.ACCEPTED, S.ASSIGNED),
        (S.ASSIGNED, S.ASSIGNED),  # the assisting unit's answer, on the record
        (S.ASSIGNED, S.ANSWERED),
        (S.ANSWERED, S.RATED),
        (S.RATED, S.CLOSED),
    ]
    users = list(s.events.order_by("at", "pk").values_list("user__username", flat=True))
    assert users == ["deputy_a", "deputy_a", "clerk_a", "clerk_a", "unit_b", "unit_a", "deputy_a", "clerk_a"]
    assert all(e.at is not None for e in s.events.all())
    # The people concerned were told at each step.
    assert any("待立案" in t for t in titles(world.clerk_a))
    assert any("已立案" in t for t in titles(world.deputy_a))
    assert any("新交办" in t for t in titles(world.unit_user_a)) and any(
        "新交办" in t for t in titles(town.unit_user_b)
    )
    assert any("已答复，请评价" in t for t in titles(world.deputy_a))
    assert any("已评价" in t for t in titles(world.clerk_a))
    assert any("已办结" in t for t in titles(world.deputy_a))


def test_numbers_run_per_township_and_year_and_a_given_number_is_used_once(world, town):
    first = accepted(world, town)
    second = accepted(world, town, title="第二件建议")
    assert (first.number, second.number) == (f"{TODAY.year}-001", f"{TODAY.year}-002")
    b = services.suggestion_create(
        region=world.town_b, term=town.term_b, lead_deputy=town.b_deputy, title="乙镇的建议", content="内容",
        category=Suggestion.Category.OTHER, user=world.clerk_b,
    )  # fmt: skip
    services.suggestion_submit(suggestion=b, user=world.clerk_b)
    services.suggestion_accept(suggestion=b, user=world.clerk_b)
    assert b.number == f"{TODAY.year}-001"
    third = submitted(world, town, title="第三件")
    with pytest.raises(ValidationError) as exc:
        services.suggestion_accept(suggestion=third, number=f"{TODAY.year}-002", user=world.clerk_a)
    assert "已被本乡镇的其他建议使用" in str(exc.value)
    services.suggestion_accept(suggestion=third, number="会-7", user=world.clerk_a)
    assert third.number == "会-7"


def test_refusal_needs_a_reason_and_tells_the_deputy(world, town):
    s = submitted(world, town)
    with pytest.raises(ValidationError) as exc:
        services.suggestion_refuse(suggestion=s, reason="", user=world.clerk_a)
    assert exc.value.message_dict == {"refusal_reason": ["请选择不予立案理由。"]}
    with pytest.raises(ValidationError) as exc:
        services.suggestion_refuse(suggestion=s, reason=Suggestion.RefusalReason.OTHER, note=" ", user=world.clerk_a)
    assert "refusal_note" in exc.value.message_dict
    services.suggestion_refuse(
        suggestion=s, reason=Suggestion.RefusalReason.PRIVATE, note="涉及代表亲属宅基地纠纷", user=world.clerk_a
    )
    assert (s.state, s.refusal_reason) == (S.NOT_ACCEPTED, "private")
    assert states_of(s)[-1] == (S.SUBMITTED, S.NOT_ACCEPTED)
    assert "代表本人或亲属的个人事务" in s.events.last().note
    assert any("不予立案" in t for t in titles(world.deputy_a))
    # Refused is final.
    with pytest.raises(ValidationError, match="当前状态为“不予立案”，不能立案"):
        services.suggestion_accept(suggestion=s, user=world.clerk_a)


@pytest.mark.parametrize(
    ("stage", "step", "message"),
    [
        ("draft", "accept", "该建议当前状态为“草稿”，不能立案。"),
        ("submitted", "submit", "该建议当前状态为“已提交”，不能提交。"),
        ("submitted", "assign", "该建议当前状态为“已提交”，不能交办。"),
        ("accepted", "answer", "该建议当前状态为“已立案”，不能答复。"),
        ("accepted", "refuse", "该建议当前状态为“已立案”，不能不予立案。"),
        ("assigned", "rate", "该建议当前状态为“已交办”，不能评价。"),
        ("assigned", "close", "该建议当前状态为“已交办”，不能办结。"),
        ("answered", "close", "该建议当前状态为“已答复”，不能办结。"),
        ("answered", "assign", "该建议当前状态为“已答复”，不能交办。"),
        ("submitted", "mark_key", "该建议当前状态为“已提交”，不能列为重点督办。"),
    ],
)
def test_refused_transitions_name_the_current_state(world, town, stage, step, message):
    build = {"draft": draft, "submitted": submitted, "accepted": accepted, "assigned": assigned, "answered": answered}
    s = build[stage](world, town)
    before = (s.state, s.events.count())
    calls = {
        "submit": lambda: services.suggestion_submit(suggestion=s, user=world.clerk_a),
        "accept": lambda: services.suggestion_accept(suggestion=s, user=world.clerk_a),
        "refuse": lambda: services.suggestion_refuse(suggestion=s, reason="no_content", user=world.clerk_a),
        "assign": lambda: services.suggestion_assign(suggestion=s, lead_unit=world.unit_a, user=world.clerk_a),
        "answer": lambda: services.suggestion_answer(
            assignment=SuggestionAssignmentFactory(suggestion=s, unit=world.unit_a),
            answer="答复",
            answer_class="A",
            user=world.clerk_a,
        ),
        "rate": lambda: services.suggestion_rate(suggestion=s, rating="satisfied", user=world.deputy_a),
        "close": lambda: services.suggestion_close(suggestion=s, user=world.clerk_a),
        "mark_key": lambda: services.suggestion_mark_key(suggestion=s, leader="张主席", user=world.clerk_a),
    }
    with pytest.raises(ValidationError) as exc:
        calls[step]()
    assert exc.value.messages == [message]
    s.refresh_from_db()
    assert (s.state, s.events.count()) == before


def test_the_lead_answer_needs_a_class_and_a_unit_answers_once(world, town):
    s = assigned(world, town)
    with pytest.raises(ValidationError) as exc:
        services.suggestion_answer(assignment=lead_of(s), answer="已办理。", user=world.unit_user_a)
    assert exc.value.message_dict == {"answer_class": ["主办单位答复时请选择答复类别（A/B/C）。"]}
    with pytest.raises(ValidationError) as exc:
        services.suggestion_answer(assignment=lead_of(s), answer=" ", answer_class="A", user=world.unit_user_a)
    assert exc.value.message_dict == {"answer": ["请填写答复内容。"]}
    with pytest.raises(ValidationError, match="答复日期不能晚于今天"):
        services.suggestion_answer(
            assignment=lead_of(s), answer="已办理。", answer_class="A", answered_on=TODAY + DAY, user=world.unit_user_a
        )
    services.suggestion_answer(assignment=assist_of(s), answer="同意。", user=town.unit_user_b)
    with pytest.raises(ValidationError, match="甲镇水务站已答复此建议，不能重复答复"):
        services.suggestion_answer(assignment=assist_of(s), answer="再答一次", user=town.unit_user_b)


def test_a_unit_cannot_answer_another_units_assignment_and_a_deputy_cannot_manage(world, town):
    s = assigned(world, town)
    with pytest.raises(PermissionDenied):
        services.suggestion_answer(assignment=lead_of(s), answer="代答", answer_class="A", user=town.unit_user_b)
    assert lead_of(s).answered_on is None
    # The clerk enters a paper answer on the unit's behalf.
    services.suggestion_answer(assignment=lead_of(s), answer="书面答复", answer_class="C", user=world.clerk_a)
    s.refresh_from_db()
    assert (s.state, s.answer_class) == (S.ANSWERED, "C")

    other = submitted(world, town, title="另一件")
    for call in (
        lambda: services.suggestion_accept(suggestion=other, user=world.deputy_a),
        lambda: services.suggestion_accept(suggestion=other, user=world.county_admin),
        lambda: services.suggestion_accept(suggestion=other, user=world.clerk_b),
        lambda: services.suggestion_rate(suggestion=s, rating="satisfied", user=town.other_user),
        lambda: services.suggestion_rate(suggestion=s, rating="satisfied", user=world.unit_user_a),
    ):
        with pytest.raises(PermissionDenied):
            call()
    # The clerk records a paper rating.
    services.suggestion_rate(suggestion=s, rating="basic", user=world.clerk_a)
    assert s.state == S.RATED


def test_unsatisfied_sends_it_back_once_and_a_second_unsatisfied_closes_it(world, town):
    s = answered(world, town)
    with pytest.raises(ValidationError) as exc:
        services.suggestion_rate(suggestion=s, rating="unsatisfied", note="", user=world.deputy_a)
    assert "rating_note" in exc.value.message_dict
    services.suggestion_rate(suggestion=s, rating="unsatisfied", note="只答复列入计划，没有时间表", user=world.deputy_a)
    assert (s.state, s.reassigned, s.rating, s.answered_on, s.due_on) == (
        S.REASSIGNED,
        True,
        "unsatisfied",
        None,
        services.due_date(TODAY, 1),
    )
    second = list(s.assignments.filter(round=2).order_by("role").values_list("unit__name", "role", "due_on"))
    assert second == [
        ("甲镇水务站", "assist", services.due_date(TODAY, 1)),
        ("甲镇农业站", "lead", services.due_date(TODAY, 1)),
    ]
    assert any("重新办理" in t for t in titles(world.unit_user_a))
    # The first round is over: its assignments take no answer now.
    with pytest.raises(ValidationError, match="上一轮的交办"):
        services.suggestion_answer(assignment=assist_of(s), answer="补充", user=town.unit_user_b)

    services.suggestion_answer(
        assignment=lead_of(s, 2), answer="明年三月开工，六月完工。", answer_class="A", user=world.unit_user_a
    )
    s.refresh_from_db()
    assert (s.state, s.answer_class) == (S.ANSWERED, "A")
    services.suggestion_rate(suggestion=s, rating="unsatisfied", note="仍不满意", user=world.deputy_a)
    assert (s.state, s.rating, s.rating_note, s.closed_on) == (S.CLOSED, "unsatisfied", "仍不满意", TODAY)
    assert not s.assignments.filter(round=3).exists(), "a suggestion is handled again only once"
    assert states_of(s)[-3:] == [(S.ANSWERED, S.REASSIGNED), (S.REASSIGNED, S.ANSWERED), (S.ANSWERED, S.CLOSED)]


def test_drafting_rules(world, town):
    with pytest.raises(PermissionDenied, match="本人为领衔代表"):
        draft(world, town, lead=town.co)
    with pytest.raises(ValidationError) as exc:
        draft(world, town, co=[town.b_deputy])
    assert exc.value.message_dict == {"co_deputies": ["附议代表必须是甲镇的代表：乙镇代表不是。"]}
    with pytest.raises(ValidationError) as exc:
        draft(world, town, title=" ")
    assert exc.value.message_dict == {"title": ["请填写建议标题。"]}
    with pytest.raises(ValidationError) as exc:
        draft(world, town, meeting=MeetingFactory.in_township(world.town_b))
    assert exc.value.message_dict == {"meeting": ["提出会议必须是甲镇的人民代表大会会议。"]}
    with pytest.raises(ValidationError, match="甲镇尚未设置届次"):
        services.suggestion_create(
            region=world.town_a, term=None, lead_deputy=town.me, title="t", content="c", user=world.deputy_a
        )
    # A clerk drafts for any deputy of its township; the lead is never its own co-signer.
    s = draft(world, town, user=world.clerk_a, lead=town.other, co=[town.other, town.co])
    assert (s.lead_deputy, list(s.co_deputies.all())) == (town.other, [town.co])
    assert "乡镇人大秘书代赵代表代表登记" in s.events.get().note


def test_who_edits_what_and_when(world, town):
    s = draft(world, town)
    services.suggestion_update(
        suggestion=s, user=world.deputy_a, title="新标题", content="新内容", category="health", co_deputies=[town.co]
    )
    assert (s.title, s.category, list(s.co_deputies.all())) == ("新标题", "health", [town.co])
    with pytest.raises(PermissionDenied):
        services.suggestion_update(
            suggestion=s, user=world.deputy_a, title="t", content="c", category="other", lead_deputy=town.co
        )
    services.suggestion_submit(suggestion=s, user=world.deputy_a)
    with pytest.raises(ValidationError, match="只能由乡镇人大秘书在立案前修改"):
        services.suggestion_update(suggestion=s, user=world.deputy_a, title="t", content="c", category="other")
    services.suggestion_update(suggestion=s, user=world.clerk_a, title="秘书改的标题", content="c", category="other")
    assert s.title == "秘书改的标题" and "立案前修改" in s.events.last().note
    services.suggestion_accept(suggestion=s, user=world.clerk_a)
    with pytest.raises(ValidationError, match="当前状态为“已立案”，不能修改"):
        services.suggestion_update(suggestion=s, user=world.clerk_a, title="t", content="c", category="other")


def test_key_suggestions_have_a_leader_and_the_units_are_told(world, town):
    s = assigned(world, town)
    with pytest.raises(ValidationError) as exc:
        services.suggestion_mark_key(suggestion=s, leader=" ", user=world.clerk_a)
    assert exc.value.message_dict == {"key_leader": ["请填写督办领导。"]}
    with pytest.raises(PermissionDenied):
        services.suggestion_mark_key(suggestion=s, leader="张主席", user=world.deputy_a)
    services.suggestion_mark_key(suggestion=s, leader="张主席", user=world.clerk_a)
    assert (s.key, s.key_leader, s.state) == (True, "张主席", S.ASSIGNED)
    assert "督办领导：张主席" in s.events.last().note
    assert any("重点督办" in t for t in titles(town.unit_user_b))


def test_a_voter_issue_becomes_a_linked_draft_once(world, town):
    issue = VoterIssueFactory(region=world.town_a, content="村口桥梁护栏损坏\n存在安全隐患", category="roads")
    s = services.suggestion_promote_from_issue(voter_issue=issue, lead_deputy=town.co, user=world.clerk_a)
    assert (s.state, s.voter_issue, s.lead_deputy, s.category) == (S.DRAFT, issue, town.co, "infrastructure")
    assert s.title == "关于村口桥梁护栏损坏的建议" and s.term == town.term
    with pytest.raises(ValidationError, match="该问题已转为代表建议"):
        services.suggestion_promote_from_issue(voter_issue=issue, lead_deputy=town.co, user=world.clerk_a)


# --- deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (datetime.date(2026, 3, 10), 3, datetime.date(2026, 6, 10)),
        (datetime.date(2025, 11, 30), 3, datetime.date(2026, 2, 28)),
        (datetime.date(2023, 11, 30), 3, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 10, 31), 3, datetime.date(2027, 1, 31)),
        (datetime.date(2026, 8, 31), 6, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 7, 15), 6, datetime.date(2027, 1, 15)),
        (datetime.date(2027, 1, 31), 1, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 12, 31), 1, datetime.date(2027, 1, 31)),
    ],
)
def test_due_dates_are_calendar_months_clamped_to_the_month_end(start, months, due):
    assert services.due_date(start, months) == due


def test_assignment_deadline_three_months_or_six_when_complex(world, town):
    plain = assigned(world, town)
    hard = assigned(world, town, complex=True, title="复杂的建议")
    assert plain.due_on == services.due_date(TODAY, 3) and not plain.complex
    assert hard.due_on == services.due_date(TODAY, 6) and hard.complex
    assert set(hard.assignments.values_list("due_on", flat=True)) == {services.due_date(TODAY, 6)}
    s = accepted(world, town, title="日期不对")
    with pytest.raises(ValidationError) as exc:
        services.suggestion_assign(suggestion=s, lead_unit=world.unit_a, assigned_on=TODAY + DAY, user=world.clerk_a)
    assert exc.value.message_dict == {"assigned_on": ["交办日期不能晚于今天。"]}
    with pytest.raises(ValidationError, match="不能早于立案日期"):
        services.suggestion_assign(suggestion=s, lead_unit=world.unit_a, assigned_on=TODAY - DAY, user=world.clerk_a)
    with pytest.raises(ValidationError, match="不属于甲镇或其上级"):
        services.suggestion_assign(suggestion=s, lead_unit=HandlingUnitFactory(region=world.town_b), user=world.clerk_a)


def test_between_sessions_assign_within_five_working_days(world, town):
    friday = datetime.date(2026, 11, 20)
    assert services.working_days_after(friday, 5) == datetime.date(2026, 11, 27)
    assert services.working_days_after(datetime.date(2026, 11, 23), 5) == datetime.date(2026, 11, 30)
    s = accepted(world, town)
    Suggestion.objects.filter(pk=s.pk).update(accepted_on=friday)
    s.refresh_from_db()
    assert services.assign_by(s) == datetime.date(2026, 11, 27)
    s.meeting = MeetingFactory(region=world.town_a, term=town.term)
    assert services.assign_by(s) is None, "one made at a session is assigned after the session"


# --- the overdue job ------------------------------------------------------------------------


def test_overdue_job_flags_and_notifies_once_a_week_and_not_answered_ones(world, town):
    late = assigned(world, town)
    done = answered(world, town, title="已答复的建议")
    waiting = assigned(world, town, title="还没到期的建议", complex=True)
    services.suggestion_answer(assignment=assist_of(late), answer="已配合", user=town.unit_user_b)
    Notification.objects.all().delete()
    day = late.due_on + DAY

    assert Suggestion.objects.filter(services.overdue_q(day)).count() == 1
    counts = services.suggestions_flag_overdue(today=day)
    assert counts == {"overdue": 1, "reminded": 1, "notifications": 2}
    # The clerk and the unit that has not answered; the assisting unit already did.
    assert [n.url for n in Notification.objects.filter(user=world.clerk_a)] == [late.get_absolute_url()]
    assert [n.url for n in Notification.objects.filter(user=world.unit_user_a)] == [
        reverse("congress:assignment-answer", args=[lead_of(late).pk])
    ]
    assert not Notification.objects.filter(user=town.unit_user_b).exists()
    assert not Notification.objects.filter(user=world.clerk_b).exists()
    event = late.events.last()
    assert (event.from_state, event.to_state, event.user) == (S.ASSIGNED, S.ASSIGNED, None)
    assert event.note.startswith(services.OVERDUE_NOTE) and "已超期1天" in event.note
    assert not done.events.filter(note__startswith=services.OVERDUE_NOTE).exists()
    assert not waiting.events.filter(note__startswith=services.OVERDUE_NOTE).exists()

    # Not again the next day, nor on the sixth; again a week later.
    for later in (day + DAY, day + 6 * DAY):
        assert services.suggestions_flag_overdue(today=later) == {"overdue": 1, "reminded": 0, "notifications": 0}
    assert Notification.objects.count() == 2
    assert services.suggestions_flag_overdue(today=day + 7 * DAY)["reminded"] == 1
    assert Notification.objects.count() == 4
    # Answered: no longer overdue.
    services.suggestion_answer(assignment=lead_of(late), answer="已答复", answer_class="B", user=world.unit_user_a)
    assert services.suggestions_flag_overdue(today=day + 14 * DAY) == {"overdue": 0, "reminded": 0, "notifications": 0}


def test_the_task_runs_the_job_for_today_and_is_on_beat(world, town, settings):
    late = assigned(world, town, assists=False)
    Suggestion.objects.filter(pk=late.pk).update(due_on=TODAY - DAY)
    Notification.objects.all().delete()
    assert flag_overdue_suggestions() == {"overdue": 1, "reminded": 1, "notifications": 2}
    assert flag_overdue_suggestions()["reminded"] == 0
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "congress.tasks.flag_overdue_suggestions"
    ]
    assert len(entries) == 1


def test_mail_goes_out_only_when_a_server_is_configured(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.clerk_a.email = "clerk@example.cn"
    world.clerk_a.save()
    settings.EMAIL_HOST = ""
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(users=[world.clerk_a], title="测试", body="内容", url="/x/")
    assert mail.outbox == []
    settings.EMAIL_HOST = "smtp.example.cn"
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(users=[world.clerk_a, world.clerk_a, None, world.unit_user_a], title="测试", url="/x/")
    assert len(rows) == 2, "one row per distinct user"
    assert [m.to for m in mail.outbox] == [["clerk@example.cn"]] and "测试" in mail.outbox[0].subject


# --- who sees what --------------------------------------------------------------------------


def test_a_unit_sees_only_its_own_assignments(world, town, login):
    mine = assigned(world, town, assists=False)
    theirs = accepted(world, town, title="交给水务站的建议")
    services.suggestion_assign(suggestion=theirs, lead_unit=town.unit_b, user=world.clerk_a)
    not_yet = accepted(world, town, title="尚未交办的建议")

    client = login(world.unit_user_a)
    page = client.get(reverse("congress:unit-suggestion-list")).content.decode()
    assert mine.title in page and theirs.title not in page and not_yet.title not in page
    assert client.get(reverse("congress:assignment-answer", args=[lead_of(mine).pk])).status_code == 200
    their_assignment = lead_of(theirs)
    url = reverse("congress:assignment-answer", args=[their_assignment.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"answer": "抢答", "answer_class": "A", "answered_on": TODAY.isoformat()})
    assert response.status_code == 404
    their_assignment.refresh_from_db()
    assert their_assignment.answered_on is None
    # The suggestion itself: its own yes, another unit's and an unassigned one no.
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(not_yet.get_absolute_url()).status_code == 404
    assert client.get(reverse("congress:suggestion-list")).status_code == 403
    assert list(SuggestionAssignment.objects.for_user(world.unit_user_a)) == [lead_of(mine)]


def test_the_unit_answers_through_its_page(world, town, login):
    s = assigned(world, town)
    client = login(world.unit_user_a)
    url = reverse("congress:assignment-answer", args=[lead_of(s).pk])
    response = client.post(url, {"answer": "已办理", "answer_class": "", "answered_on": TODAY.isoformat()})
    assert response.status_code == 400 and "主办单位答复时请选择答复类别" in response.content.decode()
    response = client.post(url, {"answer": "已办理", "answer_class": "A", "answered_on": TODAY.isoformat()})
    assert response.status_code == 302 and response["Location"] == reverse("congress:unit-suggestion-list")
    s.refresh_from_db()
    assert (s.state, s.answer_class) == (S.ANSWERED, "A")
    again = client.post(url, {"answer": "再答", "answer_class": "B", "answered_on": TODAY.isoformat()})
    assert again.status_code == 409 and "已答复此建议，不能重复答复" in again.content.decode()


def test_a_deputy_sees_only_its_own_suggestions(world, town, login):
    mine = submitted(world, town)
    joined = draft(world, town, user=world.clerk_a, lead=town.other, co=[town.me], title="我附议的建议")
    services.suggestion_submit(suggestion=joined, user=world.clerk_a)
    others = draft(world, town, user=world.clerk_a, lead=town.co, title="别人的建议")
    client = login(world.deputy_a)
    page = client.get(reverse("congress:my-suggestion-list")).content.decode()
    assert mine.title in page and joined.title in page and others.title not in page
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(joined.get_absolute_url()).status_code == 200
    assert client.get(others.get_absolute_url()).status_code == 404
    assert client.get(reverse("congress:suggestion-list")).status_code == 403
    # Its submitted suggestion is no longer its to edit; another's draft is not even visible.
    assert client.get(reverse("congress:suggestion-update", args=[mine.pk])).status_code == 403
    assert client.get(reverse("congress:suggestion-update", args=[others.pk])).status_code == 404
    # Rating someone else's answered suggestion: a co-signer only reads.
    response = client.post(reverse("congress:suggestion-rate", args=[others.pk]), {"rate-rating": "satisfied"})
    assert response.status_code == 404


def pk_urls(world, town):
    """Every pk URL of the part, for a suggestion of township A at a stage where each step is open."""
    s = assigned(world, town)
    return [
        reverse(name, args=[s.pk])
        for name in (
            "congress:suggestion-detail",
            "congress:suggestion-update",
            "congress:suggestion-submit",
            "congress:suggestion-accept",
            "congress:suggestion-refuse",
            "congress:suggestion-assign",
            "congress:suggestion-rate",
            "congress:suggestion-close",
            "congress:suggestion-key",
        )
    ] + [reverse("congress:assignment-answer", args=[a.pk]) for a in s.assignments.all()], s


def test_township_b_gets_404_on_every_pk_url(world, town, login):
    urls, s = pk_urls(world, town)
    before = (s.state, s.key, s.events.count(), SuggestionAssignment.objects.filter(answered_on__isnull=False).count())
    client = login(world.clerk_b)
    for url in urls:
        assert client.get(url).status_code == 404, url
        data = {"accept-number": "X", "mark_key-key_leader": "乙", "answer": "乙", "answer_class": "A"}
        # The detail page takes no POST at all; every other one answers 404 before anything.
        assert client.post(url, data).status_code == (405 if url == urls[0] else 404), url
    s.refresh_from_db()
    assert (
        s.state,
        s.key,
        s.events.count(),
        SuggestionAssignment.objects.filter(answered_on__isnull=False).count(),
    ) == before
    # The same URLs open for the township's own clerk (so the 404s prove something).
    client = login(world.clerk_a)
    assert client.get(urls[0]).status_code == 200 and client.get(urls[-1]).status_code == 200


# --- the pages ------------------------------------------------------------------------------


def test_deputy_drafts_with_named_co_signers_and_submits(world, town, login):
    client = login(world.deputy_a)
    url = reverse("congress:suggestion-create")
    form = {"title": "关于增设公交站点的建议", "content": "建议在甲村路口增设公交站点。", "category": "infrastructure"}
    response = client.post(url, {**form, "co_deputies": "李附议、不存在的人"})
    assert response.status_code == 200 and "以下姓名不是甲镇的代表：不存在的人" in response.content.decode()
    response = client.post(url, {**form, "co_deputies": "李附议 王建议"})
    s = Suggestion.objects.get(title=form["title"])
    assert response.status_code == 302 and response["Location"] == s.get_absolute_url()
    assert (s.lead_deputy, list(s.co_deputies.all()), s.created_by) == (town.me, [town.co], world.deputy_a)
    page = client.get(s.get_absolute_url()).content.decode()
    assert 'id="step-submit"' in page and 'id="step-accept"' not in page
    response = client.post(reverse("congress:suggestion-submit", args=[s.pk]))
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == S.SUBMITTED
    again = client.post(reverse("congress:suggestion-submit", args=[s.pk]))
    assert again.status_code in (403, 409)


def test_clerk_registers_a_paper_suggestion_and_one_from_a_voter_issue(world, town, login):
    client = login(world.clerk_a)
    url = reverse("congress:suggestion-create")
    page = client.get(url).content.decode()
    assert town.me.name in page and town.b_deputy.name not in page
    form = {"title": "关于村级卫生室的建议", "content": "建议增配常用药品。", "category": "health"}
    response = client.post(url, {**form, "lead_deputy": town.b_deputy.pk})
    assert response.status_code == 200 and "lead_deputy" in response.context["form"].errors
    response = client.post(url, {**form, "lead_deputy": town.other.pk, "co_deputies": [town.co.pk]})
    s = Suggestion.objects.get(title=form["title"])
    assert response.status_code == 302 and (s.lead_deputy, s.created_by, s.state) == (
        town.other,
        world.clerk_a,
        S.DRAFT,
    )

    issue = VoterIssueFactory(region=world.town_a, content="村卫生室缺医少药", category="health")
    page = client.get(f"{url}?issue={issue.pk}").content.decode()
    assert "来自选民反映问题" in page and "关于村卫生室缺医少药的建议" in page
    other_issue = VoterIssueFactory(region=world.town_b, content="乙镇的问题")
    assert client.get(f"{url}?issue={other_issue.pk}").status_code == 404
    client.post(
        f"{url}?issue={issue.pk}",
        {
            "title": "关于村卫生室缺医少药的建议",
            "content": issue.content,
            "category": "health",
            "lead_deputy": town.co.pk,
        },
    )
    assert Suggestion.objects.get(voter_issue=issue).lead_deputy == town.co
    again = client.post(
        f"{url}?issue={issue.pk}",
        {"title": "再转一次", "content": issue.content, "category": "health", "lead_deputy": town.co.pk},
    )
    assert again.status_code == 200 and "该问题已转为代表建议" in again.content.decode()


def test_clerk_steps_through_the_detail_page(world, town, login):
    s = submitted(world, town)
    client = login(world.clerk_a)
    page = client.get(s.get_absolute_url()).content.decode()
    assert 'id="step-accept"' in page and 'id="step-refuse"' in page and 'id="step-assign"' not in page
    response = client.post(reverse("congress:suggestion-refuse", args=[s.pk]), {"refuse-refusal_reason": ""})
    assert response.status_code == 400 and "请选择不予立案理由" in response.content.decode()
    assert client.post(reverse("congress:suggestion-accept", args=[s.pk]), {"accept-number": ""}).status_code == 302
    s.refresh_from_db()
    assert s.state == S.ACCEPTED
    # A step the state does not allow: a clear Chinese message, nothing changes.
    response = client.post(reverse("congress:suggestion-close", args=[s.pk]), {})
    assert response.status_code == 409 and "该建议当前状态为“已立案”，不能办结。" in response.content.decode()
    response = client.post(
        reverse("congress:suggestion-assign", args=[s.pk]),
        {
            "assign-lead_unit": world.unit_a.pk,
            "assign-assist_units": [town.unit_b.pk],
            "assign-complex": "on",
            "assign-assigned_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.state, s.due_on, s.assignments.count()) == (S.ASSIGNED, services.due_date(TODAY, 6), 2)
    response = client.post(reverse("congress:suggestion-key", args=[s.pk]), {"mark_key-key_leader": "张主席"})
    assert response.status_code == 302
    page = client.get(reverse("congress:suggestion-list")).content.decode()
    assert s.title in page and "重点督办" in page
    # County staff read, and may not act.
    county = login(world.county_admin)
    assert county.get(s.get_absolute_url()).status_code == 200
    assert county.post(reverse("congress:suggestion-close", args=[s.pk]), {}).status_code == 409
    assert (
        county.post(reverse("congress:suggestion-key", args=[s.pk]), {"mark_key-key_leader": "县"}).status_code == 403
    )


def test_overdue_rows_are_red_and_filterable(world, town, login):
    late = assigned(world, town)
    fine = assigned(world, town, title="按期办理中的建议")
    Suggestion.objects.filter(pk=late.pk).update(due_on=TODAY - DAY)
    client = login(world.clerk_a)
    page = client.get(reverse("congress:suggestion-list")).content.decode()
    assert page.count("overdue-row") == 1 and 'id="overdue-alert"' in page
    page = client.get(reverse("congress:suggestion-list") + "?flag=overdue").content.decode()
    assert late.title in page and fine.title not in page
    page = client.get(reverse("congress:suggestion-list") + f"?unit={town.unit_b.pk}&state=assigned").content.decode()
    assert late.title in page and fine.title in page
    page = client.get(reverse("congress:suggestion-list") + f"?deputy={town.co.pk}").content.decode()
    assert late.title not in page


def test_list_queries_do_not_grow_with_rows(world, town, login):
    for i in range(3):
        assigned(world, town, title=f"建议{i}", co=[town.co])
    client = login(world.clerk_a)
    url = reverse("congress:suggestion-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(6):
        assigned(world, town, title=f"更多建议{i}", co=[town.co, town.other])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- statistics and the ledger --------------------------------------------------------------


@pytest.fixture
def stats_data(world, town):
    """A fixed year (2025) of assignments: unit_a leads four and assists one, unit_b leads one."""

    def suggestion(rating=""):
        return SuggestionFactory(
            region=world.town_a, term=town.term, lead_deputy=town.me, state=S.ASSIGNED, rating=rating
        )

    def give(s, unit, *, role="lead", due, answered_on=None, answer_class="", round_=1, on=datetime.date(2025, 3, 1)):
        return SuggestionAssignmentFactory(
            suggestion=s, unit=unit, role=role, round=round_, assigned_on=on, due_on=due,
            answered_on=answered_on, answer_class=answer_class, answer="答复" if answered_on else "",
        )  # fmt: skip

    june = datetime.date(2025, 6, 1)
    s1, s2, s3 = suggestion("satisfied"), suggestion("unsatisfied"), suggestion("basic")
    give(s1, world.unit_a, due=june, answered_on=datetime.date(2025, 5, 20), answer_class="A")  # on time
    give(s2, world.unit_a, due=june, answered_on=datetime.date(2025, 6, 1), answer_class="A")  # on the day: on time
    give(s2, world.unit_a, due=datetime.date(2025, 7, 1), round_=2)  # re-handling, never answered
    give(s3, world.unit_a, due=june, answered_on=datetime.date(2025, 6, 15), answer_class="B")  # late
    give(s3, town.unit_b, role="assist", due=june, answered_on=datetime.date(2025, 5, 1), answer_class="C")
    s4 = suggestion()
    give(s4, town.unit_b, due=june)  # never answered: overdue
    # Another year and another township do not count.
    give(
        suggestion("satisfied"),
        world.unit_a,
        due=june,
        answered_on=june,
        answer_class="C",
        on=datetime.date(2024, 3, 1),
    )
    b = SuggestionFactory.in_township(world.town_b)
    give(b, HandlingUnitFactory(region=world.town_b, name="乙镇站"), due=june)
    return SimpleNamespace(s1=s1, s2=s2, s3=s3, s4=s4)


def test_statistics_by_unit_on_a_fixed_dataset(world, town, stats_data):
    units = selectors.unit_stats(
        HandlingUnit.objects.for_user(world.clerk_a), region=world.town_a, year=2025, today=datetime.date(2026, 1, 1)
    )
    rows = {u.name: selectors.stats_row(u) for u in units}
    a, b = rows["甲镇农业站"], rows["甲镇水务站"]
    assert (a["assignments"], a["answered"], a["on_time"], a["judged"], a["overdue"]) == (4, 3, 2, 4, 1)
    assert a["on_time_rate"] == 50.0
    assert (a["class_a"], a["class_b"], a["class_c"], a["class_a_share"], a["class_b_share"]) == (2, 1, 0, 66.7, 33.3)
    # Ratings of the suggestions it led: satisfied, unsatisfied, basic (s2 counted once).
    assert (a["rated"], a["rating_satisfied"], a["rating_basic"], a["rating_unsatisfied"]) == (3, 1, 1, 1)
    assert (a["rating_satisfied_share"], a["satisfaction_rate"]) == (33.3, 66.7)
    assert (b["assignments"], b["answered"], b["on_time"], b["overdue"], b["class_c_share"], b["rated"]) == (
        2,
        1,
        1,
        1,
        100.0,
        0,
    )
    assert b["on_time_rate"] == 50.0 and b["satisfaction_rate"] is None
    assert "乙镇站" not in rows
    totals = selectors.stats_totals(
        SuggestionAssignment.objects.for_user(world.clerk_a), region=world.town_a, year=2025,
        today=datetime.date(2026, 1, 1),
    )  # fmt: skip
    assert (totals["assignments"], totals["answered"], totals["on_time"], totals["rated"]) == (6, 4, 3, 3)


def test_statistics_page_shows_the_table_and_chart(world, town, stats_data, login):
    page = login(world.clerk_a).get(reverse("congress:suggestion-stats") + "?year=2025").content.decode()
    assert "甲镇农业站" in page and "50.0%" in page and "66.7%" in page and "乙镇站" not in page
    assert 'data-chart="chart-suggestion-units"' in page and "js/charts.js" in page
    county = login(world.county_admin).get(reverse("congress:suggestion-stats") + "?year=2025").content.decode()
    assert "乙镇站" in county and "甲镇农业站" in county


def ledger(client, query=""):
    response = client.get(reverse("congress:suggestion-ledger-xlsx") + query)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("建议办理台账")
    return response, sheet.to_python()


def test_ledger_has_the_columns_and_only_the_users_rows(world, town, login):
    s = answered(world, town, co=[town.co])
    tricky = submitted(world, town, title='=HYPERLINK("http://x")')
    b = SuggestionFactory.in_township(world.town_b)
    response, rows = ledger(login(world.clerk_a))
    assert response["Content-Disposition"].startswith("attachment")
    header, *body = rows
    assert header == selectors.LEDGER_HEADER
    by_title = {r[1]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by_title) == {s.title, "'" + tricky.title}, "formulas neutralised; township B absent"
    row = by_title[s.title]
    assert (row["编号"], row["领衔代表"], row["附议代表"], row["类别"], row["状态"]) == (
        s.number,
        "王建议",
        "李附议",
        "城乡建设和交通",
        "已答复",
    )
    assert (row["主办单位"], row["协办单位"], row["答复类别"], row["提出会议"]) == (
        "甲镇农业站",
        "甲镇水务站",
        "A",
        "闭会期间",
    )
    assert row["办理期限"] == services.due_date(TODAY, 3).isoformat()
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).latest("time")
    assert "建议办理台账" in entry.changes["note"]["new"] and "2 行" in entry.changes["note"]["new"]
    _, rows = ledger(login(world.clerk_a), "?state=answered")
    assert [r[1] for r in rows[1:]] == [s.title]
    _, rows = ledger(login(world.county_admin))
    assert {r[1] for r in rows[1:]} == {s.title, "'" + tricky.title, b.title}
    assert login(world.deputy_a).get(reverse("congress:suggestion-ledger-xlsx")).status_code == 403


# --- panels ---------------------------------------------------------------------------------


def test_dashboards_and_duty_file(world, town, login, rf):
    s = answered(world, town, co=[town.co])
    draft(world, town, title="还在起草的建议")
    page = login(world.clerk_a).get(reverse("home")).content.decode()
    assert 'id="panel-suggestions"' in page and "代表建议办理" in page
    page = login(world.unit_user_a).get(reverse("home")).content.decode()
    assert 'id="panel-unit_suggestions"' in page
    page = login(world.deputy_a).get(reverse("home")).content.decode()
    assert 'id="panel-my_suggestions"' in page and "待我评价" in page

    panel = duty_file_panels._panels["suggestions"]
    assert (panel.title, panel.order) == ("提出建议", 60)
    request = rf.get("/")
    request.user = world.clerk_a
    html = render_to_string(panel.template, panel.context(request, town.co), request=request)
    assert s.get_absolute_url() in html and "附议" in html and "还在起草的建议" not in html
    html = render_to_string(panel.template, panel.context(request, town.other), request=request)
    assert "暂无代表建议" in html


def test_sidebar_entries_by_role(world, town, login):
    page = login(world.clerk_a).get(reverse("home")).content.decode()
    assert f'href="{reverse("congress:suggestion-list")}"' in page
    assert f'href="{reverse("congress:suggestion-stats")}"' in page
    page = login(world.deputy_a).get(reverse("home")).content.decode()
    assert f'href="{reverse("congress:my-suggestion-list")}"' in page
    assert f'href="{reverse("congress:suggestion-list")}"' not in page
    page = login(world.unit_user_a).get(reverse("home")).content.decode()
    assert f'href="{reverse("congress:unit-suggestion-list")}"' in page
    assert f'href="{reverse("congress:notification-list")}"' in page


# --- notifications --------------------------------------------------------------------------


def test_notifications_are_personal(world, login):
    mine = Notification.objects.create(user=world.clerk_a, title="给甲镇秘书的通知", url="/congress/suggestions/")
    theirs = Notification.objects.create(user=world.clerk_b, title="给乙镇秘书的通知")
    client = login(world.clerk_a)
    page = client.get(reverse("congress:notification-list")).content.decode()
    assert mine.title in page and theirs.title not in page and "未读 1 条" in page
    read = reverse("congress:notification-read")
    assert client.post(read, {"pk": theirs.pk}).status_code == 404
    assert client.post(read, {"pk": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(read).status_code == 405
    response = client.post(read, {"pk": mine.pk, "open": "1"})
    assert response.status_code == 302 and response["Location"] == "/congress/suggestions/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # An outside address is never followed.
    outside = Notification.objects.create(user=world.clerk_a, title="外链", url="https://evil.example/")
    response = client.post(read, {"pk": outside.pk, "open": "1"})
    assert response["Location"] == reverse("congress:notification-list")
    Notification.objects.create(user=world.clerk_a, title="再来一条")
    assert client.post(reverse("congress:notification-list")).status_code == 302
    assert not Notification.objects.filter(user=world.clerk_a, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=world.clerk_b, read_at__isnull=True).exists()


def test_events_are_scoped_like_their_suggestion(world, town):
    s = submitted(world, town)
    assert SuggestionEvent.objects.for_user(world.clerk_a).filter(suggestion=s).count() == 2
    assert not SuggestionEvent.objects.for_user(world.clerk_b).filter(suggestion=s).exists()
