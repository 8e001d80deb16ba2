"""What deputies/ shows on the role dashboards, and the duty file's panel registry that
later apps (stations, congress, assessments) fill."""

from org import menu
from org.panels import PanelRegistry, dashboard_panels
from org.roles import Role

from . import selectors

duty_file_panels = PanelRegistry("duty_file")


@dashboard_panels.register(
    key="deputy_structure",
    title="代表情况",
    template="deputies/panels/structure.html",
    order=20,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _structure_panel(request, region):
    if region is None:
        return None
    counts = selectors.serving_counts(region)
    by_township = selectors.serving_by_township(region) if region.is_county_level else []
    names = [r["region__name"] for r in by_township]
    chart_option = {
        "tooltip": {},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 40, "interval": 0}},
        "yAxis": {"type": "value", "name": "人"},
        "series": [
            {
                "type": "bar",
                "name": "在任代表",
                "data": [r["n"] for r in by_township],
                "itemStyle": {"color": "#9b1c1c"},
            }
        ],
    }
    return {"counts": counts, "chart": {"names": names}, "chart_option": chart_option}


@dashboard_panels.register(
    key="my_duty_file", title="我的履职", template="deputies/panels/my_duty_file.html", order=10, roles=[Role.DEPUTY]
)
def _my_panel(request, region):
    deputy = getattr(request.user, "deputy", None)
    if deputy is None:
        return {"deputy": None}
    return {"deputy": deputy, "mandates": deputy.mandates.select_related("term", "region")}


menu.register(
    section="代表", title="代表名册", url_name="deputies:deputy-list", icon="bi-people", roles=menu.BUSINESS, order=10
)
menu.register(
    section="代表",
    title="我的履职档案",
    url_name="deputies:my-duty-file",
    icon="bi-journal-bookmark",
    roles=[Role.DEPUTY],
)
# Entries of pages deputies/ offers; an entry whose URL is not (yet) defined is left out.
menu.register(
    section="代表", title="代表结构", url_name="deputies:structure", icon="bi-pie-chart", roles=menu.BUSINESS, order=20
)
menu.register(
    section="代表", title="代表小组", url_name="deputies:group-list", icon="bi-diagram-3", roles=menu.BUSINESS, order=30
)
menu.register(
    section="代表",
    title="导入代表信息",
    url_name="deputies:import-upload",
    icon="bi-upload",
    roles=[Role.TOWNSHIP_CLERK],
    order=40,
)
