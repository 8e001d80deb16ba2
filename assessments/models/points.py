"""Duty points 履职积分: rules the county sets, entries computed from records."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from deputies.models import Deputy
from org.models import Region, ancestor_region_ids, user_memberships
from org.roles import REGION_READ_ROLES, Role
from org.scoping import ScopedQuerySet


class PointRule(models.Model):
    """What one recorded event is worth to a deputy (DESIGN.md section 5), set by the county
    for a range of years: e.g. attending a session +5, absent without leave −5, a suggestion +3,
    on duty at a reception +2, a report to voters +5, a training +1; with an optional cap on
    the points the event may bring in one year."""

    class Event(models.TextChoices):
        SESSION_PRESENT = "session_present", "出席人代会"
        SESSION_ABSENT = "session_absent", "无故缺席人代会"
        SUGGESTION_LEAD = "suggestion_lead", "领衔提出建议"
        SUGGESTION_JOINT = "suggestion_joint", "附议建议"
        RECEPTION_DUTY = "reception_duty", "进站接待选民"
        SUPERVISION = "supervision", "参加监督活动"
        INSPECTION = "inspection", "参加视察"
        RESEARCH = "research", "参加调研"
        VISIT_VOTERS = "visit_voters", "走访选民"
        TRAINING = "training", "参加学习培训"
        REPORT_TO_VOTERS = "report_to_voters", "向选民述职"
        GROUP = "group", "参加小组活动"
        LAW_ENFORCEMENT = "law_enforcement", "参加执法检查"
        WORK_REVIEW = "work_review", "参加工作评议"
        OTHER_ACTIVITY = "other_activity", "参加其他活动"

    scope_region_field = "region"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    region = models.ForeignKey(Region, verbose_name="制定区划", on_delete=models.PROTECT, related_name="point_rules")
    event = models.CharField("积分事项", max_length=30, choices=Event.choices)
    points = models.DecimalField("分值", max_digits=5, decimal_places=1)
    yearly_cap = models.DecimalField(
        "年度上限", max_digits=6, decimal_places=1, null=True, blank=True, help_text="留空表示不设上限"
    )
    valid_from = models.PositiveSmallIntegerField("起始年度")
    valid_to = models.PositiveSmallIntegerField("截止年度", null=True, blank=True, help_text="留空表示长期有效")
    note = models.CharField("说明", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"
        ordering = ["region__code", "event", "-valid_from"]

    def __str__(self):
        return f"{self.get_event_display()} {self.points:+}分"

    @classmethod
    def scope_extra_q(cls, user, action):
        # County reference data: everyone below the county reads it (deputies too, for their points).
        if action != "view":
            return None
        ids = ancestor_region_ids(user, (*REGION_READ_ROLES, Role.DEPUTY))
        return models.Q(region_id__in=ids) if ids else None


class PointEntry(models.Model):
    """One computed line of a deputy's points for a year, with the record it comes from
    (`source_label`, `source_url`). Written only by the points job, which replaces a year's
    entries of a region wholesale, so re-running it gives the same rows."""

    scope_region_field = "deputy__region"
    audit_exempt = True

    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="point_entries")
    year = models.PositiveSmallIntegerField("年度")
    date = models.DateField("日期")
    rule = models.ForeignKey(PointRule, verbose_name="积分规则", on_delete=models.CASCADE, related_name="entries")
    event = models.CharField("积分事项", max_length=30, choices=PointRule.Event.choices)
    points = models.DecimalField("积分", max_digits=5, decimal_places=1)
    # Points left out because the rule's yearly cap was reached (kept, so the file explains it).
    capped = models.BooleanField("超出上限不计", default=False)
    source_label = models.CharField("来源", max_length=200)
    source_url = models.CharField("来源链接", max_length=200, blank=True)
    computed_at = models.DateTimeField("计算时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "积分明细"
        verbose_name_plural = "积分明细"
        ordering = ["deputy", "year", "date", "pk"]
        indexes = [models.Index(fields=["year", "deputy"], name="point_entry_year_deputy")]

    def __str__(self):
        return f"{self.deputy} {self.date} {self.get_event_display()} {self.points:+}"

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads its own points.
        if action == "view" and any(m.role == Role.DEPUTY for m in user_memberships(user)):
            return models.Q(deputy__user=user)
        return None
