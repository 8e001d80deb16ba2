"""Forms of the stations pages. Choice fields are narrowed here to the clerk's township;
the base views intersect them with the user's scope as well (org.mixins)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from deputies.models import DeputyGroup
from org.models import Region, user_memberships
from org.roles import TOWNSHIP_KINDS, Role
from org.uploads import DOCUMENT, IMAGE, validate_upload

from .models import StandardItem, Station, StationFile, StationItemState

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def clerk_townships(user) -> list[Region]:
    return [
        m.region for m in user_memberships(user) if m.role == Role.TOWNSHIP_CLERK and m.region.kind in TOWNSHIP_KINDS
    ]


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name}{obj.name}" if obj.kind in ("village", "community") else obj.name


def _cols(*names, cls="col-12 col-md-6"):
    return Row(*[Column(Field(n), css_class=cls) for n in names])


class StationForm(forms.ModelForm):
    region = RegionChoiceField(label="所在区划", queryset=Region.objects.none())

    class Meta:
        model = Station
        fields = [
            "kind", "name", "region", "address", "opening_hours", "reception_rule", "manager_name",
            "manager_phone", "groups", "showcase_level", "showcase_year", "active", "closed_on",
        ]  # fmt: skip
        widgets = {"groups": forms.CheckboxSelectMultiple, "closed_on": DATE}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        towns = clerk_townships(user)
        if self.instance.pk:
            towns = [t for t in towns if t.pk == self.instance.township_id]
        town_ids = [t.pk for t in towns]
        self.fields["region"].queryset = Region.objects.filter(pk__in=town_ids) | Region.objects.filter(
            parent_id__in=town_ids, kind__in=("village", "community")
        )
        self.fields["region"].queryset = self.fields["region"].queryset.select_related("parent").order_by("code")
        self.fields["groups"].queryset = DeputyGroup.objects.filter(region_id__in=town_ids).order_by("name")
        self.fields["groups"].help_text = "只能选择本乡镇的代表小组。"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            _cols("kind", "name"),
            _cols("region", "address"),
            _cols("opening_hours", "reception_rule"),
            _cols("manager_name", "manager_phone"),
            Field("groups"),
            _cols("showcase_level", "showcase_year"),
            _cols("active", "closed_on"),
        )

    def clean(self):
        data = super().clean()
        region, groups = data.get("region"), data.get("groups")
        if region and groups:
            township = region.township()
            wrong = [g.name for g in groups if township is None or g.region_id != township.pk]
            if wrong:
                self.add_error("groups", f"代表小组必须属于阵地所在乡镇：{'、'.join(wrong)}")
        return data


class ItemStateForm(forms.Form):
    state = forms.ChoiceField(label="达标情况", choices=StationItemState.State.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(
        label="佐证材料", required=False, help_text="JPEG/PNG 图片不超过 5 MB，PDF/Word/Excel 不超过 20 MB。"
    )

    def clean_evidence(self):
        f = self.cleaned_data.get("evidence")
        if f:
            self.evidence_type = validate_upload(f, kinds=(IMAGE, DOCUMENT))
        return f


class StationFileForm(forms.ModelForm):
    class Meta:
        model = StationFile
        fields = ["kind", "title", "file"]

    def clean(self):
        data = super().clean()
        f, kind = data.get("file"), data.get("kind")
        if f and kind:
            kinds = (IMAGE,) if kind == StationFile.Kind.PHOTO else (IMAGE, DOCUMENT)
            try:
                self.content_type = validate_upload(f, kinds=kinds)
            except ValidationError as exc:
                self.add_error("file", exc)
        return data


class StandardItemForm(forms.ModelForm):
    class Meta:
        model = StandardItem
        fields = ["order", "title", "description", "points"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class StationFilterForm(forms.Form):
    township = forms.ModelChoiceField(
        label="乡镇", queryset=Region.objects.none(), required=False, empty_label="全部乡镇"
    )
    kind = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *Station.Kind.choices], required=False)
    active = forms.ChoiceField(label="状态", choices=[("", "全部"), ("1", "在用"), ("0", "已撤销")], required=False)
    q = forms.CharField(label="名称", required=False)

    def __init__(self, *args, townships=None, **kwargs):
        super().__init__(*args, **kwargs)
        if townships is not None:
            self.fields["township"].queryset = townships

    def filter(self, qs):
        if not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("township"):
            qs = qs.filter(township=d["township"])
        if d.get("kind"):
            qs = qs.filter(kind=d["kind"])
        if d.get("active") in ("0", "1"):
            qs = qs.filter(active=d["active"] == "1")
        if d.get("q"):
            qs = qs.filter(name__contains=d["q"])
        return qs
