"""Voter receptions (接待选民) and what voters raise (选民反映问题)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import HandlingUnit, Region, user_memberships
from org.roles import Role
from org.scoping import ScopedQuerySet

from .rooms import Station
from .roster import DutyRoster

# Tracking codes avoid letters and digits a voter confuses when reading them aloud (0/O, 1/I/L).
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


class Reception(models.Model):
    """A 接待选民 session: deputies on duty at a room met voters on a day."""

    scope_region_field = "station__region"

    station = models.ForeignKey(Station, verbose_name="阵地", on_delete=models.PROTECT, related_name="receptions")
    date = models.DateField("接待日期")
    roster = models.ForeignKey(
        DutyRoster, verbose_name="值日安排", on_delete=models.SET_NULL, null=True, blank=True, related_name="receptions"
    )
    deputies = models.ManyToManyField(Deputy, verbose_name="接待代表", blank=True, related_name="receptions")
    voter_count = models.PositiveIntegerField("接待选民人数", default=0)
    summary = models.TextField("接待情况", blank=True, help_text="选民反映的主要内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("记录时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "接待选民"
        verbose_name_plural = "接待选民"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["station", "date"], name="reception_station_date")]

    def __str__(self):
        return f"{self.station}·{self.date:%Y-%m-%d}接待"

    def get_absolute_url(self):
        return reverse("stations:reception-detail", args=[self.pk])

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads the receptions it took part in.
        if action == "view" and any(m.role == Role.DEPUTY for m in user_memberships(user)):
            return models.Q(pk__in=cls.objects.filter(deputies__user=user).values("pk"))
        return None


class VoterIssue(models.Model):
    """One matter a voter raised, and its way through the township (DESIGN.md section 5):
    recorded → handled on the spot | referred to a unit (due date) → answered → fed back to
    the voter → closed. Every transition is a `VoterIssueEvent`; services.issue_* make them.
    """

    class Source(models.TextChoices):
        RECEPTION = "reception", "接待选民"
        ACTIVITY = "activity", "代表活动"
        PUBLIC = "public", "群众意见（扫码）"
        OTHER = "other", "其他"

    class State(models.TextChoices):
        RECORDED = "recorded", "待处理"
        ON_SPOT = "on_spot", "当场答复"
        REFERRED = "referred", "已转办"
        ANSWERED = "answered", "已答复"
        FED_BACK = "fed_back", "已反馈"
        CLOSED = "closed", "已办结"

    class FeedbackMethod(models.TextChoices):
        PHONE = "phone", "电话"
        VISIT = "visit", "上门"
        SMS = "sms", "短信"
        WECHAT = "wechat", "微信"
        MEETING = "meeting", "接待日当面"
        NOTICE = "notice", "公示栏"
        OTHER = "other", "其他"

    class Category(models.TextChoices):
        ROADS = "roads", "道路交通"
        WATER = "water", "水利农田"
        AGRICULTURE = "agriculture", "农业农村"
        ENVIRONMENT = "environment", "生态环境"
        EDUCATION = "education", "教育"
        HEALTH = "health", "医疗卫生"
        SOCIAL = "social", "社会保障"
        SAFETY = "safety", "社会治安"
        ECONOMY = "economy", "经济发展"
        OTHER = "other", "其他"

    scope_region_field = "region"

    # The township whose inbox holds the issue (the room's township; the public page's too).
    region = models.ForeignKey(Region, verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="voter_issues")
    station = models.ForeignKey(
        Station, verbose_name="阵地", on_delete=models.SET_NULL, null=True, blank=True, related_name="voter_issues"
    )
    reception = models.ForeignKey(
        Reception, verbose_name="接待记录", on_delete=models.CASCADE, null=True, blank=True, related_name="issues"
    )
    activity = models.ForeignKey(
        "Activity", verbose_name="代表活动", on_delete=models.CASCADE, null=True, blank=True, related_name="issues"
    )
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.RECEPTION)
    category = models.CharField("类别", max_length=20, choices=Category.choices, default=Category.OTHER)
    content = models.TextField("反映内容")
    voter_name = models.CharField("反映人", max_length=50, blank=True)
    voter_phone = models.CharField("联系电话", max_length=30, blank=True)
    voter_address = models.CharField("住址", max_length=200, blank=True)
    photo = models.FileField("照片", upload_to="stations/issues/%Y/%m/", blank=True)
    photo_type = models.CharField(max_length=100, blank=True, editable=False)
    raised_on = models.DateField("反映日期", default=timezone.localdate)

    state = models.CharField("办理状态", max_length=10, choices=State.choices, default=State.RECORDED)
    on_spot_answer = models.TextField("当场答复内容", blank=True)
    handling_unit = models.ForeignKey(
        HandlingUnit, verbose_name="承办单位", on_delete=models.PROTECT, null=True, blank=True,
        related_name="voter_issues",
    )  # fmt: skip
    referred_on = models.DateField("转办日期", null=True, blank=True)
    due_on = models.DateField("办理期限", null=True, blank=True)
    answer = models.TextField("办理答复", blank=True)
    answered_on = models.DateField("答复日期", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="答复人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    feedback_method = models.CharField("反馈方式", max_length=10, choices=FeedbackMethod.choices, blank=True)
    fed_back_on = models.DateField("反馈日期", null=True, blank=True)
    feedback_note = models.CharField("选民意见", max_length=300, blank=True, help_text="选民对办理结果的意见")
    closed_on = models.DateField("办结日期", null=True, blank=True)
    # Only public-page issues carry one: the voter looks the reply up with it.
    tracking_code = models.CharField("查询码", max_length=16, unique=True, null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    audit_masked_fields = ("voter_phone", "voter_address")

    class Meta:
        verbose_name = "选民反映问题"
        verbose_name_plural = "选民反映问题"
        ordering = ["-raised_on", "-pk"]
        indexes = [
            models.Index(fields=["state", "due_on"], name="voter_issue_state_due"),
            models.Index(fields=["handling_unit", "state"], name="voter_issue_unit_state"),
        ]

    def __str__(self):
        text = self.content.strip().replace("\n", " ")
        return text[:30] + ("…" if len(text) > 30 else "")

    def get_absolute_url(self):
        return reverse("stations:issue-detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        """Referred, not answered, and past its due date."""
        return bool(self.state == self.State.REFERRED and self.due_on and self.due_on < timezone.localdate())

    @classmethod
    def scope_extra_q(cls, user, action):
        # A unit's staff see, and answer, only the issues referred to their unit.
        if action not in ("view", "answer"):
            return None
        unit_ids = [m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT]
        return models.Q(handling_unit_id__in=unit_ids) if unit_ids else None


class VoterIssueEvent(models.Model):
    """One step of a voter issue's workflow: who moved it from which state to which, and why."""

    scope_region_field = "issue__region"

    issue = models.ForeignKey(VoterIssue, verbose_name="问题", on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField("原状态", max_length=10, choices=VoterIssue.State.choices, blank=True)
    to_state = models.CharField("新状态", max_length=10, choices=VoterIssue.State.choices)
    note = models.TextField("说明", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField("时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "问题办理记录"
        verbose_name_plural = "问题办理记录"
        ordering = ["issue", "at", "pk"]

    def __str__(self):
        return f"{self.issue_id}: {self.from_state or '—'} → {self.to_state}"
