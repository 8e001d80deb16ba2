"""The stations part of seed_demo."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from stations.models import Standard, Station, StationItemState

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings):
    settings.DEBUG = True

    def run(*args):
        out = io.StringIO()
        call_command("seed_demo", *args, "--password", "Demo#Pass2026", stdout=out)
        return out.getvalue()

    return run


def test_seeder_counts_and_idempotent(seed):
    seed()
    homes = Station.objects.filter(kind=Station.Kind.HOME)
    from org.models import Region

    townships = Region.objects.townships().count()
    assert homes.count() == townships
    villages = Region.objects.filter(kind__in=("village", "community")).count()
    liaisons = Station.objects.filter(kind=Station.Kind.LIAISON).count()
    assert 0.3 * villages < liaisons < 0.7 * villages
    assert Standard.objects.filter(name__in=["六有", "七有", "八有", "十有"]).count() >= 4
    states = StationItemState.objects.count()
    assert states == 6 * Station.objects.count()
    met = StationItemState.objects.filter(state="met").count()
    assert 0.6 * states < met < states
    assert not Station.objects.filter(groups__isnull=True, kind=Station.Kind.HOME).exists()
    before = (Station.objects.count(), StationItemState.objects.count(), Standard.objects.count())
    seed()
    assert (Station.objects.count(), StationItemState.objects.count(), Standard.objects.count()) == before
