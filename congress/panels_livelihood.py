"""Sidebar entries and panels of the livelihood part (imported by CongressConfig.ready):
民生实事票决 in the sidebar, and this year's adopted projects with their progress on the
township and county dashboards."""

from django.utils import timezone

from org import menu
from org.panels import dashboard_panels
from org.roles import Role

from . import selectors_livelihood as selectors
from .models import LivelihoodProject

# The dashboard lists this many adopted projects; the counts above them cover all.
PANEL_ROWS = 10

menu.register(
    section="人大工作",
    title="民生实事票决",
    url_name="congress:livelihood-list",
    icon="bi-check2-square",
    roles=menu.BUSINESS,
    order=40,
)


@dashboard_panels.register(
    key="livelihood",
    title="民生实事项目",
    template="congress/livelihood/panels/dashboard.html",
    order=45,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _livelihood_panel(request, region):
    if region is None:
        return None
    year = timezone.localdate().year
    qs = LivelihoodProject.objects.for_user(request.user).in_region(region)
    adopted = selectors.adopted_of_year(qs, year=year)
    return {
        "year": year,
        "counts": selectors.stage_counts(qs.filter(year=year)),
        "projects": list(adopted[:PANEL_ROWS]),
        "limit": PANEL_ROWS,
        "show_township": not region.is_township,
    }
