"""Forms of the township assessment; the services do the checking that needs the database."""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone

from org.models import Region, user_memberships
from org.roles import COUNTY_KINDS, TOWNSHIP_KINDS, Role
from org.uploads import DOCUMENT, IMAGE, validate_upload

from .models import Assessment, ChecklistItem, ChecklistSection, PublicityItem, Score, TownshipResult

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["region", "year", "title", "excellent_min", "good_min", "pass_min", "excellent_cap_percent"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(
            kind__in=COUNTY_KINDS,
            pk__in=[m.region_id for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN] if user else [],
        )
        self.fields["region"].empty_label = None
        self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        data = super().clean()
        e, g, p = data.get("excellent_min"), data.get("good_min"), data.get("pass_min")
        if None not in (e, g, p) and not (e > g > p >= 0):
            self.add_error("good_min", "分数线须满足：优秀 > 良好 > 合格 ≥ 0。")
        cap = data.get("excellent_cap_percent")
        if cap is not None and cap > 100:
            self.add_error("excellent_cap_percent", "优秀比例上限不能超过100%。")
        return data


class ThresholdForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["excellent_min", "good_min", "pass_min", "excellent_cap_percent"]

    clean = AssessmentForm.clean


class ChecklistItemForm(forms.ModelForm):
    params = forms.CharField(label="计算参数", required=False, help_text='JSON，如 {"min": 2}', initial="{}")

    class Meta:
        model = ChecklistItem
        fields = ["section", "order", "title", "description", "points", "method", "metric", "params"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, assessment=None, **kwargs):
        super().__init__(*args, **kwargs)
        assessment = assessment or (self.instance.section.assessment if self.instance.section_id else None)
        self.fields["section"].queryset = ChecklistSection.objects.filter(assessment=assessment)
        if self.instance.pk:
            self.initial["params"] = json.dumps(self.instance.params or {}, ensure_ascii=False)

    def clean_params(self):
        raw = (self.cleaned_data.get("params") or "").strip() or "{}"
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError('计算参数须为JSON对象，如 {"min": 2}。') from None
        if not isinstance(value, dict):
            raise forms.ValidationError('计算参数须为JSON对象，如 {"min": 2}。')
        return value


class ScoreForm(forms.ModelForm):
    class Meta:
        model = Score
        fields = ["points", "comment", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].required = True
        self.fields["points"].help_text = f"0至{self.instance.item.points}分"
        self.evidence_type = ""

    def clean_evidence(self):
        f = self.cleaned_data.get("evidence")
        if f and hasattr(f, "content_type"):
            self.evidence_type = validate_upload(f, kinds=(IMAGE, DOCUMENT))
        return f


class OpenReplyForm(forms.Form):
    reply_deadline = forms.DateField(label="乡镇反馈截止日期", widget=DATE)


class ReplyForm(forms.ModelForm):
    class Meta:
        model = TownshipResult
        fields = ["reply"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 4})}


class AnswerForm(forms.ModelForm):
    class Meta:
        model = TownshipResult
        fields = ["reply_answer"]
        widgets = {"reply_answer": forms.Textarea(attrs={"rows": 3})}


class PublicityItemForm(forms.ModelForm):
    url = forms.URLField(label="链接", required=False, assume_scheme="https")

    class Meta:
        model = PublicityItem
        fields = ["region", "date", "title", "media", "level", "url"]
        widgets = {"date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The view's scope_form_fields narrows it to the user's own townships.
        self.fields["region"].queryset = Region.objects.filter(kind__in=TOWNSHIP_KINDS)
        self.fields["region"].empty_label = None
