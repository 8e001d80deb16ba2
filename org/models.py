"""Regions, terms, handling units, users and their memberships, jobs and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils import timezone

from .roles import COUNTY_KINDS, REGION_READ_ROLES, TOWNSHIP_KINDS, Role
from .scoping import ScopedQuerySet


class User(AbstractUser):
    """A person who logs in. Roles come from memberships, not from Django groups."""

    name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    must_change_password = models.BooleanField(
        "首次登录须修改密码",
        default=False,
        help_text="管理员新建的账号在首次登录时必须修改密码。",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.name or self.username

    @property
    def display_name(self):
        return self.name or self.username


class RegionQuerySet(ScopedQuerySet):
    def townships(self):
        return self.filter(kind__in=TOWNSHIP_KINDS)


class Region(models.Model):
    """A node of the administrative tree: county → township/subdistrict → village/community.

    `path` is the chain of ids from the root ("/1/5/23/"), so a subtree is one indexed
    prefix match; every business row reaches a township Region and is scoped through it.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", "省"
        PREFECTURE = "prefecture", "市（州）"
        COUNTY = "county", "县（市、区）"
        TOWNSHIP = "township", "乡镇"
        SUBDISTRICT = "subdistrict", "街道"
        VILLAGE = "village", "村"
        COMMUNITY = "community", "社区"

    # Which kinds may sit under which: the tree is county-rooted, with optional levels above.
    ALLOWED_PARENTS = {
        "province": (None,),
        "prefecture": (None, "province"),
        "county": (None, "province", "prefecture"),
        "township": ("county",),
        "subdistrict": ("county",),
        "village": ("township", "subdistrict"),
        "community": ("township", "subdistrict"),
    }

    scope_region_field = ""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    code = models.CharField("区划代码", max_length=12, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name="上级", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        # Codes are hierarchical (county, township, village digits), so this is tree order.
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        creating = self.pk is None
        if not creating:
            self.path, self.depth = self.build_path(), self._depth_of(self.build_path())
        super().save(*args, **kwargs)
        if creating:
            # The path holds the row's own id, known only after the insert.
            self.path = self.build_path()
            self.depth = self._depth_of(self.path)
            Region.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
        elif old_path and old_path != self.path:
            # A moved node carries its subtree along, in one statement.
            Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
                depth=F("depth") + (self.depth - self._depth_of(old_path)),
            )

    def clean(self):
        allowed = self.ALLOWED_PARENTS.get(self.kind, ())
        parent_kind = self.parent.kind if self.parent_id else None
        if parent_kind not in allowed:
            raise ValidationError({"parent": f"“{self.get_kind_display()}”不能设在“{self.parent or '无上级'}”之下。"})
        if self.pk and self.parent_id and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": "上级不能是本区划或其下级。"})

    @staticmethod
    def _depth_of(path: str) -> int:
        return path.count("/") - 2

    def build_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/"

    @property
    def is_township(self):
        return self.kind in TOWNSHIP_KINDS

    @property
    def is_county_level(self):
        return self.kind in COUNTY_KINDS

    def township(self) -> Region | None:
        """The township/subdistrict this region is or lies in."""
        if self.is_township:
            return self
        if self.parent_id and self.kind in ("village", "community"):
            return self.parent
        return None

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)

    def ancestors(self):
        ids = [int(x) for x in self.path.strip("/").split("/") if x]
        return Region.objects.filter(pk__in=ids).order_by("depth")


class Term(models.Model):
    """A congress term 届次 (five years). Defined on a county for its townships' congresses
    (all townships of a county elect together) or on one township where it differs."""

    class Level(models.TextChoices):
        TOWNSHIP = "township", "乡镇"
        COUNTY = "county", "县"

    scope_region_field = "region"
    scope_write_roles = (Role.COUNTY_ADMIN,)

    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="terms")
    level = models.CharField("层级", max_length=20, choices=Level.choices, default=Level.TOWNSHIP)
    number = models.PositiveSmallIntegerField("届数")
    start_date = models.DateField("起始日期")
    end_date = models.DateField("届满日期")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "届次"
        verbose_name_plural = "届次"
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["region", "level", "number"], name="term_unique_number"),
            models.CheckConstraint(condition=models.Q(end_date__gt=models.F("start_date")), name="term_dates"),
        ]

    def __str__(self):
        return f"第{chinese_numeral(self.number)}届（{self.start_date.year}—{self.end_date.year}）"

    @classmethod
    def scope_extra_q(cls, user, action):
        # Terms are set on the county for all its townships: a township's users read the
        # terms of the regions above them too.
        if action != "view":
            return None
        ids = ancestor_region_ids(user, (*REGION_READ_ROLES, Role.DEPUTY))
        return models.Q(region_id__in=ids) if ids else None

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": "届满日期必须晚于起始日期。"})


class HandlingUnit(models.Model):
    """A 承办单位: a government office, 站所 or enterprise that answers suggestions and
    voter issues. Belongs to the county or the township that assigns work to it."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "政府部门"
        STATION = "station", "站所"
        ENTERPRISE = "enterprise", "企事业单位"
        OTHER = "other", "其他"

    scope_region_field = "region"
    scope_write_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)

    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)
    region = models.ForeignKey(Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="units")
    contact = models.CharField("联系人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    active = models.BooleanField("在用", default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "承办单位"
        verbose_name_plural = "承办单位"
        ordering = ["region__code", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="unit_unique_name")]

    def __str__(self):
        return self.name

    @classmethod
    def scope_extra_q(cls, user, action):
        # Unit staff see their own unit; a township refers work to the county's units as well
        # as its own, so its users read the units of the regions above them.
        if action != "view":
            return None
        q = None
        unit_ids = [m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT]
        if unit_ids:
            q = models.Q(pk__in=unit_ids)
        ids = ancestor_region_ids(user, REGION_READ_ROLES)
        if ids:
            q = models.Q(region_id__in=ids) if q is None else q | models.Q(region_id__in=ids)
        return q


class Membership(models.Model):
    """One role of one user in one region (a county membership covers its whole subtree)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships"
    )
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    handling_unit = models.ForeignKey(
        HandlingUnit,
        verbose_name="承办单位",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "region", "role", "handling_unit"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.region} · {self.get_role_display()}"

    def clean(self):
        kind = self.region.kind if self.region_id else None
        if self.role == Role.COUNTY_ADMIN and kind not in COUNTY_KINDS:
            raise ValidationError({"region": "县人大代表工委角色只能授予县（市、区）或以上区划。"})
        if self.role in (Role.TOWNSHIP_CLERK, Role.DEPUTY) and kind not in TOWNSHIP_KINDS:
            raise ValidationError({"region": "乡镇人大秘书和代表角色只能授予乡镇或街道。"})
        if self.role == Role.HANDLING_UNIT:
            if not self.handling_unit_id:
                raise ValidationError({"handling_unit": "承办单位角色必须指定承办单位。"})
            if self.region_id and self.handling_unit.region_id != self.region_id:
                raise ValidationError({"handling_unit": "承办单位必须属于所选区划。"})
        elif self.handling_unit_id:
            raise ValidationError({"handling_unit": "只有承办单位角色可以指定承办单位。"})


def user_memberships(user) -> list[Membership]:
    """The user's memberships, loaded once per user object (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("region", "handling_unit__region"))
        user._memberships_cache = cached
    return cached


def user_roles(user) -> set[str]:
    return {m.role for m in user_memberships(user)}


def ancestor_region_ids(user, roles) -> set[int]:
    """Ids of every region on the path of the user's memberships holding one of `roles`
    (their own regions and all above): what county-wide reference data they read."""
    return {
        int(part)
        for m in user_memberships(user)
        if m.role in roles
        for part in m.region.path.strip("/").split("/")
        if part
    }


class Job(models.Model):
    """A piece of long work run by the Celery worker: who asked, for which region, how far it
    is, and the file it produced. The UI polls it; the file is served only within scope."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    scope_region_field = "region"
    scope_write_roles = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)

    kind = models.CharField("任务类型", max_length=50)
    region = models.ForeignKey(Region, verbose_name="范围", on_delete=models.PROTECT, related_name="jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.SET_NULL, null=True, related_name="jobs"
    )
    params = models.JSONField("参数", default=dict, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    output = models.FileField("结果文件", upload_to="jobs/%Y/%m/", blank=True)
    output_name = models.CharField("文件名", max_length=200, blank=True)
    created_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind_label}（{self.region}）"

    def get_absolute_url(self):
        return reverse("org:job-detail", args=[self.pk])

    @property
    def kind_label(self):
        from .jobs import JOB_KINDS

        spec = JOB_KINDS.get(self.kind)
        return spec.label if spec else self.kind

    @property
    def is_finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)


class AuditEntry(models.Model):
    """One line of the audit log: a create/update/delete of a row, or a login event.

    Written by signal receivers, never edited; read only by auditors and superusers."""

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        LOGIN = "login", "登录"
        LOGOUT = "logout", "退出"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOCKOUT = "lockout", "账号锁定"
        VIEW_SENSITIVE = "view_sensitive", "查看敏感信息"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"

    time = models.DateTimeField("时间", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField("账号", max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    model = models.CharField("对象类型", max_length=100, blank=True, db_index=True)
    model_label = models.CharField("对象类型名称", max_length=100, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更字段", default=dict, blank=True)
    path = models.CharField("请求路径", max_length=300, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-time", "-id"]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.object_repr}"


class Notification(models.Model):
    """An in-portal message to one user (a suggestion became overdue, a unit answered…).

    Personal, not regional: only its recipient reads it. Made by notification_send (org.services
    of the app that raises it), shown in the top bar and on /org/notifications/.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return self.title


def chinese_numeral(n: int) -> str:
    """0..99 as Chinese numerals (第二十届); larger numbers stay Arabic (no congress has
    reached its hundredth term)."""
    digits = "零一二三四五六七八九"
    if n < 0 or n > 99:
        return str(n)
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else digits[tens]
    return f"{head}十{digits[ones] if ones else ''}"
