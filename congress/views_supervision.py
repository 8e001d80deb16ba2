"""Pages of the supervision part (监督): the year's list grouped by quarter under the plan's
focus, the plan, an item with its chain as a timeline and one form for the next step, the
step POSTs, the Excel ledger, and the supervised unit's list and page where its staff
submit the rectification report.

Rows come through the scoping rule (org.mixins). The unit's pages add the items of the
user's own unit explicitly (selectors_supervision.visible_items), since SupervisionItem has
no scope_extra_q; writes go through services_supervision, which checks the same again.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse

from deputies.forms import add_service_errors
from org.audit import audit_event
from org.mixins import (
    ScopedCreateView,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    ScopedWriteMixin,
    scope_form_fields,
)
from org.models import AuditEntry, user_roles
from org.roles import Role
from org.scoping import CHANGE, VIEW, can
from org.selectors import home_region
from org.xlsx import write_sheet

from . import selectors_supervision as selectors
from . import services_supervision as services
from .forms_supervision import STEP_FORMS, FilterForm, ItemForm, PlanForm, RectificationForm
from .models import SupervisionItem, SupervisionPlan

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CLERK = (Role.TOWNSHIP_CLERK,)
State = SupervisionItem.State


def _mark(items) -> list:
    """Set `low_rating` (不满意率高) on each item; no query."""
    items = list(items)
    for item in items:
        item.low_rating = services.high_dissatisfaction(
            satisfied=item.satisfied, basically_satisfied=item.basically_satisfied, unsatisfied=item.unsatisfied
        )
    return items


def _townships(request):
    """The townships the clerk may put an item or plan in (narrowed to the one looked at)."""
    towns = selectors.clerk_townships(request.user)
    active = request.active_region
    if active is not None and any(t.pk == active.pk for t in towns):
        towns = [t for t in towns if t.pk == active.pk]
    if not towns:
        raise PermissionDenied("您没有乡镇（街道）的人大秘书角色，不能登记监督工作。")
    return towns


class PlainFormMixin:
    """The base views pass `instance` to a form; these forms are plain and get the row as
    `item`/`plan` instead."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs


# --- the list -------------------------------------------------------------------------------


class SupervisionListView(ScopedListView):
    """监督工作: a year's items grouped by quarter under the plan's quarterly focus. The county
    sees every township and narrows with the region picked in the top bar."""

    model = SupervisionItem
    allowed_roles = BUSINESS
    template_name = "congress/supervision/item_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.scoped = super().get_queryset()
        self.filter_form = FilterForm(self.request.GET or None, years=selectors.year_choices(self.scoped))
        self.filters = self.filter_form.filters()
        return selectors.item_list(self.scoped, **self.filters)

    def single_township(self):
        """The township the page is about, when it is about one."""
        active = self.request.active_region
        if active is not None:
            return active if active.is_township else None
        if Role.COUNTY_ADMIN in user_roles(self.request.user):
            return None
        towns = selectors.clerk_townships(self.request.user)
        return towns[0] if len(towns) == 1 else None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, year = self.request.user, self.filters["year"]
        roles = user_roles(user)
        township = self.single_township()
        # The ledger holds what the page filters, on every page.
        export_query = self.request.GET.copy()
        export_query.pop("page", None)
        export_query["year"] = year
        plans = list(selectors.plans_of_year(user, self.request.active_region, year))
        plan = next((p for p in plans if township is not None and p.region_id == township.pk), None)
        quarters = selectors.plan_quarters(plan, _mark(ctx["object_list"]))
        if self.filters.get("quarter"):
            quarters = [q for q in quarters if q["quarter"] == self.filters["quarter"]]
        elif ctx["is_paginated"] or township is None:
            quarters = [q for q in quarters if q["items"]]
        ctx.update(
            filter_form=self.filter_form,
            year=year,
            quarters=quarters,
            plan=plan,
            plans=plans,
            township=township,
            counts=selectors.counts(self.scoped, year=year),
            can_create=Role.TOWNSHIP_CLERK in roles,
            show_township=township is None,
            export_query=export_query.urlencode(),
        )
        return ctx


class SupervisionExportView(ScopedListView):
    """The year's items of the region looked at as an Excel ledger (监督工作台账)."""

    model = SupervisionItem
    allowed_roles = BUSINESS
    scope_exempt = (
        "an .xlsx download of the scoped list (ScopedListView.get_queryset); the scoping test cannot read "
        "xlsx, so tests/congress/test_supervision.py::test_export_holds_only_rows_in_scope checks it"
    )

    HEADER = [
        "乡镇", "年度", "季度", "监督方式", "监督事项", "被监督单位", "开展日期", "参加代表", "状态",
        "审议意见交办日期", "整改期限", "整改报送日期", "跟踪日期", "满意", "基本满意", "不满意", "提示",
    ]  # fmt: skip
    WIDTHS = [12, 7, 8, 18, 40, 20, 12, 30, 14, 14, 12, 14, 12, 6, 8, 6, 14]

    def get(self, request, *args, **kwargs):
        qs = self.get_queryset()
        form = FilterForm(request.GET or None, years=selectors.year_choices(qs))
        filters = form.filters()
        items = selectors.item_list(qs, **filters)
        region = home_region(request.user, request.active_region)
        name = f"{region.name if region else ''}{filters['year']}年监督工作台账.xlsx"
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
        write_sheet(tmp.name, title="监督工作台账", header=self.HEADER, rows=self.rows(items), widths=self.WIDTHS)
        audit_event(AuditEntry.Action.EXPORT, note=f"导出{name}", request=request)
        tmp.seek(0)
        return FileResponse(tmp, as_attachment=True, filename=name)

    @staticmethod
    def rows(items):
        for item in items.iterator(chunk_size=500):
            flags = []
            if item.is_overdue:
                flags.append("整改超期")
            if services.high_dissatisfaction(
                satisfied=item.satisfied, basically_satisfied=item.basically_satisfied, unsatisfied=item.unsatisfied
            ):
                flags.append(services.HIGH_DISSATISFACTION_LABEL)
            yield [
                item.region.name,
                item.year,
                item.get_quarter_display(),
                item.get_kind_display(),
                item.title,
                item.unit.name if item.unit else "",
                item.date,
                "、".join(d.name for d in item.participants.all()),
                item.get_state_display(),
                item.opinion_sent_on,
                item.rectification_due,
                item.rectified_on,
                item.followed_up_on,
                item.satisfied,
                item.basically_satisfied,
                item.unsatisfied,
                "；".join(flags),
            ]


# --- the plan -------------------------------------------------------------------------------


class PlanCreateView(PlainFormMixin, ScopedCreateView):
    model = SupervisionPlan
    form_class = PlanForm
    allowed_roles = CLERK
    template_name = "congress/supervision/plan_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "townships": _townships(self.request)}

    def get_initial(self):
        initial = super().get_initial()
        year = self.request.GET.get("year", "")
        if year.isdigit():
            initial["year"] = int(year)
        return initial

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            plan = services.supervision_plan_save(
                region=form.township(),
                year=d["year"],
                focus=form.focus(),
                approved_on=d.get("approved_on"),
                note=d.get("note", ""),
                user=self.request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存{plan}。")
        return redirect(plan.get_absolute_url())


class PlanDetailView(ScopedDetailView):
    """The plan with its items per quarter; the township's clerk edits it on the same page."""

    model = SupervisionPlan
    allowed_roles = BUSINESS
    template_name = "congress/supervision/plan_detail.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("region")

    def initial(self, plan):
        return {
            "year": plan.year,
            "approved_on": plan.approved_on,
            "note": plan.note,
            **{f"q{q}_focus": getattr(plan, f"q{q}_focus") for q in range(1, 5)},
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        plan = self.object
        can_write = can(self.request.user, CHANGE, plan)
        form = kwargs.get("form")
        if form is None and can_write:
            form = PlanForm(plan=plan, initial=self.initial(plan))
        quarters = selectors.plan_with_items(plan)
        for quarter in quarters:
            _mark(quarter["items"])
        ctx.update(
            form=form,
            can_write=can_write,
            quarters=quarters,
            counts=selectors.counts(SupervisionItem.objects.filter(region=plan.region_id), year=plan.year),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = plan = self.get_object()
        if not can(request.user, CHANGE, plan):
            raise PermissionDenied("您无权修改此年度监督计划。")
        form = PlanForm(request.POST, plan=plan)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.supervision_plan_save(
                    plan=plan,
                    region=plan.region,
                    year=d["year"],
                    focus=form.focus(),
                    approved_on=d.get("approved_on"),
                    note=d.get("note", ""),
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已保存{plan}。")
                return redirect(plan.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form))


# --- items ----------------------------------------------------------------------------------


class SupervisionCreateView(PlainFormMixin, ScopedCreateView):
    model = SupervisionItem
    form_class = ItemForm
    allowed_roles = CLERK
    template_name = "congress/supervision/item_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "townships": _townships(self.request)}

    def get_initial(self):
        """?year=&quarter= from the list's "add to this quarter" links."""
        initial = super().get_initial()
        for name in ("year", "quarter"):
            value = self.request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="添加监督事项", back_url=reverse("congress:supervision-list"), **kwargs)

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            item = services.supervision_item_create(
                region=form.township(),
                year=d["year"],
                quarter=d["quarter"],
                kind=d["kind"],
                title=d["title"],
                unit=d.get("unit"),
                date=d.get("date"),
                user=self.request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已添加监督事项“{item}”。")
        return redirect(item.get_absolute_url())


class SupervisionUpdateView(PlainFormMixin, ScopedUpdateView):
    model = SupervisionItem
    form_class = ItemForm
    allowed_roles = CLERK
    template_name = "congress/supervision/item_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "unit", "plan")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "item": self.object}

    def get_initial(self):
        item = self.object
        return {
            "year": item.year,
            "quarter": item.quarter,
            "kind": item.kind,
            "title": item.title,
            "unit": item.unit_id,
            "date": item.date,
            "participants": list(item.participants.values_list("pk", flat=True)),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"修改监督事项：{self.object}", back_url=self.object.get_absolute_url(), **kwargs
        )

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            services.supervision_item_update(
                item=self.object,
                year=d["year"],
                quarter=d["quarter"],
                kind=d["kind"],
                title=d["title"],
                unit=d.get("unit"),
                date=d.get("date"),
                participants=d["participants"] if "participants" in form.fields else None,
                user=self.request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存监督事项“{self.object}”。")
        return redirect(self.object.get_absolute_url())


class SupervisionDeleteView(ScopedDeleteView):
    model = SupervisionItem
    allowed_roles = CLERK
    template_name = "congress/supervision/item_confirm_delete.html"

    def form_valid(self, form):
        item = self.object
        try:
            services.supervision_item_delete(item=item, user=self.request.user)
        except ValidationError as exc:
            messages.error(self.request, "；".join(exc.messages))
            return redirect(item.get_absolute_url())
        messages.success(self.request, f"已删除监督事项“{item}”。")
        return redirect("congress:supervision-list")


def timeline(item: SupervisionItem) -> list[dict]:
    """The chain as steps: each with its state, title, date, whether it is done, and the
    current one marked."""
    order = list(State.values)
    reached = order.index(item.state)
    steps = [
        (State.PLANNED, "列入计划", item.created_at.date() if item.created_at else None),
        (State.HELD, "开展监督", item.date if reached >= 1 else None),
        (State.OPINION_SENT, "交办审议意见", item.opinion_sent_on),
        (State.RECTIFIED, "报送整改情况", item.rectified_on),
        (State.CLOSED, "跟踪督办和满意度测评", item.followed_up_on),
    ]
    return [
        {"state": s, "title": t, "date": d, "done": order.index(s) <= reached, "current": order.index(s) == reached}
        for s, t, d in steps
    ]


class SupervisionDetailView(ScopedDetailView):
    """One item: its facts, the chain as a timeline, and the form for the next step (for the
    township's clerk). The step forms post to the step views below."""

    model = SupervisionItem
    allowed_roles = BUSINESS
    template_name = "congress/supervision/item_detail.html"

    def get_queryset(self):
        return selectors.with_list_related(super().get_queryset()).select_related("created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        item = self.object
        user = self.request.user
        can_write = can(user, CHANGE, item)
        step_name, step_form = kwargs.get("step"), kwargs.get("step_form")
        if step_form is None and can_write:
            steps = services.allowed_steps(item.state)
            if steps:
                step_name = steps[0]
                step_form = scope_form_fields(STEP_FORMS[step_name][0](item=item), user)
        _mark([item])
        total = item.satisfied + item.basically_satisfied + item.unsatisfied
        ctx.update(
            can_write=can_write,
            step=step_name,
            step_form=step_form,
            step_label=STEP_FORMS[step_name][1] if step_name else "",
            step_url=reverse(f"congress:supervision-{step_name.replace('_', '-')}", args=[item.pk])
            if step_name
            else "",
            step_error=kwargs.get("step_error"),
            timeline=timeline(item),
            participants=list(item.participants.all()),
            votes_total=total,
            can_delete=can_write and item.state == State.PLANNED,
        )
        return ctx


class SupervisionStepView(ScopedWriteMixin, SupervisionDetailView):
    """POST one step of the chain (`step`, a key of services_supervision.TRANSITIONS). A GET
    goes back to the item; a refused or invalid step shows the item with the error."""

    step = ""
    allowed_roles = CLERK
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        item = self.get_object()
        return redirect(item.get_absolute_url())

    def post(self, request, *args, **kwargs):
        self.object = item = self.get_object()
        form_class, label = STEP_FORMS[self.step]
        form = scope_form_fields(form_class(request.POST, item=item), request.user)
        if self.step not in services.allowed_steps(item.state):
            verb = services.TRANSITIONS[self.step].verb
            message = f"该监督事项当前状态为“{item.get_state_display()}”，不能{verb}。"
            return self.render_to_response(self.get_context_data(step_error=message))
        if form.is_valid():
            try:
                self.perform(item, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已{label}。")
                return redirect(item.get_absolute_url())
        return self.render_to_response(self.get_context_data(step=self.step, step_form=form))

    def perform(self, item, d):  # pragma: no cover - each step view defines it
        raise TypeError(f"{type(self).__name__} must define perform(item, data)")


class SupervisionHoldView(SupervisionStepView):
    step = "hold"

    def perform(self, item, d):
        services.supervision_item_hold(
            item=item, date=d["date"], participants=d["participants"], user=self.request.user
        )


class SupervisionOpinionView(SupervisionStepView):
    step = "opinion"

    def perform(self, item, d):
        services.supervision_opinion_send(
            item=item,
            opinion=d["opinion"],
            sent_on=d["sent_on"],
            rectification_due=d.get("rectification_due"),
            user=self.request.user,
        )


class SupervisionRectificationView(SupervisionStepView):
    """The clerk records a unit's paper report (the unit's staff use unit-supervision-detail)."""

    step = "rectification"

    def perform(self, item, d):
        services.supervision_rectification_record(item=item, report=d["report"], on=d["on"], user=self.request.user)


class SupervisionFollowUpView(SupervisionStepView):
    step = "follow_up"

    def perform(self, item, d):
        services.supervision_follow_up(
            item=item,
            text=d["text"],
            on=d["on"],
            satisfied=d["satisfied"],
            basically_satisfied=d["basically_satisfied"],
            unsatisfied=d["unsatisfied"],
            user=self.request.user,
        )


# --- the supervised unit --------------------------------------------------------------------


class UnitItemsMixin:
    """Items the user may see by the scoping rule, plus those supervising its own unit."""

    def get_queryset(self):
        qs = selectors.visible_items(self.request.user, VIEW)
        if self.narrow_to_active_region:
            qs = qs.in_region(self.request.active_region)
        return qs

    def is_unit(self) -> bool:
        roles = user_roles(self.request.user)
        return Role.HANDLING_UNIT in roles and not set(BUSINESS) & roles


class UnitSupervisionListView(UnitItemsMixin, ScopedListView):
    """监督整改: for a unit's staff the items supervising their unit, those awaiting its
    rectification report first; for the township and county every item with a unit."""

    model = SupervisionItem
    allowed_roles = (Role.HANDLING_UNIT, *BUSINESS)
    template_name = "congress/supervision/unit_list.html"

    def get_queryset(self):
        qs = super().get_queryset()
        if self.is_unit():
            return selectors.unit_items(qs, self.request.user)
        return selectors.with_list_related(qs.filter(unit__isnull=False)).order_by(
            "-year", "unit__name", "quarter", "pk"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        _mark(ctx["object_list"])
        is_unit = self.is_unit()
        ctx.update(
            is_unit=is_unit,
            title="监督整改" if is_unit else "被监督单位整改情况",
            waiting=selectors.unit_items(super().get_queryset(), self.request.user)
            .filter(state=State.OPINION_SENT)
            .count()
            if is_unit
            else None,
        )
        return ctx


class UnitSupervisionDetailView(UnitItemsMixin, ScopedDetailView):
    """The unit's page of one item: the review opinions and due date, and the form for its
    rectification report while one is awaited. Another unit's item is a 404."""

    model = SupervisionItem
    allowed_roles = (Role.HANDLING_UNIT, *BUSINESS)
    template_name = "congress/supervision/unit_detail.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return selectors.with_list_related(super().get_queryset())

    def may_submit(self, item) -> bool:
        return services.is_unit_staff(self.request.user, item) or can(self.request.user, CHANGE, item)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        item = self.object
        open_ = item.state == State.OPINION_SENT and self.may_submit(item)
        _mark([item])
        ctx.update(
            form=kwargs.get("form") or (RectificationForm(item=item) if open_ else None),
            can_submit=open_,
            step_error=kwargs.get("step_error"),
            is_unit=self.is_unit(),
            participants=list(item.participants.all()),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = item = self.get_object()
        if not self.may_submit(item):
            raise PermissionDenied("您无权报送此监督事项的整改情况。")
        if item.state != State.OPINION_SENT:
            message = f"该监督事项当前状态为“{item.get_state_display()}”，不能报送整改情况。"
            return self.render_to_response(self.get_context_data(step_error=message))
        form = RectificationForm(request.POST, item=item)
        if form.is_valid():
            try:
                services.supervision_rectification_record(
                    item=item, report=form.cleaned_data["report"], on=form.cleaned_data["on"], user=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "已报送整改情况。")
                return redirect("congress:unit-supervision-list")
        return self.render_to_response(self.get_context_data(form=form))
