"""The public opinion page 群众意见: anyone who scans a room's QR code leaves an opinion,
without an account, and later looks the reply up with the tracking code it was given.

The page is open to the internet, so every write here is guarded: a per-IP rate limit kept
in Django's cache (Redis in production, memory otherwise), a honeypot field and a signed
form stamp (checked by forms_public), and limits on text and photo size. An accepted opinion
is a `VoterIssue` (source public, state recorded) in the room's township's inbox; the lookup
shows the voter its own issue's progress and reply, nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
import unicodedata
import uuid

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from org.uploads import IMAGE, MB, max_bytes, sniff
from org.validators import validate_mobile

from .models import Station, VoterIssue, VoterIssueEvent
from .models.receptions import TRACKING_ALPHABET, TRACKING_LENGTH, new_tracking_code

CONTENT_MIN = 5
CONTENT_MAX = 1000
NAME_MAX = 50

# Rate limits: (window in seconds, most allowed in it) per client IP. A voter leaves one or two
# opinions; a script is stopped after a handful of rows in a clerk's inbox. Voters behind one
# address (a room's Wi-Fi) may meet the limit on a busy day: the refusal page sends them to the
# deputies on duty, who record what they raise at the reception itself.
SUBMIT_LIMITS = ((3600, 5), (86400, 20))
# Every POST of the form counts here, valid or not, so a bot that never gets past the checks
# still cannot hammer the page; a voter correcting a few mistakes stays far below it.
ATTEMPT_LIMITS = ((3600, 30),)
# Lookups: a voter checks its code now and then; guessing a 10-character code from 31 symbols
# is hopeless anyway, and this keeps it so.
LOOKUP_LIMITS = ((3600, 20),)

SUBMIT = "submit"
ATTEMPT = "attempt"
LOOKUP = "lookup"
LIMITS = {SUBMIT: SUBMIT_LIMITS, ATTEMPT: ATTEMPT_LIMITS, LOOKUP: LOOKUP_LIMITS}

# The form stamp: a person needs more than a few seconds to write an opinion; a page left open
# longer than a day is reloaded rather than trusted.
FORM_MIN_SECONDS = 3
FORM_MAX_AGE = 86400
FORM_STAMP_SALT = "stations.public.opinion-form"

# What a voter reads as the state of its issue: the inbox's states are the clerks' words.
VOTER_STATE_WORDS = {
    VoterIssue.State.RECORDED: "已收到",
    VoterIssue.State.REFERRED: "办理中",
    VoterIssue.State.ON_SPOT: "已答复",
    VoterIssue.State.ANSWERED: "已答复",
    VoterIssue.State.FED_BACK: "已答复",
    VoterIssue.State.CLOSED: "已办结",
}
# The unit's answer reaches the voter once the issue has been answered.
ANSWERED_STATES = (VoterIssue.State.ANSWERED, VoterIssue.State.FED_BACK, VoterIssue.State.CLOSED)

SUBMIT_NOTE = "群众扫码提交"
TRACKING_ATTEMPTS = 5


class RateLimited(Exception):
    """Too many requests from one IP; `retry_after` is seconds until the window turns."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class PublicReply:
    """All the lookup tells: never the voter's name or phone, the unit, its staff or notes."""

    station_name: str
    raised_on: datetime.date
    state_words: str
    reply: str


# --- rate limits ------------------------------------------------------------------------------


def _window_keys(kind: str, ip: str | None, now: float):
    who = ip or "unknown"
    for window, limit in LIMITS[kind]:
        slot = int(now // window)
        # Fixed windows: at a window's turn a client may get up to twice the limit in a row,
        # which is still a handful of rows, and costs one counter per window.
        yield f"public-rate:{kind}:{who}:{window}:{slot}", window, limit, window - int(now % window)


def rate_limit_check(*, kind: str, ip: str | None) -> None:
    """Raise RateLimited if the IP has used up any window of `kind`; counts nothing."""
    now = time.time()
    for key, _window, limit, retry_after in _window_keys(kind, ip, now):
        if (cache.get(key) or 0) >= limit:
            raise RateLimited(_limit_message(kind), retry_after)


def rate_limit_hit(*, kind: str, ip: str | None) -> None:
    """Count one request of `kind` from the IP; raise RateLimited once a window is over its limit."""
    now = time.time()
    over = None
    for key, window, limit, retry_after in _window_keys(kind, ip, now):
        # add() is a no-op when the key exists; incr() is atomic in Redis and under LocMem's lock.
        cache.add(key, 0, timeout=window + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window + 60)
            count = 1
        if count > limit and over is None:
            over = retry_after
    if over is not None:
        raise RateLimited(_limit_message(kind), over)


WINDOW_WORDS = {3600: "每小时", 86400: "每天"}


def _limit_message(kind: str) -> str:
    if kind == LOOKUP:
        return "查询太频繁了，请过一会儿再查。"
    if kind == ATTEMPT:
        return "提交次数太多了，请过一会儿再试。"
    rule = "、".join(f"{WINDOW_WORDS.get(window, f'每{window}秒')}最多{limit}条" for window, limit in LIMITS[SUBMIT])
    return f"提交太频繁了：同一网络{rule}意见，请过一会儿再试。"


# --- the form stamp ---------------------------------------------------------------------------


def form_stamp_new(*, station: Station, at: float | None = None) -> str:
    """A signed stamp of when the form for `station` was shown (a hidden field of the form)."""
    return signing.dumps(
        {"s": station.public_code, "t": int(at if at is not None else time.time())}, salt=FORM_STAMP_SALT
    )


def form_stamp_check(*, station: Station, stamp: str) -> None:
    """Raise a ValidationError (Chinese) unless the stamp is ours, for this room, at least
    FORM_MIN_SECONDS and at most FORM_MAX_AGE old."""
    try:
        data = signing.loads(stamp or "", salt=FORM_STAMP_SALT, max_age=FORM_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError("页面打开太久已过期，请重新填写后提交。", code="stamp_expired") from None
    except signing.BadSignature:
        raise ValidationError("页面校验失败，请刷新页面后重新填写。", code="stamp_invalid") from None
    if not isinstance(data, dict) or data.get("s") != station.public_code or not isinstance(data.get("t"), int):
        raise ValidationError("页面校验失败，请刷新页面后重新填写。", code="stamp_invalid")
    age = time.time() - data["t"]
    if age > FORM_MAX_AGE:
        raise ValidationError("页面打开太久已过期，请重新填写后提交。", code="stamp_expired")
    if age < FORM_MIN_SECONDS:
        raise ValidationError("提交太快了，请稍等几秒再提交。", code="too_fast")


# --- submitting -------------------------------------------------------------------------------


def _clean_photo(photo) -> str:
    """The sniffed type of the photo, or a ValidationError naming the field."""
    content_type = sniff(photo)
    if content_type not in ("image/jpeg", "image/png"):
        raise ValidationError({"photo": "照片只能是 JPEG 或 PNG 图片（按文件内容识别）。"}, code="file_type")
    limit = max_bytes(IMAGE)
    if photo.size > limit:
        raise ValidationError(
            {"photo": f"照片太大（{photo.size / MB:.1f} MB），不能超过 {limit / MB:g} MB，请压缩后重新上传。"},
            code="file_size",
        )
    return content_type


def _clean_fields(*, content: str, voter_name: str, voter_phone: str) -> tuple[str, str, str]:
    errors = {}
    content = (content or "").strip()
    if len(content) < CONTENT_MIN:
        errors["content"] = f"意见内容太短：请至少写{CONTENT_MIN}个字。"
    elif len(content) > CONTENT_MAX:
        errors["content"] = f"意见内容太长：最多{CONTENT_MAX}个字（现为{len(content)}个字）。"
    voter_name = (voter_name or "").strip()
    if len(voter_name) > NAME_MAX:
        errors["voter_name"] = f"姓名太长：最多{NAME_MAX}个字。"
    voter_phone = re.sub(r"\s", "", unicodedata.normalize("NFKC", voter_phone or ""))
    if voter_phone:
        try:
            validate_mobile(voter_phone)
        except ValidationError as e:
            errors["voter_phone"] = f"联系电话：{e.messages[0]}"
    if errors:
        raise ValidationError(errors)
    return content, voter_name, voter_phone


def public_opinion_submit(
    *, station: Station, content: str, voter_name: str = "", voter_phone: str = "", photo=None, ip: str | None
) -> VoterIssue:
    """Record an opinion left on a room's public page as a VoterIssue (source public, state
    recorded) in the room's township's inbox, with its first event and a fresh tracking code.

    Raises RateLimited when the IP has used up its submissions, ValidationError (a dict by
    field, in Chinese) for content outside 5–1000 characters, an invalid phone, or a photo that
    is not a JPEG/PNG of at most 5 MB. Honeypot and form stamp are the form's to check.
    """
    if not station.active or station.closed_on:
        raise ValidationError("该阵地已撤销，不再收集群众意见。", code="station_closed")
    rate_limit_check(kind=SUBMIT, ip=ip)
    content, voter_name, voter_phone = _clean_fields(content=content, voter_name=voter_name, voter_phone=voter_phone)
    photo_type = _clean_photo(photo) if photo else ""

    issue = None
    for _ in range(TRACKING_ATTEMPTS):
        code = new_tracking_code()
        if VoterIssue.objects.filter(tracking_code=code).exists():
            continue
        try:
            with transaction.atomic():
                issue = _create_issue(station, code, content, voter_name, voter_phone, photo, photo_type)
            break
        except IntegrityError:
            # Another submission took the same code in between: draw again.
            if not VoterIssue.objects.filter(tracking_code=code).exists():
                raise
    if issue is None:
        raise RuntimeError("no free tracking code after several draws")
    rate_limit_hit(kind=SUBMIT, ip=ip)
    return issue


def _create_issue(station, code, content, voter_name, voter_phone, photo, photo_type) -> VoterIssue:
    issue = VoterIssue(
        region_id=station.township_id,
        station=station,
        source=VoterIssue.Source.PUBLIC,
        content=content,
        voter_name=voter_name,
        voter_phone=voter_phone,
        state=VoterIssue.State.RECORDED,
        tracking_code=code,
    )
    if photo:
        # Stored under a name of our own: a phone's file name says nothing we need, and
        # the type comes from the content.
        ending = ".png" if photo_type == "image/png" else ".jpg"
        photo.seek(0)
        issue.photo.save(f"{uuid.uuid4().hex}{ending}", photo, save=False)
        issue.photo_type = photo_type
    issue.save()
    VoterIssueEvent.objects.create(issue=issue, from_state="", to_state=VoterIssue.State.RECORDED, note=SUBMIT_NOTE)
    return issue


# --- looking up -------------------------------------------------------------------------------


def normalize_tracking_code(code: str) -> str:
    """Upper case, without spaces or dashes (also full-width ones typed on a phone)."""
    text = unicodedata.normalize("NFKC", code or "")
    return re.sub(r"[\s\-‐‑‒–—―_]", "", text).upper()


def format_tracking_code(code: str) -> str:
    """ABCDE-FGHJK: easier to read out and copy down than ten characters in a row."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if code else ""


def public_opinion_lookup(*, code: str, ip: str | None) -> PublicReply | None:
    """The voter's view of the public issue with this tracking code (case, spaces and dashes
    ignored), or None. Every lookup counts against the IP's limit (RateLimited)."""
    rate_limit_hit(kind=LOOKUP, ip=ip)
    code = normalize_tracking_code(code)
    if len(code) != TRACKING_LENGTH or any(c not in TRACKING_ALPHABET for c in code):
        return None
    issue = (
        VoterIssue.objects.filter(tracking_code=code, source=VoterIssue.Source.PUBLIC)
        .select_related("station", "region")
        .first()
    )
    if issue is None:
        return None
    reply = issue.on_spot_answer.strip()
    if not reply and issue.state in ANSWERED_STATES:
        reply = issue.answer.strip()
    return PublicReply(
        station_name=issue.station.name if issue.station_id else issue.region.name,
        raised_on=issue.raised_on,
        state_words=VOTER_STATE_WORDS.get(issue.state, "已收到"),
        reply=reply,
    )


def public_opinion_url(*, station: Station, request=None) -> str:
    """The absolute address of the room's public page: PUBLIC_BASE_URL, else the request's host."""
    path = reverse("public:opinion", args=[station.public_code])
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    if base:
        return base.rstrip("/") + path
    if request is None:
        raise ValueError("PUBLIC_BASE_URL is empty and there is no request to take the host from")
    return request.build_absolute_uri(path)
