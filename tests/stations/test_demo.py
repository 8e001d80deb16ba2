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
    assert not Station.objects.filter(public_code__isnull=True).exists()
    before = (Station.objects.count(), StationItemState.objects.count(), Standard.objects.count())
    seed()
    assert (Station.objects.count(), StationItemState.objects.count(), Standard.objects.count()) == before


def test_room_life_covers_every_state_and_kind(seed):
    """Two years of rosters, receptions, every issue state and activity kind, public
    opinions with tracking codes, overdue work in a unit's inbox, one activity waiting for
    the clerk; a second run adds nothing."""
    import datetime

    from django.db.models import Count
    from django.utils import timezone

    from stations.models import Activity, DutyRoster, Reception, VoterIssue, VoterIssueEvent

    seed()
    today = timezone.localdate()
    assert DutyRoster.objects.filter(date__year=today.year - 1).exists()
    assert not DutyRoster.objects.annotate(n=Count("deputies")).filter(n=0).exists()
    assert Reception.objects.filter(date__gt=today).count() == 0
    assert set(VoterIssue.objects.values_list("state", flat=True)) == set(VoterIssue.State.values)
    assert set(Activity.objects.values_list("kind", flat=True)) == set(Activity.Kind.values)
    public = VoterIssue.objects.filter(source=VoterIssue.Source.PUBLIC)
    assert public.exists() and not public.filter(tracking_code__isnull=True).exists()
    assert VoterIssue.objects.filter(state="referred", due_on__lt=today).exists()
    assert Activity.objects.filter(status=Activity.Status.PENDING, recorded_by__username="deputy_chengguan_1").exists()
    # Every issue's log starts at "recorded" and ends at its current state.
    issue = VoterIssue.objects.filter(state="closed").first()
    steps = list(issue.events.values_list("to_state", flat=True))
    assert steps[0] == "recorded" and steps[-1] == "closed"
    assert VoterIssueEvent.objects.count() >= VoterIssue.objects.count()
    # Some liaison rooms fell silent this quarter: the compliance list has something to show.
    quiet_since = today - datetime.timedelta(days=90)
    busy = set(Reception.objects.filter(date__gte=quiet_since).values_list("station_id", flat=True))
    busy |= set(Activity.objects.filter(date__gte=quiet_since).values_list("station_id", flat=True))
    assert Station.objects.exclude(pk__in=busy).exists()
    before = [m.objects.count() for m in (DutyRoster, Reception, VoterIssue, Activity)]
    seed()
    assert [m.objects.count() for m in (DutyRoster, Reception, VoterIssue, Activity)] == before
