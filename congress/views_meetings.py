"""Pages of the meetings part: the list, registering and editing a meeting, its page with
the quorum box, roll, agenda, results, documents and minutes; the roll form, marking it
held, agenda items, votes, candidates; the sign-in sheet, ballots and minutes as PDF; and
the yearly compliance table. Rows come through the scoping rule (org.mixins); writes go
through congress.services_meetings."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.generic import TemplateView

from deputies.models import Deputy
from org.audit import audit_event
from org.forms import add_service_errors as attach_errors
from org.mixins import (
    RoleRequiredMixin,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    ScopedWriteMixin,
    scope_form_fields,
)
from org.models import AuditEntry, Region, user_memberships, user_roles
from org.roles import TOWNSHIP_KINDS, Role
from org.scoping import CHANGE, can
from org.xlsx import write_sheet

from . import compliance_meetings as compliance
from . import pdf_meetings, rules
from . import selectors_meetings as selectors
from . import services_meetings as services
from .forms_meetings import (
    AgendaItemForm,
    CandidateFormSet,
    MeetingDocumentForm,
    MeetingFilterForm,
    MeetingForm,
    MeetingUpdateForm,
    VoteCountsForm,
)
from .models import AgendaItem, Attendance, DeputyVote, Meeting, MeetingDocument

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CLERK = (Role.TOWNSHIP_CLERK,)
FIRST_YEAR = 2000
# At most this many ballots in one PDF (a township congress has at most about a hundred deputies).
MAX_BALLOTS = 200


def clerk_townships(user) -> list[Region]:
    return [
        m.region for m in user_memberships(user) if m.role == Role.TOWNSHIP_CLERK and m.region.kind in TOWNSHIP_KINDS
    ]


def requested_year(request) -> int:
    """?year=, or this year when it is missing or not a sensible year."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "")
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= this_year + 1:
        return int(raw)
    return this_year


def _pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


# --- list, create, edit -----------------------------------------------------------------------


class MeetingListView(ScopedListView):
    """Sessions and presidium meetings of the region looked at, filtered by year and kind;
    county staff see every township's, with a township filter."""

    model = Meeting
    allowed_roles = BUSINESS
    template_name = "congress/meetings/meeting_list.html"

    def get_queryset(self):
        scoped = super().get_queryset()
        user = self.request.user
        self.show_township = Role.COUNTY_ADMIN in user_roles(user)
        townships = None
        if self.show_township:
            townships = Region.objects.townships().for_user(user).in_region(self.request.active_region)
            townships = townships.order_by("code")
        self.filter_form = MeetingFilterForm(
            self.request.GET or None, years=selectors.meeting_years(scoped), townships=townships
        )
        return selectors.meeting_list(scoped, **self.filter_form.filters())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            filter_form=self.filter_form,
            show_township=self.show_township,
            can_create=Role.TOWNSHIP_CLERK in user_roles(self.request.user),
        )
        return ctx


class MeetingCreateView(ScopedCreateView):
    model = Meeting
    form_class = MeetingForm
    allowed_roles = CLERK
    template_name = "congress/meetings/meeting_form.html"

    def townships(self) -> list[Region]:
        towns = clerk_townships(self.request.user)
        active = self.request.active_region
        if active is not None and any(t.pk == active.pk for t in towns):
            towns = [t for t in towns if t.pk == active.pk]
        if not towns:
            raise PermissionDenied("您没有乡镇（街道）的人大秘书角色，不能登记会议。")
        return towns

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["townships"] = self.townships()
        kind = self.request.GET.get("kind")
        if kind in Meeting.Kind.values:
            kwargs.setdefault("initial", {})["kind"] = kind
        return kwargs

    def form_valid(self, form):
        try:
            self.object = services.meeting_create(
                region=form.cleaned_data["region"], user=self.request.user, **form.service_fields()
            )
        except ValidationError as exc:
            attach_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已登记“{self.object.title}”。下一步：按会议日期生成出席名单、添加议程。")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="登记会议", back_url=reverse("congress:meeting-list"), **kwargs)


class MeetingUpdateView(ScopedUpdateView):
    model = Meeting
    form_class = MeetingUpdateForm
    allowed_roles = CLERK
    template_name = "congress/meetings/meeting_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "term")

    def form_valid(self, form):
        try:
            services.meeting_update(meeting=self.object, user=self.request.user, **form.service_fields())
        except ValidationError as exc:
            attach_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存“{self.object.title}”。")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"修改：{self.object.title}", back_url=self.object.get_absolute_url(), **kwargs
        )


# --- one meeting ------------------------------------------------------------------------------


class MeetingDetailView(ScopedDetailView):
    model = Meeting
    allowed_roles = BUSINESS
    template_name = "congress/meetings/meeting_detail.html"

    def get_queryset(self):
        return selectors.meeting_detail(super().get_queryset())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        meeting = self.object
        rows = selectors.roll_rows(meeting)
        counts = {
            "present": sum(1 for r in rows if r.status == Attendance.Status.PRESENT),
            "leave": sum(1 for r in rows if r.status == Attendance.Status.LEAVE),
            "absent": sum(1 for r in rows if r.status == Attendance.Status.ABSENT),
            "total": len(rows),
        }
        can_write = can(self.request.user, CHANGE, meeting)
        agenda = list(meeting.agenda.all())
        for item in agenda:
            item.candidate_rows = sorted(item.candidates.all(), key=lambda c: (c.position, -c.votes, c.pk))
        ctx.update(
            summary=selectors.quorum_summary(meeting, counts),
            present=[r for r in rows if r.status == Attendance.Status.PRESENT],
            on_leave=[r for r in rows if r.status == Attendance.Status.LEAVE],
            absent=[r for r in rows if r.status == Attendance.Status.ABSENT],
            agenda=agenda,
            documents=list(meeting.documents.all()),
            can_write=can_write,
            document_form=kwargs.get("document_form") or (MeetingDocumentForm() if can_write else None),
        )
        return ctx


def _render_detail(request, meeting, status=200, **extra):
    view = MeetingDetailView(request=request, kwargs={"pk": meeting.pk})
    view.object = view.get_object()
    return render(request, view.template_name, view.get_context_data(object=view.object, **extra), status=status)


class MeetingActionMixin(ScopedWriteMixin):
    """A form or POST action on one meeting the user may change; GET of a POST-only action
    goes back to the meeting (after the scope check: 404 outside it)."""

    model = Meeting
    allowed_roles = CLERK

    def get_queryset(self):
        return super().get_queryset().select_related("region", "term")


class MeetingRollView(MeetingActionMixin, ScopedDetailView):
    """The attendance roll in one form: every deputy serving on the meeting's date with
    出席 / 请假 / 缺席 (出席 unless set otherwise) and the reason for leave. Saving builds
    the roll from the serving deputies and stores the statuses."""

    template_name = "congress/meetings/meeting_roll.html"

    def rows(self, meeting, posted=None):
        stored = {a.deputy_id: a for a in meeting.roll.all()}
        held = meeting.state == Meeting.State.HELD
        deputies = [a.deputy for a in selectors.roll_rows(meeting)] if held else list(selectors.roll_deputies(meeting))
        rows = []
        for deputy in deputies:
            a = stored.get(deputy.pk)
            status = a.status if a else Attendance.Status.PRESENT
            note = a.note if a else ""
            if posted is not None:
                status = posted.get(f"status_{deputy.pk}", status)
                note = posted.get(f"note_{deputy.pk}", note)
            rows.append({"deputy": deputy, "status": status, "note": note, "new": a is None})
        wanted = {d.pk for d in deputies}
        leaving = [a for a in selectors.roll_rows(meeting) if a.deputy_id not in wanted]
        return rows, leaving

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        meeting = self.object
        rows, leaving = self.rows(meeting, kwargs.get("posted"))
        present = sum(1 for r in rows if r["status"] == Attendance.Status.PRESENT)
        ctx.update(
            rows=rows,
            leaving=leaving,
            statuses=Attendance.Status.choices,
            held=meeting.state == Meeting.State.HELD,
            built=meeting.roll.exists(),
            serving=len(rows),
            present=present,
            needed=rules.quorum_needed(len(rows)),
            errors=kwargs.get("errors", []),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = meeting = self.get_object()
        deputies_on_form = [k.removeprefix("status_") for k in request.POST if k.startswith("status_")]
        statuses = {int(k): request.POST[f"status_{k}"] for k in deputies_on_form if k.isdigit()}
        notes = {int(k): request.POST.get(f"note_{k}", "") for k in deputies_on_form if k.isdigit()}
        try:
            services.meeting_roll_save(meeting=meeting, statuses=statuses, notes=notes, user=request.user)
        except ValidationError as exc:
            ctx = self.get_context_data(object=meeting, posted=request.POST, errors=exc.messages)
            return render(request, self.template_name, ctx, status=400)
        summary = selectors.quorum_summary(meeting)
        messages.success(
            request,
            f"已保存出席情况：应到{summary['serving']}人，实到{summary['present']}人，"
            f"请假{summary['leave']}人，缺席{summary['absent']}人。",
        )
        return redirect(f"{meeting.get_absolute_url()}#roll")


class MeetingHeldView(MeetingActionMixin, ScopedDetailView):
    """POST: mark the meeting held (a session only with quorum)."""

    template_name = "congress/meetings/meeting_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        meeting = self.get_object()
        try:
            services.meeting_mark_held(meeting=meeting, user=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return _render_detail(request, meeting, status=400)
        messages.success(request, f"已将“{meeting.title}”标记为已召开。")
        return redirect(meeting.get_absolute_url())


class MeetingDocumentUploadView(MeetingActionMixin, ScopedDetailView):
    """POST a document to a meeting; GET goes back to it."""

    template_name = "congress/meetings/meeting_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        meeting = self.get_object()
        form = MeetingDocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = services.meeting_document_add(
                    meeting=meeting,
                    upload=form.cleaned_data["file"],
                    title=form.cleaned_data.get("title") or "",
                    user=request.user,
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已上传“{row.title}”。")
                return redirect(f"{meeting.get_absolute_url()}#documents")
        messages.error(request, "上传失败：" + "；".join(e for errs in form.errors.values() for e in errs))
        return _render_detail(request, meeting, status=400, document_form=form)


class MeetingDocumentView(ScopedDetailView):
    """A document of a meeting the user may read: pictures inline, others downloaded."""

    model = MeetingDocument
    allowed_roles = BUSINESS

    def get(self, request, *args, **kwargs):
        row = self.get_object()
        stored = row.file.name.rsplit("/", 1)[-1]
        ext = stored.rsplit(".", 1)[-1] if "." in stored else ""
        name = f"{row.title}.{ext}" if ext and not row.title.lower().endswith(f".{ext.lower()}") else row.title
        try:
            fh = row.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404("文件已不存在。") from None
        inline = row.content_type.startswith("image/")
        return FileResponse(fh, content_type=row.content_type or None, as_attachment=not inline, filename=name)


# --- agenda -----------------------------------------------------------------------------------


class AgendaItemCreateView(MeetingActionMixin, ScopedDetailView):
    """Add an item to the agenda of the meeting `pk`."""

    template_name = "congress/meetings/agenda_form.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        meeting = self.object
        if "form" not in kwargs:
            order = (max((i.order for i in meeting.agenda.all()), default=0)) + 1
            ctx["form"] = AgendaItemForm(initial={"order": order})
        ctx.update(meeting=meeting, title=f"添加议程：{meeting.title}", back_url=meeting.get_absolute_url())
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = meeting = self.get_object()
        form = AgendaItemForm(request.POST)
        if form.is_valid():
            try:
                item = services.agenda_item_add(meeting=meeting, user=request.user, **form.service_fields())
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已添加议程“{item.title}”。")
                return redirect(f"{meeting.get_absolute_url()}#agenda")
        return render(request, self.template_name, self.get_context_data(object=meeting, form=form), status=400)


class AgendaItemMixin:
    model = AgendaItem
    allowed_roles = CLERK

    def get_queryset(self):
        return super().get_queryset().select_related("meeting__region", "meeting__term")


class AgendaItemUpdateView(AgendaItemMixin, ScopedUpdateView):
    form_class = AgendaItemForm
    template_name = "congress/meetings/agenda_form.html"

    def form_valid(self, form):
        try:
            services.agenda_item_update(item=self.object, user=self.request.user, **form.service_fields())
        except ValidationError as exc:
            attach_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已保存议程“{self.object.title}”。")
        return redirect(f"{self.object.meeting.get_absolute_url()}#agenda")

    def get_context_data(self, **kwargs):
        meeting = self.object.meeting
        return super().get_context_data(
            meeting=meeting, title=f"修改议程：{self.object.title}", back_url=meeting.get_absolute_url(), **kwargs
        )


class AgendaItemDeleteView(AgendaItemMixin, ScopedDeleteView):
    template_name = "congress/meetings/agenda_confirm_delete.html"

    def form_valid(self, form):
        meeting = self.object.meeting
        title = self.object.title
        services.agenda_item_delete(item=self.object, user=self.request.user)
        messages.success(self.request, f"已删除议程“{title}”。")
        return redirect(f"{meeting.get_absolute_url()}#agenda")


class AgendaVoteView(AgendaItemMixin, ScopedWriteMixin, ScopedDetailView):
    """Record an item's vote: the tellers' counts, or each present deputy's vote in a grid
    (?mode=deputies)."""

    template_name = "congress/meetings/agenda_vote.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        item = self.object
        meeting = item.meeting
        mode = kwargs.get("mode") or self.request.GET.get("mode") or "counts"
        votes = selectors.item_votes(item)
        posted = kwargs.get("posted")
        present = [r for r in selectors.roll_rows(meeting) if r.status == Attendance.Status.PRESENT]
        grid = [
            {
                "deputy": r.deputy,
                "choice": (posted.get(f"vote_{r.deputy_id}", "") if posted is not None else votes.get(r.deputy_id, "")),
            }
            for r in present
        ]
        ctx.update(
            item=item,
            meeting=meeting,
            mode="deputies" if mode == "deputies" else "counts",
            counts_form=kwargs.get("counts_form")
            or VoteCountsForm(initial={"yes": item.yes, "no": item.no, "abstain": item.abstain}),
            grid=grid,
            choices=DeputyVote.Choice.choices,
            summary=selectors.quorum_summary(meeting),
            errors=kwargs.get("errors", []),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = item = self.get_object()
        mode = request.POST.get("mode", "counts")
        try:
            if mode == "deputies":
                choices = {
                    int(k.removeprefix("vote_")): v
                    for k, v in request.POST.items()
                    if k.startswith("vote_") and k.removeprefix("vote_").isdigit()
                }
                services.agenda_vote_record_per_deputy(item=item, choices=choices, user=request.user)
            else:
                form = VoteCountsForm(request.POST)
                if not form.is_valid():
                    ctx = self.get_context_data(object=item, mode="counts", counts_form=form)
                    return render(request, self.template_name, ctx, status=400)
                try:
                    services.agenda_vote_record(item=item, user=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    attach_errors(form, exc)
                    ctx = self.get_context_data(object=item, mode="counts", counts_form=form)
                    return render(request, self.template_name, ctx, status=400)
        except ValidationError as exc:
            ctx = self.get_context_data(object=item, mode=mode, posted=request.POST, errors=exc.messages)
            return render(request, self.template_name, ctx, status=400)
        messages.success(
            request,
            f"已登记“{item.title}”的表决结果：赞成{item.yes}、反对{item.no}、弃权{item.abstain}，"
            f"{item.get_result_display()}。",
        )
        return redirect(f"{item.meeting.get_absolute_url()}#agenda")


class AgendaCandidatesView(AgendaItemMixin, ScopedWriteMixin, ScopedDetailView):
    """The candidates of an election item and their votes (one row each)."""

    template_name = "congress/meetings/agenda_candidates.html"

    def deputies(self, meeting):
        return Deputy.objects.filter(region=meeting.region).order_by("name_initials", "pk")

    def formset(self, data=None):
        item = self.object
        initial = [
            {"name": c.name, "deputy": c.deputy_id, "position": c.position, "votes": c.votes}
            for c in selectors.item_candidates(item)
        ]
        formset = CandidateFormSet(
            data, initial=initial, prefix="c", form_kwargs={"deputies": self.deputies(item.meeting)}
        )
        for form in formset.forms:
            scope_form_fields(form, self.request.user)
        return formset

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        item = self.object
        ctx.update(
            item=item,
            meeting=item.meeting,
            formset=kwargs.get("formset") or self.formset(),
            summary=selectors.quorum_summary(item.meeting),
            errors=kwargs.get("errors", []),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = item = self.get_object()
        formset = self.formset(request.POST)
        if formset.is_valid():
            rows = [f.row() for f in formset.forms if f.cleaned_data and not f.is_blank()]
            try:
                elected = services.election_candidates_set(item=item, candidates=rows, user=request.user)
            except ValidationError as exc:
                ctx = self.get_context_data(object=item, formset=formset, errors=exc.messages)
                return render(request, self.template_name, ctx, status=400)
            names = "、".join(c.name for c in elected if c.elected) or "无人"
            messages.success(request, f"已保存“{item.title}”的选举结果：{names}当选。")
            return redirect(f"{item.meeting.get_absolute_url()}#agenda")
        return render(request, self.template_name, self.get_context_data(object=item, formset=formset), status=400)


# --- PDFs -------------------------------------------------------------------------------------


class MeetingSigninPdfView(ScopedDetailView):
    """The sign-in sheet 签到表 of a meeting (A4, header repeated on every page)."""

    model = Meeting
    allowed_roles = BUSINESS

    def get_queryset(self):
        return super().get_queryset().select_related("region", "term")

    def get(self, request, *args, **kwargs):
        meeting = self.get_object()
        content = pdf_meetings.signin_pdf(request, meeting)
        audit_event(AuditEntry.Action.EXPORT, instance=meeting, note="打印签到表（PDF）", request=request)
        return _pdf_response(content, pdf_meetings.filename(meeting, "签到表"))


class MeetingMinutesPdfView(MeetingSigninPdfView):
    """The minutes 会议纪要: attendance summary and quorum, agenda and results, the text."""

    def get(self, request, *args, **kwargs):
        meeting = self.get_object()
        content = pdf_meetings.minutes_pdf(request, meeting)
        audit_event(AuditEntry.Action.EXPORT, instance=meeting, note="打印会议纪要（PDF）", request=request)
        return _pdf_response(content, pdf_meetings.filename(meeting, "会议纪要"))


class AgendaBallotPdfView(ScopedDetailView):
    """The ballots of an agenda item: 表决票 with 赞成/反对/弃权 boxes, or for an election the
    选票 with its candidates. ?copies= (default: the serving deputies), ?per_page=1|2."""

    model = AgendaItem
    allowed_roles = BUSINESS

    def get_queryset(self):
        return super().get_queryset().select_related("meeting__region", "meeting__term")

    def get(self, request, *args, **kwargs):
        item = self.get_object()
        raw = request.GET.get("copies", "")
        copies = int(raw) if raw.isdigit() else (item.meeting.serving_count or 1)
        copies = min(max(copies, 1), MAX_BALLOTS)
        raw = request.GET.get("per_page", "")
        per_page = int(raw) if raw.isdigit() and int(raw) in pdf_meetings.BALLOTS_PER_PAGE else 2
        content = pdf_meetings.ballot_pdf(request, item, copies=copies, per_page=per_page)
        what = "选票" if item.kind == AgendaItem.Kind.ELECTION else "表决票"
        audit_event(AuditEntry.Action.EXPORT, instance=item, note=f"打印{what}{copies}张（PDF）", request=request)
        return _pdf_response(content, f"{what}-{item.meeting.title}-{item.title}.pdf")


# --- compliance -------------------------------------------------------------------------------


class MeetingComplianceView(RoleRequiredMixin, TemplateView):
    """会议情况统计: per township of the region looked at, for a year (?year=), sessions held,
    presidium meetings per quarter and the flags; ?format=xlsx downloads it."""

    allowed_roles = BUSINESS
    template_name = "congress/meetings/compliance.html"
    scope_exempt = (
        "a table of the townships in the user's scope (Region.objects.townships().for_user, Meeting.objects."
        "for_user in compliance_meetings.yearly_table); tests/congress/test_meetings.py"
    )

    def get(self, request, *args, **kwargs):
        self.year = requested_year(request)
        self.on = compliance.reference_date()
        self.rows = compliance.yearly_table(request.user, request.active_region, year=self.year, on=self.on)
        if request.GET.get("format") == "xlsx":
            return self.xlsx()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        this_year = timezone.localdate().year
        month, day = compliance.FIRST_SESSION_BY
        ctx.update(
            year=self.year,
            years=list(range(this_year, this_year - 6, -1)),
            rows=self.rows,
            totals=compliance.summary(self.rows),
            on=self.on,
            deadline=f"{month}月{day}日",
            min_sessions=compliance.MIN_SESSIONS,
            xlsx_url=reverse("congress:meeting-compliance") + "?" + urlencode({"year": self.year, "format": "xlsx"}),
        )
        return ctx

    def xlsx(self):
        def rows():
            for r in self.rows:
                yield [
                    r["township"].name,
                    r["sessions_held"],
                    r["sessions_lawful"],
                    f"{r['first_session']:%Y-%m-%d}" if r["first_session"] else "",
                    *[q["count"] for q in r["quarters"]],
                    "；".join(r["flags"]) or "无",
                ]

        # FileResponse closes (and so deletes) the file once it is sent.
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
        write_sheet(
            tmp.name,
            title=f"{self.year}年会议情况",
            header=[
                "乡镇",
                "召开人代会（次）",
                "其中依法召开（次）",
                "首次人代会日期",
                "一季度主席团会议",
                "二季度主席团会议",
                "三季度主席团会议",
                "四季度主席团会议",
                "问题",
            ],  # fmt: skip
            rows=rows(),
            widths=[16, 14, 16, 14, 14, 14, 14, 14, 70],
        )
        audit_event(AuditEntry.Action.EXPORT, note=f"导出{self.year}年会议情况统计（Excel）", request=self.request)
        tmp.seek(0)
        return FileResponse(tmp, as_attachment=True, filename=f"会议情况统计-{self.year}年.xlsx")
