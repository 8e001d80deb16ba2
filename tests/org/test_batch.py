"""org.batch: several one-row aggregates in one query, with the values aggregate() gives."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.test.utils import CaptureQueriesContext

from assessments.models import PointEntry
from org.batch import LazyList, aggregate, annotate_grouped, batched, derived
from org.models import Region
from stations.models import Station, VoterIssue
from tests.factories import PointEntryFactory, StationFactory, VoterIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(world):
    StationFactory(region=world.village_a, kind=Station.Kind.LIAISON)
    StationFactory(region=world.town_b)
    VoterIssueFactory(region=world.town_a, due_on=datetime.date(2026, 3, 9))
    VoterIssueFactory(region=world.town_b, due_on=datetime.date(2026, 2, 1))
    return world


def test_values_equal_aggregate_and_one_query(rows):
    asks = [
        (Station.objects.all(), {"total": Count("pk"), "in_a": Count("pk", filter=Q(township=rows.town_a))}),
        (VoterIssue.objects.all(), {"n": Count("pk"), "first_due": Min("due_on"), "last_due": Max("due_on")}),
        (Region.objects.filter(kind="township"), {"townships": Count("pk")}),
    ]
    expected = [qs.aggregate(**aggs) for qs, aggs in asks]
    with CaptureQueriesContext(connection) as ctx:
        with batched():
            lazy = [aggregate(qs, **aggs) for qs, aggs in asks]
        assert len(ctx) == 0, "nothing is asked before a value is read"
        got = [dict(row) for row in lazy]
    assert len(ctx) == 1
    assert got == expected
    assert got[1]["first_due"] == datetime.date(2026, 2, 1)  # a date, converted as aggregate() does
    assert got[0] == {"total": 2, "in_a": 1}


def test_empty_sets(world):
    with batched():
        total = aggregate(PointEntry.objects.all(), s=Sum("points"))
        none = aggregate(Station.objects.filter(pk__in=[]), n=Count("pk"), s=Sum("pk"))
    # An empty IN never reaches the database, as with aggregate(): Count 0, Sum None.
    assert dict(none) == {"n": 0, "s": None} == Station.objects.filter(pk__in=[]).aggregate(n=Count("pk"), s=Sum("pk"))
    assert total["s"] is None


def test_decimal_sum_converted(world):
    for points in (Decimal("2.5"), Decimal("3")):
        entry = PointEntryFactory.in_township(world.town_a)
        entry.points = points
        entry.save()
    with batched():
        row = aggregate(PointEntry.objects.all(), s=Sum("points"))
    assert row["s"] == Decimal("5.5") == PointEntry.objects.aggregate(s=Sum("points"))["s"]
    assert isinstance(row["s"], Decimal)


def test_nested_batches_join_the_outer_one(rows):
    with CaptureQueriesContext(connection) as ctx, batched():
        a = aggregate(Station.objects.all(), n=Count("pk"))
        with batched():
            b = aggregate(VoterIssue.objects.all(), n=Count("pk"))
        assert (a["n"], b["n"]) == (2, 2)
    assert len(ctx) == 1


def test_outside_a_batch_it_is_aggregate(rows):
    with CaptureQueriesContext(connection) as ctx:
        row = aggregate(Station.objects.all(), n=Count("pk"))
        assert len(ctx) == 1
    assert row == {"n": 2}


def test_reading_early_runs_what_is_pending_and_later_asks_go_in_a_second_query(rows):
    with CaptureQueriesContext(connection) as ctx, batched():
        a = aggregate(Station.objects.all(), n=Count("pk"))
        assert a["n"] == 2
        b = aggregate(VoterIssue.objects.all(), n=Count("pk"))
        c = aggregate(Region.objects.all(), n=Count("pk"))
        assert (b["n"], c["n"]) == (2, Region.objects.count())
    assert len(ctx) == 3  # a; b and c together; the check's own count


def test_derived_and_lazy_list_wait_for_the_read(rows):
    with CaptureQueriesContext(connection) as ctx:
        with batched():
            row = aggregate(Station.objects.all(), n=Count("pk"))
            double = derived(lambda: {"n2": row["n"] * 2})
            listed = LazyList(lambda: [row["n"], row["n"] + 1])
        assert len(ctx) == 0
        assert double["n2"] == 4
        assert list(listed) == [2, 3]
    assert len(ctx) == 1


def test_distinct_and_sliced_querysets_are_refused(rows):
    with batched():
        with pytest.raises(TypeError):
            aggregate(Station.objects.distinct(), n=Count("pk"))
        with pytest.raises(TypeError):
            aggregate(Station.objects.all()[:1], n=Count("pk"))


def test_annotate_grouped_counts_each_base_row_and_zero_for_none(rows):
    world = rows
    VoterIssueFactory(region=world.town_a, state=VoterIssue.State.REFERRED)
    townships = Region.objects.filter(kind="township")
    with CaptureQueriesContext(connection) as ctx:
        got = annotate_grouped(
            townships,
            order_by=("-name",),
            n_issues=(VoterIssue.objects.all(), "region_id", Count("pk")),
            n_referred=(VoterIssue.objects.all(), "region_id", Count("pk", filter=Q(state=VoterIssue.State.REFERRED))),
            n_rooms=(Station.objects.filter(kind=Station.Kind.LIAISON), "township_id", Count("pk")),
            n_none=(Station.objects.filter(pk__in=[]), "township_id", Count("pk")),
        )
    assert len(ctx) == 1
    # The two counts over the same issues share one GROUP BY; the empty one needs none.
    assert ctx.captured_queries[0]["sql"].count("LEFT JOIN (SELECT") == 2
    assert [t.name for t in got] == sorted((t.name for t in townships), reverse=True)
    by_name = {t.name: (t.n_issues, t.n_referred, t.n_rooms, t.n_none) for t in got}
    for t in townships:
        expected = (
            VoterIssue.objects.filter(region=t).count(),
            VoterIssue.objects.filter(region=t, state=VoterIssue.State.REFERRED).count(),
            Station.objects.filter(township=t, kind=Station.Kind.LIAISON).count(),
            0,
        )
        assert by_name[t.name] == expected
    assert by_name["甲镇"] == (2, 1, 1, 0) and by_name["乙镇"] == (1, 0, 0, 0)
    assert (
        annotate_grouped(Region.objects.filter(pk__in=[]), n=(Station.objects.all(), "township_id", Count("pk"))) == []
    )
