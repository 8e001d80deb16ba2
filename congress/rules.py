"""The statutory arithmetic of a township congress, in one place.

- Serving deputies on a date: township-level mandates of the township elected on or before
  that day and not ended by it (a deputy who resigned the day before is not counted).
- Quorum of a session: at least two thirds of the serving deputies present. In Chinese law
  "三分之二以上" includes the number itself, so 2/3 exactly is enough.
- Passing a resolution, an election or a livelihood project: more than half (过半数, strictly
  more) of ALL serving deputies, not of those present or voting.

Integer arithmetic only: 3 * present >= 2 * serving avoids rounding 2/3 in floating point.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from deputies.models import Deputy, Mandate
from org.models import Region


def serving_mandates_on(region: Region, day: datetime.date) -> QuerySet[Mandate]:
    """Township-level mandates of `region` that were serving on `day`."""
    return Mandate.objects.filter(
        region=region,
        level=Mandate.Level.TOWNSHIP,
        elected_on__lte=day,
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def serving_deputies_on(region: Region, day: datetime.date) -> QuerySet[Deputy]:
    """The deputies of `region`'s congress serving on `day` (the roll of a meeting that day)."""
    return Deputy.objects.filter(pk__in=serving_mandates_on(region, day).values("deputy_id")).order_by(
        "name_initials", "pk"
    )


def serving_count_on(region: Region, day: datetime.date) -> int:
    return serving_mandates_on(region, day).values("deputy_id").distinct().count()


def quorum_met(*, present: int, serving: int) -> bool:
    """At least two thirds of the serving deputies present (三分之二以上, inclusive)."""
    return serving > 0 and 3 * present >= 2 * serving


def quorum_needed(serving: int) -> int:
    """The fewest deputies present that make a quorum."""
    return -(-2 * serving // 3)


def passes(*, yes: int, serving: int) -> bool:
    """More than half of ALL serving deputies voted yes (过半数, strictly more)."""
    return serving > 0 and 2 * yes > serving


def majority_needed(serving: int) -> int:
    """The fewest yes votes that pass: more than half of the serving deputies."""
    return serving // 2 + 1
