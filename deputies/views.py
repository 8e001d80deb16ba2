from django.db.models import Prefetch, Q

from org.mixins import ScopedDetailView, ScopedListView
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
