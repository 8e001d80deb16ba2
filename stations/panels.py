"""What stations/ adds to the sidebar and the role dashboards."""

from org import menu
from org.panels import PanelRegistry, dashboard_panels
from org.roles import Role

from . import selectors
from .models import Station
from .services import HEADLINE_STANDARD

# What later apps show on a room's page (its star ratings, say): (request, station) -> context.
station_panels = PanelRegistry("station")


@dashboard_panels.register(
    key="stations",
    title="两室一平台",
    template="stations/panels/stations.html",
    order=30,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _stations_panel(request, region):
    if region is None:
        return None
    stations = Station.objects.for_user(request.user).in_region(region)
    return {"counts": selectors.station_counts(stations), "headline": HEADLINE_STANDARD}


menu.register(
    section="两室一平台",
    title="代表之家和联络站",
    url_name="stations:station-list",
    icon="bi-house-door",
    roles=menu.BUSINESS,
    order=10,
)
menu.register(
    section="两室一平台",
    title="建设标准",
    url_name="stations:standard-list",
    icon="bi-list-check",
    roles=menu.BUSINESS,
    order=20,
)
