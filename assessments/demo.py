"""assessments' part of seed_demo: a finished previous year and a running current year.

For the demo county: the default point rules and every deputy's points for both years; the
star rating of every room against 十有 — last year reviewed and published (some rooms
checked on site), this year opened with some self-assessments submitted; the township
assessment — last year computed, hand-scored, replied to by one township, finalised and
published, this year computed as a draft; and a few 宣传报道 per township and year.

Built through the services, as the county admin (the province scale does the demo county
only: the evaluation of 90 counties is the benchmark's job, not the seed's). A county that
already has an assessment is left alone, so a second run creates nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from org.models import Membership, Region, User
from org.roles import Role
from org.seeding import SeedContext, register_seeder
from stations.models import Standard
from stations.services import standards_preload

from .models import Assessment, ChecklistItem, PublicityItem, StarRating, StarRatingItem, StarRule, TownshipResult
from .services_assessment import (
    assessment_compute,
    assessment_create,
    assessment_finalize,
    assessment_open_reply,
    assessment_publish,
    result_reply,
    result_reply_answer,
    score_manual_set,
)
from .services_points import point_rules_preload, points_compute
from .services_stars import star_ratings_open, star_ratings_publish, star_ratings_recompute, star_rule_save

PUBLICITY = (
    ("{t}人大代表之家开展“代表接待日”活动", "县融媒体中心", PublicityItem.Level.COUNTY),
    ("{t}人大：民生实事项目票决制让群众“点菜”", "市日报", PublicityItem.Level.CITY),
    ("{t}代表联络站架起连心桥", "县人大网站", PublicityItem.Level.COUNTY),
    ("{t}人大主席团组织代表视察农村公路建设", "县融媒体中心", PublicityItem.Level.COUNTY),
    ("基层人大履职的{t}实践", "省人大刊物", PublicityItem.Level.PROVINCE),
)
SELF_WEIGHTS = ((StarRatingItem.State.MET, 75), (StarRatingItem.State.PARTLY, 18), (StarRatingItem.State.NOT, 7))
REVIEW_SHARE = {StarRatingItem.State.MET: Decimal("1"), StarRatingItem.State.PARTLY: Decimal("0.6")}


def _admin_of(county: Region) -> User | None:
    m = (
        Membership.objects.filter(role=Role.COUNTY_ADMIN, region=county).select_related("user").first()
        or Membership.objects.filter(role=Role.COUNTY_ADMIN, region__in=county.ancestors())
        .select_related("user")
        .first()
    )
    return m.user if m else None


def _clerk_of(township: Region) -> User | None:
    m = Membership.objects.filter(role=Role.TOWNSHIP_CLERK, region=township).select_related("user").first()
    return m.user if m else None


def _publicity(ctx: SeedContext, county: Region, years, today) -> int:
    rows = []
    for township in ctx.townships_of(county):
        rng = ctx.rng_for("publicity", township.code)
        for year in years:
            for n in range(rng.randint(2, 5)):
                title, media, level = PUBLICITY[(n + rng.randint(0, 4)) % len(PUBLICITY)]
                day = datetime.date(year, 1, 15) + datetime.timedelta(days=rng.randint(0, 330))
                if day >= today:
                    continue
                rows.append(
                    PublicityItem(
                        region=township, date=day, title=title.format(t=township.name), media=media, level=level
                    )
                )
    PublicityItem.objects.bulk_create(rows)
    return len(rows)


def _stars(ctx: SeedContext, county: Region, year: int, admin: User, *, finished: bool, today) -> int:
    standards_preload(county=county, year=year)
    standard = Standard.objects.get(region=county, year=year, name="十有")
    rule = StarRule.objects.filter(region=county, year=year).first() or star_rule_save(
        county=county,
        year=year,
        standard=standard,
        five=95,
        four=85,
        three=75,
        two=65,
        one=55,
        five_needs_onsite=True,
        self_assessment_due=datetime.date(year, 11, 30),
        user=admin,
    )
    star_ratings_open(rule=rule, user=admin)
    ratings = list(StarRating.objects.filter(rule=rule).select_related("station"))
    items = list(StarRatingItem.objects.filter(rating__rule=rule).select_related("item"))
    by_rating: dict[int, list[StarRatingItem]] = {}
    for row in items:
        by_rating.setdefault(row.rating_id, []).append(row)
    submitted, reviewed = [], []
    for rating in ratings:
        rng = ctx.rng_for("stars", rating.station.region_id, rating.station.name, year)
        # Homes are kept better than village rooms.
        bias = 8 if rating.station.kind == "home" else 0
        for row in by_rating.get(rating.pk, []):
            states = [s for s, _ in SELF_WEIGHTS]
            weights = [w + (bias if s == StarRatingItem.State.MET else 0) for s, w in SELF_WEIGHTS]
            row.self_state = rng.choices(states, weights=weights)[0]
            if finished:
                share = REVIEW_SHARE.get(row.self_state, Decimal("0.2"))
                row.review_score = (row.item.points * share).quantize(Decimal("0.1"))
                row.review_comment = "" if row.self_state == StarRatingItem.State.MET else "佐证材料不够完整"
        if finished:
            rating.state = StarRating.State.REVIEWED
            rating.onsite_checked = rating.station.kind == "home" or rng.random() < 0.2
            rating.review_comment = "阵地建设规范，活动经常。"
            rating.reviewed_by = admin
            rating.reviewed_at = timezone.make_aware(datetime.datetime(year + 1, 1, 10, 10))
            reviewed.append(rating)
        elif rng.random() < 0.4:
            rating.state = StarRating.State.SUBMITTED
            rating.submitted_at = timezone.now()
            submitted.append(rating)
    StarRatingItem.objects.bulk_update(items, ["self_state", "review_score", "review_comment"], batch_size=1000)
    StarRating.objects.bulk_update(
        ratings, ["state", "onsite_checked", "review_comment", "reviewed_by", "reviewed_at", "submitted_at"]
    )
    star_ratings_recompute(rule=rule)
    if finished:
        star_ratings_publish(rule=rule, user=admin)
    return len(ratings)


def _assessment(ctx: SeedContext, county: Region, year: int, admin: User, *, finished: bool) -> Assessment:
    assessment = assessment_create(county=county, year=year, user=admin)
    assessment_compute(assessment=assessment, user=admin)
    if not finished:
        return assessment
    rng = ctx.rng_for("assessment", county.code, year)
    manual = ChecklistItem.objects.filter(section__assessment=assessment, method=ChecklistItem.Method.MANUAL)
    for item in manual:
        for township in ctx.townships_of(county):
            share = Decimal(rng.randint(70, 100)) / 100
            score_manual_set(
                item=item,
                township=township,
                points=(item.points * share).quantize(Decimal("0.1")),
                comment="查阅台账资料" if share < 1 else "",
                user=admin,
            )
    assessment_compute(assessment=assessment, user=admin)
    # The reply round ran in January; the services only open a round from today on, so it is
    # run today and then dated back.
    today = timezone.localdate()
    assessment_open_reply(assessment=assessment, deadline=today, user=admin)
    last = TownshipResult.objects.filter(assessment=assessment).order_by("-total").last()
    clerk = _clerk_of(last.township) if last else None
    if last and clerk:
        result_reply(
            result=last, text="我镇第四季度召开的主席团会议材料已补充上传，请予复核。", user=clerk, today=today
        )
        result_reply_answer(result=last, text="已复核，材料属实，该项得分已调整。", user=admin)
        TownshipResult.objects.filter(pk=last.pk).update(
            replied_at=timezone.make_aware(datetime.datetime(year + 1, 1, 15, 9))
        )
    Assessment.objects.filter(pk=assessment.pk).update(
        excellent_cap_percent=30, reply_deadline=datetime.date(year + 1, 1, 20)
    )
    assessment.refresh_from_db()
    assessment_finalize(assessment=assessment, user=admin)
    assessment_publish(assessment=assessment, user=admin)
    return assessment


@register_seeder("assessments", order=50)
def seed_assessments(ctx: SeedContext) -> None:
    today = timezone.localdate()
    county = ctx.county
    if county is None or Assessment.objects.filter(region=county).exists():
        return
    admin = _admin_of(county)
    if admin is None:
        return
    last, this = today.year - 1, today.year
    n_pub = _publicity(ctx, county, (last, this), today)
    for year in (last, this):
        point_rules_preload(county=county, year=year)
    points = [points_compute(region=county, year=year) for year in (last, this)]
    n_stars = _stars(ctx, county, last, admin, finished=True, today=today)
    n_stars += _stars(ctx, county, this, admin, finished=False, today=today)
    _assessment(ctx, county, last, admin, finished=True)
    _assessment(ctx, county, this, admin, finished=False)
    ctx.log(
        f"  年度考评：积分明细 {sum(p['entries'] for p in points)} 条，星级评定 {n_stars} 个，"
        f"{last}年考核已公布、{this}年考核计算中，宣传报道 {n_pub} 篇"
    )
