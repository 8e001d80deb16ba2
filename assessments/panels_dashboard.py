"""Sidebar entry and home-page panel of the dashboard part (imported by AssessmentsConfig.ready):
年度工作看板 under 年度考评, and a button to it on the home page."""

from django.urls import NoReverseMatch, reverse

from org import menu
from org.panels import dashboard_panels
from org.roles import Role

menu.register(
    section="年度考评",
    title="年度工作看板",
    url_name="assessments:dashboard",
    icon="bi-speedometer2",
    roles=menu.BUSINESS,
    order=5,
)


@dashboard_panels.register(
    key="year_dashboard",
    title="年度工作看板",
    template="assessments/dashboard/panel.html",
    order=5,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _dashboard_panel(request, region):
    if region is None:
        return None
    try:
        url = reverse("assessments:dashboard")
    except NoReverseMatch:
        return None
    return {"url": url, "region": region}
