"""Sessions and presidium meetings of a township congress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import Region, Term, chinese_numeral, user_memberships
from org.roles import Role
from org.scoping import ScopedQuerySet


class Meeting(models.Model):
    """A 人民代表大会会议 (session, numbered 第X届第Y次 within the term) or a 主席团会议.

    A session may be marked held only when its roll shows a quorum: at least two thirds of
    the deputies serving on its date present (三分之二以上 includes the number itself). The
    roll's serving count is kept on the meeting when the roll is built, so later changes of
    mandates do not rewrite history.
    """

    class Kind(models.TextChoices):
        SESSION = "session", "人民代表大会会议"
        PRESIDIUM = "presidium", "主席团会议"

    class State(models.TextChoices):
        PLANNED = "planned", "筹备中"
        HELD = "held", "已召开"
        CANCELLED = "cancelled", "已取消"

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="meetings")
    term = models.ForeignKey(Term, verbose_name="届次", on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField("会议类型", max_length=10, choices=Kind.choices)
    number = models.PositiveSmallIntegerField("第几次", help_text="本届第几次会议")
    date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    place = models.CharField("地点", max_length=200, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PLANNED)
    # Taken from the roll when it is built: the deputies serving on the meeting's date.
    serving_count = models.PositiveIntegerField("应到人数", default=0)
    minutes = models.TextField("会议纪要", blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["region", "term", "kind", "number"], name="meeting_unique_number"),
        ]
        indexes = [models.Index(fields=["region", "kind", "date"], name="meeting_region_kind_date")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("congress:meeting-detail", args=[self.pk])

    @property
    def title(self) -> str:
        if self.kind == self.Kind.SESSION:
            return (
                f"{self.region.name}第{chinese_numeral(self.term.number)}届人民代表大会"
                f"第{chinese_numeral(self.number)}次会议"
            )
        return (
            f"{self.region.name}人大主席团第{chinese_numeral(self.term.number)}届第{chinese_numeral(self.number)}次会议"
        )


class AgendaItem(models.Model):
    """One item of a meeting's agenda, and the result of its vote when it has one.

    Counts may be typed in (paper ballots counted by the tellers) or come from per-deputy
    `DeputyVote`s. A resolution or election passes with more than half (过半数, strictly
    more) of ALL serving deputies, not of those present.
    """

    class Kind(models.TextChoices):
        GOVERNMENT_REPORT = "government_report", "政府工作报告"
        BUDGET = "budget", "预算和决算"
        ELECTION = "election", "选举"
        LIVELIHOOD_VOTE = "livelihood_vote", "民生实事项目票决"
        OATH = "oath", "宪法宣誓"
        WORK_REPORT = "work_report", "人大主席团工作报告"
        OTHER = "other", "其他"

    class Result(models.TextChoices):
        NONE = "", "不表决"
        PASSED = "passed", "通过"
        FAILED = "failed", "未通过"

    scope_region_field = "meeting__region"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField("序号", default=1)
    kind = models.CharField("议程类型", max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField("议程", max_length=200)
    needs_vote = models.BooleanField("需要表决", default=False)
    yes = models.PositiveIntegerField("赞成", default=0)
    no = models.PositiveIntegerField("反对", default=0)
    abstain = models.PositiveIntegerField("弃权", default=0)
    result = models.CharField("表决结果", max_length=10, choices=Result.choices, blank=True, default="")
    resolution = models.TextField("决议（决定）", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "会议议程"
        verbose_name_plural = "会议议程"
        ordering = ["meeting", "order", "pk"]

    def __str__(self):
        return f"{self.order}. {self.title}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()


class Attendance(models.Model):
    """One deputy on a meeting's roll: present, on leave (请假) or absent without leave."""

    class Status(models.TextChoices):
        PRESENT = "present", "出席"
        LEAVE = "leave", "请假"
        ABSENT = "absent", "缺席"

    scope_region_field = "meeting__region"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="roll")
    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField("出席情况", max_length=10, choices=Status.choices, default=Status.PRESENT)
    note = models.CharField("请假事由", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "出席情况"
        verbose_name_plural = "出席情况"
        ordering = ["meeting", "deputy__name_initials", "deputy_id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "deputy"], name="attendance_unique")]

    def __str__(self):
        return f"{self.meeting}·{self.deputy}：{self.get_status_display()}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url()

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads its own attendance (its duty file).
        if action == "view" and any(m.role == Role.DEPUTY for m in user_memberships(user)):
            return models.Q(deputy__user=user)
        return None


class DeputyVote(models.Model):
    """One deputy's vote on an agenda item (when votes are recorded per deputy)."""

    class Choice(models.TextChoices):
        YES = "yes", "赞成"
        NO = "no", "反对"
        ABSTAIN = "abstain", "弃权"

    scope_region_field = "item__meeting__region"

    item = models.ForeignKey(AgendaItem, verbose_name="议程", on_delete=models.CASCADE, related_name="votes")
    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="agenda_votes")
    choice = models.CharField("表决意见", max_length=10, choices=Choice.choices)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表表决"
        verbose_name_plural = "代表表决"
        constraints = [models.UniqueConstraint(fields=["item", "deputy"], name="deputy_vote_unique")]

    def __str__(self):
        return f"{self.item}·{self.deputy}：{self.get_choice_display()}"


class ElectionCandidate(models.Model):
    """A candidate of an election item (主席、副主席、县人大代表补选…) and its votes."""

    scope_region_field = "item__meeting__region"

    item = models.ForeignKey(AgendaItem, verbose_name="选举议程", on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField("候选人", max_length=50)
    deputy = models.ForeignKey(
        Deputy, verbose_name="代表", on_delete=models.SET_NULL, null=True, blank=True, related_name="candidacies"
    )
    position = models.CharField("拟任职务", max_length=50)
    votes = models.PositiveIntegerField("得票数", default=0)
    elected = models.BooleanField("当选", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "选举候选人"
        verbose_name_plural = "选举候选人"
        ordering = ["item", "-votes", "pk"]

    def __str__(self):
        return f"{self.position}候选人 {self.name}"


class MeetingDocument(models.Model):
    """A document of a meeting (reports, resolutions, photos of the ballots, minutes)."""

    scope_region_field = "meeting__region"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("标题", max_length=100)
    file = models.FileField("文件", upload_to="congress/meetings/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "会议文件"
        verbose_name_plural = "会议文件"
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("congress:meeting-document", args=[self.pk])
