"""Pages of the suggestions part: the township's list of deputy suggestions with its filters,
drafting and editing (clerk or deputy), the detail page with one form per step the viewer may
take, one POST view per transition, the handling unit's inbox and answer page, the deputy's
own list, the statistics by unit, the Excel ledger, and the user's own notifications.

Rows come through the scoping rule (org.mixins); writes go through services_suggestions."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from deputies.forms import add_service_errors
from deputies.models import Deputy
from deputies.selectors import business_region
from org.audit import audit_event
from org.mixins import (
    RoleRequiredMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    ScopedWriteMixin,
)
from org.models import AuditEntry, HandlingUnit, Notification, user_memberships, user_roles
from org.roles import Role
from org.scoping import CHANGE, can
from org.xlsx import write_sheet

from . import selectors_suggestions as selectors
from . import services_suggestions as services
from .forms_suggestions import (
    AcceptForm,
    AnswerForm,
    AssignForm,
    CloseForm,
    InboxFilterForm,
    KeyForm,
    RateForm,
    RefuseForm,
    StatsFilterForm,
    SubmitForm,
    SuggestionClerkForm,
    SuggestionDeputyForm,
    SuggestionFilterForm,
)
from .models import Suggestion, SuggestionAssignment

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CLERK = (Role.TOWNSHIP_CLERK,)
DRAFTERS = (Role.TOWNSHIP_CLERK, Role.DEPUTY)
VIEWERS = (*BUSINESS, Role.DEPUTY, Role.HANDLING_UNIT)
State = Suggestion.State

# step: (form class, label, URL name). The order is the order of the forms on the page.
STEPS = {
    "submit": (SubmitForm, "提交建议", "congress:suggestion-submit"),
    "accept": (AcceptForm, "立案", "congress:suggestion-accept"),
    "refuse": (RefuseForm, "不予立案", "congress:suggestion-refuse"),
    "assign": (AssignForm, "交办", "congress:suggestion-assign"),
    "rate": (RateForm, "评价办理结果", "congress:suggestion-rate"),
    "close": (CloseForm, "办结", "congress:suggestion-close"),
    "mark_key": (KeyForm, "列为重点督办", "congress:suggestion-key"),
}


def _is_business(user) -> bool:
    return bool(set(BUSINESS) & user_roles(user))


def _unit_ids(user) -> set[int]:
    return {m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT and m.handling_unit_id}


def _form_kwargs(step: str, user, suggestion) -> dict:
    return {"user": user, "suggestion": suggestion} if step == "assign" else {}


# --- the township's list --------------------------------------------------------------------


class SuggestionListView(ScopedListView):
    """代表建议: every suggestion of the township (or of the county being looked at)."""

    model = Suggestion
    allowed_roles = BUSINESS
    template_name = "congress/suggestions/suggestion_list.html"

    def get_queryset(self):
        user, region = self.request.user, self.request.active_region
        units = HandlingUnit.objects.for_user(user).in_region(region).order_by("region__code", "name")
        deputies = []
        raw = self.request.GET.get("deputy") or ""
        if raw.isdigit():
            deputies = list(Deputy.objects.for_user(user).filter(pk=raw))
        self.filter_form = SuggestionFilterForm(self.request.GET or None, units=units, deputies=deputies)
        self.filter_deputy = deputies[0] if deputies else None
        return selectors.suggestion_list(super().get_queryset(), **self.filter_form.values())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = user_roles(self.request.user)
        base = Suggestion.objects.for_user(self.request.user).in_region(self.request.active_region)
        counts = selectors.suggestion_state_counts(base)
        ctx.update(
            filter_form=self.filter_form,
            filter_deputy=self.filter_deputy,
            counts=counts,
            state_counts=[(value, label, counts[value]) for value, label in State.choices],
            can_create=Role.TOWNSHIP_CLERK in roles,
            show_township=Role.COUNTY_ADMIN in roles,
            late=selectors.assign_late(s for s in ctx["object_list"] if s.state == State.ACCEPTED),
        )
        return ctx


# --- drafting -------------------------------------------------------------------------------


class SuggestionFormMixin:
    model = Suggestion
    template_name = "congress/suggestions/suggestion_form.html"
    allowed_roles = DRAFTERS

    def is_clerk(self) -> bool:
        return Role.TOWNSHIP_CLERK in user_roles(self.request.user)

    def get_form_class(self):
        return SuggestionClerkForm if self.is_clerk() else SuggestionDeputyForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.is_clerk():
            kwargs["user"] = self.request.user
        else:
            kwargs["deputy"] = self.deputy
        return kwargs

    @property
    def deputy(self):
        if not hasattr(self, "_deputy"):
            self._deputy = services.own_deputy(self.request.user)
        return self._deputy

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(is_clerk=self.is_clerk(), no_deputy=not self.is_clerk() and self.deputy is None)
        return ctx

    def form_valid(self, form):
        try:
            suggestion = self.perform(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存建议《{suggestion.title}》。")
        return redirect(suggestion.get_absolute_url())


class SuggestionCreateView(SuggestionFormMixin, ScopedCreateView):
    """起草建议. A deputy drafts its own; a clerk drafts one for a deputy of its township.
    ?issue=<id> (clerks) starts from a voter issue and links it."""

    @cached_property
    def issue(self):
        raw = self.request.GET.get("issue") or ""
        if not raw or not self.is_clerk():
            return None
        from stations.models import VoterIssue

        issue = VoterIssue.objects.for_user(self.request.user, CHANGE).filter(pk=raw).first() if raw.isdigit() else None
        if issue is None:
            raise Http404("选民反映问题不存在。")
        return issue

    def get_initial(self):
        initial = super().get_initial()
        if self.issue is not None:
            first_line = self.issue.content.strip().splitlines()[0][:40] if self.issue.content.strip() else ""
            initial.update(content=self.issue.content, title=f"关于{first_line}的建议")
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="起草建议", issue=self.issue, **kwargs)

    def perform(self, d):
        user = self.request.user
        issue = self.issue
        if self.is_clerk():
            lead = d["lead_deputy"]
            co = list(d.get("co_deputies") or [])
            meeting = d.get("meeting")
        else:
            lead, co, meeting = self.deputy, d.get("co_deputies") or [], None
            if lead is None:
                raise PermissionDenied("您的账号尚未关联代表信息，不能提出建议，请联系乡镇人大秘书。")
        region = lead.region
        return services.suggestion_create(
            region=region,
            term=selectors.current_term(region),
            lead_deputy=lead,
            co_deputies=co,
            title=d["title"],
            content=d["content"],
            category=d["category"],
            is_motion=d.get("is_motion", False),
            meeting=meeting,
            user=user,
            voter_issue=issue,
        )


class SuggestionUpdateView(SuggestionFormMixin, ScopedUpdateView):
    """修改建议: a draft (deputy or clerk), or a submitted one before acceptance (clerk)."""

    def get_queryset(self):
        return super().get_queryset().select_related("region", "lead_deputy")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.state not in (State.DRAFT, State.SUBMITTED):
            messages.error(request, f"该建议当前状态为“{self.object.get_state_display()}”，不能修改。")
            return redirect(self.object.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"修改建议：{self.object.title}", **kwargs)

    def perform(self, d):
        clerk = self.is_clerk()
        return services.suggestion_update(
            suggestion=self.object,
            user=self.request.user,
            title=d["title"],
            content=d["content"],
            category=d["category"],
            is_motion=d.get("is_motion", False),
            meeting=d.get("meeting") if clerk else self.object.meeting,
            co_deputies=list(d.get("co_deputies") or []),
            lead_deputy=d.get("lead_deputy") if clerk else None,
        )


# --- the detail page and its steps ----------------------------------------------------------


class SuggestionDetailView(ScopedDetailView):
    """One suggestion: its text and deputies, the units with their answers, the timeline,
    and a form for each step the viewer may take now."""

    model = Suggestion
    allowed_roles = VIEWERS
    template_name = "congress/suggestions/suggestion_detail.html"

    def get_queryset(self):
        return selectors.suggestion_detail(super().get_queryset())

    def step_forms(self, bound=None) -> list[dict]:
        user, suggestion = self.request.user, self.object
        out = []
        for step in services.allowed_steps(suggestion.state):
            if step not in STEPS:
                continue  # answering has its own page
            if not can(user, services.TRANSITIONS[step].action, suggestion):
                continue
            form_class, label, url_name = STEPS[step]
            if bound and bound[0] == step:
                form = bound[1]
            else:
                initial = {"key_leader": suggestion.key_leader} if step == "mark_key" else None
                form = form_class(prefix=step, initial=initial, **_form_kwargs(step, user, suggestion))
            if step == "mark_key" and suggestion.key:
                label = "更换督办领导"
            out.append({"step": step, "form": form, "label": label, "url": reverse(url_name, args=[suggestion.pk])})
        return out

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, suggestion = self.request.user, self.object
        business = _is_business(user)
        own_units = _unit_ids(user)
        answerable = set(
            SuggestionAssignment.objects.for_user(user, services.ANSWER)
            .filter(suggestion=suggestion)
            .values_list("pk", flat=True)
        )
        round_now = services.current_round(suggestion)
        rounds: dict[int, list] = {}
        for a in suggestion.assignments.all():
            # A unit reads its own answers; the township, the county and the deputies all.
            a.answer_visible = business or a.unit_id in own_units or not own_units
            a.can_answer = (
                a.pk in answerable
                and a.round == round_now
                and a.answered_on is None
                and suggestion.state in (State.ASSIGNED, State.REASSIGNED)
            )
            a.overdue = a.answered_on is None and a.round == round_now and suggestion.is_overdue
            rounds.setdefault(a.round, []).append(a)
        ctx.update(
            suggestion=suggestion,
            rounds=sorted(rounds.items()),
            events=list(selectors.suggestion_events(suggestion)),
            step_forms=self.step_forms(kwargs.get("bound")),
            step_error=kwargs.get("step_error"),
            can_edit=self.can_edit(),
            assign_by=services.assign_by(suggestion) if suggestion.state == State.ACCEPTED else None,
            today=timezone.localdate(),
            is_business=business,
        )
        return ctx

    def can_edit(self) -> bool:
        suggestion, user = self.object, self.request.user
        if suggestion.state == State.DRAFT:
            return can(user, CHANGE, suggestion)
        if suggestion.state == State.SUBMITTED:
            return can(user, services.MANAGE, suggestion)
        return False


class SuggestionStepView(SuggestionDetailView):
    """POST one step of the workflow (`step`, a key of STEPS). A refused step re-renders the
    detail page with the reason in Chinese; a step the user may not take is a 403."""

    http_method_names = ["get", "post"]
    step = ""

    def get(self, request, *args, **kwargs):
        # The forms live on the detail page; the row is looked up first, so another
        # township's suggestion is a 404 here too.
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        self.object = suggestion = self.get_object()
        spec = services.TRANSITIONS[self.step]
        form_class, label, _ = STEPS[self.step]
        if suggestion.state not in spec.sources:
            message = f"该建议当前状态为“{suggestion.get_state_display()}”，不能{spec.verb}。"
            return self.render_to_response(self.get_context_data(step_error=message), status=409)
        if not can(request.user, spec.action, suggestion):
            raise PermissionDenied(f"您无权对此建议执行“{spec.verb}”。")
        form = form_class(request.POST, prefix=self.step, **_form_kwargs(self.step, request.user, suggestion))
        if form.is_valid():
            try:
                self.perform(suggestion, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, self.success_message(suggestion))
                return redirect(suggestion.get_absolute_url())
        return self.render_to_response(self.get_context_data(bound=(self.step, form)), status=400)

    def success_message(self, suggestion) -> str:
        suggestion.refresh_from_db()
        return f"已{STEPS[self.step][1]}。当前状态：{suggestion.get_state_display()}。"

    def perform(self, suggestion, d):  # pragma: no cover - each step overrides it
        raise TypeError(f"{type(self).__name__} must define perform(suggestion, data)")


class SuggestionSubmitView(SuggestionStepView):
    step = "submit"

    def perform(self, suggestion, d):
        services.suggestion_submit(suggestion=suggestion, user=self.request.user)


class SuggestionAcceptView(SuggestionStepView):
    step = "accept"

    def perform(self, suggestion, d):
        services.suggestion_accept(suggestion=suggestion, number=d.get("number"), user=self.request.user)


class SuggestionRefuseView(SuggestionStepView):
    step = "refuse"

    def perform(self, suggestion, d):
        services.suggestion_refuse(
            suggestion=suggestion, reason=d["refusal_reason"], note=d.get("refusal_note", ""), user=self.request.user
        )


class SuggestionAssignView(SuggestionStepView):
    step = "assign"

    def perform(self, suggestion, d):
        services.suggestion_assign(
            suggestion=suggestion,
            lead_unit=d["lead_unit"],
            assist_units=list(d.get("assist_units") or []),
            complex=d.get("complex", False),
            assigned_on=d["assigned_on"],
            user=self.request.user,
        )


class SuggestionRateView(SuggestionStepView):
    step = "rate"

    def perform(self, suggestion, d):
        services.suggestion_rate(
            suggestion=suggestion, rating=d["rating"], note=d.get("rating_note", ""), user=self.request.user
        )


class SuggestionCloseView(SuggestionStepView):
    step = "close"

    def perform(self, suggestion, d):
        services.suggestion_close(suggestion=suggestion, note=d.get("note", ""), user=self.request.user)


class SuggestionKeyView(SuggestionStepView):
    step = "mark_key"

    def perform(self, suggestion, d):
        services.suggestion_mark_key(suggestion=suggestion, leader=d["key_leader"], user=self.request.user)


# --- the handling unit ----------------------------------------------------------------------


class UnitSuggestionListView(ScopedListView):
    """待办建议: for a unit's staff the assignments of their unit (the scoping rule gives them
    nothing else); for the township and county every assignment, by unit."""

    model = SuggestionAssignment
    allowed_roles = (Role.HANDLING_UNIT, *BUSINESS)
    template_name = "congress/suggestions/unit_list.html"

    def get_queryset(self):
        self.filter_form = InboxFilterForm(self.request.GET or None)
        return selectors.unit_inbox(super().get_queryset(), **self.filter_form.values())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        base = SuggestionAssignment.objects.for_user(user).in_region(self.request.active_region)
        is_unit = Role.HANDLING_UNIT in user_roles(user) and not _is_business(user)
        ctx.update(
            filter_form=self.filter_form,
            counts=selectors.assignment_counts(base),
            is_unit=is_unit,
            title="待办建议" if is_unit else "建议交办情况",
            today=timezone.localdate(),
        )
        return ctx


class AssignmentAnswerView(ScopedWriteMixin, ScopedDetailView):
    """答复建议: the unit answers its assignment (the clerk may enter a paper answer here
    too). The unit sees the suggestion and its own part; other units only by name."""

    model = SuggestionAssignment
    scope_action = services.ANSWER
    allowed_roles = (Role.HANDLING_UNIT, Role.TOWNSHIP_CLERK)
    template_name = "congress/suggestions/assignment_answer.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("unit", "answered_by", "suggestion", "suggestion__region", "suggestion__lead_deputy")
        )

    def is_open(self) -> bool:
        a = self.object
        s = a.suggestion
        return (
            a.answered_on is None
            and a.round == services.current_round(s)
            and s.state in (State.ASSIGNED, State.REASSIGNED)
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        a = self.object
        s = a.suggestion
        open_ = self.is_open()
        ctx.update(
            assignment=a,
            suggestion=s,
            co_deputies=list(s.co_deputies.all()),
            siblings=list(
                s.assignments.filter(round=a.round).exclude(pk=a.pk).select_related("unit").order_by("role", "pk")
            ),
            earlier=list(s.assignments.filter(unit=a.unit, round__lt=a.round).order_by("round")),
            form=kwargs.get("form") or (AnswerForm(assignment=a) if open_ else None),
            can_answer=open_,
            step_error=kwargs.get("step_error"),
            is_business=_is_business(self.request.user),
            overdue=open_ and a.due_on < timezone.localdate(),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = a = self.get_object()
        if not self.is_open():
            s = a.suggestion
            if a.answered_on is not None:
                message = f"{a.unit.name}已答复此建议，不能重复答复。"
            else:
                message = f"该建议当前状态为“{s.get_state_display()}”，不能答复。"
            return self.render_to_response(self.get_context_data(step_error=message), status=409)
        form = AnswerForm(request.POST, assignment=a)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.suggestion_answer(
                    assignment=a,
                    answer=d["answer"],
                    answer_class=d.get("answer_class") or "",
                    answered_on=d["answered_on"],
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已提交对《{a.suggestion.title}》的答复。")
                if _is_business(request.user):
                    return redirect(a.suggestion.get_absolute_url())
                return redirect("congress:unit-suggestion-list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- the deputy's own -----------------------------------------------------------------------


class MySuggestionListView(RoleRequiredMixin, ListView):
    """我的建议: the suggestions the deputy led or joined."""

    allowed_roles = (Role.DEPUTY,)
    scope_exempt = (
        "the deputy's own suggestions: Suggestion.objects.for_user() narrowed to the user's Deputy "
        "(tests/congress/test_suggestions.py)"
    )
    template_name = "congress/suggestions/my_list.html"
    paginate_by = 20

    def get_queryset(self):
        self.deputy = services.own_deputy(self.request.user)
        if self.deputy is None:
            return Suggestion.objects.none()
        return selectors.suggestions_of_deputy(Suggestion.objects.for_user(self.request.user), self.deputy)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        counts = None
        if self.deputy is not None:
            counts = selectors.deputy_counts(Suggestion.objects.for_user(self.request.user), self.deputy)
        ctx.update(deputy=self.deputy, counts=counts)
        return ctx


# --- statistics and the ledger --------------------------------------------------------------


class SuggestionStatsView(ScopedListView):
    """办理统计: by handling unit for the region and year looked at — assignments, answered,
    on-time rate, A/B/C shares and the deputies' satisfaction — with a chart."""

    model = HandlingUnit
    allowed_roles = BUSINESS
    template_name = "congress/suggestions/stats.html"
    paginate_by = 50
    # County offices work for the townships: the region goes to the selector instead.
    narrow_to_active_region = False

    def get_queryset(self):
        self.filter_form = StatsFilterForm(self.request.GET or None)
        self.year = self.filter_form.chosen_year()
        self.region = business_region(self.request.user, self.request.active_region)
        if self.region is None:
            return HandlingUnit.objects.none()
        return selectors.unit_stats(super().get_queryset(), region=self.region, year=self.year)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = [(unit, selectors.stats_row(unit)) for unit in ctx["object_list"]]
        totals = None
        if self.region is not None:
            totals = selectors.stats_totals(
                SuggestionAssignment.objects.for_user(self.request.user), region=self.region, year=self.year
            )
        charted = [(u, r) for u, r in rows if r["assignments"]][:20]
        chart_option = {
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
            "xAxis": {"type": "category", "data": [u.name for u, _ in charted], "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value", "name": "%", "max": 100},
            "series": [
                {
                    "type": "bar",
                    "name": "按时答复率",
                    "data": [r["on_time_rate"] for _, r in charted],
                    "itemStyle": {"color": "#9b1c1c"},
                },
                {
                    "type": "bar",
                    "name": "满意率",
                    "data": [r["satisfaction_rate"] for _, r in charted],
                    "itemStyle": {"color": "#c9a227"},
                },
            ],
        }
        ctx.update(
            filter_form=self.filter_form,
            year=self.year,
            region=self.region,
            rows=rows,
            totals=totals,
            chart_option=chart_option if charted else None,
        )
        return ctx


class SuggestionLedgerView(RoleRequiredMixin, View):
    """建议办理台账 (Excel): the suggestions of the list's filters, for the region looked at."""

    allowed_roles = BUSINESS
    scope_exempt = (
        "Excel download: rows from Suggestion.objects.for_user() narrowed to the user's region "
        "(tests/congress/test_suggestions.py checks another township's rows are never exported)"
    )

    def get(self, request, *args, **kwargs):
        user, region = request.user, request.active_region
        units = HandlingUnit.objects.for_user(user).in_region(region)
        deputies = []
        raw = request.GET.get("deputy") or ""
        if raw.isdigit():
            deputies = list(Deputy.objects.for_user(user).filter(pk=raw))
        form = SuggestionFilterForm(request.GET or None, units=units, deputies=deputies)
        qs = selectors.suggestion_filter(Suggestion.objects.for_user(user).in_region(region), **form.values())
        scope = region or business_region(user)
        counter = {"rows": 0}

        def rows():
            for row in selectors.ledger_rows(qs):
                counter["rows"] += 1
                yield row

        # FileResponse closes (and so deletes) the temporary file once it is sent.
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
        write_sheet(
            tmp.name,
            title="建议办理台账",
            header=selectors.LEDGER_HEADER,
            rows=rows(),
            widths=selectors.LEDGER_WIDTHS,
        )
        filters = "；".join(f"{k}={v}" for k, v in request.GET.items() if v)
        audit_event(
            AuditEntry.Action.EXPORT,
            note=f"导出建议办理台账（{scope.name if scope else '全部'}）{counter['rows']} 行"
            + (f"；筛选：{filters}" if filters else ""),
            request=request,
        )
        tmp.seek(0)
        name = f"建议办理台账-{scope.name if scope else '全部'}-{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(tmp, as_attachment=True, filename=name)


# --- notifications --------------------------------------------------------------------------

NOTIFICATIONS_EXEMPT = (
    "personal: only request.user's own notifications (a Notification belongs to a user, not a region)"
)


class NotificationListView(RoleRequiredMixin, ListView):
    """通知: the user's own notifications, newest first; POST marks them all read."""

    scope_exempt = NOTIFICATIONS_EXEMPT
    template_name = "congress/suggestions/notification_list.html"
    paginate_by = 20
    http_method_names = ["get", "post"]

    def get_queryset(self):
        qs = Notification.objects.filter(user=self.request.user)
        if self.request.GET.get("unread"):
            qs = qs.filter(read_at__isnull=True)
        return qs.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            unread=Notification.objects.filter(user=self.request.user, read_at__isnull=True).count(),
            only_unread=bool(self.request.GET.get("unread")),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        n = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, f"已将 {n} 条通知标为已读。" if n else "没有未读通知。")
        return redirect("congress:notification-list")


class NotificationReadView(RoleRequiredMixin, View):
    """Mark one of the user's notifications read (POST `pk`), then open its link when asked
    (`open`). Another user's notification is a 404."""

    scope_exempt = NOTIFICATIONS_EXEMPT
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        raw = request.POST.get("pk") or ""
        if not raw.isdigit():
            raise Http404("通知不存在。")
        notification = get_object_or_404(Notification, pk=raw, user=request.user)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        url = notification.url
        if request.POST.get("open") and url and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
            return redirect(url)
        return redirect("congress:notification-list")
