"""Supervision 监督 by the township congress and its presidium."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import HandlingUnit, Region
from org.scoping import ScopedQuerySet


class SupervisionPlan(models.Model):
    """A township's annual supervision plan (年度监督工作计划) with a focus for each quarter."""

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="supervision_plans")
    year = models.PositiveSmallIntegerField("年度")
    q1_focus = models.CharField("一季度重点", max_length=300, blank=True)
    q2_focus = models.CharField("二季度重点", max_length=300, blank=True)
    q3_focus = models.CharField("三季度重点", max_length=300, blank=True)
    q4_focus = models.CharField("四季度重点", max_length=300, blank=True)
    approved_on = models.DateField("通过日期", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "年度监督计划"
        verbose_name_plural = "年度监督计划"
        ordering = ["region__code", "-year"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="supervision_plan_unique_year")]

    def __str__(self):
        return f"{self.region.name}{self.year}年监督工作计划"

    def get_absolute_url(self):
        return reverse("congress:supervision-plan", args=[self.pk])


class SupervisionItem(models.Model):
    """One supervision of a unit's work: held, with the congress's review opinions (审议意见)
    sent to the unit, the unit's rectification report (整改) by a due date, a follow-up, and
    the deputies' satisfaction vote. A follow-up past its due date is overdue."""

    class Kind(models.TextChoices):
        REPORT_REVIEW = "report_review", "听取审议专项工作报告"
        INSPECTION = "inspection", "视察"
        RESEARCH = "research", "调研"
        LAW_ENFORCEMENT = "law_enforcement", "执法检查"
        WORK_REVIEW = "work_review", "工作评议"
        SATISFACTION = "satisfaction", "满意度测评"
        INQUIRY = "inquiry", "专题询问"

    class State(models.TextChoices):
        PLANNED = "planned", "计划中"
        HELD = "held", "已开展"
        OPINION_SENT = "opinion_sent", "已交办审议意见"
        RECTIFIED = "rectified", "已报送整改"
        CLOSED = "closed", "已办结"

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="supervision_items")
    plan = models.ForeignKey(
        SupervisionPlan, verbose_name="年度计划", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度", choices=[(q, f"第{q}季度") for q in range(1, 5)])
    kind = models.CharField("监督方式", max_length=20, choices=Kind.choices)
    title = models.CharField("监督事项", max_length=200)
    unit = models.ForeignKey(
        HandlingUnit, verbose_name="被监督单位", on_delete=models.PROTECT, null=True, blank=True,
        related_name="supervision_items",
    )  # fmt: skip
    date = models.DateField("开展日期", null=True, blank=True)
    participants = models.ManyToManyField(Deputy, verbose_name="参加代表", blank=True, related_name="supervision_items")
    state = models.CharField("状态", max_length=15, choices=State.choices, default=State.PLANNED)
    review_opinion = models.TextField("审议意见", blank=True)
    opinion_sent_on = models.DateField("交办日期", null=True, blank=True)
    rectification_due = models.DateField("整改期限", null=True, blank=True)
    rectification_report = models.TextField("整改情况报告", blank=True)
    rectified_on = models.DateField("报送日期", null=True, blank=True)
    follow_up = models.TextField("跟踪督办情况", blank=True)
    followed_up_on = models.DateField("跟踪日期", null=True, blank=True)
    satisfied = models.PositiveIntegerField("满意", default=0)
    basically_satisfied = models.PositiveIntegerField("基本满意", default=0)
    unsatisfied = models.PositiveIntegerField("不满意", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监督事项"
        verbose_name_plural = "监督事项"
        ordering = ["-year", "quarter", "date", "pk"]
        indexes = [models.Index(fields=["region", "year"], name="supervision_region_year")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("congress:supervision-detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        """Opinions sent, the rectification report not in, and its due date passed."""
        return bool(
            self.state == self.State.OPINION_SENT
            and self.rectification_due
            and self.rectification_due < timezone.localdate()
        )
