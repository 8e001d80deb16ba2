"""Forms of the deputies pages: deputy record (with its first mandate), mandate actions,
voter contacts and deputy groups. Labels come from the models' Chinese verbose names;
validation is the models' own (ID checksum, birth date and gender against the ID, the
democratic party), shown inline, and the services' (shown beside the same inputs).

Choice fields are narrowed here to the townships the user writes; the base views then
intersect them with the user's scope (org.mixins.scope_form_fields)."""

from __future__ import annotations

import contextlib
import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Layout, Row
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone

from org.forms import add_service_errors  # noqa: F401  (views import it from here)
from org.models import Region, Term

from . import selectors
from .models import Constituency, Deputy, DeputyGroup, Mandate, VoterContact
from .privacy import mask_id_number, mask_phone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _cols(*names, cls="col-12 col-md-6 col-xl-4"):
    return Row(*[Column(Field(n), css_class=cls) for n in names])


class TermChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return selectors.term_label(obj)


class DeputyNameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DeputyNamesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


# --- deputies ---------------------------------------------------------------------------

DEPUTY_FIELDS = [
    "region",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "party",
    "democratic_party",
    "education",
    "occupation",
    "work_unit",
    "reelected",
    "returned_overseas",
    "note",
]


class DeputyForm(forms.ModelForm):
    """A deputy's record."""

    class Meta:
        model = Deputy
        fields = DEPUTY_FIELDS
        widgets = {"birth_date": DATE}
        help_texts = {
            "id_number": "18位居民身份证号，末位X请用大写。出生日期和性别须与身份证号一致。",
            "birth_date": "留空时按身份证号自动填写。",
            "democratic_party": "政治面貌为“民主党派”时必填。",
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "region" in self.fields:
            townships = selectors.writable_townships(user) if user is not None else Region.objects.none()
            self.fields["region"].queryset = townships
            self.fields["region"].empty_label = None if len(townships) == 1 else "请选择乡镇"
        self.fields["gender"].choices = [("", "请选择")] + list(Deputy.Gender.choices)
        self.fields["democratic_party"].choices = [("", "—")] + list(self.fields["democratic_party"].choices)[1:]
        self.fields["education"].choices = [("", "未填")] + list(self.fields["education"].choices)[1:]
        self.fields["id_number"].widget.attrs.update({"maxlength": 18, "autocomplete": "off", "inputmode": "text"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self.build_layout()

    def build_layout(self):
        names = [n for n in DEPUTY_FIELDS if n in self.fields and n not in ("reelected", "returned_overseas", "note")]
        rows = [_cols(*names[i : i + 3]) for i in range(0, len(names), 3)]
        return Layout(
            *rows,
            Row(
                Column(Field("reelected"), css_class="col-6 col-md-3"),
                Column(Field("returned_overseas"), css_class="col-6 col-md-3"),
                Column(Field("note"), css_class="col-12 col-md-6"),
            ),
        )

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        return value or None

    def clean(self):
        data = super().clean()
        number = data.get("id_number")
        # A valid ID number gives the birth date when it was left empty.
        if number and not data.get("birth_date") and "id_number" not in self.errors:
            with contextlib.suppress(ValueError):
                data["birth_date"] = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return data

    def deputy_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in DEPUTY_FIELDS if name in self.cleaned_data}


class DeputyCreateForm(DeputyForm):
    """A new deputy with its first mandate (level from the term, term, constituency, date)."""

    term = TermChoiceField(label="届次", queryset=Term.objects.none(), empty_label="请选择届次")
    constituency = forms.ModelChoiceField(
        label="选区", queryset=Constituency.objects.none(), required=False, empty_label="（未分选区）"
    )
    elected_on = forms.DateField(label="当选日期", required=False, widget=DATE, help_text="留空为该届次起始日期。")
    by_election = forms.BooleanField(label="补选产生", required=False, help_text="因代表出缺而补选的，请勾选。")
    presidium_role = forms.ChoiceField(label="主席团职务", required=False, choices=Mandate.PresidiumRole.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        townships = list(self.fields["region"].queryset)
        self.fields["term"].queryset = selectors.terms_for(townships)
        self.fields["constituency"].queryset = Constituency.objects.filter(region__in=townships).select_related(
            "region"
        )
        current = selectors.terms_for(townships, Mandate.Level.TOWNSHIP).filter(start_date__lte=timezone.localdate())
        if not self.is_bound and current:
            self.initial.setdefault("term", current[0].pk)

    def build_layout(self):
        return Layout(
            Div(
                HTML('<div class="form-section-title">基本信息</div>'),
                super().build_layout(),
            ),
            Div(
                HTML('<div class="form-section-title">代表资格（首次登记）</div>'),
                _cols("term", "constituency", "elected_on"),
                Row(
                    Column(Field("presidium_role"), css_class="col-12 col-md-6 col-xl-4"),
                    Column(Field("by_election"), css_class="col-12 col-md-6 col-xl-4 pt-md-4"),
                ),
            ),
        )

    def clean(self):
        data = super().clean()
        if data.get("by_election") and not data.get("elected_on"):
            self.add_error("elected_on", "补选产生的代表请填写补选当选日期。")
        return data

    def mandate_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "term": data["term"],
            "constituency": data.get("constituency"),
            "elected_on": data.get("elected_on"),
            "by_election": bool(data.get("by_election")),
            "presidium_role": data.get("presidium_role") or "",
        }


class DeputyUpdateForm(DeputyForm):
    """Editing a record: the township stays, and the ID number and phone are not shown —
    the inputs start empty (with the masked value as a hint) and an empty input keeps the
    stored value, so opening the form reveals nothing that the audited 显示 would."""

    class Meta(DeputyForm.Meta):
        fields = [f for f in DEPUTY_FIELDS if f != "region"]

    KEEP_IF_EMPTY = ("id_number", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        masks = {"id_number": mask_id_number(instance.id_number), "phone": mask_phone(instance.phone)}
        for name in self.KEEP_IF_EMPTY:
            stored = getattr(instance, name)
            self.initial[name] = ""
            if stored:
                field = self.fields[name]
                field.widget.attrs["placeholder"] = masks[name]
                field.help_text = f"已登记 {masks[name]}；留空表示不修改，如需更正请输入完整号码。"

    def clean_id_number(self):
        value = super().clean_id_number()
        return value or self.instance.id_number

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        return value or self.instance.phone


# --- mandates ---------------------------------------------------------------------------


class MandateEndForm(forms.Form):
    """Ending a serving mandate; each action (辞职/罢免/终止/调离) is a subclass with its own
    wording, and its status."""

    status = None
    title = ""
    date_label = "日期"
    reason_label = "原因"
    reason_required = False
    note = ""

    ended_on = forms.DateField(label="日期", widget=DATE)
    end_reason = forms.CharField(label="原因", max_length=200, required=False)

    def __init__(self, *args, mandate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mandate = mandate
        self.fields["ended_on"].label = self.date_label
        self.fields["end_reason"].label = self.reason_label
        self.fields["end_reason"].required = self.reason_required
        if not self.is_bound:
            self.initial.setdefault("ended_on", timezone.localdate())
        self.helper = FormHelper()
        self.helper.form_tag = False

    def reason(self) -> str:
        return self.cleaned_data.get("end_reason", "")


class ResignForm(MandateEndForm):
    status = Mandate.Status.RESIGNED
    title = "辞职"
    date_label = "接受辞职日期"
    reason_label = "辞职原因"
    note = (
        "乡镇人大代表辞职，应向本级人民代表大会书面提出；大会闭会期间向主席团书面提出，"
        "主席团接受辞职的，须予以公告。请填写辞职被接受的日期。"
    )


class RecallForm(MandateEndForm):
    status = Mandate.Status.RECALLED
    title = "罢免"
    date_label = "罢免生效日期"
    reason_label = "罢免理由"
    reason_required = True
    note = "罢免乡镇人大代表，须经原选区过半数的选民通过，罢免决议须报送上一级人大常委会备案、公告。"


class TransferForm(MandateEndForm):
    status = Mandate.Status.TRANSFERRED
    title = "调离"
    date_label = "调离日期"
    reason_label = "调往单位或地区"
    note = "代表迁出或者调离本行政区域的，其代表资格终止。"


# 代表法 art. 49: the grounds on which a mandate ends, less those with their own action
# (调离, 辞职, 罢免).
TERMINATION_GROUNDS = (
    ("未经批准两次不出席本级人民代表大会会议", "未经批准两次不出席本级人民代表大会会议"),
    ("丧失中华人民共和国国籍", "丧失中华人民共和国国籍"),
    ("依照法律被剥夺政治权利", "依照法律被剥夺政治权利"),
    ("丧失行为能力", "丧失行为能力"),
    ("代表去世", "代表去世"),
    ("其他", "其他（请在说明中写明）"),
)


class TerminateForm(MandateEndForm):
    status = Mandate.Status.TERMINATED
    title = "终止"
    date_label = "终止日期"
    reason_label = "说明"
    note = "代表资格终止的，由代表资格审查委员会报本级人民代表大会主席团，予以公告。"

    ground = forms.ChoiceField(label="终止原因", choices=[("", "请选择")] + list(TERMINATION_GROUNDS))
    field_order = ["ground", "ended_on", "end_reason"]

    def clean(self):
        data = super().clean()
        if data.get("ground") == "其他" and not data.get("end_reason"):
            self.add_error("end_reason", "选择“其他”时请写明原因。")
        return data

    def reason(self) -> str:
        ground = self.cleaned_data.get("ground", "")
        note = self.cleaned_data.get("end_reason", "")
        if ground == "其他":
            return note
        return f"{ground}：{note}" if note else ground


END_FORMS = {"resign": ResignForm, "recall": RecallForm, "terminate": TerminateForm, "transfer": TransferForm}


class ByElectionForm(forms.Form):
    """A by-election 补选 seating an existing deputy."""

    term = TermChoiceField(label="届次", queryset=Term.objects.none(), empty_label="请选择届次")
    constituency = forms.ModelChoiceField(
        label="选区", queryset=Constituency.objects.none(), required=False, empty_label="（未分选区）"
    )
    elected_on = forms.DateField(label="补选当选日期", widget=DATE)
    presidium_role = forms.ChoiceField(label="主席团职务", required=False, choices=Mandate.PresidiumRole.choices)

    def __init__(self, *args, deputy=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deputy = deputy
        self.fields["term"].queryset = selectors.terms_for([deputy.region])
        self.fields["constituency"].queryset = Constituency.objects.filter(region=deputy.region)
        self.helper = FormHelper()
        self.helper.form_tag = False


class MandateUpdateForm(forms.ModelForm):
    """Corrections to a mandate (its status changes only through the actions)."""

    class Meta:
        model = Mandate
        fields = ["constituency", "elected_on", "presidium_role", "by_election"]
        widgets = {"elected_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = Constituency.objects.filter(region_id=self.instance.deputy.region_id)
        self.fields["constituency"].empty_label = "（未分选区）"
        self.helper = FormHelper()
        self.helper.form_tag = False

    def _post_clean(self):
        # The service validates (and knows the rules across fields); skip the model's own
        # full_clean here so its errors are not reported twice.
        pass


# --- voter contacts ---------------------------------------------------------------------


class VoterContactForm(forms.ModelForm):
    class Meta:
        model = VoterContact
        fields = ["name", "phone", "village", "address", "since", "note"]
        widgets = {"since": DATE}

    def __init__(self, *args, deputy=None, **kwargs):
        super().__init__(*args, **kwargs)
        deputy = deputy or self.instance.deputy
        self.fields["village"].queryset = Region.objects.filter(
            parent_id=deputy.region_id, kind__in=(Region.Kind.VILLAGE, Region.Kind.COMMUNITY)
        )
        self.fields["village"].empty_label = "请选择"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            _cols("name", "phone", "village", cls="col-12 col-md-4"),
            _cols("address", "since", "note", cls="col-12 col-md-4"),
        )

    def _post_clean(self):
        # The deputy is set by the service; validate there, not against an unsaved instance.
        pass

    def contact_fields(self) -> dict:
        return dict(self.cleaned_data)


# --- deputy groups ----------------------------------------------------------------------


class DeputyGroupForm(forms.ModelForm):
    """A deputy group: name, leader, presidium contact and members, all of one township."""

    leader = DeputyNameChoiceField(label="组长", queryset=Deputy.objects.none(), required=False, empty_label="（暂无）")
    presidium_contact = DeputyNameChoiceField(
        label="联系的主席团成员",
        queryset=Deputy.objects.none(),
        required=False,
        empty_label="（暂无）",
        help_text="本乡镇在任的主席团成员（在代表资格中设置主席团职务）。",
    )
    members = DeputyNamesField(
        label="成员", queryset=Deputy.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = DeputyGroup
        fields = ["region", "name", "leader", "presidium_contact", "members"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            townships = Region.objects.filter(pk=self.instance.region_id)
            del self.fields["region"]
        else:
            townships = selectors.writable_townships(user)
            self.fields["region"].queryset = townships
            self.fields["region"].empty_label = None if len(townships) == 1 else "请选择乡镇"
        deputies = Deputy.objects.filter(region__in=townships)
        serving = selectors.serving_deputies(deputies)
        if self.instance.pk:
            # Present members stay choosable even if their seat has ended since.
            current = self.instance.members.values("pk")
            candidates = deputies.filter(pk__in=serving.values("pk")) | deputies.filter(pk__in=current)
        else:
            candidates = serving
        candidates = candidates.order_by("name", "pk")
        self.fields["members"].queryset = candidates
        self.fields["leader"].queryset = candidates
        self.fields["presidium_contact"].queryset = selectors.presidium_members(deputies).order_by("name")
        self.helper = FormHelper()
        self.helper.form_tag = False
        head = ["region", "name"] if "region" in self.fields else ["name"]
        self.helper.layout = Layout(
            _cols(*head, cls="col-12 col-md-6"),
            _cols("leader", "presidium_contact", cls="col-12 col-md-6"),
            Div(Field("members"), css_class="member-box"),
        )

    def _post_clean(self):
        # group_create/group_update validate (members of one township, the contact's role,
        # the unique name) with messages of their own.
        pass

    def group_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in self.fields}


def non_field(form) -> list[str]:
    return list(form.errors.get(NON_FIELD_ERRORS, []))
