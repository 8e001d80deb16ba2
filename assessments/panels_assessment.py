"""Sidebar entries, panels and jobs of the assessment part (imported by AssessmentsConfig.ready):
目标考核 and 宣传报道 under 年度考评, and the dashboard's 目标考核 (the county: this year's
state and the last published ranking's top five; a township: its total, grade, rank and the
reply deadline)."""

from django.utils import timezone

from org import menu
from org.panels import dashboard_panels
from org.roles import Role

from . import jobs_assessment  # noqa: F401  (registers the job kinds and the beat task)
from . import selectors_assessment as selectors

menu.register(
    section="年度考评",
    title="目标考核",
    url_name="assessments:assessment-list",
    icon="bi-trophy",
    roles=menu.BUSINESS,
    order=40,
)
menu.register(
    section="年度考评",
    title="宣传报道",
    url_name="assessments:publicity-list",
    icon="bi-megaphone",
    roles=menu.BUSINESS,
    order=45,
)


@dashboard_panels.register(
    key="assessment",
    title="目标考核",
    template="assessments/assessment/panels/dashboard.html",
    order=55,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _assessment_panel(request, region):
    if region is None:
        return None
    year = timezone.localdate().year
    if region.is_township:
        ctx = selectors.dashboard_township(request.user, region, year)
        return ctx if ctx["result"] else None
    ctx = selectors.dashboard_county(request.user, region, year)
    if not ctx["current"] and not ctx["published"]:
        return None
    return {**ctx, "year": year}
