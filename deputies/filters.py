"""The roster's filters: a plain GET form that narrows a scoped Deputy queryset.

Filters on mandates (level, term, status) are one Exists subquery together, so a deputy
matches when ONE of its mandates has all three, and no row is ever duplicated."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from org.models import Region, Term, user_memberships
from org.roles import Role

from . import selectors
from .forms import TermChoiceField
from .models import ETHNICITIES, Deputy, DeputyGroup, Mandate

MINORITY = "minority"

# Fields shown in the first row; the rest fold into “更多条件”.
MAIN_FIELDS = ("q", "region", "term", "status")


class PlainSelect(forms.Select):
    """A <select> built in Python in one pass. Django's Select renders each option through
    its own template include; a province admin's township and term lists hold ~1,600
    options, which took most of the roster's time (hundreds of ms) to render."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = set(self.format_value(value))

        def options(choices):
            for option_value, label in choices:
                if isinstance(label, (list, tuple)):  # an optgroup
                    yield format_html(
                        '<optgroup label="{}">{}</optgroup>',
                        option_value,
                        format_html_join("", "{}", ((o,) for o in options(label))),
                    )
                    continue
                v = "" if option_value is None else str(option_value)
                yield format_html('<option value="{}"{}>{}</option>', v, " selected" if v in chosen else "", label)

        body = format_html_join("", "{}", ((o,) for o in options(self.choices)))
        return format_html("<select{}>{}</select>", flatatt(final), body)


def _choices(label_all, choices):
    return [("", label_all)] + list(choices)


class DeputyFilterForm(forms.Form):
    q = forms.CharField(
        label="姓名",
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "姓名、拼音首字母（如 zw）或工作单位"}),
    )
    region = forms.ModelChoiceField(
        label="乡镇", queryset=Region.objects.none(), required=False, empty_label="全部乡镇", widget=PlainSelect
    )
    term = TermChoiceField(
        label="届次", queryset=Term.objects.none(), required=False, empty_label="全部届次", widget=PlainSelect
    )
    status = forms.ChoiceField(label="资格状态", required=False, choices=_choices("全部状态", Mandate.Status.choices))
    level = forms.ChoiceField(label="代表层级", required=False, choices=_choices("全部层级", Mandate.Level.choices))
    group = forms.ModelChoiceField(
        label="代表小组",
        queryset=DeputyGroup.objects.none(),
        required=False,
        empty_label="全部小组",
        widget=PlainSelect,
    )
    gender = forms.ChoiceField(label="性别", required=False, choices=_choices("全部", Deputy.Gender.choices))
    ethnicity = forms.ChoiceField(
        label="民族",
        required=False,
        choices=_choices("全部民族", [("汉族", "汉族"), (MINORITY, "少数民族（全部）")])
        + [(e, e) for e in ETHNICITIES[1:]],
    )
    party = forms.ChoiceField(label="政治面貌", required=False, choices=_choices("全部", Deputy.Party.choices))
    education = forms.ChoiceField(label="学历", required=False, choices=_choices("全部", Deputy.Education.choices))
    occupation = forms.ChoiceField(
        label="职业类别", required=False, choices=_choices("全部", Deputy.Occupation.choices)
    )
    age = forms.ChoiceField(label="年龄段", required=False, choices=_choices("全部", selectors.AGE_BAND_CHOICES))

    def __init__(self, data=None, *, user, region=None):
        """`region`: the region the user is looking at (the top bar's pick), or None."""
        super().__init__(data or None)
        self.user = user
        self.region = region
        roles = {m.role for m in user_memberships(user)}
        townships_in_view = region is None or region.is_county_level
        # County staff pick a township; a clerk's roster is its own township already.
        if Role.COUNTY_ADMIN in roles and townships_in_view:
            townships = Region.objects.for_user(user).townships().in_region(region).order_by("code")
            self.fields["region"].queryset = townships
        else:
            del self.fields["region"]
        scope_regions = [m.region for m in user_memberships(user) if m.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)]
        if region is not None:
            scope_regions = [region]
        self.fields["term"].queryset = selectors.terms_for(scope_regions)
        township = self._township()
        if township is not None:
            self.fields["group"].queryset = DeputyGroup.objects.for_user(user).filter(region=township).order_by("name")
        else:
            # Groups are listed once a township is chosen (a county has hundreds).
            del self.fields["group"]

    def _township(self):
        """The one township the roster shows, if there is one: the top bar's, the filter's,
        or a clerk's own (no query beyond the filter's region lookup)."""
        if self.region is not None and self.region.is_township:
            return self.region
        if "region" in self.fields:
            raw = (self.data.get("region") or "").strip()
            if raw.isdigit():
                return self.fields["region"].queryset.filter(pk=int(raw)).first()
            return None
        clerk = [m.region for m in user_memberships(self.user) if m.role == Role.TOWNSHIP_CLERK]
        return clerk[0] if len(clerk) == 1 else None

    @property
    def extra_fields(self):
        return [self[name] for name in self.fields if name not in MAIN_FIELDS]

    @property
    def main_fields(self):
        return [self[name] for name in self.fields if name in MAIN_FIELDS]

    @property
    def extra_used(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name not in MAIN_FIELDS)

    @property
    def used(self) -> bool:
        return any(self.data.get(name) for name in self.fields)

    def filter(self, qs):
        """`qs` narrowed by the valid filters (an invalid value is ignored, not an error page)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}
        q = data.get("q", "").strip()
        if q:
            match = Q(name__contains=q) | Q(work_unit__contains=q)
            if re.fullmatch(r"[A-Za-z]+", q):
                match |= Q(name_initials__startswith=q.lower())
            qs = qs.filter(match)
        if "region" in data:
            qs = qs.in_region(data["region"])
        mandate = {}
        if "level" in data:
            mandate["level"] = data["level"]
        if "term" in data:
            mandate["term"] = data["term"]
        if "status" in data:
            mandate["status"] = data["status"]
        if mandate:
            qs = qs.filter(selectors.has_mandate(**mandate))
        if "group" in data:
            # One row per (deputy, group): no duplicates.
            qs = qs.filter(groups=data["group"])
        for name in ("gender", "party", "education", "occupation"):
            if name in data:
                qs = qs.filter(**{name: data[name]})
        ethnicity = data.get("ethnicity")
        if ethnicity == MINORITY:
            qs = qs.exclude(ethnicity="汉族")
        elif ethnicity:
            qs = qs.filter(ethnicity=ethnicity)
        if "age" in data:
            qs = qs.filter(selectors.age_band_q(data["age"], selectors.today()))
        return qs
