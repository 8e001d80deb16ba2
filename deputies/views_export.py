"""Pages that hand deputies' data out as files: the roster export 代表花名册 (Excel) and the
duty file 履职档案 (PDF). Both read through the scoping rule and write an audit line."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView

from org.audit import audit_event
from org.jobs import JobError, job_create
from org.mixins import RoleRequiredMixin, ScopedDetailView
from org.models import AuditEntry
from org.roles import Role

from . import pdf, selectors
from .exports import DIRECT_LIMIT, RosterExport
from .models import Deputy

EXPORT_ROLES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


class RosterExportView(RoleRequiredMixin, TemplateView):
    """导出花名册: GET shows what the roster's current filters would export (how many
    deputies, the region, whether ID numbers go out in full); POST exports it — the file
    itself up to DIRECT_LIMIT rows, a background job above that."""

    allowed_roles = EXPORT_ROLES
    scope_exempt = (
        "export page: rows come from Deputy.objects.for_user() narrowed to the user's region "
        "(tests/deputies/test_export.py checks other townships are never exported)"
    )
    template_name = "deputies/export_roster.html"

    @cached_property
    def export(self) -> RosterExport | None:
        # Built after the role check (dispatch), from the roster's query string.
        return RosterExport.for_request(self.request)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        export = self.export
        query = self.request.GET.urlencode()
        ctx.update(
            export=export,
            count=export.count() if export else 0,
            direct_limit=DIRECT_LIMIT,
            filters=export.filter_summary() if export else [],
            query=query,
            roster_url=reverse("deputies:deputy-list") + (f"?{query}" if query else ""),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        export = self.export
        count = export.count() if export else 0
        if count == 0:
            messages.warning(request, "没有符合条件的代表，无需导出。")
            return redirect(request.get_full_path())
        if count > DIRECT_LIMIT:
            try:
                job_create(
                    kind="deputy_roster",
                    region=export.region,
                    user=request.user,
                    params={"query": request.GET.urlencode()},
                )
            except JobError as exc:
                messages.error(request, str(exc))
                return redirect(request.get_full_path())
            messages.success(request, f"共 {count} 名代表，花名册正在后台生成，完成后可在本页下载。")
            return redirect("org:job-list")
        # FileResponse closes (and so deletes) the temporary file once it is sent.
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
        stats = export.write(tmp.name)
        export.audit(stats, request=request)
        tmp.seek(0)
        return FileResponse(tmp, as_attachment=True, filename=export.filename)


class DeputyPdfView(ScopedDetailView):
    """The duty file 履职档案 of one deputy as a PDF, for anyone who may open the duty file
    (the deputy itself included); ID number and phones in full only for those allowed."""

    model = Deputy

    def get_queryset(self):
        return selectors.duty_file(super().get_queryset())

    def get(self, request, *args, **kwargs):
        deputy = self.get_object()
        content, full = pdf.duty_file_pdf(request, deputy)
        note = f"导出履职档案（PDF）；含完整身份证号：{'是' if full else '否'}"
        audit_event(AuditEntry.Action.EXPORT, instance=deputy, note=note, request=request)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, pdf.duty_file_filename(deputy))
        return response
