"""The sidebar: each app registers its entries with the roles that see them, so the base
template never needs editing when an app adds a page."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .roles import Role


@dataclass(frozen=True)
class MenuItem:
    section: str
    title: str
    url_name: str
    icon: str
    roles: tuple[str, ...]
    order: int


_items: list[MenuItem] = []

# Sections in display order.
SECTIONS = ["工作台", "代表", "两室一平台", "人大工作", "年度考评", "系统"]


def register(*, section: str, title: str, url_name: str, icon: str, roles, order: int = 100):
    _items.append(MenuItem(section, title, url_name, icon, tuple(roles), order))


def menu_for(roles: set[str], is_superuser: bool = False, current_path: str = "") -> list[dict]:
    """Sections with their entries for a user with `roles`; the active entry is marked."""
    if is_superuser:
        roles = roles | {Role.SUPERUSER}
    sections: dict[str, list[dict]] = {}
    entries = []
    for item in sorted(_items, key=lambda i: (SECTIONS.index(i.section) if i.section in SECTIONS else 99, i.order)):
        if not set(item.roles) & roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entry = {"title": item.title, "url": url, "icon": item.icon, "active": False}
        sections.setdefault(item.section, []).append(entry)
        entries.append(entry)
    # The deepest entry containing the page is the active one (/deputies/import/ is not 代表名册).
    matching = [
        e for e in entries if current_path == e["url"] or (e["url"] != "/" and current_path.startswith(e["url"]))
    ]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    return [{"title": title, "items": items} for title, items in sections.items()]


ALL = tuple(Role.values)
BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)

register(
    section="工作台",
    title="首页",
    url_name="home",
    icon="bi-speedometer2",
    roles=[r for r in ALL if r != Role.AUDITOR],
    order=1,
)
register(
    section="工作台", title="后台任务", url_name="org:job-list", icon="bi-hourglass-split", roles=BUSINESS, order=90
)
register(
    section="系统",
    title="审计日志",
    url_name="org:audit-list",
    icon="bi-journal-text",
    roles=[Role.AUDITOR, Role.SUPERUSER],
    order=10,
)
register(
    section="系统", title="用户与区划管理", url_name="admin:index", icon="bi-gear", roles=[Role.SUPERUSER], order=20
)
register(section="系统", title="个人信息", url_name="org:profile", icon="bi-person-circle", roles=ALL, order=90)
