"""Checking uploaded files: the type is read from the first bytes (a renamed .exe is not a
picture), the size is capped per kind. Limits come from settings:

    UPLOAD_MAX_IMAGE_BYTES (5 MB), UPLOAD_MAX_DOCUMENT_BYTES (20 MB)

`validate_upload(f, kinds=...)` returns the sniffed content type, or raises a
ValidationError in Chinese that names the file. Files live under MEDIA_ROOT and are served
only through scoped views (never as static files).
"""

from __future__ import annotations

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError

IMAGE = "image"
DOCUMENT = "document"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# content type -> (kind, label, allowed name endings)
TYPES = {
    "image/jpeg": (IMAGE, "JPEG 图片", (".jpg", ".jpeg")),
    "image/png": (IMAGE, "PNG 图片", (".png",)),
    "application/pdf": (DOCUMENT, "PDF 文档", (".pdf",)),
    DOCX: (DOCUMENT, "Word 文档", (".docx",)),
    XLSX: (DOCUMENT, "Excel 表格", (".xlsx",)),
}
MB = 1024 * 1024


def max_bytes(kind: str) -> int:
    if kind == IMAGE:
        return getattr(settings, "UPLOAD_MAX_IMAGE_BYTES", 5 * MB)
    return getattr(settings, "UPLOAD_MAX_DOCUMENT_BYTES", 20 * MB)


def _zip_type(f) -> str | None:
    """A .docx or .xlsx is a zip holding word/ or xl/."""
    try:
        f.seek(0)
        with zipfile.ZipFile(f) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        f.seek(0)
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    return None


def sniff(f) -> str | None:
    """The content type read from the file's first bytes, or None if not one we accept."""
    f.seek(0)
    head = f.read(8)
    f.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(f)
    return None


def _label(kinds) -> str:
    return "、".join(label for kind, label, _ in TYPES.values() if kind in kinds)


def validate_upload(f, kinds=(IMAGE, DOCUMENT)) -> str:
    """Check type (by content, and that the name's ending agrees) and size; return the type."""
    name = getattr(f, "name", "") or "文件"
    name = name.rsplit("/", 1)[-1]
    content_type = sniff(f)
    if content_type is None or TYPES[content_type][0] not in kinds:
        raise ValidationError(
            f"文件“{name}”的类型不受支持：只能上传{_label(kinds)}（按文件内容识别，改扩展名无效）。",
            code="file_type",
        )
    kind, label, endings = TYPES[content_type]
    if not name.lower().endswith(endings):
        raise ValidationError(
            f"文件“{name}”的内容是{label}，与扩展名不符，请改用 {'/'.join(endings)} 扩展名后重新上传。",
            code="file_type",
        )
    limit = max_bytes(kind)
    if f.size > limit:
        raise ValidationError(
            f"文件“{name}”太大（{f.size / MB:.1f} MB）：{label}不能超过 {limit / MB:g} MB。", code="file_size"
        )
    return content_type
