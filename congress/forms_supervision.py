"""Forms of the supervision pages. They only collect input; the rules live in
services_supervision, whose errors come back onto the field of the same name. Choice fields
are narrowed here to the township and intersected with the user's scope by the base views
(org.mixins.scope_form_fields)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from deputies.models import Deputy
from org.models import HandlingUnit, Region

from . import selectors_supervision as selectors
from .models import SupervisionItem, SupervisionPlan
from .services_supervision import DEFAULT_RECTIFICATION_MONTHS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUARTER_CHOICES = [(q, f"第{q}季度") for q in range(1, 5)]


def _year_choices(extra=()) -> list[tuple[int, str]]:
    this_year = timezone.localdate().year
    years = sorted({*range(this_year + 1, this_year - 5, -1), *extra}, reverse=True)
    return [(y, f"{y}年") for y in years]


class TownshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name if obj.region.is_township else f"{obj.name}（{obj.region.name}）"


class ParticipantsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


def _township_field(form, townships):
    """A township picker only for a clerk of several townships; `form.township` is the one."""
    townships = list(townships)
    if len(townships) > 1:
        form.fields["region"].queryset = Region.objects.filter(pk__in=[t.pk for t in townships]).order_by("code")
    else:
        del form.fields["region"]
    form.single_township = townships[0] if len(townships) == 1 else None


# --- the plan -------------------------------------------------------------------------------


class PlanForm(forms.Form):
    region = TownshipChoiceField(label="乡镇", queryset=Region.objects.none(), empty_label=None)
    year = forms.TypedChoiceField(label="年度", coerce=int)
    q1_focus = forms.CharField(label="一季度重点", max_length=300, required=False)
    q2_focus = forms.CharField(label="二季度重点", max_length=300, required=False)
    q3_focus = forms.CharField(label="三季度重点", max_length=300, required=False)
    q4_focus = forms.CharField(label="四季度重点", max_length=300, required=False)
    approved_on = forms.DateField(
        label="通过日期", required=False, widget=DATE, help_text="乡镇人民代表大会或主席团会议通过计划的日期。"
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, townships=(), plan: SupervisionPlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices([plan.year] if plan else [])
        if plan is None:
            _township_field(self, townships)
            self.fields["year"].initial = timezone.localdate().year
        else:
            del self.fields["region"]
            self.single_township = plan.region

    def township(self):
        return self.cleaned_data.get("region") or self.single_township

    def focus(self) -> dict:
        return {q: self.cleaned_data.get(f"q{q}_focus", "") for q in range(1, 5)}


# --- items ----------------------------------------------------------------------------------


class ItemForm(forms.Form):
    """An item's facts. On an edit the township stays; participants appear once it is held."""

    region = TownshipChoiceField(label="乡镇", queryset=Region.objects.none(), empty_label=None)
    year = forms.TypedChoiceField(label="年度", coerce=int)
    quarter = forms.TypedChoiceField(label="季度", choices=QUARTER_CHOICES, coerce=int)
    kind = forms.ChoiceField(label="监督方式", choices=SupervisionItem.Kind.choices)
    title = forms.CharField(
        label="监督事项", max_length=200, help_text="如：听取和审议镇政府关于农村人居环境整治工作的报告。"
    )
    unit = UnitChoiceField(
        label="被监督单位", queryset=HandlingUnit.objects.none(), required=False, empty_label="（未定）"
    )
    date = forms.DateField(
        label="开展日期", required=False, widget=DATE, help_text="计划中的事项可填写计划开展的日期。"
    )
    participants = ParticipantsField(label="参加代表", queryset=Deputy.objects.none(), required=False)

    def __init__(self, *args, townships=(), item: SupervisionItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices([item.year] if item else [])
        if item is None:
            _township_field(self, townships)
            self.fields["year"].initial = timezone.localdate().year
            self.fields["quarter"].initial = (timezone.localdate().month - 1) // 3 + 1
            del self.fields["participants"]
            units_for = townships
        else:
            del self.fields["region"]
            self.single_township = item.region
            units_for = [item.region]
            if item.state == SupervisionItem.State.PLANNED:
                del self.fields["participants"]
            else:
                self.fields["date"].required = True
                self.fields["date"].help_text = ""
                current = list(item.participants.values_list("pk", flat=True))
                self.fields["participants"].queryset = selectors.participant_choices(
                    region=item.region, include=current
                )
        self.fields["unit"].queryset = selectors.unit_choices(
            townships=list(units_for), include=item.unit_id if item else None
        )

    def township(self):
        return self.cleaned_data.get("region") or self.single_township


# --- the chain's steps ----------------------------------------------------------------------


class HoldForm(forms.Form):
    date = forms.DateField(label="开展日期", widget=DATE)
    participants = ParticipantsField(label="参加代表", queryset=Deputy.objects.none())

    def __init__(self, *args, item: SupervisionItem, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = item.date if item.date and item.date <= today else today
        current = list(item.participants.values_list("pk", flat=True))
        self.fields["participants"].queryset = selectors.participant_choices(region=item.region, include=current)
        self.fields["participants"].initial = current


class OpinionForm(forms.Form):
    opinion = forms.CharField(label="审议意见", widget=forms.Textarea(attrs={"rows": 5}))
    sent_on = forms.DateField(label="交办日期", widget=DATE)
    rectification_due = forms.DateField(
        label="整改期限",
        required=False,
        widget=DATE,
        help_text=f"留空则为交办日期后{DEFAULT_RECTIFICATION_MONTHS}个月（通常为2—3个月）。",
    )

    def __init__(self, *args, item: SupervisionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sent_on"].initial = timezone.localdate()


class RectificationForm(forms.Form):
    report = forms.CharField(label="整改情况报告", widget=forms.Textarea(attrs={"rows": 6}))
    on = forms.DateField(label="报送日期", widget=DATE)

    def __init__(self, *args, item: SupervisionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class FollowUpForm(forms.Form):
    text = forms.CharField(label="跟踪督办情况", widget=forms.Textarea(attrs={"rows": 4}))
    on = forms.DateField(label="跟踪日期", widget=DATE)
    satisfied = forms.IntegerField(label="满意（票）", min_value=0, initial=0)
    basically_satisfied = forms.IntegerField(label="基本满意（票）", min_value=0, initial=0)
    unsatisfied = forms.IntegerField(label="不满意（票）", min_value=0, initial=0)

    def __init__(self, *args, item: SupervisionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


# step → (form, the button's label)
STEP_FORMS = {
    "hold": (HoldForm, "登记开展情况"),
    "opinion": (OpinionForm, "交办审议意见"),
    "rectification": (RectificationForm, "录入整改情况"),
    "follow_up": (FollowUpForm, "跟踪督办并测评"),
}


# --- the list -------------------------------------------------------------------------------


class FilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None)
    quarter = forms.TypedChoiceField(
        label="季度", choices=[("", "全部季度"), *QUARTER_CHOICES], coerce=int, required=False, empty_value=None
    )
    kind = forms.ChoiceField(
        label="监督方式", choices=[("", "全部方式"), *SupervisionItem.Kind.choices], required=False
    )
    state = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *SupervisionItem.State.choices], required=False)
    overdue = forms.BooleanField(label="只看整改超期", required=False)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年") for y in years] or _year_choices()

    def chosen_year(self) -> int:
        """The chosen year, else this year."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return timezone.localdate().year

    def filters(self) -> dict:
        """Keyword arguments for selectors_supervision.item_list (invalid input: the year only)."""
        out = {"year": self.chosen_year()}
        if self.is_bound and self.is_valid():
            d = self.cleaned_data
            out.update(
                quarter=d.get("quarter"),
                kind=d.get("kind") or "",
                state=d.get("state") or "",
                only_overdue=bool(d.get("overdue")),
            )
        return out
