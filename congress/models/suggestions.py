"""Deputy suggestions 代表建议、批评和意见 and the units that handle them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import HandlingUnit, Region, Term, user_memberships
from org.roles import Role
from org.scoping import ScopedQuerySet

from .meetings import Meeting


def _unit_ids(user) -> list[int]:
    return [m.handling_unit_id for m in user_memberships(user) if m.role == Role.HANDLING_UNIT]


def _is_deputy(user) -> bool:
    return any(m.role == Role.DEPUTY for m in user_memberships(user))


class Suggestion(models.Model):
    """A deputy's suggestion (or, flagged, a motion 议案) and its way through DESIGN.md
    section 5: draft → submitted → accepted (立案) | not accepted (with a reason) → assigned to
    a lead unit and assisting units (due in 3 months, 6 for complex ones) → answered (A/B/C) →
    rated by the deputy → closed; an unsatisfied rating sends it back to the units once
    (reassigned, due a month later). Services in congress.services_suggestions make every
    transition and log it as a `SuggestionEvent`.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        ACCEPTED = "accepted", "已立案"
        NOT_ACCEPTED = "not_accepted", "不予立案"
        ASSIGNED = "assigned", "已交办"
        ANSWERED = "answered", "已答复"
        RATED = "rated", "已评价"
        REASSIGNED = "reassigned", "重新办理"
        CLOSED = "closed", "已办结"

    class Category(models.TextChoices):
        ECONOMY = "economy", "经济发展"
        AGRICULTURE = "agriculture", "农业农村"
        INFRASTRUCTURE = "infrastructure", "城乡建设和交通"
        ENVIRONMENT = "environment", "生态环境"
        EDUCATION = "education", "教育科技文化"
        HEALTH = "health", "医疗卫生"
        SOCIAL = "social", "民政和社会保障"
        GOVERNANCE = "governance", "社会治理和法治"
        OTHER = "other", "其他"

    class RefusalReason(models.TextChoices):
        OUTSIDE_REMIT = "outside_remit", "不属于本级职权范围"
        PRIVATE = "private", "代表本人或亲属的个人事务"
        FORWARDED = "forwarded", "转交的来信来访"
        ADVERTISING = "advertising", "宣传推介或学术探讨"
        NO_CONTENT = "no_content", "没有具体内容"
        OTHER = "other", "其他"

    class AnswerClass(models.TextChoices):
        A = "A", "A类（已解决或采纳）"
        B = "B", "B类（正在解决或列入计划）"
        C = "C", "C类（留作参考）"

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        BASIC = "basic", "基本满意"
        UNSATISFIED = "unsatisfied", "不满意"

    scope_region_field = "region"

    region = models.ForeignKey(Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="suggestions")
    term = models.ForeignKey(Term, verbose_name="届次", on_delete=models.PROTECT, related_name="suggestions")
    number = models.CharField("编号", max_length=20, blank=True, help_text="立案时编号")
    title = models.CharField("标题", max_length=200)
    content = models.TextField("建议内容")
    category = models.CharField("类别", max_length=20, choices=Category.choices, default=Category.OTHER)
    is_motion = models.BooleanField("议案", default=False)
    meeting = models.ForeignKey(
        Meeting, verbose_name="提出会议", on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions",
        help_text="大会期间提出的填写所在会议；闭会期间提出的留空",
    )  # fmt: skip
    lead_deputy = models.ForeignKey(
        Deputy, verbose_name="领衔代表", on_delete=models.PROTECT, related_name="suggestions_led"
    )
    co_deputies = models.ManyToManyField(Deputy, verbose_name="附议代表", blank=True, related_name="suggestions_joined")
    state = models.CharField("状态", max_length=15, choices=State.choices, default=State.DRAFT)
    submitted_on = models.DateField("提交日期", null=True, blank=True)
    accepted_on = models.DateField("立案日期", null=True, blank=True)
    refusal_reason = models.CharField("不予立案理由", max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_note = models.CharField("说明", max_length=300, blank=True)
    complex = models.BooleanField("情况复杂", default=False, help_text="办理期限六个月")
    assigned_on = models.DateField("交办日期", null=True, blank=True)
    due_on = models.DateField("办理期限", null=True, blank=True)
    answered_on = models.DateField("答复日期", null=True, blank=True)
    answer_class = models.CharField("答复类别", max_length=1, choices=AnswerClass.choices, blank=True)
    rating = models.CharField("代表评价", max_length=15, choices=Rating.choices, blank=True)
    rating_note = models.CharField("评价意见", max_length=300, blank=True)
    rated_on = models.DateField("评价日期", null=True, blank=True)
    reassigned = models.BooleanField("已重新办理", default=False, editable=False)
    key = models.BooleanField("重点督办", default=False)
    key_leader = models.CharField("督办领导", max_length=50, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    # Set when the suggestion grew out of what voters raised at a room (stations.VoterIssue).
    voter_issue = models.ForeignKey(
        "stations.VoterIssue", verbose_name="来源问题", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="suggestions",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "代表建议"
        verbose_name_plural = "代表建议"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["region", "state"], name="suggestion_region_state"),
            models.Index(fields=["state", "due_on"], name="suggestion_state_due"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("congress:suggestion-detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        """Assigned (or reassigned), no answer yet, and past its due date."""
        return bool(
            self.state in (self.State.ASSIGNED, self.State.REASSIGNED)
            and self.due_on
            and self.due_on < timezone.localdate()
        )

    @classmethod
    def scope_extra_q(cls, user, action):
        # A unit sees (and answers) the suggestions assigned to it; a deputy sees the ones it
        # leads or joined, and edits its own drafts.
        q = None
        units = _unit_ids(user)
        if units and action in ("view", "answer"):
            q = models.Q(pk__in=SuggestionAssignment.objects.filter(unit_id__in=units).values("suggestion_id"))
        if _is_deputy(user):
            if action == "view":
                mine = models.Q(lead_deputy__user=user) | models.Q(
                    pk__in=cls.objects.filter(co_deputies__user=user).values("pk")
                )
                q = mine if q is None else q | mine
            elif action in ("change", "rate"):
                own = models.Q(lead_deputy__user=user)
                if action == "change":
                    own &= models.Q(state=cls.State.DRAFT)
                q = own if q is None else q | own
        return q


class SuggestionAssignment(models.Model):
    """A unit's part in handling a suggestion (主办 lead or 协办 assist) in one round (the
    second round is the re-handling after an unsatisfied rating), and its answer."""

    class Role(models.TextChoices):
        LEAD = "lead", "主办"
        ASSIST = "assist", "协办"

    scope_region_field = "suggestion__region"

    suggestion = models.ForeignKey(
        Suggestion, verbose_name="建议", on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        HandlingUnit, verbose_name="承办单位", on_delete=models.PROTECT, related_name="suggestion_assignments"
    )
    role = models.CharField("承办方式", max_length=10, choices=Role.choices, default=Role.LEAD)
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    assigned_on = models.DateField("交办日期")
    due_on = models.DateField("办理期限")
    answer = models.TextField("答复内容", blank=True)
    answer_class = models.CharField("答复类别", max_length=1, choices=Suggestion.AnswerClass.choices, blank=True)
    answered_on = models.DateField("答复日期", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="答复人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "建议交办"
        verbose_name_plural = "建议交办"
        ordering = ["suggestion", "round", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "unit", "round"], name="assignment_unique_unit_round"),
        ]
        indexes = [models.Index(fields=["unit", "answered_on"], name="assignment_unit_answered")]

    def __str__(self):
        return f"{self.suggestion}·{self.unit}（{self.get_role_display()}）"

    def get_absolute_url(self):
        return self.suggestion.get_absolute_url()

    @classmethod
    def scope_extra_q(cls, user, action):
        # A unit sees and answers its own assignments only.
        units = _unit_ids(user)
        if units and action in ("view", "answer"):
            return models.Q(unit_id__in=units)
        return None


class SuggestionEvent(models.Model):
    """One step of a suggestion's workflow: who moved it from which state to which, when, why."""

    scope_region_field = "suggestion__region"

    suggestion = models.ForeignKey(Suggestion, verbose_name="建议", on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField("原状态", max_length=15, choices=Suggestion.State.choices, blank=True)
    to_state = models.CharField("新状态", max_length=15, choices=Suggestion.State.choices)
    note = models.TextField("说明", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField("时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "建议办理记录"
        verbose_name_plural = "建议办理记录"
        ordering = ["suggestion", "at", "pk"]

    def __str__(self):
        return f"{self.suggestion_id}: {self.from_state or '—'} → {self.to_state}"
