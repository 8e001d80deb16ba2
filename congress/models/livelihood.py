"""The livelihood-project vote 民生实事项目代表票决制."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import Region
from org.scoping import ScopedQuerySet

from .meetings import AgendaItem


class LivelihoodProject(models.Model):
    """A candidate project of a township's yearly vote, and its life once adopted.

    Per township and year: candidates are collected (from deputies, the government, the
    public page), shortlisted with more candidates than places (差额), put on a session's
    agenda (`agenda_item`), voted by the serving deputies (per deputy `ProjectBallot`s or
    counted paper ballots); a project passes with more than half of ALL serving deputies,
    and the passed ones are ranked by yes votes into the places (`rank`, `adopted`). Adopted
    projects report progress each quarter and are rated by the deputies at year end.
    """

    class Source(models.TextChoices):
        DEPUTIES = "deputies", "代表提出"
        GOVERNMENT = "government", "政府提出"
        PUBLIC = "public", "群众征集"
        OTHER = "other", "其他"

    class State(models.TextChoices):
        CANDIDATE = "candidate", "征集中"
        SHORTLISTED = "shortlisted", "初定候选"
        NOT_SHORTLISTED = "not_shortlisted", "未列入候选"
        ON_AGENDA = "on_agenda", "提交票决"
        ADOPTED = "adopted", "票决通过"
        NOT_ADOPTED = "not_adopted", "未通过"
        IN_PROGRESS = "in_progress", "实施中"
        COMPLETED = "completed", "已完成"

    scope_region_field = "region"

    region = models.ForeignKey(
        Region, verbose_name="乡镇", on_delete=models.PROTECT, related_name="livelihood_projects"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("项目名称", max_length=200)
    description = models.TextField("建设内容", blank=True)
    source = models.CharField("来源", max_length=15, choices=Source.choices, default=Source.GOVERNMENT)
    proposer = models.CharField("提出人", max_length=100, blank=True)
    budget = models.DecimalField("估算投资（万元）", max_digits=10, decimal_places=2, null=True, blank=True)
    responsible = models.CharField("责任单位", max_length=100, blank=True)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.CANDIDATE)
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name="票决议程", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="livelihood_projects",
    )  # fmt: skip
    # Counted paper ballots, or the tally of the per-deputy ballots.
    yes = models.PositiveIntegerField("赞成", default=0)
    no = models.PositiveIntegerField("反对", default=0)
    abstain = models.PositiveIntegerField("弃权", default=0)
    rank = models.PositiveSmallIntegerField("得票排名", null=True, blank=True)
    satisfied = models.PositiveIntegerField("满意", default=0)
    basically_satisfied = models.PositiveIntegerField("基本满意", default=0)
    unsatisfied = models.PositiveIntegerField("不满意", default=0)
    voter_issue = models.ForeignKey(
        "stations.VoterIssue", verbose_name="来源意见", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="livelihood_projects",
    )  # fmt: skip
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "民生实事项目"
        verbose_name_plural = "民生实事项目"
        ordering = ["region__code", "-year", "rank", "pk"]
        indexes = [models.Index(fields=["region", "year"], name="livelihood_region_year")]

    def __str__(self):
        return f"{self.year}年 {self.title}"

    def get_absolute_url(self):
        return reverse("congress:livelihood-detail", args=[self.pk])


class ProjectBallot(models.Model):
    """One deputy's vote on one candidate project."""

    class Choice(models.TextChoices):
        YES = "yes", "赞成"
        NO = "no", "反对"
        ABSTAIN = "abstain", "弃权"

    scope_region_field = "project__region"

    project = models.ForeignKey(
        LivelihoodProject, verbose_name="项目", on_delete=models.CASCADE, related_name="ballots"
    )
    deputy = models.ForeignKey(Deputy, verbose_name="代表", on_delete=models.CASCADE, related_name="project_ballots")
    choice = models.CharField("表决意见", max_length=10, choices=Choice.choices)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "项目票决"
        verbose_name_plural = "项目票决"
        constraints = [models.UniqueConstraint(fields=["project", "deputy"], name="project_ballot_unique")]

    def __str__(self):
        return f"{self.project}·{self.deputy}：{self.get_choice_display()}"


class ProjectProgress(models.Model):
    """A quarterly progress report of an adopted project."""

    scope_region_field = "project__region"

    project = models.ForeignKey(
        LivelihoodProject, verbose_name="项目", on_delete=models.CASCADE, related_name="progress_reports"
    )
    quarter = models.PositiveSmallIntegerField("季度", choices=[(q, f"第{q}季度") for q in range(1, 5)])
    percent = models.PositiveSmallIntegerField("完成进度（%）", default=0)
    report = models.TextField("进展情况")
    reported_on = models.DateField("报告日期", default=timezone.localdate)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "项目进展"
        verbose_name_plural = "项目进展"
        ordering = ["project", "quarter"]
        constraints = [models.UniqueConstraint(fields=["project", "quarter"], name="project_progress_unique")]

    def __str__(self):
        return f"{self.project}·第{self.quarter}季度"

    def get_absolute_url(self):
        return self.project.get_absolute_url()
