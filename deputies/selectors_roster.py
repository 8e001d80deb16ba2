"""Paging of the roster 代表名册 at province scale: seek (keyset) pages instead of OFFSET.

A province's 90,000 deputies in roster order (township code, name, id) make page 2,000 an
OFFSET of 40,000 rows, which the database sorts and throws away on every request. Here the
links to the next and previous page carry a cursor — the roster key of the page's last
(first) row — and the page is "the next 20 rows after that key": the same work on page 2
and page 4,000, and no row is skipped or shown twice when deputies are added or removed
between two clicks. The first and the last page need no cursor (the last is read backwards);
a page number typed by hand (`?page=N`) still works through OFFSET, sorting only the ids.

The count is exact up to EXACT_UP_TO rows (a township, a county: 共 N 名 and 第 N/M 页, as a
clerk expects), counted with a LIMIT so it stops there; above that, as for a province, the
page shows PostgreSQL's own estimate marked 约 (counting 90,000 rows through the region join
cost more than the rest of the page). A cursor's page number travels with it in the link,
so showing "第 N 页" costs no query.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q

# The roster order; the last key makes it total, so a cursor names exactly one position.
ORDER = ("region__code", "name", "pk")
# Deputy columns the roster shows (plus its township's name, and the code for the cursor).
SHOWN_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "party",
    "democratic_party",
    "education",
    "occupation",
    "work_unit",
    "region__name",
    "region__code",
)


def encode_cursor(deputy) -> str:
    """The roster key of `deputy` as a URL-safe token (it holds nothing the row does not
    show: the township's code, the name and the id)."""
    raw = json.dumps([deputy.region.code, deputy.name, deputy.pk], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> tuple[str, str, int] | None:
    """The key a token names, or None for anything that is not one of ours (a hand-edited
    link falls back to the first page, never an error page)."""
    if not token or len(token) > 400:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        code, name, pk = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        return None
    if not (isinstance(code, str) and isinstance(name, str) and isinstance(pk, int)) or isinstance(pk, bool):
        return None
    return code, name, pk


def after_q(key: tuple[str, str, int]) -> Q:
    """Rows after `key` in roster order: (code, name, id) > key, spelled out for the ORM."""
    code, name, pk = key
    return Q(region__code__gt=code) | Q(region__code=code, name__gt=name) | Q(region__code=code, name=name, pk__gt=pk)


def before_q(key: tuple[str, str, int]) -> Q:
    code, name, pk = key
    return Q(region__code__lt=code) | Q(region__code=code, name__lt=name) | Q(region__code=code, name=name, pk__lt=pk)


# Up to this many rows the count is exact; above it the database's own estimate is shown,
# marked 约. Counting a province's 90,000 deputies through the region join costs more than
# the rest of the page together; a county (about 1,000) or a township is always exact.
EXACT_UP_TO = 5000


@dataclass
class RosterPaginator:
    """What the page and the pagination partial read: the count (exact up to EXACT_UP_TO,
    else the planner's estimate with `estimated` set) and the number of pages."""

    queryset: object
    per_page: int
    estimated: bool = False
    _count: int | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        if self._count is None:
            self._count = self._counted()
        return self._count

    def _counted(self) -> int:
        rows = self.queryset.order_by().values("pk")
        # COUNT over a LIMIT: stops after EXACT_UP_TO + 1 rows whatever the size of the scope.
        n = rows[: EXACT_UP_TO + 1].count()
        if n <= EXACT_UP_TO or connection.vendor != "postgresql":
            return n if n <= EXACT_UP_TO else rows.count()
        self.estimated = True
        estimate = max(EXACT_UP_TO + 1, planner_rows(rows))
        # Three significant figures: 88,967 shows as 约 89,000, not as a false exact number.
        return round(estimate, 3 - len(str(estimate)))

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))


def planner_rows(queryset) -> int:
    """PostgreSQL's estimate of how many rows `queryset` returns (EXPLAIN, nothing read)."""
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass
class RosterPage:
    """One page of the roster, shaped like Django's Page for the templates (number,
    object_list, has_next/has_previous, paginator) plus the cursors of its links. `number`
    is None on a page reached backwards from the end of an estimated count."""

    paginator: RosterPaginator
    object_list: list
    number: int | None
    _has_next: bool
    _has_previous: bool

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self._has_previous

    def has_other_pages(self) -> bool:
        return self._has_next or self._has_previous

    def next_page_number(self) -> int | None:
        return None if self.number is None else self.number + 1

    def previous_page_number(self) -> int | None:
        return None if self.number is None else self.number - 1

    @property
    def next_cursor(self) -> str:
        return encode_cursor(self.object_list[-1]) if self.object_list else ""

    @property
    def previous_cursor(self) -> str:
        return encode_cursor(self.object_list[0]) if self.object_list else ""

    def __len__(self):
        return len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)


def _page_number(raw) -> int | str | None:
    if raw == "last":
        return "last"
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return None


def rows_from(queryset, rows_qs, start: int, size: int) -> list:
    """Rows `start` … `start + size - 1` in roster order, for a page number typed by hand,
    without an OFFSET over the whole scope (at a province's page 2,000 the database sorted
    40,000 rows on disk to throw them away): the deputies per township, in one grouped
    count, tell in which township row `start` falls; the rows are read from that township
    on, skipping only within it."""
    per_township = queryset.order_by().values_list("region__code").annotate(n=Count("pk")).order_by("region__code")
    before = 0
    for code, n in per_township:
        if before + n > start:
            return list(rows_qs.filter(region__code__gte=code)[start - before : start - before + size])
        before += n
    return []


def roster_page(queryset, params, per_page: int = 20) -> RosterPage:
    """The page of `queryset` (scoped, filtered) that `params` (the GET query) asks for:
    `after`/`before` a cursor, or `page` N / "last", in roster order. Two queries — the
    count and the rows (three above EXACT_UP_TO: the estimate) — plus the view's prefetches."""
    paginator = RosterPaginator(queryset, per_page)
    rows_qs = queryset.only(*SHOWN_FIELDS).order_by(*ORDER)
    after, before = decode_cursor(params.get("after")), decode_cursor(params.get("before"))
    number = _page_number(params.get("page"))
    count = paginator.count
    exact = not paginator.estimated
    last = paginator.num_pages

    if after is not None or before is not None:
        # The page number only travels with the cursor, for the label; a hand-edited one
        # can mislabel a page, never change its rows.
        if not isinstance(number, int):
            number = None
        elif exact:
            number = min(number, last)
        if after is not None:
            # The redundant bound lets the database walk townships in code order from the
            # cursor's on (the index on org_region.code) instead of sorting every row.
            rows = list(rows_qs.filter(region__code__gte=after[0]).filter(after_q(after))[: per_page + 1])
            return RosterPage(paginator, rows[:per_page], number, len(rows) > per_page, True)
        backwards = rows_qs.filter(region__code__lte=before[0]).filter(before_q(before)).reverse()
        rows = list(backwards[: per_page + 1])
        return RosterPage(paginator, rows[:per_page][::-1], number, True, len(rows) > per_page)

    if number == "last" or (exact and isinstance(number, int) and number >= last):
        # The last page, read backwards. With an exact count it holds what is left after
        # the full pages, so walking back from it lands on the same pages as from page 1.
        size = count - (last - 1) * per_page if exact else per_page
        rows = list(rows_qs.reverse()[: max(size, 0)])[::-1]
        return RosterPage(paginator, rows, last if exact else None, False, count > len(rows))
    if number in (None, 1):
        rows = list(rows_qs[: per_page + 1])
        return RosterPage(paginator, rows[:per_page], 1, len(rows) > per_page, False)
    rows = rows_from(queryset, rows_qs, (number - 1) * per_page, per_page + 1)
    if not rows:  # past the end of an estimate
        return roster_page(queryset, {"page": "last"}, per_page)
    return RosterPage(paginator, rows[:per_page], number, len(rows) > per_page, True)
