"""deputies' part of seed_demo beyond the deputies themselves: constituencies, the presidium,
deputy groups, voter contacts and the flags (连任, 归侨, 民主党派, minorities by region) —
each township congress looking like a real one, and a re-run (also over an older seed that
lacked these parts) creating nothing twice."""

from __future__ import annotations

import datetime
import statistics
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from deputies import demo
from deputies.models import (
    DEMOCRATIC_PARTIES,
    ETHNICITIES,
    Constituency,
    Deputy,
    DeputyGroup,
    Mandate,
    VoterContact,
    name_initials,
)
from org.models import Region
from org.seeding import SeedContext, TownshipInfo
from org.validators import validate_mobile

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
P = Mandate.PresidiumRole


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True


def seed():
    call_command("seed_demo", "--password", "Seed#Test2026x", stdout=StringIO())


@pytest.fixture
def seeded():
    seed()


def snapshot() -> dict:
    """Everything the congress part of the seed decides, in comparable form."""
    return {
        "constituencies": sorted(
            Constituency.objects.annotate(v=Count("villages")).values_list("region_id", "number", "name", "seats", "v")
        ),
        "mandates": sorted(
            Mandate.objects.values_list(
                "deputy__id_number", "term__number", "level", "constituency__number", "presidium_role"
            )
        ),
        "groups": sorted(
            DeputyGroup.objects.annotate(n=Count("members")).values_list(
                "region_id", "name", "leader__id_number", "presidium_contact__id_number", "n"
            )
        ),
        "contacts": sorted(VoterContact.objects.values_list("deputy__id_number", "name", "phone", "village_id")),
        "flags": sorted(
            Deputy.objects.values_list(
                "id_number", "name_initials", "reelected", "returned_overseas", "democratic_party"
            )
        ),
    }


def test_constituencies_cover_the_villages_and_seat_every_deputy(seeded):
    for township in Region.objects.townships():
        deputies = township.deputies.count()
        constituencies = Constituency.objects.filter(region=township).prefetch_related("villages")
        assert sum(c.seats for c in constituencies) == deputies, township
        villages = set(Region.objects.filter(parent=township).values_list("pk", flat=True))
        covered = set()
        for c in constituencies:
            assert 1 <= c.seats <= 3, c  # the election law: one to three deputies a constituency
            mine = {v.pk for v in c.villages.all()}
            assert 1 <= len(mine) <= 3 and mine <= villages, c
            covered |= mine
            serving = c.mandates.filter(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP).count()
            assert serving == c.seats, c
        assert covered == villages, township
    township_mandates = Mandate.objects.filter(level=Mandate.Level.TOWNSHIP)
    assert not township_mandates.filter(constituency__isnull=True).exists()
    assert not township_mandates.exclude(constituency__region=F("region")).exists()
    assert not Mandate.objects.filter(level=Mandate.Level.COUNTY, constituency__isnull=False).exists()


def test_presidium_of_every_township(seeded):
    for township in Region.objects.townships():
        n = township.deputies.count()
        roles = Counter(
            Mandate.objects.filter(region=township, status=Mandate.Status.SERVING)
            .exclude(presidium_role="")
            .values_list("presidium_role", flat=True)
        )
        assert roles[P.CHAIR] == 1 and 1 <= roles[P.VICE_CHAIR] <= 2, (township, roles)
        assert 0.06 <= sum(roles.values()) / n <= 0.10, (township, roles, n)
        chair = Deputy.objects.get(mandates__presidium_role=P.CHAIR, region=township)
        assert chair.work_unit.endswith(("人大主席", "人大工委主任")), chair.work_unit
    # Only the current term's serving township seats carry a presidium role.
    assert not Mandate.objects.exclude(presidium_role="").exclude(status=Mandate.Status.SERVING).exists()
    assert not Mandate.objects.exclude(presidium_role="").exclude(level=Mandate.Level.TOWNSHIP).exists()


def test_deputy_groups_of_every_township(seeded):
    for township in Region.objects.townships():
        n = township.deputies.count()
        groups = list(DeputyGroup.objects.filter(region=township).prefetch_related("members"))
        assert n / 13 <= len(groups) <= n / 7, (township, len(groups), n)
        members = [d.pk for g in groups for d in g.members.all()]
        assert sorted(members) == sorted(township.deputies.values_list("pk", flat=True))  # each in one group
        presidium = set(
            Mandate.objects.filter(region=township, status=Mandate.Status.SERVING)
            .exclude(presidium_role="")
            .values_list("deputy_id", flat=True)
        )
        for g in groups:
            assert g.name.endswith("代表小组")
            assert g.leader_id in {d.pk for d in g.members.all()}, g
            assert g.presidium_contact_id in presidium, g
        # Presidium members share the groups out before any links two.
        linked = Counter(g.presidium_contact_id for g in groups)
        assert max(linked.values()) - min(linked.values()) <= 1 or len(linked) == len(presidium)


def test_voter_contacts(seeded):
    per_deputy = Counter(VoterContact.objects.values_list("deputy_id", flat=True))
    assert set(per_deputy) == set(Deputy.objects.values_list("pk", flat=True))
    assert min(per_deputy.values()) >= 5 and max(per_deputy.values()) <= 8
    for contact in VoterContact.objects.select_related("deputy", "village")[:400]:
        validate_mobile(contact.phone)
        assert 2 <= len(contact.name) <= 4
        assert contact.village.parent_id == contact.deputy.region_id
        assert contact.since >= datetime.date(2021, 12, 1)
    # Voters live where the deputy was elected.
    contact = VoterContact.objects.select_related("deputy").first()
    seat = contact.deputy.mandates.get(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP).constituency
    assert contact.village in seat.villages.all()


def test_deputy_flags(seeded):
    deputies = Deputy.objects.all()
    previous = set(
        Mandate.objects.filter(level=Mandate.Level.TOWNSHIP, term__number=19).values_list("deputy_id", flat=True)
    )
    assert set(deputies.filter(reelected=True).values_list("pk", flat=True)) == previous
    assert deputies.filter(returned_overseas=True).count() <= 0.02 * deputies.count()
    for party, democratic in deputies.values_list("party", "democratic_party"):
        assert (party == Deputy.Party.DEMOCRATIC) == bool(democratic)
        assert not democratic or democratic in DEMOCRATIC_PARTIES
    assert set(deputies.values_list("ethnicity", flat=True)) <= set(ETHNICITIES)
    for name, initials in deputies.values_list("name", "name_initials")[:200]:
        assert initials == name_initials(name) != ""


def test_ages_spread_like_a_real_congress(seeded):
    ages = [(TODAY - b).days // 365 for b in Deputy.objects.values_list("birth_date", flat=True)]
    assert 45 <= statistics.median(ages) <= 52
    under_35 = sum(a < 35 for a in ages) / len(ages)
    over_60 = sum(a >= 60 for a in ages) / len(ages)
    assert 0.03 <= under_35 <= 0.20 and 0.02 <= over_60 <= 0.15


def test_second_run_creates_nothing(seeded):
    before = snapshot()
    seed()
    assert snapshot() == before


def test_a_seed_from_before_the_congress_parts_is_completed(seeded):
    """A database seeded before constituencies, groups and contacts existed gets them, and
    ends exactly where a fresh seed would."""
    fresh = snapshot()
    VoterContact.objects.all().delete()
    DeputyGroup.objects.all().delete()
    Mandate.objects.update(constituency=None, presidium_role="")
    Constituency.objects.all().delete()
    Deputy.objects.update(name_initials="", reelected=False, returned_overseas=False, democratic_party="")
    seed()
    assert snapshot() == fresh


def _plans_in(prefecture: str, townships: int = 6):
    """Deputies planned (not saved) for an imagined county in `prefecture`."""
    ctx = SeedContext()
    county = Region(pk=1, code=f"13{prefecture}41000000", name="测试县", kind=Region.Kind.COUNTY)
    plans = []
    used: set[str] = set()
    for i in range(townships):
        township = Region(
            pk=100 + i, code=f"13{prefecture}41{100 + i:03d}000", name=f"测试{i}镇", kind=Region.Kind.TOWNSHIP
        )
        ctx.township_info[township.pk] = TownshipInfo(population=60000)
        ctx.villages[township.pk] = []
        plans += demo.plan_township(ctx, county, township, used)
    return [p.deputy for p in plans]


def test_minority_shares_follow_the_region():
    """承德 (08) is about two fifths 满族 and 蒙古族; the plain round the demo county is not."""
    chengde = _plans_in("08")
    plain = _plans_in("05")
    share = lambda ds: sum(d.ethnicity != "汉族" for d in ds) / len(ds)  # noqa: E731
    assert 0.28 <= share(chengde) <= 0.48
    assert share(plain) <= 0.12
    assert Counter(d.ethnicity for d in chengde if d.ethnicity != "汉族").most_common(1)[0][0] == "满族"
    assert {d.ethnicity for d in chengde + plain} <= set(ETHNICITIES)


def test_province_scale_keeps_voter_contacts(settings):
    call_command(
        "seed_demo", "--scale", "province", "--townships", "20", "--password", "Seed#Test2026x", stdout=StringIO()
    )
    counties = Region.objects.filter(kind=Region.Kind.COUNTY)
    assert counties.count() >= 2
    for county in counties:
        deputies = Deputy.objects.filter(region__parent=county)
        assert VoterContact.objects.filter(deputy__region__parent=county).count() >= 5 * deputies.count()
        assert DeputyGroup.objects.filter(region__parent=county).exists()
