"""Sidebar entries and panels of the activities part (imported by StationsConfig.ready):
the 代表活动 and 我的活动 entries, the dashboard panel (records waiting for the clerk, this
year's activities by kind) and the duty file's 参加活动."""

from django.utils import timezone

from deputies.panels import duty_file_panels
from org import menu
from org.models import user_roles
from org.panels import dashboard_panels
from org.roles import Role

from . import selectors_activities as selectors
from .models import Activity


@dashboard_panels.register(
    key="activities",
    title="代表活动",
    template="stations/activities/panels/dashboard.html",
    order=36,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _activities_panel(request, region):
    if region is None:
        return None
    qs = Activity.objects.for_user(request.user).in_region(region)
    counts = selectors.activity_counts(qs, year=timezone.localdate().year)
    return {"counts": counts, "is_clerk": Role.TOWNSHIP_CLERK in user_roles(request.user)}


@duty_file_panels.register(
    key="activities", title="参加活动", template="stations/activities/panels/duty_file.html", order=30
)
def _duty_file_panel(request, deputy):
    rows = list(selectors.deputy_activities(deputy=deputy, user=request.user))
    return {"rows": rows}


menu.register(
    section="两室一平台",
    title="代表活动",
    url_name="stations:activity-list",
    icon="bi-calendar-event",
    roles=menu.BUSINESS,
    order=50,
)
menu.register(
    section="代表",
    title="我的活动",
    url_name="stations:my-activity-list",
    icon="bi-calendar-check",
    roles=[Role.DEPUTY],
    order=110,
)
