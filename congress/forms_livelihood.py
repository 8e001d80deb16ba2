"""Forms of the livelihood-project vote. Choice fields are narrowed here to the clerk's
township; the base views intersect them with the user's scope as well (org.mixins). The
forms check what was typed; services_livelihood enforces the workflow and the arithmetic."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.db.models import Q
from django.utils import timezone

from org.models import Region
from stations.forms import DATE, clerk_townships
from stations.models import VoterIssue

from .models import LivelihoodProject, Meeting, ProjectBallot, ProjectProgress
from .selectors_livelihood import PRE_AGENDA_STATES
from .services_livelihood import LOCKED_AFTER_SHORTLIST

# The public page's opinions offered as a source: those of the last two years.
ISSUE_DAYS = 730
NOT_VOTED = ""


def _cols(*names, cls="col-12 col-md-6"):
    return Row(*[Column(Field(n), css_class=cls) for n in names])


def _helper(*rows) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*rows)
    return helper


class IssueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        text = obj.content if len(obj.content) <= 40 else obj.content[:40] + "…"
        return f"{obj.raised_on:%Y-%m-%d} {text}"


class ProjectForm(forms.ModelForm):
    """A candidate project. On an edit the township and the source opinion stay as they were."""

    region = forms.ModelChoiceField(label="乡镇", queryset=Region.objects.none(), empty_label="请选择乡镇")
    voter_issue = IssueChoiceField(
        label="来源意见",
        queryset=VoterIssue.objects.none(),
        required=False,
        empty_label="（不关联选民意见）",
        help_text="群众通过扫码页面等渠道反映的意见，可直接转为候选项目。",
    )

    class Meta:
        model = LivelihoodProject
        fields = [
            "region", "year", "title", "source", "proposer", "description", "budget", "responsible", "voter_issue",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user=None, issue=None, **kwargs):
        super().__init__(*args, **kwargs)
        towns = clerk_townships(user)
        self.fields["year"].initial = timezone.localdate().year
        if self.instance.pk:
            del self.fields["region"]
            del self.fields["voter_issue"]
            rows = [_cols("year", "source")]
            if self.instance.state not in PRE_AGENDA_STATES:
                # On the ballot already: the service would refuse a change anyway.
                for name in LOCKED_AFTER_SHORTLIST:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = "已提交票决，不能修改。"
        else:
            town_ids = [t.pk for t in towns]
            self.fields["region"].queryset = Region.objects.filter(pk__in=town_ids).order_by("code")
            if len(towns) == 1:
                self.fields["region"].initial = towns[0]
            since = timezone.localdate() - datetime.timedelta(days=ISSUE_DAYS)
            offered = Q(source=VoterIssue.Source.PUBLIC, raised_on__gte=since)
            if issue is not None:
                offered |= Q(pk=issue.pk)
            self.fields["voter_issue"].queryset = VoterIssue.objects.filter(offered, region_id__in=town_ids).order_by(
                "-raised_on", "-pk"
            )
            rows = [_cols("region", "year"), Field("source")]
        self.helper = _helper(
            *rows,
            Field("title"),
            _cols("proposer", "responsible"),
            Field("description"),
            Field("budget"),
            *([Field("voter_issue")] if "voter_issue" in self.fields else []),
        )

    def clean(self):
        data = super().clean()
        region, issue = data.get("region"), data.get("voter_issue")
        if region and issue and issue.region_id != region.pk:
            self.add_error("voter_issue", f"所选选民意见不属于{region.name}。")
        return data


class ProjectChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class ShortlistForm(forms.Form):
    projects = ProjectChoices(
        label="初定候选项目",
        queryset=LivelihoodProject.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择初定的候选项目。"},
    )
    places = forms.IntegerField(
        label="拟确定项目数",
        min_value=1,
        max_value=50,
        help_text="实行差额票决，初定的候选项目须多于拟确定的项目数。",
        error_messages={"required": "请填写拟确定的项目数。", "min_value": "拟确定项目数至少为1个。"},
    )

    def __init__(self, *args, pool=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = pool if pool is not None else LivelihoodProject.objects.none()


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title}（{obj.date:%Y-%m-%d}）"


class AgendaForm(forms.Form):
    meeting = SessionChoiceField(
        label="提交票决的会议",
        queryset=Meeting.objects.none(),
        empty_label="请选择人民代表大会会议",
        error_messages={"required": "请选择提交票决的会议。"},
    )

    def __init__(self, *args, sessions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = sessions if sessions is not None else Meeting.objects.none()


class BallotGridForm(forms.Form):
    """One radio row per deputy who may vote: 赞成 / 反对 / 弃权, or 未表决 (no ballot)."""

    CHOICES = [(NOT_VOTED, "未表决"), *ProjectBallot.Choice.choices]

    def __init__(self, *args, voters=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.voters = list(voters)
        for deputy in self.voters:
            self.fields[self.key(deputy.pk)] = forms.ChoiceField(
                label=deputy.name,
                choices=self.CHOICES,
                required=False,
                initial=current.get(deputy.pk, NOT_VOTED),
                widget=forms.RadioSelect,
            )

    @staticmethod
    def key(pk) -> str:
        return f"d{pk}"

    def rows(self):
        return [(deputy, self[self.key(deputy.pk)]) for deputy in self.voters]

    def choices(self) -> dict[int, str]:
        return {deputy.pk: self.cleaned_data.get(self.key(deputy.pk)) or "" for deputy in self.voters}


def _count(label):
    return forms.IntegerField(
        label=label,
        min_value=0,
        error_messages={"required": f"请填写{label}票数。", "min_value": f"{label}票数不能为负数。"},
    )


class CountsForm(forms.Form):
    yes = _count("赞成")
    no = _count("反对")
    abstain = _count("弃权")


class RankForm(forms.Form):
    places = forms.IntegerField(
        label="确定项目数（名额）",
        min_value=1,
        max_value=50,
        error_messages={"required": "请填写确定的项目数。", "min_value": "确定项目数至少为1个。"},
    )


class ProgressForm(forms.ModelForm):
    class Meta:
        model = ProjectProgress
        fields = ["quarter", "percent", "report", "reported_on"]
        widgets = {"report": forms.Textarea(attrs={"rows": 4}), "reported_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["percent"].min_value = 0
        self.fields["percent"].widget.attrs.update(min=0, max=100)
        self.fields["reported_on"].initial = timezone.localdate
        self.helper = _helper(_cols("quarter", "percent"), Field("report"), Field("reported_on"))

    def clean_reported_on(self):
        value = self.cleaned_data.get("reported_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError("报告日期不能晚于今天。")
        return value

    def validate_unique(self):
        # Re-reporting a quarter corrects it: the service updates the quarter's row.
        pass


class RateForm(forms.Form):
    satisfied = forms.IntegerField(label="满意（人）", min_value=0, initial=0)
    basically_satisfied = forms.IntegerField(label="基本满意（人）", min_value=0, initial=0)
    unsatisfied = forms.IntegerField(label="不满意（人）", min_value=0, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.update(required=f"请填写“{field.label}”。", min_value=f"“{field.label}”不能为负数。")
        self.helper = _helper(Row(*[Column(Field(n), css_class="col-12 col-md-4") for n in self.fields]))
