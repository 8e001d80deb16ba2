"""Forms of the activities pages. They only collect input; the rules live in
services_activities (their errors come back onto these forms' fields). Choice fields are
narrowed here to the township and intersected with the user's scope by the base views."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Layout, Row
from django import forms
from django.utils import timezone

from deputies.models import Deputy
from org.models import Region

from . import selectors_activities as selectors
from .models import Activity, ActivityFile, Station

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YEARS_BACK = 6  # a five-year term and the year before it


def _row(*names, cls="col-12 col-md-6"):
    return Row(*[Column(Field(n), css_class=cls) for n in names])


class ParticipantsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class BaseActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "kind", "date", "end_date", "topic", "station", "place", "organiser", "participants",
            "attendance", "voter_count", "satisfaction", "summary",
        ]  # fmt: skip
        widgets = {"date": DATE, "end_date": DATE, "summary": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "end_date": "多日活动填写；当天结束的可不填。",
            "station": "在代表之家或联络站开展的活动请选择阵地。",
            "place": "如：某某村委会、某某企业。",
            "attendance": "学习培训按人次统计，不填则按参加代表人数计。",
            "voter_count": "走访选民、述职等活动的参加选民人数。",
            "satisfaction": "仅述职活动填写：选民测评满意（含基本满意）的比例，0—100。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Counts left empty are 0 (the service fills training 人次 from the participants).
        for name in ("attendance", "voter_count"):
            self.fields[name].required = False
        # Hints for the browser; the service holds the rules.
        today = timezone.localdate().isoformat()
        self.fields["date"].widget.attrs["max"] = today
        self.fields["end_date"].widget.attrs["max"] = today
        self.fields["satisfaction"].widget.attrs["max"] = 100

    def clean_attendance(self):
        return self.cleaned_data.get("attendance") or 0

    def clean_voter_count(self):
        return self.cleaned_data.get("voter_count") or 0

    def build_helper(self, *parts):
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*parts)

    def service_fields(self) -> dict:
        """The cleaned values the services take as activity fields."""
        return {name: self.cleaned_data.get(name) for name in self._meta.fields if name != "participants"}


class ActivityForm(BaseActivityForm):
    """The clerk's form: every field, participants ticked from the township's deputies."""

    township = forms.ModelChoiceField(label="所属乡镇", queryset=Region.objects.none(), empty_label=None)
    participants = ParticipantsField(label="参加代表", queryset=Deputy.objects.none(), required=False)

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        townships = list(townships)
        current = list(self.instance.participants.values_list("pk", flat=True)) if self.instance.pk else []
        self.fields["participants"].queryset = selectors.participant_choices(townships=townships, include=current)
        self.fields["station"].queryset = selectors.station_choices(
            townships=townships, include=self.instance.station_id
        )
        first = []
        if len(townships) > 1:
            self.fields["township"].queryset = Region.objects.filter(pk__in=[t.pk for t in townships])
            first = [Field("township")]
        else:
            del self.fields["township"]
        self.build_helper(
            *first,
            _row("kind", "date", "end_date", cls="col-12 col-md-4"),
            Field("topic"),
            _row("station", "place", "organiser", cls="col-12 col-md-4"),
            HTML('{% include "stations/activities/_participants.html" %}'),
            _row("attendance", "voter_count", "satisfaction", cls="col-12 col-md-4"),
            Field("summary"),
        )

    def participant_groups(self):
        """The deputy groups of the choices, for ticking a whole group (from the prefetch: no
        query beyond the choices' own)."""
        groups = {g.pk: g for deputy in self.fields["participants"].queryset for g in deputy.groups.all()}
        return sorted(groups.values(), key=lambda g: (g.name, g.pk))


class DeputyActivityForm(BaseActivityForm):
    """A deputy's own record: it is a participant by definition and rooms are the clerk's;
    the clerk adds other participants when confirming."""

    class Meta(BaseActivityForm.Meta):
        fields = [
            "kind", "date", "end_date", "topic", "place", "organiser",
            "attendance", "voter_count", "satisfaction", "summary",
        ]  # fmt: skip

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.build_helper(
            _row("kind", "date", "end_date", cls="col-12 col-md-4"),
            Field("topic"),
            _row("place", "organiser"),
            _row("attendance", "voter_count", "satisfaction", cls="col-12 col-md-4"),
            Field("summary"),
        )


class ActivityFileForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ActivityFile.Kind.choices, initial=ActivityFile.Kind.PHOTO)
    title = forms.CharField(label="标题", max_length=100, required=False, help_text="不填则用文件名。")
    file = forms.FileField(label="文件")


class RejectForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=200)


def year_choices():
    this_year = timezone.localdate().year
    return [("", "全部年份")] + [(str(y), f"{y}年") for y in range(this_year, this_year - YEARS_BACK, -1)]


class ActivityFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年份", choices=year_choices, coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *Activity.Kind.choices], required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *Activity.Status.choices], required=False)
    station = forms.ModelChoiceField(
        label="阵地", queryset=Station.objects.none(), required=False, empty_label="全部阵地"
    )
    q = forms.CharField(label="关键词", required=False, max_length=50)
    deputy = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    # One township of a county's list (links from the year dashboard); the list is scoped
    # already, so an id outside the user's regions just finds nothing.
    township = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stations is not None:
            self.fields["station"].queryset = stations

    def filters(self) -> dict:
        """Keyword arguments for selectors_activities.activity_list (invalid input: no filter)."""
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "year": d.get("year"),
            "kind": d.get("kind") or "",
            "status": d.get("status") or "",
            "station": d.get("station"),
            "deputy": d.get("deputy"),
            "keyword": d.get("q") or "",
            "township": d.get("township"),
        }

    def counts_year(self) -> int:
        """The year the counts are for: the chosen one, else this year."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return timezone.localdate().year
