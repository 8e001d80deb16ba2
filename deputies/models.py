"""Deputies and their mandates: the minimum the foundation and the demo county need.

Issue 3 grows this into the full registry (constituencies, groups, voter contacts, import)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from org.models import Region, Term
from org.roles import Role
from org.scoping import ScopedQuerySet


class Deputy(models.Model):
    """A person who is a deputy, kept by the township whose clerk maintains the record.
    A person serving at two levels is one Deputy with two mandates."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class Party(models.TextChoices):
        CPC = "cpc", "中共党员"
        DEMOCRATIC = "democratic", "民主党派"
        MASSES = "masses", "群众"

    class Education(models.TextChoices):
        PRIMARY = "primary", "小学"
        JUNIOR = "junior", "初中"
        SENIOR = "senior", "高中（中专）"
        COLLEGE = "college", "大专"
        BACHELOR = "bachelor", "大学本科"
        POSTGRADUATE = "postgraduate", "研究生"

    class Occupation(models.TextChoices):
        WORKER = "worker", "工人"
        FARMER = "farmer", "农民"
        PROFESSIONAL = "professional", "专业技术人员"
        OFFICIAL = "official", "党政领导干部"
        ENTREPRENEUR = "entrepreneur", "企业负责人"
        GRASSROOTS = "grassroots", "基层干部"
        OTHER = "other", "其他"

    scope_region_field = "region"
    # Personal data: the audit log keeps only a masked form of these.
    audit_masked_fields = ("id_number", "phone")

    region = models.ForeignKey(Region, verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="deputies")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy",
    )
    name = models.CharField("姓名", max_length=50, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=10, default="汉族")
    birth_date = models.DateField("出生日期", null=True, blank=True)
    id_number = models.CharField("身份证号", max_length=18, unique=True, null=True, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    party = models.CharField("政治面貌", max_length=20, choices=Party.choices, default=Party.MASSES)
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    occupation = models.CharField("职业类别", max_length=20, choices=Occupation.choices, default=Occupation.OTHER)
    work_unit = models.CharField("工作单位及职务", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "人大代表"
        verbose_name_plural = "人大代表"
        ordering = ["region__code", "name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("deputies:deputy-detail", args=[self.pk])

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads its own record.
        if action == "view" and user.is_authenticated:
            return models.Q(user=user)
        return None


class Mandate(models.Model):
    """A deputy's seat at one level in one term (代表资格)."""

    class Level(models.TextChoices):
        TOWNSHIP = "township", "乡镇"
        COUNTY = "county", "县"
        CITY = "city", "市"
        PROVINCE = "province", "省"
        NATIONAL = "national", "全国"

    class Status(models.TextChoices):
        SERVING = "serving", "在任"
        RESIGNED = "resigned", "辞职"
        RECALLED = "recalled", "罢免"
        TERMINATED = "terminated", "终止"
        TRANSFERRED = "transferred", "调离"
        # The term ended with the mandate intact (not a loss of the seat like 终止).
        EXPIRED = "expired", "届满"

    scope_region_field = "deputy__region"
    scope_write_roles = (Role.TOWNSHIP_CLERK,)

    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="mandates")
    level = models.CharField("层级", max_length=20, choices=Level.choices, default=Level.TOWNSHIP)
    region = models.ForeignKey(Region, verbose_name="当选区划", on_delete=models.PROTECT, related_name="mandates")
    term = models.ForeignKey(Term, verbose_name="届次", on_delete=models.PROTECT, related_name="mandates")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SERVING, db_index=True)
    elected_on = models.DateField("当选日期")
    ended_on = models.DateField("终止日期", null=True, blank=True)
    by_election = models.BooleanField("补选", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表资格"
        verbose_name_plural = "代表资格"
        ordering = ["-elected_on"]
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self):
        return f"{self.deputy} · {self.get_level_display()}代表 · {self.term}"
