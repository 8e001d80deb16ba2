"""The year's work dashboard 年度工作看板: its numbers against counts made by hand on a small
dataset, scope (a township clerk sees only its township; a county user narrows to one with the
top-bar switcher), the query count whatever the number of townships and rows, and the links."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import selectors_dashboard
from assessments.models import Assessment, StarRating
from congress.models import Meeting, Suggestion, SuggestionAssignment
from deputies.models import Mandate
from org.middleware import ActiveRegionMiddleware
from stations.models import Activity, VoterIssue
from tests.factories import (
    ActivityFactory,
    AssessmentFactory,
    DeputyFactory,
    HandlingUnitFactory,
    MandateFactory,
    MeetingFactory,
    PointEntryFactory,
    PointRuleFactory,
    ReceptionFactory,
    RegionFactory,
    StandardFactory,
    StandardItemFactory,
    StarRatingFactory,
    StarRuleFactory,
    StationFactory,
    SuggestionFactory,
    TermFactory,
    TownshipResultFactory,
    VoterIssueFactory,
)

ON = datetime.date(2026, 11, 22)
YEAR = ON.year
URL = "/assessments/dashboard/"
S = Suggestion.State
CONFIRMED, PENDING = Activity.Status.CONFIRMED, Activity.Status.PENDING


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(selectors_dashboard, "reference_date", lambda: ON)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def d(month, day, year=YEAR):
    return datetime.date(year, month, day)


def fill_township(town, *, rooms=1, receptions=(), activities=(), suggestions=(), name=None):
    """Rows of a township: `receptions` dates, `activities` (date, status), `suggestions`
    (state, submitted_on, due_on)."""
    term = TermFactory(region=town)
    stations = [StationFactory(region=town, name=f"{name or town.name}代表之家{i}") for i in range(rooms)]
    for day in receptions:
        ReceptionFactory(station=stations[0], date=day)
    for day, status in activities:
        ActivityFactory(region=town, station=stations[0], date=day, status=status)
    lead = DeputyFactory(region=town)
    MandateFactory(deputy=lead, region=town, term=term, status=Mandate.Status.SERVING)
    for state, submitted, due in suggestions:
        SuggestionFactory(region=town, term=term, lead_deputy=lead, state=state, submitted_on=submitted, due_on=due)
    return {"term": term, "stations": stations, "lead": lead}


@pytest.fixture
def data(world):
    a = fill_township(
        world.town_a,
        receptions=[d(2, 10), d(2, 20), d(5, 5), d(3, 1, 2025)],
        activities=[(d(4, 15), CONFIRMED), (d(4, 16), PENDING), (d(6, 1, 2025), CONFIRMED)],
        suggestions=[
            (S.SUBMITTED, d(3, 2), None),
            (S.ACCEPTED, d(3, 2), None),
            (S.ASSIGNED, d(3, 2), d(10, 1)),  # overdue on ON
            (S.ASSIGNED, d(3, 2), d(12, 10)),  # due within 30 days
            (S.ANSWERED, d(3, 2), d(6, 1)),
            (S.CLOSED, d(3, 2), d(6, 1)),
            (S.DRAFT, None, None),
            (S.SUBMITTED, d(5, 1, 2025), None),
        ],
    )
    b = fill_township(
        world.town_b,
        receptions=[d(8, 1)],
        activities=[(d(1, 5), CONFIRMED)],
        suggestions=[(S.ASSIGNED, d(4, 1), d(12, 30))],
    )
    MeetingFactory(region=world.town_a, term=a["term"], kind=Meeting.Kind.SESSION, date=d(3, 1), state="held")
    MeetingFactory(region=world.town_a, term=a["term"], kind=Meeting.Kind.PRESIDIUM, date=d(2, 10), state="held")
    MeetingFactory(region=world.town_b, term=b["term"], kind=Meeting.Kind.PRESIDIUM, date=d(5, 10), state="planned")
    unit = HandlingUnitFactory(region=world.town_a)
    for state in (VoterIssue.State.FED_BACK, VoterIssue.State.REFERRED):
        VoterIssueFactory(
            region=world.town_a, state=state, handling_unit=unit, raised_on=d(3, 1), referred_on=d(3, 2),
            due_on=d(4, 1),
        )  # fmt: skip
    return {"a": a, "b": b}


def kpi(html: str, key: str) -> str:
    match = re.search(rf'id="kpi-{key}">([^<]*)<', html)
    assert match, f"no KPI card {key}"
    return match.group(1)


def page(client, user, region=None, **params):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if region is not None:
        session = client.session
        session[ActiveRegionMiddleware.SESSION_KEY] = region.pk
        session.save()
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def test_url_name():
    assert reverse("assessments:dashboard") == URL


def test_roles(world, client, data):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(world.deputy_a, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(URL).status_code == 403


def test_county_numbers_match_the_rows(world, client, data):
    response = page(client, world.county_admin)
    html = response.content.decode()
    ctx = response.context["d"]
    assert not ctx["is_township"]
    assert kpi(html, "townships") == "2"
    assert kpi(html, "receptions") == "4"  # three in A, one in B; last year's not counted
    assert ctx["receptions"]["last"] == 1
    assert kpi(html, "activities") == "2"  # the pending one is not counted
    assert kpi(html, "suggestions") == "8"  # seven of A this year (the draft too) + one of B
    assert ctx["suggestions"]["last_total"] == 1
    assert kpi(html, "serving") == "2"
    assert kpi(html, "rooms") == "2"
    assert kpi(html, "issues") == "50.0%"
    # An independent count of the cards' rows.
    assert Suggestion.objects.filter(submitted_on__year=YEAR).count() + 1 == 8
    funnel = {f["key"]: f["reached"] for f in ctx["suggestions"]["funnel"]}
    assert funnel == {"submitted": 7, "accepted": 6, "assigned": 5, "answered": 2, "rated": 1}
    assert ctx["suggestions"]["overdue"] == 1
    assert re.search(r'id="funnel-assigned">5<', html)
    assert "超期未办复 1件" in html
    # Year over year on the cards: receptions up 3 on last year, activities up 1.
    assert ctx["deltas"]["receptions"] == {"value": 3, "up": True}
    assert "▲3" in html


def test_compliance_cells(world, client, data):
    ctx = page(client, world.county_admin).context["d"]
    rows = {r["township"].pk: r for r in ctx["table"]}
    a, b = rows[world.town_a.pk], rows[world.town_b.pk]
    assert [q["receptions"] for q in a["quarters"]] == [2, 1, 0, 0]
    assert [q["receptions_missing"] for q in a["quarters"]] == [False, False, True, False]  # Q4 not ended
    assert [q["activities"] for q in a["quarters"]] == [0, 1, 0, 0]
    assert [q["presidium"] for q in a["quarters"]] == [1, 0, 0, 0]
    assert [q["presidium_missing"] for q in b["quarters"]] == [True, True, True, False]  # the planned one not held
    # A held its first session in March (one more may come); B none by mid-July.
    assert a["sessions_lawful"] == 1 and not a["sessions_missing"]
    assert b["sessions_lawful"] == 0 and b["sessions_missing"]
    assert [q["receptions"] for q in b["quarters"]] == [0, 0, 1, 0]
    assert [q["activities"] for q in b["quarters"]] == [1, 0, 0, 0]


def test_last_year_is_chosen_with_the_year_parameter(world, client, data):
    response = page(client, world.county_admin, year=YEAR - 1)
    html = response.content.decode()
    assert kpi(html, "receptions") == "1"
    assert kpi(html, "activities") == "1"
    a = next(r for r in response.context["d"]["table"] if r["township"] == world.town_a)
    # A year that is over: every quarter has ended, and no session at all is short.
    assert [q["receptions_missing"] for q in a["quarters"]] == [False, True, True, True]
    assert a["sessions_missing"]
    assert html.count('class="num missing"') >= 3
    # An odd year is ignored, not an error.
    assert page(client, world.county_admin, year="abc").context["year"] == YEAR


def test_clerk_b_sees_none_of_township_a(world, client, data):
    response = page(client, world.clerk_b)
    html = response.content.decode()
    ctx = response.context["d"]
    assert ctx["is_township"] and ctx["region"] == world.town_b
    assert "甲镇" not in html
    assert kpi(html, "receptions") == "1"
    assert kpi(html, "activities") == "1"
    assert kpi(html, "suggestions") == "1"
    assert [r["township"] for r in ctx["table"]] == [world.town_b]
    assert ctx["tasks"]["suggestions_overdue"] == 0


def test_county_narrows_to_one_township(world, client, data):
    response = page(client, world.county_admin, region=world.town_a)
    html = response.content.decode()
    ctx = response.context["d"]
    assert ctx["is_township"] and ctx["region"] == world.town_a
    assert kpi(html, "receptions") == "3"
    assert kpi(html, "suggestions") == "7"
    # The top-bar switcher lists every township; the dashboard below it names only A.
    assert "乙镇" not in html.split('id="kpis"')[1]
    assert [r["township"] for r in ctx["table"]] == [world.town_a]


def test_township_tasks_and_gaps(world, client, data):
    headline = StandardFactory(region=world.county, name="六有", year=YEAR)
    StandardItemFactory(standard=headline, title="有固定场所")
    StarRatingFactory(station=data["a"]["stations"][0], rule=StarRuleFactory.in_township(world.town_a), year=YEAR)
    ctx = page(client, world.clerk_a).context["d"]
    tasks = ctx["tasks"]
    assert tasks["suggestions_overdue"] == 1
    assert tasks["suggestions_soon"] == 1
    assert [s.due_on for s in tasks["suggestion_rows"]] == [d(10, 1), d(12, 10)]
    assert tasks["issues_overdue"] == 1
    assert tasks["star_drafts"] == 1
    # The room met no voter in the last 90 days (its last reception was in May).
    assert tasks["idle_rooms"] == 1
    assert [(g["room"], g["items"]) for g in ctx["gaps"]] == [(data["a"]["stations"][0], ["有固定场所"])]
    assert "有固定场所" in page(client, world.clerk_a).content.decode()


def test_stars_and_ranking(world, client, data):
    rule = StarRuleFactory(region=world.county, standard=StandardFactory(region=world.county), year=YEAR - 1)
    for stars in (4, 4, 3):
        StarRatingFactory(
            station=StationFactory(region=world.town_a), rule=rule, year=YEAR - 1, stars=stars,
            state=StarRating.State.PUBLISHED,
        )  # fmt: skip
    # A draft of this year is not the latest rated year.
    StarRatingFactory(station=StationFactory(region=world.town_b), rule=rule, year=YEAR)
    published = AssessmentFactory(region=world.county, year=YEAR - 1, state=Assessment.State.PUBLISHED)
    AssessmentFactory(region=world.county, year=YEAR, state=Assessment.State.DRAFT)
    TownshipResultFactory(assessment=published, township=world.town_a, total=91, rank=1)
    TownshipResultFactory(assessment=published, township=world.town_b, total=80, rank=2)
    response = page(client, world.county_admin)
    ctx = response.context["d"]
    assert ctx["stars"]["year"] == YEAR - 1
    assert {lv["stars"]: lv["count"] for lv in ctx["stars"]["levels"]}[4] == 2
    assert ctx["ranking"]["assessment"] == published
    assert [r.township for r in ctx["ranking"]["top"]] == [world.town_a, world.town_b]
    html = response.content.decode()
    assert f"{reverse('assessments:star-rating-list')}?year={YEAR - 1}&amp;stars=4" in html
    # Township B's clerk sees its own result, not A's.
    ctx_b = page(client, world.clerk_b).context["d"]
    assert ctx_b["own_result"].township == world.town_b
    assert [r.township for r in ctx_b["ranking"]["top"]] == [world.town_b]


def test_links_to_the_rows_behind(world, client, data):
    html = page(client, world.county_admin).content.decode()
    expected = [
        f"{reverse('stations:reception-list')}?year={YEAR}",
        f"{reverse('stations:activity-list')}?year={YEAR}&amp;status=confirmed",
        f"{reverse('congress:suggestion-list')}?year={YEAR}",
        f"{reverse('congress:suggestion-list')}?flag=overdue",
        f"{reverse('congress:suggestion-list')}?year={YEAR}&amp;state=assigned",
        f"{reverse('congress:meeting-list')}?year={YEAR}&amp;kind=presidium&amp;township={world.town_a.pk}",
        f"{reverse('stations:reception-list')}?year={YEAR}&amp;township={world.town_b.pk}",
        f"{reverse('stations:issue-list')}?year={YEAR}",
        f"{reverse('assessments:points-ranking')}?year={YEAR}",
    ]
    for link in expected:
        assert f'href="{link}"' in html, link
    assert 'data-chart="chart-trend"' in html and 'id="chart-trend"' in html
    assert 'data-chart="chart-funnel"' in html


def test_points_average(world, client, data):
    rule = PointRuleFactory(region=world.county)
    PointEntryFactory(deputy=data["a"]["lead"], rule=rule, year=YEAR, points=10)
    PointEntryFactory(deputy=data["b"]["lead"], rule=rule, year=YEAR, points=5)
    PointEntryFactory(deputy=data["b"]["lead"], rule=rule, year=YEAR, points=99, capped=True)
    html = page(client, world.county_admin).content.decode()
    assert kpi(html, "points") == "7.5"


def _more_townships(world, n):
    for i in range(n):
        town = RegionFactory.township(world.county, name=f"新增镇{i}")
        fill_township(
            town,
            rooms=2,
            receptions=[d(1, 3), d(7, 9), d(9, 9, 2025)],
            activities=[(d(2, 2), CONFIRMED), (d(10, 2), CONFIRMED)],
            suggestions=[(S.ASSIGNED, d(2, 1), d(5, 1)), (S.ANSWERED, d(2, 1), d(5, 1))],
        )
        s = Suggestion.objects.filter(region=town).first()
        SuggestionAssignment.objects.create(
            suggestion=s, unit=HandlingUnitFactory(region=town), assigned_on=d(2, 2), due_on=d(5, 1)
        )


def _queries(client, user, region=None):
    page(client, user, region)  # warm the caches a first request fills
    with CaptureQueriesContext(connection) as ctx:
        page(client, user, region)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow(world, client, data):
    county_before = _queries(client, world.county_admin)
    township_before = _queries(client, world.clerk_a)
    _more_townships(world, 3)
    fill_township(
        world.town_a, name="甲镇新", rooms=2, receptions=[d(6, 6)] * 3, suggestions=[(S.ASSIGNED, d(1, 1), d(2, 1))] * 3
    )
    assert _queries(client, world.county_admin) == county_before
    assert _queries(client, world.clerk_a) == township_before
    assert page(client, world.county_admin).context["d"]["townships"] == 5


def test_home_panel_links_to_the_dashboard(world, client, data):
    client.force_login(world.county_admin, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(reverse("home")).content.decode()
    assert f'href="{URL}"' in html


def test_trend_leaves_months_to_come_empty():
    import datetime as dt

    from assessments.selectors_dashboard import trend_option

    data = {"months": {2026: [3] * 12, 2025: [2] * 12, 2024: [1] * 12}}
    option = trend_option(data, data, 2026, today=dt.date(2026, 11, 22))
    this_year = option["series"][0]["data"]
    assert this_year[10] == 3 and this_year[11] is None
    assert None not in option["series"][1]["data"]  # last year is complete
    assert None not in trend_option(data, data, 2025, today=dt.date(2026, 11, 22))["series"][0]["data"]
