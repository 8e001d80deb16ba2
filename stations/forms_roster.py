"""Forms of the duty roster pages. Deputy choices are the room's township's serving
deputies; the base views intersect them with the user's scope as well (org.mixins)."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms

from deputies.models import Deputy

from . import selectors_roster as selectors
from .models import DutyRoster, Station
from .services_roster import MAX_PER_DAY

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def parse_period(params, today: datetime.date) -> tuple[int, int | None]:
    """(year, month) from a query string: ?year=2026&month=3 is a month, ?year=2026 alone
    the whole year, nothing (or nonsense) the current month."""
    year_text, month_text = params.get("year", ""), params.get("month", "")
    if not year_text.isdigit() or not selectors.MIN_YEAR <= int(year_text) <= selectors.MAX_YEAR:
        return today.year, today.month
    year = int(year_text)
    if month_text.isdigit() and 1 <= int(month_text) <= 12:
        return year, int(month_text)
    return year, None


class DeputyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RosterGenerateForm(forms.Form):
    """生成值日表: the month shown or its whole year, and how many deputies a day."""

    SCOPE_CHOICES = [("month", "本月"), ("year", "全年")]

    year = forms.IntegerField(min_value=selectors.MIN_YEAR, max_value=selectors.MAX_YEAR, widget=forms.HiddenInput)
    month = forms.IntegerField(min_value=1, max_value=12, required=False, widget=forms.HiddenInput)
    scope = forms.ChoiceField(label="范围", choices=SCOPE_CHOICES, initial="month")
    per_day = forms.IntegerField(
        label="每天值班代表人数", min_value=1, max_value=MAX_PER_DAY, initial=2, error_messages={
            "min_value": "每天值班代表人数至少为1人。",
            "max_value": f"每天值班代表人数不超过{MAX_PER_DAY}人。",
            "required": "请填写每天值班代表人数。",
            "invalid": "每天值班代表人数应为整数。",
        },
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("scope") == "month" and not data.get("month"):
            self.add_error("scope", "请先选择要生成的月份。")
        return data

    def period(self) -> tuple[int, int | None]:
        data = self.cleaned_data
        return data["year"], (data["month"] if data["scope"] == "month" else None)


class DutyRosterForm(forms.ModelForm):
    """One duty day: date, hours, deputies on duty and a note (如：国庆节顺延至10月9日)."""

    deputies = DeputyChoiceField(
        label="值班代表",
        queryset=Deputy.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一名值班代表。", "invalid_choice": "所选代表不在可选范围内。"},
    )

    class Meta:
        model = DutyRoster
        fields = ["date", "start_time", "end_time", "deputies", "note"]
        widgets = {"date": DATE, "start_time": TIME, "end_time": TIME}
        error_messages = {
            "date": {"required": "请填写值班日期。", "invalid": "值班日期格式不正确。"},
            "start_time": {"invalid": "开始时间格式不正确，如 09:00。"},
            "end_time": {"invalid": "结束时间格式不正确，如 11:30。"},
        }

    def __init__(self, *args, station: Station, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(self.instance.deputies.values_list("pk", flat=True)) if self.instance.pk else []
        self.fields["deputies"].queryset = selectors.deputy_choices(station, current)
        self.fields["deputies"].help_text = f"{station.township.name}的在任代表。"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column(Field("date"), css_class="col-12 col-md-4"),
                Column(Field("start_time"), css_class="col-6 col-md-4"),
                Column(Field("end_time"), css_class="col-6 col-md-4"),
            ),
            Field("deputies"),
            Field("note"),
        )
