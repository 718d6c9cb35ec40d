"""Aggregates of a list for the annual report: counts (and sums) per group, in one statement.

A `Dimension` is declared once per domain (what to group by, and the join it needs); the
statement has the total over the filtered, visible rows and one row per group, as one
`UNION ALL`. The total is taken over the entity's own rows, so a dimension that joins a
link table (a project's funding programmes) counts a row in each of its groups but once in the
total.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Label, Select, cast, distinct, func, literal, null, select, union_all

from resolvers.base import DataContext, Entity

MAX_GROUPS = 1000
"""At most this many groups are asked for (`groups(first:)`)."""


@dataclass(frozen=True)
class Dimension:
    name: str
    """The GraphQL `groupBy` value, e.g. ORTSTEIL."""
    key: str
    """The group's field (and the statement's column), e.g. ortsteil."""
    expression: ColumnElement[Any]
    join: Callable[[FromClause], FromClause] | None = None
    """The FROM clause with what the expression needs joined (outer joins: no row is lost)."""


@dataclass(frozen=True)
class Measure:
    key: str
    expression: Callable[[], ColumnElement[Any]]
    """An aggregate, e.g. `coalesce(sum(total_volume), 0)`."""


def grouped_statement(
    ctx: DataContext,
    entity: Entity,
    conditions: Sequence[ColumnElement[bool]],
    dimensions: Sequence[Dimension],
    measures: Sequence[Measure] = (),
) -> Select[Any]:
    """The total (`is_total`) and, when `dimensions` are given, one row per group of them, with
    `count` and every measure; groups ordered by their keys, empty keys last."""
    visible = [entity.visible(ctx), *conditions]
    identity = entity.table.c.id

    def aggregates() -> list[Label[Any]]:
        return [func.count(distinct(identity)).label("count"), *(m.expression().label(m.key) for m in measures)]

    total = select(
        literal(True).label("is_total"),
        *(cast(null(), d.expression.type).label(d.key) for d in dimensions),
        *aggregates(),
    ).where(*visible)
    if not dimensions:
        return total
    source: FromClause = entity.table
    for dimension in dimensions:
        if dimension.join is not None:
            source = dimension.join(source)
    groups = (
        select(literal(False), *(d.expression.label(d.key) for d in dimensions), *aggregates())
        .select_from(source)
        .where(*visible)
        .group_by(*(d.expression for d in dimensions))
    )
    both = union_all(total, groups).subquery("statistics")
    order = [both.c.is_total.desc(), *(both.c[d.key].asc().nulls_last() for d in dimensions)]
    return select(both).order_by(*order).limit(1 + MAX_GROUPS + 1)  # the total, the groups, one more: too many
