"""Deputy activities (代表活动): the raw material of the duty file and the registers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import Region, user_memberships
from org.roles import Role
from org.scoping import ScopedQuerySet

from .rooms import Station


class Activity(models.Model):
    """One deputy activity of a township: an inspection, a visit to voters, a training, a
    report to voters (述职) and so on, with the deputies who took part.

    Clerks record activities as confirmed. A deputy may record its own; it stays pending
    until the township clerk confirms it, and only confirmed activities count in registers,
    compliance lists and points.
    """

    class Kind(models.TextChoices):
        INSPECTION = "inspection", "视察"
        RESEARCH = "research", "调研"
        VISIT_VOTERS = "visit_voters", "走访选民"
        TRAINING = "training", "学习培训"
        REPORT_TO_VOTERS = "report_to_voters", "述职"
        GROUP = "group", "小组活动"
        LAW_ENFORCEMENT = "law_enforcement", "执法检查"
        WORK_REVIEW = "work_review", "工作评议"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REJECTED = "rejected", "已退回"

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField("活动类型", max_length=20, choices=Kind.choices)
    date = models.DateField("活动日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    station = models.ForeignKey(
        Station, verbose_name="活动阵地", on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    place = models.CharField("活动地点", max_length=200, blank=True)
    organiser = models.CharField("组织单位", max_length=100, blank=True)
    topic = models.CharField("活动主题", max_length=200)
    summary = models.TextField("活动情况", blank=True)
    participants = models.ManyToManyField(Deputy, verbose_name="参加代表", blank=True, related_name="activities")
    # 人次: a training counts each attendance; others may add non-deputy participants.
    attendance = models.PositiveIntegerField("参加人次", default=0)
    voter_count = models.PositiveIntegerField("参加选民人数", default=0)
    # 述职评议: the voters' rating of the reporting deputy (satisfied share, in percent).
    satisfaction = models.PositiveSmallIntegerField("满意度（%）", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    reject_reason = models.CharField("退回原因", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表活动"
        verbose_name_plural = "代表活动"
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["region", "date"], name="activity_region_date"),
            models.Index(fields=["station", "date"], name="activity_station_date"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}：{self.topic}"

    def get_absolute_url(self):
        return reverse("stations:activity-detail", args=[self.pk])

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads the activities it took part in or recorded; it may change its own
        # records while they wait for the clerk.
        if not any(m.role == Role.DEPUTY for m in user_memberships(user)):
            return None
        if action == "view":
            mine = cls.objects.filter(participants__user=user).values("pk")
            return models.Q(pk__in=mine) | models.Q(recorded_by=user)
        if action == "change":
            return models.Q(recorded_by=user, status__in=[cls.Status.PENDING, cls.Status.REJECTED])
        return None


class ActivityFile(models.Model):
    """A photo or document of an activity (现场照片、签到表、讲稿)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "照片"
        DOCUMENT = "document", "文档"

    scope_region_field = "activity__region"

    activity = models.ForeignKey(Activity, verbose_name="活动", on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    title = models.CharField("标题", max_length=100)
    file = models.FileField("文件", upload_to="stations/activities/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "活动照片和文档"
        verbose_name_plural = "活动照片和文档"
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("stations:activity-file", args=[self.pk])

    @classmethod
    def scope_extra_q(cls, user, action):
        # The files of an activity follow it: a deputy sees the files of activities it sees.
        extra = Activity.scope_extra_q(user, action)
        if extra is None:
            return None
        return models.Q(activity__in=Activity.objects.filter(extra).values("pk"))
