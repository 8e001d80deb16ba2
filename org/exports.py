"""Exports org offers as jobs: the region directory (行政区划名录)."""

from __future__ import annotations

from django.db.models import Count

from .jobs import register_job
from .models import Region
from .xlsx import write_sheet


@register_job("region_directory", "行政区划名录（Excel）")
def region_directory(ctx) -> str:
    """Every region under the job's region with its code, parent and account counts."""
    regions = (
        Region.objects.in_region(ctx.region)
        .select_related("parent")
        .annotate(accounts=Count("memberships__user", distinct=True), children_count=Count("children", distinct=True))
        .order_by("code")
    )
    total = regions.count() or 1

    def rows():
        for i, r in enumerate(regions.iterator(chunk_size=2000)):
            if i % 200 == 0:
                ctx.progress(100 * i / total, f"已写入 {i}/{total} 行")
            yield [
                r.code,
                r.name,
                r.get_kind_display(),
                r.parent.name if r.parent else "",
                r.children_count,
                r.accounts,
            ]

    write_sheet(
        ctx.output_path,
        title="行政区划名录",
        header=["区划代码", "名称", "类型", "上级", "下级数", "账号数"],
        rows=rows(),
        widths=[16, 24, 12, 24, 10, 10],
    )
    return f"行政区划名录-{ctx.region.name}.xlsx"
