"""Sidebar entries, panels and jobs of the stars part (imported by AssessmentsConfig.ready)."""

import datetime

from django.db.models import Count

from org import menu
from org.batch import aggregate
from org.panels import dashboard_panels
from org.roles import Role
from stations.panels import station_panels

# services_stars registers the star_ratings_compute job.
from . import selectors_stars, services_stars  # noqa: F401


@dashboard_panels.register(
    key="stars",
    title="星级评定",
    template="assessments/stars/panel.html",
    order=50,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _stars_panel(request, region):
    ratings = selectors_stars.ratings_for(request.user, region=region)
    year = datetime.date.today().year
    this_year = ratings.filter(year=year)
    waiting = selectors_stars.waiting_for(request.user, this_year)
    return {
        "year": year,
        "distribution": selectors_stars.star_distribution(this_year),
        "waiting": list(waiting.order_by("station__township__code", "station__name")[:5]),
        "waiting_count": aggregate(waiting, n=Count("pk")),
    }


menu.register(
    section="年度考评",
    title="星级评定",
    url_name="assessments:star-rating-list",
    icon="bi-star",
    roles=menu.BUSINESS,
    order=30,
)


@station_panels.register(key="stars", title="星级评定", template="assessments/stars/station_history.html", order=50)
def _station_stars(request, station):
    return {"history": selectors_stars.station_history(station, request.user)}
