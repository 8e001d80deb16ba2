"""Reads of duty points: totals, rankings and the year's minimums (六个一), all as SQL
aggregates over querysets the caller has already scoped."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, DenseRank

from congress.models import Suggestion
from deputies.models import Deputy, Mandate
from org.batch import aggregate
from stations.models import Activity, Reception

from .models import PointEntry, PointRule

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=8, decimal_places=1))

# 六个一 / 五个一 as this portal checks them: (key, what is missing, how it is counted).
MINIMUMS = (
    ("visit", "走访选民"),
    ("suggestion", "提出建议"),
    ("reception", "进站接待选民"),
    ("training", "参加学习培训"),
    ("report", "本届向选民述职"),
)


def format_points(value) -> str:
    """5 → "+5", Decimal("2.5") → "+2.5", -5 → "-5": how points read everywhere."""
    text = f"{Decimal(value or 0).normalize():f}"
    return text if text.startswith("-") or text == "0" else f"+{text}"


def rule_label(rule: PointRule) -> str:
    return f"{rule.get_event_display()} {format_points(rule.points)}分"


def deputy_entries(entries, deputy, year: int):
    """A deputy's lines of the year, in date order (with their rules)."""
    return entries.filter(deputy=deputy, year=year).select_related("rule").order_by("date", "event", "pk")


def entries_total(entries) -> Decimal:
    """The counted sum of `entries` (capped lines left out)."""
    return entries_total_row(entries)["s"] or Decimal(0)


def entries_total_row(entries):
    """{"s": the counted sum or None}, asked with the page's other counts (org.batch)."""
    return aggregate(entries.filter(capped=False), s=Sum("points"))


def _total_subquery(year: int):
    return Coalesce(
        Subquery(
            PointEntry.objects.filter(deputy_id=OuterRef("pk"), year=year, capped=False)
            .order_by()
            .values("deputy_id")
            .annotate(s=Sum("points"))
            .values("s")[:1]
        ),
        ZERO,
    )


def ranking(deputies, year: int):
    """Deputies with points in `year` or a serving township seat, each with `total` (capped
    lines left out), `township_rank` (dense: equal totals share a rank) within its township and
    `county_rank` within its county; highest first. One query per page."""
    serving = Mandate.objects.filter(
        deputy_id=OuterRef("pk"), status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP
    )
    has_points = PointEntry.objects.filter(deputy_id=OuterRef("pk"), year=year)
    return (
        deputies.filter(Q(Exists(serving)) | Q(Exists(has_points)))
        .select_related("region")
        .annotate(total=_total_subquery(year))
        .annotate(
            township_rank=Window(DenseRank(), partition_by=[F("region_id")], order_by=F("total").desc()),
            county_rank=Window(DenseRank(), partition_by=[F("region__parent_id")], order_by=F("total").desc()),
        )
        .order_by("-total", "region__code", "name_initials", "pk")
    )


def township_summary(deputies, year: int):
    """Per township: deputies with points, the counted sum and the average per such deputy."""
    return (
        PointEntry.objects.filter(deputy__in=deputies.values("pk"), year=year)
        .values("deputy__region_id", "deputy__region__name", "deputy__region__code")
        .annotate(total=Coalesce(Sum("points", filter=Q(capped=False)), ZERO))
        .order_by("-total", "deputy__region__code")
    )


def _record_exists(model_through, field: str, **filters):
    return Exists(
        model_through.objects.filter(
            deputy_id=OuterRef("deputy_id"), **{f"{field}__{k}": v for k, v in filters.items()}
        )
    )


def minimums(mandates, year: int):
    """Serving township mandates with, per minimum, whether the deputy met it in `year`
    (`has_visit`, `has_suggestion`, `has_reception`, `has_training`) or in the mandate's term
    (`has_report`); `report_due` when the term ends in `year` or before, the only time a
    missing report counts as short. Correlated EXISTS subqueries: one query per page."""
    through = Activity.participants.through
    confirmed = {"status": Activity.Status.CONFIRMED}
    counted = ~Q(state__in=[Suggestion.State.DRAFT, Suggestion.State.NOT_ACCEPTED]) & Q(submitted_on__year=year)
    led = Suggestion.objects.filter(counted, lead_deputy_id=OuterRef("deputy_id"))
    joined = Suggestion.objects.filter(counted, co_deputies=OuterRef("deputy_id"))
    return (
        mandates.filter(status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP)
        .select_related("deputy", "deputy__region", "term")
        .annotate(
            has_visit=_record_exists(
                through, "activity", kind=Activity.Kind.VISIT_VOTERS, date__year=year, **confirmed
            ),
            has_training=_record_exists(through, "activity", kind=Activity.Kind.TRAINING, date__year=year, **confirmed),
            has_reception=_record_exists(Reception.deputies.through, "reception", date__year=year),
            has_suggestion=Exists(led) | Exists(joined),
            has_report=Exists(
                through.objects.filter(
                    deputy_id=OuterRef("deputy_id"),
                    activity__kind=Activity.Kind.REPORT_TO_VOTERS,
                    activity__status=Activity.Status.CONFIRMED,
                    activity__date__gte=OuterRef("term__start_date"),
                    activity__date__lte=OuterRef("term__end_date"),
                )
            ),
        )
        .annotate(report_due=Q(term__end_date__year__lte=year))
        .order_by("deputy__region__code", "deputy__name_initials", "deputy_id")
    )


def short_of_minimums(mandates, year: int):
    """The mandates of `minimums` whose deputy misses at least one minimum."""
    return minimums(mandates, year).filter(
        Q(has_visit=False)
        | Q(has_suggestion=False)
        | Q(has_reception=False)
        | Q(has_training=False)
        | Q(has_report=False, term__end_date__year__lte=year)
    )


def missing_of(row) -> list[str]:
    """What a row of `minimums` lacks, in words."""
    out = [label for key, label in MINIMUMS if key != "report" and not getattr(row, f"has_{key}")]
    if not row.has_report and row.report_due:
        out.append("本届向选民述职")
    return out


def deputy_of(user) -> Deputy | None:
    return Deputy.objects.filter(user=user).select_related("region").first()
