"""Reads for org pages: dashboards, the region switcher, jobs."""

from __future__ import annotations

from django.db.models import Count, Q

from .batch import aggregate
from .models import Job, Region, user_memberships
from .roles import COUNTY_KINDS, TOWNSHIP_KINDS, Role


def switchable_regions(user) -> list[Region]:
    """What a county user can look at: its counties, then their townships (one query)."""
    paths = [m.region.path for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN]
    if not paths:
        return []
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return list(Region.objects.filter(q, kind__in=COUNTY_KINDS + TOWNSHIP_KINDS).order_by("code"))


def home_region(user, active_region=None) -> Region | None:
    """The region a dashboard shows: the picked one, else the user's widest membership."""
    if active_region is not None:
        return active_region
    regions = [
        m.region for m in user_memberships(user) if m.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK, Role.DEPUTY)
    ]
    return min(regions, key=lambda r: r.depth) if regions else None


def region_overview(region: Region) -> dict:
    """Counts of the subtree, in one aggregate query."""
    sub = Region.objects.filter(path__startswith=region.path)
    return aggregate(
        sub,
        townships=Count("pk", filter=Q(kind__in=TOWNSHIP_KINDS)),
        villages=Count("pk", filter=Q(kind__in=("village", "community"))),
    )


def township_table(region: Region):
    """Townships under a county with their village counts (one grouped query)."""
    return (
        Region.objects.filter(path__startswith=region.path, kind__in=TOWNSHIP_KINDS)
        .annotate(village_count=Count("children"))
        .order_by("code")
    )


def recent_jobs(user, limit=5):
    return Job.objects.for_user(user).select_related("region", "requested_by")[:limit]
