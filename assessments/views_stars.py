"""Pages of the star rating 星级评定: the county's rule of a year (and the buttons that open,
publish and recompute it), the list of ratings, a rating with the form for the viewer's step,
the step POSTs, evidence files, the certificate PDF and the Excel list. Rows come through the
scoping rule (org.mixins); which step is whose is decided in services_stars."""

from __future__ import annotations

import datetime
import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views import View

from org.audit import audit_event
from org.jobs import JobError, job_create
from org.mixins import RoleRequiredMixin, ScopedDetailView, ScopedListView, ScopedWriteMixin, scope_form_fields
from org.models import AuditEntry, Region, user_memberships
from org.roles import Role

from . import pdf_stars, selectors_stars, services_stars
from .forms_stars import PublishForm, ReturnForm, ReviewForm, SelfAssessForm, StarRatingFilterForm, StarRuleForm
from .models import StarRating, StarRatingItem, StarRule

BUSINESS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _covers(user, role, region) -> bool:
    return any(m.role == role and region.path.startswith(m.region.path) for m in user_memberships(user))


def admin_counties(user, active_region=None) -> list[Region]:
    """Counties the user administers (a prefecture admin: its counties), narrowed to the
    region picked in the top bar when that is one of them or inside one."""
    paths = [m.region.path for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN]
    if not paths:
        return []
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    counties = list(Region.objects.filter(q, kind="county").order_by("code"))
    if active_region is not None:
        narrowed = [
            c for c in counties if active_region.path.startswith(c.path) or c.path.startswith(active_region.path)
        ]
        counties = narrowed or counties
    return counties


def _year(value, default: int) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default
    return year if 2000 <= year <= 2100 else default


# --- the county's rule of a year --------------------------------------------------------------


class StarRuleView(ScopedListView):
    """星级评定规则: the rules in scope (every year) and, for county staff, the form of the
    chosen county-year with the buttons that open the rating, publish it and recompute it."""

    model = StarRule
    allowed_roles = BUSINESS
    template_name = "assessments/stars/rule.html"
    narrow_to_active_region = False
    http_method_names = ["get", "post"]

    def get_queryset(self):
        return super().get_queryset().select_related("region", "standard").order_by("-year", "region__code")

    def setup_target(self, data):
        self.counties = admin_counties(self.request.user, self.request.active_region)
        self.year = _year(data.get("year"), datetime.date.today().year)
        self.county = None
        picked = data.get("county")
        for c in self.counties:
            if picked is None or str(c.pk) == str(picked):
                self.county = c
                break
        if picked is not None and self.county is None:
            raise Http404("没有这个县（市、区）。")
        self.rule = StarRule.objects.filter(region=self.county, year=self.year).first() if self.county else None

    def get(self, request, *args, **kwargs):
        self.setup_target(request.GET)
        return super().get(request, *args, **kwargs)

    def rule_form(self, data=None):
        if self.county is None:
            return None
        form = StarRuleForm(data, instance=self.rule, county=self.county)
        return scope_form_fields(form, self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        counts = {}
        if self.rule is not None:
            counts = selectors_stars.state_counts(self.rule.ratings.all())
        ctx.update(
            counties=self.counties,
            county=self.county,
            year=self.year,
            rule=self.rule,
            form=kwargs.get("form") or self.rule_form(),
            publish_form=PublishForm(),
            counts=counts,
            total=sum(counts.values()),
            years=range(datetime.date.today().year + 1, datetime.date.today().year - 5, -1),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.setup_target(request.POST)
        if self.county is None:
            raise Http404("您不是县人大代表工委的用户。")
        action = request.POST.get("action", "save")
        back = f"{reverse('assessments:star-rule')}?county={self.county.pk}&year={self.year}"
        if action == "save":
            form = self.rule_form(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                try:
                    services_stars.star_rule_save(
                        county=self.county, year=self.year, standard=d["standard"], five=d["five"], four=d["four"],
                        three=d["three"], two=d["two"], one=d["one"], five_needs_onsite=d["five_needs_onsite"],
                        self_assessment_due=d["self_assessment_due"], user=request.user,
                    )  # fmt: skip
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for field, errs in exc.error_dict.items():
                            form.add_error(field if field in form.fields else None, errs)
                    else:
                        form.add_error(None, exc)
                else:
                    messages.success(request, f"已保存{self.county.name}{self.year}年度星级评定规则。")
                    return redirect(back)
            self.object_list = self.get_queryset()
            return render(request, self.template_name, self.get_context_data(form=form), status=400)
        if self.rule is None:
            messages.error(request, f"请先保存{self.county.name}{self.year}年度的星级评定规则。")
            return redirect(back)
        try:
            if action == "open":
                created = services_stars.star_ratings_open(rule=self.rule, user=request.user)
                messages.success(request, f"已启动评定：新建 {created} 个阵地的自评表。")
            elif action == "publish":
                form = PublishForm(request.POST)
                force = form.is_valid() and form.cleaned_data["force"]
                count = services_stars.star_ratings_publish(rule=self.rule, user=request.user, force=force)
                messages.success(request, f"已公布 {count} 个阵地的星级评定结果。")
            elif action == "compute":
                job_create(
                    kind="star_ratings_compute", region=self.county, user=request.user, params={"year": self.year}
                )
                messages.success(request, "已提交后台任务：重新计算得分和星级并生成评定结果表。")
                return redirect("org:job-list")
            else:
                messages.error(request, "未知的操作。")
        except (ValidationError, JobError) as exc:
            messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect(back)


# --- ratings -------------------------------------------------------------------------------------


class StarRatingFilterMixin:
    """The list filters, shared by the page and the Excel export."""

    def filtered(self, ratings):
        user = self.request.user
        townships = Region.objects.townships().for_user(user).in_region(self.request.active_region).order_by("code")
        data = self.request.GET.copy()
        form = StarRatingFilterForm(data or None, townships=townships)
        d = form.cleaned_data if form.is_valid() else {}
        year = d.get("year") or selectors_stars.latest_year(ratings)
        if not data.get("year") and year:
            data["year"] = year
            form = StarRatingFilterForm(data, townships=townships)
            form.is_valid()
        self.filter_form, self.year = form, year
        self.unfiltered = ratings.filter(year=year) if year else ratings
        if d.get("township"):
            self.unfiltered = self.unfiltered.filter(station__township=d["township"])
        return selectors_stars.ratings_filtered(
            ratings, year=year, township=d.get("township"), state=d.get("state"), stars=d.get("stars")
        )


class StarRatingListView(StarRatingFilterMixin, ScopedListView):
    """星级评定: county staff see every room of the county with state and stars, filters and
    the distribution; a township clerk its own rooms."""

    model = StarRating
    allowed_roles = BUSINESS
    template_name = "assessments/stars/rating_list.html"

    def get_queryset(self):
        qs = super().get_queryset().select_related("station__region", "station__township", "rule")
        return self.filtered(qs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roles = {m.role for m in user_memberships(self.request.user)}
        ctx.update(
            filter_form=self.filter_form,
            year=self.year,
            distribution=selectors_stars.star_distribution(self.unfiltered),
            show_township=Role.COUNTY_ADMIN in roles,
            is_county=Role.COUNTY_ADMIN in roles,
        )
        return ctx


class StarRatingDetailView(ScopedDetailView):
    """One room's rating: the items with self state, evidence, review score and comment, and
    the form for the viewer's step (self-assessment in draft, review when submitted)."""

    model = StarRating
    allowed_roles = BUSINESS
    template_name = "assessments/stars/rating_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("station__region", "station__township", "rule__standard")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rating = self.object
        user = self.request.user
        rows = list(rating.items.select_related("item").order_by("item__order", "item_id"))
        S = StarRating.State
        can_self = rating.state == S.DRAFT and _covers(user, Role.TOWNSHIP_CLERK, rating.station.region)
        can_review = rating.state in (S.SUBMITTED, S.REVIEWED) and _covers(
            user, Role.COUNTY_ADMIN, rating.station.region
        )
        self_form = kwargs.get("self_form") or (SelfAssessForm(rows=rows) if can_self else None)
        review_form = kwargs.get("review_form")
        if review_form is None and can_review:
            review_form = ReviewForm(
                rows=rows, initial={"comment": rating.review_comment, "onsite_checked": rating.onsite_checked}
            )
        full = sum(r.item.points for r in rows)
        ctx.update(
            rows=rows,
            full_points=full,
            self_preview=services_stars.self_score_of(rows),
            self_form=self_form,
            review_form=review_form,
            return_form=ReturnForm() if can_review and rating.state == S.SUBMITTED else None,
            stars_text=services_stars.stars_text(rating.stars),
            history=selectors_stars.station_history(rating.station, user),
        )
        return ctx


class StarRatingStepView(ScopedWriteMixin, ScopedDetailView):
    """Base of the step POSTs: the rating comes through the write scope (404 outside it);
    GET goes back to the rating."""

    model = StarRating
    allowed_roles = BUSINESS
    http_method_names = ["get", "post"]
    template_name = "assessments/stars/rating_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(self.get_object().get_absolute_url())

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            response = self.step(request, self.object)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(self.object.get_absolute_url())
        return response or redirect(self.object.get_absolute_url())

    def rerender(self, **forms):
        detail = StarRatingDetailView(request=self.request, kwargs=self.kwargs, object=self.object)
        return render(self.request, self.template_name, detail.get_context_data(**forms), status=400)

    def rows(self):
        return list(self.object.items.select_related("item").order_by("item__order", "item_id"))


class StarRatingSelfAssessView(StarRatingStepView):
    """The township saves its self-assessment (states, notes, evidence files); with
    `submit` it also sends it to the county."""

    def step(self, request, rating):
        form = SelfAssessForm(request.POST, request.FILES, rows=self.rows())
        if not form.is_valid():
            messages.error(request, "保存失败：" + "；".join(e for errs in form.errors.values() for e in errs))
            return self.rerender(self_form=form)
        with transaction.atomic():
            services_stars.star_rating_self_assess(rating=rating, states=form.states(), user=request.user)
            for row, f in form.evidence_files().items():
                services_stars.star_rating_item_evidence_set(row=row, file=f, user=request.user)
        if request.POST.get("submit"):
            return self.submit(request, rating)
        messages.success(request, "已保存自评。")
        return None

    def submit(self, request, rating):
        rating.refresh_from_db()
        services_stars.star_rating_submit(rating=rating, user=request.user)
        messages.success(request, f"已提交自评，自评得分 {rating.self_score} 分，等待县人大代表工委审核。")
        return None


class StarRatingSubmitView(StarRatingSelfAssessView):
    """The township submits its self-assessment as saved."""

    def step(self, request, rating):
        return self.submit(request, rating)


class StarRatingReviewView(StarRatingStepView):
    """The county's review: a score per item, the comment, the on-site check → stars."""

    def step(self, request, rating):
        if request.POST.get("action") == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                messages.error(request, "退回时请填写退回理由。")
                return None
            services_stars.star_rating_return(rating=rating, comment=form.cleaned_data["comment"], user=request.user)
            messages.success(request, f"已将“{rating.station.name}”的自评退回乡镇修改。")
            return None
        form = ReviewForm(request.POST, rows=self.rows())
        if not form.is_valid():
            messages.error(request, "审核未保存：" + "；".join(e for errs in form.errors.values() for e in errs))
            return self.rerender(review_form=form)
        d = form.cleaned_data
        services_stars.star_rating_review(
            rating=rating, scores=form.scores(), comment=d["comment"], onsite_checked=d["onsite_checked"],
            user=request.user,
        )  # fmt: skip
        messages.success(
            request,
            f"已审核：{rating.review_score} 分，{services_stars.stars_text(rating.stars)}（{rating.stars} 星）。",
        )
        return None


class StarRatingEvidenceView(ScopedDetailView):
    """An item's evidence file, to those who may see the rating."""

    model = StarRatingItem
    allowed_roles = BUSINESS

    def get(self, request, *args, **kwargs):
        row = self.get_object()
        if not row.evidence:
            messages.info(request, f"“{row.item.title}”没有上传佐证材料。")
            return redirect(row.rating.get_absolute_url())
        try:
            fh = row.evidence.open("rb")
        except (FileNotFoundError, ValueError):
            messages.error(request, f"“{row.item.title}”的佐证材料文件已不存在。")
            return redirect(row.rating.get_absolute_url())
        name = row.evidence.name.rsplit("/", 1)[-1]
        inline = row.evidence_type.startswith("image/") or row.evidence_type == "application/pdf"
        return FileResponse(fh, content_type=row.evidence_type or None, as_attachment=not inline, filename=name)


class StarCertificatePdfView(ScopedDetailView):
    """The certificate of a published rating (A4 landscape PDF)."""

    model = StarRating
    allowed_roles = BUSINESS

    def get_queryset(self):
        return super().get_queryset().select_related("station__region", "station__township", "rule__region")

    def get(self, request, *args, **kwargs):
        rating = self.get_object()
        if rating.state != StarRating.State.PUBLISHED:
            messages.warning(request, "星级评定结果公布后才能生成证书。")
            return redirect(rating.get_absolute_url())
        if not rating.stars:
            messages.warning(request, "该阵地本年度未评上星级，没有证书。")
            return redirect(rating.get_absolute_url())
        content = pdf_stars.certificate_pdf(rating)
        audit_event(AuditEntry.Action.EXPORT, instance=rating, note="导出星级评定证书（PDF）", request=request)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, pdf_stars.certificate_filename(rating))
        return response


class StarRatingsXlsxView(StarRatingFilterMixin, RoleRequiredMixin, View):
    """The list of ratings as Excel, with the list page's filters."""

    allowed_roles = BUSINESS
    scope_exempt = (
        "export: rows come from StarRating.objects.for_user() narrowed to the active region "
        "(tests/assessments/test_stars.py::test_xlsx_one_row_per_rating_in_scope checks other townships never go out)"
    )

    def get(self, request, *args, **kwargs):
        ratings = self.filtered(selectors_stars.ratings_for(request.user, region=request.active_region))
        # FileResponse closes (and so deletes) the temporary file once it is sent.
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
        year = self.year or ""
        count = services_stars.star_ratings_xlsx_write(path=tmp.name, ratings=ratings, title=f"{year}年度星级评定")
        audit_event(
            AuditEntry.Action.EXPORT, note=f"导出{year}年度星级评定结果（Excel），共 {count} 行", request=request
        )
        tmp.seek(0)
        return FileResponse(tmp, as_attachment=True, filename=f"星级评定-{year}.xlsx")
