"""The assessments part of seed_demo: a finished previous year and a running current one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Assessment, PointEntry, PublicityItem, StarRating, TownshipResult

pytestmark = pytest.mark.django_db


def test_previous_year_published_and_current_year_running(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--password", "Demo#Pass2026", stdout=io.StringIO())
    year = timezone.localdate().year
    last = Assessment.objects.get(year=year - 1)
    assert last.state == Assessment.State.PUBLISHED
    results = TownshipResult.objects.filter(assessment=last)
    assert results.count() == 12 and not results.filter(grade="").exists()
    assert results.exclude(reply="").count() == 1
    assert Assessment.objects.get(year=year).state == Assessment.State.DRAFT
    published = StarRating.objects.filter(year=year - 1)
    assert published.exists() and not published.exclude(state="published").exists()
    assert not published.filter(stars__isnull=True).exists()
    assert StarRating.objects.filter(year=year, state="submitted").exists()
    assert PointEntry.objects.filter(year=year - 1).exists() and PointEntry.objects.filter(year=year).exists()
    assert PublicityItem.objects.exists()
    before = (Assessment.objects.count(), StarRating.objects.count(), PointEntry.objects.count())
    call_command("seed_demo", "--password", "Demo#Pass2026", stdout=io.StringIO())
    assert (Assessment.objects.count(), StarRating.objects.count(), PointEntry.objects.count()) == before
