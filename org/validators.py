import datetime
import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Passwords mix character classes: at least `min_classes` of lower case, upper case,
    digits and symbols (等保 password complexity)."""

    CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in self.CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return f"密码须包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, in Chinese: Django 5.2 changed this message's msgid and its zh-hans
    catalogue was not updated, so users would read the English sentence."""

    def get_error_message(self):
        return f"密码长度太短。密码必须包含至少 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码必须包含至少 {self.min_length} 个字符。"


# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum(first17: str) -> str:
    """The 18th character of a 居民身份证号 for its first 17 digits (GB 11643 ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """Whether `value` is a well-formed 18-digit 身份证号: digits, a real birth date, and the
    right check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return value[17].upper() == id_checksum(value[:17])


def validate_id_number(value: str) -> None:
    """Model/form validator: an 18-character 居民身份证号 with a real birth date and the right
    check character."""
    if not is_valid_id_number(value or ""):
        if len(value or "") != 18:
            raise ValidationError(f"身份证号应为18位（现为{len(value or '')}位）。", code="id_length")
        raise ValidationError("身份证号无效：出生日期或末位校验码不正确，请核对。", code="id_checksum")


def validate_mobile(value: str) -> None:
    """A mainland mobile (11 digits starting 1) or a landline such as 0310-1234567."""
    if not re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,5})?", value or ""):
        raise ValidationError("电话号码格式不正确：手机号为11位数字，座机如 0310-1234567。", code="phone")
