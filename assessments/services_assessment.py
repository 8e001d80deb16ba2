"""Writes of the township assessment 目标考核: the checklist, the computed and hand scores,
the township's right of reply, grades, ranking and publication.

Workflow (DESIGN.md section 5): draft (评分中: computed items filled from records, manual
items scored by the county) → reply (乡镇反馈中: each township reads its draft scores and may
reply until the deadline; the county answers) → final (已定稿: grades by the thresholds, the
优秀 share capped, ranks) → published (已公布).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from org.audit import audit_event
from org.models import AuditEntry, Region, user_memberships
from org.roles import Role
from org.scoping import CHANGE, can

from . import metrics
from .models import Assessment, ChecklistItem, ChecklistSection, Score, TownshipResult

State = Assessment.State
Grade = TownshipResult.Grade
M = ChecklistItem.Metric
COMPUTED = ChecklistItem.Method.COMPUTED
MANUAL = ChecklistItem.Method.MANUAL

# The default checklist 责任清单 (sections with their items), totalling 100 points.
DEFAULT_CHECKLIST = [
    (
        "依法履职",
        [
            (
                "依法召开乡镇人民代表大会会议",
                10,
                M.SESSIONS_HELD,
                {"min": 2},
                "全年依法召开人代会不少于2次，每少1次按比例扣分",
            ),
            ("每季度召开主席团会议", 8, M.PRESIDIUM_QUARTERS, {}, "每季度至少召开1次主席团会议，缺1个季度扣2分"),
            ("代表建议按期办复", 12, M.SUGGESTIONS_ON_TIME, {}, "按办复率计分"),
        ],
    ),
    (
        "代表工作",
        [
            ("组织代表学习培训", 6, M.TRAININGS, {"min": 2}, "全年组织代表学习培训不少于2次"),
            ("代表平均履职积分", 10, M.POINTS_AVERAGE, {"target": 50}, "代表平均履职积分达到50分得满分"),
            ("选民反映问题办理反馈", 8, M.ISSUES_FED_BACK, {}, "按转办问题反馈率计分"),
            ("代表小组活动开展情况", 6, "", {}, "县人大代表工委根据台账评分"),
        ],
    ),
    (
        "阵地建设",
        [
            ("阵地接待选民", 10, M.RECEPTIONS_PER_ROOM, {"min": 12}, "每个阵地全年接待选民不少于12次"),
            ("阵地星级评定", 10, M.STAR_RATINGS, {}, "按阵地平均星级计分"),
            ("阵地制度建设和台账管理", 5, "", {}, "县人大代表工委实地查看评分"),
        ],
    ),
    (
        "宣传和自身建设",
        [
            ("宣传报道", 8, M.PUBLICITY, {"target": 10}, "中央级4分、省级3分、市级2分、县级1分，累计10分得满分"),
            ("人大工作制度建设", 7, "", {}, "县人大代表工委根据制度文件评分"),
        ],
    ),
]


# --- permissions ---------------------------------------------------------------------------


def _require_county(user, assessment: Assessment) -> None:
    """None is the system (a job or beat run); a person must be the county's staff."""
    if user is None:
        return
    if not can(user, CHANGE, assessment):
        raise PermissionDenied("只有县人大代表工委可以进行此操作。")


def _require_state(assessment: Assessment, *states: str, doing: str) -> None:
    if assessment.state not in states:
        allowed = "、".join(State(s).label for s in states)
        raise ValidationError(f"考核当前为“{assessment.get_state_display()}”，只有在“{allowed}”时才能{doing}。")


def is_clerk_of(user, township: Region) -> bool:
    """Whether `user` is a township clerk whose region covers `township`."""
    return any(
        m.role == Role.TOWNSHIP_CLERK and township.path.startswith(m.region.path) for m in user_memberships(user)
    )


def townships_of(assessment: Assessment):
    return Region.objects.townships().filter(path__startswith=assessment.region.path).order_by("code")


# --- the assessment and its checklist ------------------------------------------------------


@transaction.atomic
def assessment_create(*, county: Region, year: int, user, title: str = "", with_checklist: bool = True, **fields):
    """Open `year`'s assessment of `county`, with the default checklist (4 sections, 12 items,
    100 points) preloaded when `with_checklist`. One assessment per county and year."""
    if user is not None and not any(
        m.role == Role.COUNTY_ADMIN and county.path.startswith(m.region.path) for m in user_memberships(user)
    ):
        raise PermissionDenied("只有县人大代表工委可以新建年度考核。")
    if Assessment.objects.filter(region=county, year=year).exists():
        raise ValidationError({"year": f"{county.name}{year}年度的考核已经存在。"})
    assessment = Assessment.objects.create(region=county, year=year, title=title, **fields)
    if with_checklist:
        for s_order, (section_title, items) in enumerate(DEFAULT_CHECKLIST, start=1):
            section = ChecklistSection.objects.create(assessment=assessment, order=s_order, title=section_title)
            ChecklistItem.objects.bulk_create(
                [
                    ChecklistItem(
                        section=section,
                        order=i,
                        title=title_,
                        description=desc,
                        points=Decimal(points),
                        method=COMPUTED if metric else MANUAL,
                        metric=metric,
                        params=params,
                    )
                    for i, (title_, points, metric, params, desc) in enumerate(items, start=1)
                ]
            )
    return assessment


def checklist_total(assessment: Assessment) -> Decimal:
    return ChecklistItem.objects.filter(section__assessment=assessment).aggregate(s=Sum("points"))["s"] or Decimal(0)


def _clean_item(item: ChecklistItem) -> None:
    errors = {}
    if item.points is None or item.points <= 0:
        errors["points"] = "分值须大于0。"
    if item.method == COMPUTED and item.metric not in metrics.METRICS:
        errors["metric"] = "系统计算的项目须选择计算指标。"
    if item.method == MANUAL:
        item.metric = ""
    if not isinstance(item.params, dict):
        errors["params"] = '计算参数须为JSON对象，如 {"min": 2}。'
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def checklist_item_save(*, item: ChecklistItem, user) -> ChecklistItem:
    """Create or change a checklist item (new when `item.pk` is None); only while the
    assessment is a draft, by the county."""
    assessment = item.section.assessment
    _require_county(user, assessment)
    _require_state(assessment, State.DRAFT, doing="修改考核项目")
    _clean_item(item)
    item.save()
    return item


@transaction.atomic
def checklist_item_delete(*, item: ChecklistItem, user) -> None:
    """Remove a checklist item and its scores; only while the assessment is a draft."""
    assessment = item.section.assessment
    _require_county(user, assessment)
    _require_state(assessment, State.DRAFT, doing="删除考核项目")
    item.delete()
    _totals_and_ranks(assessment)


# --- computing ---------------------------------------------------------------------------


def _ranks(totals: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Competition ranks (1, 2, 2, 4): equal totals share a rank."""
    ordered = sorted(totals, key=lambda t: -t[1])
    ranks, prev, rank = {}, None, 0
    for i, (key, total) in enumerate(ordered, start=1):
        if total != prev:
            rank, prev = i, total
        ranks[key] = rank
    return ranks


def _totals_and_ranks(assessment: Assessment) -> list[TownshipResult]:
    """Each township's total (the sum of its points) and rank, in two queries and one update."""
    sums = dict(
        Score.objects.filter(item__section__assessment=assessment)
        .order_by()
        .values_list("township_id")
        .annotate(s=Sum("points"))
    )
    results = list(TownshipResult.objects.filter(assessment=assessment))
    for r in results:
        r.total = (sums.get(r.township_id) or Decimal(0)).quantize(Decimal("0.1"))
    ranks = _ranks([(r.pk, r.total) for r in results])
    for r in results:
        r.rank = ranks.get(r.pk)
    TownshipResult.objects.bulk_update(results, ["total", "rank"])
    return results


@transaction.atomic
def assessment_compute(*, assessment: Assessment, user=None, progress: Callable | None = None) -> dict:
    """Fill every computed item for every township of the county from the records (one or
    two grouped queries per metric), make sure each township has a result and a row for each
    manual item (hand scores are left as they are), then the totals and draft ranks.
    Running it again on the same records gives the same scores. Only in draft."""
    _require_county(user, assessment)
    _require_state(assessment, State.DRAFT, doing="计算得分")
    progress = progress or (lambda *a, **k: None)
    townships = list(townships_of(assessment))
    ids = [t.pk for t in townships]
    TownshipResult.objects.bulk_create(
        [TownshipResult(assessment=assessment, township_id=t) for t in ids], ignore_conflicts=True
    )
    items = list(ChecklistItem.objects.filter(section__assessment=assessment).order_by("section__order", "order"))
    existing = {(s.item_id, s.township_id): s for s in Score.objects.filter(item__section__assessment=assessment)}
    to_create, to_update = [], []
    for n, item in enumerate(items, start=1):
        progress(100 * (n - 1) / max(len(items), 1), f"正在计算：{item.title}")
        if item.method == COMPUTED and item.metric:
            results = metrics.compute(item.metric, ids, assessment.year, item.points, item.params)
        else:
            results = None
        for t in ids:
            score = existing.get((item.pk, t))
            if results is None:
                if score is None:
                    to_create.append(Score(item=item, township_id=t))
                continue
            value, points = results[t]
            if score is None:
                to_create.append(Score(item=item, township_id=t, value=value, points=points))
            elif score.value != value or score.points != points:
                score.value, score.points = value, points
                to_update.append(score)
    Score.objects.bulk_create(to_create, ignore_conflicts=True)
    if to_update:
        Score.objects.bulk_update(to_update, ["value", "points"])
    # Scores of townships no longer in the county (a merger) would skew nothing: totals go per result.
    progress(95, "正在汇总总分和排名")
    results = _totals_and_ranks(assessment)
    Assessment.objects.filter(pk=assessment.pk).update(computed_at=timezone.now())
    assessment.computed_at = timezone.now()
    return {"townships": len(ids), "items": len(items), "created": len(to_create), "updated": len(to_update),
            "results": len(results)}  # fmt: skip


@transaction.atomic
def score_manual_set(
    *,
    score: Score | None = None,
    item: ChecklistItem | None = None,
    township: Region | None = None,
    points,
    comment: str = "",
    evidence=None,
    evidence_type: str = "",
    user,
) -> Score:
    """The county's hand score of a manual item for a township (with a comment and evidence),
    between 0 and the item's points; while the assessment is a draft or open for replies."""
    if score is None:
        score, _ = Score.objects.get_or_create(item=item, township=township)
    item = score.item
    assessment = item.section.assessment
    _require_county(user, assessment)
    _require_state(assessment, State.DRAFT, State.REPLY, doing="人工评分")
    if item.method != MANUAL:
        raise ValidationError({"points": f"“{item.title}”由系统计算得分，不能人工评分。"})
    try:
        points = Decimal(str(points))
    except Exception:
        raise ValidationError({"points": "得分须为数字。"}) from None
    if points < 0 or points > item.points:
        raise ValidationError({"points": f"得分须在0至{item.points}分之间。"})
    score.points = points.quantize(Decimal("0.1"))
    score.comment = comment
    if evidence:
        score.evidence = evidence
        score.evidence_type = evidence_type
    score.scored_by = user
    score.save()
    TownshipResult.objects.get_or_create(assessment=assessment, township=score.township)
    _totals_and_ranks(assessment)
    return score


# --- the right of reply ---------------------------------------------------------------------


@transaction.atomic
def assessment_open_reply(*, assessment: Assessment, deadline: datetime.date, user) -> Assessment:
    """Show the draft scores to the townships and let them reply until `deadline` (draft → reply)."""
    _require_county(user, assessment)
    _require_state(assessment, State.DRAFT, doing="发送乡镇反馈")
    if deadline is None or deadline < timezone.localdate():
        raise ValidationError({"reply_deadline": "反馈截止日期不能早于今天。"})
    if not TownshipResult.objects.filter(assessment=assessment).exists():
        raise ValidationError("请先计算得分，再发送乡镇反馈。")
    assessment.state = State.REPLY
    assessment.reply_deadline = deadline
    assessment.save(update_fields=["state", "reply_deadline"])
    return assessment


@transaction.atomic
def result_reply(*, result: TownshipResult, text: str, user, today: datetime.date | None = None) -> TownshipResult:
    """The township's reply to its draft scores, by its clerk, while the assessment is open for
    replies and the deadline has not passed (the deadline day itself still counts)."""
    if not is_clerk_of(user, result.township):
        raise PermissionDenied("只有本乡镇人大秘书可以提交反馈意见。")
    assessment = result.assessment
    today = today or timezone.localdate()
    if assessment.state != State.REPLY:
        raise ValidationError({"reply": "考核当前不在乡镇反馈阶段，不能提交反馈意见。"})
    if assessment.reply_deadline and today > assessment.reply_deadline:
        raise ValidationError(
            {"reply": f"反馈截止日期（{assessment.reply_deadline:%Y年%m月%d日}）已过，不能再提交反馈意见。"}
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reply": "请填写反馈意见。"})
    result.reply = text
    result.replied_at = timezone.now()
    result.save(update_fields=["reply", "replied_at"])
    return result


@transaction.atomic
def result_reply_answer(*, result: TownshipResult, text: str, user) -> TownshipResult:
    """The county's answer to a township's reply (while replies are open or after finalising)."""
    _require_county(user, result.assessment)
    _require_state(result.assessment, State.REPLY, State.FINAL, doing="答复乡镇反馈")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reply_answer": "请填写答复意见。"})
    result.reply_answer = text
    result.save(update_fields=["reply_answer"])
    return result


# --- final and published --------------------------------------------------------------------


def grade_results(assessment: Assessment, results: list[TownshipResult]) -> None:
    """Set each result's grade by the thresholds; with a cap on the 优秀 share only the top
    floor(n × cap / 100) by total are 优秀 and the others above the line are 良好 (at equal
    totals on the line, the township code decides, so the cap is never exceeded)."""
    for r in results:
        if r.total >= assessment.excellent_min:
            r.grade = Grade.EXCELLENT
        elif r.total >= assessment.good_min:
            r.grade = Grade.GOOD
        elif r.total >= assessment.pass_min:
            r.grade = Grade.PASS
        else:
            r.grade = Grade.FAIL
    if assessment.excellent_cap_percent is not None:
        cap = math.floor(len(results) * assessment.excellent_cap_percent / 100)
        excellent = sorted(
            (r for r in results if r.grade == Grade.EXCELLENT), key=lambda r: (-r.total, r.township.code)
        )
        for r in excellent[cap:]:
            r.grade = Grade.GOOD


@transaction.atomic
def assessment_finalize(*, assessment: Assessment, user) -> Assessment:
    """Close the replies and fix the result (reply → final): totals, grades and ranks."""
    _require_county(user, assessment)
    _require_state(assessment, State.REPLY, doing="定稿")
    _totals_and_ranks(assessment)
    results = list(TownshipResult.objects.filter(assessment=assessment).select_related("township"))
    grade_results(assessment, results)
    TownshipResult.objects.bulk_update(results, ["grade"])
    assessment.state = State.FINAL
    assessment.save(update_fields=["state"])
    audit_event(AuditEntry.Action.UPDATE, instance=assessment, note="考核定稿")
    return assessment


@transaction.atomic
def assessment_publish(*, assessment: Assessment, user) -> Assessment:
    """Publish the final result (final → published): the ranking is shown to every township."""
    _require_county(user, assessment)
    _require_state(assessment, State.FINAL, doing="公布")
    assessment.state = State.PUBLISHED
    assessment.published_at = timezone.now()
    assessment.save(update_fields=["state", "published_at"])
    audit_event(AuditEntry.Action.UPDATE, instance=assessment, note="公布考核结果")
    return assessment
