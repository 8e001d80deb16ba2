"""Pages of the deputies registry: roster, duty file, deputy and mandate actions, voter
contacts, deputy groups and the structure analysis. Views are thin: rows come through the
scoping rule (org.mixins), writes go through deputies.services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.utils import flatatt
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views import View
from django.views.generic import FormView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from org.audit import audit_event
from org.mixins import (
    RoleRequiredMixin,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedListView,
    ScopedQuerysetMixin,
    ScopedUpdateView,
    ScopedWriteMixin,
    scope_form_fields,
)
from org.models import AuditEntry, chinese_numeral, user_memberships
from org.roles import Role

from . import selectors, services
from .filters import DeputyFilterForm
from .forms import (
    END_FORMS,
    ByElectionForm,
    DeputyCreateForm,
    DeputyGroupForm,
    DeputyUpdateForm,
    MandateUpdateForm,
    VoterContactForm,
    add_service_errors,
)
from .models import Deputy, DeputyGroup, Mandate, VoterContact
from .panels import duty_file_panels
from .privacy import mask_id_number, mask_phone, may_see_full
from .selectors_roster import roster_page

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
# A deputy should keep in touch with at least this many voters (联系选民).
MIN_VOTER_CONTACTS = 5


def _mask(deputy):
    deputy.masked_id_number = mask_id_number(deputy.id_number)
    deputy.masked_phone = mask_phone(deputy.phone)
    return deputy


class ServiceFormMixin:
    """form_valid runs `self.perform(form)` (a service call); its ValidationError goes back
    beside the form's inputs."""

    success_message = ""

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message.format(obj=result))
        return redirect(self.get_success_url_for(result))

    def perform(self, form):  # pragma: no cover - each view defines it
        raise TypeError(f"{type(self).__name__} must define perform(form)")

    def get_success_url_for(self, result):
        return result.get_absolute_url()


class ScopedObjectFormView(ScopedWriteMixin, SingleObjectMixin, FormView):
    """A form about one row the user may change (404 outside scope, 403 if only visible)."""

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)


# --- roster and duty file ---------------------------------------------------------------


class PairsSelect(forms.Select):
    """A <select> over plain (value, label) pairs, escaped and joined in one pass (a
    province admin's township filter holds ~1,300 options)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        final = flatatt({**self.build_attrs(self.attrs, attrs), "name": name})
        options = "".join(
            f'<option value="{escape(v)}"{" selected" if str(v) in chosen else ""}>{escape(label)}</option>'
            for v, label in self.choices
        )
        return mark_safe(f"<select{final}>{options}</select>")  # noqa: S308 - every part escaped above


def light_filter_widgets(form) -> None:
    """The roster's filter bar drawn in one pass per field: plain choices through
    PairsSelect instead of a template per <option> (民族 alone has 57), and the township
    and term filters from plain values instead of ~1,300 Region and ~250 Term instances
    for a province admin. Only the drawing changes: the fields still clean and validate
    as DeputyFilterForm says, against their scoped querysets. The Bootstrap classes are
    those crispy-forms gave."""
    for name, field in form.fields.items():
        attrs = field.widget.attrs
        if name == "region":
            pairs = field.queryset.order_by("code").values_list("pk", "name")
            field.widget = PairsSelect(
                attrs={**attrs, "class": "select form-select"}, choices=[("", field.empty_label), *pairs]
            )
        elif name == "term":
            choices = [("", field.empty_label), *selectors.term_choices(field.queryset)]
            field.widget = PairsSelect(attrs={**attrs, "class": "select form-select"}, choices=choices)
        elif isinstance(field, forms.ModelChoiceField):
            attrs["class"] = "plainselect form-select"
        elif isinstance(field, forms.ChoiceField):
            field.widget = PairsSelect(attrs={**attrs, "class": "select form-select"}, choices=field.choices)
        else:
            attrs["class"] = "textinput form-control"


class DeputyListView(ScopedListView):
    """The roster 代表名册: filters, search by name or pinyin initials, masked ID numbers,
    serving mandates; a constant number of queries whatever the page holds, and the same
    work on the last page of a province as on the first (seek pagination)."""

    model = Deputy
    allowed_roles = BUSINESS
    template_name = "deputies/deputy_list.html"

    def get_queryset(self):
        self.filter_form = DeputyFilterForm(self.request.GET, user=self.request.user, region=self.request.active_region)
        light_filter_widgets(self.filter_form)
        return selectors.roster(self.filter_form.filter(super().get_queryset()))

    def paginate_queryset(self, queryset, page_size):
        # Seek pages (selectors_roster): page 4,000 of a province costs what page 2 does.
        page = roster_page(queryset, self.request.GET, page_size)
        return page.paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        # The filters alone, kept across pages and handed to the export; no page position.
        query = self.request.GET.copy()
        for key in ("page", "after", "before"):
            query.pop(key, None)
        ctx["query"] = query.urlencode()
        today = timezone.localdate()
        for deputy in ctx["object_list"]:
            _mask(deputy)
            deputy.age = selectors.age_on(deputy.birth_date, today)
        ctx["filter_form"] = self.filter_form
        ctx["can_create"] = Role.TOWNSHIP_CLERK in {m.role for m in user_memberships(self.request.user)}
        ctx["show_region"] = "region" in self.filter_form.fields
        return ctx


class DeputyDetailView(ScopedDetailView):
    """The duty file 履职档案: the record, mandates (history), groups, voter contacts and
    the panels later apps register."""

    model = Deputy
    template_name = "deputies/deputy_detail.html"

    def get_queryset(self):
        return selectors.duty_file(super().get_queryset())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        deputy = _mask(self.object)
        user = self.request.user
        contacts = list(deputy.voter_contacts.all())
        for contact in contacts:
            contact.masked_phone = mask_phone(contact.phone)
        can_write = selectors.can_write_region(user, deputy.region)
        ctx.update(
            panels=duty_file_panels.render(self.request, deputy),
            can_write=can_write,
            may_reveal=may_see_full(user, deputy),
            mandates=list(deputy.mandates.all()),
            groups=list(deputy.groups.all()),
            contacts=contacts,
            min_contacts=MIN_VOTER_CONTACTS,
            end_actions=[(key, form.title) for key, form in END_FORMS.items()],
            is_business=bool(set(BUSINESS) & {m.role for m in user_memberships(user)}),
        )
        return ctx


class DeputyRevealView(ScopedQuerysetMixin, SingleObjectMixin, View):
    """显示: the full ID number and phone of one deputy, for the deputy's own township clerk
    and county staff only, each time written to the audit log. POST (HTMX) only; a GET is
    refused after the scope check, so a row outside scope is still a 404."""

    model = Deputy
    allowed_roles = BUSINESS
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        self.get_object()
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        deputy = self.get_object()
        if not may_see_full(request.user, deputy):
            raise PermissionDenied("您无权查看该代表的完整身份证号和电话。")
        audit_event(AuditEntry.Action.VIEW_SENSITIVE, instance=deputy, note="查看完整身份证号和电话", request=request)
        ctx = {"deputy": deputy, "revealed": True}
        if getattr(request, "htmx", False):
            return render(request, "deputies/partials/sensitive.html", ctx)
        return render(request, "deputies/reveal.html", ctx)


class DeputyCreateView(ServiceFormMixin, ScopedCreateView):
    """New deputy with its first mandate, in one service call; township clerks only."""

    model = Deputy
    form_class = DeputyCreateForm
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    template_name = "deputies/deputy_form.html"
    success_message = "已登记代表{obj.name}。"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        # "补选" links from an ended mandate prefill the seat to fill.
        for name in ("term", "constituency"):
            value = self.request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        if self.request.GET.get("by_election"):
            initial["by_election"] = True
        return initial

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        # Terms are defined on the county, outside a clerk's row scope: offer those that
        # apply to the townships the form offers (see selectors.terms_for).
        form.fields["term"].queryset = selectors.terms_for(list(form.fields["region"].queryset))
        return form

    def perform(self, form):
        return services.deputy_create(**form.deputy_fields(), **form.mandate_fields())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="登记代表", **kwargs)


class DeputyUpdateView(ServiceFormMixin, ScopedUpdateView):
    model = Deputy
    form_class = DeputyUpdateForm
    allowed_roles = BUSINESS
    template_name = "deputies/deputy_form.html"
    success_message = "已保存{obj.name}的信息。"

    def perform(self, form):
        return services.deputy_update(deputy=self.object, **form.deputy_fields())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"修改代表信息：{self.object.name}", **kwargs)


# --- mandates ---------------------------------------------------------------------------


class MandateEndView(ServiceFormMixin, ScopedObjectFormView):
    """辞职 / 罢免 / 终止 / 调离 of one serving mandate (`action`), kept as history."""

    model = Mandate
    allowed_roles = BUSINESS
    template_name = "deputies/mandate_end.html"
    action = "resign"

    def get_queryset(self):
        return super().get_queryset().select_related("deputy__region", "term", "region")

    def get_form_class(self):
        return END_FORMS[self.action]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "mandate": self.object}

    def perform(self, form):
        mandate = services.mandate_end(
            mandate=self.object, status=form.status, ended_on=form.cleaned_data["ended_on"], end_reason=form.reason()
        )
        messages.success(
            self.request,
            f"已办理{self.object.deputy.name}的{form.title}，该代表资格状态为“{mandate.get_status_display()}”。",
        )
        return mandate.deputy

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["mandate"] = self.object
        ctx["deputy"] = self.object.deputy
        return ctx


class MandateByElectView(ServiceFormMixin, ScopedObjectFormView):
    """补选: a new serving mandate (by_election) for an existing deputy."""

    model = Deputy
    allowed_roles = BUSINESS
    form_class = ByElectionForm
    template_name = "deputies/mandate_by_elect.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "deputy": self.object}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        scope_form_fields(form, self.request.user)
        # Terms are the county's (see selectors.terms_for), set after the row scoping.
        form.fields["term"].queryset = selectors.terms_for([self.object.region])
        return form

    def perform(self, form):
        mandate = services.mandate_by_elect(deputy=self.object, **form.cleaned_data)
        messages.success(self.request, f"已登记{self.object.name}补选为{mandate.get_level_display()}人大代表。")
        return self.object


class MandateUpdateView(ServiceFormMixin, ScopedUpdateView):
    model = Mandate
    form_class = MandateUpdateForm
    allowed_roles = BUSINESS
    template_name = "deputies/form_page.html"

    def get_queryset(self):
        return super().get_queryset().select_related("deputy__region", "term")

    def perform(self, form):
        services.mandate_update(mandate=self.object, **form.cleaned_data)
        messages.success(self.request, "已保存代表资格信息。")
        return self.object.deputy

    def get_context_data(self, **kwargs):
        m = self.object
        return super().get_context_data(
            title=f"修改代表资格：{m.deputy.name}",
            subtitle=f"{m.get_level_display()}人大代表 · {m.term} · {m.get_status_display()}",
            deputy=m.deputy,
            back_url=m.deputy.get_absolute_url(),
            **kwargs,
        )


# --- voter contacts ---------------------------------------------------------------------


class VoterContactCreateView(ServiceFormMixin, ScopedObjectFormView):
    """Add a voter contact to the deputy `pk`."""

    model = Deputy
    allowed_roles = BUSINESS
    form_class = VoterContactForm
    template_name = "deputies/form_page.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "deputy": self.object}

    def get_form(self, form_class=None):
        return scope_form_fields(super().get_form(form_class), self.request.user)

    def perform(self, form):
        contact = services.voter_contact_create(deputy=self.object, **form.contact_fields())
        messages.success(self.request, f"已添加联系选民{contact.name}。")
        return self.object

    def get_success_url_for(self, result):
        return result.get_absolute_url() + "#contacts"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"添加联系选民：{self.object.name}",
            deputy=self.object,
            back_url=self.object.get_absolute_url() + "#contacts",
            **kwargs,
        )


class VoterContactUpdateView(ServiceFormMixin, ScopedUpdateView):
    model = VoterContact
    form_class = VoterContactForm
    allowed_roles = BUSINESS
    template_name = "deputies/form_page.html"

    def get_queryset(self):
        return super().get_queryset().select_related("deputy__region")

    def perform(self, form):
        services.voter_contact_update(contact=self.object, **form.contact_fields())
        messages.success(self.request, f"已保存联系选民{self.object.name}。")
        return self.object.deputy

    def get_success_url_for(self, result):
        return result.get_absolute_url() + "#contacts"

    def get_context_data(self, **kwargs):
        deputy = self.object.deputy
        return super().get_context_data(
            title=f"修改联系选民：{self.object.name}",
            deputy=deputy,
            back_url=deputy.get_absolute_url() + "#contacts",
            **kwargs,
        )


class VoterContactDeleteView(ScopedDeleteView):
    model = VoterContact
    allowed_roles = BUSINESS
    template_name = "deputies/confirm_delete.html"

    def get_queryset(self):
        return super().get_queryset().select_related("deputy")

    def form_valid(self, form):
        deputy = self.object.deputy
        services.voter_contact_delete(contact=self.object)
        messages.success(self.request, f"已删除联系选民{self.object.name}。")
        return redirect(deputy.get_absolute_url() + "#contacts")

    def get_context_data(self, **kwargs):
        deputy = self.object.deputy
        return super().get_context_data(
            title="删除联系选民",
            what=f"{deputy.name}代表联系的选民“{self.object.name}”",
            deputy=deputy,
            back_url=deputy.get_absolute_url() + "#contacts",
            **kwargs,
        )


# --- deputy groups ----------------------------------------------------------------------


class GroupListView(ScopedListView):
    model = DeputyGroup
    allowed_roles = BUSINESS
    template_name = "deputies/group_list.html"

    def get_queryset(self):
        return selectors.group_list(super().get_queryset())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = {m.role for m in user_memberships(self.request.user)}
        ctx["can_create"] = Role.TOWNSHIP_CLERK in roles
        active = self.request.active_region
        ctx["show_region"] = Role.COUNTY_ADMIN in roles and (active is None or active.is_county_level)
        return ctx


class GroupDetailView(ScopedDetailView):
    model = DeputyGroup
    allowed_roles = BUSINESS
    template_name = "deputies/group_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("region", "leader", "presidium_contact")
            .prefetch_related(selectors.group_members_prefetch())
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["counts"] = selectors.group_member_counts(self.object)
        ctx["can_write"] = selectors.can_write_region(self.request.user, self.object.region)
        ctx["members"] = list(self.object.members.all())
        return ctx


class GroupFormMixin(ServiceFormMixin):
    form_class = DeputyGroupForm
    allowed_roles = BUSINESS
    template_name = "deputies/group_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


class GroupCreateView(GroupFormMixin, ScopedCreateView):
    model = DeputyGroup
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    success_message = "已新建代表小组“{obj.name}”。"

    def perform(self, form):
        return services.group_create(**form.group_fields())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="新建代表小组", **kwargs)


class GroupUpdateView(GroupFormMixin, ScopedUpdateView):
    model = DeputyGroup
    success_message = "已保存代表小组“{obj.name}”。"

    def perform(self, form):
        return services.group_update(group=self.object, **form.group_fields())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"修改代表小组：{self.object.name}", **kwargs)


class GroupDeleteView(ScopedDeleteView):
    model = DeputyGroup
    allowed_roles = BUSINESS
    template_name = "deputies/confirm_delete.html"

    def form_valid(self, form):
        services.group_delete(group=self.object)
        messages.success(self.request, f"已删除代表小组“{self.object.name}”。")
        return redirect("deputies:group-list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="删除代表小组",
            what=f"代表小组“{self.object.name}”（成员仍保留代表身份）",
            back_url=self.object.get_absolute_url(),
            **kwargs,
        )


# --- structure analysis -----------------------------------------------------------------

PALETTE = ["#9b1c1c", "#1a56a0", "#e0a030", "#2e8b57", "#6f42c1", "#20a0b0", "#d9534f", "#8a9199", "#b5651d"]
LEVELS = {Mandate.Level.TOWNSHIP: "乡镇人大代表", Mandate.Level.COUNTY: "县人大代表"}


def _chart_option(dim) -> dict:
    rows = [r for r in dim["rows"] if r["n"] or dim["chart"] == "bar"]
    if dim["chart"] == "pie":
        return {
            "color": PALETTE,
            "tooltip": {"trigger": "item", "formatter": "{b}：{c}人（{d}%）"},
            "legend": {"bottom": 0, "type": "scroll"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["38%", "66%"],
                    "center": ["50%", "45%"],
                    "avoidLabelOverlap": True,
                    "percentPrecision": 1,
                    "label": {"formatter": "{d}%"},
                    "labelLine": {"length": 6, "length2": 6},
                    "data": [{"name": r["label"], "value": r["n"]} for r in rows],
                }
            ],
        }
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "top": 28, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [r["label"] for r in rows], "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "name": "人", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "name": dim["title"],
                "barMaxWidth": 36,
                "label": {"show": True, "position": "top"},
                "data": [r["n"] for r in rows],
            }
        ],
    }


def _timeline_option(points, terms) -> dict:
    marks = [
        {"name": f"第{chinese_numeral(t.number)}届", "xAxis": f"{t.start_date:%Y-%m}"}
        for t in terms
        if t is not None and points and points[0]["date"] <= t.start_date <= points[-1]["date"]
    ]
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 24, "top": 44, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "boundaryGap": False, "data": [f"{p['date']:%Y-%m}" for p in points]},
        "yAxis": {"type": "value", "name": "在任人数", "minInterval": 1},
        "series": [
            {
                "type": "line",
                "name": "在任代表",
                "step": "end",
                "showSymbol": False,
                "areaStyle": {"opacity": 0.08},
                "data": [p["n"] for p in points],
                "markLine": {
                    "symbol": "none",
                    "label": {"formatter": "{b}", "position": "end"},
                    "lineStyle": {"type": "dashed", "color": "#8a9199"},
                    "data": marks,
                },
            }
        ],
    }


class StructureView(RoleRequiredMixin, TemplateView):
    """代表结构: serving deputies of the county (or the township picked in the top bar; a
    clerk's own township) by gender, ethnicity, age, party, education, occupation, 连任 and
    归侨, and the serving count month by month over the current and previous term."""

    allowed_roles = BUSINESS
    template_name = "deputies/structure.html"
    scope_exempt = (
        "aggregates only, over Deputy/Mandate.objects.for_user(user) narrowed to the region the user looks at; "
        "tests/deputies/test_structure.py checks a township-B clerk's numbers leave township A out"
    )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        region = selectors.business_region(user, self.request.active_region)
        level = self.request.GET.get("level", Mandate.Level.TOWNSHIP)
        if level not in LEVELS:
            level = Mandate.Level.TOWNSHIP
        on = timezone.localdate()
        current, previous = selectors.current_and_previous_term(region, level, on) if region else (None, None)
        deputies = Deputy.objects.for_user(user).in_region(region)
        county_level = region is not None and region.is_county_level
        data = selectors.structure(deputies, level=level, on=on, previous_term=previous, by_township=county_level)
        mandates = Mandate.objects.for_user(user).in_region(region).filter(level=level)
        timeline = selectors.serving_over_time(mandates, terms=[previous, current], on=on)
        for dim in data["dimensions"]:
            dim["option"] = _chart_option(dim)
            dim["chart_id"] = f"chart-{dim['key']}"
        by_township = data.get("by_township", [])
        ctx.update(
            region=region,
            level=level,
            levels=LEVELS,
            level_label=LEVELS[level],
            current_term=current,
            previous_term=previous,
            total=data["total"],
            dimensions=data["dimensions"],
            timeline=timeline,
            timeline_option=_timeline_option(timeline, [previous, current]),
            by_township=by_township,
            on=on,
        )
        return ctx


class MyDutyFileView(RoleRequiredMixin, View):
    """A deputy's sidebar entry: straight to its own duty file."""

    allowed_roles = (Role.DEPUTY,)
    scope_exempt = "redirects a deputy to its own Deputy row (Deputy.user); the detail view is scoped"

    def get(self, request):
        deputy = Deputy.objects.filter(user=request.user).only("pk").first()
        if deputy is None:
            raise Http404("您的账号尚未关联代表信息，请联系乡镇人大秘书。")
        return redirect(deputy.get_absolute_url())
