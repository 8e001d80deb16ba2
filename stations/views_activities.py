"""Pages of deputy activities (代表活动): the township's list with the deputies' records to
confirm, recording and editing, confirm/reject, photos and documents, and the deputy's own
list and form. Rows come through the scoping rule (org.mixins); writes go through
services_activities."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.forms import add_service_errors as attach_errors
from org.mixins import (
    ScopedCreateView,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    ScopedWriteMixin,
)
from org.models import user_roles
from org.roles import Role
from org.scoping import CHANGE, can

from . import selectors_activities as selectors
from . import services_activities as services
from .forms import clerk_townships
from .forms_activities import ActivityFileForm, ActivityFilterForm, ActivityForm, DeputyActivityForm, RejectForm
from .models import Activity, ActivityFile, Station

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CLERK = (Role.TOWNSHIP_CLERK,)
READERS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK, Role.DEPUTY)


def _is_business(user) -> bool:
    return bool(set(BUSINESS) & user_roles(user))


# --- the township's list ------------------------------------------------------------------


class ActivityListView(ScopedListView):
    """The activities of the region looked at; the deputies' records waiting for the clerk
    are one tab (待确认) away and announced at the top."""

    model = Activity
    allowed_roles = BUSINESS
    template_name = "stations/activities/activity_list.html"

    def get_queryset(self):
        scoped = super().get_queryset()
        self.scoped = scoped
        stations = Station.objects.for_user(self.request.user).in_region(self.request.active_region)
        stations = stations.select_related("region").order_by("township__code", "kind", "region__code", "name")
        self.filter_form = ActivityFilterForm(self.request.GET or None, stations=stations)
        return selectors.activity_list(scoped, **self.filter_form.filters())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        roles = user_roles(user)
        filters = self.filter_form.filters()
        deputy = None
        if filters.get("deputy"):
            deputy = Deputy.objects.for_user(user).filter(pk=filters["deputy"]).only("pk", "name").first()
        status_query = self.request.GET.copy()
        for key in ("status", "page"):
            status_query.pop(key, None)
        ctx.update(
            filter_form=self.filter_form,
            counts=selectors.activity_counts(self.scoped, year=self.filter_form.counts_year()),
            status=filters.get("status", ""),
            status_query=status_query.urlencode(),
            statuses=Activity.Status.choices,
            filter_deputy=deputy,
            can_create=Role.TOWNSHIP_CLERK in roles,
            show_township=Role.COUNTY_ADMIN in roles,
        )
        return ctx


# --- record and edit ------------------------------------------------------------------------


class ActivityFormMixin:
    model = Activity
    template_name = "stations/activities/activity_form.html"

    def form_invalid_with(self, form, exc):
        attach_errors(form, exc)
        return self.form_invalid(form)


class ActivityCreateView(ActivityFormMixin, ScopedCreateView):
    """The clerk records an activity of its township (confirmed at once)."""

    form_class = ActivityForm
    allowed_roles = CLERK

    def townships(self):
        towns = clerk_townships(self.request.user)
        active = self.request.active_region
        if active is not None and any(t.pk == active.pk for t in towns):
            towns = [t for t in towns if t.pk == active.pk]
        if not towns:
            raise PermissionDenied("您没有乡镇（街道）的人大秘书角色，不能登记代表活动。")
        return towns

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "townships": self.townships()}

    def form_valid(self, form):
        township = form.cleaned_data.get("township") or self.townships()[0]
        try:
            self.object = services.activity_create(
                region=township,
                user=self.request.user,
                participants=form.cleaned_data.get("participants") or [],
                **form.service_fields(),
            )
        except ValidationError as exc:
            return self.form_invalid_with(form, exc)
        messages.success(self.request, f"已登记“{self.object.topic}”。可以继续上传活动照片和资料。")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="登记代表活动", back_url=reverse("stations:activity-list"), **kwargs)


class ActivityUpdateView(ActivityFormMixin, ScopedUpdateView):
    """The clerk changes any activity of its township; the deputy who recorded one changes it
    while it waits for the clerk or was sent back (the scoping rule's change action)."""

    allowed_roles = (Role.TOWNSHIP_CLERK, Role.DEPUTY)

    def get_queryset(self):
        return super().get_queryset().select_related("region", "station")

    def clerk(self) -> bool:
        return selectors.is_township_clerk(self.request.user, self.object.region)

    def get_form_class(self):
        return ActivityForm if self.clerk() else DeputyActivityForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "townships": [self.object.region]}

    def form_valid(self, form):
        participants = form.cleaned_data.get("participants") if "participants" in form.fields else None
        try:
            services.activity_update(
                activity=self.object, user=self.request.user, participants=participants, **form.service_fields()
            )
        except ValidationError as exc:
            return self.form_invalid_with(form, exc)
        if self.object.status == Activity.Status.PENDING and not self.clerk():
            messages.success(self.request, f"已保存“{self.object.topic}”，等待乡镇人大秘书确认。")
        else:
            messages.success(self.request, f"已保存“{self.object.topic}”。")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"修改代表活动：{self.object.topic}", back_url=self.object.get_absolute_url(), **kwargs
        )


class ActivityDeleteView(ScopedDeleteView):
    model = Activity
    allowed_roles = CLERK
    template_name = "stations/activities/activity_confirm_delete.html"

    def form_valid(self, form):
        topic = self.object.topic
        services.activity_delete(activity=self.object, user=self.request.user)
        messages.success(self.request, f"已删除“{topic}”。")
        return redirect("stations:activity-list")


# --- one activity ---------------------------------------------------------------------------


class ActivityDetailView(ScopedDetailView):
    """An activity with its participants, photos and documents; the clerk confirms or sends
    back a deputy's record here, the recorder adds photos while it may still change it."""

    model = Activity
    allowed_roles = READERS
    template_name = "stations/activities/activity_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("region", "station", "recorded_by", "confirmed_by")
            .prefetch_related("participants", "files__uploaded_by")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        activity = self.object
        user = self.request.user
        files = list(activity.files.all())
        can_change = can(user, CHANGE, activity)
        is_clerk = selectors.is_township_clerk(user, activity.region)
        ctx.update(
            participants=list(activity.participants.all()),
            photos=[f for f in files if f.kind == ActivityFile.Kind.PHOTO],
            documents=[f for f in files if f.kind == ActivityFile.Kind.DOCUMENT],
            can_change=can_change,
            can_delete=is_clerk,
            can_review=is_clerk and activity.status == Activity.Status.PENDING,
            reject_form=kwargs.get("reject_form") or RejectForm(),
            file_form=kwargs.get("file_form") or (ActivityFileForm() if can_change else None),
            is_business=_is_business(user),
        )
        return ctx


class ActivityActionMixin(ScopedWriteMixin):
    """A POST action on one activity; GET (after the scope check) goes back to it."""

    model = Activity
    allowed_roles = CLERK
    template_name = "stations/activities/activity_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())


class ActivityConfirmView(ActivityActionMixin, ScopedDetailView):
    def post(self, request, *args, **kwargs):
        activity = self.get_object()
        try:
            services.activity_confirm(activity=activity, user=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已确认“{activity.topic}”。")
        return redirect(activity.get_absolute_url())


class ActivityRejectView(ActivityActionMixin, ScopedDetailView):
    def post(self, request, *args, **kwargs):
        self.object = activity = self.get_object()
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                services.activity_reject(activity=activity, reason=form.cleaned_data["reason"], user=request.user)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已退回“{activity.topic}”，代表可以修改后重新提交。")
                return redirect(activity.get_absolute_url())
        messages.error(request, "退回失败：" + "；".join(e for errs in form.errors.values() for e in errs))
        return _render_detail(request, self.kwargs, activity, status=400, reject_form=form)


class ActivityFileUploadView(ScopedWriteMixin, ScopedDetailView):
    """POST a photo or document to an activity; GET goes back to it."""

    model = Activity
    allowed_roles = (Role.TOWNSHIP_CLERK, Role.DEPUTY)
    template_name = "stations/activities/activity_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        self.object = activity = self.get_object()
        form = ActivityFileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = services.activity_file_add(
                    activity=activity,
                    upload=form.cleaned_data["file"],
                    title=form.cleaned_data["title"],
                    kind=form.cleaned_data["kind"],
                    user=request.user,
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已上传“{row.title}”。")
                return redirect(f"{activity.get_absolute_url()}#files")
        messages.error(request, "上传失败：" + "；".join(e for errs in form.errors.values() for e in errs))
        return _render_detail(request, self.kwargs, activity, status=400, file_form=form)


def _render_detail(request, kwargs, activity, status, **extra):
    detail = ActivityDetailView(request=request, kwargs=kwargs)
    detail.object = detail.get_object()
    ctx = detail.get_context_data(object=detail.object, **extra)
    return render(request, detail.template_name, ctx, status=status)


class ActivityFileView(ScopedDetailView):
    """A photo (shown inline) or document (downloaded) of an activity the user may read."""

    model = ActivityFile
    allowed_roles = READERS

    def get_queryset(self):
        # Through the activity's own rule, which also lets a deputy read its activities'
        # files (ActivityFile's rule knows regions only); still a 404 outside scope.
        visible = Activity.objects.for_user(self.request.user).values("pk")
        return ActivityFile.objects.filter(activity__in=visible)

    def get(self, request, *args, **kwargs):
        row = self.get_object()
        stored = row.file.name.rsplit("/", 1)[-1]
        ext = stored.rsplit(".", 1)[-1] if "." in stored else ""
        filename = f"{row.title}.{ext}" if ext and not row.title.lower().endswith(f".{ext.lower()}") else row.title
        try:
            fh = row.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404("文件已不存在。") from None
        inline = row.content_type.startswith("image/")
        return FileResponse(fh, content_type=row.content_type or None, as_attachment=not inline, filename=filename)


# --- the deputy's own -----------------------------------------------------------------------


class MyActivityListView(ScopedListView):
    """A deputy's activities: those it took part in and those it recorded, with their state."""

    model = Activity
    allowed_roles = (Role.DEPUTY,)
    template_name = "stations/activities/my_activity_list.html"
    narrow_to_active_region = False
    scope_exempt = (
        "a deputy's own page (403 for every other role): Activity.objects.for_user narrowed to the "
        "activities it took part in or recorded; tests/stations/test_activities.py"
    )

    def get_queryset(self):
        self.mine = selectors.mine(super().get_queryset(), self.request.user)
        return selectors.with_list_related(self.mine).order_by("-date", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["counts"] = selectors.activity_counts(self.mine, year=timezone.localdate().year)
        ctx["deputy"] = selectors.own_deputy(self.request.user)
        return ctx


class MyActivityCreateView(ActivityFormMixin, ScopedCreateView):
    """A deputy records its own activity; it waits for the township clerk's confirmation."""

    form_class = DeputyActivityForm
    allowed_roles = (Role.DEPUTY,)

    def form_valid(self, form):
        try:
            self.object = services.activity_create(region=None, user=self.request.user, **form.service_fields())
        except ValidationError as exc:
            return self.form_invalid_with(form, exc)
        if self.object.status == Activity.Status.PENDING:
            messages.success(
                self.request, f"已提交“{self.object.topic}”，等待乡镇人大秘书确认。可以继续上传活动照片和资料。"
            )
        else:
            messages.success(self.request, f"已登记“{self.object.topic}”。")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        deputy = selectors.own_deputy(self.request.user)
        return super().get_context_data(
            title="登记我的活动",
            back_url=reverse("stations:my-activity-list"),
            deputy=deputy,
            no_deputy=deputy is None,
            **kwargs,
        )
