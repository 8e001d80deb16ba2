"""deputies.services and the thin views over them: deputy create/update (with the first
mandate), mandate actions, by-elections, voter contacts and deputy groups — each scoped."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from deputies import services
from deputies.models import Constituency, Deputy, DeputyGroup, Mandate, VoterContact
from org.models import AuditEntry, Term
from tests.deputies.test_models import county_terms, make_id, seat
from tests.factories import DeputyFactory, RegionFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(world):
    return county_terms(world.county)[1]


def new_deputy_fields(world, **kw):
    birth = kw.pop("birth", datetime.date(1978, 3, 9))
    fields = {
        "region": world.town_a,
        "name": "赵新",
        "gender": "M",
        "birth_date": birth,
        "id_number": make_id(birth),
    }
    fields.update(kw)
    return fields


# --- deputies ---------------------------------------------------------------------------


def test_deputy_create_makes_the_deputy_and_its_first_mandate(world, term):
    con = Constituency.objects.create(region=world.town_a, number=3, name="甲村选区")
    deputy = services.deputy_create(term=term, constituency=con, **new_deputy_fields(world))
    mandate = deputy.mandates.get()
    assert mandate.level == Mandate.Level.TOWNSHIP == term.level
    assert mandate.region == world.town_a and mandate.constituency == con
    assert mandate.elected_on == term.start_date and not mandate.by_election
    assert mandate.status == Mandate.Status.SERVING


def test_deputy_create_is_all_or_nothing(world, term):
    other_county = RegionFactory.county(name="邻县")
    foreign_term = TermFactory(region=other_county, number=20)
    with pytest.raises(ValidationError) as err:
        services.deputy_create(term=foreign_term, **new_deputy_fields(world))
    assert "不适用" in str(err.value.message_dict["term"])
    assert not Deputy.objects.exists()
    good = make_id(datetime.date(1978, 3, 9))
    bad = good[:17] + ("1" if good[17] != "1" else "2")
    with pytest.raises(ValidationError) as err:
        services.deputy_create(term=term, **new_deputy_fields(world, id_number=bad))
    assert "id_number" in err.value.message_dict
    assert not Deputy.objects.exists() and not Mandate.objects.exists()


def test_deputy_create_checks_the_elected_date_and_constituency(world, term):
    con_b = Constituency.objects.create(region=world.town_b, number=1, name="乙村选区")
    with pytest.raises(ValidationError) as err:
        services.deputy_create(
            term=term, elected_on=datetime.date(2010, 1, 1), constituency=con_b, **new_deputy_fields(world)
        )
    assert set(err.value.message_dict) >= {"elected_on", "constituency"}
    assert not Deputy.objects.exists()


def test_deputy_update_keeps_the_township(world):
    deputy = DeputyFactory(region=world.town_a)
    services.deputy_update(deputy=deputy, work_unit="甲村村委会主任")
    assert Deputy.objects.get(pk=deputy.pk).work_unit == "甲村村委会主任"
    with pytest.raises(ValidationError) as err:
        services.deputy_update(deputy=deputy, region=world.town_b)
    assert "调离" in str(err.value)


# --- mandates ---------------------------------------------------------------------------


def test_mandate_end_records_status_date_and_reason(world, term):
    mandate = seat(DeputyFactory(region=world.town_a), term)
    services.mandate_end(
        mandate=mandate, status=Mandate.Status.RECALLED, ended_on=datetime.date(2024, 5, 6), end_reason="选区选民罢免"
    )
    mandate.refresh_from_db()
    assert (mandate.status, mandate.ended_on, mandate.end_reason) == (
        Mandate.Status.RECALLED,
        datetime.date(2024, 5, 6),
        "选区选民罢免",
    )
    with pytest.raises(ValidationError, match="已是“罢免”状态"):
        services.mandate_end(mandate=mandate, status=Mandate.Status.RESIGNED, ended_on=datetime.date(2024, 6, 1))


def test_mandate_end_refuses_impossible_dates(world, term):
    mandate = seat(DeputyFactory(region=world.town_a), term)
    with pytest.raises(ValidationError, match="早于当选日期"):
        services.mandate_end(mandate=mandate, status=Mandate.Status.RESIGNED, ended_on=datetime.date(2020, 1, 1))
    with pytest.raises(ValidationError, match="晚于今天"):
        services.mandate_end(
            mandate=mandate,
            status=Mandate.Status.RESIGNED,
            ended_on=datetime.date.today() + datetime.timedelta(days=3),
        )
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.SERVING


def test_a_deputy_without_a_seat_leaves_its_groups(world, term):
    leaving, staying = DeputyFactory(region=world.town_a), DeputyFactory(region=world.town_a)
    chair = DeputyFactory(region=world.town_a)
    seat(chair, term, presidium_role=Mandate.PresidiumRole.CHAIR)
    mandate = seat(leaving, term)
    seat(staying, term)
    group = services.group_create(
        region=world.town_a, name="一组", leader=leaving, presidium_contact=chair, members=[leaving, staying]
    )
    services.mandate_end(mandate=mandate, status=Mandate.Status.TRANSFERRED, ended_on=datetime.date(2024, 1, 1))
    group.refresh_from_db()
    assert list(group.members.all()) == [staying] and group.leader is None
    assert group.presidium_contact == chair


def test_by_election_is_refused_while_the_deputy_serves(world, term):
    deputy = DeputyFactory(region=world.town_a, name="钱多")
    seat(deputy, term)
    with pytest.raises(ValidationError) as err:
        services.mandate_by_elect(deputy=deputy, term=term, elected_on=datetime.date(2024, 1, 1))
    assert "钱多在第二十届" in str(err.value) and "不能重复补选" in str(err.value)
    assert deputy.mandates.count() == 1


# --- voter contacts ---------------------------------------------------------------------


def test_voter_contact_village_must_be_in_the_deputys_township(world):
    deputy = DeputyFactory(region=world.town_a)
    contact = services.voter_contact_create(deputy=deputy, name="选民甲", phone="13900001111", village=world.village_a)
    village_b = RegionFactory.village(world.town_b, name="乙村")
    with pytest.raises(ValidationError, match="甲镇的村"):
        services.voter_contact_update(contact=contact, village=village_b)
    with pytest.raises(ValidationError):
        services.voter_contact_create(deputy=deputy, name="选民乙", phone="123")
    services.voter_contact_delete(contact=contact)
    assert not VoterContact.objects.exists()


# --- groups -----------------------------------------------------------------------------


def test_group_members_come_from_one_township(world, term):
    a1, a2 = DeputyFactory(region=world.town_a), DeputyFactory(region=world.town_a)
    b1 = DeputyFactory(region=world.town_b, name="乙镇某代表")
    with pytest.raises(ValidationError) as err:
        services.group_create(region=world.town_a, name="一组", members=[a1, b1])
    assert "乙镇某代表" in str(err.value.message_dict["members"])
    group = services.group_create(region=world.town_a, name="一组", leader=a2, members=[a1])
    assert set(group.members.all()) == {a1, a2}  # the leader is a member
    with pytest.raises(ValidationError, match="已有名为"):
        services.group_create(region=world.town_a, name="一组")


def test_group_presidium_contact_must_hold_a_presidium_role(world, term):
    plain, member = DeputyFactory(region=world.town_a), DeputyFactory(region=world.town_a)
    seat(plain, term)
    seat(member, term, presidium_role=Mandate.PresidiumRole.MEMBER)
    with pytest.raises(ValidationError) as err:
        services.group_create(region=world.town_a, name="一组", presidium_contact=plain)
    assert "presidium_contact" in err.value.message_dict
    group = services.group_create(region=world.town_a, name="一组", presidium_contact=member)
    services.group_update(group=group, name="第一组")
    assert DeputyGroup.objects.get().name == "第一组"


# --- the views ---------------------------------------------------------------------------


def test_clerk_registers_a_deputy_through_the_form(world, term, login):
    c = login(world.clerk_a)
    birth = datetime.date(1990, 7, 1)
    r = c.post(
        reverse("deputies:deputy-create"),
        {
            "region": world.town_a.pk,
            "name": "孙立",
            "gender": "F",
            "ethnicity": "汉族",
            "id_number": make_id(birth, male=False).lower(),
            "party": "masses",
            "occupation": "farmer",
            "term": term.pk,
        },
    )
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    deputy = Deputy.objects.get(name="孙立")
    assert deputy.birth_date == birth  # filled in from the ID number
    assert deputy.mandates.get().term == term
    assert r["Location"] == deputy.get_absolute_url()


def test_the_form_shows_model_errors_beside_the_inputs(world, term, login):
    c = login(world.clerk_a)
    r = c.post(
        reverse("deputies:deputy-create"),
        {
            "region": world.town_a.pk,
            "name": "孙立",
            "gender": "M",
            "ethnicity": "汉族",
            "id_number": make_id(datetime.date(1990, 7, 1), male=False),
            "party": "democratic",
            "occupation": "farmer",
            "term": term.pk,
        },
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "gender" in errors and "democratic_party" in errors
    assert "性别与身份证号不一致" in r.content.decode()
    assert not Deputy.objects.exists()


def test_the_create_form_offers_only_own_township_and_its_terms(world, term, login):
    TermFactory(region=RegionFactory.county(name="邻县"), number=20)
    form = login(world.clerk_a).get(reverse("deputies:deputy-create")).context["form"]
    assert list(form.fields["region"].queryset) == [world.town_a]
    assert set(form.fields["term"].queryset) == set(Term.objects.filter(region=world.county))


def test_only_township_clerks_write(world, term, login):
    deputy = DeputyFactory(region=world.town_a)
    mandate = seat(deputy, term)
    assert login(world.county_admin).get(reverse("deputies:deputy-create")).status_code == 403
    c = login(world.county_admin)
    assert c.post(reverse("deputies:mandate-resign", args=[mandate.pk]), {"ended_on": "2024-01-01"}).status_code == 403
    c = login(world.clerk_b)
    assert c.post(reverse("deputies:mandate-resign", args=[mandate.pk]), {"ended_on": "2024-01-01"}).status_code == 404
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.SERVING


@pytest.mark.parametrize(
    ("action", "data", "status", "reason"),
    [
        ("resign", {"end_reason": "工作变动"}, Mandate.Status.RESIGNED, "工作变动"),
        ("recall", {"end_reason": "严重违法"}, Mandate.Status.RECALLED, "严重违法"),
        ("transfer", {"end_reason": "调往邻县"}, Mandate.Status.TRANSFERRED, "调往邻县"),
        ("terminate", {"ground": "丧失行为能力"}, Mandate.Status.TERMINATED, "丧失行为能力"),
    ],
)
def test_each_mandate_action(world, term, login, action, data, status, reason):
    mandate = seat(DeputyFactory(region=world.town_a), term)
    c = login(world.clerk_a)
    url = reverse(f"deputies:mandate-{action}", args=[mandate.pk])
    assert c.get(url).status_code == 200
    r = c.post(url, {"ended_on": "2024-02-03", **data})
    assert r.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.status, mandate.ended_on, mandate.end_reason) == (status, datetime.date(2024, 2, 3), reason)
    assert AuditEntry.objects.filter(model="deputies.mandate", action="update", object_id=str(mandate.pk)).exists()


def test_recall_needs_a_reason(world, term, login):
    mandate = seat(DeputyFactory(region=world.town_a), term)
    r = login(world.clerk_a).post(reverse("deputies:mandate-recall", args=[mandate.pk]), {"ended_on": "2024-02-03"})
    assert r.status_code == 200 and "end_reason" in r.context["form"].errors


def test_by_election_view_refuses_a_second_seat_with_a_message(world, term, login):
    deputy = DeputyFactory(region=world.town_a, name="周全")
    seat(deputy, term)
    r = login(world.clerk_a).post(
        reverse("deputies:mandate-by-elect", args=[deputy.pk]), {"term": term.pk, "elected_on": "2024-05-01"}
    )
    assert r.status_code == 200
    assert "不能重复补选" in r.content.decode()
    assert deputy.mandates.count() == 1


def test_voter_contacts_on_the_duty_file(world, login):
    deputy = DeputyFactory(region=world.town_a)
    c = login(world.clerk_a)
    r = c.post(
        reverse("deputies:contact-create", args=[deputy.pk]),
        {"name": "选民丙", "phone": "13912345678", "village": world.village_a.pk},
    )
    assert r.status_code == 302
    page = c.get(deputy.get_absolute_url()).content.decode()
    assert "选民丙" in page and "139****5678" in page and "13912345678" not in page
    assert "应联系选民不少于5人，目前1人" in page
    contact = deputy.voter_contacts.get()
    assert c.post(reverse("deputies:contact-update", args=[contact.pk]), {"name": "选民丁"}).status_code == 302
    assert VoterContact.objects.get().name == "选民丁"
    assert login(world.clerk_b).post(reverse("deputies:contact-delete", args=[contact.pk])).status_code == 404
    assert login(world.clerk_a).post(reverse("deputies:contact-delete", args=[contact.pk])).status_code == 302
    assert not VoterContact.objects.exists()


def test_no_warning_with_five_contacts(world, login):
    deputy = DeputyFactory(region=world.town_a)
    for i in range(5):
        services.voter_contact_create(deputy=deputy, name=f"选民{i}")
    page = login(world.clerk_a).get(deputy.get_absolute_url()).content.decode()
    assert "应联系选民不少于" not in page


def test_groups_are_scoped(world, term, login):
    a = DeputyFactory(region=world.town_a, name="甲镇组员")
    seat(a, term)
    b = DeputyFactory(region=world.town_b, name="乙镇组员")
    seat(b, term)
    group_a = services.group_create(region=world.town_a, name="甲镇第一小组", members=[a])
    group_b = services.group_create(region=world.town_b, name="乙镇第一小组", members=[b])
    listing = login(world.clerk_b).get(reverse("deputies:group-list")).content.decode()
    assert "乙镇第一小组" in listing and "甲镇第一小组" not in listing
    assert login(world.clerk_b).get(group_a.get_absolute_url()).status_code == 404
    county = login(world.county_admin).get(reverse("deputies:group-list")).content.decode()
    assert "乙镇第一小组" in county and "甲镇第一小组" in county
    # The form offers only the township's own serving deputies, and a hand-made post of
    # another township's deputy is refused.
    c = login(world.clerk_a)
    form = c.get(reverse("deputies:group-update", args=[group_a.pk])).context["form"]
    assert list(form.fields["members"].queryset) == [a]
    r = c.post(reverse("deputies:group-update", args=[group_a.pk]), {"name": "甲镇第一小组", "members": [a.pk, b.pk]})
    assert r.status_code == 200 and "members" in r.context["form"].errors
    assert list(group_a.members.all()) == [a]
    assert c.get(group_b.get_absolute_url()).status_code == 404


def test_group_detail_counts(world, term, login):
    members = [
        DeputyFactory(region=world.town_a, gender=g, party=p) for g, p in (("F", "cpc"), ("M", "cpc"), ("F", "masses"))
    ]
    for d in members[:2]:
        seat(d, term)
    group = services.group_create(region=world.town_a, name="计数组", members=members)
    r = login(world.county_admin).get(group.get_absolute_url())
    assert r.context["counts"] == {"total": 3, "women": 2, "cpc": 2, "serving": 2}
    assert not r.context["can_write"]
