"""Supervision 监督: the chain's allowed and refused transitions, the dates and participants
it accepts, overdue rectifications, the satisfaction vote bounded by the serving deputies,
the supervised unit submitting its own rectification report (and nobody else's), the plan
unique per year, township B's clerk kept out of every page of township A, a list whose
query count does not grow, the Excel ledger, and the duty file's 参加监督 panel."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from congress import selectors_supervision as selectors
from congress import services_supervision as services
from congress.models import SupervisionItem, SupervisionPlan
from org.models import Notification
from org.roles import Role
from tests.factories import (
    DeputyFactory,
    HandlingUnitFactory,
    MandateFactory,
    SupervisionItemFactory,
    SupervisionPlanFactory,
    TermFactory,
    member,
)

pytestmark = pytest.mark.django_db

S = SupervisionItem.State
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
YEAR = TODAY.year


@pytest.fixture
def town(world):
    """Township A with three serving deputies, and a second unit with its own staff."""
    term = TermFactory(region=world.town_a)
    deputies = [DeputyFactory(region=world.town_a, name=n) for n in ("张监督", "李监督", "王监督")]
    for d in deputies:
        MandateFactory(deputy=d, region=world.town_a, term=term)
    unit_b = HandlingUnitFactory(region=world.town_a, name="甲镇水务站")
    return {
        "deputies": deputies,
        "unit_b": unit_b,
        "unit_user_b": member(world.town_a, Role.HANDLING_UNIT, handling_unit=unit_b, username="unit_b"),
    }


def planned(world, **kw):
    kw.setdefault("unit", world.unit_a)
    return services.supervision_item_create(
        region=kw.pop("region", world.town_a),
        year=kw.pop("year", YEAR),
        quarter=kw.pop("quarter", 2),
        kind=kw.pop("kind", SupervisionItem.Kind.REPORT_REVIEW),
        title=kw.pop("title", "听取和审议镇政府关于农村人居环境整治工作的报告"),
        user=world.clerk_a,
        **kw,
    )


def held(world, town, on=None, **kw):
    item = planned(world, **kw)
    return services.supervision_item_hold(
        item=item, date=on or TODAY - 40 * DAY, participants=town["deputies"], user=world.clerk_a
    )


def opinion_sent(world, town, sent_on=None, due=None, **kw):
    item = held(world, town, **kw)
    return services.supervision_opinion_send(
        item=item,
        opinion="一、加快垃圾分类设施建设；二、建立长效管护机制。",
        sent_on=sent_on or TODAY - 30 * DAY,
        rectification_due=due,
        user=world.clerk_a,
    )


def rectified(world, town, **kw):
    item = opinion_sent(world, town, **kw)
    return services.supervision_rectification_record(
        item=item, report="已新建垃圾收集点12处，建立村级保洁制度。", on=TODAY - 10 * DAY, user=world.clerk_a
    )


def follow(item, world, satisfied=2, basically=1, unsatisfied=0, on=None):
    return services.supervision_follow_up(
        item=item,
        text="主席团组织代表实地查看了整改情况。",
        on=on or TODAY - 2 * DAY,
        satisfied=satisfied,
        basically_satisfied=basically,
        unsatisfied=unsatisfied,
        user=world.clerk_a,
    )


# --- the chain ------------------------------------------------------------------------------


def test_the_chain_runs_from_planned_to_closed(world, town):
    item = planned(world)
    assert item.state == S.PLANNED and item.created_by == world.clerk_a
    item = services.supervision_item_hold(
        item=item, date=TODAY - 40 * DAY, participants=town["deputies"][:2], user=world.clerk_a
    )
    assert item.state == S.HELD and item.date == TODAY - 40 * DAY
    assert set(item.participants.all()) == set(town["deputies"][:2])
    item = services.supervision_opinion_send(
        item=item, opinion="请加快整改。", sent_on=TODAY - 30 * DAY, rectification_due=None, user=world.clerk_a
    )
    assert item.state == S.OPINION_SENT and item.review_opinion == "请加快整改。"
    assert item.opinion_sent_on == TODAY - 30 * DAY
    # The unit's staff are told, with a link to the unit's page of the item.
    note = Notification.objects.get(user=world.unit_user_a)
    assert item.title in note.title and note.url == reverse("congress:unit-supervision-detail", args=[item.pk])
    item = services.supervision_rectification_record(item=item, report="已整改。", on=TODAY, user=world.clerk_a)
    assert item.state == S.RECTIFIED and item.rectified_on == TODAY
    item = follow(item, world, satisfied=2, basically=1, on=TODAY)
    item.refresh_from_db()
    assert item.state == S.CLOSED and (item.satisfied, item.basically_satisfied, item.unsatisfied) == (2, 1, 0)
    assert item.follow_up.startswith("主席团") and item.followed_up_on == TODAY


@pytest.mark.parametrize(
    ("sent_on", "due"),
    [
        (datetime.date(YEAR - 1, 1, 31), datetime.date(YEAR - 1, 3, 31)),  # the calendar month, not 60 days
        (datetime.date(YEAR - 1, 11, 15), datetime.date(YEAR, 1, 15)),  # across the new year
    ],
)
def test_default_due_is_two_months_after_the_opinions(world, town, sent_on, due):
    item = planned(world, year=YEAR - 1)
    item = services.supervision_item_hold(
        item=item, date=datetime.date(YEAR - 1, 1, 10), participants=town["deputies"], user=world.clerk_a
    )
    item = services.supervision_opinion_send(
        item=item, opinion="意见", sent_on=sent_on, rectification_due=None, user=world.clerk_a
    )
    assert item.rectification_due == due
    # A date the clerk sets wins.
    other = held(world, town)
    other = services.supervision_opinion_send(
        item=other, opinion="意见", sent_on=TODAY - DAY, rectification_due=TODAY + 90 * DAY, user=world.clerk_a
    )
    assert other.rectification_due == TODAY + 90 * DAY


STEPS = {
    "hold": lambda item, world, town: services.supervision_item_hold(
        item=item, date=TODAY - DAY, participants=town["deputies"], user=world.clerk_a
    ),
    "opinion": lambda item, world, town: services.supervision_opinion_send(
        item=item, opinion="意见", sent_on=TODAY, rectification_due=None, user=world.clerk_a
    ),
    "rectification": lambda item, world, town: services.supervision_rectification_record(
        item=item, report="报告", on=TODAY, user=world.clerk_a
    ),
    "follow_up": lambda item, world, town: follow(item, world, on=TODAY),
}
BUILDERS = {
    S.PLANNED: lambda world, town: planned(world),
    S.HELD: held,
    S.OPINION_SENT: opinion_sent,
    S.RECTIFIED: rectified,
    S.CLOSED: lambda world, town: follow(rectified(world, town), world),
}
ALLOWED = {("hold", S.PLANNED), ("opinion", S.HELD), ("rectification", S.OPINION_SENT), ("follow_up", S.RECTIFIED)}


def test_the_transition_table_is_the_one_described():
    assert {(step, src) for step, t in services.TRANSITIONS.items() for src in t.sources} == ALLOWED
    assert services.allowed_steps(S.CLOSED) == []
    assert services.allowed_steps(S.HELD) == ["opinion"]


REFUSED = [(step, state) for step in STEPS for state in BUILDERS if (step, state) not in ALLOWED]


@pytest.mark.parametrize(("step", "state"), REFUSED)
def test_a_step_the_state_does_not_allow_is_refused_naming_the_state(world, town, step, state):
    item = BUILDERS[state](world, town)
    before = SupervisionItem.objects.get(pk=item.pk)
    with pytest.raises(ValidationError) as exc:
        STEPS[step](item, world, town)
    label = S(state).label
    assert f"当前状态为“{label}”" in exc.value.messages[0]
    after = SupervisionItem.objects.get(pk=item.pk)
    assert after.state == before.state and after.opinion_sent_on == before.opinion_sent_on


def test_dates_must_not_run_before_the_previous_step_or_into_the_future(world, town):
    item = held(world, town, on=TODAY - 10 * DAY)
    with pytest.raises(ValidationError) as exc:
        services.supervision_opinion_send(
            item=item, opinion="意见", sent_on=TODAY - 11 * DAY, rectification_due=None, user=world.clerk_a
        )
    assert "交办日期不能早于开展日期" in str(exc.value.message_dict["sent_on"])
    with pytest.raises(ValidationError) as exc:
        services.supervision_opinion_send(
            item=item, opinion="意见", sent_on=TODAY - 5 * DAY, rectification_due=TODAY - 6 * DAY, user=world.clerk_a
        )
    assert "整改期限应晚于交办日期" in str(exc.value.message_dict["rectification_due"])
    item = services.supervision_opinion_send(
        item=item, opinion="意见", sent_on=TODAY - 5 * DAY, rectification_due=None, user=world.clerk_a
    )
    with pytest.raises(ValidationError) as exc:
        services.supervision_rectification_record(item=item, report="报告", on=TODAY - 6 * DAY, user=world.clerk_a)
    assert "报送日期不能早于审议意见交办日期" in str(exc.value.message_dict["on"])
    with pytest.raises(ValidationError) as exc:
        services.supervision_rectification_record(item=item, report="报告", on=TODAY + DAY, user=world.clerk_a)
    assert "报送日期不能晚于今天" in str(exc.value.message_dict["on"])
    item = services.supervision_rectification_record(item=item, report="报告", on=TODAY - 3 * DAY, user=world.clerk_a)
    with pytest.raises(ValidationError) as exc:
        follow(item, world, on=TODAY - 4 * DAY)
    assert "跟踪日期不能早于整改情况报送日期" in str(exc.value.message_dict["on"])


def test_participants_must_be_deputies_of_the_township(world, town):
    outsider = DeputyFactory(region=world.town_b, name="乙镇代表")
    item = planned(world)
    with pytest.raises(ValidationError) as exc:
        services.supervision_item_hold(
            item=item, date=TODAY, participants=[town["deputies"][0], outsider], user=world.clerk_a
        )
    assert "参加代表必须是甲镇的代表：乙镇代表" in str(exc.value.message_dict["participants"])
    with pytest.raises(ValidationError) as exc:
        services.supervision_item_hold(item=item, date=TODAY, participants=[], user=world.clerk_a)
    assert "请至少选择一名参加代表" in str(exc.value.message_dict["participants"])
    item.refresh_from_db()
    assert item.state == S.PLANNED


def test_only_the_townships_clerk_writes(world, town):
    with pytest.raises(PermissionDenied):
        services.supervision_item_create(
            region=world.town_a, year=YEAR, quarter=1, kind="inspection", title="视察", unit=None, user=world.clerk_b
        )
    item = planned(world)
    for user in (world.clerk_b, world.county_admin, world.unit_user_a):
        with pytest.raises(PermissionDenied):
            services.supervision_item_hold(item=item, date=TODAY, participants=town["deputies"], user=user)
    item.refresh_from_db()
    assert item.state == S.PLANNED


def test_a_unit_of_another_township_is_refused(world):
    other = HandlingUnitFactory(region=world.town_b, name="乙镇农业站")
    with pytest.raises(ValidationError) as exc:
        planned(world, unit=other)
    assert "被监督单位“乙镇农业站”不属于甲镇" in str(exc.value.message_dict["unit"])


def test_only_a_planned_item_may_be_deleted(world, town):
    item = held(world, town)
    with pytest.raises(ValidationError, match="只有计划中的事项可以删除"):
        services.supervision_item_delete(item=item, user=world.clerk_a)
    fresh = planned(world)
    services.supervision_item_delete(item=fresh, user=world.clerk_a)
    assert not SupervisionItem.objects.filter(pk=fresh.pk).exists()
    assert SupervisionItem.objects.filter(pk=item.pk).exists()


# --- overdue --------------------------------------------------------------------------------


def test_overdue_means_opinions_sent_and_the_due_date_passed(world, town, login):
    late = opinion_sent(world, town, due=TODAY - DAY, title="逾期的整改")
    on_time = opinion_sent(world, town, due=TODAY + DAY, title="未到期的整改")
    assert late.is_overdue and not on_time.is_overdue
    assert list(selectors.overdue(SupervisionItem.objects.all())) == [late]
    # A report in, the item is no longer overdue whatever the date.
    services.supervision_rectification_record(item=late, report="已整改", on=TODAY, user=world.clerk_a)
    late.refresh_from_db()
    assert not late.is_overdue and list(selectors.overdue(SupervisionItem.objects.all())) == []


def test_the_list_shows_an_overdue_item_in_red(world, town, login):
    late = opinion_sent(world, town, due=TODAY - DAY, title="逾期的整改")
    opinion_sent(world, town, due=TODAY + DAY, title="未到期的整改")
    r = login(world.clerk_a).get(reverse("congress:supervision-list"))
    text = r.content.decode()
    assert r.status_code == 200
    assert text.count("overdue-row") == 1
    row = text[text.index("overdue-row") :]
    assert late.title in row[: row.index("</tr>")]
    assert r.context["counts"]["overdue"] == 1
    r = login(world.clerk_a).get(reverse("congress:supervision-list"), {"year": YEAR, "overdue": "on"})
    assert [i.pk for i in r.context["object_list"]] == [late.pk]


# --- the satisfaction vote ------------------------------------------------------------------


def test_the_vote_cannot_exceed_the_serving_deputies(world, town):
    item = rectified(world, town)
    with pytest.raises(ValidationError) as exc:
        follow(item, world, satisfied=2, basically=1, unsatisfied=1)
    assert "超过" in str(exc.value.message_dict["satisfied"]) and "在任代表人数（3人）" in str(exc.value)
    item.refresh_from_db()
    assert item.state == S.RECTIFIED
    # A deputy whose mandate ended before the vote no longer counts.
    mandate = town["deputies"][2].mandates.get()
    mandate.ended_on, mandate.status = TODAY - 5 * DAY, "resigned"
    mandate.save()
    with pytest.raises(ValidationError, match="在任代表人数（2人）"):
        follow(item, world, satisfied=2, basically=1, unsatisfied=0)
    item = follow(item, world, satisfied=1, basically=0, unsatisfied=1)
    assert item.state == S.CLOSED


def test_negative_votes_are_refused(world, town):
    item = rectified(world, town)
    with pytest.raises(ValidationError, match="不能为负数"):
        follow(item, world, satisfied=-1, basically=1, unsatisfied=0)


@pytest.mark.parametrize(
    ("votes", "flagged"),
    [((2, 0, 1), False), ((1, 0, 1), True), ((0, 0, 0), False), ((4, 2, 3), False), ((4, 1, 3), True)],
)
def test_more_than_a_third_unsatisfied_is_flagged(votes, flagged):
    s, b, u = votes
    assert services.high_dissatisfaction(satisfied=s, basically_satisfied=b, unsatisfied=u) is flagged


def test_the_flag_shows_on_the_item(world, town, login):
    item = follow(rectified(world, town), world, satisfied=1, basically=0, unsatisfied=1)
    r = login(world.clerk_a).get(item.get_absolute_url())
    assert 'id="low-rating"' in r.content.decode() and "不满意率高" in r.content.decode()


# --- the supervised unit --------------------------------------------------------------------


def test_the_unit_submits_its_own_rectification_report(world, town, login):
    mine = opinion_sent(world, town, title="农业站的整改")
    other = opinion_sent(world, town, title="水务站的整改", unit=town["unit_b"])
    c = login(world.unit_user_a)

    r = c.get(reverse("congress:unit-supervision-list"))
    assert r.status_code == 200
    assert [i.pk for i in r.context["object_list"]] == [mine.pk]
    assert "水务站的整改" not in r.content.decode()

    url = reverse("congress:unit-supervision-detail", args=[mine.pk])
    r = c.get(url)
    assert r.status_code == 200 and r.context["can_submit"] and "一、加快垃圾分类设施建设" in r.content.decode()
    r = c.post(url, {"report": "已完成整改。", "on": TODAY.isoformat()})
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.state == S.RECTIFIED and mine.rectification_report == "已完成整改。"
    # The township's clerk is told.
    assert Notification.objects.filter(user=world.clerk_a, title__contains="农业站的整改").exists()

    other_url = reverse("congress:unit-supervision-detail", args=[other.pk])
    assert c.get(other_url).status_code == 404
    assert c.post(other_url, {"report": "冒名报送", "on": TODAY.isoformat()}).status_code == 404
    other.refresh_from_db()
    assert other.state == S.OPINION_SENT and other.rectification_report == ""
    # The clerk's pages of the item are not the unit's.
    assert c.get(mine.get_absolute_url()).status_code == 403
    assert c.post(reverse("congress:supervision-rectification", args=[other.pk]), {}).status_code == 403


def test_a_unit_user_cannot_record_through_the_service_for_another_unit(world, town):
    other = opinion_sent(world, town, unit=town["unit_b"])
    with pytest.raises(PermissionDenied):
        services.supervision_rectification_record(item=other, report="报告", on=TODAY, user=world.unit_user_a)
    services.supervision_rectification_record(item=other, report="报告", on=TODAY, user=town["unit_user_b"])
    other.refresh_from_db()
    assert other.state == S.RECTIFIED


def test_the_unit_page_refuses_a_report_before_the_opinions(world, town, login):
    item = held(world, town)
    r = login(world.unit_user_a).post(
        reverse("congress:unit-supervision-detail", args=[item.pk]), {"report": "报告", "on": TODAY.isoformat()}
    )
    assert r.status_code == 200 and "当前状态为“已开展”，不能报送整改情况" in r.content.decode()
    item.refresh_from_db()
    assert item.state == S.HELD


# --- scope ----------------------------------------------------------------------------------

PK_URLS = [
    "congress:supervision-detail",
    "congress:supervision-update",
    "congress:supervision-delete",
    "congress:supervision-hold",
    "congress:supervision-opinion",
    "congress:supervision-rectification",
    "congress:supervision-follow-up",
    "congress:unit-supervision-detail",
]


@pytest.mark.parametrize("name", PK_URLS)
def test_clerk_b_gets_404_on_every_item_page_of_township_a(world, town, login, name):
    item = opinion_sent(world, town)
    before = SupervisionItem.objects.filter(pk=item.pk).values().get()
    url = reverse(name, args=[item.pk])
    c = login(world.clerk_b)
    assert c.get(url).status_code == 404
    if name != "congress:supervision-detail":  # the detail page takes no POST (405 for everyone)
        data = {"report": "x", "on": TODAY.isoformat(), "opinion": "x", "sent_on": TODAY.isoformat()}
        assert c.post(url, data).status_code == 404
    assert SupervisionItem.objects.filter(pk=item.pk).values().get() == before
    assert login(world.clerk_a).get(url).status_code in (200, 302)


def test_clerk_b_gets_404_on_the_plan_of_township_a(world, login):
    plan = SupervisionPlanFactory(region=world.town_a, year=YEAR)
    url = reverse("congress:supervision-plan", args=[plan.pk])
    c = login(world.clerk_b)
    assert c.get(url).status_code == 404
    assert c.post(url, {"year": YEAR, "q1_focus": "改了"}).status_code == 404
    plan.refresh_from_db()
    assert plan.q1_focus == "优化营商环境"
    assert login(world.county_admin).get(url).status_code == 200


def test_the_county_reads_every_township_and_narrows_to_one(world, town, login):
    a = planned(world, title="甲镇的监督事项")
    b = SupervisionItemFactory(region=world.town_b, title="乙镇的监督事项", year=YEAR)
    c = login(world.county_admin)
    r = c.get(reverse("congress:supervision-list"))
    assert {i.pk for i in r.context["object_list"]} == {a.pk, b.pk}
    assert r.context["show_township"]
    c.post(reverse("org:region-switch"), {"region": world.town_b.pk, "next": "/"})
    r = c.get(reverse("congress:supervision-list"))
    assert [i.pk for i in r.context["object_list"]] == [b.pk]
    # The county reads an item but does not act on it.
    r = c.get(a.get_absolute_url())
    assert r.status_code == 200 and r.context["step_form"] is None
    assert c.post(reverse("congress:supervision-hold", args=[a.pk]), {}).status_code == 403


# --- pages ----------------------------------------------------------------------------------


def bulk_items(world, town, n, start=0):
    deputies = town["deputies"]
    for i in range(n):
        item = SupervisionItem.objects.create(
            region=world.town_a,
            year=YEAR,
            quarter=i % 4 + 1,
            kind=SupervisionItem.Kind.values[i % 7],
            title=f"批量监督事项{start + i}",
            unit=world.unit_a if i % 2 else town["unit_b"],
            state=S.OPINION_SENT if i % 3 == 0 else S.HELD,
            date=TODAY - 50 * DAY,
            opinion_sent_on=TODAY - 40 * DAY,
            rectification_due=TODAY - DAY if i % 3 == 0 else None,
        )
        item.participants.set(deputies[: i % 3 + 1])


@pytest.mark.parametrize("persona", ["clerk_a", "county_admin"])
def test_the_list_reads_a_constant_number_of_queries(world, town, login, django_assert_num_queries, persona):
    SupervisionPlanFactory(region=world.town_a, year=YEAR)
    bulk_items(world, town, 3)
    c = login(getattr(world, persona))
    url = reverse("congress:supervision-list")
    c.get(url)  # settles the session
    with CaptureQueriesContext(connection) as three:
        r = c.get(url)
    assert r.status_code == 200 and r.context["paginator"].count == 3
    bulk_items(world, town, 17, start=3)
    with django_assert_num_queries(len(three)):
        r = c.get(url)
    assert r.context["paginator"].count == 20
    assert sum(len(q["items"]) for q in r.context["quarters"]) == 20


def test_counts_by_kind_and_state_in_one_query(world, town, django_assert_num_queries):
    planned(world, kind="inspection")
    planned(world, kind="inspection")
    held(world, town, kind="inquiry")
    opinion_sent(world, town, kind="research", due=TODAY - DAY)
    planned(world, kind="inspection", year=YEAR - 1)  # another year
    SupervisionItemFactory(region=world.town_b, year=YEAR, kind="inspection")  # another township
    qs = SupervisionItem.objects.for_user(world.clerk_a)
    with django_assert_num_queries(1):
        counts = selectors.counts(qs, year=YEAR)
    by_kind = {k["kind"]: k["count"] for k in counts["by_kind"]}
    assert [k["label"] for k in counts["by_kind"]] == [
        "听取审议专项工作报告", "视察", "调研", "执法检查", "工作评议", "满意度测评", "专题询问",
    ]  # fmt: skip
    assert by_kind["inspection"] == 2 and by_kind["inquiry"] == 1 and by_kind["research"] == 1
    by_state = {s["state"]: s["count"] for s in counts["by_state"]}
    assert by_state == {"planned": 2, "held": 1, "opinion_sent": 1, "rectified": 0, "closed": 0}
    assert counts["total"] == 4 and counts["overdue"] == 1


def test_the_list_groups_items_by_quarter_under_the_plans_focus(world, town, login):
    services.supervision_plan_save(
        region=world.town_a,
        year=YEAR,
        focus={1: "营商环境", 3: "乡村振兴"},
        approved_on=None,
        note="",
        user=world.clerk_a,
    )
    planned(world, quarter=3, title="视察乡村振兴项目")
    r = login(world.clerk_a).get(reverse("congress:supervision-list"))
    quarters = {q["quarter"]: q for q in r.context["quarters"]}
    assert quarters[3]["focus"] == "乡村振兴" and [i.title for i in quarters[3]["items"]] == ["视察乡村振兴项目"]
    assert quarters[2]["items"] == [] and quarters[1]["focus"] == "营商环境"
    text = r.content.decode()
    assert 'id="plan-focus"' in text and "营商环境" in text


def test_the_detail_offers_the_next_step_and_a_step_view_moves_the_item(world, town, login):
    item = planned(world)
    c = login(world.clerk_a)
    r = c.get(item.get_absolute_url())
    assert r.context["step"] == "hold"
    assert {d.pk for d in r.context["step_form"].fields["participants"].queryset} == {d.pk for d in town["deputies"]}
    url = reverse("congress:supervision-hold", args=[item.pk])
    r = c.post(url, {"date": (TODAY - DAY).isoformat(), "participants": [d.pk for d in town["deputies"]]})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.state == S.HELD and item.participants.count() == 3
    # The same step again is refused with the state named, nothing changed.
    r = c.post(url, {"date": TODAY.isoformat(), "participants": [town["deputies"][0].pk]})
    assert r.status_code == 200 and "当前状态为“已开展”，不能登记开展情况" in r.content.decode()
    assert item.participants.count() == 3
    # An invalid form comes back with the service's message beside the field.
    r = c.post(
        reverse("congress:supervision-opinion", args=[item.pk]),
        {"opinion": "意见", "sent_on": (TODAY - 5 * DAY).isoformat()},
    )
    assert r.status_code == 200
    assert "交办日期不能早于开展日期" in str(r.context["step_form"].errors["sent_on"])


def test_the_update_form_corrects_facts_and_participants_once_held(world, town, login):
    item = held(world, town)
    c = login(world.clerk_a)
    url = reverse("congress:supervision-update", args=[item.pk])
    r = c.get(url)
    assert "participants" in r.context["form"].fields
    r = c.post(
        url,
        {
            "year": YEAR,
            "quarter": 3,
            "kind": "inspection",
            "title": "视察垃圾分类工作",
            "unit": world.unit_a.pk,
            "date": (TODAY - 20 * DAY).isoformat(),
            "participants": [town["deputies"][0].pk],
        },
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert (item.quarter, item.kind, item.title) == (3, "inspection", "视察垃圾分类工作")
    assert list(item.participants.all()) == [town["deputies"][0]]


def test_a_second_plan_for_the_same_year_is_a_chinese_form_error(world, login):
    c = login(world.clerk_a)
    url = reverse("congress:supervision-plan-create")
    data = {"year": YEAR, "q1_focus": "优化营商环境", "q2_focus": "", "q3_focus": "", "q4_focus": "", "note": ""}
    r = c.post(url, data)
    assert r.status_code == 302
    plan = SupervisionPlan.objects.get(region=world.town_a, year=YEAR)
    r = c.post(url, {**data, "q1_focus": "第二份计划"})
    assert r.status_code == 200
    assert "甲镇" in str(r.context["form"].errors["year"]) and "监督工作计划已经存在" in str(
        r.context["form"].errors["year"]
    )
    assert SupervisionPlan.objects.filter(region=world.town_a, year=YEAR).count() == 1
    plan.refresh_from_db()
    assert plan.q1_focus == "优化营商环境"


def test_a_plan_ties_the_years_items_and_is_edited_on_its_page(world, town, login):
    item = planned(world)
    assert item.plan is None
    plan = services.supervision_plan_save(
        region=world.town_a, year=YEAR, focus={}, approved_on=None, note="", user=world.clerk_a
    )
    item.refresh_from_db()
    assert item.plan == plan
    assert planned(world, title="计划后的事项").plan == plan
    c = login(world.clerk_a)
    url = reverse("congress:supervision-plan", args=[plan.pk])
    r = c.post(url, {"year": YEAR, "q2_focus": "安全生产", "approved_on": (TODAY + DAY).isoformat()})
    assert r.status_code == 200 and "通过日期不能晚于今天" in str(r.context["form"].errors["approved_on"])
    r = c.post(url, {"year": YEAR, "q2_focus": "安全生产", "approved_on": TODAY.isoformat()})
    assert r.status_code == 302
    plan.refresh_from_db()
    assert plan.q2_focus == "安全生产" and plan.approved_on == TODAY
    r = c.get(url)
    assert [i.pk for i in r.context["quarters"][1]["items"]] == [item.pk, item.pk + 1]
    assert login(world.county_admin).post(url, {"year": YEAR}).status_code == 403


def test_export_holds_only_rows_in_scope(world, town, login):
    planned(world, title='=HYPERLINK("http://x")')
    SupervisionItemFactory(region=world.town_b, title="乙镇的监督事项", year=YEAR)

    def titles(user):
        r = login(user).get(reverse("congress:supervision-export"), {"year": YEAR})
        assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
        ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
        return [row[4] for row in ws.iter_rows(min_row=2, values_only=True)]

    assert titles(world.clerk_a) == ['\'=HYPERLINK("http://x")']
    assert titles(world.clerk_b) == ["乙镇的监督事项"]
    assert sorted(titles(world.county_admin)) == sorted(['\'=HYPERLINK("http://x")', "乙镇的监督事项"])


# --- panels ---------------------------------------------------------------------------------


def test_the_duty_file_lists_the_deputys_supervision(world, town, login):
    deputy = town["deputies"][0]
    item = held(world, town, title="视察农村公路建设", kind="inspection")
    services.supervision_item_hold(
        item=planned(world, title="没有参加的监督"),
        date=TODAY - DAY,
        participants=town["deputies"][1:],
        user=world.clerk_a,
    )
    r = login(world.clerk_a).get(deputy.get_absolute_url())
    panel = next(p for p in r.context["panels"] if p["key"] == "supervision")
    assert panel["title"] == "参加监督"
    assert "视察农村公路建设" in panel["html"] and "视察" in panel["html"]
    assert f"{item.date:%Y-%m-%d}" in panel["html"] and "没有参加的监督" not in panel["html"]
    # The deputy reads its own duty file's panel, without links to the clerk's pages.
    deputy.user = world.deputy_a
    deputy.save()
    r = login(world.deputy_a).get(deputy.get_absolute_url())
    panel = next(p for p in r.context["panels"] if p["key"] == "supervision")
    assert "视察农村公路建设" in panel["html"] and item.get_absolute_url() not in panel["html"]


def test_the_dashboard_panel_counts_this_year_and_lists_overdue(world, town, login):
    opinion_sent(world, town, due=TODAY - DAY, title="逾期未整改的事项")
    planned(world)
    r = login(world.clerk_a).get(reverse("home"))
    panel = next(p for p in r.context["panels"] if p["key"] == "supervision")
    assert "逾期未整改的事项" in panel["html"] and "整改超期" in panel["html"]
    r = login(world.unit_user_a).get(reverse("home"))
    keys = [p["key"] for p in r.context["panels"]]
    assert "supervision" not in keys and "unit_supervision" in keys
