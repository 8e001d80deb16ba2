"""Sidebar entries and panels of the supervision part (imported by CongressConfig.ready):
监督工作 for the township and county, 监督整改 for a supervised unit's staff, the dashboard
panels (this year's items by state and the overdue rectifications; a unit's items awaiting
its report), and the duty file's 参加监督."""

from django.utils import timezone

from deputies.panels import duty_file_panels
from org import menu
from org.panels import dashboard_panels
from org.roles import Role
from org.scoping import scope_q

from . import selectors_supervision as selectors
from .models import SupervisionItem

# The dashboard lists this many overdue rectifications; the count above covers all.
OVERDUE_ROWS = 5
# The duty file lists this many items.
DUTY_FILE_ROWS = 30

menu.register(
    section="人大工作",
    title="监督工作",
    url_name="congress:supervision-list",
    icon="bi-clipboard-check",
    roles=menu.BUSINESS,
    order=20,
)
menu.register(
    section="工作台",
    title="监督整改",
    url_name="congress:unit-supervision-list",
    icon="bi-clipboard2-pulse",
    roles=[Role.HANDLING_UNIT],
    order=25,
)


@dashboard_panels.register(
    key="supervision",
    title="监督工作",
    template="congress/supervision/panels/dashboard.html",
    order=40,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _supervision_panel(request, region):
    if region is None:
        return None
    qs = SupervisionItem.objects.for_user(request.user).in_region(region)
    year = timezone.localdate().year
    overdue = list(selectors.overdue(qs).select_related("region", "unit")[:OVERDUE_ROWS])
    return {"counts": selectors.counts(qs, year=year), "overdue": overdue, "show_township": region.is_county_level}


@dashboard_panels.register(
    key="unit_supervision",
    title="监督整改",
    template="congress/supervision/panels/unit.html",
    order=15,
    roles=[Role.HANDLING_UNIT],
)
def _unit_panel(request, region):
    qs = selectors.unit_items(selectors.visible_items(request.user), request.user)
    waiting = list(qs.filter(state=SupervisionItem.State.OPINION_SENT)[:OVERDUE_ROWS])
    return {"waiting": waiting}


@duty_file_panels.register(
    key="supervision", title="参加监督", template="congress/supervision/panels/duty_file.html", order=70
)
def _duty_file_panel(request, deputy):
    rows = list(selectors.deputy_items(deputy=deputy, user=request.user)[:DUTY_FILE_ROWS])
    business = scope_q(SupervisionItem, request.user) is not None
    return {"rows": rows, "limit": DUTY_FILE_ROWS, "links": business}
