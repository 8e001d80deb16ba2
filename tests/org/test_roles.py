"""What each role of DESIGN.md section 1 may read and write (section 4's scoping rule)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deputies.models import Deputy
from org.models import HandlingUnit, Job
from org.roles import Role
from org.scoping import can
from tests.factories import DeputyFactory, HandlingUnitFactory, JobFactory, RegionFactory, UserFactory, member

pytestmark = pytest.mark.django_db

ROSTER = reverse("deputies:deputy-list")
JOBS = reverse("org:job-list")
AUDIT = reverse("org:audit-list")
AUDIT_EXPORT = reverse("org:audit-export")
SWITCH = reverse("org:region-switch")


@pytest.fixture
def rows(world):
    """A deputy and a job in each township, with names that appear nowhere else."""
    return {
        "dep_a": DeputyFactory(region=world.town_a, name="甲镇代表张三"),
        "dep_b": DeputyFactory(region=world.town_b, name="乙镇代表李四"),
        "job_a": JobFactory(region=world.town_a, requested_by=world.clerk_a),
        "job_b": JobFactory(region=world.town_b, requested_by=world.clerk_b),
    }


def names_on(response, *names):
    text = response.content.decode()
    return {n for n in names if n in text}


def job_links(response, *jobs):
    text = response.content.decode()
    return {j.pk for j in jobs if f'id="job-{j.pk}"' in text}


# --- reads -------------------------------------------------------------------------------


def test_county_admin_sees_every_township(world, rows, login):
    c = login(world.county_admin)
    r = c.get(ROSTER)
    assert r.status_code == 200
    assert names_on(r, "甲镇代表张三", "乙镇代表李四") == {"甲镇代表张三", "乙镇代表李四"}
    r = c.get(JOBS)
    assert r.status_code == 200
    assert job_links(r, rows["job_a"], rows["job_b"]) == {rows["job_a"].pk, rows["job_b"].pk}
    assert c.get(rows["dep_b"].get_absolute_url()).status_code == 200
    assert c.get(rows["job_b"].get_absolute_url()).status_code == 200


def test_clerk_sees_only_its_township(world, rows, login):
    c = login(world.clerk_a)
    r = c.get(ROSTER)
    assert r.status_code == 200
    assert names_on(r, "甲镇代表张三", "乙镇代表李四") == {"甲镇代表张三"}
    r = c.get(JOBS)
    assert job_links(r, rows["job_a"], rows["job_b"]) == {rows["job_a"].pk}
    assert c.get(rows["dep_a"].get_absolute_url()).status_code == 200
    assert c.get(rows["dep_b"].get_absolute_url()).status_code == 404
    assert c.get(rows["job_b"].get_absolute_url()).status_code == 404
    assert set(Deputy.objects.for_user(world.clerk_a)) == {rows["dep_a"]}
    assert set(Job.objects.for_user(world.clerk_a)) == {rows["job_a"]}


def test_deputy_sees_its_own_record_only(world, rows, login):
    own = DeputyFactory(region=world.town_a, name="代表本人王五", user=world.deputy_a)
    c = login(world.deputy_a)
    r = c.get(own.get_absolute_url())
    assert r.status_code == 200
    assert "代表本人王五" in r.content.decode()
    assert c.get(ROSTER).status_code == 403
    # Another deputy of the same township is as invisible as one of another township.
    assert c.get(rows["dep_a"].get_absolute_url()).status_code == 404
    assert c.get(rows["dep_b"].get_absolute_url()).status_code == 404
    assert set(Deputy.objects.for_user(world.deputy_a)) == {own}
    assert c.get(JOBS).status_code == 403


def test_handling_unit_sees_its_unit_only(world, rows, login):
    other_in_a = HandlingUnitFactory(region=world.town_a, name="甲镇水利站")
    other_in_b = HandlingUnitFactory(region=world.town_b, name="乙镇农业站")
    units = set(HandlingUnit.objects.for_user(world.unit_user_a))
    assert units == {world.unit_a}
    assert other_in_a not in units and other_in_b not in units
    assert not Deputy.objects.for_user(world.unit_user_a).exists()
    assert not Job.objects.for_user(world.unit_user_a).exists()
    # Seeing its unit is not the right to change it.
    assert not HandlingUnit.objects.for_user(world.unit_user_a, "change").exists()
    c = login(world.unit_user_a)
    assert c.get(ROSTER).status_code == 403
    assert c.get(rows["dep_a"].get_absolute_url()).status_code == 404


def test_auditor_reads_the_audit_log_and_nothing_else(world, rows, login):
    c = login(world.auditor)
    assert c.get(ROSTER).status_code == 403
    assert c.get(JOBS).status_code == 403
    assert c.get(rows["job_a"].get_absolute_url()).status_code == 403
    # The dashboard is no page for the auditor: it is sent to the audit log.
    r = c.get(reverse("home"))
    assert r.status_code == 302 and r["Location"] == AUDIT
    assert c.get(AUDIT).status_code == 200
    r = c.get(AUDIT_EXPORT)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert not Deputy.objects.for_user(world.auditor).exists()
    assert not Job.objects.for_user(world.auditor).exists()


def test_superuser_role_reads_the_audit_log(world, login):
    # The role alone (without Django's is_superuser flag) is enough, and so is the flag alone.
    role_only = member(world.county, Role.SUPERUSER, username="it_role_only")
    flag_only = UserFactory(username="it_flag_only", is_superuser=True, is_staff=True)
    for user in (world.sysadmin, role_only, flag_only):
        c = login(user)
        assert c.get(AUDIT).status_code == 200, user.username
        assert c.get(AUDIT_EXPORT).status_code == 200, user.username


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a", "deputy_a", "unit_user_a"])
def test_others_cannot_read_the_audit_log(world, login, persona):
    c = login(getattr(world, persona))
    assert c.get(AUDIT).status_code == 403
    assert c.get(AUDIT_EXPORT).status_code == 403


# --- writes ------------------------------------------------------------------------------


def test_clerk_writes_its_own_township_only(world, rows):
    writable = Deputy.objects.for_user(world.clerk_a, "change")
    assert rows["dep_a"] in writable
    assert rows["dep_b"] not in writable
    assert can(world.clerk_a, "change", rows["dep_a"])
    assert not can(world.clerk_a, "change", rows["dep_b"])
    assert can(world.clerk_b, "change", rows["dep_b"])


def test_county_admin_reads_but_does_not_write_deputies(world, rows):
    # Township clerks keep the roster; county staff read it (and score).
    assert can(world.county_admin, "view", rows["dep_a"])
    assert not Deputy.objects.for_user(world.county_admin, "change").exists()


@pytest.mark.parametrize("persona", ["auditor", "sysadmin", "deputy_a", "unit_user_a"])
def test_roles_without_business_writes(world, rows, persona):
    user = getattr(world, persona)
    assert not Deputy.objects.for_user(user, "change").exists()
    assert not Job.objects.for_user(user, "change").exists()
    assert not HandlingUnit.objects.for_user(user, "change").exists()


def test_auditor_and_sysadmin_read_no_business_rows(world, rows):
    for user in (world.auditor, world.sysadmin):
        assert not Deputy.objects.for_user(user).exists()
        assert not HandlingUnit.objects.for_user(user).exists()


def test_inactive_user_has_no_scope(world, rows):
    world.clerk_a.is_active = False
    world.clerk_a.save()
    assert not Deputy.objects.for_user(world.clerk_a).exists()


# --- the region switch -------------------------------------------------------------------


def test_county_admin_switches_to_one_township(world, rows, login):
    c = login(world.county_admin)
    r = c.post(SWITCH, {"region": world.town_b.pk, "next": ROSTER})
    assert r.status_code == 302 and r["Location"] == ROSTER
    r = c.get(ROSTER)
    assert names_on(r, "甲镇代表张三", "乙镇代表李四") == {"乙镇代表李四"}
    assert job_links(c.get(JOBS), rows["job_a"], rows["job_b"]) == {rows["job_b"].pk}
    # Narrowing a list does not hide a row the user may open.
    assert c.get(rows["dep_a"].get_absolute_url()).status_code == 200
    # Back to the whole county.
    c.post(SWITCH, {"region": ""})
    assert names_on(c.get(ROSTER), "甲镇代表张三", "乙镇代表李四") == {"甲镇代表张三", "乙镇代表李四"}


def picker(response) -> str:
    text = response.content.decode()
    start = text.index('<select name="region"')
    return text[start : text.index("</select>", start)]


def test_region_picker_is_cached_shows_each_users_choice_and_follows_a_renamed_region(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other_admin = member(world.county, Role.COUNTY_ADMIN, username="county2")
    c = login(world.county_admin)
    c.post(SWITCH, {"region": world.town_b.pk})
    first = picker(c.get(ROSTER))
    assert f'<option value="{world.town_b.pk}" selected>' in first and "乙镇" in first
    # The same counties, another user on the whole county: the cached options, its own choice.
    other = login(other_admin)
    with CaptureQueriesContext(connection) as ctx:
        second = picker(other.get(ROSTER))
    assert f'<option value="{world.county.pk}" selected>' in second
    assert f'<option value="{world.town_b.pk}" selected>' not in second
    # The picker's own query (counties and townships) is not asked again.
    assert not [q for q in ctx.captured_queries if 'FROM "org_region"' in q["sql"] and "'county'" in q["sql"]]
    # A renamed township shows at once under its new name.
    world.town_b.name = "乙镇（改名）"
    world.town_b.save()
    assert "乙镇（改名）" in picker(other.get(ROSTER))


def test_region_switch_refuses_an_unsafe_next(world, login):
    c = login(world.county_admin)
    r = c.post(SWITCH, {"region": world.town_a.pk, "next": "//evil.example.com/"})
    assert r["Location"] == reverse("home")


@pytest.mark.parametrize("persona", ["clerk_a", "deputy_a", "auditor"])
def test_region_switch_is_for_county_admins(world, login, persona):
    c = login(getattr(world, persona))
    assert c.post(SWITCH, {"region": world.town_b.pk}).status_code == 403
    assert c.session.get("active_region_id") is None


def test_region_switch_outside_own_county_is_404(world, rows, login):
    other_county = RegionFactory.county(name="邻县")
    other_town = RegionFactory.township(other_county, name="邻县丙镇")
    c = login(world.county_admin)
    assert c.post(SWITCH, {"region": other_town.pk}).status_code == 404
    assert c.post(SWITCH, {"region": other_county.pk}).status_code == 404
    # A village is no choice in the picker either.
    assert c.post(SWITCH, {"region": world.village_a.pk}).status_code == 404
    assert c.session.get("active_region_id") is None
    assert names_on(c.get(ROSTER), "甲镇代表张三", "乙镇代表李四") == {"甲镇代表张三", "乙镇代表李四"}


def test_stale_region_in_session_is_dropped(world, rows, login):
    """A region kept in the session from a membership since removed never widens scope."""
    other_county = RegionFactory.county(name="邻县")
    other_town = RegionFactory.township(other_county, name="邻县丙镇")
    DeputyFactory(region=other_town, name="邻县代表赵六")
    c = login(world.county_admin)
    session = c.session
    session["active_region_id"] = other_town.pk
    session.save()
    r = c.get(ROSTER)
    assert names_on(r, "甲镇代表张三", "乙镇代表李四", "邻县代表赵六") == {"甲镇代表张三", "乙镇代表李四"}
