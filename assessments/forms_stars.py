"""Forms of the star rating pages: the county's rule, the list filters, the township's
self-assessment (a row per item) and the county's review (a score per item)."""

from __future__ import annotations

from django import forms

from org.models import Region
from org.uploads import DOCUMENT, IMAGE, validate_upload
from stations.models import Standard

from .models import StarRating, StarRatingItem, StarRule

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EVIDENCE_HELP = "JPEG/PNG 图片不超过 5 MB，PDF/Word/Excel 不超过 20 MB。"


class StarRuleForm(forms.ModelForm):
    class Meta:
        model = StarRule
        fields = ["standard", "five", "four", "three", "two", "one", "five_needs_onsite", "self_assessment_due"]
        widgets = {"self_assessment_due": DATE}

    def __init__(self, *args, county=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The county's own standards and those of the regions above it.
        ids = [int(p) for p in county.path.strip("/").split("/") if p] if county else []
        self.fields["standard"].queryset = (
            Standard.objects.filter(region_id__in=ids, active=True).select_related("region").order_by("-year", "name")
        )
        self.fields["standard"].help_text = "如“十有”；可在“建设标准”中加载默认标准或调整项目分值。"
        for name in ("five", "four", "three", "two", "one"):
            self.fields[name].widget.attrs.update(step="0.1", min="0")


class StarRatingFilterForm(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    township = forms.ModelChoiceField(
        label="乡镇", queryset=Region.objects.none(), required=False, empty_label="全部乡镇"
    )
    state = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *StarRating.State.choices], required=False)
    stars = forms.ChoiceField(
        label="星级",
        choices=[
            ("", "全部星级"),
            ("5", "五星"),
            ("4", "四星"),
            ("3", "三星"),
            ("2", "二星"),
            ("1", "一星"),
            ("0", "未评星"),
        ],
        required=False,
    )

    def __init__(self, *args, townships=None, **kwargs):
        super().__init__(*args, **kwargs)
        if townships is not None:
            self.fields["township"].queryset = townships


class SelfAssessForm(forms.Form):
    """One state, note and evidence file per item of the rating: fields state_<item id>,
    note_<item id>, evidence_<item id>."""

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            key = row.item_id
            self.fields[f"state_{key}"] = forms.ChoiceField(
                label=f"{row.item.title}·自评情况",
                choices=[("", "未填"), *StarRatingItem.State.choices],
                required=False,
                initial=row.self_state,
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label=f"{row.item.title}·说明", max_length=300, required=False, initial=row.self_note
            )
            self.fields[f"evidence_{key}"] = forms.FileField(
                label=f"{row.item.title}·佐证材料", required=False, help_text=EVIDENCE_HELP
            )
        self.evidence_types = {}

    def clean(self):
        data = super().clean()
        for row in self.rows:
            name = f"evidence_{row.item_id}"
            f = data.get(name)
            if f:
                try:
                    self.evidence_types[row.item_id] = validate_upload(f, kinds=(IMAGE, DOCUMENT))
                except forms.ValidationError as exc:
                    self.add_error(name, f"“{row.item.title}”：{'；'.join(exc.messages)}")
        return data

    def states(self) -> dict:
        d = self.cleaned_data
        return {row.item_id: (d.get(f"state_{row.item_id}", ""), d.get(f"note_{row.item_id}", "")) for row in self.rows}

    def evidence_files(self) -> dict:
        return {
            row: self.cleaned_data[f"evidence_{row.item_id}"]
            for row in self.rows
            if self.cleaned_data.get(f"evidence_{row.item_id}")
        }

    def table(self):
        """(row, state field, note field, evidence field) for the template."""
        return [
            (r, self[f"state_{r.item_id}"], self[f"note_{r.item_id}"], self[f"evidence_{r.item_id}"]) for r in self.rows
        ]


class ReviewForm(forms.Form):
    """The county's score and comment per item (score_<item id>, comment_<item id>), the
    overall comment and the on-site check."""

    comment = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    onsite_checked = forms.BooleanField(label="已实地核查", required=False)

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            key = row.item_id
            self.fields[f"score_{key}"] = forms.DecimalField(
                label=f"{row.item.title}·审核得分",
                min_value=0,
                max_value=row.item.points,
                decimal_places=1,
                max_digits=5,
                initial=row.review_score,
                error_messages={
                    "required": f"请填写“{row.item.title}”的审核得分。",
                    "min_value": f"“{row.item.title}”的审核得分不能小于 0。",
                    "max_value": f"“{row.item.title}”的审核得分不能超过该项分值 {row.item.points} 分。",
                    "invalid": f"“{row.item.title}”的审核得分须是数字。",
                },
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": row.item.points}),
            )
            self.fields[f"comment_{key}"] = forms.CharField(
                label=f"{row.item.title}·审核意见", max_length=300, required=False, initial=row.review_comment
            )

    def scores(self) -> dict:
        d = self.cleaned_data
        return {r.item_id: (d.get(f"score_{r.item_id}"), d.get(f"comment_{r.item_id}", "")) for r in self.rows}

    def table(self):
        return [(r, self[f"score_{r.item_id}"], self[f"comment_{r.item_id}"]) for r in self.rows]


class ReturnForm(forms.Form):
    comment = forms.CharField(label="退回理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(forms.Form):
    force = forms.BooleanField(label="仅公布已审核的（未审核的暂不公布）", required=False)
