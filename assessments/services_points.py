"""Writes of duty points 履职积分 (DESIGN.md section 5): the county's point rules, and the
computation that turns a year's records into `PointEntry` rows.

How the computation counts:

- rules are resolved per township: for each event, the rule set on the nearest region above
  the township (its county) that is valid in the year; an event without a rule gives nothing;
- records read: attendance at held sessions (present → session_present, absent without leave →
  session_absent, leave gives nothing); suggestions by `submitted_on` (led and joined; drafts and
  不予立案 give nothing); receptions the deputy was on duty at; supervision items held (not
  planned) the deputy took part in; confirmed activities by kind (pending or rejected ones give
  nothing);
- caps: per deputy and rule, lines in date order count while the counted sum stays within the
  yearly cap (by magnitude, so a negative rule's cap limits the deduction too); a line that would
  pass the cap is kept with `capped=True` and the points it would have had, and totals leave it out;
- each township's entries for the year are deleted and rebuilt in one transaction, so a re-run
  gives the same rows and a township is never half-built. The townships are separate
  transactions: a county-wide one would hide the job's progress from the jobs page (PostgreSQL
  shows other connections only committed rows) and hold the county's rows for the whole run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from congress.models import Attendance, Meeting, Suggestion, SupervisionItem
from org.models import Region, chinese_numeral, user_memberships
from org.roles import COUNTY_KINDS, Role
from stations.models import Activity, Reception

from .models import PointEntry, PointRule

Event = PointRule.Event

# The defaults a county starts from: event → (points, yearly cap or None).
DEFAULT_RULES: dict[str, tuple[Decimal, Decimal | None]] = {
    Event.SESSION_PRESENT: (Decimal(5), None),
    Event.SESSION_ABSENT: (Decimal(-5), None),
    Event.SUGGESTION_LEAD: (Decimal(3), Decimal(15)),
    Event.SUGGESTION_JOINT: (Decimal(1), Decimal(5)),
    Event.RECEPTION_DUTY: (Decimal(2), Decimal(24)),
    Event.SUPERVISION: (Decimal(2), None),
    Event.INSPECTION: (Decimal(2), None),
    Event.RESEARCH: (Decimal(2), None),
    Event.LAW_ENFORCEMENT: (Decimal(2), None),
    Event.WORK_REVIEW: (Decimal(2), None),
    Event.VISIT_VOTERS: (Decimal(1), Decimal(12)),
    Event.TRAINING: (Decimal(1), None),
    Event.REPORT_TO_VOTERS: (Decimal(5), None),
    Event.GROUP: (Decimal(1), None),
    Event.OTHER_ACTIVITY: (Decimal(1), None),
}

ACTIVITY_EVENTS = {
    Activity.Kind.INSPECTION: Event.INSPECTION,
    Activity.Kind.RESEARCH: Event.RESEARCH,
    Activity.Kind.VISIT_VOTERS: Event.VISIT_VOTERS,
    Activity.Kind.TRAINING: Event.TRAINING,
    Activity.Kind.REPORT_TO_VOTERS: Event.REPORT_TO_VOTERS,
    Activity.Kind.GROUP: Event.GROUP,
    Activity.Kind.LAW_ENFORCEMENT: Event.LAW_ENFORCEMENT,
    Activity.Kind.WORK_REVIEW: Event.WORK_REVIEW,
    Activity.Kind.OTHER: Event.OTHER_ACTIVITY,
}
# Supervision by a means that has its own event counts as that event; the rest as 参加监督活动.
SUPERVISION_EVENTS = {
    SupervisionItem.Kind.INSPECTION: Event.INSPECTION,
    SupervisionItem.Kind.RESEARCH: Event.RESEARCH,
    SupervisionItem.Kind.LAW_ENFORCEMENT: Event.LAW_ENFORCEMENT,
    SupervisionItem.Kind.WORK_REVIEW: Event.WORK_REVIEW,
}
YEAR_MIN, YEAR_MAX = 2000, 2100
LABEL_MAX = 200


# --- rules ----------------------------------------------------------------------------------


def _admin_of(user, county: Region) -> bool:
    return any(m.role == Role.COUNTY_ADMIN and county.path.startswith(m.region.path) for m in user_memberships(user))


def _years_text(valid_from: int, valid_to: int | None) -> str:
    return f"{valid_from}—{valid_to}年" if valid_to else f"{valid_from}年起长期有效"


def _overlapping(*, county: Region, event: str, valid_from: int, valid_to: int | None, exclude_pk=None):
    qs = PointRule.objects.filter(region=county, event=event).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def point_rules_preload(*, county: Region, year: int) -> list[PointRule]:
    """Give `county` the default rule of every event from `year` on, where it has none in force
    that year; idempotent (a second call creates nothing). A default added before a rule the
    county already set for a later year ends the year before it, so years never overlap."""
    if county.kind not in COUNTY_KINDS:
        raise ValidationError({"county": "积分规则由县（市、区）制定，请选择县级区划。"})
    created = []
    with transaction.atomic():
        existing = list(PointRule.objects.filter(region=county).values("event", "valid_from", "valid_to"))
        for event, (points, cap) in DEFAULT_RULES.items():
            mine = [r for r in existing if r["event"] == event]
            if any(r["valid_from"] <= year and (r["valid_to"] is None or r["valid_to"] >= year) for r in mine):
                continue
            later = [r["valid_from"] for r in mine if r["valid_from"] > year]
            created.append(
                PointRule.objects.create(
                    region=county,
                    event=event,
                    points=points,
                    yearly_cap=cap,
                    valid_from=year,
                    valid_to=min(later) - 1 if later else None,
                    note="默认规则",
                )
            )
    return created


def point_rule_save(
    *,
    user,
    rule: PointRule | None = None,
    county: Region | None = None,
    event: str,
    points: Decimal,
    yearly_cap: Decimal | None = None,
    valid_from: int,
    valid_to: int | None = None,
    note: str = "",
) -> PointRule:
    """Create a rule for `county` (or change `rule`); county staff of that county only. The
    years must be in order and no two rules of the same event may overlap in a county."""
    county = rule.region if rule is not None else county
    if county is None or county.kind not in COUNTY_KINDS:
        raise ValidationError("积分规则由县（市、区）制定，请在县级区划下设置。")
    if not _admin_of(user, county):
        raise ValidationError("只有县人大代表工委可以设置本县的积分规则。")
    errors = {}
    if event not in Event.values:
        errors["event"] = "请选择积分事项。"
    for name, label, value in (("valid_from", "起始年度", valid_from), ("valid_to", "截止年度", valid_to)):
        if value is not None and not YEAR_MIN <= value <= YEAR_MAX:
            errors[name] = f"{label}应在{YEAR_MIN}至{YEAR_MAX}年之间。"
    if "valid_from" not in errors and valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = f"截止年度（{valid_to}）不能早于起始年度（{valid_from}）。"
    if points is None:
        errors["points"] = "请填写分值。"
    elif points == 0:
        errors["points"] = "分值不能为0；不计分的事项请删除其规则。"
    if yearly_cap is not None and yearly_cap <= 0:
        errors["yearly_cap"] = "年度上限须大于0；不设上限请留空。"
    if not errors:
        clash = (
            _overlapping(
                county=county,
                event=event,
                valid_from=valid_from,
                valid_to=valid_to,
                exclude_pk=rule.pk if rule else None,
            )
            .order_by("valid_from")
            .first()
        )
        if clash is not None:
            errors["valid_from"] = (
                f"{county.name}已有“{clash.get_event_display()}”规则（{_years_text(clash.valid_from, clash.valid_to)}），"
                f"与本规则的年度重叠。同一事项在同一年度只能有一条规则，请先调整原规则的截止年度。"
            )
    if errors:
        raise ValidationError(errors)
    rule = rule or PointRule(region=county)
    rule.event, rule.points, rule.yearly_cap = event, points, yearly_cap
    rule.valid_from, rule.valid_to, rule.note = valid_from, valid_to, note
    rule.save()
    return rule


def point_rule_delete(*, user, rule: PointRule) -> None:
    """Delete a rule (county staff of its county only). Its computed entries go with it; the
    next computation counts the event under whatever rule is then in force."""
    if not _admin_of(user, rule.region):
        raise ValidationError("只有县人大代表工委可以删除本县的积分规则。")
    rule.delete()


# --- computation ----------------------------------------------------------------------------


def _url_pattern(name: str) -> str:
    # One reverse per source kind; the pk is filled in per row.
    return reverse(name, args=[999999999]).replace("999999999", "{}")


def _rules_by_township(townships: list[Region], year: int) -> dict[int, dict[str, PointRule]]:
    """township id → event → the rule in force in `year`, set on the nearest region above."""
    ancestor_ids = {int(p) for t in townships for p in t.path.strip("/").split("/") if p}
    rules = list(
        PointRule.objects.filter(region_id__in=ancestor_ids, valid_from__lte=year)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year))
        .select_related("region")
        .order_by("region__depth", "-valid_from", "pk")
    )
    out = {}
    for township in townships:
        chain = township.path
        chosen: dict[str, PointRule] = {}
        for rule in rules:  # shallow to deep: a deeper region's rule overrides
            if chain.startswith(rule.region.path) and (
                rule.event not in chosen or chosen[rule.event].region.depth < rule.region.depth
            ):
                chosen[rule.event] = rule
        out[township.pk] = chosen
    return out


def _meeting_title(row) -> str:
    return (
        f"{row['meeting__region__name']}第{chinese_numeral(row['meeting__term__number'])}届人民代表大会"
        f"第{chinese_numeral(row['meeting__number'])}次会议"
    )


def _source_rows(township: Region, year: int):
    """(deputy_id, date, event, label, url, key) of every record of the township's deputies in
    `year` that may earn points: one query per kind of record."""
    deputies = Q(deputy__region__path__startswith=township.path)
    rows = []

    meeting_url = _url_pattern("congress:meeting-detail")
    for r in (
        Attendance.objects.filter(
            deputies,
            meeting__kind=Meeting.Kind.SESSION,
            meeting__state=Meeting.State.HELD,
            meeting__date__year=year,
            status__in=[Attendance.Status.PRESENT, Attendance.Status.ABSENT],
        )
        .values(
            "deputy_id",
            "status",
            "meeting_id",
            "meeting__date",
            "meeting__number",
            "meeting__region__name",
            "meeting__term__number",
        )  # fmt: skip
        .iterator(chunk_size=2000)
    ):
        present = r["status"] == Attendance.Status.PRESENT
        rows.append(
            (
                r["deputy_id"],
                r["meeting__date"],
                Event.SESSION_PRESENT if present else Event.SESSION_ABSENT,
                f"{_meeting_title(r)}（{'出席' if present else '无故缺席'}）",
                meeting_url.format(r["meeting_id"]),
                ("m", r["meeting_id"]),
            )
        )

    counted = Q(submitted_on__year=year) & ~Q(state__in=[Suggestion.State.DRAFT, Suggestion.State.NOT_ACCEPTED])
    suggestion_url = _url_pattern("congress:suggestion-detail")
    for r in (
        Suggestion.objects.filter(counted, lead_deputy__region__path__startswith=township.path)
        .values("pk", "lead_deputy_id", "submitted_on", "title")
        .iterator(chunk_size=2000)
    ):
        rows.append(
            (
                r["lead_deputy_id"],
                r["submitted_on"],
                Event.SUGGESTION_LEAD,
                f"领衔提出建议：{r['title']}",
                suggestion_url.format(r["pk"]),
                ("s", r["pk"]),
            )
        )
    joined = Suggestion.co_deputies.through.objects.filter(
        deputies,
        suggestion__in=Suggestion.objects.filter(counted).values("pk"),
    )
    for r in joined.values("deputy_id", "suggestion_id", "suggestion__submitted_on", "suggestion__title").iterator(
        chunk_size=2000
    ):
        rows.append(
            (
                r["deputy_id"],
                r["suggestion__submitted_on"],
                Event.SUGGESTION_JOINT,
                f"附议建议：{r['suggestion__title']}",
                suggestion_url.format(r["suggestion_id"]),
                ("s", r["suggestion_id"]),
            )
        )

    reception_url = _url_pattern("stations:reception-detail")
    for r in (
        Reception.deputies.through.objects.filter(deputies, reception__date__year=year)
        .values("deputy_id", "reception_id", "reception__date", "reception__station__name")
        .iterator(chunk_size=2000)
    ):
        rows.append(
            (
                r["deputy_id"],
                r["reception__date"],
                Event.RECEPTION_DUTY,
                f"{r['reception__station__name']}接待选民",
                reception_url.format(r["reception_id"]),
                ("r", r["reception_id"]),
            )
        )

    supervision_url = _url_pattern("congress:supervision-detail")
    kinds = dict(SupervisionItem.Kind.choices)
    for r in (
        SupervisionItem.participants.through.objects.filter(deputies, supervisionitem__date__year=year)
        .exclude(supervisionitem__state=SupervisionItem.State.PLANNED)
        .values(
            "deputy_id",
            "supervisionitem_id",
            "supervisionitem__date",
            "supervisionitem__kind",
            "supervisionitem__title",
        )  # fmt: skip
        .iterator(chunk_size=2000)
    ):
        kind = r["supervisionitem__kind"]
        rows.append(
            (
                r["deputy_id"],
                r["supervisionitem__date"],
                SUPERVISION_EVENTS.get(kind, Event.SUPERVISION),
                f"{kinds.get(kind, '监督')}：{r['supervisionitem__title']}",
                supervision_url.format(r["supervisionitem_id"]),
                ("v", r["supervisionitem_id"]),
            )
        )

    activity_url = _url_pattern("stations:activity-detail")
    activity_kinds = dict(Activity.Kind.choices)
    for r in (
        Activity.participants.through.objects.filter(
            deputies, activity__status=Activity.Status.CONFIRMED, activity__date__year=year
        )
        .values("deputy_id", "activity_id", "activity__date", "activity__kind", "activity__topic")
        .iterator(chunk_size=2000)
    ):
        kind = r["activity__kind"]
        rows.append(
            (
                r["deputy_id"],
                r["activity__date"],
                ACTIVITY_EVENTS.get(kind, Event.OTHER_ACTIVITY),
                f"{activity_kinds.get(kind, '活动')}：{r['activity__topic']}",
                activity_url.format(r["activity_id"]),
                ("a", r["activity_id"]),
            )
        )
    return rows


def _entries(rows, rules: dict[str, PointRule], year: int, now) -> list[PointEntry]:
    """Lines with points and caps applied per deputy and rule, in date order."""
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[5]))
    running: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    out = []
    for deputy_id, date, event, label, url, _key in rows:
        rule = rules.get(event)
        if rule is None:
            continue
        points = rule.points
        sum_key = (deputy_id, rule.pk)
        after = running[sum_key] + points
        capped = rule.yearly_cap is not None and abs(after) > rule.yearly_cap
        if not capped:
            running[sum_key] = after
        out.append(
            PointEntry(
                deputy_id=deputy_id,
                year=year,
                date=date,
                rule=rule,
                event=event,
                points=points,
                capped=capped,
                source_label=label[:LABEL_MAX],
                source_url=url[:200],
                computed_at=now,
            )
        )
    return out


def points_compute(
    *, region: Region, year: int, user=None, progress: Callable[[int, int, Region], None] | None = None
) -> dict:
    """Rebuild the `year`'s PointEntry rows of every deputy of `region`'s townships from the
    records (see the module docstring for what counts). Returns counts: townships, deputies,
    entries, capped. `progress(done, total, township)` is called after each township.
    `user` is who asked (the nightly run has none); scope is the caller's check (the job re-checks it)."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError({"year": f"年度应在{YEAR_MIN}至{YEAR_MAX}年之间。"})
    townships = list(Region.objects.townships().filter(path__startswith=region.path).order_by("code"))
    rules = _rules_by_township(townships, year)
    now = timezone.now()
    result = {"townships": len(townships), "deputies": 0, "entries": 0, "capped": 0}
    for done, township in enumerate(townships, start=1):
        rows = _source_rows(township, year)
        entries = _entries(rows, rules[township.pk], year, now)
        with transaction.atomic():
            # A plain DELETE: the entries are derived rows with nothing pointing at them, and
            # Model.delete()'s per-row signals (the audit log) would cost a query or two per entry.
            stale = PointEntry.objects.filter(year=year, deputy__region__path__startswith=township.path)
            stale._raw_delete(stale.db)
            PointEntry.objects.bulk_create(entries, batch_size=1000)
        result["entries"] += len(entries)
        result["capped"] += sum(1 for e in entries if e.capped)
        result["deputies"] += len({e.deputy_id for e in entries})
        if progress is not None:
            progress(done, len(townships), township)
    return result
