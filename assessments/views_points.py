"""Pages of duty points 履职积分: the county's rules, rankings, the minimums check, the
points job, and a deputy's own points. Rows come through the scoping rule (org.mixins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from deputies.models import Deputy, Mandate
from deputies.selectors import business_region
from org.forms import add_service_errors
from org.jobs import JobError, job_create
from org.mixins import RoleRequiredMixin, ScopedCreateView, ScopedDeleteView, ScopedListView, ScopedUpdateView
from org.models import Region, user_memberships
from org.roles import COUNTY_KINDS, Role

from . import selectors_points as selectors
from .forms_points import PointRuleForm, PointsFilterForm
from .models import PointEntry, PointRule
from .services_points import point_rule_delete, point_rule_save, point_rules_preload

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


def _admin_counties(user) -> list[Region]:
    return [m.region for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN and m.region.kind in COUNTY_KINDS]


def _this_year() -> int:
    return timezone.localdate().year


# --- rules ------------------------------------------------------------------------------


class PointRuleListView(ScopedListView):
    model = PointRule
    allowed_roles = BUSINESS
    template_name = "assessments/points/rule_list.html"
    paginate_by = 50
    # County rules sit above the township picked in the top bar: never narrowed away.
    narrow_to_active_region = False

    def get_queryset(self):
        return super().get_queryset().select_related("region").order_by("region__code", "event", "-valid_from", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year = _this_year()
        for rule in ctx["object_list"]:
            rule.label = selectors.rule_label(rule)
            rule.in_force = rule.valid_from <= year and (rule.valid_to is None or rule.valid_to >= year)
        ctx.update(counties=_admin_counties(self.request.user), this_year=year)
        return ctx


class PointRuleFormMixin:
    form_class = PointRuleForm
    success_url = reverse_lazy("assessments:point-rule-list")

    def form_valid(self, form):
        try:
            self.object = self.save_rule(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存积分规则“{selectors.rule_label(self.object)}”。重新计算积分后生效。")
        return redirect(self.success_url)


class PointRuleCreateView(PointRuleFormMixin, ScopedCreateView):
    model = PointRule
    allowed_roles = (Role.COUNTY_ADMIN,)
    template_name = "assessments/points/rule_form.html"

    def county(self):
        counties = _admin_counties(self.request.user)
        active = self.request.active_region
        if active is not None and active in counties:
            return active
        return counties[0] if counties else None

    def get_initial(self):
        return {"valid_from": _this_year()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"county": self.county()}

    def save_rule(self, form):
        return point_rule_save(user=self.request.user, county=self.county(), **form.service_kwargs())


class PointRuleUpdateView(PointRuleFormMixin, ScopedUpdateView):
    model = PointRule
    # A clerk may open it to be told 403 (it reads the rule); only county staff write.
    allowed_roles = BUSINESS
    template_name = "assessments/points/rule_form.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"county": self.object.region}

    def save_rule(self, form):
        # The form has written its values onto self.object; the service checks them again.
        rule = PointRule.objects.get(pk=self.object.pk)
        return point_rule_save(user=self.request.user, rule=rule, **form.service_kwargs())


class PointRuleDeleteView(ScopedDeleteView):
    model = PointRule
    allowed_roles = BUSINESS
    template_name = "assessments/points/rule_confirm_delete.html"
    success_url = reverse_lazy("assessments:point-rule-list")

    def form_valid(self, form):
        rule = self.object
        label = selectors.rule_label(rule)
        try:
            point_rule_delete(user=self.request.user, rule=rule)
        except ValidationError as exc:
            raise PermissionDenied("；".join(exc.messages)) from None
        messages.success(self.request, f"已删除积分规则“{label}”。")
        return redirect(self.success_url)


class PointRulePreloadView(RoleRequiredMixin, View):
    """County admin: load the default rules into a county from a year on."""

    allowed_roles = (Role.COUNTY_ADMIN,)
    http_method_names = ["post"]
    scope_exempt = "POST-only; the county must be one of the user's county_admin memberships (tests/assessments)"

    def post(self, request):
        counties = {str(c.pk): c for c in _admin_counties(request.user)}
        county = counties.get(request.POST.get("county") or "")
        if county is None:
            if len(counties) != 1 or request.POST.get("county"):
                raise PermissionDenied("您无权为该区划加载积分规则。")
            county = next(iter(counties.values()))
        try:
            year = int(request.POST.get("year") or _this_year())
        except ValueError:
            year = _this_year()
        created = point_rules_preload(county=county, year=year)
        if created:
            messages.success(request, f"已为{county.name}加载{len(created)}条默认积分规则（{year}年起）。")
        else:
            messages.info(request, f"{county.name}{year}年的各积分事项都已有规则，未作改动。")
        return redirect("assessments:point-rule-list")


# --- ranking, minimums, the job ---------------------------------------------------------------


class PointsRegionMixin(RoleRequiredMixin):
    """The region looked at (top bar, or a township picked in the filter) and the year."""

    allowed_roles = BUSINESS

    def setup_filter(self):
        user = self.request.user
        self.base_region = business_region(user, self.request.active_region)
        townships = Region.objects.townships().for_user(user).in_region(self.base_region).order_by("code")
        self.filter_form = PointsFilterForm(self.request.GET or None, townships=townships)
        self.year = self.filter_form.chosen_year()
        self.region = self.filter_form.chosen_township() or self.base_region
        self.show_township = len(townships) > 1

    def region_context(self) -> dict:
        return {
            "filter_form": self.filter_form,
            "year": self.year,
            "region": self.region,
            "show_township": self.show_township,
        }


class PointsRankingView(PointsRegionMixin, ListView):
    template_name = "assessments/points/ranking.html"
    paginate_by = 50
    scope_exempt = (
        "ranking over Deputy.objects.for_user(user) narrowed to the region looked at; "
        "tests/assessments/test_points.py checks township B sees none of township A"
    )

    def get_queryset(self):
        self.setup_filter()
        if self.region is None:
            return Deputy.objects.none()
        deputies = Deputy.objects.for_user(self.request.user).in_region(self.region)
        self.deputies = deputies
        return selectors.ranking(deputies, self.year)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        computed = None
        if self.region is not None:
            computed = (
                PointEntry.objects.for_user(self.request.user)
                .in_region(self.region)
                .filter(year=self.year)
                .aggregate(at=Max("computed_at"))["at"]
            )
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(self.region_context(), computed_at=computed, query=query.urlencode())
        ctx["county_wide"] = self.region is not None and self.region.is_county_level
        return ctx


class PointsMinimumsView(PointsRegionMixin, ListView):
    template_name = "assessments/points/minimums.html"
    paginate_by = 50
    scope_exempt = (
        "serving mandates from Mandate.objects.for_user(user) narrowed to the region looked at; "
        "tests/assessments/test_points.py checks township B sees none of township A"
    )

    def get_queryset(self):
        self.setup_filter()
        if self.region is None:
            return Mandate.objects.none()
        mandates = Mandate.objects.for_user(self.request.user).in_region(self.region)
        return selectors.short_of_minimums(mandates, self.year)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        for row in ctx["object_list"]:
            row.missing = selectors.missing_of(row)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(self.region_context(), minimums=selectors.MINIMUMS, query=query.urlencode())
        return ctx


class PointsComputeView(RoleRequiredMixin, View):
    """Start the points job for a region the user may see (its own township or county)."""

    allowed_roles = BUSINESS
    http_method_names = ["post"]
    scope_exempt = "POST-only; the region comes from Region.objects.for_user and job_create re-checks scope"

    def post(self, request):
        user = request.user
        region = None
        if request.POST.get("region"):
            region = Region.objects.for_user(user).filter(pk=request.POST["region"]).first()
            if region is None:
                raise Http404("没有找到该区划。")
        region = region or business_region(user, request.active_region)
        if region is None:
            raise PermissionDenied("您没有可计算积分的区划。")
        try:
            year = int(request.POST.get("year") or _this_year())
        except ValueError:
            year = _this_year()
        try:
            job = job_create(kind="points_compute", region=region, user=user, params={"year": year})
        except JobError as exc:
            messages.error(request, str(exc))
            return redirect(reverse("assessments:points-ranking"))
        messages.success(request, f"已提交{region.name}{year}年履职积分计算任务，完成后排名自动更新。")
        return redirect("org:job-detail", pk=job.pk)


# --- a deputy's own points ------------------------------------------------------------------


class MyPointsView(RoleRequiredMixin, TemplateView):
    allowed_roles = (Role.DEPUTY,)
    template_name = "assessments/points/my_points.html"
    scope_exempt = "a deputy's own entries: PointEntry.objects.for_user(user) filtered to deputy__user=user"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        deputy = selectors.deputy_of(self.request.user)
        if deputy is None:
            raise Http404("您的账号尚未关联代表信息，请联系乡镇人大秘书。")
        form = PointsFilterForm(self.request.GET or None)
        year = form.chosen_year()
        entries = PointEntry.objects.for_user(self.request.user).filter(deputy__user=self.request.user)
        rows = list(selectors.deputy_entries(entries, deputy, year))
        ctx.update(
            deputy=deputy,
            year=year,
            filter_form=form,
            rows=rows,
            total=sum((e.points for e in rows if not e.capped), start=0),
        )
        return ctx
