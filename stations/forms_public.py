"""Forms of the public opinion page. The fields' rules (length, phone, photo) live in
services_public.public_opinion_submit; here are the checks a person never notices: the
honeypot and the signed stamp of when the form was shown."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from . import services_public
from .services_public import CONTENT_MAX, CONTENT_MIN, NAME_MAX

# A field people do not see (moved off screen by CSS, skipped by Tab) but form-filling bots do.
HONEYPOT = "website"


class PublicOpinionForm(forms.Form):
    content = forms.CharField(
        label="您的意见建议",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "maxlength": CONTENT_MAX,
                "minlength": CONTENT_MIN,
                "required": True,
                "placeholder": "请写下您想反映的问题、意见或建议，如：村口路灯不亮，晚上出行不便。",
            }
        ),
        help_text=f"{CONTENT_MIN}—{CONTENT_MAX}字。",
    )
    voter_name = forms.CharField(
        label="您的姓名（可不填）",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "autocomplete": "name"}),
    )
    voter_phone = forms.CharField(
        label="联系电话（可不填）",
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "maxlength": 20, "autocomplete": "tel"}),
        help_text="留下电话，工作人员可以联系您反馈办理情况；姓名和电话不会公开。",
    )
    photo = forms.FileField(
        label="照片（可不传）",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        error_messages={
            "empty": "照片文件是空的，请重新选择。",
            "invalid": "照片上传失败，请重新选择。",
            "missing": "照片上传失败，请重新选择。",
        },
        help_text="可附一张现场照片，JPEG 或 PNG，不超过 5 MB。",
    )
    website = forms.CharField(
        label="网址（请勿填写）",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station
        for name in ("content", "voter_name", "voter_phone", "photo"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-lg"

    def clean(self):
        data = super().clean()
        if data.get(HONEYPOT):
            raise ValidationError("提交未通过校验，请刷新页面后重新填写。", code="honeypot")
        services_public.form_stamp_check(station=self.station, stamp=data.get("stamp") or "")
        return data


class TrackForm(forms.Form):
    code = forms.CharField(
        label="查询码",
        max_length=40,
        error_messages={"required": "请输入查询码。", "max_length": "查询码太长了（应为10位），请核对后重新输入。"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "如：ABCDE-FGHJK",
            }
        ),
        help_text="提交意见后页面上显示的10位查询码，不区分大小写。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["class"] = "form-control form-control-lg text-uppercase"
