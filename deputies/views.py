from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect
from django.views import View

from org.mixins import RoleRequiredMixin, ScopedDetailView, ScopedListView
from org.roles import Role

from .models import Deputy, Mandate
from .panels import duty_file_panels


class DeputyListView(ScopedListView):
    """The roster (issue 3 adds filters, import and export)."""

    model = Deputy
    allowed_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
    template_name = "deputies/deputy_list.html"

    def get_queryset(self):
        qs = super().get_queryset().select_related("region")
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(Q(name__contains=q) | Q(work_unit__contains=q))
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["q"] = self.request.GET.get("q", "")
        return ctx


class DeputyDetailView(ScopedDetailView):
    """The duty file 履职档案: the deputy's record and the panels later apps register."""

    model = Deputy
    template_name = "deputies/deputy_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("region")
            .prefetch_related(Prefetch("mandates", queryset=Mandate.objects.select_related("term", "region")))
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["panels"] = duty_file_panels.render(self.request, self.object)
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
