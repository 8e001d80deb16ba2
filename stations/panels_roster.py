"""Sidebar entries and panels of the roster part (imported by StationsConfig.ready)."""

from django.utils import timezone

from deputies.panels import duty_file_panels
from org import menu
from org.roles import Role

from . import selectors_roster as selectors
from .models import DutyRoster

# The duty file lists this many duty days at most (newest first); the rest are counted.
DUTY_FILE_LIMIT = 60

menu.register(
    section="代表",
    title="我的值班",
    url_name="stations:my-duty",
    icon="bi-calendar-week",
    roles=[Role.DEPUTY],
    order=50,
)


@duty_file_panels.register(key="duty_days", title="值班接待", template="stations/roster/panel_duty_days.html", order=40)
def _duty_days_panel(request, deputy):
    days = selectors.deputy_duty_days(DutyRoster.objects.for_user(request.user), deputy)
    today = timezone.localdate()
    shown = list(days[:DUTY_FILE_LIMIT])
    for entry in shown:
        entry.weekday = selectors.weekday_label(entry.date)
        entry.others = [d for d in entry.deputies.all() if d.pk != deputy.pk]
    return {
        "days": shown,
        "total": days.count() if len(shown) == DUTY_FILE_LIMIT else len(shown),
        "upcoming": sum(1 for e in shown if e.date >= today),
        "today": today,
    }
