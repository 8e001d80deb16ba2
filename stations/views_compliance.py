"""The compliance page 合规提醒: the four lists of stations.compliance as tabs with their
counts, for the user's scope narrowed to the region picked in the top bar."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from org.mixins import ScopedListView
from org.models import user_memberships
from org.roles import Role

from . import compliance
from .models import Station

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
TABS = dict(compliance.LISTS)


def issue_url(issue) -> str | None:
    # The issue pages belong to the receptions part; until they exist the row is not a link.
    try:
        return issue.get_absolute_url()
    except NoReverseMatch:
        return None


class ComplianceView(ScopedListView):
    """/stations/compliance/?tab=rooms|standards|issues|deputies"""

    model = Station
    allowed_roles = BUSINESS
    template_name = "stations/compliance/compliance.html"
    paginate_by = 30

    @property
    def tab(self) -> str:
        tab = self.request.GET.get("tab", "")
        return tab if tab in TABS else compliance.LISTS[0][0]

    def get_queryset(self):
        self.on = compliance.reference_date()
        src = compliance.scoped_sources(self.request.user, self.request.active_region)
        tab = self.tab
        if tab == "rooms":
            rooms = compliance.idle_rooms(super().get_queryset(), on=self.on)
            return (
                compliance.with_last_dates(rooms, on=self.on)
                .select_related("region", "township")
                .order_by("township__code", "kind", "region__code", "name")
            )
        if tab == "standards":
            return (
                compliance.failing_rooms(super().get_queryset())
                .select_related("region", "township")
                .order_by("township__code", "kind", "region__code", "name")
            )
        if tab == "issues":
            return compliance.late_issues(src["issues"], on=self.on).select_related(
                "region", "station", "handling_unit"
            )
        return (
            compliance.idle_deputies(src["deputies"], on=self.on)
            .select_related("region")
            .order_by("region__code", "name", "pk")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        tab = self.tab
        counts = compliance.compliance_counts(user, self.request.active_region, on=self.on)
        rows = list(ctx["object_list"])
        if tab == "standards":
            unmet = compliance.unmet_items(rows)
            for room in rows:
                room.unmet = unmet.get(room.pk, [])
        elif tab == "issues":
            for issue in rows:
                issue.link = issue_url(issue)
                if issue.state == issue.State.REFERRED:
                    issue.late_days = (self.on - issue.due_on).days
                else:
                    issue.late_days = (self.on - issue.answered_on).days
        base = reverse("stations:compliance")
        ctx.update(
            tab=tab,
            rows=rows,
            on=self.on,
            counts=counts,
            tabs=[
                {"key": key, "title": title, "count": counts[key], "url": f"{base}?{urlencode({'tab': key})}"}
                for key, title in compliance.LISTS
            ],
            show_township=any(m.role == Role.COUNTY_ADMIN for m in user_memberships(user)),
            idle_days=compliance.IDLE_DAYS,
            feedback_days=compliance.FEEDBACK_DAYS,
            year_start=self.on.replace(month=1, day=1),
        )
        return ctx
