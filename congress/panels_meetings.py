"""Sidebar entries and panels of the meetings part (imported by CongressConfig.ready): the
会议 and 会议情况统计 entries, the dashboard's 会议情况 (this year's sessions against the
statutory two, presidium meetings by quarter, the flags) and the duty file's 出席会议."""

from deputies.panels import duty_file_panels
from org import menu
from org.panels import dashboard_panels
from org.roles import Role

from . import compliance_meetings as compliance
from . import selectors_meetings as selectors
from .models import Attendance, Meeting

DUTY_FILE_ROWS = 50
DASHBOARD_ROWS = 40


@dashboard_panels.register(
    key="meetings",
    title="会议情况",
    template="congress/meetings/panels/dashboard.html",
    order=22,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _meetings_panel(request, region):
    if region is None:
        return None
    on = compliance.reference_date()
    rows = compliance.yearly_table(request.user, region, year=on.year, on=on)
    if not rows:
        return None
    return {
        "year": on.year,
        # A county's townships fit on the dashboard; a province's are on the statistics page.
        "rows": rows if len(rows) <= DASHBOARD_ROWS else [],
        "single": rows[0] if len(rows) == 1 and region.is_township else None,
        "totals": compliance.summary(rows),
        "min_sessions": compliance.MIN_SESSIONS,
        "quarters": compliance.QUARTERS,
        "ended": compliance.past_quarters(on.year, on),
    }


@duty_file_panels.register(
    key="attendance", title="出席会议", template="congress/meetings/panels/duty_file.html", order=20
)
def _attendance_panel(request, deputy):
    # Attendance's scoping rule knows regions only; a deputy reading its own duty file sees
    # its own rows (it can open the file, so the rows are its own record).
    if deputy.user_id and deputy.user_id == request.user.pk:
        qs = Attendance.objects.all()
    else:
        qs = Attendance.objects.for_user(request.user)
    # A roll is a record once the meeting is held; before that it is the clerk's plan.
    qs = qs.filter(meeting__state=Meeting.State.HELD)
    return {
        "rows": list(selectors.deputy_attendance(qs, deputy)[:DUTY_FILE_ROWS]),
        "limit": DUTY_FILE_ROWS,
        "counts": selectors.deputy_attendance_counts(qs, deputy),
    }


menu.register(
    section="人大工作",
    title="会议",
    url_name="congress:meeting-list",
    icon="bi-people-fill",
    roles=menu.BUSINESS,
    order=10,
)
menu.register(
    section="人大工作",
    title="会议情况统计",
    url_name="congress:meeting-compliance",
    icon="bi-clipboard-check",
    roles=menu.BUSINESS,
    order=15,
)
