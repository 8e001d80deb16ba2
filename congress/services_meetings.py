"""Writes of the meetings part: sessions (人民代表大会会议, 第X届第Y次) and presidium meetings
(主席团会议), their attendance roll, agenda, votes, election results and documents.

The statutory rules (congress.rules) are enforced here, not in views:
- the roll lists the deputies serving on the meeting's date (a presidium meeting's, the
  presidium members serving then), and keeps that count on the meeting as 应到;
- a session may be marked held only with at least two thirds of them present, and once
  held its roll may not be changed below that;
- a resolution or an election passes with more than half of ALL serving deputies.

Only a clerk of the meeting's township writes. Create, update and delete are written to
the audit log by org/audit.py's signals.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from deputies.models import Deputy
from org.audit import audit_event
from org.models import AuditEntry, Region, chinese_numeral, user_memberships
from org.roles import Role
from org.uploads import DOCUMENT, IMAGE, validate_upload

from . import rules
from . import selectors_meetings as selectors
from .models import AgendaItem, Attendance, DeputyVote, ElectionCandidate, Meeting, MeetingDocument

PRESENT = Attendance.Status.PRESENT
HELD = Meeting.State.HELD
# What meeting_update may change; region, kind, state and the roll's count are the services' own.
MEETING_FIELDS = ("number", "date", "end_date", "place", "note", "minutes")
AGENDA_FIELDS = ("order", "kind", "title", "needs_vote", "resolution")


def is_township_clerk(user, region: Region) -> bool:
    """Whether `user` is a clerk of `region`'s township (no query: memberships are cached)."""
    return any(m.role == Role.TOWNSHIP_CLERK and region.path.startswith(m.region.path) for m in user_memberships(user))


def _require_clerk(user, region: Region) -> None:
    if not is_township_clerk(user, region):
        raise PermissionDenied(f"只有{region.name}的乡镇人大秘书可以登记、修改本乡镇的会议。")


def _lock(meeting: Meeting) -> Meeting:
    """The stored meeting, locked: its state may have changed since the caller loaded it."""
    row = Meeting.objects.select_for_update(of=("self",)).select_related("region", "term").get(pk=meeting.pk)
    meeting.state, meeting.serving_count = row.state, row.serving_count
    return row


def _d(day: datetime.date) -> str:
    return f"{day:%Y-%m-%d}"


def _next_number(region: Region, term, kind: str, exclude_pk=None) -> int:
    qs = Meeting.objects.filter(region=region, term=term, kind=kind)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return (qs.aggregate(n=Max("number"))["n"] or 0) + 1


def _check_meeting(meeting: Meeting) -> None:
    """Dates, term and number of a meeting; one ValidationError naming each field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(meeting.date, datetime.date):
        errors["date"] = ["请填写会议开始日期。"]
    elif meeting.end_date and meeting.end_date < meeting.date:
        errors["end_date"] = ["结束日期不能早于开始日期。"]
    if meeting.number is not None and meeting.number < 1:
        errors["number"] = ["会议次数应从 1 开始。"]
    elif meeting.number and meeting.term_id:
        taken = Meeting.objects.filter(
            region=meeting.region, term=meeting.term, kind=meeting.kind, number=meeting.number
        ).exclude(pk=meeting.pk)
        if taken.exists():
            errors["number"] = [
                f"{meeting.region.name}{meeting.term}已有第{chinese_numeral(meeting.number)}次"
                f"{meeting.get_kind_display()}，请改用其他次数（留空则自动编号）。"
            ]
    if errors:
        raise ValidationError(errors)


def _term_for(region: Region, day: datetime.date):
    term = selectors.term_covering(region, day)
    if term is None:
        raise ValidationError(
            {"date": f"{_d(day)}不在{region.name}人民代表大会任何一届的任期内，请核对会议日期或先设置届次。"}
        )
    return term


@transaction.atomic
def meeting_create(
    *,
    region: Region,
    kind: str,
    date: datetime.date,
    place: str = "",
    end_date: datetime.date | None = None,
    number: int | None = None,
    note: str = "",
    user,
) -> Meeting:
    """Register a meeting of `region`'s congress: a session 人民代表大会会议 or a presidium
    meeting 主席团会议. Its term is the township term covering `date`; `number` (第几次)
    defaults to the next one of that term and kind. Planned until marked held."""
    _require_clerk(user, region)
    if not region.is_township:
        raise ValidationError({"region": "会议只能登记在乡镇（街道）。"})
    if kind not in Meeting.Kind.values:
        raise ValidationError({"kind": "请选择会议类型：人民代表大会会议或主席团会议。"})
    if not isinstance(date, datetime.date):
        raise ValidationError({"date": "请填写会议开始日期。"})
    term = _term_for(region, date)
    meeting = Meeting(
        region=region,
        term=term,
        kind=kind,
        number=number or _next_number(region, term, kind),
        date=date,
        end_date=end_date,
        place=(place or "").strip(),
        note=(note or "").strip(),
        created_by=user,
    )
    _check_meeting(meeting)
    meeting.full_clean(exclude=["created_by", "region", "term"], validate_constraints=False)
    meeting.save()
    return meeting


@transaction.atomic
def meeting_update(*, meeting: Meeting, user, **fields) -> Meeting:
    """Change a meeting's number, dates, place, note or minutes. A new date picks the term
    covering it and rebuilds a roll already made (the serving deputies may differ); the
    date of a meeting already marked held stays, as its roll is the record of that day."""
    _require_clerk(user, meeting.region)
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"not an editable field of Meeting: {', '.join(sorted(unknown))}")
    # Start from the stored row: a ModelForm (or a refused call) may have changed `meeting`.
    stored = _lock(meeting)
    date_changed = isinstance(fields.get("date"), datetime.date) and fields["date"] != stored.date
    if date_changed and stored.state == HELD:
        raise ValidationError({"date": "会议已标记为已召开，出席名单按当日在任代表确定，不能再修改开始日期。"})
    for name in MEETING_FIELDS:
        value = fields[name] if name in fields else getattr(stored, name)
        setattr(meeting, name, value.strip() if isinstance(value, str) else value)
    meeting.term = stored.term
    if date_changed:
        term = _term_for(meeting.region, meeting.date)
        if term.pk != meeting.term_id:
            meeting.term = term
            if not fields.get("number"):
                meeting.number = _next_number(meeting.region, term, meeting.kind, exclude_pk=meeting.pk)
    if not meeting.number:
        meeting.number = _next_number(meeting.region, meeting.term, meeting.kind, exclude_pk=meeting.pk)
    _check_meeting(meeting)
    meeting.full_clean(exclude=["created_by", "region", "term"], validate_constraints=False)
    meeting.save()
    if date_changed and meeting.roll.exists():
        meeting_roll_build(meeting=meeting, user=user)
    return meeting


@transaction.atomic
def meeting_roll_build(*, meeting: Meeting, user) -> Meeting:
    """Build (or bring up to date) the attendance roll: a row for every deputy serving on
    the meeting's date (for a presidium meeting, every presidium member serving then),
    present unless a status was already set; rows of deputies not serving that day are
    removed. The number of them is kept on the meeting as 应到人数."""
    _require_clerk(user, meeting.region)
    _lock(meeting)
    if meeting.state == HELD:
        raise ValidationError("会议已标记为已召开，出席名单是当日的记录，不能再重新生成。")
    wanted = list(selectors.roll_deputies(meeting).values_list("pk", flat=True))
    have = set(meeting.roll.values_list("deputy_id", flat=True))
    meeting.roll.exclude(deputy_id__in=wanted).delete()
    added = [Attendance(meeting=meeting, deputy_id=pk, status=PRESENT) for pk in wanted if pk not in have]
    Attendance.objects.bulk_create(added)
    if added:
        # bulk_create sends no signals: one line in the audit log for the rows it made.
        audit_event(
            AuditEntry.Action.CREATE, instance=meeting, note=f"生成出席名单：新增{len(added)}名代表（默认出席）"
        )
    # Votes of deputies no longer on the roll would count someone who was not there.
    DeputyVote.objects.filter(item__meeting=meeting).exclude(deputy_id__in=wanted).delete()
    meeting.serving_count = len(wanted)
    meeting.save(update_fields=["serving_count"])
    return meeting


def _quorum_message(*, present: int, serving: int) -> str:
    return (
        f"出席代表{present}人，未达到应到代表{serving}人的三分之二（至少{rules.quorum_needed(serving)}人），"
        "不能标记为已召开"
    )


@transaction.atomic
def attendance_set(*, meeting: Meeting, statuses: dict, notes: dict | None = None, user) -> Meeting:
    """Set the roll's statuses — {deputy id: present | leave | absent} — and the reasons
    for leave ({deputy id: text}). Only deputies on the roll; a held session's roll may
    not drop below its quorum."""
    _require_clerk(user, meeting.region)
    _lock(meeting)
    notes = notes or {}
    rows = {a.deputy_id: a for a in meeting.roll.select_related("deputy")}
    if not rows:
        raise ValidationError("还没有出席名单，请先按会议日期生成出席名单。")
    valid = set(Attendance.Status.values)
    limit = Attendance._meta.get_field("note").max_length
    errors = []
    changed = []
    for raw_id, status in statuses.items():
        row = rows.get(int(raw_id))
        if row is None:
            errors.append(f"代表（编号{raw_id}）不在本次会议的出席名单上。")
            continue
        if status not in valid:
            errors.append(f"{row.deputy.name}：无效的出席情况“{status}”。")
            continue
        note = (notes.get(raw_id, notes.get(int(raw_id), row.note)) or "").strip()
        if status == PRESENT:
            note = ""
        if len(note) > limit:
            errors.append(f"{row.deputy.name}：请假事由不能超过 {limit} 个字。")
            continue
        if (row.status, row.note) != (status, note):
            row.status, row.note = status, note
            changed.append(row)
    if errors:
        raise ValidationError(errors)
    if meeting.state == HELD and meeting.kind == Meeting.Kind.SESSION:
        present = sum(1 for r in rows.values() if r.status == PRESENT)
        if not rules.quorum_met(present=present, serving=meeting.serving_count):
            raise ValidationError(
                f"会议已标记为已召开：按此修改出席代表只有{present}人，"
                f"未达到应到代表{meeting.serving_count}人的三分之二（至少{rules.quorum_needed(meeting.serving_count)}人）。"
            )
    # One save per changed row, so each change is in the audit log.
    for row in changed:
        row.save(update_fields=["status", "note"])
    if changed:
        present_ids = {pk for pk, r in rows.items() if r.status == PRESENT}
        stale = DeputyVote.objects.filter(item__meeting=meeting).exclude(deputy_id__in=present_ids)
        if stale.exists():
            items = list(AgendaItem.objects.filter(votes__in=stale).distinct())
            stale.delete()
            for item in items:
                _tally(item, meeting)
    return meeting


@transaction.atomic
def meeting_roll_save(*, meeting: Meeting, statuses: dict, notes: dict | None = None, user) -> Meeting:
    """The roll form in one step: bring the roll up to the deputies serving on the date
    (unless the meeting is held: its roll is then the record) and set the statuses; all or
    nothing."""
    if meeting.state != HELD:
        meeting_roll_build(meeting=meeting, user=user)
    return attendance_set(meeting=meeting, statuses=statuses, notes=notes, user=user)


@transaction.atomic
def meeting_mark_held(*, meeting: Meeting, user) -> Meeting:
    """Mark a meeting held (已召开). A session needs its roll to be the deputies serving on
    its date and at least two thirds of them present (三分之二以上, inclusive); a presidium
    meeting needs no quorum but keeps its roll too."""
    _require_clerk(user, meeting.region)
    _lock(meeting)
    if meeting.state == HELD:
        raise ValidationError("会议已经标记为已召开。")
    if meeting.state == Meeting.State.CANCELLED:
        raise ValidationError("会议已取消，不能标记为已召开。")
    today = timezone.localdate()
    if meeting.date > today:
        raise ValidationError(f"会议日期（{_d(meeting.date)}）晚于今天，会议召开后才能标记为已召开。")
    on_roll = set(meeting.roll.values_list("deputy_id", flat=True))
    if not on_roll:
        raise ValidationError("还没有出席名单，请先按会议日期生成出席名单并登记出席情况。")
    wanted = set(selectors.roll_deputies(meeting).values_list("pk", flat=True))
    if wanted != on_roll or meeting.serving_count != len(wanted):
        raise ValidationError(
            f"出席名单与{_d(meeting.date)}在任代表不一致（应增加{len(wanted - on_roll)}人、"
            f"移除{len(on_roll - wanted)}人），请先在“出席登记”中重新生成出席名单。"
        )
    if meeting.kind == Meeting.Kind.SESSION:
        present = meeting.roll.filter(status=PRESENT).count()
        if not rules.quorum_met(present=present, serving=meeting.serving_count):
            raise ValidationError(_quorum_message(present=present, serving=meeting.serving_count))
    meeting.state = HELD
    meeting.save(update_fields=["state"])
    return meeting


# --- agenda -----------------------------------------------------------------------------------


def _check_agenda_fields(fields: dict) -> None:
    unknown = set(fields) - set(AGENDA_FIELDS)
    if unknown:
        raise TypeError(f"not an editable field of AgendaItem: {', '.join(sorted(unknown))}")


def _clean_item(item: AgendaItem) -> None:
    errors = {}
    if not (item.title or "").strip():
        errors["title"] = "请填写议程名称。"
    if item.kind not in AgendaItem.Kind.values:
        errors["kind"] = "请选择议程类型。"
    if item.kind == AgendaItem.Kind.ELECTION and not item.needs_vote:
        # An election is always decided by the deputies' votes.
        item.needs_vote = True
    if item.meeting.kind == Meeting.Kind.PRESIDIUM and item.kind in (
        AgendaItem.Kind.ELECTION,
        AgendaItem.Kind.OATH,
        AgendaItem.Kind.LIVELIHOOD_VOTE,
    ):
        errors["kind"] = f"“{item.get_kind_display()}”只能列入人民代表大会会议的议程，不能列入主席团会议。"
    if errors:
        raise ValidationError(errors)
    item.title = item.title.strip()
    item.full_clean(exclude=["meeting"])


@transaction.atomic
def agenda_item_add(
    *,
    meeting: Meeting,
    title: str,
    kind: str = AgendaItem.Kind.OTHER,
    needs_vote: bool = False,
    order: int | None = None,
    resolution: str = "",
    user,
) -> AgendaItem:
    """Add an item to a meeting's agenda (at the end unless `order` is given)."""
    _require_clerk(user, meeting.region)
    if order is None:
        order = (meeting.agenda.aggregate(n=Max("order"))["n"] or 0) + 1
    item = AgendaItem(
        meeting=meeting, title=title or "", kind=kind, needs_vote=needs_vote, order=order, resolution=resolution
    )
    _clean_item(item)
    item.save()
    return item


@transaction.atomic
def agenda_item_update(*, item: AgendaItem, user, **fields) -> AgendaItem:
    """Change an agenda item. An item that no longer needs a vote loses its result."""
    _require_clerk(user, item.meeting.region)
    _check_agenda_fields(fields)
    for name, value in fields.items():
        setattr(item, name, value)
    _clean_item(item)
    if not item.needs_vote:
        item.yes = item.no = item.abstain = 0
        item.result = AgendaItem.Result.NONE
        item.votes.all().delete()
    item.save()
    if item.kind != AgendaItem.Kind.ELECTION:
        item.candidates.all().delete()
    return item


@transaction.atomic
def agenda_item_delete(*, item: AgendaItem, user) -> None:
    """Remove an item from the agenda with its votes and candidates."""
    _require_clerk(user, item.meeting.region)
    item.delete()


def _votable(item: AgendaItem) -> Meeting:
    meeting = item.meeting
    if not item.needs_vote:
        raise ValidationError(f"议程“{item.title}”不需要表决，请先在议程中勾选“需要表决”。")
    if meeting.state == Meeting.State.CANCELLED:
        raise ValidationError("会议已取消，不能登记表决结果。")
    if meeting.serving_count <= 0 or not meeting.roll.exists():
        raise ValidationError("还没有出席名单：表决结果按全体在任代表过半数计算，请先生成出席名单。")
    return meeting


def _result(yes: int, serving: int) -> str:
    return AgendaItem.Result.PASSED if rules.passes(yes=yes, serving=serving) else AgendaItem.Result.FAILED


@transaction.atomic
def agenda_vote_record(*, item: AgendaItem, yes: int, no: int, abstain: int, user) -> AgendaItem:
    """Record the tellers' counts of a vote (赞成/反对/弃权). Their sum may not exceed the
    deputies present; the item passes with more than half of ALL serving deputies (过半数).
    Per-deputy votes recorded before are replaced by the counts."""
    _require_clerk(user, item.meeting.region)
    meeting = _votable(item)
    errors = {}
    values = {"yes": yes, "no": no, "abstain": abstain}
    labels = {"yes": "赞成", "no": "反对", "abstain": "弃权"}
    for name, value in values.items():
        if not isinstance(value, int) or value < 0:
            errors[name] = f"{labels[name]}票数应为不小于 0 的整数。"
    if errors:
        raise ValidationError(errors)
    present = meeting.roll.filter(status=PRESENT).count()
    total = yes + no + abstain
    if total > present:
        raise ValidationError(f"赞成{yes}、反对{no}、弃权{abstain}，合计{total}票，超过了出席代表人数（{present}人）。")
    item.votes.all().delete()
    item.yes, item.no, item.abstain = yes, no, abstain
    item.result = _result(yes, meeting.serving_count)
    item.save(update_fields=["yes", "no", "abstain", "result"])
    return item


def _tally(item: AgendaItem, meeting: Meeting) -> None:
    choices = list(item.votes.values_list("choice", flat=True))
    item.yes = choices.count(DeputyVote.Choice.YES)
    item.no = choices.count(DeputyVote.Choice.NO)
    item.abstain = choices.count(DeputyVote.Choice.ABSTAIN)
    item.result = _result(item.yes, meeting.serving_count)
    item.save(update_fields=["yes", "no", "abstain", "result"])


@transaction.atomic
def agenda_vote_record_per_deputy(*, item: AgendaItem, choices: dict, user) -> AgendaItem:
    """Record each deputy's vote — {deputy id: yes | no | abstain}; a deputy left out did
    not vote. Only deputies present may vote. The counts and the result (more than half of
    ALL serving deputies) follow from the votes."""
    _require_clerk(user, item.meeting.region)
    meeting = _votable(item)
    present = {a.deputy_id: a.deputy.name for a in meeting.roll.filter(status=PRESENT).select_related("deputy")}
    valid = set(DeputyVote.Choice.values)
    cleaned: dict[int, str] = {}
    errors = []
    names = dict(Deputy.objects.filter(pk__in=[int(k) for k in choices]).values_list("pk", "name"))
    for raw_id, choice in choices.items():
        pk = int(raw_id)
        if not choice:
            continue
        if pk not in present:
            errors.append(f"{names.get(pk, f'代表（编号{pk}）')}没有出席本次会议，不能参加表决。")
        elif choice not in valid:
            errors.append(f"{present[pk]}：无效的表决意见“{choice}”。")
        else:
            cleaned[pk] = choice
    if errors:
        raise ValidationError(errors)
    item.votes.all().delete()
    DeputyVote.objects.bulk_create([DeputyVote(item=item, deputy_id=pk, choice=c) for pk, c in cleaned.items()])
    _tally(item, meeting)
    audit_event(AuditEntry.Action.UPDATE, instance=item, note=f"逐人登记表决：{len(cleaned)}名代表投票")
    return item


@transaction.atomic
def election_candidates_set(*, item: AgendaItem, candidates: list[dict], user) -> list[ElectionCandidate]:
    """Replace an election item's candidates — [{name, position, votes, deputy_id}] — and
    their results: a candidate is elected with more than half of ALL serving deputies'
    votes (过半数). A candidate's votes may not exceed the deputies present."""
    _require_clerk(user, item.meeting.region)
    if item.kind != AgendaItem.Kind.ELECTION:
        raise ValidationError(f"议程“{item.title}”不是选举议程，不能登记候选人。")
    meeting = _votable(item)
    present = meeting.roll.filter(status=PRESENT).count()
    deputy_ids = {int(c["deputy_id"]) for c in candidates if c.get("deputy_id")}
    deputies = {d.pk: d for d in Deputy.objects.filter(pk__in=deputy_ids, region=meeting.region).only("pk", "name")}
    rows, errors = [], []
    name_limit = ElectionCandidate._meta.get_field("name").max_length
    position_limit = ElectionCandidate._meta.get_field("position").max_length
    for i, raw in enumerate(candidates, start=1):
        name = (raw.get("name") or "").strip()
        position = (raw.get("position") or "").strip()
        deputy_id = int(raw["deputy_id"]) if raw.get("deputy_id") else None
        votes = raw.get("votes") or 0
        label = f"第{i}行"
        if deputy_id and deputy_id not in deputies:
            errors.append(f"{label}：所选代表不是{meeting.region.name}的代表。")
            continue
        if not name and deputy_id:
            name = deputies[deputy_id].name
        if not name:
            errors.append(f"{label}：请填写候选人姓名。")
        elif len(name) > name_limit:
            errors.append(f"{label}：候选人姓名不能超过 {name_limit} 个字。")
        if not position:
            errors.append(f"{label}（{name or '未填姓名'}）：请填写拟任职务。")
        elif len(position) > position_limit:
            errors.append(f"{label}（{name}）：拟任职务不能超过 {position_limit} 个字。")
        if not isinstance(votes, int) or votes < 0:
            errors.append(f"{label}（{name}）：得票数应为不小于 0 的整数。")
            continue
        if votes > present:
            errors.append(f"{label}（{name}）：得票数{votes}超过了出席代表人数（{present}人）。")
        rows.append(
            ElectionCandidate(
                item=item,
                name=name,
                position=position,
                votes=votes,
                deputy_id=deputy_id,
                elected=rules.passes(yes=votes, serving=meeting.serving_count),
            )
        )
    if errors:
        raise ValidationError(errors)
    item.candidates.all().delete()
    created = ElectionCandidate.objects.bulk_create(rows)
    summary = "；".join(f"{c.position} {c.name} {c.votes}票{'当选' if c.elected else ''}" for c in created)
    audit_event(AuditEntry.Action.UPDATE, instance=item, note=f"登记选举结果：{summary or '无候选人'}"[:500])
    return created


# --- documents --------------------------------------------------------------------------------


def meeting_document_add(*, meeting: Meeting, upload, title: str = "", user) -> MeetingDocument:
    """Attach a document to a meeting (reports, resolutions, photos of the signed sheets
    and ballots): JPEG/PNG pictures or PDF/Word/Excel, type read from the content and size
    capped (org/uploads.py)."""
    _require_clerk(user, meeting.region)
    if not upload:
        raise ValidationError({"file": "请选择要上传的文件。"})
    try:
        content_type = validate_upload(upload, kinds=(IMAGE, DOCUMENT))
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    title = (title or "").strip() or name.rsplit(".", 1)[0] or "未命名"
    limit = MeetingDocument._meta.get_field("title").max_length
    return MeetingDocument.objects.create(
        meeting=meeting, title=title[:limit], file=upload, content_type=content_type, uploaded_by=user
    )
