from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from . import selectors
from .audit import audit_event
from .forms import AuditFilterForm, LoginForm, PortalPasswordChangeForm, lockout_policy
from .jobs import JOB_KINDS, JobError, job_create
from .middleware import ActiveRegionMiddleware
from .mixins import RoleRequiredMixin, ScopedDetailView, ScopedListView
from .models import AuditEntry, Job, Region, user_memberships, user_roles
from .panels import dashboard_panels
from .roles import Role
from .xlsx import write_sheet

# The role whose dashboard a person with several roles sees first.
ROLE_PRIORITY = [Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK, Role.DEPUTY, Role.HANDLING_UNIT, Role.AUDITOR, Role.SUPERUSER]


def primary_role(user) -> str | None:
    roles = user_roles(user)
    for role in ROLE_PRIORITY:
        if role in roles:
            return role
    return Role.SUPERUSER if user.is_superuser else None


class LoginView(auth_views.LoginView):
    scope_exempt = "login page: open to anonymous users, reads no business rows"
    template_name = "org/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["lockout_limit"], ctx["lockout_minutes"] = lockout_policy()
        return ctx


class LogoutView(auth_views.LogoutView):
    scope_exempt = "logout: acts on the user's own session only"


def lockout_response(request, original_response=None, credentials=None):
    """Shown instead of the login form while a user name + IP pair is locked (axes)."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "org/locked_out.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    scope_exempt = "changes the user's own password only"
    template_name = "org/password_change.html"
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "密码已修改。")
        return response


class HomeView(RoleRequiredMixin, TemplateView):
    """The dashboard of the user's main role; later apps add panels to it."""

    template_name = "org/home.html"
    scope_exempt = "dashboard: each panel reads through scoped selectors (tests/org/test_roles.py)"

    def get(self, request, *args, **kwargs):
        role = primary_role(request.user)
        if role == Role.AUDITOR:
            return redirect("org:audit-list")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        role = primary_role(user)
        region = selectors.home_region(user, self.request.active_region)
        ctx.update(
            role=role,
            role_label=Role(role).label if role else "",
            region=region,
            panels=dashboard_panels.render(self.request, region, roles=[role] if role else []),
        )
        return ctx


@dashboard_panels.register(
    key="region_overview",
    title="辖区概况",
    template="org/panels/region_overview.html",
    order=10,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _region_overview_panel(request, region):
    if region is None:
        return None
    ctx = {"region": region, "overview": selectors.region_overview(region)}
    if region.is_county_level:
        ctx["townships"] = selectors.township_table(region)
    return ctx


@dashboard_panels.register(
    key="recent_jobs",
    title="最近的后台任务",
    template="org/panels/recent_jobs.html",
    order=90,
    roles=[Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK],
)
def _recent_jobs_panel(request, region):
    return {"jobs": selectors.recent_jobs(request.user)}


@dashboard_panels.register(
    key="my_unit", title="本单位", template="org/panels/my_unit.html", order=10, roles=[Role.HANDLING_UNIT]
)
def _my_unit_panel(request, region):
    units = [
        m.handling_unit for m in user_memberships(request.user) if m.role == Role.HANDLING_UNIT and m.handling_unit
    ]
    return {"units": units}


@dashboard_panels.register(
    key="system",
    title="系统管理",
    template="org/panels/system.html",
    order=10,
    roles=[Role.SUPERUSER],
)
def _system_panel(request, region):
    from .models import User

    return {"users": User.objects.count(), "regions": Region.objects.count()}


class RegionSwitchView(RoleRequiredMixin, View):
    """The top bar's region picker (county users): county-wide or one township."""

    allowed_roles = (Role.COUNTY_ADMIN,)
    scope_exempt = "region picker: checks the id against the user's county memberships (tests/org/test_roles.py)"

    def post(self, request):
        raw = request.POST.get("region") or ""
        allowed = {str(r.pk): r for r in selectors.switchable_regions(request.user)}
        if raw and raw not in allowed:
            raise Http404("区划不存在或不在您的管辖范围内。")
        region = allowed.get(raw)
        if region is None or region.is_county_level and len([r for r in allowed.values() if r.is_county_level]) == 1:
            request.session.pop(ActiveRegionMiddleware.SESSION_KEY, None)
        else:
            # The banner under the top bar says where the user now is; no message needed.
            request.session[ActiveRegionMiddleware.SESSION_KEY] = region.pk
        target = request.POST.get("next") or reverse("home")
        if not target.startswith("/") or target.startswith("//"):
            target = reverse("home")
        return redirect(target)


# --- Jobs --------------------------------------------------------------------------------
JOB_ROLES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


class JobListView(ScopedListView):
    model = Job
    allowed_roles = JOB_ROLES
    template_name = "org/job_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "requested_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = user_roles(self.request.user)
        ctx["kinds"] = [k for k in JOB_KINDS.values() if set(k.roles) & roles and not k.kind.startswith("test_")]
        ctx["region"] = selectors.home_region(self.request.user, self.request.active_region)
        return ctx


class JobCreateView(RoleRequiredMixin, View):
    allowed_roles = JOB_ROLES
    scope_exempt = "creates a job over the user's own home region; job_create re-checks scope"

    def post(self, request):
        region = selectors.home_region(request.user, request.active_region)
        kind = request.POST.get("kind", "")
        if region is None:
            raise PermissionDenied("您没有可发起任务的区划。")
        try:
            job = job_create(kind=kind, region=region, user=request.user)
        except JobError as exc:
            messages.error(request, str(exc))
            return redirect("org:job-list")
        messages.success(request, f"任务“{job.kind_label}”已提交，完成后可在本页下载。")
        return redirect("org:job-list")


class JobDetailView(ScopedDetailView):
    model = Job
    allowed_roles = JOB_ROLES
    template_name = "org/job_detail.html"


class JobRowView(ScopedDetailView):
    """One job's row, polled by HTMX until the job ends."""

    model = Job
    allowed_roles = JOB_ROLES
    template_name = "org/partials/job_row.html"


class JobDownloadView(ScopedDetailView):
    model = Job
    allowed_roles = JOB_ROLES

    def get(self, request, *args, **kwargs):
        job = self.get_object()
        if job.state != Job.State.DONE or not job.output:
            raise Http404("该任务没有可下载的文件。")
        try:
            fh = job.output.open("rb")
        except FileNotFoundError:
            raise Http404("文件已不存在，请重新生成。") from None
        audit_event(AuditEntry.Action.EXPORT, instance=job, note=job.output_name)
        return FileResponse(fh, as_attachment=True, filename=job.output_name or job.output.name.rsplit("/", 1)[-1])


# --- Audit log ---------------------------------------------------------------------------
class AuditAccessMixin(RoleRequiredMixin):
    allowed_roles = (Role.AUDITOR, Role.SUPERUSER)
    scope_exempt = "audit log: auditor and superuser only, not region-scoped (tests/org/test_roles.py)"
    allow_django_superuser = True


class AuditListView(AuditAccessMixin, ListView):
    template_name = "org/audit_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = AuditFilterForm(self.request.GET or None)
        return self.filter_form.filter(AuditEntry.objects.all())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx["query"] = query.urlencode()
        return ctx


class AuditExportView(AuditAccessMixin, View):
    """The filtered audit log as Excel (capped: an auditor narrows by date for more)."""

    LIMIT = 100_000

    def get(self, request):
        import tempfile

        qs = AuditFilterForm(request.GET or None).filter(AuditEntry.objects.all())[: self.LIMIT]

        def rows():
            for e in qs.iterator(chunk_size=2000):
                changes = "；".join(
                    f"{v.get('label', k)}：{v.get('old')} → {v.get('new')}" if isinstance(v, dict) else f"{k}：{v}"
                    for k, v in (e.changes or {}).items()
                )
                yield [
                    timezone.localtime(e.time).strftime("%Y-%m-%d %H:%M:%S"),
                    e.username,
                    e.ip or "",
                    e.get_action_display(),
                    e.model_label,
                    e.object_id,
                    e.object_repr,
                    changes,
                ]

        # FileResponse closes (and so deletes) the file once it is sent.
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
        write_sheet(
            tmp.name,
            title="审计日志",
            header=["时间", "账号", "IP地址", "操作", "对象类型", "对象ID", "对象", "变更内容"],
            rows=rows(),
            widths=[20, 16, 16, 12, 14, 10, 30, 80],
        )
        audit_event(AuditEntry.Action.EXPORT, note="审计日志导出")
        tmp.seek(0)
        name = f"审计日志-{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(tmp, as_attachment=True, filename=name)


class ProfileView(RoleRequiredMixin, TemplateView):
    template_name = "org/profile.html"
    scope_exempt = "shows only the user's own account and memberships"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["memberships"] = user_memberships(self.request.user)
        return ctx


def error_view(status, template):
    """Error pages render without context processors: they must work when the database
    does not (a 500 is often exactly that)."""

    def view(request, exception=None):
        return HttpResponse(loader.get_template(template).render(), status=status)

    return view


def csrf_failure(request, reason=""):
    """A stale or missing CSRF token (a form left open for hours, cookies blocked — often on
    the public page): a Chinese page saying what to do, not Django's technical one."""
    return HttpResponse(loader.get_template("403_csrf.html").render(), status=403)


def healthz(request):
    """For load balancers and docker-compose: the database answers."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


healthz.scope_exempt = "load-balancer health check: answers ok, reads no rows"
