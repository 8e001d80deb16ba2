"""Compliance lists 合规提醒: each list takes the row it should and leaves the near miss
(a reception 100 days ago against 10 days ago, an issue due yesterday against tomorrow, a
deputy with one activity against none); the page is scoped (county both townships, a
clerk its own, the region switcher narrows) with a constant number of queries; the
dashboard panel counts the same rows, per township for the county."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deputies.models import Deputy, Mandate
from org.panels import dashboard_panels
from org.roles import Role
from stations import compliance, selectors
from stations.models import Activity, DutyRoster, StandardItem, Station, StationItemState, VoterIssue
from stations.services import standards_preload
from tests.factories import (
    ActivityFactory,
    DeputyFactory,
    MandateFactory,
    ReceptionFactory,
    StationFactory,
    TermFactory,
    VoterIssueFactory,
)

pytestmark = pytest.mark.django_db

ON = compliance.reference_date()
MET = StationItemState.State.MET


def ago(days: int) -> datetime.date:
    return ON - datetime.timedelta(days=days)


def liaison(village, name):
    return Station.objects.create(kind=Station.Kind.LIAISON, region=village, name=name)


def reception(station, days_ago, deputies=()):
    row = ReceptionFactory(station=station, date=ago(days_ago))
    row.deputies.add(*deputies)
    return row


def activity(station, days_ago=0, *, region=None, status=Activity.Status.CONFIRMED, deputies=(), **kw):
    row = ActivityFactory(region=region or station.township, station=station, date=ago(days_ago), status=status, **kw)
    row.participants.add(*deputies)
    return row


def serving(township, name, status=Mandate.Status.SERVING):
    deputy = DeputyFactory(region=township, name=name)
    term = TermFactory(region=township)
    MandateFactory(deputy=deputy, region=township, term=term, status=status)
    return deputy


def names(qs):
    return {str(row) for row in qs}


# --- the lists ----------------------------------------------------------------------------------


def test_idle_rooms_take_a_room_quiet_for_100_days_not_one_seen_10_days_ago(world):
    home = StationFactory(region=world.town_a, name="甲镇人大代表之家")
    quiet = liaison(world.village_a, "百日无接待站")
    reception(quiet, 100)
    activity(quiet, 120)
    recent = liaison(world.village_a, "十日前接待站")
    reception(recent, 10)
    busy = liaison(world.village_a, "十日前活动站")
    activity(busy, 10)
    pending = liaison(world.village_a, "只有待确认活动站")
    activity(pending, 10, status=Activity.Status.PENDING)
    rejected = liaison(world.village_a, "只有退回活动站")
    activity(rejected, 3, status=Activity.Status.REJECTED)
    liaison(world.village_a, "已撤销站")
    Station.objects.filter(name="已撤销站").update(active=False, closed_on=ago(200))
    # A township activity naming no room is the 代表之家's, not a 联络站's.
    activity(None, 5, region=world.town_a)
    future = liaison(world.village_a, "只有下月活动站")
    activity(future, -20)

    idle = compliance.idle_rooms(Station.objects.all(), on=ON)
    assert names(idle) == {"百日无接待站", "只有待确认活动站", "只有退回活动站", "只有下月活动站"}
    assert home not in idle and recent not in idle and busy not in idle

    dated = compliance.with_last_dates(idle, on=ON).get(pk=quiet.pk)
    assert dated.last_reception == ago(100) and dated.last_activity == ago(120)


def test_window_edge_is_ninety_days(world):
    edge = liaison(world.village_a, "九十天前接待站")
    reception(edge, compliance.IDLE_DAYS)
    over = liaison(world.village_a, "九十一天前接待站")
    reception(over, compliance.IDLE_DAYS + 1)
    assert names(compliance.idle_rooms(Station.objects.filter(pk__in=[edge.pk, over.pk]), on=ON)) == {
        "九十一天前接待站"
    }


def test_failing_rooms_take_a_gap_or_a_blank_not_a_room_meeting_every_item(world):
    standards_preload(county=world.county, year=ON.year)
    items = list(StandardItem.objects.filter(standard__name="六有", standard__region=world.county))
    assert len(items) == 6
    full = liaison(world.village_a, "六有全达标站")
    partly = liaison(world.village_a, "一项部分达标站")
    blank = liaison(world.village_a, "未自评站")
    closed = liaison(world.village_a, "撤销的未达标站")
    Station.objects.filter(pk=closed.pk).update(active=False, closed_on=ago(1))
    for i, item in enumerate(items):
        StationItemState.objects.create(station=full, item=item, state=MET)
        state = StationItemState.State.PARTLY if i == 4 else MET
        StationItemState.objects.create(station=partly, item=item, state=state)
    failing = compliance.failing_rooms(Station.objects.all())
    assert names(failing) == {"一项部分达标站", "未自评站"}
    unmet = compliance.unmet_items(failing.select_related("township"))
    assert unmet[partly.pk] == ["有活动"]
    assert unmet[blank.pk] == ["有场所", "有标识", "有人员", "有制度", "有活动", "有资料"]


def test_rooms_are_judged_by_this_years_checklist_not_last_years_too(world):
    """A county keeps last year's 六有 active for its records: a room that met this year's
    items is not failing for last year's blanks, and a gap is listed once, not once a year."""
    standards_preload(county=world.county, year=ON.year - 1)
    standards_preload(county=world.county, year=ON.year)
    this_year = list(
        StandardItem.objects.filter(standard__name="六有", standard__region=world.county, standard__year=ON.year)
    )
    met_now = liaison(world.village_a, "今年全达标站")
    one_gap = liaison(world.village_a, "今年缺一项站")
    for item in this_year:
        StationItemState.objects.create(station=met_now, item=item, state=MET)
        if item.title != "有标识":
            StationItemState.objects.create(station=one_gap, item=item, state=MET)
    failing = compliance.failing_rooms(Station.objects.all())
    assert names(failing) == {"今年缺一项站"}
    assert compliance.unmet_items(failing.select_related("township")) == {one_gap.pk: ["有标识"]}
    counts = {r.pk: (r.met_count, r.gap_count) for r in selectors.with_headline_counts(Station.objects.all())}
    assert counts[met_now.pk] == (6, 0)


def issue(township, content, **kw):
    return VoterIssueFactory(region=township, content=content, **kw)


def test_late_issues_take_overdue_and_not_fed_back(world):
    referred = {"state": VoterIssue.State.REFERRED, "handling_unit": world.unit_a, "referred_on": ago(30)}
    issue(world.town_a, "昨天到期的问题", due_on=ago(1), **referred)
    issue(world.town_a, "明天到期的问题", due_on=ago(-1), **referred)
    issue(world.town_a, "今天到期的问题", due_on=ON, **referred)
    answered = {"state": VoterIssue.State.ANSWERED, "handling_unit": world.unit_a, "due_on": ago(1)}
    days = compliance.FEEDBACK_DAYS
    issue(world.town_a, "答复八天未反馈", answered_on=ago(days + 1), **answered)
    issue(world.town_a, "答复七天未反馈", answered_on=ago(days), **answered)
    issue(world.town_a, "答复两天未反馈", answered_on=ago(2), **answered)
    issue(world.town_a, "早已反馈的问题", state=VoterIssue.State.FED_BACK, answered_on=ago(40), due_on=ago(50))
    issue(world.town_a, "刚登记的问题", raised_on=ago(200))
    late = compliance.late_issues(VoterIssue.objects.all(), on=ON)
    assert names(late) == {"昨天到期的问题", "答复八天未反馈"}


def test_idle_deputies_take_one_with_nothing_not_one_with_an_activity(world):
    room = StationFactory(region=world.town_a, name="甲镇人大代表之家")
    with_activity = serving(world.town_a, "有一次活动")
    activity(room, 0, deputies=[with_activity])
    with_reception = serving(world.town_a, "有一次接待")
    reception(room, 0, deputies=[with_reception])
    with_duty = serving(world.town_a, "有一次值班")
    DutyRoster.objects.create(station=room, date=ON).deputies.add(with_duty)
    serving(world.town_a, "什么都没有")
    pending_only = serving(world.town_a, "只有待确认活动")
    activity(room, 0, status=Activity.Status.PENDING, deputies=[pending_only])
    last_year = serving(world.town_a, "只有去年活动")
    last_day = ON.replace(month=1, day=1) - datetime.timedelta(days=1)
    activity(room, (ON - last_day).days, deputies=[last_year])
    future_duty = serving(world.town_a, "只有明天值班")
    DutyRoster.objects.create(station=room, date=ON + datetime.timedelta(days=1)).deputies.add(future_duty)
    serving(world.town_a, "已辞职代表", status=Mandate.Status.RESIGNED)
    DeputyFactory(region=world.town_a, name="没有代表资格的人")

    idle = compliance.idle_deputies(Deputy.objects.all(), on=ON)
    assert names(idle) == {"什么都没有", "只有待确认活动", "只有去年活动", "只有明天值班"}


# --- the page -----------------------------------------------------------------------------------


@pytest.fixture
def both(world):
    """One row of every list in each township."""
    standards_preload(county=world.county, year=ON.year)
    for town, label in ((world.town_a, "甲"), (world.town_b, "乙")):
        room = StationFactory(region=town, name=f"{label}镇闲置代表之家")
        reception(room, 100)
        issue(town, f"{label}镇超期问题", station=room, state=VoterIssue.State.REFERRED, due_on=ago(3),
              handling_unit=world.unit_a if town == world.town_a else None)  # fmt: skip
        serving(town, f"{label}镇零记录代表")
    return world


PAGE = reverse("stations:compliance")


def tab_text(client, tab):
    response = client.get(f"{PAGE}?tab={tab}")
    assert response.status_code == 200
    return response.content.decode()


def test_county_sees_both_townships_and_a_clerk_its_own(both, login):
    world = both
    for tab, what in (("rooms", "镇闲置代表之家"), ("standards", "镇闲置代表之家"), ("issues", "镇超期问题"),
                      ("deputies", "镇零记录代表")):  # fmt: skip
        county = tab_text(login(world.county_admin), tab)
        assert f"甲{what}" in county and f"乙{what}" in county, tab
        assert "<th>乡镇</th>" in county
        clerk = tab_text(login(world.clerk_a), tab)
        assert f"甲{what}" in clerk and f"乙{what}" not in clerk, tab
        assert "<th>乡镇</th>" not in clerk
        clerk_b = tab_text(login(world.clerk_b), tab)
        assert f"乙{what}" in clerk_b and f"甲{what}" not in clerk_b, tab
    response = login(world.clerk_a).get(PAGE)
    assert [(t["key"], t["count"]) for t in response.context["tabs"]] == [
        ("rooms", 1), ("standards", 1), ("issues", 1), ("deputies", 1),
    ]  # fmt: skip


def test_region_switcher_narrows_the_county(both, login):
    client = login(both.county_admin)
    session = client.session
    session["active_region_id"] = both.town_b.pk
    session.save()
    response = client.get(f"{PAGE}?tab=deputies")
    text = response.content.decode()
    assert "乙镇零记录代表" in text and "甲镇零记录代表" not in text
    assert [t["count"] for t in response.context["tabs"]] == [1, 1, 1, 1]


def test_other_roles_are_refused(both, login, client):
    assert client.get(PAGE).status_code == 302
    for user in (both.deputy_a, both.unit_user_a, both.auditor):
        assert login(user).get(PAGE).status_code == 403


def test_rows_link_to_the_room_and_the_deputy(both, login):
    client = login(both.clerk_a)
    room = Station.objects.get(name="甲镇闲置代表之家")
    assert f'href="{room.get_absolute_url()}"' in tab_text(client, "rooms")
    assert f'href="{room.get_absolute_url()}#checklist"' in tab_text(client, "standards")
    deputy = Deputy.objects.get(name="甲镇零记录代表")
    assert f'href="{deputy.get_absolute_url()}"' in tab_text(client, "deputies")
    assert "超期 3 天" in tab_text(client, "issues")


def add_rows(world, n):
    for town in (world.town_a, world.town_b):
        for i in range(n):
            room = StationFactory(region=town, name=f"{town.name}加测站{i}")
            issue(town, f"{town.name}加测问题{i}", station=room, state=VoterIssue.State.ANSWERED, answered_on=ago(30))
            serving(town, f"{town.name}加测代表{i}")


@pytest.mark.parametrize("tab", [key for key, _ in compliance.LISTS])
def test_page_queries_do_not_grow_with_rows(both, login, tab):
    client = login(both.county_admin)
    url = f"{PAGE}?tab={tab}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url)
    add_rows(both, 6)
    with CaptureQueriesContext(connection) as many:
        second = client.get(url)
    assert len(second.context["rows"]) > len(first.context["rows"])
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- the dashboard panel ------------------------------------------------------------------------


def panel_context(user, region):
    request = RequestFactory().get("/")
    request.user = user
    request.active_region = None
    panel = next(p for p in dashboard_panels.panels() if p.key == "compliance")
    assert panel.title == "待整改事项" and panel.order == 25
    return panel.context(request, region)


def test_panel_counts_the_lists(both):
    world = both
    issue(world.town_a, "甲镇未反馈问题", state=VoterIssue.State.ANSWERED, answered_on=ago(20))
    ctx = panel_context(world.clerk_a, world.town_a)
    assert ctx["counts"] == {"rooms": 1, "standards": 1, "issues": 2, "overdue": 1, "unfed": 1, "deputies": 1}
    assert ctx["by_township"] == []

    ctx = panel_context(world.county_admin, world.county)
    assert ctx["counts"] == {"rooms": 2, "standards": 2, "issues": 3, "overdue": 2, "unfed": 1, "deputies": 2}
    rows = {r["township"].name: r for r in ctx["by_township"]}
    assert {k: rows["甲镇"][k] for k in ("rooms", "standards", "issues", "overdue", "unfed", "deputies")} == {
        "rooms": 1, "standards": 1, "issues": 2, "overdue": 1, "unfed": 1, "deputies": 1,
    }  # fmt: skip
    assert rows["乙镇"]["issues"] == 1 and rows["乙镇"]["unfed"] == 0


def test_panel_per_township_costs_the_same_queries_for_more_townships(both):
    from tests.factories import RegionFactory

    panel_context(both.county_admin, both.county)
    with CaptureQueriesContext(connection) as few:
        panel_context(both.county_admin, both.county)
    for i in range(4):
        town = RegionFactory.township(both.county, name=f"加测镇{i}")
        StationFactory(region=town)
        serving(town, f"加测镇{i}代表")
    with CaptureQueriesContext(connection) as many:
        ctx = panel_context(both.county_admin, both.county)
    assert len(ctx["by_township"]) == 6
    assert len(many) == len(few)


def render_panel(user, region):
    """The panel's HTML as the dashboard renders it (only this panel: the others belong to
    other apps)."""
    request = RequestFactory().get("/")
    request.user = user
    request.active_region = None
    panel = next(p for p in dashboard_panels.panels(roles=[Role.COUNTY_ADMIN]) if p.key == "compliance")
    return render_to_string(panel.template, {**panel.context(request, region), "panel": panel}, request=request)


def test_dashboard_panel_html_and_menu(both, login):
    html = render_panel(both.county_admin, both.county)
    assert "compliance-by-township" in html and "乙镇" in html and "甲镇" in html
    html = render_panel(both.clerk_a, both.town_a)
    assert "compliance-by-township" not in html and "乙镇" not in html
    assert f"{PAGE}?tab=rooms" in html and "问题超期 1、未反馈 0" in html
    assert {p.key for p in dashboard_panels.panels(roles=[Role.TOWNSHIP_CLERK])} >= {"compliance"}
    assert "compliance" not in {p.key for p in dashboard_panels.panels(roles=[Role.DEPUTY])}
    menu = login(both.clerk_a).get(PAGE).context["menu"]
    entries = [item["title"] for section in menu if section["title"] == "两室一平台" for item in section["items"]]
    assert "合规提醒" in entries
