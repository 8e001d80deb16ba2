"""Pages of the livelihood-project vote 民生实事项目代表票决制: the township-year board (or the
county overview), candidates registered and edited, the shortlist (初定) and the session it
goes to, the ballot entry per project (per deputy or counted), the session's result with the
ranking, progress reports and the year-end rating, and the ballot and result-notice PDFs.
Rows come through the scoping rule (org.mixins); writes go through services_livelihood."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from deputies.forms import add_service_errors
from org.audit import audit_event
from org.mixins import ScopedCreateView, ScopedDetailView, ScopedListView, ScopedUpdateView
from org.models import AuditEntry, Region
from org.roles import Role
from org.scoping import CHANGE, can
from stations.models import VoterIssue

from . import pdf_livelihood, rules
from . import selectors_livelihood as selectors
from . import services_livelihood as services
from .forms_livelihood import (
    AgendaForm,
    BallotGridForm,
    CountsForm,
    ProgressForm,
    ProjectForm,
    RankForm,
    RateForm,
    ShortlistForm,
)
from .models import LivelihoodProject, Meeting

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
CLERK = (Role.TOWNSHIP_CLERK,)
State = LivelihoodProject.State


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 6 else None


def _board_url(township, year) -> str:
    url = reverse("congress:livelihood-list")
    params = [f"year={year}"] if year else []
    if township is not None:
        params.insert(0, f"township={township.pk}")
    return f"{url}?{'&'.join(params)}" if params else url


# --- the board ------------------------------------------------------------------------------


class BoardMixin:
    """The township and year a board page shows: ?township= (one the user may see, in the
    region picked in the top bar; a clerk's own township by default) and ?year= (the
    latest year with projects by default)."""

    model = LivelihoodProject
    allowed_roles = BUSINESS

    def resolve_board(self):
        user, region = self.request.user, self.request.active_region
        self.townships = list(Region.objects.townships().for_user(user).in_region(region).order_by("code"))
        wanted = _int(self.request.GET.get("township") or self.request.POST.get("township"))
        by_pk = {t.pk: t for t in self.townships}
        self.township = by_pk.get(wanted) or (self.townships[0] if len(self.townships) == 1 else None)
        scoped = LivelihoodProject.objects.for_user(user).in_region(region)
        if self.township is not None:
            scoped = scoped.filter(region=self.township)
        self.years = selectors.years_with_projects(scoped)
        self.year = _int(self.request.GET.get("year") or self.request.POST.get("year")) or selectors.default_year(
            scoped, timezone.localdate()
        )
        self.can_write = self.township is not None and services.may_write_in(user, self.township)

    def board_context(self, projects) -> dict:
        this_year = timezone.localdate().year
        years = sorted({*self.years, self.year, this_year, this_year + 1}, reverse=True)
        return {
            "township": self.township,
            "townships": self.townships,
            "year": self.year,
            "years": years,
            "can_write": self.can_write,
            "columns": selectors.projects_by_stage(projects) if self.township is not None else [],
            "board_url": _board_url(self.township, self.year),
        }


class LivelihoodListView(BoardMixin, ScopedListView):
    """民生实事票决: one township's board of the year (candidates → shortlist → vote →
    adopted with progress), or for the county the overview per township and every project."""

    template_name = "congress/livelihood/list.html"

    def get_paginate_by(self, queryset):
        # A township-year holds tens of candidates: its board is one page.
        return None if self.township is not None else self.paginate_by

    def get_queryset(self):
        self.resolve_board()
        return selectors.project_list(super().get_queryset(), year=self.year, township=self.township)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(self.board_context(ctx["object_list"]))
        base = LivelihoodProject.objects.for_user(self.request.user).in_region(self.request.active_region)
        base = base.filter(year=self.year)
        if self.township is not None:
            base = base.filter(region=self.township)
            ctx["meetings"] = self.vote_meetings(ctx["object_list"])
        else:
            regions = Region.objects.for_user(self.request.user).in_region(self.request.active_region)
            ctx["overview"] = selectors.county_overview(regions, year=self.year)
        ctx["counts"] = selectors.stage_counts(base)
        return ctx

    @staticmethod
    def vote_meetings(projects) -> list[Meeting]:
        seen = {}
        for p in projects:
            if p.agenda_item_id is not None:
                seen.setdefault(p.agenda_item.meeting_id, p.agenda_item.meeting)
        return list(seen.values())


class _BoardActionView(LivelihoodListView):
    """A board page with one form of the township-year's workflow (POST runs it)."""

    http_method_names = ["get", "post"]
    title = ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        if self.can_write:
            ctx.setdefault("form", kwargs.get("form") or self.make_form())
        return ctx

    def get(self, request, *args, **kwargs):
        self.resolve_board()
        if self.township is None:
            # County-wide there is no one township-year to act on: pick one on the board.
            messages.info(request, f"请先选择乡镇，再{self.title}。")
            return redirect(_board_url(None, self.year))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object_list = self.get_queryset()
        if not self.can_write:
            raise PermissionDenied("只有本乡镇人大秘书可以办理。")
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                message = self.perform(form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect(_board_url(self.township, self.year))
        return self.render_to_response(self.get_context_data(form=form))


class LivelihoodShortlistView(_BoardActionView):
    """初定候选项目: tick the candidates that go on the ballot and say how many places."""

    template_name = "congress/livelihood/shortlist.html"
    title = "初定候选项目"

    def pool(self):
        return LivelihoodProject.objects.for_user(self.request.user, CHANGE).filter(
            region=self.township, year=self.year, state__in=selectors.PRE_AGENDA_STATES
        )

    def make_form(self, data=None):
        pool = self.pool().order_by("pk")
        initial = {"projects": [p.pk for p in pool if p.state == State.SHORTLISTED]}
        return ShortlistForm(data, pool=pool, initial=initial)

    def perform(self, d):
        chosen = services.projects_shortlist(
            region=self.township,
            year=self.year,
            project_ids=[p.pk for p in d["projects"]],
            places=d["places"],
            user=self.request.user,
        )
        return f"已初定{len(chosen)}个候选项目（拟确定{d['places']}个），其余候选项目未列入。"


class LivelihoodAgendaView(_BoardActionView):
    """提交票决: put the shortlisted projects on a session of the same township and year."""

    template_name = "congress/livelihood/agenda.html"
    title = "提交会议票决"

    def make_form(self, data=None):
        sessions = selectors.sessions_for(
            Meeting.objects.for_user(self.request.user, CHANGE), township=self.township, year=self.year
        )
        return AgendaForm(data, sessions=sessions)

    def perform(self, d):
        item = services.projects_put_on_agenda(meeting=d["meeting"], user=self.request.user)
        n = item.livelihood_projects.count()
        return f"已将{n}个候选项目提交“{d['meeting']}”票决（议程：{item.title}）。"


# --- one project ----------------------------------------------------------------------------


class LivelihoodCreateView(ScopedCreateView):
    """登记候选项目; ?issue=<id> starts from a voter's opinion (群众征集)."""

    model = LivelihoodProject
    form_class = ProjectForm
    allowed_roles = CLERK
    template_name = "congress/livelihood/form.html"

    def get_issue(self):
        pk = _int(self.request.GET.get("issue"))
        if pk is None:
            return None
        return VoterIssue.objects.for_user(self.request.user, CHANGE).filter(pk=pk).first()

    def get_form_kwargs(self):
        self.issue = self.get_issue()
        return {**super().get_form_kwargs(), "user": self.request.user, "issue": self.issue}

    def get_initial(self):
        initial = super().get_initial()
        year = _int(self.request.GET.get("year"))
        if year:
            initial["year"] = year
        issue = getattr(self, "issue", None) or self.get_issue()
        if issue is not None:
            initial.update(
                region=issue.region,
                voter_issue=issue,
                source=LivelihoodProject.Source.PUBLIC,
                description=issue.content,
                proposer=issue.voter_name or "选民群众",
            )
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="登记民生实事候选项目", back_url=reverse("congress:livelihood-list"), **kwargs
        )

    def form_valid(self, form):
        d = dict(form.cleaned_data)
        region, issue = d.pop("region"), d.pop("voter_issue", None)
        try:
            if issue is not None:
                project = services.project_create_from_issue(issue=issue, user=self.request.user, **d)
            else:
                project = services.project_create(region=region, user=self.request.user, **d)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"已登记候选项目“{project.title}”。")
        return redirect(project.get_absolute_url())


class LivelihoodUpdateView(ScopedUpdateView):
    model = LivelihoodProject
    form_class = ProjectForm
    allowed_roles = CLERK
    template_name = "congress/livelihood/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"修改：{self.object.title}", back_url=self.object.get_absolute_url(), **kwargs
        )

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        project = LivelihoodProject.objects.get(pk=self.object.pk)
        try:
            services.project_update(project=project, user=self.request.user, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "已保存。")
        return redirect(project.get_absolute_url())


class LivelihoodDetailView(ScopedDetailView):
    model = LivelihoodProject
    allowed_roles = BUSINESS
    template_name = "congress/livelihood/detail.html"

    def get_queryset(self):
        return selectors.with_progress(
            super().get_queryset().select_related("region", "voter_issue", "agenda_item__meeting__term")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        project = self.object
        meeting = project.agenda_item.meeting if project.agenda_item_id else None
        ctx.update(
            can_write=can(self.request.user, CHANGE, project),
            meeting=meeting,
            serving=selectors.serving_of(meeting) if meeting else None,
            ballots=list(project.ballots.select_related("deputy").order_by("deputy__name_initials", "deputy_id")),
            reports=selectors.progress_reports(project),
            rate=selectors.satisfaction_rate(project),
            rated=project.satisfied + project.basically_satisfied + project.unsatisfied,
            is_adopted=project.state in selectors.ADOPTED_STATES,
            can_report=project.state in (State.ADOPTED, State.IN_PROGRESS),
        )
        if meeting is not None:
            ctx["majority"] = rules.majority_needed(ctx["serving"])
            ctx["passed"] = rules.passes(yes=project.yes, serving=ctx["serving"])
        return ctx


class _ProjectFormView(ScopedDetailView):
    """A form about one project: GET for anyone who sees it (read-only without the right to
    change it), POST only with it."""

    model = LivelihoodProject
    allowed_roles = BUSINESS
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("region", "agenda_item__meeting__term")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_write"] = can(self.request.user, CHANGE, self.object)
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not can(request.user, CHANGE, self.object):
            raise PermissionDenied("您无权办理此民生实事项目。")
        return self.handle(request)


class LivelihoodBallotsView(_ProjectFormView):
    """录入表决结果 of one project: a grid of the deputies who may vote (赞成/反对/弃权), or
    the counts of the paper ballots (POST mode=counts)."""

    template_name = "congress/livelihood/ballots.html"

    def forms(self, data=None, mode=""):
        project = self.object
        meeting = project.agenda_item.meeting if project.agenda_item_id else None
        if meeting is None:
            return None, None, None, False
        voters, from_roll = selectors.voters_of(meeting)
        current = dict(project.ballots.values_list("deputy_id", "choice"))
        grid = BallotGridForm(data if mode == "ballots" else None, voters=voters, current=current)
        counts = CountsForm(
            data if mode == "counts" else None,
            initial={"yes": project.yes, "no": project.no, "abstain": project.abstain},
        )
        return meeting, grid, counts, from_roll

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        meeting, grid, counts, from_roll = self.forms()
        ctx.update(
            meeting=meeting,
            grid=kwargs.get("grid") or grid,
            counts_form=kwargs.get("counts_form") or counts,
            from_roll=from_roll,
            open=self.object.state == State.ON_AGENDA,
            n_ballots=self.object.ballots.count(),
        )
        if meeting is not None:
            ctx["serving"] = selectors.serving_of(meeting)
            ctx["present"] = selectors.present_count(meeting)
        return ctx

    def handle(self, request):
        mode = request.POST.get("mode", "")
        meeting, grid, counts, _from_roll = self.forms(request.POST, mode)
        if meeting is None or mode not in ("ballots", "counts"):
            messages.error(request, "该项目尚未提交会议票决。")
            return redirect(self.object.get_absolute_url())
        form = grid if mode == "ballots" else counts
        if form.is_valid():
            try:
                if mode == "ballots":
                    project = services.project_ballots_record(
                        project=self.object, choices=form.choices(), user=request.user
                    )
                else:
                    project = services.project_counts_record(
                        project=self.object, user=request.user, **form.cleaned_data
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"已录入“{project.title}”的表决结果：赞成{project.yes}票，反对{project.no}票，弃权{project.abstain}票。",
                )
                return redirect("congress:livelihood-result", pk=meeting.pk)
        extra = {"grid": form} if mode == "ballots" else {"counts_form": form}
        return self.render_to_response(self.get_context_data(**extra))


class LivelihoodProgressView(_ProjectFormView):
    """季度实施进度 of an adopted project."""

    template_name = "congress/livelihood/progress_form.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            form=kwargs.get("form") or ProgressForm(),
            reports=selectors.progress_reports(self.object),
            open=self.object.state in (State.ADOPTED, State.IN_PROGRESS),
        )
        return ctx

    def handle(self, request):
        form = ProgressForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.project_progress_report(
                    project=self.object,
                    quarter=d["quarter"],
                    percent=d["percent"],
                    report=d["report"],
                    reported_on=d.get("reported_on"),
                    user=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已填报第{d['quarter']}季度进度（{d['percent']}%）。")
                return redirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form))


class LivelihoodRateView(_ProjectFormView):
    """年终满意度测评 of an adopted project by the deputies."""

    template_name = "congress/livelihood/rate_form.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        p = self.object
        initial = {"satisfied": p.satisfied, "basically_satisfied": p.basically_satisfied, "unsatisfied": p.unsatisfied}
        ctx.update(
            form=kwargs.get("form") or RateForm(initial=initial),
            open=p.state in selectors.ADOPTED_STATES,
            serving=rules.serving_count_on(p.region, timezone.localdate()),
        )
        return ctx

    def handle(self, request):
        form = RateForm(request.POST)
        if form.is_valid():
            try:
                services.project_rate(project=self.object, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "已保存满意度测评结果。")
                return redirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form))


# --- one session's vote ---------------------------------------------------------------------


class LivelihoodResultView(ScopedDetailView):
    """票决结果 of a session (pk: the Meeting): each project's counts, whether it passed, and
    the ranking into the places — previewed with ?places=, decided by POST."""

    model = Meeting
    allowed_roles = BUSINESS
    template_name = "congress/livelihood/result.html"
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("region", "term")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        meeting = self.object
        state = services.vote_state(meeting)
        projects = list(selectors.meeting_projects(meeting))
        form = kwargs.get("form")
        places = _int(self.request.GET.get("places"))
        if form is None:
            form = RankForm(initial={"places": places} if places else None)
        preview = []
        if places and state.pending:
            preview = services.rank_preview(meeting, places)
        decided_years = {p.year for p in projects}
        ctx.update(
            vote=state,
            projects=projects,
            form=form,
            places=places,
            preview=preview,
            can_write=can(self.request.user, CHANGE, meeting),
            year=min(decided_years) if decided_years else meeting.date.year,
            quorum_needed=rules.quorum_needed(state.serving),
            quorum_ok=state.present is None or rules.quorum_met(present=state.present, serving=state.serving),
            revote=[p for p in state.pending if p.rank is not None],
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = meeting = self.get_object()
        if not can(request.user, CHANGE, meeting):
            raise PermissionDenied("您无权办理此会议的票决。")
        form = RankForm(request.POST)
        if form.is_valid():
            try:
                ranked = services.projects_rank(meeting=meeting, places=form.cleaned_data["places"], user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                adopted = sum(1 for r in ranked if r.outcome == services.ADOPT)
                revote = [r.project.title for r in ranked if r.outcome == services.REVOTE]
                text = f"已确定票决结果：{adopted}个项目票决通过。"
                if revote:
                    text += f"{'、'.join(revote)}得票相同，需就这些项目重新表决。"
                messages.success(request, text)
                return redirect("congress:livelihood-result", pk=meeting.pk)
        return self.render_to_response(self.get_context_data(form=form))


class _MeetingPdfView(ScopedDetailView):
    model = Meeting
    allowed_roles = BUSINESS
    what = ""

    def get_queryset(self):
        return super().get_queryset().select_related("region", "term")

    def get(self, request, *args, **kwargs):
        meeting = self.object = self.get_object()
        try:
            content, filename = self.build(request, meeting)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("congress:livelihood-result", pk=meeting.pk)
        audit_event(AuditEntry.Action.EXPORT, instance=meeting, note=f"导出{self.what}（PDF）", request=request)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, filename)
        return response


class LivelihoodBallotPdfView(_MeetingPdfView):
    """The 票决票 of a session: its projects with 赞成/反对/弃权 boxes (?places= says how
    many are to be chosen)."""

    what = "民生实事项目票决票"

    def build(self, request, meeting):
        places = _int(request.GET.get("places"))
        return pdf_livelihood.ballot_pdf(request, meeting, places=places), pdf_livelihood.ballot_filename(meeting)


class LivelihoodNoticePdfView(_MeetingPdfView):
    """The 结果公告 of a session's vote, once it is decided."""

    what = "民生实事项目票决结果公告"

    def build(self, request, meeting):
        return pdf_livelihood.notice_pdf(request, meeting), pdf_livelihood.notice_filename(meeting)
