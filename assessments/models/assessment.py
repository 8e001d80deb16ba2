"""The county's year-end assessment of its townships (乡镇人大工作目标考核)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from org.models import Region, ancestor_region_ids
from org.roles import REGION_READ_ROLES, Role
from org.scoping import ScopedQuerySet


class Assessment(models.Model):
    """A county's assessment of its townships for one year: its checklist (责任清单), the
    grade thresholds, and where it stands: draft scores → township replies (until the
    reply deadline) → final → published (ranking, 通报, workbook)."""

    class State(models.TextChoices):
        DRAFT = "draft", "评分中"
        REPLY = "reply", "乡镇反馈中"
        FINAL = "final", "已定稿"
        PUBLISHED = "published", "已公布"

    scope_region_field = "region"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    region = models.ForeignKey(
        Region, verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="assessments"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=100, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    excellent_min = models.DecimalField("优秀分数线", max_digits=5, decimal_places=1, default=90)
    good_min = models.DecimalField("良好分数线", max_digits=5, decimal_places=1, default=80)
    pass_min = models.DecimalField("合格分数线", max_digits=5, decimal_places=1, default=60)
    excellent_cap_percent = models.PositiveSmallIntegerField(
        "优秀比例上限（%）", null=True, blank=True, help_text="留空表示不限"
    )
    reply_deadline = models.DateField("乡镇反馈截止日期", null=True, blank=True)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    computed_at = models.DateTimeField("最近计算时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "年度考核"
        verbose_name_plural = "年度考核"
        ordering = ["region__code", "-year"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="assessment_unique_year")]

    def __str__(self):
        return self.title or f"{self.region.name}{self.year}年度乡镇人大工作目标考核"

    def get_absolute_url(self):
        return reverse("assessments:assessment-detail", args=[self.pk])

    @classmethod
    def scope_extra_q(cls, user, action):
        # Townships read their county's assessment (their own scores come through Score).
        if action != "view":
            return None
        ids = ancestor_region_ids(user, REGION_READ_ROLES)
        return models.Q(region_id__in=ids) if ids else None


class ChecklistSection(models.Model):
    """A section of the checklist (e.g. 依法履职, 代表工作, 阵地建设, 宣传工作)."""

    scope_region_field = "assessment__region"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    assessment = models.ForeignKey(Assessment, verbose_name="考核", on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("部分", max_length=100)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核部分"
        verbose_name_plural = "考核部分"
        ordering = ["assessment", "order", "pk"]

    def __str__(self):
        return self.title

    @classmethod
    def scope_extra_q(cls, user, action):
        if action != "view":
            return None
        ids = ancestor_region_ids(user, REGION_READ_ROLES)
        return models.Q(assessment__region_id__in=ids) if ids else None


class ChecklistItem(models.Model):
    """An item of the checklist with its full points: either computed from records by a
    `metric` (with `params`, e.g. {"min": 2} sessions) or scored by county staff by hand."""

    class Method(models.TextChoices):
        COMPUTED = "computed", "系统计算"
        MANUAL = "manual", "人工评分"

    class Metric(models.TextChoices):
        NONE = "", "—"
        SESSIONS_HELD = "sessions_held", "依法召开人代会次数"
        PRESIDIUM_QUARTERS = "presidium_quarters", "每季度召开主席团会议"
        SUGGESTIONS_ON_TIME = "suggestions_on_time", "代表建议按期办复率"
        TRAININGS = "trainings", "开展代表学习培训次数"
        RECEPTIONS_PER_ROOM = "receptions_per_room", "阵地平均接待选民次数"
        ISSUES_FED_BACK = "issues_fed_back", "选民反映问题反馈率"
        POINTS_AVERAGE = "points_average", "代表平均履职积分"
        STAR_RATINGS = "star_ratings", "阵地星级评定"
        PUBLICITY = "publicity", "宣传报道"

    scope_region_field = "section__assessment__region"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    section = models.ForeignKey(ChecklistSection, verbose_name="部分", on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("考核项目", max_length=200)
    description = models.TextField("评分标准", blank=True)
    points = models.DecimalField("分值", max_digits=5, decimal_places=1)
    method = models.CharField("评分方式", max_length=10, choices=Method.choices, default=Method.MANUAL)
    metric = models.CharField("计算指标", max_length=30, choices=Metric.choices, blank=True, default="")
    params = models.JSONField("计算参数", default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核项目"
        verbose_name_plural = "考核项目"
        ordering = ["section", "order", "pk"]

    def __str__(self):
        return self.title

    @classmethod
    def scope_extra_q(cls, user, action):
        if action != "view":
            return None
        ids = ancestor_region_ids(user, REGION_READ_ROLES)
        return models.Q(section__assessment__region_id__in=ids) if ids else None


class Score(models.Model):
    """A township's score on one checklist item: the computed value and points (or the
    county's hand score with evidence), the county's comment, the township's reply."""

    scope_region_field = "township"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    item = models.ForeignKey(ChecklistItem, verbose_name="考核项目", on_delete=models.CASCADE, related_name="scores")
    township = models.ForeignKey(
        Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="assessment_scores"
    )
    # What the metric measured (e.g. 2 sessions, 0.93 on-time rate), shown beside the points.
    value = models.DecimalField("计算值", max_digits=10, decimal_places=3, null=True, blank=True)
    points = models.DecimalField("得分", max_digits=5, decimal_places=1, null=True, blank=True)
    comment = models.CharField("评分说明", max_length=300, blank=True)
    evidence = models.FileField("佐证材料", upload_to="assessments/scores/%Y/", blank=True)
    evidence_type = models.CharField(max_length=100, blank=True, editable=False)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评分人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "考核得分"
        verbose_name_plural = "考核得分"
        ordering = ["item", "township__code"]
        constraints = [models.UniqueConstraint(fields=["item", "township"], name="score_unique_item_township")]

    def __str__(self):
        return f"{self.township.name}·{self.item}：{self.points}"


class TownshipResult(models.Model):
    """A township's result in an assessment: total, grade, rank, and its right of reply to
    the draft (a comment before the deadline, answered by the county)."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", "优秀"
        GOOD = "good", "良好"
        PASS = "pass", "合格"
        FAIL = "fail", "不合格"

    scope_region_field = "township"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    assessment = models.ForeignKey(Assessment, verbose_name="考核", on_delete=models.CASCADE, related_name="results")
    township = models.ForeignKey(
        Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="assessment_results"
    )
    total = models.DecimalField("总分", max_digits=6, decimal_places=1, default=0)
    grade = models.CharField("等次", max_length=10, choices=Grade.choices, blank=True)
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)
    reply = models.TextField("乡镇反馈意见", blank=True)
    replied_at = models.DateTimeField("反馈时间", null=True, blank=True)
    reply_answer = models.TextField("县级答复", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "乡镇考核结果"
        verbose_name_plural = "乡镇考核结果"
        ordering = ["assessment", "rank", "township__code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "township"], name="result_unique_township"),
        ]

    def __str__(self):
        return f"{self.assessment}·{self.township.name}"

    def get_absolute_url(self):
        return reverse("assessments:township-result", args=[self.pk])


class PublicityItem(models.Model):
    """A piece of news about the township's congress work (宣传报道), by media level."""

    class Level(models.TextChoices):
        NATIONAL = "national", "中央级"
        PROVINCE = "province", "省级"
        CITY = "city", "市级"
        COUNTY = "county", "县级"

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="publicity_items")
    date = models.DateField("刊发日期")
    title = models.CharField("标题", max_length=200)
    media = models.CharField("媒体", max_length=100)
    level = models.CharField("媒体级别", max_length=10, choices=Level.choices, default=Level.COUNTY)
    url = models.URLField("链接", blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "宣传报道"
        verbose_name_plural = "宣传报道"
        ordering = ["-date", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("assessments:publicity-update", args=[self.pk])
