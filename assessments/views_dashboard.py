"""The year's work dashboard 年度工作看板: the county's (or one township's) numbers of the year,
each a link to the list behind it. The region is the one picked in the top bar (a county
user) or the clerk's township."""

from __future__ import annotations

from django.views.generic import TemplateView

from org.mixins import RoleRequiredMixin
from org.roles import Role
from org.selectors import home_region

from . import selectors_dashboard as selectors

YEARS_BACK = 5


def chosen_year(raw: str, this_year: int) -> int:
    """?year=, or this year when missing or out of range (an odd value is ignored, not an error)."""
    if raw and raw.isdigit() and this_year - YEARS_BACK < int(raw) <= this_year:
        return int(raw)
    return this_year


class DashboardView(RoleRequiredMixin, TemplateView):
    """/assessments/dashboard/?year="""

    template_name = "assessments/dashboard/dashboard.html"
    allowed_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
    scope_exempt = (
        "a page of aggregates, no row list: every figure is read through for_user + in_region in "
        "assessments.selectors_dashboard (tests/assessments/test_dashboard.py)"
    )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        on = selectors.reference_date()
        year = chosen_year(self.request.GET.get("year", ""), on.year)
        region = home_region(self.request.user, self.request.active_region)
        if region is not None and not (region.is_township or region.is_county_level):
            region = region.township()
        ctx.update(region=region, year=year, years=range(on.year, on.year - YEARS_BACK, -1))
        if region is None:
            return ctx
        data = selectors.dashboard(self.request.user, region, year=year, on=on)
        ctx.update(
            d=data,
            trend_option=selectors.trend_option(data["receptions"], data["activities"], year),
            stars_option=selectors.stars_option(data["stars"]) if data["stars"]["year"] else None,
            funnel_option=selectors.funnel_option(data["suggestions"]["funnel"]),
        )
        return ctx
