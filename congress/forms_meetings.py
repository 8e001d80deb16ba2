"""Forms of the meeting pages. Choice fields are narrowed here to the clerk's township; the
base views intersect them with the user's scope as well (org.mixins). The rules live in
congress.services_meetings: these forms only read the inputs."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms

from deputies.models import Deputy
from org.models import Region

from .models import AgendaItem, Meeting, MeetingDocument

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _cols(*names, cls="col-12 col-md-6"):
    return Row(*[Column(Field(n), css_class=cls) for n in names])


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


class TownshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class MeetingForm(forms.ModelForm):
    """Register a meeting: the township (when the clerk keeps several), kind, dates, place."""

    region = TownshipChoiceField(label="乡镇", queryset=Region.objects.none())

    class Meta:
        model = Meeting
        fields = ["region", "kind", "number", "date", "end_date", "place", "note"]
        widgets = {"date": DATE, "end_date": DATE}

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        ids = [t.pk for t in townships]
        self.fields["region"].queryset = Region.objects.filter(pk__in=ids).order_by("code")
        if len(ids) == 1:
            self.fields["region"].initial = ids[0]
            self.fields["region"].widget = forms.HiddenInput()
        self.fields["number"].required = False
        self.fields["number"].help_text = "本届第几次会议；留空则按本届已登记的会议自动编号。"
        self.fields["date"].help_text = "届次按会议日期自动确定。"
        self.fields["date"].error_messages["required"] = "请填写会议开始日期。"
        self.fields["kind"].error_messages["required"] = "请选择会议类型。"
        self.fields["region"].error_messages["invalid_choice"] = "只能为本乡镇登记会议。"
        self.helper = _helper(
            Field("region"),
            _cols("kind", "number"),
            _cols("date", "end_date"),
            _cols("place", "note"),
        )

    def service_fields(self) -> dict:
        d = self.cleaned_data
        return {k: d.get(k) for k in ("kind", "number", "date", "end_date", "place", "note")}


class MeetingUpdateForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["number", "date", "end_date", "place", "note", "minutes"]
        widgets = {"date": DATE, "end_date": DATE, "minutes": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].required = False
        self.fields["number"].help_text = "本届第几次会议；留空则自动编号。"
        self.fields["minutes"].help_text = "会议纪要：议程、审议和表决情况、主要意见，打印会议纪要时使用。"
        if self.instance.state == Meeting.State.HELD:
            self.fields["date"].disabled = True
            self.fields["date"].help_text = "会议已标记为已召开，开始日期不能再修改。"
        self.helper = _helper(_cols("number", "place"), _cols("date", "end_date"), Field("note"), Field("minutes"))

    def service_fields(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.Meta.fields}


class MeetingFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label="会议类型", choices=[("", "全部会议"), *Meeting.Kind.choices], required=False)
    township = TownshipChoiceField(
        label="乡镇",
        queryset=Region.objects.none(),
        required=False,
        empty_label="全部乡镇",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, years=(), townships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度"), *[(y, f"{y}年") for y in years]]
        if townships is not None:
            self.fields["township"].queryset = townships

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"year": d.get("year"), "kind": d.get("kind") or "", "township": d.get("township")}


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["order", "kind", "title", "needs_vote", "resolution"]
        widgets = {"resolution": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].error_messages["required"] = "请填写议程名称。"
        self.fields["needs_vote"].help_text = "表决事项（决议、决定、选举、民生实事项目）勾选此项。"
        self.fields["resolution"].help_text = "通过的决议、决定文本或审议意见（可选）。"
        self.helper = _helper(
            Row(
                Column(Field("order"), css_class="col-4 col-md-2"),
                Column(Field("kind"), css_class="col-8 col-md-4"),
                Column(Field("title"), css_class="col-12 col-md-6"),
            ),
            Field("needs_vote"),
            Field("resolution"),
        )

    def service_fields(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.Meta.fields}


class VoteCountsForm(forms.Form):
    """The tellers' counts (计票结果)."""

    yes = forms.IntegerField(label="赞成", min_value=0)
    no = forms.IntegerField(label="反对", min_value=0)
    abstain = forms.IntegerField(label="弃权", min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Row(*[Column(Field(n), css_class="col-4") for n in ("yes", "no", "abstain")]),
        )


class DeputyNameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class CandidateForm(forms.Form):
    """One candidate row of an election item; a row left blank is ignored."""

    name = forms.CharField(label="候选人", max_length=50, required=False)
    deputy = DeputyNameChoiceField(
        label="对应代表",
        queryset=Deputy.objects.none(),
        required=False,
        empty_label="（非本乡镇代表）",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    position = forms.CharField(label="拟任职务", max_length=50, required=False)
    votes = forms.IntegerField(label="得票数", min_value=0, required=False)

    def __init__(self, *args, deputies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if deputies is not None:
            self.fields["deputy"].queryset = deputies

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {})
        return not (d.get("name") or d.get("deputy") or d.get("position") or d.get("votes"))

    def row(self) -> dict:
        d = self.cleaned_data
        deputy = d.get("deputy")
        return {
            "name": d.get("name") or "",
            "position": d.get("position") or "",
            "votes": d.get("votes") or 0,
            "deputy_id": deputy.pk if deputy else None,
        }


CandidateFormSet = forms.formset_factory(CandidateForm, extra=3, max_num=60, validate_max=True)


class MeetingDocumentForm(forms.ModelForm):
    class Meta:
        model = MeetingDocument
        fields = ["title", "file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = "留空则使用文件名。"
        self.fields["file"].help_text = "JPEG/PNG 图片不超过 5 MB，PDF/Word(.docx)/Excel(.xlsx) 不超过 20 MB。"
