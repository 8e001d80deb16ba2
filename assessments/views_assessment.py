"""Pages of the township assessment 目标考核 and the townships' 宣传报道. Rows come through
the scoping rule (org.mixins); the county's actions go through services_assessment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from org.jobs import JobError, job_create
from org.mixins import ScopedCreateView, ScopedDeleteView, ScopedDetailView, ScopedListView, ScopedUpdateView
from org.models import user_roles
from org.roles import Role
from org.scoping import CHANGE, can

from . import selectors_assessment as selectors
from . import services_assessment as services
from .forms_assessment import (
    AnswerForm,
    AssessmentForm,
    ChecklistItemForm,
    OpenReplyForm,
    PublicityItemForm,
    ReplyForm,
    ScoreForm,
    ThresholdForm,
)
from .models import Assessment, ChecklistItem, PublicityItem, Score, TownshipResult

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)
COUNTY = (Role.COUNTY_ADMIN,)


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "无权进行此操作。"


class AssessmentListView(ScopedListView):
    model = Assessment
    allowed_roles = BUSINESS
    template_name = "assessments/assessment/assessment_list.html"
    # A township reads its county's assessment, which lies above the region it looks at.
    narrow_to_active_region = False

    def get_queryset(self):
        return super().get_queryset().select_related("region").order_by("-year", "region__code")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = Role.COUNTY_ADMIN in user_roles(self.request.user)
        return ctx


class AssessmentCreateView(ScopedCreateView):
    model = Assessment
    form_class = AssessmentForm
    allowed_roles = COUNTY
    template_name = "assessments/assessment/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        county, year = data.pop("region"), data.pop("year")
        try:
            self.object = services.assessment_create(county=county, year=year, user=self.request.user, **data)
        except ValidationError as exc:
            form.add_error("year" if hasattr(exc, "error_dict") else None, _error_text(exc))
            return self.form_invalid(form)
        messages.success(self.request, "年度考核已新建，责任清单已按默认内容预置，可在评分前修改。")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": "新建年度考核",
            "back": reverse("assessments:assessment-list"),
        }


class AssessmentDetailView(ScopedDetailView):
    """The checklist, the matrix of townships × items, and the county's actions (POST)."""

    model = Assessment
    allowed_roles = BUSINESS
    template_name = "assessments/assessment/assessment_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        a = self.object
        user = self.request.user
        is_county = can(user, CHANGE, a)
        ctx.update(
            is_county=is_county,
            matrix=selectors.matrix(user, a),
            jobs=selectors.latest_jobs(user, a),
            total_points=services.checklist_total(a),
            item_form=kwargs.get("item_form") or ChecklistItemForm(assessment=a, prefix="item"),
            reply_form=kwargs.get("reply_form")
            or OpenReplyForm(initial={"reply_deadline": a.reply_deadline or timezone.localdate()}),
            threshold_form=kwargs.get("threshold_form") or ThresholdForm(instance=a, prefix="t"),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = a = self.get_object()
        action = request.POST.get("action", "")
        user = request.user
        if not can(user, CHANGE, a):
            raise PermissionDenied("只有县人大代表工委可以进行此操作。")
        jobs = {"compute": "assessment_compute", "workbook": "assessment_workbook", "notice": "assessment_notice"}
        try:
            if action in jobs:
                job_create(kind=jobs[action], region=a.region, user=user, params={"assessment": a.pk})
                messages.success(request, "任务已提交，进度见下方。")
            elif action == "open_reply":
                form = OpenReplyForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(reply_form=form))
                services.assessment_open_reply(assessment=a, deadline=form.cleaned_data["reply_deadline"], user=user)
                messages.success(request, "已发送各乡镇反馈。")
            elif action == "finalize":
                services.assessment_finalize(assessment=a, user=user)
                messages.success(request, "考核已定稿，等次和排名已确定。")
            elif action == "publish":
                services.assessment_publish(assessment=a, user=user)
                messages.success(request, "考核结果已公布。")
            elif action == "item_add":
                form = ChecklistItemForm(request.POST, assessment=a, prefix="item")
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(item_form=form))
                services.checklist_item_save(item=form.save(commit=False), user=user)
                messages.success(request, "考核项目已添加。")
            elif action == "thresholds":
                form = ThresholdForm(request.POST, instance=a, prefix="t")
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(threshold_form=form))
                if a.state in (Assessment.State.FINAL, Assessment.State.PUBLISHED):
                    raise ValidationError("考核已定稿，不能修改分数线。")
                form.save()
                messages.success(request, "分数线已保存。")
            else:
                messages.error(request, "未知的操作。")
        except (ValidationError, JobError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        return redirect(a.get_absolute_url())


class TownshipResultDetailView(ScopedDetailView):
    """A township's scores item by item with last year's; its reply; the county's answer."""

    model = TownshipResult
    allowed_roles = BUSINESS
    template_name = "assessments/assessment/result_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("assessment__region", "township")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        r = self.object
        user = self.request.user
        a = r.assessment
        is_clerk = services.is_clerk_of(user, r.township)
        open_ = a.state == Assessment.State.REPLY and (
            a.reply_deadline is None or timezone.localdate() <= a.reply_deadline
        )
        ctx.update(
            assessment=a,
            detail=selectors.township_detail(r),
            last_total=selectors.last_year_totals(a).get(r.township_id),
            is_county=can(user, CHANGE, a),
            can_reply=is_clerk and open_,
            reply_form=kwargs.get("reply_form") or ReplyForm(instance=r),
            answer_form=kwargs.get("answer_form") or AnswerForm(instance=r),
            report_job=selectors.township_report_job(user, r),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = r = self.get_object()
        action = request.POST.get("action", "")
        try:
            if action == "reply":
                services.result_reply(result=r, text=request.POST.get("reply", ""), user=request.user)
                messages.success(request, "反馈意见已提交。")
            elif action == "answer":
                services.result_reply_answer(result=r, text=request.POST.get("reply_answer", ""), user=request.user)
                messages.success(request, "答复已保存。")
            elif action == "report":
                job_create(kind="township_report", region=r.township, user=request.user, params={"result": r.pk})
                messages.success(request, "报告生成任务已提交，完成后可下载。")
            else:
                messages.error(request, "未知的操作。")
        except (ValidationError, JobError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        return redirect(r.get_absolute_url())


class ScoreUpdateView(ScopedUpdateView):
    """The county's hand score of a manual item, with a comment and evidence."""

    model = Score
    form_class = ScoreForm
    allowed_roles = BUSINESS  # a clerk of another township gets 404, its own 403
    template_name = "assessments/assessment/form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("item__section__assessment", "township")

    def form_valid(self, form):
        score = self.object
        try:
            services.score_manual_set(
                score=score,
                points=form.cleaned_data["points"],
                comment=form.cleaned_data.get("comment", ""),
                evidence=form.cleaned_data.get("evidence") if form.evidence_type else None,
                evidence_type=form.evidence_type,
                user=self.request.user,
            )
        except ValidationError as exc:
            form.add_error("points" if hasattr(exc, "error_dict") else None, _error_text(exc))
            return self.form_invalid(form)
        messages.success(self.request, "得分已保存。")
        return redirect(score.item.section.assessment.get_absolute_url())

    def get_context_data(self, **kwargs):
        s = self.object
        return {
            **super().get_context_data(**kwargs),
            "title": f"人工评分：{s.township.name}·{s.item.title}",
            "back": s.item.section.assessment.get_absolute_url(),
            "multipart": True,
        }


class ChecklistItemUpdateView(ScopedUpdateView):
    model = ChecklistItem
    form_class = ChecklistItemForm
    allowed_roles = BUSINESS  # a clerk of another township gets 404, its own 403
    template_name = "assessments/assessment/form.html"

    def form_valid(self, form):
        try:
            services.checklist_item_save(item=form.save(commit=False), user=self.request.user)
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
            return self.form_invalid(form)
        messages.success(self.request, "考核项目已保存。")
        return redirect(self.object.section.assessment.get_absolute_url())

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": f"修改考核项目：{self.object.title}",
            "back": self.object.section.assessment.get_absolute_url(),
        }


class ChecklistItemDeleteView(ScopedDeleteView):
    model = ChecklistItem
    allowed_roles = BUSINESS  # a clerk of another township gets 404, its own 403
    template_name = "assessments/assessment/item_confirm_delete.html"

    def form_valid(self, form):
        item = self.object
        url = item.section.assessment.get_absolute_url()
        try:
            services.checklist_item_delete(item=item, user=self.request.user)
        except ValidationError as exc:
            messages.error(self.request, _error_text(exc))
            return redirect(url)
        messages.success(self.request, "考核项目已删除。")
        return redirect(url)


class PublicityListView(ScopedListView):
    model = PublicityItem
    allowed_roles = BUSINESS
    template_name = "assessments/assessment/publicity_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region").order_by("-date", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = Role.TOWNSHIP_CLERK in user_roles(self.request.user)
        return ctx


class PublicityFormMixin:
    model = PublicityItem
    form_class = PublicityItemForm
    allowed_roles = (Role.TOWNSHIP_CLERK,)
    template_name = "assessments/assessment/form.html"
    success_url = reverse_lazy("assessments:publicity-list")
    title = saved = ""

    def form_valid(self, form):
        messages.success(self.request, self.saved)
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": self.title,
            "back": reverse("assessments:publicity-list"),
        }


class PublicityCreateView(PublicityFormMixin, ScopedCreateView):
    title, saved = "登记宣传报道", "宣传报道已登记。"


class PublicityUpdateView(PublicityFormMixin, ScopedUpdateView):
    title, saved = "修改宣传报道", "宣传报道已保存。"
