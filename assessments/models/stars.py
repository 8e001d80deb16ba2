"""Star rating 星级评定 of the rooms (代表之家 and 联络站)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from org.models import Region, ancestor_region_ids
from org.roles import REGION_READ_ROLES, Role
from org.scoping import ScopedQuerySet
from stations.models import Standard, StandardItem, Station


class StarRule(models.Model):
    """A county's thresholds for a year (DESIGN.md defaults: 5★ ≥ 95, 4★ ≥ 85, 3★ ≥ 75,
    2★ ≥ 65, 1★ ≥ 55; 5★ only with an on-site check) and the standard rooms are rated against."""

    scope_region_field = "region"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    region = models.ForeignKey(Region, verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="star_rules")
    year = models.PositiveSmallIntegerField("年度")
    standard = models.ForeignKey(Standard, verbose_name="评定标准", on_delete=models.PROTECT, related_name="star_rules")
    five = models.DecimalField("五星分数线", max_digits=5, decimal_places=1, default=95)
    four = models.DecimalField("四星分数线", max_digits=5, decimal_places=1, default=85)
    three = models.DecimalField("三星分数线", max_digits=5, decimal_places=1, default=75)
    two = models.DecimalField("二星分数线", max_digits=5, decimal_places=1, default=65)
    one = models.DecimalField("一星分数线", max_digits=5, decimal_places=1, default=55)
    five_needs_onsite = models.BooleanField("五星须实地核查", default=True)
    self_assessment_due = models.DateField("自评截止日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "星级评定规则"
        verbose_name_plural = "星级评定规则"
        ordering = ["region__code", "-year"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="star_rule_unique_year")]

    def __str__(self):
        return f"{self.region.name}{self.year}年星级评定"

    @classmethod
    def scope_extra_q(cls, user, action):
        # Townships read their county's rule (they self-assess against it).
        if action != "view":
            return None
        ids = ancestor_region_ids(user, REGION_READ_ROLES)
        return models.Q(region_id__in=ids) if ids else None


class StarRating(models.Model):
    """A room's rating for a year: self-assessed by the township (each item met / partly /
    not, with evidence) → reviewed by the county (item scores, comments) → stars computed
    from the year's `StarRule` → published (a certificate PDF per room)."""

    class State(models.TextChoices):
        DRAFT = "draft", "自评中"
        SUBMITTED = "submitted", "已提交自评"
        REVIEWED = "reviewed", "县级已审核"
        PUBLISHED = "published", "已公布"

    scope_region_field = "station__region"
    # The township self-assesses, the county reviews: services say which step is whose.
    scope_write_roles = (Role.TOWNSHIP_CLERK, Role.COUNTY_ADMIN)

    station = models.ForeignKey(Station, verbose_name="阵地", on_delete=models.CASCADE, related_name="star_ratings")
    year = models.PositiveSmallIntegerField("年度")
    rule = models.ForeignKey(StarRule, verbose_name="评定规则", on_delete=models.PROTECT, related_name="ratings")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    self_score = models.DecimalField("自评得分", max_digits=5, decimal_places=1, null=True, blank=True)
    review_score = models.DecimalField("审核得分", max_digits=5, decimal_places=1, null=True, blank=True)
    stars = models.PositiveSmallIntegerField("星级", null=True, blank=True)
    onsite_checked = models.BooleanField("已实地核查", default=False)
    review_comment = models.TextField("审核意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "星级评定"
        verbose_name_plural = "星级评定"
        ordering = ["-year", "station__region__code", "station__name"]
        constraints = [models.UniqueConstraint(fields=["station", "year"], name="star_rating_unique_year")]

    def __str__(self):
        return f"{self.station}·{self.year}年星级评定"

    def get_absolute_url(self):
        return reverse("assessments:star-rating-detail", args=[self.pk])


class StarRatingItem(models.Model):
    """One item of the standard in a room's rating: the township's self-assessment and
    evidence, the county's score and comment."""

    class State(models.TextChoices):
        MET = "met", "达标"
        PARTLY = "partly", "部分达标"
        NOT = "not", "未达标"

    scope_region_field = "rating__station__region"
    scope_write_roles = (Role.TOWNSHIP_CLERK, Role.COUNTY_ADMIN)

    rating = models.ForeignKey(StarRating, verbose_name="星级评定", on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(StandardItem, verbose_name="标准项目", on_delete=models.PROTECT, related_name="+")
    self_state = models.CharField("自评情况", max_length=10, choices=State.choices, blank=True)
    self_note = models.CharField("自评说明", max_length=300, blank=True)
    evidence = models.FileField("佐证材料", upload_to="assessments/stars/%Y/", blank=True)
    evidence_type = models.CharField(max_length=100, blank=True, editable=False)
    review_score = models.DecimalField("审核得分", max_digits=5, decimal_places=1, null=True, blank=True)
    review_comment = models.CharField("审核意见", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "星级评定项目"
        verbose_name_plural = "星级评定项目"
        ordering = ["rating", "item__order"]
        constraints = [models.UniqueConstraint(fields=["rating", "item"], name="star_rating_item_unique")]

    def __str__(self):
        return f"{self.rating}·{self.item.title}"

    def get_absolute_url(self):
        return self.rating.get_absolute_url()
