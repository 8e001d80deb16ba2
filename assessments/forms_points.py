"""Forms of the points part: a point rule, and the year picker of the points pages."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from org.models import Region

from .models import PointRule

YEARS_BACK = 5


def year_choices() -> list[tuple[int, str]]:
    this = timezone.localdate().year
    return [(y, f"{y}年") for y in range(this, this - YEARS_BACK - 1, -1)]


class PointRuleForm(forms.ModelForm):
    """A rule's event, points, cap and years; the county is the one it is set on (not a field)."""

    class Meta:
        model = PointRule
        fields = ["event", "points", "yearly_cap", "valid_from", "valid_to", "note"]
        help_texts = {"points": "扣分事项填负数，如无故缺席人代会 -5"}

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {k: d.get(k) for k in self.Meta.fields} | {"note": d.get("note") or ""}


class PointsFilterForm(forms.Form):
    """Year and (for county staff) township of the ranking and minimums pages."""

    year = forms.TypedChoiceField(label="年度", coerce=int, choices=(), required=False)
    township = forms.ModelChoiceField(
        label="乡镇", queryset=Region.objects.none(), required=False, empty_label="全部乡镇"
    )

    def __init__(self, *args, townships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()
        if townships is not None:
            self.fields["township"].queryset = townships

    def chosen_year(self) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return timezone.localdate().year

    def chosen_township(self):
        return self.cleaned_data.get("township") if self.is_valid() else None
