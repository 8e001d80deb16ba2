"""Forms of the suggestions part. Choice fields are narrowed here to the user's township;
the base views intersect them with the user's scope as well (org.mixins). The forms check
what a user typed; the services (services_suggestions) enforce the workflow."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone

from deputies.models import Deputy, Mandate
from deputies.selectors import has_mandate
from org.models import HandlingUnit, Region, user_memberships
from org.roles import TOWNSHIP_KINDS, Role

from .models import Meeting, Suggestion, SuggestionAssignment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YEARS_BACK = 6
NAME_SEPARATORS = re.compile(r"[\s,，、;；]+")


def year_choices(blank: str | None = "全部年度") -> list[tuple[str, str]]:
    this_year = timezone.localdate().year
    years = [(str(y), f"{y}年") for y in range(this_year, this_year - YEARS_BACK, -1)]
    return ([("", blank)] if blank is not None else []) + years


def clerk_townships(user) -> list[Region]:
    return [
        m.region for m in user_memberships(user) if m.role == Role.TOWNSHIP_CLERK and m.region.kind in TOWNSHIP_KINDS
    ]


class DeputyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DeputiesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title}（{obj.date:%Y-%m-%d}）"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


CONTENT_FIELDS = ["title", "content", "category", "is_motion"]
CONTENT_WIDGETS = {"content": forms.Textarea(attrs={"rows": 8})}


class SuggestionClerkForm(forms.ModelForm):
    """The clerk drafts or edits a suggestion for any serving deputy of its township (one
    handed in on paper, or made at a session)."""

    lead_deputy = DeputyChoiceField(label="领衔代表", queryset=Deputy.objects.none(), empty_label="请选择领衔代表")
    co_deputies = DeputiesField(
        label="附议代表",
        queryset=Deputy.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="联名提出的建议选择附议代表；领衔代表不必再选。",
    )
    meeting = MeetingChoiceField(
        label="提出会议",
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="闭会期间提出",
        help_text="大会期间提出的选择所在会议；闭会期间提出的应在立案后五个工作日内交办。",
    )

    class Meta:
        model = Suggestion
        fields = ["lead_deputy", "co_deputies", *CONTENT_FIELDS, "meeting"]
        widgets = CONTENT_WIDGETS

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        town_ids = [t.pk for t in clerk_townships(user)]
        if self.instance.pk:
            town_ids = [t for t in town_ids if t == self.instance.region_id]
        serving = Deputy.objects.filter(region_id__in=town_ids).filter(
            has_mandate(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP)
        )
        if self.instance.pk:
            # Deputies already on it stay choosable even if their mandate has ended since.
            keep = [self.instance.lead_deputy_id, *self.instance.co_deputies.values_list("pk", flat=True)]
            serving = Deputy.objects.filter(pk__in=serving.values("pk")) | Deputy.objects.filter(pk__in=keep)
        deputies = serving.order_by("name_initials", "pk")
        self.fields["lead_deputy"].queryset = deputies
        self.fields["co_deputies"].queryset = deputies
        self.fields["meeting"].queryset = (
            Meeting.objects.filter(region_id__in=town_ids, kind=Meeting.Kind.SESSION)
            .select_related("region", "term")
            .order_by("-date")
        )


class SuggestionDeputyForm(forms.ModelForm):
    """A deputy drafts its own suggestion; co-signing deputies of its township are named."""

    co_deputies = forms.CharField(
        label="附议代表",
        required=False,
        max_length=500,
        help_text="联名提出的，填写附议代表姓名，用顿号或空格分隔（须为本乡镇代表）。",
    )

    class Meta:
        model = Suggestion
        fields = CONTENT_FIELDS
        widgets = CONTENT_WIDGETS

    def __init__(self, *args, deputy=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deputy = deputy
        if self.instance.pk and not self.is_bound:
            self.initial["co_deputies"] = "、".join(d.name for d in self.instance.co_deputies.all())

    def clean_co_deputies(self):
        names = [n for n in NAME_SEPARATORS.split(self.cleaned_data.get("co_deputies") or "") if n]
        names = list(dict.fromkeys(n for n in names if self.deputy is None or n != self.deputy.name))
        if not names:
            return []
        if self.deputy is None:
            raise forms.ValidationError("您的账号尚未关联代表信息。")
        found: dict[str, list[Deputy]] = {}
        for d in Deputy.objects.filter(region_id=self.deputy.region_id, name__in=names).order_by("pk"):
            found.setdefault(d.name, []).append(d)
        unknown = [n for n in names if n not in found]
        if unknown:
            raise forms.ValidationError(f"以下姓名不是{self.deputy.region.name}的代表：{'、'.join(unknown)}。")
        twins = [n for n in names if len(found[n]) > 1]
        if twins:
            raise forms.ValidationError(f"本乡镇有同名代表：{'、'.join(twins)}，请联系乡镇人大秘书添加。")
        return [found[n][0] for n in names]


class SubmitForm(forms.Form):
    """提交: nothing to fill in."""


class AcceptForm(forms.Form):
    number = forms.CharField(label="编号", max_length=20, required=False, help_text="不填则按“年度-序号”自动编号。")


class RefuseForm(forms.Form):
    refusal_reason = forms.ChoiceField(
        label="不予立案理由", choices=[("", "请选择理由")] + list(Suggestion.RefusalReason.choices)
    )
    refusal_note = forms.CharField(
        label="说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refusal_reason"].error_messages["required"] = "请选择不予立案理由。"


class AssignForm(forms.Form):
    lead_unit = UnitChoiceField(label="主办单位", queryset=HandlingUnit.objects.none(), empty_label="请选择主办单位")
    assist_units = UnitsField(
        label="协办单位", queryset=HandlingUnit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    complex = forms.BooleanField(label="情况复杂（办理期限六个月）", required=False)
    assigned_on = forms.DateField(label="交办日期", widget=DATE)

    def __init__(self, *args, user=None, suggestion=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = HandlingUnit.objects.for_user(user).filter(active=True).select_related("region")
        if suggestion is not None:
            # The township's own units and those of the county above it.
            ids = [int(x) for x in suggestion.region.path.strip("/").split("/") if x]
            units = units.filter(region_id__in=ids)
        units = units.order_by("region__depth", "name")
        self.fields["lead_unit"].queryset = units
        self.fields["lead_unit"].error_messages["required"] = "请选择主办单位。"
        self.fields["assist_units"].queryset = units
        self.fields["assigned_on"].initial = timezone.localdate
        self.fields["assigned_on"].error_messages["required"] = "请填写交办日期。"


class RateForm(forms.Form):
    rating = forms.ChoiceField(label="评价意见", choices=Suggestion.Rating.choices, widget=forms.RadioSelect)
    rating_note = forms.CharField(
        label="意见和建议",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="评价为不满意时必填。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].error_messages["required"] = "请选择评价意见。"


class CloseForm(forms.Form):
    note = forms.CharField(label="说明", max_length=300, required=False)


class KeyForm(forms.Form):
    key_leader = forms.CharField(label="督办领导", max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_leader"].error_messages["required"] = "请填写督办领导。"


class AnswerForm(forms.Form):
    answer = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 6}))
    answer_class = forms.ChoiceField(
        label="答复类别", choices=[("", "请选择")] + list(Suggestion.AnswerClass.choices), required=False
    )
    answered_on = forms.DateField(label="答复日期", widget=DATE)

    def __init__(self, *args, assignment: SuggestionAssignment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].error_messages["required"] = "请填写答复内容。"
        self.fields["answered_on"].initial = timezone.localdate
        self.fields["answered_on"].error_messages["required"] = "请填写答复日期。"
        if assignment is not None and assignment.role == SuggestionAssignment.Role.LEAD:
            self.fields["answer_class"].required = True
            self.fields["answer_class"].error_messages["required"] = "主办单位答复时请选择答复类别（A/B/C）。"
        else:
            self.fields["answer_class"].help_text = "协办单位可不选。"


# --- filters --------------------------------------------------------------------------------

FLAG_CHOICES = [("", "全部建议"), ("overdue", "超期未答复"), ("key", "重点督办")]


class SuggestionFilterForm(forms.Form):
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态")] + list(Suggestion.State.choices))
    category = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部类别")] + list(Suggestion.Category.choices)
    )
    flag = forms.ChoiceField(label="提示", required=False, choices=FLAG_CHOICES)
    unit = forms.ChoiceField(label="承办单位", required=False)
    deputy = forms.ChoiceField(label="代表", required=False)
    year = forms.ChoiceField(label="年度", required=False)
    q = forms.CharField(label="搜索", required=False, max_length=100)

    def __init__(self, *args, units=None, deputies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in (units or [])}
        self.deputies = {str(d.pk): d for d in (deputies or [])}
        self.fields["unit"].choices = [("", "全部承办单位")] + [(k, u.name) for k, u in self.units.items()]
        self.fields["deputy"].choices = [("", "全部代表")] + [(k, d.name) for k, d in self.deputies.items()]
        self.fields["year"].choices = year_choices()

    def values(self) -> dict:
        """The selector's keyword arguments; an invalid filter is ignored, not an error."""
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "state": d.get("state") or "",
            "category": d.get("category") or "",
            "overdue": d.get("flag") == "overdue",
            "key": d.get("flag") == "key",
            "unit": self.units.get(d.get("unit") or ""),
            "deputy": self.deputies.get(d.get("deputy") or ""),
            "year": int(d["year"]) if d.get("year") else None,
            "q": (d.get("q") or "").strip(),
        }


INBOX_CHOICES = [("", "全部"), ("open", "待答复"), ("overdue", "已超期"), ("answered", "已答复")]


class InboxFilterForm(forms.Form):
    state = forms.ChoiceField(label="办理情况", required=False, choices=INBOX_CHOICES)
    year = forms.ChoiceField(label="交办年度", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()

    def values(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"state": d.get("state") or "", "year": int(d["year"]) if d.get("year") else None}


class StatsFilterForm(forms.Form):
    year = forms.ChoiceField(label="交办年度", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices(blank=None)

    def chosen_year(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return int(self.cleaned_data["year"])
        return timezone.localdate().year
