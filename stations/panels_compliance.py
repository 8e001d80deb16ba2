"""Sidebar entries and panels of the compliance part (imported by StationsConfig.ready)."""

from org import menu
from org.panels import dashboard_panels
from org.roles import Role

from . import compliance
from .services import HEADLINE_STANDARD


@dashboard_panels.register(
    key="compliance",
    title="待整改事项",
    template="stations/compliance/panel.html",
    order=25,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _compliance_panel(request, region):
    if region is None:
        return None
    on = compliance.reference_date()
    by_township = compliance.counts_by_township(request.user, region, on=on) if region.is_county_level else []
    return {
        "counts": compliance.compliance_counts(request.user, region, on=on),
        "by_township": by_township,
        "headline": HEADLINE_STANDARD,
        "idle_days": compliance.IDLE_DAYS,
    }


menu.register(
    section="两室一平台",
    title="合规提醒",
    url_name="stations:compliance",
    icon="bi-exclamation-triangle",
    roles=menu.BUSINESS,
    order=70,
)
