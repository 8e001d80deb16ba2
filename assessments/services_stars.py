"""Star rating 星级评定 of the rooms (DESIGN.md section 5): the county's rule for a year, the
township's self-assessment with evidence, the county's review, stars from the thresholds,
publication. Every step checks whose it is here; views only call these functions."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.utils import timezone

from org.audit import audit_event
from org.jobs import JobError, register_job
from org.models import AuditEntry, Region, user_memberships
from org.roles import COUNTY_KINDS, Role
from org.uploads import DOCUMENT, IMAGE, validate_upload
from org.xlsx import write_sheet
from stations.models import Standard, Station, StationItemState

from . import selectors_stars
from .models import StarRating, StarRatingItem, StarRule

THRESHOLDS = ("five", "four", "three", "two", "one")
THRESHOLD_LABELS = {"five": "五星", "four": "四星", "three": "三星", "two": "二星", "one": "一星"}
# Self-assessment: share of an item's points each answer is worth.
SELF_FACTORS = {
    StarRatingItem.State.MET: Decimal("1"),
    StarRatingItem.State.PARTLY: Decimal("0.5"),
    StarRatingItem.State.NOT: Decimal("0"),
}
STAR_LABELS = {0: "未评星", 1: "一星", 2: "二星", 3: "三星", 4: "四星", 5: "五星"}


# --- who may do which step ------------------------------------------------------------------


def _covers(user, role: str, region: Region) -> bool:
    return any(m.role == role and region.path.startswith(m.region.path) for m in user_memberships(user))


def _require_county(user, region: Region, what: str):
    if not _covers(user, Role.COUNTY_ADMIN, region):
        raise PermissionDenied(f"只有县人大代表工委可以{what}。")


def _require_clerk(user, station: Station, what: str):
    if not _covers(user, Role.TOWNSHIP_CLERK, station.region):
        raise PermissionDenied(f"只有阵地所在乡镇的人大秘书可以{what}。")


# --- the pure rule ------------------------------------------------------------------------------


def stars_for(score, rule: StarRule, onsite: bool) -> int:
    """Stars for `score` under `rule`: each threshold is inclusive (≥); a score worth five stars
    without the on-site check gets four when the rule asks for the check; below the one-star
    line (or no score) is 0, 未评星."""
    if score is None:
        return 0
    score = Decimal(str(score))
    for stars, name in zip((5, 4, 3, 2, 1), THRESHOLDS, strict=True):
        if score >= Decimal(str(getattr(rule, name))):
            if stars == 5 and rule.five_needs_onsite and not onsite:
                return 4
            return stars
    return 0


def stars_text(stars) -> str:
    """★★★★☆ for 4, 未评星 for 0 or none."""
    if not stars:
        return "未评星"
    return "★" * stars + "☆" * (5 - stars)


# --- the rule -------------------------------------------------------------------------------------


def star_rule_save(
    *,
    county: Region,
    year: int,
    standard: Standard,
    five,
    four,
    three,
    two,
    one,
    five_needs_onsite: bool = True,
    self_assessment_due=None,
    user,
) -> StarRule:
    """Create or change the county's star rule of `year` (standard and thresholds). Only county
    staff; thresholds must strictly decrease from five stars to one. Once ratings exist the
    standard stays; once any is published the thresholds stay too. Reviewed ratings get their
    stars recomputed under the new thresholds."""
    if county.kind not in COUNTY_KINDS:
        raise ValidationError("星级评定规则只能由县（市、区）制定。")
    _require_county(user, county, "制定星级评定规则")
    values = {"five": five, "four": four, "three": three, "two": two, "one": one}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if value is None:
            errors.setdefault(name, []).append(f"请填写{THRESHOLD_LABELS[name]}分数线。")
        elif Decimal(str(value)) < 0:
            errors.setdefault(name, []).append(f"{THRESHOLD_LABELS[name]}分数线不能为负数。")
    if not errors:
        for upper, lower in zip(THRESHOLDS, THRESHOLDS[1:], strict=False):
            if not Decimal(str(values[upper])) > Decimal(str(values[lower])):
                errors.setdefault(lower, []).append(
                    f"{THRESHOLD_LABELS[lower]}分数线（{values[lower]}）必须低于"
                    f"{THRESHOLD_LABELS[upper]}分数线（{values[upper]}）：分数线须从五星到一星依次递减。"
                )
    if standard is None or not county.path.startswith(standard.region.path):
        errors.setdefault("standard", []).append("请选择本县（或上级）制定的建设标准。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule = StarRule.objects.select_for_update().filter(region=county, year=year).first()
        if rule is not None:
            ratings = rule.ratings.all()
            if rule.standard_id != standard.pk and ratings.exists():
                raise ValidationError({"standard": "本年度已开始评定，不能再更换评定标准。"})
            changed = any(Decimal(str(values[n])) != getattr(rule, n) for n in THRESHOLDS) or (
                rule.five_needs_onsite != five_needs_onsite
            )
            if changed and ratings.filter(state=StarRating.State.PUBLISHED).exists():
                raise ValidationError("本年度星级评定结果已公布，分数线不能再修改。")
        else:
            rule = StarRule(region=county, year=year)
        rule.standard = standard
        for name, value in values.items():
            setattr(rule, name, Decimal(str(value)))
        rule.five_needs_onsite = five_needs_onsite
        rule.self_assessment_due = self_assessment_due
        rule.save()
        star_ratings_recompute(rule=rule, states=(StarRating.State.REVIEWED,))
    return rule


def star_ratings_open(*, rule: StarRule, user) -> int:
    """Start the year's rating: a draft for every active room of the county that has none, one
    item per item of the standard, the self-assessment prefilled from the room's checklist
    (StationItemState). Drafts missing an item (added to the standard since) get it. Running it
    again creates nothing new. Returns how many ratings were created."""
    _require_county(user, rule.region, "启动星级评定")
    items = list(rule.standard.items.order_by("order", "pk"))
    if not items:
        raise ValidationError(f"评定标准“{rule.standard}”还没有项目，请先在建设标准中添加项目。")
    with transaction.atomic():
        stations = Station.objects.filter(active=True).in_region(rule.region)
        rated = set(
            StarRating.objects.filter(year=rule.year, station__in=stations).values_list("station_id", flat=True)
        )
        new = [
            StarRating(station_id=pk, year=rule.year, rule=rule)
            for pk in stations.exclude(pk__in=rated).values_list("pk", flat=True)
        ]
        StarRating.objects.bulk_create(new)
        drafts = StarRating.objects.filter(rule=rule, state=StarRating.State.DRAFT)
        have = set(StarRatingItem.objects.filter(rating__in=drafts).values_list("rating_id", "item_id"))
        states = {
            (s.station_id, s.item_id): s
            for s in StationItemState.objects.filter(
                station__in=drafts.values("station_id"), item__in=[i.pk for i in items]
            ).only("station_id", "item_id", "state", "note")
        }
        rows = []
        for rating_id, station_id in drafts.values_list("pk", "station_id"):
            for item in items:
                if (rating_id, item.pk) in have:
                    continue
                state = states.get((station_id, item.pk))
                rows.append(
                    StarRatingItem(
                        rating_id=rating_id,
                        item=item,
                        self_state=state.state if state else "",
                        self_note=state.note if state else "",
                    )
                )
        StarRatingItem.objects.bulk_create(rows, batch_size=1000)
    if new:
        audit_event(AuditEntry.Action.CREATE, instance=rule, note=f"启动星级评定：新建 {len(new)} 个阵地的评定")
    return len(new)


# --- the township's self-assessment -----------------------------------------------------------------


def _require_state(rating: StarRating, *states, what: str):
    if rating.state not in states:
        raise ValidationError(f"“{rating}”当前为“{rating.get_state_display()}”，不能{what}。")


def star_rating_self_assess(*, rating: StarRating, states: dict, user) -> StarRating:
    """Record the township's self-assessment: `states` maps a StandardItem id to (state, note),
    state one of met / partly / not (or "" to leave it open). Township clerk, draft only."""
    _require_clerk(user, rating.station, "填写自评")
    _require_state(rating, StarRating.State.DRAFT, what="修改自评")
    valid = set(StarRatingItem.State.values) | {""}
    rows = {row.item_id: row for row in rating.items.select_related("item")}
    errors = []
    changed = []
    for item_id, (state, note) in states.items():
        row = rows.get(int(item_id))
        if row is None:
            errors.append(f"项目编号 {item_id} 不属于本次评定。")
            continue
        if state not in valid:
            errors.append(f"“{row.item.title}”的自评情况无效：{state}")
            continue
        row.self_state, row.self_note = state, (note or "")[:300]
        changed.append(row)
    if errors:
        raise ValidationError(errors)
    StarRatingItem.objects.bulk_update(changed, ["self_state", "self_note"])
    audit_event(AuditEntry.Action.UPDATE, instance=rating, note=f"填写自评（{len(changed)} 项）")
    return rating


def star_rating_item_evidence_set(*, row: StarRatingItem, file, user) -> StarRatingItem:
    """Attach an evidence file to one item of a draft (checked by content and size through
    org.uploads); a new file replaces the old one. Township clerk only."""
    rating = row.rating
    _require_clerk(user, rating.station, "上传佐证材料")
    _require_state(rating, StarRating.State.DRAFT, what="上传佐证材料")
    try:
        content_type = validate_upload(file, kinds=(IMAGE, DOCUMENT))
    except ValidationError as exc:
        raise ValidationError(f"“{row.item.title}”的佐证材料：{'；'.join(exc.messages)}") from None
    if row.evidence:
        row.evidence.delete(save=False)
    row.evidence = file
    row.evidence_type = content_type
    row.save(update_fields=["evidence", "evidence_type"])
    return row


def self_score_of(rows) -> Decimal:
    return sum((Decimal(r.item.points) * SELF_FACTORS.get(r.self_state, 0) for r in rows), Decimal("0"))


def star_rating_submit(*, rating: StarRating, user) -> StarRating:
    """Send the self-assessment to the county: every item must have a self state; the self
    score is the sum of the items' points × 1 (met), 0.5 (partly) or 0 (not)."""
    _require_clerk(user, rating.station, "提交自评")
    _require_state(rating, StarRating.State.DRAFT, what="提交自评")
    rows = list(rating.items.select_related("item"))
    if not rows:
        raise ValidationError("本次评定没有项目，请联系县人大代表工委重新启动评定。")
    missing = [r.item.title for r in rows if not r.self_state]
    if missing:
        raise ValidationError(f"以下项目尚未自评：{'、'.join(missing)}。")
    rating.self_score = self_score_of(rows)
    rating.state = StarRating.State.SUBMITTED
    rating.submitted_at = timezone.now()
    rating.save(update_fields=["self_score", "state", "submitted_at"])
    return rating


# --- the county's review ------------------------------------------------------------------------


def star_rating_review(
    *, rating: StarRating, scores: dict, comment: str = "", onsite_checked: bool, user
) -> StarRating:
    """The county's review of a submitted self-assessment (or a correction before publication):
    `scores` maps a StandardItem id to (score, comment), each score 0..the item's points; every
    item needs one. review_score is their sum, stars come from the rule (stars_for)."""
    _require_county(user, rating.station.region, "审核星级评定")
    _require_state(rating, StarRating.State.SUBMITTED, StarRating.State.REVIEWED, what="审核")
    rows = list(rating.items.select_related("item"))
    errors = []
    for row in rows:
        score, item_comment = scores.get(row.item_id, scores.get(str(row.item_id), (None, "")))
        if score is None or score == "":
            errors.append(f"请填写“{row.item.title}”的审核得分。")
            continue
        try:
            value = Decimal(str(score))
        except ArithmeticError:
            errors.append(f"“{row.item.title}”的审核得分不是数字：{score}")
            continue
        if not (0 <= value <= row.item.points):
            errors.append(f"“{row.item.title}”的审核得分须在 0 到 {row.item.points} 分之间（填写的是 {score}）。")
            continue
        row.review_score, row.review_comment = value, (item_comment or "")[:300]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        StarRatingItem.objects.bulk_update(rows, ["review_score", "review_comment"])
        rating.review_score = sum((r.review_score for r in rows), Decimal("0"))
        rating.onsite_checked = bool(onsite_checked)
        rating.stars = stars_for(rating.review_score, rating.rule, rating.onsite_checked)
        rating.review_comment = comment or ""
        rating.state = StarRating.State.REVIEWED
        rating.reviewed_by = user
        rating.reviewed_at = timezone.now()
        rating.save()
    return rating


def star_rating_return(*, rating: StarRating, comment: str, user) -> StarRating:
    """Send a submitted self-assessment back to the township (退回修改), with the reason."""
    _require_county(user, rating.station.region, "退回自评")
    _require_state(rating, StarRating.State.SUBMITTED, what="退回")
    if not (comment or "").strip():
        raise ValidationError({"comment": "退回时请填写退回理由。"})
    rating.state = StarRating.State.DRAFT
    rating.review_comment = comment.strip()
    rating.save(update_fields=["state", "review_comment"])
    return rating


def star_ratings_publish(*, rule: StarRule, user, force: bool = False) -> int:
    """Publish the county-year's reviewed ratings all at once. Refused while any rating is not
    yet reviewed, unless `force` (then only the reviewed ones are published). Returns how many."""
    _require_county(user, rule.region, "公布星级评定结果")
    ratings = rule.ratings.all()
    pending = ratings.filter(state__in=(StarRating.State.DRAFT, StarRating.State.SUBMITTED))
    if not force:
        names = list(pending.order_by("station__region__code", "station__name").values_list("station__name", flat=True))
        if names:
            shown = "、".join(names[:10]) + (f"等 {len(names)} 个" if len(names) > 10 else "")
            raise ValidationError(f"尚有阵地未完成审核：{shown}。请审核完毕后公布，或勾选“仅公布已审核的”。")
    now = timezone.now()
    count = ratings.filter(state=StarRating.State.REVIEWED).update(state=StarRating.State.PUBLISHED, published_at=now)
    if count:
        audit_event(AuditEntry.Action.UPDATE, instance=rule, note=f"公布星级评定结果：{count} 个阵地")
    return count


# --- recomputing, set-based -----------------------------------------------------------------------


def _self_points():
    points = F("items__item__points")
    return Sum(
        Case(
            When(items__self_state=StarRatingItem.State.MET, then=points * Value(Decimal("1.0"))),
            When(items__self_state=StarRatingItem.State.PARTLY, then=points * Value(Decimal("0.5"))),
            default=Value(Decimal("0")),
            output_field=DecimalField(max_digits=7, decimal_places=1),
        )
    )


def star_ratings_recompute(*, rule: StarRule, states=None) -> int:
    """Recompute self score, review score and stars of the rule's ratings from their items, in
    one aggregate query; only rows whose values change are written, so a second run writes
    nothing. `states` limits which ratings (default: everything past the draft)."""
    states = states or (StarRating.State.SUBMITTED, StarRating.State.REVIEWED, StarRating.State.PUBLISHED)
    rows = (
        StarRating.objects.filter(rule=rule, state__in=states)
        .annotate(
            calc_self=_self_points(),
            calc_review=Sum("items__review_score"),
        )
        .only("pk", "self_score", "review_score", "stars", "onsite_checked", "state")
    )
    reviewed = (StarRating.State.REVIEWED, StarRating.State.PUBLISHED)
    changed = []
    for r in rows:
        new_self = Decimal(r.calc_self or 0).quantize(Decimal("0.1"))
        new_review, new_stars = r.review_score, r.stars
        if r.state in reviewed:
            new_review = Decimal(r.calc_review or 0).quantize(Decimal("0.1"))
            new_stars = stars_for(new_review, rule, r.onsite_checked)
        if (new_self, new_review, new_stars) != (r.self_score, r.review_score, r.stars):
            r.self_score, r.review_score, r.stars = new_self, new_review, new_stars
            changed.append(r)
    StarRating.objects.bulk_update(changed, ["self_score", "review_score", "stars"], batch_size=500)
    return len(changed)


def star_ratings_xlsx_write(*, path, ratings, title: str = "星级评定") -> int:
    """Write `ratings` (already scoped) as one sheet, one row per rating, streamed."""
    count = 0

    def rows():
        nonlocal count
        for row in selectors_stars.export_rows(ratings):
            count += 1
            yield row

    write_sheet(
        path, title=title, header=selectors_stars.EXPORT_HEADER, rows=rows(), widths=selectors_stars.EXPORT_WIDTHS
    )
    return count


@register_job("star_ratings_compute", "星级评定计算与汇总（Excel）", roles=(Role.COUNTY_ADMIN,))
def star_ratings_compute(ctx) -> str:
    """Recompute the scores and stars of a county-year (params: year) and write its list."""
    year = ctx.params.get("year")
    rule = StarRule.objects.filter(region=ctx.region, year=year).first()
    if rule is None:
        raise JobError(f"{ctx.region.name}还没有 {year} 年度的星级评定规则。")
    ctx.progress(10, "正在计算得分和星级", force=True)
    changed = star_ratings_recompute(rule=rule)
    ctx.progress(60, "正在生成评定结果表", force=True)
    ratings = StarRating.objects.filter(rule=rule).in_region(ctx.region)
    star_ratings_xlsx_write(path=ctx.output_path, ratings=ratings, title=f"{year}年度星级评定")
    ctx.job.message = f"已重新计算，{changed} 个阵地的得分或星级有变化。"
    return f"星级评定-{ctx.region.name}-{year}.xlsx"
