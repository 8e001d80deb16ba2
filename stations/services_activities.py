"""Writes of the activities part (代表活动): record, change, confirm or reject, delete, and
attach photos and documents.

A township clerk records activities as confirmed. A deputy records its own: the record
stays pending (待确认) until the township clerk confirms it or sends it back (已退回, with
a reason); the deputy may change it while it is pending or sent back, which puts it back
in the clerk's queue. Only confirmed activities count in registers, compliance lists and
points. Create, update and delete are written to the audit log by org/audit.py's signals.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from deputies.models import Deputy
from org.models import Region
from org.uploads import DOCUMENT, IMAGE, validate_upload

from .models import Activity, ActivityFile
from .selectors_activities import is_township_clerk, own_deputy

# What a caller may set on an activity; region, status and the bookkeeping fields are the
# services' own.
EDITABLE_FIELDS = (
    "kind", "date", "end_date", "station", "place", "organiser", "topic", "summary",
    "attendance", "voter_count", "satisfaction",
)  # fmt: skip
PENDING = Activity.Status.PENDING
CONFIRMED = Activity.Status.CONFIRMED
REJECTED = Activity.Status.REJECTED


def _require_deputy(user) -> Deputy:
    deputy = own_deputy(user)
    if deputy is None:
        raise PermissionDenied("您的账号尚未关联代表信息，不能登记代表活动，请联系乡镇人大秘书。")
    return deputy


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not an editable field of Activity: {', '.join(sorted(unknown))}")


def _validate(activity: Activity, participants: list[Deputy]) -> None:
    """The rules of a record of what happened; raises one ValidationError naming each field."""
    errors: dict[str, list[str]] = {}
    region = activity.region
    today = timezone.localdate()

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if isinstance(activity.date, datetime.date) and activity.date > today:
        add("date", f"活动日期不能晚于今天（{today:%Y-%m-%d}）：代表活动在开展之后登记。")
    if isinstance(activity.end_date, datetime.date) and isinstance(activity.date, datetime.date):
        if activity.end_date < activity.date:
            add("end_date", "结束日期不能早于活动日期。")
        elif activity.end_date > today:
            add("end_date", f"结束日期不能晚于今天（{today:%Y-%m-%d}）。")
    if activity.station is not None and activity.station.township_id != region.pk:
        add("station", f"活动阵地“{activity.station.name}”不属于{region.name}。")
    if activity.satisfaction is not None:
        if activity.kind != Activity.Kind.REPORT_TO_VOTERS:
            add("satisfaction", "只有述职活动才填写满意度。")
        elif not 0 <= activity.satisfaction <= 100:
            add("satisfaction", "满意度应在 0 到 100 之间（百分比）。")

    if not participants:
        add("participants", "请至少选择一名参加代表。")
    else:
        ids = {p.pk for p in participants}
        # A deputy kept by the township, or one elected there (a county deputy of its constituency).
        allowed = set(
            Deputy.objects.filter(pk__in=ids)
            .filter(Q(region=region) | Q(mandates__region=region))
            .values_list("pk", flat=True)
            .distinct()
        )
        wrong = list(dict.fromkeys(p.name for p in participants if p.pk not in allowed))
        if wrong:
            add("participants", f"参加代表必须是{region.name}的代表：{'、'.join(wrong)}不是。")

    count = len({p.pk for p in participants})
    if activity.kind == Activity.Kind.TRAINING and not activity.attendance:
        # 学习培训 are counted in 人次; left empty, each participant counts once.
        activity.attendance = count
    elif activity.attendance and activity.attendance < count:
        add("attendance", f"参加人次（{activity.attendance}）不能少于参加代表人数（{count}）。")

    try:
        activity.full_clean(exclude=["region", "recorded_by", "confirmed_by"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(field, []):
                    add(field, message)
    if errors:
        raise ValidationError(errors)


def _save_with_participants(activity: Activity, participants: list[Deputy]) -> Activity:
    activity.save()
    activity.participants.set(participants)
    return activity


@transaction.atomic
def activity_create(*, region: Region | None = None, user, participants=(), **fields) -> Activity:
    """Record an activity of `region`. A clerk of the township records it confirmed. A deputy
    records its own (region may be left None: it is the deputy's township): it is pending
    until the clerk confirms it, and the deputy is always among the participants."""
    _check_fields(fields)
    participants = list(participants)
    if region is not None and is_township_clerk(user, region):
        status, deputy = CONFIRMED, None
    else:
        deputy = _require_deputy(user)
        if region is not None and region.pk != deputy.region_id:
            raise PermissionDenied(f"您只能登记本乡镇（{deputy.region.name}）的代表活动。")
        region = deputy.region
        # A clerk who is also a deputy of the township has nothing to wait for.
        status = CONFIRMED if is_township_clerk(user, region) else PENDING
        if deputy.pk not in {p.pk for p in participants}:
            participants.append(deputy)
    if not region.is_township:
        raise ValidationError("代表活动只能登记在乡镇（街道）。")
    activity = Activity(region=region, status=status, recorded_by=user, **fields)
    if status == CONFIRMED:
        activity.confirmed_by, activity.confirmed_at = user, timezone.now()
    _validate(activity, participants)
    return _save_with_participants(activity, participants)


@transaction.atomic
def activity_update(*, activity: Activity, user, participants=None, **fields) -> Activity:
    """Change an activity. The township clerk may change any of its township's; the deputy
    who recorded one may change it while pending or sent back (a sent-back one returns to
    the clerk's queue) and stays among its participants. `participants` None keeps them."""
    _check_fields(fields)
    # The state as stored now: a clerk may have confirmed it since the caller loaded it.
    stored = Activity.objects.select_for_update(of=("self",)).only("status", "reject_reason").get(pk=activity.pk)
    activity.status, activity.reject_reason = stored.status, stored.reject_reason
    clerk = is_township_clerk(user, activity.region)
    deputy = None
    if not clerk:
        if activity.recorded_by_id != user.pk:
            raise PermissionDenied("您无权修改这条代表活动。")
        if activity.status == CONFIRMED:
            raise PermissionDenied("这条代表活动已经确认，如需修改请联系乡镇人大秘书。")
        deputy = _require_deputy(user)
    for name, value in fields.items():
        setattr(activity, name, value)
    participants = list(activity.participants.all() if participants is None else participants)
    if deputy is not None:
        if deputy.pk not in {p.pk for p in participants}:
            participants.append(deputy)
        if activity.status == REJECTED:
            activity.status, activity.reject_reason = PENDING, ""
    _validate(activity, participants)
    return _save_with_participants(activity, participants)


def _locked_pending(activity: Activity, user, action: str) -> Activity:
    if not is_township_clerk(user, activity.region):
        raise PermissionDenied(f"只有{activity.region.name}的乡镇人大秘书可以{action}代表登记的活动。")
    row = Activity.objects.select_for_update(of=("self",)).get(pk=activity.pk)
    if row.status != PENDING:
        raise ValidationError(f"只有待确认的活动可以{action}，这条活动{row.get_status_display()}。")
    return row


@transaction.atomic
def activity_confirm(*, activity: Activity, user) -> Activity:
    """The township clerk confirms an activity a deputy recorded (pending → confirmed)."""
    row = _locked_pending(activity, user, "确认")
    row.status, row.reject_reason = CONFIRMED, ""
    row.confirmed_by, row.confirmed_at = user, timezone.now()
    row.save(update_fields=["status", "reject_reason", "confirmed_by", "confirmed_at"])
    return row


@transaction.atomic
def activity_reject(*, activity: Activity, reason: str, user) -> Activity:
    """The township clerk sends a deputy's record back with a reason (pending → rejected);
    the deputy may correct it and submit it again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因，告诉代表需要补充或更正什么。"})
    limit = Activity._meta.get_field("reject_reason").max_length
    if len(reason) > limit:
        raise ValidationError({"reason": f"退回原因不能超过 {limit} 个字（现有 {len(reason)} 个）。"})
    row = _locked_pending(activity, user, "退回")
    row.status, row.reject_reason = REJECTED, reason
    row.confirmed_by, row.confirmed_at = None, None
    row.save(update_fields=["status", "reject_reason", "confirmed_by", "confirmed_at"])
    return row


@transaction.atomic
def activity_delete(*, activity: Activity, user) -> None:
    """The township clerk deletes an activity with its photos and documents (files too)."""
    if not is_township_clerk(user, activity.region):
        raise PermissionDenied("只有乡镇人大秘书可以删除代表活动。")
    files = [f.file for f in activity.files.all() if f.file]
    activity.delete()
    # Remove the files only once the rows are surely gone.
    transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])


def activity_file_add(*, activity: Activity, upload, title: str = "", kind: str = ActivityFile.Kind.PHOTO, user):
    """Attach a photo (JPEG/PNG) or a document (PDF, Word .docx, Excel .xlsx) to an activity.
    The type is read from the content and the size capped (org/uploads.py). The clerk may
    add to any activity of its township, the recording deputy while it is not confirmed."""
    clerk = is_township_clerk(user, activity.region)
    status = Activity.objects.filter(pk=activity.pk).values_list("status", flat=True).first()
    if not clerk and not (activity.recorded_by_id == user.pk and status in (PENDING, REJECTED)):
        raise PermissionDenied("您无权为这条代表活动上传文件。")
    if kind not in ActivityFile.Kind.values:
        raise ValidationError({"kind": "请选择文件类型：照片或文档。"})
    if not upload:
        raise ValidationError({"file": "请选择要上传的文件。"})
    kinds = (IMAGE,) if kind == ActivityFile.Kind.PHOTO else (DOCUMENT,)
    try:
        content_type = validate_upload(upload, kinds=kinds)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    title = (title or "").strip() or name.rsplit(".", 1)[0] or "未命名"
    limit = ActivityFile._meta.get_field("title").max_length
    return ActivityFile.objects.create(
        activity=activity, kind=kind, title=title[:limit], file=upload, content_type=content_type, uploaded_by=user
    )
