"""One round trip for the one-row aggregates of a page.

A dashboard is a registry of panels from four apps, and most panels ask a handful of counts
(`COUNT(*) FILTER (…)` over one scoped queryset). Asked one by one they cost a query each;
inside `batched()` they are collected and sent together as

    SELECT b0."total", b0."women", b1."open", … FROM (<aggregate 0>) b0 CROSS JOIN (<aggregate 1>) b1 …

Each part is exactly the SQL `QuerySet.aggregate()` would run (no GROUP BY, so one row), so
the database does the same work; only the round trips go. The values come back through the
same converters `aggregate()` uses, so a caller cannot tell the difference.

`aggregate(qs, **aggs)` returns a read-only mapping. Inside `batched()` it is lazy: the
batch runs when any of its values is first read, taking every aggregate asked so far. A panel
registry therefore asks all its panels for their context first and renders them after.
Outside `batched()` the mapping is filled at once, as `qs.aggregate()` would be.

`derived(fn)` (a mapping) and `LazyList(fn)` (a list) are computed from such values on first
read, for selectors that add or combine counts without forcing the batch early.

`annotate_grouped(base, name=(qs, field, aggregate), …)` is the per-row counterpart: rows of
a base queryset (the townships) each with grouped counts of other querysets, in one query.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Value

_current: contextvars.ContextVar[AggregateBatch | None] = contextvars.ContextVar("aggregate_batch", default=None)


class _Part:
    __slots__ = ("sql", "params", "names", "exprs", "values")

    def __init__(self, sql, params, names, exprs):
        self.sql, self.params, self.names, self.exprs = sql, params, names, exprs
        self.values: dict[str, Any] | None = None


class AggregateBatch:
    """Aggregates waiting to be sent in one query (see the module docstring)."""

    def __init__(self, using: str | None = None):
        self.using = using
        self._pending: list[_Part] = []

    def add(self, qs, aggregates: dict) -> LazyRow:
        if qs.query.is_sliced or qs.query.distinct or qs.query.combinator:
            # Their aggregate needs a subquery of its own; aggregate() knows how, the batch does not.
            raise TypeError("aggregate(): sliced, distinct or combined querysets are not batched")
        using = self.using or router.db_for_read(qs.model)
        if self.using is None:
            self.using = using
        elif using != self.using:
            raise TypeError("aggregate(): every queryset of a batch must use the same database")
        names = list(aggregates)
        # values(<a constant>) + annotate: an aggregate over the whole queryset with no GROUP BY
        # (a constant has no group-by columns), the query aggregate() itself would build.
        row_qs = qs.order_by().values(_batch_one=Value(1)).annotate(**aggregates).values(*names)
        exprs = [row_qs.query.annotations[n] for n in names]
        try:
            sql, params = row_qs.query.sql_with_params()
        except EmptyResultSet:
            # e.g. pk__in=[]: aggregate() answers without asking the database.
            part = _Part("", (), names, exprs)
            part.values = {n: getattr(e, "empty_result_set_value", None) for n, e in zip(names, exprs, strict=True)}
            return LazyRow(self, part)
        part = _Part(sql, params, names, exprs)
        self._pending.append(part)
        return LazyRow(self, part)

    def run(self) -> None:
        """Send every pending aggregate in one query."""
        parts, self._pending = self._pending, []
        if not parts:
            return
        connection = connections[self.using]
        qn = connection.ops.quote_name
        columns, sources, params = [], [], []
        for i, part in enumerate(parts):
            alias = f"b{i}"
            columns += [f"{alias}.{qn(n)}" for n in part.names]
            sources.append(f"({part.sql}) {alias}")
            params += list(part.params)
        # Only Django's compiled SQL and quoted aliases go into the text; values stay parameters.
        sql = f"SELECT {', '.join(columns)} FROM {' CROSS JOIN '.join(sources)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        pos = 0
        for part in parts:
            values = {}
            for name, expr in zip(part.names, part.exprs, strict=True):
                value = row[pos]
                pos += 1
                for convert in connection.ops.get_db_converters(expr) + expr.get_db_converters(connection):
                    value = convert(value, expr, connection)
                values[name] = value
            part.values = values


class LazyRow(Mapping):
    """The values of one aggregate; reading any of them runs the batch if it has not run."""

    def __init__(self, batch: AggregateBatch, part: _Part):
        self._batch, self._part = batch, part

    def _values(self) -> dict[str, Any]:
        if self._part.values is None:
            self._batch.run()
        return self._part.values

    def __getitem__(self, key):
        return self._values()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._part.names)

    def __len__(self) -> int:
        return len(self._part.names)

    def __repr__(self) -> str:
        state = self._part.values if self._part.values is not None else "pending"
        return f"<LazyRow {state}>"


class _Computed:
    """The value of `fn()`, computed the first time it is read."""

    def __init__(self, fn: Callable[[], Any]):
        self._fn = fn
        self._data = None

    def _values(self):
        if self._data is None:
            self._data = self._fn()
        return self._data

    def __getitem__(self, key):
        return self._values()[key]

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


class derived(_Computed, Mapping):  # noqa: N801 (used like a function)
    """A mapping computed by `fn()` the first time it is read."""


class LazyList(_Computed, Sequence):
    """A list computed by `fn()` the first time it is read."""


def annotate_grouped(base, *, order_by: tuple[str, ...] = ("pk",), **groups) -> list:
    """The rows of `base` (a queryset), each with one attribute per `groups` entry:
    `name=(qs, field, aggregate)` is `aggregate` over the rows of `qs` whose `field` is the
    base row's primary key, 0 where it has none. One query: each queryset is grouped once by
    `field` (entries over the same queryset and field share one GROUP BY) and LEFT JOINed to
    the base rows, so a province's 1,300 townships cost what the grouped counts cost, not
    1,300 correlated lookups per entry.

    The instances come from `base.model.objects.raw()` (no select_related)."""
    model = base.model
    connection = connections[router.db_for_read(model)]
    qn = connection.ops.quote_name
    try:
        base_sql, params = base.order_by().query.sql_with_params()
    except EmptyResultSet:
        return []
    params = list(params)
    # (the grouped queryset's SQL, field) -> (qs, field, {name: aggregate}), in the order asked.
    shared: dict[tuple, tuple] = {}
    columns = ["base.*"]
    for name, (qs, field, agg) in groups.items():
        try:
            key = (*qs.order_by().values(field).query.sql_with_params(), field)
        except EmptyResultSet:
            columns.append(f"0 AS {qn(name)}")
            continue
        shared.setdefault(key, (qs, field, {}))[2][name] = agg
    joins = []
    for i, (qs, field, aggs) in enumerate(shared.values()):
        alias = f"g{i}"
        sql, part_params = qs.order_by().values(field).annotate(**aggs).values(field, *aggs).query.sql_with_params()
        columns += [f"COALESCE({alias}.{qn(name)}, 0) AS {qn(name)}" for name in aggs]
        column = qs.model._meta.get_field(field).column
        joins.append(f"LEFT JOIN ({sql}) {alias} ON {alias}.{qn(column)} = base.{qn(model._meta.pk.column)}")
        params += list(part_params)
    order = []
    for name in order_by:
        field = model._meta.pk if name.lstrip("-") == "pk" else model._meta.get_field(name.lstrip("-"))
        order.append(f"base.{qn(field.column)}{' DESC' if name.startswith('-') else ''}")
    # Django's compiled SQL, quoted names and constants only; every value stays a parameter.
    sql = f"SELECT {', '.join(columns)} FROM ({base_sql}) base {' '.join(joins)} ORDER BY {', '.join(order)}"  # noqa: S608
    return list(model.objects.raw(sql, params))


def aggregate(qs, **aggregates) -> Mapping:
    """`qs.aggregate(**aggregates)`, sent with the other aggregates of the current batch."""
    batch = _current.get()
    if batch is None:
        return qs.aggregate(**aggregates)
    return batch.add(qs, aggregates)


@contextlib.contextmanager
def batched(using: str | None = None):
    """Collect the `aggregate()` calls made inside into one query, sent on first read. Inside
    another `batched()`, the calls join the outer batch."""
    outer = _current.get()
    if outer is not None and (using is None or using == outer.using):
        yield outer
        return
    batch = AggregateBatch(using)
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
