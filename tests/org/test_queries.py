"""Query budgets of the busiest pages (DESIGN.md section 9: a constant number of queries
per page, whatever the number of rows).

Each page is asked with enough rows to show an N+1 (30 deputies, 10 jobs, 60 audit lines),
must stay within its budget, and must cost exactly the same after more rows are added.
A later app that adds a dashboard panel raises the home budgets by that panel's own
constant number of queries, never by a number that depends on the rows.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from org.models import AuditEntry
from org.panels import dashboard_panels
from org.roles import Role
from tests.factories import DeputyFactory, JobFactory, MandateFactory, TermFactory

pytestmark = pytest.mark.django_db

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def add_rows(world, n_deputies, n_jobs, n_audit):
    for township in (world.town_a, world.town_b):
        term = TermFactory(region=township)
        for _ in range(n_deputies // 2):
            MandateFactory(deputy=DeputyFactory(region=township), region=township, term=term)
        for _ in range(n_jobs // 2):
            JobFactory(region=township, requested_by=world.clerk_a if township == world.town_a else world.clerk_b)
    AuditEntry.objects.bulk_create(
        AuditEntry(username=f"user{i}", action=AuditEntry.Action.LOGIN, ip="10.0.0.1") for i in range(n_audit)
    )


# (persona, url name, budget): the budget is today's count; raise it only for a constant cost.
PAGES = [
    ("county_admin", "deputies:deputy-list", 12),
    ("clerk_a", "deputies:deputy-list", 11),
    ("county_admin", "org:job-list", 9),
    ("clerk_a", "org:job-list", 8),
    # Home = the page (session read and write, user, memberships, the region picker) plus
    # the panels' lists and grouped tables (deputies by township, meetings 2–3, compliance
    # by township 1, supervision, livelihood, star ratings, assessment 1–2, jobs) and ONE
    # query for every panel's counts together (org.batch). The year dashboard likewise.
    ("county_admin", "home", 19),
    ("clerk_a", "home", 15),
    ("county_admin", "assessments:dashboard", 15),
    ("clerk_a", "assessments:dashboard", 18),
    ("auditor", "org:audit-list", 8),
]


@pytest.mark.parametrize(("persona", "url_name", "budget"), PAGES, ids=[f"{p}-{u}" for p, u, _ in PAGES])
def test_page_query_budget(world, client, django_assert_max_num_queries, persona, url_name, budget):
    add_rows(world, n_deputies=30, n_jobs=10, n_audit=60)
    client.force_login(getattr(world, persona), backend=LOGIN_BACKEND)
    url = reverse(url_name)
    client.get(url)  # the first request after login settles the session
    with django_assert_max_num_queries(budget):
        r = client.get(url)
    assert r.status_code == 200
    with CaptureQueriesContext(connection) as first:
        client.get(url)

    add_rows(world, n_deputies=20, n_jobs=6, n_audit=20)
    with CaptureQueriesContext(connection) as second:
        r = client.get(url)
    assert r.status_code == 200
    assert len(second) == len(first), "the page's queries grow with its rows:\n" + "\n".join(
        q["sql"] for q in second.captured_queries
    )


def test_the_rows_are_on_the_pages(world, client):
    """The budgets above measure full pages, not empty ones."""
    add_rows(world, n_deputies=30, n_jobs=10, n_audit=60)
    client.force_login(world.county_admin, backend=LOGIN_BACKEND)
    roster = client.get(reverse("deputies:deputy-list"))
    assert len(roster.context["object_list"]) == 20 and roster.context["page_obj"].paginator.count == 30
    jobs = client.get(reverse("org:job-list"))
    assert len(jobs.context["object_list"]) == 10
    home = client.get(reverse("home"))
    assert "30" in home.content.decode()  # serving deputies in the county
    client.force_login(world.auditor, backend=LOGIN_BACKEND)
    audit = client.get(reverse("org:audit-list"))
    assert len(audit.context["object_list"]) == 50


@pytest.fixture
def extra_panel():
    """A dashboard panel that needs no query of its own."""

    @dashboard_panels.register(
        key="test_no_query",
        title="测试面板",
        template="org/panels/system.html",
        order=999,
        roles=[Role.COUNTY_ADMIN],
    )
    def panel(request, region):
        return {"users": 1, "regions": 1}

    yield
    dashboard_panels._panels.pop("test_no_query")


def test_a_panel_costs_only_its_own_queries(world, client, extra_panel):
    """Panels render with the request; the top bar's context must not be recomputed for each."""
    client.force_login(world.county_admin, backend=LOGIN_BACKEND)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as with_panel:
        r = client.get(reverse("home"))
    assert "panel-test_no_query" in r.content.decode()
    saved = dashboard_panels._panels.pop("test_no_query")
    try:
        with CaptureQueriesContext(connection) as without_panel:
            client.get(reverse("home"))
    finally:
        dashboard_panels._panels["test_no_query"] = saved
    assert len(with_panel) == len(without_panel)
