"""Pages of the receptions part: 接待选民 (list, record with the matters raised, detail,
edit), the township's voter issue inbox with one form per next step of the workflow, and
the handling unit's inbox and answer page. Rows come through the scoping rule (org.mixins);
writes go through services_receptions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_date

from deputies.forms import add_service_errors
from deputies.privacy import mask_phone
from org.mixins import ScopedCreateView, ScopedDetailView, ScopedListView, ScopedUpdateView, ScopedWriteMixin
from org.models import HandlingUnit, Region, user_roles
from org.roles import Role
from org.scoping import CHANGE, can

from . import selectors_receptions as selectors
from . import services_receptions as services
from .forms_receptions import (
    STEP_FORMS,
    AnswerForm,
    IssueCreateForm,
    IssueFilterForm,
    IssueFormSet,
    MoreIssueFormSet,
    ReceptionFilterForm,
    ReceptionForm,
)
from .models import Activity, Reception, Station, VoterIssue
from .views import _serve

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CLERK = (Role.TOWNSHIP_CLERK,)
ANSWER = "answer"
HIDDEN = "（已隐藏）"


def _mask_voter(issue: VoterIssue, user) -> VoterIssue:
    """Set `shown_phone` / `shown_address`: in full for the township and county, masked for
    everyone else (a handling unit never learns how to reach the voter)."""
    if selectors.may_see_voter(user, issue):
        issue.shown_phone, issue.shown_address = issue.voter_phone, issue.voter_address
    else:
        issue.shown_phone = mask_phone(issue.voter_phone)
        issue.shown_address = HIDDEN if issue.voter_address else ""
    return issue


# --- receptions ---------------------------------------------------------------------------


class ReceptionListView(ScopedListView):
    model = Reception
    allowed_roles = BUSINESS
    template_name = "stations/receptions/reception_list.html"

    def get_queryset(self):
        user, region = self.request.user, self.request.active_region
        townships = Region.objects.townships().for_user(user).in_region(region).order_by("code")
        stations = Station.objects.for_user(user).in_region(region).order_by("township__code", "kind", "name")
        self.filter_form = ReceptionFilterForm(self.request.GET or None, townships=townships, stations=stations)
        return selectors.reception_list(super().get_queryset(), **self.filter_form.values())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = user_roles(self.request.user)
        ctx.update(
            filter_form=self.filter_form,
            can_create=Role.TOWNSHIP_CLERK in roles,
            show_township=Role.COUNTY_ADMIN in roles,
        )
        return ctx


class ReceptionFormMixin:
    """The reception form with the formset of matters raised, saved by one service call."""

    model = Reception
    form_class = ReceptionForm
    template_name = "stations/receptions/reception_form.html"
    allowed_roles = CLERK
    formset_class = IssueFormSet

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        return self.formset_class(data, prefix="issues", form_kwargs={"user": self.request.user})

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.get_formset())
        ctx = super().get_context_data(**kwargs)
        ctx["empty_row"] = ctx["formset"].empty_form
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = self.get_object() if getattr(self, "pk_url_kwarg", None) in kwargs else None
        form, formset = self.get_form(), self.get_formset()
        if form.is_valid() and formset.is_valid():
            try:
                reception = self.perform(form, formset.rows())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已保存“{reception}”的接待记录。")
                return redirect(reception.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, formset=formset))


class ReceptionCreateView(ReceptionFormMixin, ScopedCreateView):
    def get_initial(self):
        """?station=<id>&date=<yyyy-mm-dd>: deputies prefilled from that day's 值日表 (the
        page's script does the same without reloading)."""
        initial = super().get_initial()
        station_id, day = self.request.GET.get("station", ""), parse_date(self.request.GET.get("date") or "")
        if station_id.isdigit():
            station = Station.objects.for_user(self.request.user, CHANGE).filter(pk=station_id).first()
            if station is not None:
                initial["station"] = station
                if day is not None:
                    initial["date"] = day
                    initial["deputies"] = list(selectors.roster_deputies(station, day))
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="登记接待选民", **kwargs)

    def perform(self, form, rows):
        d = form.cleaned_data
        return services.reception_create(
            station=d["station"],
            date=d["date"],
            deputies=d["deputies"],
            voter_count=d["voter_count"],
            summary=d["summary"],
            issues=rows,
            user=self.request.user,
        )


class ReceptionUpdateView(ReceptionFormMixin, ScopedUpdateView):
    formset_class = MoreIssueFormSet

    def get_queryset(self):
        return super().get_queryset().select_related("station", "station__township")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"修改：{self.object}", **kwargs)

    def perform(self, form, rows):
        d = form.cleaned_data
        return services.reception_update(
            reception=self.object,
            date=d["date"],
            deputies=d["deputies"],
            voter_count=d["voter_count"],
            summary=d["summary"],
            new_issues=rows,
            user=self.request.user,
        )


class ReceptionDetailView(ScopedDetailView):
    model = Reception
    allowed_roles = (*BUSINESS, Role.DEPUTY)
    template_name = "stations/receptions/reception_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("station", "station__township", "roster", "recorded_by")
            .prefetch_related("deputies")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        issues = [_mask_voter(i, user) for i in selectors.reception_issues(self.object).select_related("region")]
        ctx.update(
            issues=issues,
            can_write=can(user, CHANGE, self.object),
            is_business=bool(set(BUSINESS) & user_roles(user)),
        )
        return ctx


class ReceptionRosterView(ScopedDetailView):
    """JSON for the reception form's script: the deputies on duty at a room (pk) on ?date=."""

    model = Station
    allowed_roles = CLERK

    def get(self, request, *args, **kwargs):
        station = self.get_object()
        day = parse_date(request.GET.get("date") or "")
        if day is None:
            return JsonResponse({"found": False, "deputies": [], "names": []})
        deputies = list(selectors.roster_deputies(station, day))
        return JsonResponse(
            {"found": bool(deputies), "deputies": [d.pk for d in deputies], "names": [d.name for d in deputies]}
        )


# --- voter issues: the township's inbox ---------------------------------------------------


class IssueListView(ScopedListView):
    """选民反映问题: every issue of the township, from receptions, activities and the public page."""

    model = VoterIssue
    allowed_roles = BUSINESS
    template_name = "stations/receptions/issue_list.html"

    def get_queryset(self):
        user, region = self.request.user, self.request.active_region
        stations = Station.objects.for_user(user).in_region(region).order_by("township__code", "kind", "name")
        units = HandlingUnit.objects.for_user(user).in_region(region).order_by("region__code", "name")
        self.filter_form = IssueFilterForm(self.request.GET or None, stations=stations, units=units)
        return selectors.issue_list(super().get_queryset(), **self.filter_form.values()).order_by("-raised_on", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = user_roles(self.request.user)
        base = VoterIssue.objects.for_user(self.request.user).in_region(self.request.active_region)
        counts = selectors.issue_state_counts(base)
        ctx.update(
            filter_form=self.filter_form,
            counts=counts,
            state_counts=[(value, label, counts[value]) for value, label in VoterIssue.State.choices],
            can_create=Role.TOWNSHIP_CLERK in roles,
            show_township=Role.COUNTY_ADMIN in roles,
        )
        return ctx


class IssueCreateView(ScopedCreateView):
    """A matter raised outside a reception; ?activity=<id> ties it to a deputy activity."""

    model = VoterIssue
    form_class = IssueCreateForm
    allowed_roles = CLERK
    template_name = "stations/receptions/issue_form.html"

    def get_activity(self):
        raw = self.request.GET.get("activity") or ""
        if not raw:
            return None
        activity = None
        if raw.isdigit():
            activity = Activity.objects.for_user(self.request.user, CHANGE).filter(pk=raw).first()
        if activity is None:
            raise Http404("代表活动不存在。")
        return activity

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        initial = {**super().get_initial(), "raised_on": timezone.localdate()}
        self.activity = self.get_activity()
        if self.activity is not None:
            initial.update(
                activity=self.activity,
                source=VoterIssue.Source.ACTIVITY,
                region=self.activity.region,
                station=self.activity.station,
                raised_on=self.activity.date,
            )
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(activity=getattr(self, "activity", None), **kwargs)

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            issue = services.voter_issue_record(
                region=d["region"],
                station=d.get("station"),
                activity=d.get("activity"),
                source=d["source"],
                category=d["category"],
                content=d["content"],
                voter_name=d.get("voter_name", ""),
                voter_phone=d.get("voter_phone", ""),
                voter_address=d.get("voter_address", ""),
                raised_on=d.get("raised_on"),
                photo=d.get("photo"),
                photo_type=getattr(form, "photo_type", ""),
                user=self.request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "已登记选民反映的问题，请选择处理方式。")
        return redirect(issue.get_absolute_url())


class IssueDetailView(ScopedDetailView):
    """One issue, its timeline, and a form for each step the state allows. POST with
    `step` = a key of services_receptions.TRANSITIONS."""

    model = VoterIssue
    allowed_roles = BUSINESS
    template_name = "stations/receptions/issue_detail.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("region", "station", "reception", "activity", "handling_unit", "answered_by", "recorded_by")
        )

    def step_forms(self, bound=None):
        """{step: (form, label)} for the steps open now; `bound` = (step, form) posted."""
        user = self.request.user
        if not can(user, CHANGE, self.object):
            return {}
        out = {}
        for step in services.allowed_steps(self.object.state):
            form_class, label = STEP_FORMS[step]
            if bound and bound[0] == step:
                form = bound[1]
            else:
                kwargs = {"user": user} if step == "refer" else {}
                form = form_class(prefix=step, **kwargs)
            out[step] = (form, label)
        return out

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        issue = _mask_voter(self.object, self.request.user)
        ctx.update(
            events=list(issue.events.select_related("user")),
            step_forms=self.step_forms(kwargs.get("bound")),
            step_error=kwargs.get("step_error"),
            steps=VoterIssue.State.choices,
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = issue = self.get_object()
        if not can(request.user, CHANGE, issue):
            raise PermissionDenied("您无权办理此问题。")
        step = request.POST.get("step", "")
        if step not in STEP_FORMS:
            return self.refuse("请选择办理步骤。")
        form_class, label = STEP_FORMS[step]
        form = form_class(request.POST, prefix=step, **({"user": request.user} if step == "refer" else {}))
        if step not in services.allowed_steps(issue.state):
            return self.refuse(f"该问题当前状态为“{issue.get_state_display()}”，不能{label}。")
        if form.is_valid():
            try:
                self.perform(step, issue, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已{label}。")
                return redirect(issue.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=issue, bound=(step, form)))

    def refuse(self, message):
        return self.render_to_response(self.get_context_data(object=self.object, step_error=message))

    def perform(self, step, issue, d):
        user = self.request.user
        if step == "handle_on_spot":
            return services.voter_issue_handle_on_spot(issue=issue, answer=d["answer"], user=user)
        if step == "refer":
            return services.voter_issue_refer(
                issue=issue, unit=d["handling_unit"], due_on=d["due_on"], note=d["note"], user=user
            )
        if step == "answer":
            return services.voter_issue_answer(issue=issue, answer=d["answer"], on=d["answered_on"], user=user)
        if step == "feed_back":
            return services.voter_issue_feed_back(
                issue=issue, method=d["feedback_method"], on=d["fed_back_on"], note=d["feedback_note"], user=user
            )
        return services.voter_issue_close(issue=issue, note=d["note"], user=user)


class IssuePhotoView(ScopedDetailView):
    model = VoterIssue
    allowed_roles = (*BUSINESS, Role.HANDLING_UNIT)

    def get(self, request, *args, **kwargs):
        issue = self.get_object()
        if not issue.photo:
            messages.info(request, "该问题没有照片。")
            if set(BUSINESS) & user_roles(request.user):
                return redirect(issue.get_absolute_url())
            return redirect("stations:issue-answer", pk=issue.pk)
        name = issue.photo.name.rsplit("/", 1)[-1]
        return _serve(issue.photo, issue.photo_type, name, inline=issue.photo_type.startswith("image/"))


# --- voter issues: the handling unit ------------------------------------------------------


class UnitIssueListView(ScopedListView):
    """待办问题: for a unit's staff the issues referred to their unit (the scoping rule gives
    them nothing else); for the township and county every referred issue, by unit."""

    model = VoterIssue
    allowed_roles = (Role.HANDLING_UNIT, *BUSINESS)
    template_name = "stations/receptions/unit_issue_list.html"

    def get_queryset(self):
        user, region = self.request.user, self.request.active_region
        self.is_unit = Role.HANDLING_UNIT in user_roles(user) and not set(BUSINESS) & user_roles(user)
        units = None if self.is_unit else HandlingUnit.objects.for_user(user).in_region(region)
        self.filter_form = IssueFilterForm(self.request.GET or None, units=units)
        values = self.filter_form.values()
        values.pop("source", None)
        return selectors.unit_inbox(selectors.issue_list(super().get_queryset(), **values))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        for issue in ctx["object_list"]:
            _mask_voter(issue, user)
        ctx.update(
            filter_form=self.filter_form,
            is_unit=self.is_unit,
            title="待办问题" if self.is_unit else "转办问题",
            counts=selectors.issue_state_counts(
                selectors.unit_inbox(VoterIssue.objects.for_user(user).in_region(self.request.active_region))
            ),
        )
        return ctx


class IssueAnswerView(ScopedWriteMixin, ScopedDetailView):
    """The unit answers an issue referred to it (the clerk may enter a paper answer here
    too). The voter's phone and address stay hidden from the unit."""

    model = VoterIssue
    scope_action = ANSWER
    allowed_roles = (Role.HANDLING_UNIT, Role.TOWNSHIP_CLERK)
    template_name = "stations/receptions/issue_answer.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("region", "station", "handling_unit", "answered_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        issue = _mask_voter(self.object, self.request.user)
        open_ = issue.state == VoterIssue.State.REFERRED
        ctx.update(
            form=kwargs.get("form") or (AnswerForm() if open_ else None),
            can_answer=open_,
            step_error=kwargs.get("step_error"),
            is_business=bool(set(BUSINESS) & user_roles(self.request.user)),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = issue = self.get_object()
        form = AnswerForm(request.POST)
        if issue.state != VoterIssue.State.REFERRED:
            message = f"该问题当前状态为“{issue.get_state_display()}”，不能录入办理答复。"
            return self.render_to_response(self.get_context_data(step_error=message))
        if form.is_valid():
            try:
                services.voter_issue_answer(
                    issue=issue,
                    answer=form.cleaned_data["answer"],
                    on=form.cleaned_data["answered_on"],
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "已提交办理答复。")
                return redirect("stations:unit-issue-list")
        return self.render_to_response(self.get_context_data(form=form))
