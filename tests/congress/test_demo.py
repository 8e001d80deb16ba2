"""The congress part of seed_demo."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from congress.compliance_meetings import yearly_table
from congress.models import LivelihoodProject, Meeting, Suggestion, SupervisionItem
from congress.rules import quorum_met
from org.models import Region, User

pytestmark = pytest.mark.django_db


def test_two_years_of_congress_work_with_its_blemishes(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--password", "Demo#Pass2026", stdout=io.StringIO())
    today = timezone.localdate()
    assert set(Suggestion.objects.values_list("state", flat=True)) >= {
        "draft",
        "submitted",
        "not_accepted",
        "assigned",
        "answered",
        "rated",
        "reassigned",
        "closed",
    }
    assert any(s.is_overdue for s in Suggestion.objects.filter(state="assigned"))
    assert any(i.is_overdue for i in SupervisionItem.objects.all())
    assert LivelihoodProject.objects.filter(state__in=["in_progress", "completed"]).exists()
    # Every held session had its quorum; the one short of it stayed unheld.
    for m in Meeting.objects.filter(kind="session").prefetch_related("roll"):
        present = sum(1 for a in m.roll.all() if a.status == "present")
        assert quorum_met(present=present, serving=m.serving_count) == (m.state == "held")
    assert Meeting.objects.filter(kind="session", state="planned").count() == 1
    county = Region.objects.get(kind="county", parent__isnull=True)
    admin = User.objects.get(username="county_admin")
    flagged_last_year = [r for r in yearly_table(admin, county, year=today.year - 1) if r["flags"]]
    flagged_this_year = [r for r in yearly_table(admin, county, year=today.year) if r["flags"]]
    assert len(flagged_last_year) == 1 and any("主席团" in f for f in flagged_last_year[0]["flags"])
    assert any("少于2次" in f for r in flagged_this_year for f in r["flags"])
    assert Suggestion.objects.filter(lead_deputy__user__username="deputy_chengguan_1", state="answered").exists()
    before = [m.objects.count() for m in (Meeting, Suggestion, SupervisionItem, LivelihoodProject)]
    call_command("seed_demo", "--password", "Demo#Pass2026", stdout=io.StringIO())
    assert [m.objects.count() for m in (Meeting, Suggestion, SupervisionItem, LivelihoodProject)] == before
