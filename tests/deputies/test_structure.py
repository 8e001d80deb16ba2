"""代表结构: exact counts and shares on a small known dataset, scoped to what the user looks
at, the serving count month by month, and a query count that does not grow with rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deputies.models import Deputy, Mandate
from deputies.selectors import month_ends, years_before
from tests.deputies.test_models import county_terms, seat
from tests.deputies.test_roster import bulk_deputies
from tests.factories import DeputyFactory, MandateFactory

pytestmark = pytest.mark.django_db
STRUCTURE = reverse("deputies:structure")


@pytest.fixture
def dataset(world):
    """Five serving township deputies in A (plus one resigned, one of the last term only),
    one in B. Ages sit on the bands' edges."""
    previous, current = county_terms(world.county)
    today = datetime.date.today()
    a = world.town_a
    one = DeputyFactory(  # 34 until tomorrow
        region=a, name="张一", gender="M", birth_date=years_before(today, 35) + datetime.timedelta(days=1),
        party="cpc", education="bachelor", occupation="official",
    )  # fmt: skip
    two = DeputyFactory(
        region=a, name="李二", gender="F", ethnicity="回族", birth_date=years_before(today, 35),
        party="masses", education="senior", occupation="farmer", returned_overseas=True,
    )  # fmt: skip
    three = DeputyFactory(
        region=a, name="王三", gender="F", birth_date=years_before(today, 50), party="democratic",
        democratic_party="民盟", education="college", occupation="worker", reelected=True,
    )  # fmt: skip
    four = DeputyFactory(
        region=a, name="赵四", gender="M", ethnicity="满族", birth_date=years_before(today, 60),
        party="cpc", education="", occupation="farmer",
    )  # fmt: skip
    five = DeputyFactory(
        region=a, name="钱五", gender="M", birth_date=None, party="independent", education="postgraduate",
        occupation="professional",
    )  # fmt: skip
    for d in (one, two, three, four, five):
        seat(d, current)
    # 张一 sat in the last term too (so 连任), and sits in the county congress.
    seat(one, previous, status=Mandate.Status.EXPIRED, ended_on=previous.end_date)
    MandateFactory(deputy=one, region=world.county, term=current, level=Mandate.Level.COUNTY)
    resigned = DeputyFactory(region=a, name="孙六", gender="F")
    seat(resigned, current, status=Mandate.Status.RESIGNED, ended_on=datetime.date(2023, 3, 15))
    gone = DeputyFactory(region=a, name="周七", gender="F")
    seat(gone, previous, status=Mandate.Status.EXPIRED, ended_on=previous.end_date)
    seat(DeputyFactory(region=world.town_b, name="乙镇吴八", gender="F"), current)
    return {"previous": previous, "current": current}


def table(response, key):
    dim = next(d for d in response.context["dimensions"] if d["key"] == key)
    return {r["key"]: (r["n"], r["share"]) for r in dim["rows"]}


def detail(response, key):
    dim = next(d for d in response.context["dimensions"] if d["key"] == key)
    return {r["key"]: (r["n"], r["share"]) for r in dim.get("detail", [])}


def test_exact_counts_and_shares_for_a_township(world, dataset, login):
    r = login(world.clerk_a).get(STRUCTURE)
    assert r.status_code == 200
    assert r.context["region"] == world.town_a and r.context["total"] == 5
    assert table(r, "gender") == {"M": (3, 60.0), "F": (2, 40.0)}
    assert table(r, "ethnicity") == {"han": (3, 60.0), "minority": (2, 40.0)}
    assert detail(r, "ethnicity") == {"回族": (1, 20.0), "满族": (1, 20.0)}
    assert table(r, "age") == {
        "u35": (1, 20.0),
        "35_49": (1, 20.0),
        "50_59": (1, 20.0),
        "60p": (1, 20.0),
        "none": (1, 20.0),
    }
    assert table(r, "party") == {
        "cpc": (2, 40.0),
        "democratic": (1, 20.0),
        "independent": (1, 20.0),
        "masses": (1, 20.0),
    }
    assert table(r, "education") == {
        "primary": (0, 0.0),
        "junior": (0, 0.0),
        "senior": (1, 20.0),
        "college": (1, 20.0),
        "bachelor": (1, 20.0),
        "postgraduate": (1, 20.0),
        "none": (1, 20.0),
    }
    assert table(r, "occupation") == {
        "worker": (1, 20.0),
        "farmer": (2, 40.0),
        "professional": (1, 20.0),
        "official": (1, 20.0),
        "entrepreneur": (0, 0.0),
        "grassroots": (0, 0.0),
        "other": (0, 0.0),
    }
    # 张一 by the last term's mandate, 王三 by the flag.
    assert table(r, "reelected") == {"yes": (2, 40.0), "no": (3, 60.0)}
    assert table(r, "overseas") == {"yes": (1, 20.0), "no": (4, 80.0)}
    page = r.content.decode()
    assert 'data-chart="chart-gender"' in page and 'id="chart-gender"' in page and 'id="chart-timeline"' in page


def test_county_level_deputies(world, dataset, login):
    r = login(world.clerk_a).get(STRUCTURE, {"level": "county"})
    assert r.context["total"] == 1 and table(r, "gender") == {"M": (1, 100.0), "F": (0, 0.0)}


def test_scope_and_region_switch(world, dataset, login):
    r = login(world.clerk_b).get(STRUCTURE)
    assert r.context["total"] == 1 and table(r, "gender") == {"M": (0, 0.0), "F": (1, 100.0)}
    assert "by_township" not in r.context or not r.context["by_township"]
    c = login(world.county_admin)
    r = c.get(STRUCTURE)
    assert r.context["region"] == world.county and r.context["total"] == 6
    assert {
        row["region__name"]: (row["total"], row["women"], row["women_share"]) for row in r.context["by_township"]
    } == {
        "甲镇": (5, 2, 40.0),
        "乙镇": (1, 1, 100.0),
    }
    c.post(reverse("org:region-switch"), {"region": world.town_a.pk})
    r = c.get(STRUCTURE)
    assert r.context["region"] == world.town_a and r.context["total"] == 5


def test_serving_count_month_by_month(world, dataset, login):
    r = login(world.clerk_a).get(STRUCTURE)
    points = {p["date"]: p["n"] for p in r.context["timeline"]}
    assert min(points) == datetime.date(2016, 12, 31)
    assert points[datetime.date(2016, 12, 31)] == 2  # 张一, 周七
    assert points[datetime.date(2021, 11, 30)] == 2  # the last day of the 19th term
    assert points[datetime.date(2021, 12, 31)] == 6  # the 20th: five and 孙六
    assert points[datetime.date(2023, 2, 28)] == 6
    assert points[datetime.date(2023, 3, 31)] == 5  # 孙六 resigned on 15 March
    assert max(points) == min(datetime.date.today(), datetime.date(2026, 12, 31))


def test_month_ends():
    assert month_ends(datetime.date(2023, 11, 5), datetime.date(2024, 2, 10)) == [
        datetime.date(2023, 11, 30),
        datetime.date(2023, 12, 31),
        datetime.date(2024, 1, 31),
        datetime.date(2024, 2, 10),
    ]


def test_the_dashboard_panel_links_to_the_structure_page(world, dataset, login):
    page = login(world.county_admin).get(reverse("home")).content.decode()
    assert f'href="{STRUCTURE}"' in page


@pytest.mark.parametrize("persona", ["county_admin", "clerk_a"])
def test_query_count_does_not_grow_with_rows(world, login, django_assert_num_queries, persona):
    previous, current = county_terms(world.county)
    bulk_deputies(world.town_a, current, 10)
    c = login(getattr(world, persona))
    c.get(STRUCTURE)
    with CaptureQueriesContext(connection) as ten:
        r = c.get(STRUCTURE)
    assert r.context["total"] == 10
    bulk_deputies(world.town_a, current, 190)
    bulk_deputies(world.town_b, previous, 50)
    with django_assert_num_queries(len(ten)):
        r = c.get(STRUCTURE)
    # Township B's deputies (serving, of the last term) count for the county only.
    assert r.context["total"] == (250 if persona == "county_admin" else 200)
    assert Deputy.objects.count() == 250
