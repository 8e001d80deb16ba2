"""Pages of the 两室一平台: rooms, their checklist against the standards, files, and the
county's standards. Rows come through the scoping rule (org.mixins)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from org.mixins import (
    RoleRequiredMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    ScopedWriteMixin,
)
from org.models import Region, user_memberships
from org.roles import COUNTY_KINDS, Role
from org.scoping import CHANGE, can

from . import selectors, services
from .forms import ItemStateForm, StandardItemForm, StationFileForm, StationFilterForm, StationForm
from .models import Standard, StandardItem, Station, StationFile, StationItemState
from .panels import station_panels

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


def _roles(user):
    return {m.role for m in user_memberships(user)}


class StationListView(ScopedListView):
    model = Station
    allowed_roles = BUSINESS
    template_name = "stations/station_list.html"

    def get_queryset(self):
        qs = super().get_queryset().select_related("region", "township")
        region = self.request.active_region
        user = self.request.user
        townships = Region.objects.townships().for_user(user).in_region(region).order_by("code")
        self.filter_form = StationFilterForm(self.request.GET or None, townships=townships)
        qs = selectors.with_headline_counts(self.filter_form.filter(qs))
        return qs.order_by("township__code", "kind", "region__code", "name")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = _roles(self.request.user)
        ctx["filter_form"] = self.filter_form
        ctx["can_create"] = Role.TOWNSHIP_CLERK in roles
        ctx["show_township"] = Role.COUNTY_ADMIN in roles
        ctx["headline"] = services.HEADLINE_STANDARD
        return ctx


class StationDetailView(ScopedDetailView):
    model = Station
    allowed_roles = BUSINESS
    template_name = "stations/station_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "township").prefetch_related("groups")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        station = self.object
        standards, standard = selectors.pick_standard(station, self.request.GET.get("standard"))
        rows = selectors.checklist(station, standard) if standard else []
        files = list(station.files.select_related("uploaded_by"))
        can_write = can(self.request.user, CHANGE, station)
        ctx.update(
            standards=standards,
            standard=standard,
            rows=rows,
            gaps=[r for r in rows if r["gap"]],
            met=sum(1 for r in rows if not r["gap"]),
            photos=[f for f in files if f.kind == StationFile.Kind.PHOTO],
            documents=[f for f in files if f.kind == StationFile.Kind.DOCUMENT],
            can_write=can_write,
            file_form=kwargs.get("file_form") or (StationFileForm() if can_write else None),
            life=selectors.station_life(station, today=timezone.localdate()),
            panels=station_panels.render(self.request, station),
        )
        return ctx


class StationFormMixin:
    model = Station
    form_class = StationForm
    template_name = "stations/station_form.html"
    allowed_roles = (Role.TOWNSHIP_CLERK,)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"已保存“{self.object.name}”。")
        return response


class StationCreateView(StationFormMixin, ScopedCreateView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(title="新建代表之家（联络站）", **kwargs)


class StationUpdateView(StationFormMixin, ScopedUpdateView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"修改：{self.object.name}", **kwargs)


class StationItemStateView(ScopedWriteMixin, ScopedDetailView):
    """Fill in one item of the checklist for a room: ?item=<StandardItem id>."""

    model = Station
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    template_name = "stations/item_state_form.html"
    http_method_names = ["get", "post"]

    def get_item(self):
        item_id = self.request.GET.get("item") or self.request.POST.get("item")
        if not item_id or not str(item_id).isdigit():
            return None
        item = StandardItem.objects.for_user(self.request.user).select_related("standard").filter(pk=item_id).first()
        if item is None or not selectors.standards_for(self.object).filter(pk=item.standard_id).exists():
            raise Http404("标准项目不存在。")
        return item

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        item = self.get_item()
        if item is None:
            return redirect(self.object.get_absolute_url())
        state = StationItemState.objects.filter(station=self.object, item=item).first()
        initial = {"state": state.state, "note": state.note} if state else {"state": StationItemState.State.MET}
        return self.render_page(item, state, ItemStateForm(initial=initial))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        item = self.get_item()
        if item is None:
            return redirect(self.object.get_absolute_url())
        form = ItemStateForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.set_item_state(
                    station=self.object,
                    item=item,
                    state=form.cleaned_data["state"],
                    note=form.cleaned_data["note"],
                    evidence=form.cleaned_data.get("evidence"),
                    evidence_type=getattr(form, "evidence_type", ""),
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已保存“{item.title}”的达标情况。")
                return redirect(f"{self.object.get_absolute_url()}?standard={item.standard_id}#checklist")
        state = StationItemState.objects.filter(station=self.object, item=item).first()
        return self.render_page(item, state, form)

    def render_page(self, item, state, form):
        ctx = self.get_context_data(object=self.object, item=item, state=state, form=form)
        return render(self.request, self.template_name, ctx)


class StationFileUploadView(ScopedWriteMixin, ScopedDetailView):
    """POST a photo or document to a room; GET goes back to the room."""

    model = Station
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    template_name = "stations/station_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        self.object = station = self.get_object()
        form = StationFileForm(request.POST, request.FILES)
        if form.is_valid():
            row = form.save(commit=False)
            row.station = station
            row.content_type = form.content_type
            row.uploaded_by = request.user
            row.save()
            messages.success(request, f"已上传“{row.title}”。")
            return redirect(f"{station.get_absolute_url()}#files")
        messages.error(request, "上传失败：" + "；".join(e for errs in form.errors.values() for e in errs))
        detail = StationDetailView(request=request, kwargs=self.kwargs, object=station)
        ctx = detail.get_context_data(file_form=form)
        return render(request, self.template_name, ctx, status=400)


def _serve(fieldfile, content_type, filename, inline=True):
    try:
        fh = fieldfile.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("文件已不存在。") from None
    return FileResponse(fh, content_type=content_type or None, as_attachment=not inline, filename=filename)


class StationFileDownloadView(ScopedDetailView):
    model = StationFile
    allowed_roles = BUSINESS

    def get(self, request, *args, **kwargs):
        row = self.get_object()
        name = row.file.name.rsplit("/", 1)[-1]
        return _serve(row.file, row.content_type, name, inline=row.content_type.startswith("image/"))


class EvidenceDownloadView(ScopedDetailView):
    model = StationItemState
    allowed_roles = BUSINESS

    def get(self, request, *args, **kwargs):
        row = self.get_object()
        if not row.evidence:
            raise Http404("没有佐证材料。")
        name = row.evidence.name.rsplit("/", 1)[-1]
        return _serve(row.evidence, row.evidence_type, name, inline=row.evidence_type.startswith("image/"))


# --- standards ------------------------------------------------------------------------------


def _admin_counties(user):
    return [m.region for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN and m.region.kind in COUNTY_KINDS]


class StandardListView(ScopedListView):
    model = Standard
    allowed_roles = BUSINESS
    template_name = "stations/standard_list.html"
    narrow_to_active_region = False

    def get_queryset(self):
        return super().get_queryset().select_related("region").prefetch_related("items")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["counties"] = _admin_counties(self.request.user)
        ctx["this_year"] = datetime.date.today().year
        return ctx


class StandardDetailView(ScopedDetailView):
    model = Standard
    allowed_roles = BUSINESS
    template_name = "stations/standard_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["items"] = list(self.object.items.all())
        ctx["can_write"] = can(self.request.user, CHANGE, self.object)
        ctx["points"] = sum(i.points for i in ctx["items"])
        return ctx


class StandardItemUpdateView(ScopedUpdateView):
    model = StandardItem
    form_class = StandardItemForm
    # A clerk may open it to be told 403 (it can see the item); only county staff may write.
    allowed_roles = BUSINESS
    template_name = "stations/standard_item_form.html"

    def get_success_url(self):
        messages.success(self.request, f"已保存“{self.object.title}”。")
        return self.object.standard.get_absolute_url()


class StandardPreloadView(RoleRequiredMixin, View):
    """County admin: load the default 六有/七有/八有/十有 of a year into a county."""

    allowed_roles = (Role.COUNTY_ADMIN,)
    http_method_names = ["post"]
    scope_exempt = (
        "POST-only action; the county is checked against the user's county_admin memberships (tests/stations)"
    )

    def post(self, request):
        counties = {str(c.pk): c for c in _admin_counties(request.user)}
        county = counties.get(request.POST.get("county") or "")
        if county is None:
            if len(counties) != 1 or request.POST.get("county"):
                raise PermissionDenied("您无权为该区划加载标准。")
            county = next(iter(counties.values()))
        try:
            year = int(request.POST.get("year") or datetime.date.today().year)
        except ValueError:
            year = datetime.date.today().year
        created = services.standards_preload(county=county, year=year)
        if created:
            messages.success(request, f"已为{county.name}加载{year}年标准：{'、'.join(s.name for s in created)}。")
        else:
            messages.info(request, f"{county.name}{year}年的默认标准都已存在，未作改动。")
        return redirect("stations:standard-list")
