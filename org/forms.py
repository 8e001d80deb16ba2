from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError

from .models import AuditEntry


def lockout_policy() -> tuple[int, int]:
    """(failed logins before a lockout, minutes it lasts), as configured."""
    return settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "账号或密码不正确。连续输错{limit}次，该账号在本机将被锁定{minutes}分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit, minutes = lockout_policy()
        self.error_messages = {
            **self.error_messages,
            "invalid_login": self.error_messages["invalid_login"].format(limit=limit, minutes=minutes),
        }
        self.fields["username"].label = "账号"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autofocus": True, "placeholder": "请输入账号"})
        self.fields["password"].widget.attrs.update({"placeholder": "请输入密码"})


class PortalPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "当前密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "确认新密码"


class AuditFilterForm(forms.Form):
    username = forms.CharField(label="账号", required=False)
    action = forms.ChoiceField(label="操作", required=False, choices=[("", "全部")] + list(AuditEntry.Action.choices))
    model = forms.CharField(label="对象类型", required=False)
    ip = forms.CharField(label="IP地址", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["username"]:
            qs = qs.filter(username__icontains=data["username"])
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["model"]:
            qs = qs.filter(model_label__icontains=data["model"]) | qs.filter(model__icontains=data["model"])
        if data["ip"]:
            qs = qs.filter(ip=data["ip"]) if _is_ip(data["ip"]) else qs.none()
        if data["date_from"]:
            qs = qs.filter(time__date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(time__date__lte=data["date_to"])
        return qs


def _is_ip(text):
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class RegionSwitchForm(forms.Form):
    region = forms.IntegerField(required=False)


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the form's inputs: on the field it names when
    the form has it, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
