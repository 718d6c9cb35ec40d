"""The plans of fields: what a field is made of, as data (schema/core/fields.py declares them,
the planner compiles them, `build` makes Python objects from them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField
from sqlalchemy import ColumnElement, and_, or_

from resolvers.base import Entity, Link, ListQuery, list_query
from resolvers.pagination import page_args
from schema.core.context import to_filter

PLAN = "upl.plan"


@dataclass(frozen=True)
class Column:
    """A column of the source row (default: the field's Python name); `convert` for Python."""

    name: str | None = None
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Source:
    """The source value itself (the amount of a Money made of one column)."""


@dataclass(frozen=True)
class Constant:
    value: Any


@dataclass(frozen=True)
class Value:
    """Any SQL expression of the source, and the same computed in Python."""

    sql: Callable[[Any], ColumnElement[Any]]
    python: Callable[[Any], Any]


@dataclass(frozen=True)
class GlobalId:
    """The object's global ID (`Type:pk`, base64)."""


@dataclass(frozen=True)
class Embedded:
    """An object whose fields read the same row (`column=None`) or one column's value."""

    column: str | None = None


@dataclass(frozen=True)
class One:
    """One object of `entity` whose `target_column` equals this row's `key` (null when not visible)."""

    entity: Entity
    key: str
    target_column: str = "id"


@dataclass(frozen=True)
class Listing:
    """A list of one entity as GraphQL offers it, declared once for the root list and every link
    to it: the node type, the filter and order inputs, the data layer's filter dataclass and
    the conditions it makes."""

    entity: Entity
    node: type
    filter: type
    order: type
    domain_filter: type
    conditions: Callable[[Any], Sequence[ColumnElement[bool]]]

    def query(
        self, filter: Any, order_by: Any, first: int | None, after: str | None, last: int | None, before: str | None
    ) -> ListQuery:
        """The data layer's list request for these GraphQL arguments."""
        domain_filter = to_filter(filter, self.domain_filter)
        return list_query(
            self.entity,
            self.conditions(domain_filter),
            domain_filter,
            order_by.field.value if order_by else None,
            order_by.direction if order_by else None,
            page_args(first, after, last, before),
        )


@dataclass(frozen=True)
class Many:
    """A connection of `listing`: at the root (`link=None`) or under the parent row through `link`."""

    listing: Listing
    link: Link | None = None


@dataclass(frozen=True)
class Lookup:
    """At the root: one object of `listing` by `id` or `slug`."""

    listing: Listing


@dataclass(frozen=True)
class NodeById:
    """`node(id:)`: the ID names the type, whose entity the type declares (`source`)."""


@dataclass(frozen=True)
class Computed:
    """Its own SQL: `sql(planner, selected, source)`, beside the field's resolver."""

    sql: Callable[..., ColumnElement[Any]]


Plan = Column | Source | Constant | Value | GlobalId | Embedded | One | Many | Lookup | NodeById | Computed


@dataclass(frozen=True)
class Presence:
    """When an embedded object exists: any of `any_of` columns set, all of `all_of` set, or (with
    neither) its source value not null. Declared once per embedded type, read by both paths."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()

    def present(self, source: Any) -> bool:
        if self.any_of:
            return any(getattr(source, c) is not None for c in self.any_of)
        if self.all_of:
            return all(getattr(source, c) is not None for c in self.all_of)
        return source is not None

    def absent_sql(self, source: Any) -> ColumnElement[bool]:
        if self.any_of:
            return and_(*(source.c[c].is_(None) for c in self.any_of))
        if self.all_of:
            return or_(*(source.c[c].is_(None) for c in self.all_of))
        return source.is_(None)


def plan_of(field: Any) -> Plan | None:
    """The plan of a field: of a graphql-core field (through Strawberry's back reference) or of a
    Strawberry field; None for fields declared without one."""
    strawberry_field = field.extensions.get("strawberry-definition") if isinstance(field, GraphQLField) else field
    metadata = getattr(strawberry_field, "metadata", None) or {}
    plan: Plan | None = metadata.get(PLAN)
    return plan
