"""The audit log: every create/update/delete of a business row and every login event.

Receivers on Django's model and auth signals write `AuditEntry` rows with the user, time,
IP, object and changed fields, so no view has to remember to log.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import context
from .models import AuditEntry, Job

AUDITED_APPS = {"org", "deputies", "stations", "congress", "assessments"}
# Rows that are themselves logs or job bookkeeping would only echo themselves.
UNAUDITED_MODELS = {AuditEntry, Job}
# Fields that change on their own or hold secrets: never recorded as values.
IGNORED_FIELDS = {"path", "depth", "updated_at", "last_login"}
SECRET_FIELDS = {"password"}


def _audited(sender) -> bool:
    # A model sets `audit_exempt = True` when its rows are rebuilt from others by a job
    # (duty points): the records they come from are audited, the rebuild would only add noise.
    return (
        sender._meta.app_label in AUDITED_APPS
        and sender not in UNAUDITED_MODELS
        and not getattr(sender, "audit_exempt", False)
    )


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time, decimal.Decimal, uuid.UUID)):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value


def mask(value) -> str:
    """Keep the first 4 and last 4 characters (5101**********1234), as the UI does."""
    text = str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def _values(instance) -> dict:
    masked = set(getattr(type(instance), "audit_masked_fields", ()))
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in IGNORED_FIELDS:
            continue
        value = _plain(getattr(instance, field.attname))
        values[field.name] = mask(value) if field.name in masked and value else value
    return values


def _label(instance, name):
    try:
        return str(instance._meta.get_field(name).verbose_name)
    except Exception:  # pragma: no cover - a field renamed since
        return name


def _write(action, *, instance=None, user=None, username="", changes=None, request=None):
    request = request if request is not None else context.current_request()
    request_user = getattr(request, "user", None)
    if user is None and request_user is not None and request_user.is_authenticated:
        user = request_user
    entry = AuditEntry(
        action=action,
        user=user if user is not None and user.pk else None,
        username=username or (user.get_username() if user is not None else "") or "",
        ip=context.client_ip(request),
        changes=changes or {},
        path=(request.path[:300] if request is not None else ""),
    )
    if instance is not None:
        entry.model = instance._meta.label_lower
        entry.model_label = str(instance._meta.verbose_name)
        entry.object_id = str(instance.pk)
        entry.object_repr = str(instance)[:200]
    entry.save()
    return entry


@receiver(pre_save, dispatch_uid="audit_pre_save")
def _remember_old(sender, instance, raw=False, **kwargs):
    if raw or not _audited(sender) or instance.pk is None:
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_old = _values(old) if old is not None else None


@receiver(post_save, dispatch_uid="audit_post_save")
def _log_save(sender, instance, created, raw=False, **kwargs):
    if raw or not _audited(sender):
        return
    new = _values(instance)
    old = getattr(instance, "_audit_old", None)
    instance._audit_old = None
    if created or old is None:
        changes = {k: [None, v] for k, v in new.items() if v not in (None, "", [], {})}
        action = AuditEntry.Action.CREATE
    else:
        changes = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}
        action = AuditEntry.Action.UPDATE
        if not changes:
            return
    for name in list(changes):
        if name in SECRET_FIELDS:
            changes[name] = ["***", "***（已修改）"]
    labelled = {
        name: {"label": _label(instance, name), "old": pair[0], "new": pair[1]} for name, pair in changes.items()
    }
    _write(action, instance=instance, changes=labelled)


@receiver(post_delete, dispatch_uid="audit_post_delete")
def _log_delete(sender, instance, **kwargs):
    if not _audited(sender):
        return
    old = {k: v for k, v in _values(instance).items() if k not in SECRET_FIELDS and v not in (None, "")}
    labelled = {name: {"label": _label(instance, name), "old": v, "new": None} for name, v in old.items()}
    _write(AuditEntry.Action.DELETE, instance=instance, changes=labelled)


@receiver(user_logged_in, dispatch_uid="audit_login")
def _log_login(sender, request, user, **kwargs):
    _write(AuditEntry.Action.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _log_logout(sender, request, user, **kwargs):
    if user is not None:
        _write(AuditEntry.Action.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _log_login_failed(sender, credentials, request=None, **kwargs):
    _write(AuditEntry.Action.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150], request=request)


def _log_lockout(sender, request, username, ip_address, **kwargs):
    _write(
        AuditEntry.Action.LOCKOUT,
        username=str(username or "")[:150],
        request=request,
        changes={"ip": {"label": "IP地址", "old": None, "new": ip_address}},
    )


try:
    from axes.signals import user_locked_out

    user_locked_out.connect(_log_lockout, dispatch_uid="audit_lockout")
except ImportError:  # pragma: no cover - axes is a pinned requirement
    pass


def audit_event(action: str, *, instance=None, note: str = "", request=None) -> AuditEntry:
    """Record an event that is not a row change (viewing a full ID number, an export)."""
    changes = {"note": {"label": "说明", "old": None, "new": note}} if note else {}
    return _write(action, instance=instance, changes=changes, request=request)
