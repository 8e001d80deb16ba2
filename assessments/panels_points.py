"""Sidebar entries, panels and jobs of the points part (imported by AssessmentsConfig.ready)."""

from django.utils import timezone

from deputies.panels import duty_file_panels
from org import menu
from org.roles import Role

from . import jobs_points  # noqa: F401  (registers the points job and its nightly task)
from . import selectors_points as selectors
from .models import PointEntry

DUTY_FILE_ROWS = 100

menu.register(
    section="年度考评",
    title="履职积分排名",
    url_name="assessments:points-ranking",
    icon="bi-trophy",
    roles=menu.BUSINESS,
    order=10,
)
menu.register(
    section="年度考评",
    title="积分规则",
    url_name="assessments:point-rule-list",
    icon="bi-sliders",
    roles=menu.BUSINESS,
    order=15,
)
menu.register(
    section="年度考评",
    title="履职底线检查",
    url_name="assessments:points-minimums",
    icon="bi-exclamation-diamond",
    roles=menu.BUSINESS,
    order=20,
)
menu.register(section="代表", title="我的积分", url_name="assessments:my-points", icon="bi-star", roles=[Role.DEPUTY])


@duty_file_panels.register(
    key="points", title="履职积分", template="assessments/points/panels/duty_file.html", order=90
)
def _points_panel(request, deputy):
    year = timezone.localdate().year
    # PointEntry's scoping rule lets a deputy read its own lines and clerks their townships'.
    entries = PointEntry.objects.for_user(request.user)
    rows = list(selectors.deputy_entries(entries, deputy, year)[: DUTY_FILE_ROWS + 1])
    return {
        "year": year,
        "rows": rows[:DUTY_FILE_ROWS],
        "more": len(rows) > DUTY_FILE_ROWS,
        "total": selectors.entries_total_row(entries.filter(deputy=deputy, year=year)),
    }
