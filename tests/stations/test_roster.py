"""The duty roster 值日表: reading reception-day rules, generating a room's days with its
deputies in rotation, changing days by hand (a holiday moved), the pages, the wall PDF and
a deputy's own duty days."""

from __future__ import annotations

import datetime
import re
import subprocess
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deputies.models import Deputy, DeputyGroup, Mandate
from org.models import Term
from org.roles import Role
from stations.models import DutyRoster, Reception, Station
from stations.roster_rules import LAST, nth_weekday, parse_rule, rule_dates
from stations.services_roster import (
    duty_roster_add,
    duty_roster_delete,
    duty_roster_generate,
    duty_roster_update,
)
from tests.factories import StationFactory, member

D = datetime.date

# --- the rule parser (pure) ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["每月第二个星期二", "每月第2个周二", "每月第二周周二", "每月的第二个礼拜二", "每月第二个星期二（遇节假日顺延）"],
)
def test_second_tuesday_in_any_spelling(text):
    # March 2026 begins on a Sunday: its Tuesdays are the 3rd, 10th, 17th, 24th and 31st.
    assert rule_dates(text, 2026, 3) == [D(2026, 3, 10)]
    assert rule_dates(text, 2026, 9) == [D(2026, 9, 8)]


def test_fifth_tuesday_only_in_months_that_have_one():
    assert rule_dates("每月第五个星期二", 2026, 3) == [D(2026, 3, 31)]
    assert rule_dates("每月第五个星期二", 2026, 2) == []  # Tuesdays 3, 10, 17, 24
    assert rule_dates("每月第五个星期二", 2026, 4) == []  # Tuesdays 7, 14, 21, 28
    months = [m for m in range(1, 13) if rule_dates("每月第5个周二", 2026, m)]
    assert months == [3, 6, 9, 12]


def test_several_ordinals_and_several_groups():
    first_third = [D(2026, 3, 5), D(2026, 3, 19)]
    assert rule_dates("每月第一、三个星期四", 2026, 3) == first_third
    assert rule_dates("每月第一个和第三个星期四", 2026, 3) == first_third
    assert rule_dates("每月第1、第3个周四", 2026, 3) == first_third
    assert rule_dates("每月第二个星期二、第四个星期五", 2026, 3) == [D(2026, 3, 10), D(2026, 3, 27)]


def test_last_weekday_and_last_day():
    assert rule_dates("每月最后一个星期五", 2026, 5) == [D(2026, 5, 29)]  # May 1st is a Friday: five of them
    assert rule_dates("每月倒数第一个周五", 2026, 2) == [D(2026, 2, 27)]
    assert rule_dates("每月最后一天", 2024, 2) == [D(2024, 2, 29)]
    assert rule_dates("每月月底", 2026, 4) == [D(2026, 4, 30)]
    assert nth_weekday(2026, 3, LAST, 1) == D(2026, 3, 31)


def test_weekly_rules():
    assert rule_dates("每周三", 2026, 3) == [D(2026, 3, d) for d in (4, 11, 18, 25)]
    assert rule_dates("每周一、周四", 2026, 3) == [D(2026, 3, d) for d in (2, 5, 9, 12, 16, 19, 23, 26, 30)]
    assert rule_dates("每周一、四", 2026, 3) == rule_dates("每周一和周四", 2026, 3)
    assert len(rule_dates("每周一至周五", 2026, 3)) == 22
    assert rule_dates("每星期六", 2026, 3) == rule_dates("每周末", 2026, 3)[1::2]


def test_days_of_the_month():
    assert rule_dates("每月5日", 2026, 3) == [D(2026, 3, 5)]
    assert rule_dates("每月15号", 2026, 3) == [D(2026, 3, 15)]
    assert rule_dates("每月十五日", 2026, 3) == [D(2026, 3, 15)]
    assert rule_dates("每月5日、20日", 2026, 3) == [D(2026, 3, 5), D(2026, 3, 20)]
    assert rule_dates("每月5，20日", 2026, 3) == [D(2026, 3, 5), D(2026, 3, 20)]
    assert rule_dates("每月31日", 2026, 4) == []  # April has no 31st
    assert rule_dates("每月逢5", 2026, 3) == [D(2026, 3, 5), D(2026, 3, 15), D(2026, 3, 25)]
    assert rule_dates("每月逢五、逢十", 2026, 2) == [D(2026, 2, d) for d in (5, 10, 15, 20, 25)]
    assert rule_dates("每月5日；每周三", 2026, 3) == [D(2026, 3, d) for d in (4, 5, 11, 18, 25)]


def test_hours_and_wording_around_the_rule():
    rule = parse_rule("接待日：每月第二个星期二下午2:30—5:00接待选民")
    assert rule.dates(2026, 3) == [D(2026, 3, 10)]
    assert (rule.start_time, rule.end_time) == (datetime.time(14, 30), datetime.time(17, 0))
    rule = parse_rule("每周三 上午９：００－１１：３０")  # full-width, as typed on a Chinese keyboard
    assert (rule.start_time, rule.end_time) == (datetime.time(9, 0), datetime.time(11, 30))
    assert parse_rule("每月15日9点至11点半").end_time == datetime.time(11, 30)
    assert parse_rule("每月第二个星期二").start_time is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "尚未填写接待日"),
        ("每两周一次", "无法识别接待日“每两周一次”"),
        ("每季度第一个月5日", "无法识别接待日"),
        ("第二个星期二", "无法识别接待日"),
        ("每月第六个星期二", "最多有五个"),
        ("每月32日", "“32日”不存在"),
        ("每月逢11", "逢1至逢10"),
        ("每周五至周一", "前后颠倒"),
        ("每月第二个星期二 11:00-9:00", "应晚于开始时间"),
    ],
)
def test_unknown_or_wrong_rules_are_explained(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_rule(text)
    if "无法识别" in message or not text:
        # The message lists the forms that are understood.
        assert "每月第二个星期二" in str(info.value) and "每周三" in str(info.value) and "每月逢5" in str(info.value)


# --- generation ------------------------------------------------------------------------

NAMES = ["安然", "白雪", "陈晨", "丁一", "方圆"]  # pinyin order: the rotation order


def serving(region, name, term, level=Mandate.Level.TOWNSHIP, status=Mandate.Status.SERVING):
    deputy = Deputy.objects.create(region=region, name=name, gender=Deputy.Gender.MALE)
    Mandate.objects.create(
        deputy=deputy, region=region, term=term, level=level, status=status, elected_on=D(2021, 12, 1)
    )
    return deputy


@pytest.fixture
def term(world):
    return Term.objects.create(region=world.county, number=20, start_date=D(2021, 12, 1), end_date=D(2026, 12, 31))


@pytest.fixture
def pool(world, term):
    return [serving(world.town_a, name, term) for name in reversed(NAMES)]  # created out of order on purpose


@pytest.fixture
def station(world, pool):
    room = StationFactory(
        region=world.town_a,
        name="甲镇人大代表之家",
        reception_rule="每月第二个星期二",
        address="甲镇政府院内",
        opening_hours="工作日 8:30—17:30",
        manager_name="周主任",
        manager_phone="13912345678",
    )
    group = DeputyGroup.objects.create(region=world.town_a, name="甲镇第一代表小组")
    group.members.add(*pool)
    room.groups.add(group)
    return room


def names(entry):
    return [d.name for d in entry.deputies.order_by("name_initials")]


def days_of(station):
    return {e.date: names(e) for e in DutyRoster.objects.filter(station=station).order_by("date")}


def test_generates_the_month_from_the_rule(world, station):
    result = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    assert [e.date for e in result.created] == [D(2026, 3, 10)]
    entry = result.created[0]
    assert names(entry) == ["安然", "白雪"] and entry.generated and not entry.edited
    assert entry.created_by == world.clerk_a


def test_rotation_is_fair_and_continues_across_months(world, station):
    for month in range(1, 6):
        duty_roster_generate(station=station, year=2026, month=month, per_day=2, user=world.clerk_a)
    monthly = days_of(station)
    assert list(monthly.values()) == [
        ["安然", "白雪"],
        ["陈晨", "丁一"],
        ["安然", "方圆"],  # the run wraps round: 方圆 then 安然
        ["白雪", "陈晨"],
        ["丁一", "方圆"],
    ]
    assert Counter(n for day in monthly.values() for n in day) == dict.fromkeys(NAMES, 2)
    # Generating the year at once gives the same turns as month after month.
    duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    whole_year = days_of(station)
    assert len(whole_year) == 12
    assert {d: n for d, n in whole_year.items() if d.month <= 5} == monthly
    assert Counter(n for day in whole_year.values() for n in day) == {
        "安然": 5, "白雪": 5, "陈晨": 5, "丁一": 5, "方圆": 4
    }  # fmt: skip


def test_rotation_continues_from_the_year_before(world, station):
    duty_roster_generate(station=station, year=2025, month=12, per_day=3, user=world.clerk_a)
    assert list(days_of(station).values()) == [["安然", "白雪", "陈晨"]]
    result = duty_roster_generate(station=station, year=2026, month=1, per_day=3, user=world.clerk_a)
    assert names(result.created[0]) == ["安然", "丁一", "方圆"]


def test_fifth_tuesday_year_has_four_days_and_keeps_turning(world, station):
    station.reception_rule = "每月第五个星期二"
    station.save()
    result = duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    assert [e.date for e in result.created] == [D(2026, 3, 31), D(2026, 6, 30), D(2026, 9, 29), D(2026, 12, 29)]
    # February has no fifth Tuesday: nothing to generate, and nothing else is touched.
    result = duty_roster_generate(station=station, year=2026, month=2, user=world.clerk_a)
    assert result.created == [] and result.replaced == 0
    # April comes after March's turn, though the months between are empty.
    station.reception_rule = "每月5日"
    station.save()
    result = duty_roster_generate(station=station, year=2026, month=4, user=world.clerk_a)
    assert names(result.created[0]) == ["陈晨", "丁一"]


def test_per_day_and_weekly_rule(world, station):
    station.reception_rule = "每周三"
    station.save()
    result = duty_roster_generate(station=station, year=2026, month=3, per_day=1, user=world.clerk_a)
    assert [names(e) for e in result.created] == [["安然"], ["白雪"], ["陈晨"], ["丁一"]]
    result = duty_roster_generate(station=station, year=2026, month=3, per_day=10, user=world.clerk_a)
    assert result.replaced == 4
    assert all(names(e) == sorted(NAMES, key=lambda n: NAMES.index(n)) for e in result.created)
    with pytest.raises(ValidationError, match="每天值班代表人数"):
        duty_roster_generate(station=station, year=2026, month=3, per_day=0, user=world.clerk_a)


def test_hours_in_the_rule_go_on_the_days(world, station):
    station.reception_rule = "每月第二个星期二 9:00-11:30"
    station.save()
    entry = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created[0]
    assert (entry.start_time, entry.end_time) == (datetime.time(9, 0), datetime.time(11, 30))


def test_edited_days_are_kept_on_regeneration(world, station, pool):
    station.reception_rule = "每周三"
    station.save()
    created = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created
    swapped = created[1]
    fang = next(d for d in pool if d.name == "方圆")
    duty_roster_update(entry=swapped, date=swapped.date, deputies=[fang], note="换班", user=world.clerk_a)

    result = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    assert result.replaced == 3 and [e.pk for e in result.kept] == [swapped.pk]
    assert sorted(e.date for e in result.created) == [D(2026, 3, 4), D(2026, 3, 18), D(2026, 3, 25)]
    swapped.refresh_from_db()
    assert swapped.edited and swapped.note == "换班" and names(swapped) == ["方圆"]
    assert DutyRoster.objects.filter(station=station).count() == 4


def test_holiday_moved_by_hand_stays_moved(world, station):
    # 2026-10-01 is the first Thursday of October, in the National Day holiday.
    station.reception_rule = "每月第一个星期四"
    station.save()
    duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    national_day = DutyRoster.objects.get(station=station, date=D(2026, 10, 1))
    on_duty = names(national_day)
    duty_roster_update(
        entry=national_day,
        date=D(2026, 10, 9),
        deputies=list(national_day.deputies.all()),
        note="国庆节顺延至10月9日",
        user=world.clerk_a,
    )

    result = duty_roster_generate(station=station, year=2026, month=10, user=world.clerk_a)
    assert result.created == [] and result.moved_from == [D(2026, 10, 1)]
    assert not DutyRoster.objects.filter(station=station, date=D(2026, 10, 1)).exists()
    moved = DutyRoster.objects.get(station=station, date__month=10)
    assert moved.pk == national_day.pk and moved.date == D(2026, 10, 9) and moved.edited
    assert names(moved) == on_duty and moved.note == "国庆节顺延至10月9日"

    # The whole year again: every other month has its first Thursday, October only the 9th.
    duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    dates = list(days_of(station))
    assert len(dates) == 12 and D(2026, 10, 9) in dates and D(2026, 10, 1) not in dates


def test_moved_day_of_a_weekly_rule_replaces_the_day_it_came_from(world, station):
    # Wednesdays of October 2026: 7 (holiday), 14, 21, 28. The 7th goes to Monday the 12th,
    # nearer the 14th than the 7th: the 14th is still a reception day.
    station.reception_rule = "每周三"
    station.save()
    duty_roster_generate(station=station, year=2026, month=10, user=world.clerk_a)
    holiday = DutyRoster.objects.get(station=station, date=D(2026, 10, 7))
    duty_roster_update(
        entry=holiday, date=D(2026, 10, 12), deputies=holiday.deputies.all(), note="国庆节后补", user=world.clerk_a
    )
    duty_roster_generate(station=station, year=2026, month=10, user=world.clerk_a)
    assert list(days_of(station)) == [D(2026, 10, 12), D(2026, 10, 14), D(2026, 10, 21), D(2026, 10, 28)]


def test_days_added_by_hand_or_with_a_reception_are_kept(world, station, pool):
    first = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created[0]
    Reception.objects.create(station=station, date=first.date, roster=first, voter_count=4)
    extra = duty_roster_add(
        station=station, date=D(2026, 3, 20), deputies=pool[:1], note="会前集中接待", user=world.clerk_a
    )
    assert not extra.generated
    result = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    assert result.created == [] and {e.pk for e in result.kept} == {first.pk, extra.pk}


def test_collision_and_other_township_refused(world, station, pool, term):
    created = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created[0]
    other = duty_roster_add(station=station, date=D(2026, 3, 12), deputies=pool[:1], user=world.clerk_a)
    with pytest.raises(ValidationError) as info:
        duty_roster_update(entry=other, date=created.date, deputies=pool[:1], note="", user=world.clerk_a)
    assert "2026年3月10日已有值班安排" in info.value.message_dict["date"][0]
    other.refresh_from_db()
    assert other.date == D(2026, 3, 12) and not other.edited
    with pytest.raises(ValidationError, match="已有值班安排"):
        duty_roster_add(station=station, date=D(2026, 3, 12), deputies=pool[:1], user=world.clerk_a)
    outsider = serving(world.town_b, "乙镇代表", term)
    with pytest.raises(ValidationError) as info:
        duty_roster_update(entry=other, date=other.date, deputies=[outsider], note="", user=world.clerk_a)
    assert "以下代表不是：乙镇代表" in info.value.message_dict["deputies"][0]
    with pytest.raises(ValidationError, match="至少选择一名"):
        duty_roster_add(station=station, date=D(2026, 3, 13), deputies=[], user=world.clerk_a)


def test_delete(world, station):
    entry = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created[0]
    duty_roster_delete(entry=entry, user=world.clerk_a)
    assert not DutyRoster.objects.filter(station=station).exists()


def test_who_is_in_the_pool(world, term, pool):
    resigned = serving(world.town_a, "辞职者", term, status=Mandate.Status.RESIGNED)
    serving(world.town_b, "乙镇代表", term)
    # A 代表之家 without groups: the township's serving township-level deputies.
    home = StationFactory(region=world.town_a, name="无小组之家", reception_rule="每月5日")
    result = duty_roster_generate(station=home, year=2026, month=3, per_day=10, user=world.clerk_a)
    assert names(result.created[0]) == NAMES
    # A room with a group: only its serving members.
    group = DeputyGroup.objects.create(region=world.town_a, name="小组")
    group.members.add(pool[0], resigned)
    room = StationFactory(
        region=world.village_a, kind=Station.Kind.LIAISON, name="甲村联络站", reception_rule="每月5日"
    )
    room.groups.add(group)
    result = duty_roster_generate(station=room, year=2026, month=3, per_day=10, user=world.clerk_a)
    assert names(result.created[0]) == [pool[0].name]
    # A liaison room without groups has nobody.
    bare = StationFactory(region=world.village_a, kind=Station.Kind.LIAISON, name="空联络站", reception_rule="每月5日")
    with pytest.raises(ValidationError, match="没有可安排值班的在任代表"):
        duty_roster_generate(station=bare, year=2026, month=3, user=world.clerk_a)


def test_rule_missing_unreadable_or_room_closed(world, station):
    station.reception_rule = ""
    station.save()
    with pytest.raises(ValidationError, match="尚未填写接待日"):
        duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    station.reception_rule = "不定期"
    station.save()
    with pytest.raises(ValidationError, match="无法识别接待日“不定期”"):
        duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    station.reception_rule = "每月5日"
    station.active, station.closed_on = False, D(2026, 1, 1)
    station.save()
    with pytest.raises(ValidationError, match="已撤销"):
        duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    with pytest.raises(ValidationError, match="月份应在1至12月之间"):
        duty_roster_generate(station=station, year=2026, month=13, user=world.clerk_a)
    assert not DutyRoster.objects.exists()


# --- pages -----------------------------------------------------------------------------


def roster_page(station, year=2026, month=3):
    return reverse("stations:roster", args=[station.pk]) + f"?year={year}&month={month}"


def test_clerk_generates_through_the_page(world, station, login):
    client = login(world.clerk_a)
    url = reverse("stations:roster-generate", args=[station.pk])
    response = client.post(url, {"year": 2026, "month": 3, "scope": "month", "per_day": 2}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "已生成2026年3月值日表：新排 1 天" in page
    assert "2026-03-10" in page and "安然、白雪" in page
    response = client.post(url, {"year": 2026, "month": 3, "scope": "year", "per_day": 1})
    assert response.status_code == 302
    assert DutyRoster.objects.filter(station=station).count() == 12
    year_page = client.get(reverse("stations:roster", args=[station.pk]) + "?year=2026").content.decode()
    assert "2026-12-08" in year_page and "12月" in year_page
    # A bad request comes back with a Chinese message, not a stack trace.
    response = client.post(url, {"year": 2026, "month": 3, "scope": "month", "per_day": 0}, follow=True)
    assert "每天值班代表人数至少为1人" in response.content.decode()


def test_page_shows_an_unreadable_rule(world, station, login):
    station.reception_rule = "不定期"
    station.save()
    page = login(world.clerk_a).get(roster_page(station)).content.decode()
    assert "无法识别接待日“不定期”" in page and "可识别的写法" in page


def test_other_township_gets_404_county_reads_only(world, station, login):
    entry = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created[0]
    client = login(world.clerk_b)
    assert client.get(roster_page(station)).status_code == 404
    assert client.post(reverse("stations:roster-generate", args=[station.pk]), {"year": 2026, "month": 3, "scope": "month", "per_day": 2}).status_code == 404  # fmt: skip
    assert client.get(reverse("stations:roster-update", args=[entry.pk])).status_code == 404
    assert client.post(reverse("stations:roster-delete", args=[entry.pk])).status_code == 404
    assert client.get(reverse("stations:roster-pdf", args=[station.pk])).status_code == 404
    assert DutyRoster.objects.filter(pk=entry.pk).exists()

    client = login(world.county_admin)
    page = client.get(roster_page(station)).content.decode()
    assert "安然、白雪" in page and "生成值日表" not in page
    url = reverse("stations:roster-generate", args=[station.pk])
    assert client.post(url, {"year": 2026, "month": 4, "scope": "month", "per_day": 2}).status_code == 403
    assert client.get(reverse("stations:roster-update", args=[entry.pk])).status_code == 403
    assert DutyRoster.objects.count() == 1


def test_clerk_moves_a_day_in_the_edit_form(world, station, login):
    entry = duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a).created[0]
    other = duty_roster_add(station=station, date=D(2026, 3, 20), deputies=entry.deputies.all(), user=world.clerk_a)
    client = login(world.clerk_a)
    url = reverse("stations:roster-update", args=[entry.pk])
    form = client.get(url).context["form"]
    offered = {d.name for d in form.fields["deputies"].queryset}
    assert offered == set(NAMES)
    deputy_ids = [d.pk for d in entry.deputies.all()]
    data = {"date": "2026-03-20", "deputies": deputy_ids, "note": "", "start_time": "", "end_time": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "2026年3月20日已有值班安排" in response.content.decode()
    data.update(date="2026-03-11", note="改到星期三", start_time="09:00", end_time="11:30")
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == roster_page(station)
    entry.refresh_from_db()
    assert entry.date == D(2026, 3, 11) and entry.edited and entry.start_time == datetime.time(9, 0)
    other.refresh_from_db()
    assert other.date == D(2026, 3, 20) and not other.edited


def test_clerk_adds_and_deletes_a_day(world, station, pool, login):
    client = login(world.clerk_a)
    url = reverse("stations:roster-add", args=[station.pk])
    assert client.get(url + "?date=2026-03-20").context["form"].initial["date"] == D(2026, 3, 20)
    response = client.post(url, {"date": "2026-03-20", "deputies": [pool[0].pk], "note": "会前接待"})
    assert response.status_code == 302
    entry = DutyRoster.objects.get(station=station)
    assert not entry.generated and entry.note == "会前接待"
    response = client.post(url, {"date": "2026-03-21", "deputies": []})
    assert response.status_code == 200 and "请至少选择一名值班代表" in response.content.decode()
    response = client.post(reverse("stations:roster-delete", args=[entry.pk]))
    assert response.status_code == 302 and not DutyRoster.objects.exists()


def test_deputy_sees_its_own_duty_days_only(world, station, pool, login):
    mine = pool[-1]  # 安然
    mine.user = world.deputy_a
    mine.save()
    for month in (1, 2, 3):
        duty_roster_generate(station=station, year=2026, month=month, user=world.clerk_a)
    # 安然 is on duty in January (with 白雪) and in March (with 方圆), not in February.
    client = login(world.deputy_a)
    response = client.get(reverse("stations:my-duty"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-01-13" in page and "2026-03-10" in page and "2026-02-10" not in page
    assert "甲镇人大代表之家" in page and "陈晨" not in page  # 陈晨 is on duty only in February
    assert f'href="{reverse("stations:my-duty")}"' in page  # the sidebar entry
    # A deputy account without a linked record sees a notice, not others' days.
    page = login(member(world.town_a, Role.DEPUTY)).get(reverse("stations:my-duty")).content.decode()
    assert "尚未关联代表信息" in page and "2026-" not in page
    assert login(world.clerk_a).get(reverse("stations:my-duty")).status_code == 403
    # The roster page itself stays closed to deputies.
    assert login(world.deputy_a).get(roster_page(station)).status_code == 403


def test_duty_file_panel_lists_duty_days(world, station, pool, login):
    duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    an = next(d for d in pool if d.name == "安然")
    page = login(world.clerk_a).get(reverse("deputies:deputy-detail", args=[an.pk])).content.decode()
    assert "值班接待" in page and "2026-03-10" in page and "白雪" in page
    chen = next(d for d in pool if d.name == "陈晨")
    page = login(world.clerk_a).get(reverse("deputies:deputy-detail", args=[chen.pk])).content.decode()
    assert "暂无值班接待安排" in page


def test_roster_page_queries_do_not_grow_with_days(world, station, login, django_assert_max_num_queries):
    client = login(world.clerk_a)
    duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    url = reverse("stations:roster", args=[station.pk]) + "?year=2026"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    station.reception_rule = "每周三"
    station.save()
    duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    assert DutyRoster.objects.filter(station=station).count() == 52
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# --- the wall PDF ----------------------------------------------------------------------


def test_pdf_has_the_names_and_an_embedded_cjk_font(world, station, login, tmp_path):
    duty_roster_generate(station=station, year=2026, month=3, user=world.clerk_a)
    response = login(world.clerk_a).get(reverse("stations:roster-pdf", args=[station.pk]) + "?year=2026&month=3")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "%E5%80%BC%E6%97%A5%E8%A1%A8" in response["Content-Disposition"]  # 值日表 in the file name
    path = tmp_path / "roster.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    for expected in ("值日表", "甲镇人大代表之家", "2026年3月", "甲镇政府院内", "每月第二个星期二", "3月10日",
                     "星期二", "安然", "白雪", "13912345678"):  # fmt: skip
        assert expected in text, expected
    assert re.search(r"第\s*1\s*页\s*共\s*1\s*页", text), text
    assert "陈晨" not in text
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK|Noto-?Serif-?CJK", line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column


def test_year_pdf(world, station, login, tmp_path):
    duty_roster_generate(station=station, year=2026, user=world.clerk_a)
    response = login(world.county_admin).get(reverse("stations:roster-pdf", args=[station.pk]) + "?year=2026")
    path = tmp_path / "year.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "2026年" in text and "12月8日" in text and "方圆" in text
