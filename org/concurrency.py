"""Optimistic concurrency for edit forms: two clerks editing the same record.

An edit page carries a hidden row version (`_row_version`): a keyed hash of the row's
stored values as the form was shown, and the time it was opened. When the form comes back,
the edit base (org.mixins.ScopedUpdateView) locks the row inside the request's transaction,
hashes it again and, if the two differ, refuses the save with a Chinese non-field error
that names the latest change from the audit log; the user's input is shown again, so
nothing typed is lost.

The hash is keyed with SECRET_KEY (salted_hmac): a plain hash of a row holding an ID number
whose other fields the page shows could be reversed by trying the few missing digits.
"""

from __future__ import annotations

import datetime
import json
import time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import format_html

FIELD_NAME = "_row_version"
_SALT = "org.concurrency.row_version"


def lock_row(queryset, pk) -> None:
    """SELECT … FOR UPDATE of one row of `queryset` (the user's scoped rows: a row out of
    scope is neither locked nor found), so that the check and the save that follows see no
    other writer in between (a no-op on SQLite, whose writers queue on the whole file).
    `of=("self",)`: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join."""
    if pk is None:
        return
    list(queryset.select_for_update(of=("self",)).filter(pk=pk).values_list("pk", flat=True))


def _plain(value):
    if hasattr(value, "storage") and hasattr(value, "name"):  # a FieldFile: its stored name
        return value.name or ""
    return value


def fingerprint(obj, m2m_names=(), exclude=()) -> str:
    """A keyed hash of the row's concrete field values and of the many-to-many fields named
    (those the form edits: a roll call elsewhere must not make a meeting's form stale)."""
    values = {
        field.attname: _plain(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if field.name not in exclude
    }
    for name in sorted(m2m_names):
        if name not in exclude:
            values[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return salted_hmac(_SALT, text, algorithm="sha256").hexdigest()[:40]


def form_m2m_names(obj, form) -> list[str]:
    return [f.name for f in obj._meta.many_to_many if f.name in form.fields]


def make_token(digest: str, opened: float | None = None) -> str:
    return f"{digest}:{int(opened if opened is not None else time.time())}"


def parse_token(token: str) -> tuple[str, datetime.datetime | None] | None:
    """(digest, opened) of a posted token; None when there is none (a client that does not
    send it saves as before: the check guards the portal's own pages)."""
    token = (token or "").strip()
    if not token:
        return None
    digest, _, opened = token.partition(":")
    try:
        when = datetime.datetime.fromtimestamp(int(opened), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        when = None
    return digest, when


def last_change(obj, since: datetime.datetime | None) -> str:
    """「2026-03-10 14:02 张三」: the latest change of the row logged since the form was opened,
    or "" when the log has none (a change made outside the audited paths)."""
    from .models import AuditEntry

    entries = AuditEntry.objects.filter(
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        action__in=(AuditEntry.Action.UPDATE, AuditEntry.Action.CREATE),
    )
    if since is not None:
        entries = entries.filter(time__gte=since)
    entry = entries.select_related("user").order_by("-time", "-id").first()
    if entry is None:
        return ""
    who = entry.user.display_name if entry.user is not None else entry.username
    return f"{timezone.localtime(entry.time):%Y-%m-%d %H:%M} {who}".strip()


def conflict_message(obj, since) -> str:
    change = last_change(obj, since)
    latest = f"（最近修改：{change}）" if change else ""
    return f"此记录在您打开后已被他人修改{latest}，您的修改未保存。请刷新页面后重新填写。"


def is_conflict(posted: str, current_digest: str) -> bool:
    parsed = parse_token(posted)
    return parsed is not None and not constant_time_compare(parsed[0], current_digest)


def guard_form(form, obj, posted: str, current_digest: str) -> None:
    """Make `form` invalid, with the conflict as its first non-field error, when the posted
    row version is not the row's current one. Hooked into the form's clean(), so every edit
    view, whatever its form_valid does, saves nothing for a stale form."""
    if not is_conflict(posted, current_digest):
        return
    original_clean = form.clean
    since = parse_token(posted)[1]

    def clean():
        form.add_error(None, ValidationError(conflict_message(obj, since), code="stale"))
        return original_clean()

    form.clean = clean


def hidden_input(token: str):
    """The hidden input an edit template renders with {{ row_version_field }}."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, token)
