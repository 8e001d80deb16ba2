"""Sidebar entries and panels of the registers part (imported by StationsConfig.ready)."""

from org import menu

menu.register(
    section="两室一平台",
    title="五簿一档",
    url_name="stations:register-index",
    icon="bi-journals",
    roles=menu.BUSINESS,
    order=60,
)
