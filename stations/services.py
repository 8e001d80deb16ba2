"""Writes of stations/ that touch more than one row: loading the default standards and
recording a room's state against one item."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from org.models import Region
from org.roles import COUNTY_KINDS

from .models import Standard, StandardItem, StationItemState

# The standards as the seeds and the provincial guidelines list them. Points per item add up
# to 100 so a later star rating can use the thresholds of DESIGN.md section 5.
DEFAULT_STANDARDS = {
    "六有": (
        "省人大常委会“两室一平台”规范化建设“六有”标准。",
        [
            ("有场所", "有固定的活动场所，面积满足代表活动和接待选民需要。", 15),
            ("有标识", "门口悬挂统一标牌，室内有标识。", 15),
            ("有人员", "有专（兼）职工作人员负责日常工作。", 15),
            ("有制度", "代表活动、接待选民、学习培训等制度上墙。", 20),
            ("有活动", "定期开展代表活动和接待选民活动。", 20),
            ("有资料", "代表信息、活动记录、台账资料齐全。", 15),
        ],
    ),
    "七有": (
        "市人大常委会人大代表活动阵地规范化建设“七有”标准。",
        [
            ("有固定活动场所", "", 15),
            ("有标识标牌", "", 15),
            ("有办公设备", "桌椅、群众信箱、资料柜等。", 15),
            ("有代表信息", "代表照片、联系方式、接待日公示。", 15),
            ("有工作制度", "代表活动制度、视察调研制度、联系选民制度规范上墙。", 15),
            ("有档案资料", "", 10),
            ("有活动记录", "代表小组活动和代表接待日活动记录。", 15),
        ],
    ),
    "八有": (
        "代表家站“八有”标准（常见提法，各地可修改）。",
        [
            ("有场所", "", 15),
            ("有标识", "", 10),
            ("有制度", "", 15),
            ("有人员", "", 15),
            ("有设施", "", 10),
            ("有经费", "", 10),
            ("有活动", "", 15),
            ("有档案", "", 10),
        ],
    ),
    "十有": (
        "乡镇“人大代表之家”星级评定办法（试行）“十有”，每项10分。",
        [
            ("有办公场所", "", 10),
            ("有标示标牌", "", 10),
            ("有办公设备", "", 10),
            ("有工作人员", "", 10),
            ("有工作制度", "", 10),
            ("有组织架构", "", 10),
            ("有工作方案", "", 10),
            ("有活动实效", "", 10),
            ("有档案资料", "", 10),
            ("有经费保障", "", 10),
        ],
    ),
}
HEADLINE_STANDARD = "六有"


@transaction.atomic
def standards_preload(*, county: Region, year: int, names=None) -> list[Standard]:
    """Create the default standards (六有/七有/八有/十有) of `year` for `county` where missing;
    existing ones are left as the county edited them. Returns those created."""
    if county.kind not in COUNTY_KINDS:
        raise ValidationError("默认标准只能加载到县（市、区）。")
    names = list(names or DEFAULT_STANDARDS)
    existing = set(Standard.objects.filter(region=county, year=year, name__in=names).values_list("name", flat=True))
    created = [
        Standard(region=county, name=name, year=year, description=DEFAULT_STANDARDS[name][0])
        for name in names
        if name not in existing
    ]
    Standard.objects.bulk_create(created)
    if created and not all(s.pk for s in created):  # a backend that returns no ids
        created = list(Standard.objects.filter(region=county, year=year, name__in=[s.name for s in created]))
    StandardItem.objects.bulk_create(
        StandardItem(standard=s, order=i, title=title, description=desc, points=points)
        for s in created
        for i, (title, desc, points) in enumerate(DEFAULT_STANDARDS[s.name][1], start=1)
    )
    return created


def set_item_state(*, station, item, state, note="", evidence=None, evidence_type="", user=None) -> StationItemState:
    """Record how `station` stands against `item`; a new evidence file replaces the old one."""
    if not Standard.objects.filter(pk=item.standard_id, region__in=_regions_above(station)).exists():
        raise ValidationError("该标准不适用于此阵地。")
    row, _ = StationItemState.objects.get_or_create(station=station, item=item)
    row.state = state
    row.note = note
    row.updated_by = user
    if evidence:
        if row.evidence:
            row.evidence.delete(save=False)
        row.evidence = evidence
        row.evidence_type = evidence_type
    row.save()
    return row


def _regions_above(station) -> list[int]:
    return [int(x) for x in station.region.path.strip("/").split("/") if x]
