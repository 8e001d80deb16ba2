"""Sidebar entries and panels of the receptions part (imported by StationsConfig.ready):
接待选民 and 选民反映问题 for the township and county, 待办问题 for a handling unit, their
dashboard panels, and the receptions a deputy took part in on its duty file."""

from deputies.panels import duty_file_panels
from org import menu
from org.batch import LazyList
from org.panels import dashboard_panels
from org.roles import Role

from . import selectors_receptions as selectors
from .models import Reception, VoterIssue

# The duty file lists this many receptions; the yearly counts above it cover all of them.
DUTY_FILE_ROWS = 20

menu.register(
    section="两室一平台",
    title="接待选民",
    url_name="stations:reception-list",
    icon="bi-people-fill",
    roles=menu.BUSINESS,
    order=40,
)
menu.register(
    section="两室一平台",
    title="选民反映问题",
    url_name="stations:issue-list",
    icon="bi-chat-left-text",
    roles=menu.BUSINESS,
    order=45,
)
menu.register(
    section="工作台",
    title="待办问题",
    url_name="stations:unit-issue-list",
    icon="bi-inbox",
    roles=[Role.HANDLING_UNIT],
    order=20,
)


@dashboard_panels.register(
    key="unit_issues",
    title="待办选民反映问题",
    template="stations/receptions/panels/unit_issues.html",
    order=10,
    roles=[Role.HANDLING_UNIT],
)
def _unit_issues_panel(request, region):
    qs = VoterIssue.objects.for_user(request.user).filter(handling_unit_id__in=selectors.unit_ids_of(request.user))
    return {"counts": selectors.issue_state_counts(qs)}


@dashboard_panels.register(
    key="voter_issues",
    title="选民反映问题",
    template="stations/receptions/panels/voter_issues.html",
    order=35,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _voter_issues_panel(request, region):
    if region is None:
        return None
    counts = selectors.issue_state_counts(VoterIssue.objects.for_user(request.user).in_region(region))
    states = LazyList(lambda: [(value, label, counts[value]) for value, label in VoterIssue.State.choices])
    return {"counts": counts, "states": states}


@duty_file_panels.register(
    key="receptions", title="接待选民", template="stations/receptions/panels/duty_file.html", order=50
)
def _duty_file_panel(request, deputy):
    qs = Reception.objects.for_user(request.user)
    return {
        "years": selectors.reception_years_of_deputy(qs, deputy),
        "receptions": list(selectors.receptions_of_deputy(qs, deputy)[:DUTY_FILE_ROWS]),
        "limit": DUTY_FILE_ROWS,
    }
