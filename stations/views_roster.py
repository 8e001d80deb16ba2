"""Pages of the duty roster 值日表: a room's month (or year) of duty days, generating them,
changing one by hand, the printable PDF, and a deputy's own duty days. Rows come through
the scoping rule (org.mixins): the township clerk writes, county staff read."""

from __future__ import annotations

import contextlib
import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.generic import ListView

from deputies.forms import add_service_errors
from org.audit import audit_event
from org.mixins import (
    RoleRequiredMixin,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedUpdateView,
    ScopedWriteMixin,
    scope_form_fields,
)
from org.models import AuditEntry
from org.roles import Role
from org.scoping import CHANGE, can

from . import pdf_roster, services_roster
from . import selectors_roster as selectors
from .forms_roster import DutyRosterForm, RosterGenerateForm, parse_period
from .models import DutyRoster, Station
from .roster_rules import parse_rule

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


def roster_url(station_id: int, year: int, month: int | None) -> str:
    query = f"?year={year}&month={month}" if month else f"?year={year}"
    return reverse("stations:roster", args=[station_id]) + query


def _neighbours(year: int, month: int | None) -> tuple[tuple[int, int | None], tuple[int, int | None]]:
    if month is None:
        return (year - 1, None), (year + 1, None)
    before = (year - 1, 12) if month == 1 else (year, month - 1)
    after = (year + 1, 1) if month == 12 else (year, month + 1)
    return before, after


def _service_message(exc: ValidationError) -> str:
    return "；".join(exc.messages)


class RosterView(ScopedDetailView):
    """A room's 值日表 for a month (a calendar and a list) or a year (?year= alone)."""

    model = Station
    allowed_roles = BUSINESS
    template_name = "stations/roster/roster.html"

    def get_queryset(self):
        return super().get_queryset().select_related("township", "region")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        station = self.object
        year, month = parse_period(self.request.GET, timezone.localdate())
        start, end = selectors.period(year, month)
        days = list(selectors.station_days(station, start, end))
        for entry in days:
            entry.weekday = selectors.weekday_label(entry.date)
        try:
            rule = parse_rule(station.reception_rule)
            rule_error = ""
        except ValueError as exc:
            rule, rule_error = None, str(exc)
        before, after = _neighbours(year, month)
        can_write = can(self.request.user, CHANGE, station)
        ctx.update(
            year=year,
            month=month,
            label=selectors.period_label(year, month),
            days=days,
            weeks=selectors.month_weeks(year, month, days) if month else [],
            months=selectors.months_of(days) if not month else [],
            rule=rule,
            rule_error=rule_error,
            rule_dates=rule.dates_between(start, end) if rule else [],
            prev_url=roster_url(station.pk, *before),
            next_url=roster_url(station.pk, *after),
            month_url=roster_url(station.pk, year, month or timezone.localdate().month),
            year_url=roster_url(station.pk, year, None),
            pdf_url=reverse("stations:roster-pdf", args=[station.pk])
            + f"?year={year}"
            + (f"&month={month}" if month else ""),
            can_write=can_write,
            generate_form=RosterGenerateForm(
                initial={"year": year, "month": month, "scope": "month" if month else "year", "per_day": 2}
            )
            if can_write
            else None,
            pool_size=len(selectors.duty_pool(station)) if can_write else None,
            weekdays=selectors.WEEKDAYS,
        )
        return ctx


class RosterGenerateView(ScopedWriteMixin, ScopedDetailView):
    """POST: generate the room's duty days for the month shown or its year. GET goes back."""

    model = Station
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        station = self.get_object()
        return redirect(reverse("stations:roster", args=[station.pk]))

    def post(self, request, *args, **kwargs):
        station = self.get_object()
        form = RosterGenerateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "未能生成值日表：" + "；".join(e for errs in form.errors.values() for e in errs))
            year, month = parse_period(request.POST, timezone.localdate())
            return redirect(roster_url(station.pk, year, month))
        year, month = form.period()
        back = roster_url(station.pk, year, form.cleaned_data.get("month") if month is None else month)
        try:
            result = services_roster.duty_roster_generate(
                station=station, year=year, month=month, per_day=form.cleaned_data["per_day"], user=request.user
            )
        except ValidationError as exc:
            messages.error(request, "未能生成值日表：" + _service_message(exc))
            return redirect(back)
        label = selectors.period_label(year, month)
        if not result.created and not result.kept:
            messages.warning(request, f"按接待日“{station.reception_rule}”，{label}没有接待日，未生成值班安排。")
            return redirect(back)
        parts = [f"已生成{label}值日表：新排 {len(result.created)} 天"]
        if result.replaced:
            parts.append(f"替换原自动生成的 {result.replaced} 天")
        if result.kept:
            parts.append(f"保留人工调整或已有接待记录的 {len(result.kept)} 天")
        if result.moved_from:
            dates = "、".join(f"{d.month}月{d.day}日" for d in result.moved_from)
            parts.append(f"{dates}已调整到其他日期，不再重排")
        messages.success(request, "，".join(parts) + "。")
        return redirect(back)


class RosterAddView(ScopedWriteMixin, ScopedDetailView):
    """Add a duty day by hand (an extra reception day)."""

    model = Station
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    template_name = "stations/roster/entry_form.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("township")

    def get_form(self, data=None):
        station = self.object
        initial = {"start_time": None, "end_time": None}
        try:
            rule = parse_rule(station.reception_rule)
            initial.update(start_time=rule.start_time, end_time=rule.end_time)
        except ValueError:
            pass
        day = self.request.GET.get("date", "")
        with contextlib.suppress(ValueError):
            initial["date"] = datetime.date.fromisoformat(day)
        form = DutyRosterForm(data, station=station, instance=DutyRoster(station=station), initial=initial)
        return scope_form_fields(form, self.request.user)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_page(self.get_form())

    def post(self, request, *args, **kwargs):
        self.object = station = self.get_object()
        form = self.get_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services_roster.duty_roster_add(
                    station=station,
                    date=data["date"],
                    deputies=data["deputies"],
                    note=data["note"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已添加{entry.date:%Y-%m-%d}的值班安排。")
                return redirect(entry.get_absolute_url())
        return self.render_page(form)

    def render_page(self, form):
        ctx = self.get_context_data(object=self.object, form=form, title=f"添加值班日：{self.object.name}")
        ctx["station"] = self.object
        ctx["back_url"] = reverse("stations:roster", args=[self.object.pk])
        return render(self.request, self.template_name, ctx)


class RosterEntryUpdateView(ScopedUpdateView):
    """Change one duty day: move it for a holiday, swap deputies, add a note."""

    model = DutyRoster
    form_class = DutyRosterForm
    allowed_roles = BUSINESS
    template_name = "stations/roster/entry_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("station__township")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "station": self.object.station}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            entry = services_roster.duty_roster_update(
                entry=self.object,
                date=data["date"],
                deputies=data["deputies"],
                note=data["note"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                user=self.request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存{entry.date:%Y-%m-%d}的值班安排（已标记为人工调整，重新生成时保留）。")
        return redirect(entry.get_absolute_url())

    def get_context_data(self, **kwargs):
        station = self.object.station
        original = DutyRoster.objects.filter(pk=self.object.pk).values_list("date", flat=True).first()
        return super().get_context_data(
            title=f"调整值班日：{station.name}",
            station=station,
            back_url=roster_url(station.pk, original.year, original.month) if original else "",
            **kwargs,
        )


class RosterEntryDeleteView(ScopedDeleteView):
    model = DutyRoster
    allowed_roles = BUSINESS
    template_name = "stations/roster/confirm_delete.html"

    def get_queryset(self):
        return super().get_queryset().select_related("station")

    def form_valid(self, form):
        entry = self.object
        back = entry.get_absolute_url()
        services_roster.duty_roster_delete(entry=entry, user=self.request.user)
        messages.success(self.request, f"已删除{entry.date:%Y-%m-%d}的值班安排。")
        return redirect(back)

    def get_context_data(self, **kwargs):
        entry = self.object
        return super().get_context_data(
            title="删除值班日",
            station=entry.station,
            what=f"“{entry.station.name}”{entry.date:%Y-%m-%d}（{selectors.weekday_label(entry.date)}）的值班安排",
            generated=entry.generated,
            back_url=entry.get_absolute_url(),
            **kwargs,
        )


class RosterPdfView(ScopedDetailView):
    """The 值日表 of a month (or a year) as an A4 PDF to hang on the room's wall."""

    model = Station
    allowed_roles = BUSINESS

    def get_queryset(self):
        return super().get_queryset().select_related("township", "region")

    def get(self, request, *args, **kwargs):
        station = self.get_object()
        year, month = parse_period(request.GET, timezone.localdate())
        content = pdf_roster.roster_pdf(request, station, year, month)
        label = selectors.period_label(year, month)
        audit_event(AuditEntry.Action.EXPORT, instance=station, note=f"导出{label}值日表（PDF）", request=request)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            False, pdf_roster.roster_filename(station, year, month)
        )
        return response


class MyDutyView(RoleRequiredMixin, ListView):
    """我的值班: a deputy's own duty days at any room, upcoming first, then the past pages."""

    allowed_roles = (Role.DEPUTY,)
    template_name = "stations/roster/my_duty.html"
    paginate_by = 20
    scope_exempt = (
        "a deputy's own duty days: DutyRoster.objects.for_user(user) narrowed to the Deputy linked to the "
        "user (request.user.deputy); tests/stations/test_roster.py checks other deputies' days never show"
    )

    def get_deputy(self):
        return getattr(self.request.user, "deputy", None)

    def get_queryset(self):
        deputy = self.get_deputy()
        if deputy is None:
            self.upcoming = []
            return DutyRoster.objects.none()
        days = selectors.deputy_duty_days(DutyRoster.objects.for_user(self.request.user), deputy)
        self.upcoming, past = selectors.split_upcoming(days, timezone.localdate())
        return past

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        for entry in [*self.upcoming, *ctx["object_list"]]:
            entry.weekday = selectors.weekday_label(entry.date)
        ctx.update(deputy=self.get_deputy(), upcoming=self.upcoming, query="")
        return ctx
