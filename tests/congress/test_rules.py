"""Quorum and majority arithmetic at the edges, and serving counts on a meeting's date."""

from __future__ import annotations

import datetime

import pytest

from congress import rules
from tests.factories import DeputyFactory, MandateFactory, RegionFactory, TermFactory


@pytest.mark.parametrize(
    ("present", "serving", "met"),
    [(20, 30, True), (19, 30, False), (2, 3, True), (1, 3, False), (34, 50, True), (33, 50, False), (0, 0, False)],
)
def test_quorum_is_two_thirds_inclusive(present, serving, met):
    assert rules.quorum_met(present=present, serving=serving) is met
    if serving:
        assert rules.quorum_met(present=rules.quorum_needed(serving), serving=serving)
        assert not rules.quorum_met(present=rules.quorum_needed(serving) - 1, serving=serving)


@pytest.mark.parametrize(
    ("yes", "serving", "ok"), [(15, 30, False), (16, 30, True), (16, 31, True), (15, 31, False), (1, 1, True)]
)
def test_passing_needs_more_than_half_of_all_serving(yes, serving, ok):
    assert rules.passes(yes=yes, serving=serving) is ok
    assert rules.passes(yes=rules.majority_needed(serving), serving=serving)
    assert not rules.passes(yes=rules.majority_needed(serving) - 1, serving=serving)


@pytest.mark.django_db
def test_serving_count_on_a_date_after_a_resignation():
    county = RegionFactory.county()
    town = RegionFactory.township(county)
    term = TermFactory(region=county)
    stays = [MandateFactory(deputy=DeputyFactory(region=town), region=town, term=term) for _ in range(3)]
    resigned = MandateFactory(
        deputy=DeputyFactory(region=town), region=town, term=term, status="resigned", ended_on=datetime.date(2026, 3, 1)
    )
    late = MandateFactory(
        deputy=DeputyFactory(region=town),
        region=town,
        term=term,
        elected_on=datetime.date(2026, 6, 1),
        by_election=True,
    )
    assert rules.serving_count_on(town, datetime.date(2026, 2, 28)) == 4
    # Resigned effective 1 March: not serving that day.
    assert rules.serving_count_on(town, datetime.date(2026, 3, 1)) == 3
    assert rules.serving_count_on(town, datetime.date(2026, 6, 1)) == 4
    roll = set(rules.serving_deputies_on(town, datetime.date(2026, 3, 1)))
    assert roll == {m.deputy for m in stays}
    assert resigned.deputy not in roll and late.deputy not in roll
