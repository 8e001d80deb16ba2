"""`manage.py seed_demo`: it builds a believable demo county with an account of every role,
runs twice without duplicating anything, refuses a non-DEBUG (production) setup, and
scales to a province (here a tiny one, through the hidden --townships option)."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client

from deputies.models import Constituency, Deputy, DeputyGroup, Mandate, VoterContact
from org.models import AuditEntry, HandlingUnit, Membership, Region, Term, User
from org.roles import Role
from org.seeding import person_name
from org.validators import id_checksum, is_valid_id_number

pytestmark = pytest.mark.django_db

PASSWORD = "Seed#Test2026x"
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def demo_settings(settings):
    """DEBUG on for every test here."""
    # pytest-django runs tests with DEBUG off, which seed_demo refuses.
    settings.DEBUG = True


def seed(*args) -> str:
    """Run seed_demo with `args`; returns what it printed."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    """Row counts of everything the seed creates (and the audit log)."""
    models = (Region, Term, HandlingUnit, User, Membership, Deputy, Mandate, Constituency, DeputyGroup,
              VoterContact, AuditEntry)  # fmt: skip
    return {m.__name__: m.objects.count() for m in models}


def share(qs, **flt) -> float:
    """The share of `qs` matching `flt`."""
    return qs.filter(**flt).count() / qs.count()


def test_demo_county_regions_terms_units():
    seed("--password", PASSWORD)
    county = Region.objects.get(kind=Region.Kind.COUNTY)
    assert county.name == "清河县" and len(county.code) == 12 and county.parent is None
    townships = list(Region.objects.townships())
    assert 10 <= len(townships) <= 14
    assert {t.kind for t in townships} == {Region.Kind.TOWNSHIP, Region.Kind.SUBDISTRICT}
    assert any(t.name.endswith("乡") for t in townships) and any(t.name.endswith("镇") for t in townships)
    villages = Region.objects.filter(kind__in=[Region.Kind.VILLAGE, Region.Kind.COMMUNITY]).select_related("parent")
    assert 70 <= villages.count() <= 90
    for v in villages:
        assert v.code[:9] == v.parent.code[:9] and len(v.code) == 12
        assert v.path == f"{v.parent.path}{v.pk}/" and v.depth == 2
        # 社区 under 街道, 村 under 镇/乡.
        assert (v.kind == Region.Kind.COMMUNITY) == (v.parent.kind == Region.Kind.SUBDISTRICT)

    terms = {t.number: t for t in Term.objects.filter(region=county, level=Term.Level.TOWNSHIP)}
    assert terms[20].start_date <= TODAY <= terms[20].end_date
    assert terms[19].end_date < terms[20].start_date
    assert Term.objects.filter(region=county, level=Term.Level.COUNTY).exists()

    assert HandlingUnit.objects.filter(region=county).count() >= 8
    for t in townships:
        assert HandlingUnit.objects.filter(region=t).count() == 2


def test_demo_deputies_look_like_a_real_congress():
    seed("--password", PASSWORD)
    deputies = Deputy.objects.all()
    assert 650 <= deputies.count() <= 750
    for township in Region.objects.townships():
        assert 45 <= township.deputies.count() <= 80

    assert 0.25 <= share(deputies, gender=Deputy.Gender.FEMALE) <= 0.31
    assert 0.04 <= 1 - share(deputies, ethnicity="汉族") <= 0.09
    assert 0.60 <= share(deputies, party=Deputy.Party.CPC) <= 0.72
    assert deputies.filter(party=Deputy.Party.DEMOCRATIC).exists()
    assert share(deputies, occupation__in=[Deputy.Occupation.FARMER, Deputy.Occupation.WORKER]) >= 0.30
    assert share(deputies, occupation=Deputy.Occupation.OFFICIAL) <= 0.20
    assert len(set(deputies.values_list("education", flat=True))) >= 4

    for number, gender, birth in deputies.values_list("id_number", "gender", "birth_date"):
        assert is_valid_id_number(number)
        assert number[6:14] == f"{birth:%Y%m%d}"
        assert (int(number[16]) % 2 == 1) == (gender == Deputy.Gender.MALE)
        assert 28 <= (TODAY - birth).days // 365 <= 65

    current = Mandate.objects.filter(term__number=20, level=Mandate.Level.TOWNSHIP, status=Mandate.Status.SERVING)
    assert current.count() == deputies.count()
    assert not Mandate.objects.filter(level=Mandate.Level.TOWNSHIP).exclude(region=F("deputy__region")).exists()
    previous = Mandate.objects.filter(term__number=19, status=Mandate.Status.EXPIRED)
    assert 0.5 <= previous.count() / deputies.count() <= 0.7
    assert not previous.filter(ended_on__isnull=True).exists()
    assert 30 <= Mandate.objects.filter(level=Mandate.Level.COUNTY, status=Mandate.Status.SERVING).count() <= 50


def test_every_role_has_an_account_that_logs_in():
    out = seed("--password", PASSWORD)
    roles = Counter(Membership.objects.values_list("role", flat=True))
    assert set(roles) == set(Role.values)
    assert roles[Role.TOWNSHIP_CLERK] >= 3 and roles[Role.HANDLING_UNIT] >= 2 and roles[Role.DEPUTY] >= 3
    deputy_users = User.objects.filter(memberships__role=Role.DEPUTY)
    assert len({d.deputy.region_id for d in deputy_users}) == 2  # linked to Deputy rows in two townships
    assert User.objects.get(username="sysadmin").is_superuser
    for user in User.objects.all():
        assert user.check_password(PASSWORD) and not user.must_change_password
        assert user.username in out
    assert PASSWORD in out and "账号" in out

    for role in Role.values:
        user = User.objects.filter(memberships__role=role).first()
        client = Client()
        response = client.post("/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, role
        assert int(client.session["_auth_user_id"]) == user.pk


def test_second_run_creates_nothing_and_resets_passwords():
    seed("--password", PASSWORD)
    before = counts()
    User.objects.filter(username="county_admin").update(must_change_password=True)
    seed("--password", "Other#Pass2026")
    assert counts() == before
    user = User.objects.get(username="county_admin")
    assert user.check_password("Other#Pass2026") and not user.must_change_password


def test_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not Region.objects.exists()


def test_if_empty_leaves_a_database_in_use_alone():
    seed("--if-empty", "--password", PASSWORD)
    assert Deputy.objects.exists()
    User.objects.filter(username="auditor").update(must_change_password=True)
    before = counts()
    out = seed("--if-empty", "--password", "Other#Pass2026")
    assert "已有数据" in out and counts() == before
    assert User.objects.get(username="auditor").must_change_password


def test_refuses_a_weak_password():
    with pytest.raises(CommandError, match="密码"):
        seed("--password", "12345678")


def test_tiny_province_around_the_demo_county():
    seed("--password", PASSWORD)
    demo_deputies = Deputy.objects.count()
    out = seed("--scale", "province", "--townships", "40", "--password", PASSWORD)
    assert "秒" in out

    province = Region.objects.get(kind=Region.Kind.PROVINCE)
    assert province.parent is None
    county = Region.objects.get(name="清河县")
    assert county.parent.kind == Region.Kind.PREFECTURE and county.parent.parent == province
    assert Region.objects.townships().count() == 40
    counties = Region.objects.filter(kind=Region.Kind.COUNTY)
    assert counties.count() >= 2
    # Paths were built for bulk-inserted rows and carried along when the county moved.
    paths = dict(Region.objects.values_list("pk", "path"))
    for pk, parent_id, path, depth in Region.objects.values_list("pk", "parent_id", "path", "depth"):
        expected = (paths[parent_id] if parent_id else "/") + f"{pk}/"
        assert path == expected and depth == expected.count("/") - 2
    for c in counties:
        assert Term.objects.filter(region=c).count() == 3
    for t in Region.objects.townships():
        assert t.deputies.count() >= 45
    assert Deputy.objects.filter(region__parent=county).count() == demo_deputies
    serving = Mandate.objects.filter(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP)
    assert serving.count() == Deputy.objects.count()
    assert User.objects.filter(username="province_admin", memberships__region=province).exists()

    before = counts()
    seed("--scale", "province", "--townships", "40", "--password", PASSWORD)
    assert counts() == before


def test_id_number_helpers():
    assert id_checksum("11010519491231002") == "X"  # the example of GB 11643
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491331002X")  # month 13


def test_person_names_have_a_surname_and_a_short_given_name():
    rng = random.Random(1)
    names = [person_name(rng, g, 1970 + i % 30) for i, g in enumerate("MF" * 200)]
    assert all(2 <= len(n) <= 4 for n in names)
    assert Counter(n[0] for n in names).most_common(1)[0][0] in "王李张刘陈"
