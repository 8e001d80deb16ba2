"""The deputies registry: deputies, their mandates, constituencies, deputy groups and the
voters each deputy keeps in touch with."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from pypinyin import Style, lazy_pinyin

from org.models import Region, Term, user_roles
from org.roles import Role
from org.scoping import ScopedQuerySet
from org.validators import validate_id_number, validate_mobile

# The 56 ethnic groups as officially named (GB 3304), 汉族 first.
ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族",
    "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族",
    "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族",
    "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip
ETHNICITY_CHOICES = [(e, e) for e in ETHNICITIES]

DEMOCRATIC_PARTIES = ("民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟")


class Deputy(models.Model):
    """A person who is a deputy, kept by the township whose clerk maintains the record.
    A person serving at two levels is one Deputy with two mandates."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class Party(models.TextChoices):
        CPC = "cpc", "中共党员"
        DEMOCRATIC = "democratic", "民主党派"
        INDEPENDENT = "independent", "无党派人士"
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
    # First letters of the name's pinyin ("zhw" for 张伟), kept for search; set on save.
    name_initials = models.CharField("姓名拼音首字母", max_length=50, blank=True, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=10, choices=ETHNICITY_CHOICES, default="汉族")
    birth_date = models.DateField("出生日期", null=True, blank=True)
    id_number = models.CharField(
        "身份证号", max_length=18, unique=True, null=True, blank=True, validators=[validate_id_number]
    )
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_mobile])
    party = models.CharField("政治面貌", max_length=20, choices=Party.choices, default=Party.MASSES)
    democratic_party = models.CharField(
        "所属民主党派", max_length=10, blank=True, choices=[(p, p) for p in DEMOCRATIC_PARTIES]
    )
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    occupation = models.CharField("职业类别", max_length=20, choices=Occupation.choices, default=Occupation.OTHER)
    work_unit = models.CharField("工作单位及职务", max_length=200, blank=True)
    reelected = models.BooleanField("连任", default=False, help_text="上届也是本级人大代表")
    returned_overseas = models.BooleanField("归侨", default=False)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "人大代表"
        verbose_name_plural = "人大代表"
        ordering = ["region__code", "name", "pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_initials = name_initials(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("deputies:deputy-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.party == self.Party.DEMOCRATIC and not self.democratic_party:
            errors["democratic_party"] = "政治面貌为民主党派时，请选择所属党派。"
        if self.party != self.Party.DEMOCRATIC and self.democratic_party:
            errors["democratic_party"] = "只有政治面貌为民主党派时才填写所属党派。"
        if self.id_number and len(self.id_number) == 18 and self.id_number[:17].isdigit():
            born = self.id_number[6:14]
            if self.birth_date and f"{self.birth_date:%Y%m%d}" != born:
                errors["birth_date"] = f"出生日期与身份证号不一致（身份证号为 {born[:4]}-{born[4:6]}-{born[6:]}）。"
            sex = self.Gender.MALE if int(self.id_number[16]) % 2 else self.Gender.FEMALE
            if self.gender and self.gender != sex:
                errors["gender"] = f"性别与身份证号不一致（身份证号为{sex.label}）。"
        if errors:
            raise ValidationError(errors)

    @property
    def is_minority(self) -> bool:
        return self.ethnicity != "汉族"

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads its own record. Only users holding the deputy role get the extra
        # OR: it is on the deputy row while the region rule goes through the region join,
        # so the database cannot use an index for either side and scans every deputy (a
        # county or township user's roster and structure read the whole province).
        if action == "view" and user.is_authenticated and Role.DEPUTY in user_roles(user):
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

    class PresidiumRole(models.TextChoices):
        NONE = "", "—"
        CHAIR = "chair", "主席"
        VICE_CHAIR = "vice_chair", "副主席"
        MEMBER = "member", "主席团成员"

    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="mandates")
    level = models.CharField("层级", max_length=20, choices=Level.choices, default=Level.TOWNSHIP)
    region = models.ForeignKey(Region, verbose_name="当选区划", on_delete=models.PROTECT, related_name="mandates")
    term = models.ForeignKey(Term, verbose_name="届次", on_delete=models.PROTECT, related_name="mandates")
    constituency = models.ForeignKey(
        "Constituency", verbose_name="选区", on_delete=models.SET_NULL, null=True, blank=True, related_name="mandates"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SERVING, db_index=True)
    elected_on = models.DateField("当选日期")
    ended_on = models.DateField("终止日期", null=True, blank=True)
    end_reason = models.CharField("终止原因", max_length=200, blank=True)
    by_election = models.BooleanField("补选", default=False)
    # Presidium membership of this congress (乡镇人大主席团), held through the mandate.
    presidium_role = models.CharField("主席团职务", max_length=20, choices=PresidiumRole.choices, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表资格"
        verbose_name_plural = "代表资格"
        ordering = ["-elected_on"]
        indexes = [models.Index(fields=["region", "status"])]
        constraints = [
            # One seat per person per congress and term; history is kept as ended mandates.
            models.UniqueConstraint(
                fields=["deputy", "level", "term"],
                condition=models.Q(status="serving"),
                name="mandate_one_serving_per_level_term",
            ),
        ]

    def __str__(self):
        return f"{self.deputy} · {self.get_level_display()}代表 · {self.term}"


def name_initials(name: str) -> str:
    """Lower-case first letters of each character's pinyin: 张伟 → "zw"."""
    return "".join(p[0] for p in lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="ignore") if p).lower()


class Constituency(models.Model):
    """An electoral district 选区 of a township, covering one or more villages/communities."""

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="constituencies")
    number = models.PositiveSmallIntegerField("选区编号")
    name = models.CharField("选区名称", max_length=100)
    seats = models.PositiveSmallIntegerField("应选代表名额", default=1)
    villages = models.ManyToManyField(Region, verbose_name="包含村（社区）", blank=True, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "选区"
        verbose_name_plural = "选区"
        ordering = ["region__code", "number"]
        constraints = [models.UniqueConstraint(fields=["region", "number"], name="constituency_unique_number")]

    def __str__(self):
        return f"第{self.number}选区（{self.name}）"


class DeputyGroup(models.Model):
    """A deputy group 代表小组 of a township: deputies near one room, with a leader and the
    presidium member linked to it (双联系). Rooms link their groups in stations/."""

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="所属乡镇", on_delete=models.PROTECT, related_name="deputy_groups")
    name = models.CharField("小组名称", max_length=100)
    leader = models.ForeignKey(
        Deputy, verbose_name="组长", on_delete=models.SET_NULL, null=True, blank=True, related_name="groups_led"
    )
    presidium_contact = models.ForeignKey(
        Deputy,
        verbose_name="联系的主席团成员",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="groups_linked",
    )
    members = models.ManyToManyField(Deputy, verbose_name="成员", blank=True, related_name="groups")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表小组"
        verbose_name_plural = "代表小组"
        ordering = ["region__code", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="group_unique_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("deputies:group-detail", args=[self.pk])


class VoterContact(models.Model):
    """A voter a deputy keeps in touch with 联系选民 (at least five per deputy)."""

    scope_region_field = "deputy__region"
    audit_masked_fields = ("phone",)

    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="voter_contacts")
    name = models.CharField("选民姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[validate_mobile])
    village = models.ForeignKey(
        Region, verbose_name="所在村（社区）", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.CharField("住址", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    since = models.DateField("建立联系日期", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "联系选民"
        verbose_name_plural = "联系选民"
        ordering = ["deputy", "name"]

    def __str__(self):
        return f"{self.name}（{self.deputy}联系的选民）"


class ImportBatch(models.Model):
    """One upload of the deputy roster (代表信息登记表) into a township: the stored file, what
    the check found (problems, the rows it would create or update) and what the commit did.
    Nothing reaches Deputy before the clerk confirms; deputies/importing.py does the work."""

    class State(models.TextChoices):
        PARSING = "parsing", "校验中"
        PARSED = "parsed", "待确认导入"
        COMMITTING = "committing", "导入中"
        COMMITTED = "committed", "已导入"
        FAILED = "failed", "失败"

    class Policy(models.TextChoices):
        SKIP = "skip", "跳过"
        UPDATE = "update", "更新已有记录"

    scope_region_field = "region"
    scope_write_roles = (Role.TOWNSHIP_CLERK,)

    region = models.ForeignKey(Region, verbose_name="导入乡镇", on_delete=models.PROTECT, related_name="deputy_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Under MEDIA_ROOT, never static: it holds ID numbers and is served to no one.
    file = models.FileField("上传文件", upload_to="imports/deputies/%Y/%m/", blank=True)
    original_name = models.CharField("文件名", max_length=200)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.PARSING, db_index=True)
    policy = models.CharField("已有代表", max_length=10, choices=Policy.choices, default=Policy.SKIP)
    # The background job of a large file (校验 or 导入), for its progress bar.
    job = models.ForeignKey("org.Job", verbose_name="后台任务", on_delete=models.SET_NULL, null=True, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    total_rows = models.PositiveIntegerField("数据行数", default=0)
    create_count = models.PositiveIntegerField("新增", default=0)
    existing_count = models.PositiveIntegerField("已有代表", default=0)
    error_count = models.PositiveIntegerField("错误", default=0)
    warning_count = models.PositiveIntegerField("提示", default=0)
    created_count = models.PositiveIntegerField("已新增", default=0)
    updated_count = models.PositiveIntegerField("已更新", default=0)
    skipped_count = models.PositiveIntegerField("已跳过", default=0)
    # [{row, column, message, level}] and one summary per data row for the preview.
    problems = models.JSONField("问题", default=list, blank=True)
    rows = models.JSONField("预览", default=list, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表信息导入"
        verbose_name_plural = "代表信息导入"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"导入批次#{self.pk}（{self.original_name}）"

    def get_absolute_url(self):
        return reverse("deputies:import-detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.PARSING, self.State.COMMITTING)
