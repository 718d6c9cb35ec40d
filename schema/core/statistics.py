"""Statistics fields, derived from the dimensions a domain declares (resolvers/statistics.py).

`statistics_field("Company", "companies", COMPANIES, groupings)` makes the root field
`companyStatistics(filter: CompanyFilter, groupBy: [CompanyStatisticsGroupBy!])`, its result
type `CompanyStatistics { count, <measures>, groups(first:) }` and the group type with one
field per dimension (null where the dimension is not grouped by), `count` and the measures.
The answer is one SQL statement; visibility is that of the list; `groups` costs what a
connection of `first` groups costs.

This module has no `from __future__ import annotations`: the types it makes carry real
annotations for Strawberry.
"""

import dataclasses
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Annotated, Any, Optional

import strawberry

from resolvers.errors import UserInputError
from resolvers.pagination import DEFAULT_PAGE_SIZE
from resolvers.statistics import MAX_GROUPS, Dimension, Measure, grouped_statement
from schema.core.context import to_filter
from schema.core.plans import Listing


def same(value: Any) -> Any:
    return value


@dataclasses.dataclass(frozen=True)
class Grouping:
    """A dimension as GraphQL shows it: the group field's type, its description, and how a
    column value becomes the field's value."""

    dimension: Dimension
    graphql_type: Any
    description: str
    convert: Callable[[Any], Any] = same


@dataclasses.dataclass(frozen=True)
class Total:
    """A measure as GraphQL shows it, on the statistics and on each group."""

    measure: Measure
    graphql_type: Any
    description: str
    convert: Callable[[Any], Any] = same


def statistics_field(
    prefix: str,
    items: str,
    listing: Listing,
    groupings: Sequence[Grouping],
    totals: Sequence[Total] = (),
    *,
    description: str,
    directives: Sequence[object] = (),
) -> Any:
    by_name = {g.dimension.name: g for g in groupings}
    group_by_enum: Any = strawberry.enum(
        Enum(f"{prefix}StatisticsGroupBy", {name: name for name in by_name}),  # type: ignore[call-overload]
        description=f"What to group statistics of {items} by.",
    )
    for value in group_by_enum.__strawberry_definition__.values:
        value.description = by_name[value.value].description

    def measure_fields() -> dict[str, Any]:
        return {t.measure.key: strawberry.field(description=t.description) for t in totals}

    group_type: Any = strawberry.type(
        type(
            f"{prefix}StatisticsGroup",
            (),
            {
                "__annotations__": {
                    **{g.dimension.key: Optional[g.graphql_type] for g in groupings},  # noqa: UP045
                    "count": int,
                    **{t.measure.key: t.graphql_type for t in totals},
                },
                **{
                    g.dimension.key: strawberry.field(
                        default=None, description=f"{g.description} (null: none, or not grouped by it)."
                    )
                    for g in groupings
                },
                "count": strawberry.field(description=f"Number of {items} in the group."),
                **measure_fields(),
            },
        ),
        description=f"One group of {items}: its keys, how many, and their totals.",
    )

    def groups(
        self: Any,
        first: Annotated[
            Optional[int],  # noqa: UP045
            strawberry.argument(
                description=f"At most this many groups (default {DEFAULT_PAGE_SIZE}, at most {MAX_GROUPS})."
            ),
        ] = None,
    ) -> list[group_type]:
        limit = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= limit <= MAX_GROUPS:
            raise UserInputError(f"`first` must be between 0 and {MAX_GROUPS} (got {limit}).")
        return list(self.all_groups[:limit])

    statistics_type: Any = strawberry.type(
        type(
            f"{prefix}Statistics",
            (),
            {
                "__annotations__": {
                    "count": int,
                    **{t.measure.key: t.graphql_type for t in totals},
                    "all_groups": strawberry.Private[list[Any]],
                },
                "count": strawberry.field(description=f"Number of matching {items}."),
                **measure_fields(),
                "groups": strawberry.field(
                    resolver=groups,
                    description=f"Per group of `groupBy`, ordered by its keys (first {DEFAULT_PAGE_SIZE} unless "
                    f"`first` says, at most {MAX_GROUPS}); empty without `groupBy`.",
                ),
            },
        ),
        description=f"Totals over the {items} matching a filter, in all and per group.",
    )

    def values(row: Any, chosen: Sequence[Grouping]) -> dict[str, Any]:
        found = {t.measure.key: t.convert(getattr(row, t.measure.key)) for t in totals}
        return found | {g.dimension.key: g.convert(getattr(row, g.dimension.key)) for g in chosen}

    async def resolve(
        self: Any,
        info: strawberry.Info,
        filter: Optional[listing.filter] = None,  # type: ignore[name-defined]  # noqa: UP045
        group_by: Annotated[
            Optional[list[group_by_enum]],  # noqa: UP045
            strawberry.argument(description="Group by these, in this order (none: only the totals)."),
        ] = None,
    ) -> statistics_type:
        chosen = [by_name[name] for name in dict.fromkeys(g.value for g in group_by or ())]
        conditions = listing.conditions(to_filter(filter, listing.domain_filter))
        statement = grouped_statement(
            info.context, listing.entity, conditions, [g.dimension for g in chosen], [t.measure for t in totals]
        )
        total, *rows = await info.context.fetch_all(statement)
        if len(rows) > MAX_GROUPS:
            raise UserInputError(f"More than {MAX_GROUPS} groups: group by fewer dimensions, or filter.")
        found = [group_type(count=row.count, **values(row, chosen)) for row in rows] if chosen else []
        counts = {t.measure.key: t.convert(getattr(total, t.measure.key)) for t in totals}
        return statistics_type(count=total.count, all_groups=found, **counts)

    return strawberry.field(resolver=resolve, description=description, directives=directives)
