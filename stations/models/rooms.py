"""Rooms of the 两室一平台 and the standards they are held to.

`Station` is a 人大代表之家 (home, at a township/subdistrict) or a 代表联络站/活动室 (liaison,
at a village/community). `Standard` + `StandardItem` are the county's checklists (六有, 七有,
八有, 十有); `StationItemState` is the township's answer for one room and one item.
`StationFile` holds a room's photos and documents. All are scoped through a region
(org.scoping): rooms through their own region, standards through the county defining them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import DeputyGroup
from org.models import Region, ancestor_region_ids
from org.roles import COUNTY_KINDS, REGION_READ_ROLES, TOWNSHIP_KINDS, Role
from org.scoping import ScopedQuerySet

VILLAGE_KINDS = ("village", "community")


def new_public_code() -> str:
    return secrets.token_urlsafe(9)


class Station(models.Model):
    class Kind(models.TextChoices):
        HOME = "home", "人大代表之家"
        LIAISON = "liaison", "代表联络站（活动室）"

    class Showcase(models.TextChoices):
        NONE = "", "无"
        COUNTY = "county", "县级示范点"
        CITY = "city", "市级示范点"
        PROVINCE = "province", "省级示范点"

    scope_region_field = "region"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=100)
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="stations",
        help_text="代表之家设在乡镇（街道），联络站设在村（社区）。",
    )  # fmt: skip
    # The township the room belongs to (the region itself, or the village's parent): kept
    # so lists filter and group by township without walking the tree.
    township = models.ForeignKey(
        Region, verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="township_stations", editable=False
    )
    address = models.CharField("地址", max_length=200, blank=True)
    opening_hours = models.CharField("开放时间", max_length=200, blank=True, help_text="如：工作日 8:30—17:30")
    reception_rule = models.CharField("接待日", max_length=100, blank=True, help_text="如：每月第二个星期二")
    manager_name = models.CharField("负责人", max_length=50, blank=True)
    manager_phone = models.CharField("负责人电话", max_length=30, blank=True)
    groups = models.ManyToManyField(DeputyGroup, verbose_name="进驻的代表小组", blank=True, related_name="stations")
    showcase_level = models.CharField("示范点级别", max_length=10, choices=Showcase.choices, blank=True, default="")
    showcase_year = models.PositiveSmallIntegerField("命名年份", null=True, blank=True)
    active = models.BooleanField("在用", default=True)
    closed_on = models.DateField("撤销日期", null=True, blank=True)
    created_at = models.DateTimeField("建立时间", default=timezone.now)
    # The room's key on the public opinion page (its QR code): random, so the public URLs
    # cannot be walked room by room.
    public_code = models.CharField("二维码编号", max_length=16, unique=True, null=True, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表之家（联络站）"
        verbose_name_plural = "代表之家（联络站）"
        ordering = ["region__code", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="station_unique_name")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.region_id:
            township = self.region.township()
            self.township_id = township.pk if township else self.region_id
        if not self.public_code:
            self.public_code = new_public_code()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("stations:station-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.region_id:
            kind = self.region.kind
            if self.kind == self.Kind.HOME and kind not in TOWNSHIP_KINDS:
                errors["region"] = "人大代表之家只能设在乡镇或街道。"
            elif self.kind == self.Kind.LIAISON and kind not in VILLAGE_KINDS:
                errors["region"] = "代表联络站（活动室）只能设在村或社区。"
        if self.showcase_level and not self.showcase_year:
            errors["showcase_year"] = "请填写示范点的命名年份。"
        if not self.active and not self.closed_on:
            errors["closed_on"] = "已撤销的阵地请填写撤销日期。"
        if errors:
            raise ValidationError(errors)


class StandardScope:
    """Standards are county reference data: county staff write, everyone in the county reads."""

    scope_write_roles = (Role.COUNTY_ADMIN,)
    region_id_field = "region_id"

    @classmethod
    def scope_extra_q(cls, user, action):
        if action != "view":
            return None
        ids = ancestor_region_ids(user, REGION_READ_ROLES)
        return models.Q(**{f"{cls.region_id_field}__in": ids}) if ids else None


class Standard(StandardScope, models.Model):
    """A checklist a county holds its rooms to (六有, 七有, 八有, 十有), for a year."""

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="制定区划", on_delete=models.PROTECT, related_name="standards")
    name = models.CharField("标准名称", max_length=50)
    year = models.PositiveSmallIntegerField("年度")
    description = models.TextField("说明", blank=True)
    active = models.BooleanField("在用", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "建设标准"
        verbose_name_plural = "建设标准"
        ordering = ["region__code", "-year", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name", "year"], name="standard_unique_name_year")]

    def __str__(self):
        return f"{self.name}（{self.year}年）"

    def get_absolute_url(self):
        return reverse("stations:standard-detail", args=[self.pk])

    def clean(self):
        if self.region_id and self.region.kind not in COUNTY_KINDS + TOWNSHIP_KINDS:
            raise ValidationError({"region": "建设标准由县（市、区）或乡镇制定。"})


class StandardItem(StandardScope, models.Model):
    scope_region_field = "standard__region"
    region_id_field = "standard__region_id"

    standard = models.ForeignKey(Standard, verbose_name="标准", on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField("序号", default=1)
    title = models.CharField("项目", max_length=50)
    description = models.TextField("要求", blank=True)
    points = models.PositiveSmallIntegerField("分值", default=10)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "标准项目"
        verbose_name_plural = "标准项目"
        ordering = ["standard", "order", "pk"]

    def __str__(self):
        return f"{self.standard.name}·{self.title}"

    def get_absolute_url(self):
        return self.standard.get_absolute_url()


class StationItemState(models.Model):
    """How one room stands against one item of a standard (the township's self-assessment)."""

    class State(models.TextChoices):
        MET = "met", "达标"
        PARTLY = "partly", "部分达标"
        NOT = "not", "未达标"

    scope_region_field = "station__region"

    station = models.ForeignKey(Station, verbose_name="阵地", on_delete=models.CASCADE, related_name="item_states")
    item = models.ForeignKey(StandardItem, verbose_name="标准项目", on_delete=models.CASCADE, related_name="states")
    state = models.CharField("达标情况", max_length=10, choices=State.choices, default=State.NOT)
    note = models.CharField("说明", max_length=300, blank=True)
    evidence = models.FileField("佐证材料", upload_to="stations/evidence/%Y/%m/", blank=True)
    evidence_type = models.CharField(max_length=100, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "标准达标情况"
        verbose_name_plural = "标准达标情况"
        ordering = ["station", "item__order"]
        constraints = [models.UniqueConstraint(fields=["station", "item"], name="station_item_state_unique")]

    def __str__(self):
        return f"{self.station}·{self.item.title}：{self.get_state_display()}"

    def get_absolute_url(self):
        return self.station.get_absolute_url()


class StationFile(models.Model):
    """A photo or document of a room (牌子、上墙制度、活动照片、台账扫描件)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "照片"
        DOCUMENT = "document", "文档"

    scope_region_field = "station__region"

    station = models.ForeignKey(Station, verbose_name="阵地", on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    title = models.CharField("标题", max_length=100)
    file = models.FileField("文件", upload_to="stations/files/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "阵地照片和文档"
        verbose_name_plural = "阵地照片和文档"
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("stations:file-download", args=[self.pk])
