"""Pages of the deputy roster import (代表信息导入): upload with the template download and
the list of earlier uploads, the preview of a batch with its problems, the commit, the
progress of a background check or commit, and the check report as Excel.

Who: a township clerk uploads and commits into its own township (with several townships,
it picks one of them). County staff see the batches of their townships and their
previews, read only: the roster is the township's to keep (DESIGN.md section 4). Every
batch is reached through `ImportBatch.objects.for_user`, so another township's is a 404.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from org.audit import audit_event
from org.jobs import JobError, job_create
from org.mixins import ScopedDetailView, ScopedListView, ScopedWriteMixin
from org.models import AuditEntry, Region, user_memberships
from org.roles import Role
from org.scoping import CHANGE, can

from . import importing
from .models import ImportBatch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def clerk_townships(user) -> list[Region]:
    """The townships `user` keeps as clerk: where it may import."""
    return sorted(
        {m.region for m in user_memberships(user) if m.role == Role.TOWNSHIP_CLERK and m.region.is_township},
        key=lambda r: r.code,
    )


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class UploadForm(forms.Form):
    file = forms.FileField(
        label="代表信息登记表",
        help_text="Excel 工作簿（.xlsx），不超过 20 MB、5 万行。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    township = forms.ModelChoiceField(label="导入到", queryset=Region.objects.none(), empty_label=None)

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.townships = list(townships)
        self.fields["township"].queryset = Region.objects.filter(pk__in=[t.pk for t in townships])
        if len(townships) <= 1:
            # One township: nothing to choose.
            del self.fields["township"]

    def clean(self):
        data = super().clean()
        if "township" not in self.fields and self.townships:
            data["township"] = self.townships[0]
        return data

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            if upload.name.lower().endswith((".xls", ".et", ".csv", ".wps")):
                raise forms.ValidationError(
                    "只支持 Excel 工作簿（.xlsx）。请在 Excel 或 WPS 中打开该文件，“另存为” .xlsx 格式后再上传。"
                )
            raise forms.ValidationError("请上传 Excel 工作簿（.xlsx）文件。")
        if upload.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1024 / 1024:.1f} MB），单个文件不能超过 20 MB。请分成几个文件导入。"
            )
        data = upload.read()
        try:
            self.table = importing.read_table(data)
        except importing.ImportFileError as exc:
            raise forms.ValidationError(str(exc))
        self.data_bytes = data
        return upload


class ImportUploadView(ScopedListView):
    """导入代表信息: the upload form (clerks), the template, and the earlier batches."""

    model = ImportBatch
    allowed_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
    template_name = "deputies/import_upload.html"
    context_object_name = "batches"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "uploaded_by").defer("problems", "rows")

    def get(self, request, *args, **kwargs):
        if request.GET.get("download") == "template":
            return self.template_download()
        return super().get(request, *args, **kwargs)

    def template_download(self):
        townships = clerk_townships(self.request.user)
        township = townships[0] if len(townships) == 1 else None
        content = importing.build_template(township)
        name = f"代表信息登记表导入模板{'-' + township.name if township else ''}.xlsx"
        return xlsx_response(content, name)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        townships = clerk_townships(self.request.user)
        ctx["townships"] = townships
        if townships and "form" not in ctx:
            ctx["form"] = UploadForm(townships=townships)
        ctx["max_rows"] = importing.MAX_ROWS
        ctx["background_rows"] = importing.BACKGROUND_ROWS
        return ctx

    def post(self, request, *args, **kwargs):
        townships = clerk_townships(request.user)
        if not townships:
            raise PermissionDenied("只有乡镇人大秘书可以导入本乡镇的代表信息。")
        form = UploadForm(request.POST, request.FILES, townships=townships)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form))
        township = form.cleaned_data["township"]
        upload = form.cleaned_data["file"]
        table = form.table
        background = len(table.data_rows) > importing.BACKGROUND_ROWS
        with transaction.atomic():
            batch = ImportBatch(region=township, uploaded_by=request.user, original_name=upload.name[:200])
            batch.file.save(f"deputies-{township.code}.xlsx", ContentFile(form.data_bytes), save=False)
            batch.save()
            if background:
                try:
                    job = job_create(
                        kind="deputy_import_parse", region=township, user=request.user, params={"batch_id": batch.pk}
                    )
                except JobError as exc:
                    importing.fail_batch(batch, str(exc))
                else:
                    ImportBatch.objects.filter(pk=batch.pk).update(job=job)
        if not background:
            importing.check_batch(batch, table=table)
        return redirect(batch.get_absolute_url())


SHOW_FILTERS = {
    "all": ("全部", None),
    "create": ("新增", {"create", "created"}),
    "existing": ("已登记", {"existing", "updated", "skipped"}),
    "error": ("有错误", {"error"}),
}


class ImportDetailView(ScopedDetailView):
    """The preview of a batch: every problem as 第N行「列名」：…, what happens to each row,
    the duplicate choice and the commit button; the progress bar while a job runs."""

    model = ImportBatch
    allowed_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
    template_name = "deputies/import_detail.html"
    rows_per_page = 50

    def get_queryset(self):
        return super().get_queryset().select_related("region", "uploaded_by", "committed_by", "job")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        batch = self.object
        show = self.request.GET.get("show", "all")
        show = show if show in SHOW_FILTERS else "all"
        wanted = SHOW_FILTERS[show][1]
        rows = [r for r in batch.rows or [] if wanted is None or r["action"] in wanted]
        by_row: dict[int, list[dict]] = {}
        for p in batch.problems or []:
            if p.get("row"):
                by_row.setdefault(p["row"], []).append(p)
        page = Paginator(rows, self.rows_per_page).get_page(self.request.GET.get("page"))
        for r in page.object_list:
            r["problems"] = by_row.get(r["row"], [])
            r["action_label"] = importing.ACTION_LABELS.get(r["action"], r["action"])
        problems = [dict(p, text=importing.problem_text(p)) for p in batch.problems or []]
        ctx.update(
            show=show,
            filters=[(key, label) for key, (label, _) in SHOW_FILTERS.items()],
            page_obj=page,
            rows=page.object_list,
            errors=[p for p in problems if p["level"] == "error"],
            warnings=[p for p in problems if p["level"] == "warning"],
            may_commit=self.may_commit(batch),
            is_clerk=can(self.request.user, CHANGE, batch),
            policies=ImportBatch.Policy.choices,
        )
        return ctx

    def may_commit(self, batch) -> bool:
        return (
            batch.state == ImportBatch.State.PARSED
            and batch.error_count == 0
            and (batch.create_count + batch.existing_count) > 0
            and can(self.request.user, CHANGE, batch)
        )


class ImportCommitView(ScopedWriteMixin, SingleObjectMixin, View):
    """POST: write the batch into the registry (all or nothing); large ones as a job.
    GET only leads back to the preview."""

    model = ImportBatch
    allowed_roles = (Role.TOWNSHIP_CLERK,)

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        batch = self.get_object()
        policy = request.POST.get("policy", ImportBatch.Policy.SKIP)
        if policy not in ImportBatch.Policy.values:
            policy = ImportBatch.Policy.SKIP
        if batch.error_count:
            messages.error(request, f"还有 {batch.error_count} 处错误，不能导入。请修改文件后重新上传。")
            return redirect(batch.get_absolute_url())
        # One commit per batch, even with two clicks or two tabs.
        claimed = ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.PARSED).update(
            state=ImportBatch.State.COMMITTING, policy=policy, message=""
        )
        if not claimed:
            messages.warning(request, "该批次已在导入或已导入，不能重复导入。")
            return redirect(batch.get_absolute_url())
        batch.state, batch.policy = ImportBatch.State.COMMITTING, policy
        if batch.total_rows > importing.BACKGROUND_ROWS:
            try:
                with transaction.atomic():
                    job = job_create(
                        kind="deputy_import_commit",
                        region=batch.region,
                        user=request.user,
                        params={"batch_id": batch.pk, "policy": policy},
                    )
                    ImportBatch.objects.filter(pk=batch.pk).update(job=job)
            except JobError as exc:
                ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.PARSED)
                messages.error(request, str(exc))
            else:
                messages.info(request, "导入已在后台开始，本页显示进度。")
            return redirect(batch.get_absolute_url())
        try:
            counts = importing.commit_batch(batch, request.user, policy)
        except importing.CommitRefused as exc:
            ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.COMMITTING).update(
                state=ImportBatch.State.PARSED, message=str(exc)[:500]
            )
            messages.error(request, str(exc))
        except Exception:
            ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.COMMITTING).update(
                state=ImportBatch.State.PARSED
            )
            raise
        else:
            messages.success(
                request,
                f"导入完成：新增代表 {counts['created']} 名，更新 {counts['updated']} 名，跳过 {counts['skipped']} 名。",
            )
        return redirect(batch.get_absolute_url())


class ImportProgressView(ScopedDetailView):
    """The progress bar of a batch's background job, polled by HTMX; once the job has
    ended the whole preview is reloaded (HX-Refresh)."""

    model = ImportBatch
    allowed_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
    template_name = "deputies/import_progress.html"

    def get_queryset(self):
        return super().get_queryset().select_related("job").defer("problems", "rows")

    def render_to_response(self, context, **kwargs):
        batch = self.object
        job = batch.job
        if batch.is_running and job is not None and job.state == job.State.FAILED:
            # The worker ended the job (a crash, a lost membership) without the batch knowing.
            if batch.state == ImportBatch.State.PARSING:
                importing.fail_batch(batch, job.message)
            else:
                ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.PARSED, message=job.message)
                batch.state = ImportBatch.State.PARSED
        response = super().render_to_response(context, **kwargs)
        if not batch.is_running:
            response["HX-Refresh"] = "true"
        return response


class ImportReportView(ScopedDetailView):
    """The check report of a batch as Excel: every problem and what happens to each row
    (ID numbers masked)."""

    model = ImportBatch
    allowed_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)

    def get(self, request, *args, **kwargs):
        batch = self.get_object()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "report.xlsx"
            importing.write_report(batch, path)
            content = path.read_bytes()
        audit_event(AuditEntry.Action.EXPORT, instance=batch, note="下载代表信息导入校验结果")
        return xlsx_response(content, f"代表信息导入校验结果-{batch.region.name}-批次{batch.pk}.xlsx")
