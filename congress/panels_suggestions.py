"""Sidebar entries and panels of the suggestions part (imported by CongressConfig.ready):
代表建议 and 办理统计 for the township and county, 我的建议 for a deputy, 待办建议 for a
handling unit, 通知 for everyone; the dashboard panels of each role, and the suggestions a
deputy made on its duty file."""

from deputies.panels import duty_file_panels
from org import menu
from org.batch import LazyList
from org.panels import dashboard_panels
from org.roles import Role

from . import selectors_suggestions as selectors
from .models import Suggestion, SuggestionAssignment
from .services_suggestions import own_deputy

# The duty file lists this many suggestions; the counts above it cover all of them.
DUTY_FILE_ROWS = 20

menu.register(
    section="人大工作",
    title="代表建议",
    url_name="congress:suggestion-list",
    icon="bi-lightbulb",
    roles=menu.BUSINESS,
    order=30,
)
menu.register(
    section="人大工作",
    title="办理统计",
    url_name="congress:suggestion-stats",
    icon="bi-bar-chart",
    roles=menu.BUSINESS,
    order=35,
)
menu.register(
    section="代表",
    title="我的建议",
    url_name="congress:my-suggestion-list",
    icon="bi-lightbulb",
    roles=[Role.DEPUTY],
    order=40,
)
menu.register(
    section="工作台",
    title="待办建议",
    url_name="congress:unit-suggestion-list",
    icon="bi-inbox-fill",
    roles=[Role.HANDLING_UNIT],
    order=25,
)
menu.register(
    section="工作台",
    title="通知",
    url_name="congress:notification-list",
    icon="bi-bell",
    roles=menu.ALL,
    order=80,
)


@dashboard_panels.register(
    key="suggestions",
    title="代表建议办理",
    template="congress/suggestions/panels/dashboard.html",
    order=40,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _suggestions_panel(request, region):
    if region is None:
        return None
    counts = selectors.suggestion_state_counts(Suggestion.objects.for_user(request.user).in_region(region))
    states = LazyList(lambda: [(value, label, counts[value]) for value, label in Suggestion.State.choices])
    return {"counts": counts, "states": states}


@dashboard_panels.register(
    key="unit_suggestions",
    title="待办代表建议",
    template="congress/suggestions/panels/unit.html",
    order=11,
    roles=[Role.HANDLING_UNIT],
)
def _unit_panel(request, region):
    qs = SuggestionAssignment.objects.for_user(request.user, "answer")
    return {"counts": selectors.assignment_counts(qs)}


@dashboard_panels.register(
    key="my_suggestions",
    title="我的建议",
    template="congress/suggestions/panels/deputy.html",
    order=15,
    roles=[Role.DEPUTY],
)
def _deputy_panel(request, region):
    deputy = own_deputy(request.user)
    if deputy is None:
        return None
    return {"counts": selectors.deputy_counts(Suggestion.objects.for_user(request.user), deputy)}


@duty_file_panels.register(
    key="suggestions", title="提出建议", template="congress/suggestions/panels/duty_file.html", order=60
)
def _duty_file_panel(request, deputy):
    # A draft is not yet a suggestion made: the duty file counts what was handed in.
    qs = Suggestion.objects.for_user(request.user).exclude(state=Suggestion.State.DRAFT)
    return {
        "counts": selectors.deputy_counts(qs, deputy),
        "suggestions": list(selectors.suggestions_of_deputy(qs, deputy)[:DUTY_FILE_ROWS]),
        "limit": DUTY_FILE_ROWS,
        "deputy": deputy,
    }
