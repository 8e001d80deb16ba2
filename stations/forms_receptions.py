"""Forms of the receptions part. Choice fields are narrowed here to the clerk's township;
the base views intersect them with the user's scope as well (org.mixins). The forms check
what a user typed; the services (services_receptions) enforce the workflow."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone

from org.models import HandlingUnit, Region
from org.uploads import IMAGE, validate_upload

from . import selectors_receptions as selectors
from .forms import DATE, clerk_townships
from .models import Activity, Reception, Station, VoterIssue
from .services_receptions import DEFAULT_REFERRAL_DAYS, DISPOSITIONS, referable_units

validate_phone = RegexValidator(r"^[0-9+\- ]{5,20}$", "联系电话只能填写数字和“-”，5—20位。")
YEARS_BACK = 6


def year_choices() -> list[tuple[str, str]]:
    this_year = timezone.localdate().year
    return [("", "全部年度")] + [(str(y), f"{y}年") for y in range(this_year, this_year - YEARS_BACK, -1)]


def _not_in_future(value, label):
    if value and value > timezone.localdate():
        raise ValidationError(f"{label}不能晚于今天。")
    return value


def default_due_on() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=DEFAULT_REFERRAL_DAYS)


class StationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


# --- receptions ---------------------------------------------------------------------------


class ReceptionForm(forms.ModelForm):
    """The reception itself; the matters raised come in `IssueFormSet` beside it. On an edit
    the room stays as it was."""

    station = StationChoiceField(label="接待阵地", queryset=Station.objects.none(), empty_label="请选择阵地")

    class Meta:
        model = Reception
        fields = ["station", "date", "deputies", "voter_count", "summary"]
        widgets = {
            "date": DATE,
            "deputies": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        town_ids = [t.pk for t in clerk_townships(user)]
        keep = ()
        if self.instance.pk:
            town_ids = [t for t in town_ids if t == self.instance.station.township_id]
            keep = list(self.instance.deputies.all())
            del self.fields["station"]
        else:
            self.fields["station"].queryset = Station.objects.filter(township_id__in=town_ids, active=True).order_by(
                "township__code", "kind", "region__code", "name"
            )
        deputies = self.fields["deputies"]
        deputies.queryset = selectors.serving_deputies(town_ids, keep=keep)
        deputies.required = True
        deputies.error_messages["required"] = "请至少选择一名接待代表。"
        deputies.help_text = "按值日表预填，可增减。"
        self.fields["date"].initial = timezone.localdate

    def clean_date(self):
        return _not_in_future(self.cleaned_data.get("date"), "接待日期")

    def clean(self):
        data = super().clean()
        station = data.get("station") if "station" in self.fields else self.instance.station
        deputies = data.get("deputies")
        if station and deputies:
            wrong = [d.name for d in deputies if d.region_id != station.township_id]
            if wrong:
                self.add_error("deputies", f"接待代表必须是{station.township.name}的代表：{'、'.join(wrong)}。")
        return data


class IssueRowForm(forms.Form):
    """One matter raised at a reception and what was done with it there."""

    content = forms.CharField(label="反映内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.ChoiceField(
        label="类别", choices=VoterIssue.Category.choices, initial=VoterIssue.Category.OTHER, required=False
    )
    voter_name = forms.CharField(label="反映人", max_length=50, required=False)
    voter_phone = forms.CharField(label="联系电话", max_length=30, required=False, validators=[validate_phone])
    voter_address = forms.CharField(label="住址", max_length=200, required=False)
    disposition = forms.ChoiceField(
        label="处理方式", choices=DISPOSITIONS, required=False, initial="", widget=forms.RadioSelect
    )
    answer = forms.CharField(label="当场答复内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    handling_unit = forms.ModelChoiceField(
        label="承办单位", queryset=HandlingUnit.objects.none(), required=False, empty_label="请选择承办单位"
    )
    due_on = forms.DateField(
        label="办理期限", required=False, widget=DATE, help_text=f"不填则为转办后{DEFAULT_REFERRAL_DAYS}天。"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handling_unit"].queryset = referable_units(user)

    def clean(self):
        data = super().clean()
        if not (data.get("content") or "").strip():
            self.add_error("content", "请填写反映内容。")
        disposition = data.get("disposition")
        if disposition == "on_spot" and not (data.get("answer") or "").strip():
            self.add_error("answer", "当场答复请填写答复内容。")
        if disposition == "refer":
            if not data.get("handling_unit"):
                self.add_error("handling_unit", "转办请选择承办单位。")
            due_on = data.get("due_on")
            if due_on and due_on < timezone.localdate():
                self.add_error("due_on", "办理期限不能早于今天。")
        return data


class BaseIssueFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The filled rows, as `reception_create` takes them (blank extra rows left out)."""
        return [f.cleaned_data for f in self.forms if f.has_changed() and f.cleaned_data]


IssueFormSet = forms.formset_factory(IssueRowForm, formset=BaseIssueFormSet, extra=1)
MoreIssueFormSet = forms.formset_factory(IssueRowForm, formset=BaseIssueFormSet, extra=0)


class ReceptionFilterForm(forms.Form):
    township = forms.ModelChoiceField(
        label="乡镇", queryset=Region.objects.none(), required=False, empty_label="全部乡镇"
    )
    station = StationChoiceField(label="阵地", queryset=Station.objects.none(), required=False, empty_label="全部阵地")
    year = forms.TypedChoiceField(label="年度", choices=year_choices, coerce=int, required=False, empty_value=None)

    def __init__(self, *args, townships=None, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if townships is not None:
            self.fields["township"].queryset = townships
        if stations is not None:
            self.fields["station"].queryset = stations

    def values(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


# --- voter issues -------------------------------------------------------------------------


class IssueCreateForm(forms.ModelForm):
    """A matter raised outside a reception: during a deputy activity, or otherwise."""

    region = forms.ModelChoiceField(label="所属乡镇", queryset=Region.objects.none(), empty_label=None)
    station = StationChoiceField(label="阵地", queryset=Station.objects.none(), required=False, empty_label="（无）")
    activity = forms.ModelChoiceField(queryset=Activity.objects.none(), required=False, widget=forms.HiddenInput)
    source = forms.ChoiceField(
        label="来源",
        choices=[(VoterIssue.Source.ACTIVITY, "代表活动"), (VoterIssue.Source.OTHER, "其他")],
        initial=VoterIssue.Source.OTHER,
    )
    voter_phone = forms.CharField(label="联系电话", max_length=30, required=False, validators=[validate_phone])

    class Meta:
        model = VoterIssue
        fields = [
            "region", "station", "activity", "source", "category", "content", "voter_name", "voter_phone",
            "voter_address", "raised_on", "photo",
        ]  # fmt: skip
        widgets = {"raised_on": DATE, "content": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"photo": "JPEG/PNG 图片，不超过 5 MB。"}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        towns = clerk_townships(user)
        town_ids = [t.pk for t in towns]
        self.fields["region"].queryset = Region.objects.filter(pk__in=town_ids).order_by("code")
        if len(towns) == 1:
            self.fields["region"].initial = towns[0].pk
            self.fields["region"].widget = forms.HiddenInput()
        self.fields["station"].queryset = Station.objects.filter(township_id__in=town_ids, active=True).order_by(
            "kind", "region__code", "name"
        )
        self.fields["activity"].queryset = Activity.objects.filter(region_id__in=town_ids)

    def clean_raised_on(self):
        return _not_in_future(self.cleaned_data.get("raised_on"), "反映日期")

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        self.photo_type = ""
        if photo:
            self.photo_type = validate_upload(photo, kinds=(IMAGE,))
        return photo

    def clean(self):
        data = super().clean()
        region, station, activity = data.get("region"), data.get("station"), data.get("activity")
        if activity is not None:
            data["source"] = VoterIssue.Source.ACTIVITY
            if region is not None and activity.region_id != region.pk:
                self.add_error("activity", "代表活动不属于所选乡镇。")
        elif data.get("source") == VoterIssue.Source.ACTIVITY:
            self.add_error("source", "来源为代表活动时，请从代表活动页面登记问题。")
        if region is not None and station is not None and station.township_id != region.pk:
            self.add_error("station", f"阵地“{station}”不属于{region.name}。")
        return data


class OnSpotForm(forms.Form):
    answer = forms.CharField(label="当场答复内容", widget=forms.Textarea(attrs={"rows": 3}))


class ReferForm(forms.Form):
    handling_unit = forms.ModelChoiceField(
        label="承办单位", queryset=HandlingUnit.objects.none(), empty_label="请选择承办单位"
    )
    due_on = forms.DateField(label="办理期限", widget=DATE, initial=default_due_on)
    note = forms.CharField(label="转办说明", required=False, max_length=300)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handling_unit"].queryset = referable_units(user)


class AnswerForm(forms.Form):
    answer = forms.CharField(label="办理答复", widget=forms.Textarea(attrs={"rows": 4}))
    answered_on = forms.DateField(label="答复日期", widget=DATE, initial=timezone.localdate)

    def clean_answered_on(self):
        return _not_in_future(self.cleaned_data.get("answered_on"), "答复日期")


class FeedbackForm(forms.Form):
    feedback_method = forms.ChoiceField(label="反馈方式", choices=VoterIssue.FeedbackMethod.choices)
    fed_back_on = forms.DateField(label="反馈日期", widget=DATE, initial=timezone.localdate)
    feedback_note = forms.CharField(label="选民意见", max_length=300, required=False, help_text="选民对办理结果的意见")

    def clean_fed_back_on(self):
        return _not_in_future(self.cleaned_data.get("fed_back_on"), "反馈日期")


class CloseForm(forms.Form):
    note = forms.CharField(label="办结说明", max_length=300, required=False)


# step name (services_receptions.TRANSITIONS) -> (form class, button label)
STEP_FORMS = {
    "handle_on_spot": (OnSpotForm, "当场答复"),
    "refer": (ReferForm, "转办"),
    "answer": (AnswerForm, "录入办理答复"),
    "feed_back": (FeedbackForm, "反馈选民"),
    "close": (CloseForm, "办结"),
}


class IssueFilterForm(forms.Form):
    FLAGS = [("", "超期/反馈：不限"), ("overdue", "已超期"), ("not_fed_back", "未反馈选民")]

    state = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *VoterIssue.State.choices], required=False)
    source = forms.ChoiceField(label="来源", choices=[("", "全部来源"), *VoterIssue.Source.choices], required=False)
    flag = forms.ChoiceField(label="提示", choices=FLAGS, required=False)
    station = StationChoiceField(label="阵地", queryset=Station.objects.none(), required=False, empty_label="全部阵地")
    unit = forms.ModelChoiceField(
        label="承办单位", queryset=HandlingUnit.objects.none(), required=False, empty_label="全部承办单位"
    )
    year = forms.TypedChoiceField(label="年度", choices=year_choices, coerce=int, required=False, empty_value=None)
    q = forms.CharField(label="内容或反映人", required=False, max_length=50)

    def __init__(self, *args, stations=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stations is None:
            del self.fields["station"]
        else:
            self.fields["station"].queryset = stations
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units

    def values(self) -> dict:
        """The keyword arguments of selectors_receptions.issue_list."""
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "state": d.get("state") or "",
            "source": d.get("source") or "",
            "overdue": d.get("flag") == "overdue",
            "not_fed_back": d.get("flag") == "not_fed_back",
            "station": d.get("station"),
            "unit": d.get("unit"),
            "year": d.get("year"),
            "q": (d.get("q") or "").strip(),
        }
