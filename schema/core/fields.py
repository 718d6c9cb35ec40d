"""One declaration per field: what each field is made of, read by both execution paths.

A domain declares each field of its types once, with one of the helpers below. The helper
returns a Strawberry field that answers on the DataLoader path and carries its `Plan` in the
field's metadata; the planner (schema/core/planner.py) reads the plans from the composed schema
and compiles a read into one SQL statement. What a field is made of:

* `column()`: a column of the object's row (its SQL type says how it prints);
* `source()`, `constant()`, `expression()`: the source value itself (Money's amount), a constant, or
  any SQL expression of the row with its Python twin (an Ortsteil's name);
* `embedded()`: an object of the same row, or of one column's value (Address, Venue, Money);
  its type says with `presence` when it is null;
* `one()`: one object of another entity by a key of this row (an event's host);
* `many()`: a connection, at the root or through a `Link` (a network's members);
* `lookup()`: one object by ID or slug, at the root;
* `computed()`: a resolver with its own SQL (a venue's address: its own or its space's).

A field declared any other way (a plain `@strawberry.field` resolver: contacts, `jsonLd`,
`icalUrl`, federation fields) has no plan and takes the DataLoader path. `build()` makes the
Python objects of row-built types from their declarations, so `from_row` is written nowhere.

This module has no `from __future__ import annotations`: the resolvers it makes carry real
annotation objects (the filter and order inputs of a listing), which Strawberry reads.
"""

import dataclasses
import datetime as dt
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any, ClassVar, Optional

import strawberry
from sqlalchemy import ColumnElement, select
from strawberry.types.base import StrawberryContainer, StrawberryOptional

from resolvers.base import (
    Entity,
    Link,
    count_linked,
    count_root,
    fetch_root_page,
    load_by_id,
    load_linked_page,
    load_one_by,
)
from resolvers.pagination import Page
from schema.core.connections import Connection, ConnectionBase, Edge, PageInfo
from schema.core.context import BERLIN
from schema.core.ids import encode_id
from schema.core.live import live
from schema.core.nodes import find_one
from schema.core.plans import (
    PLAN,
    Column,
    Computed,
    Constant,
    Embedded,
    GlobalId,
    Listing,
    Lookup,
    Many,
    One,
    Plan,
    Presence,
    Source,
    Value,
    plan_of,
)

# --- declaring fields -------------------------------------------------------------------------


def _field(plan: Plan, description: str, **options: Any) -> Any:
    return strawberry.field(description=description, metadata={PLAN: plan}, **options)


def column(description: str, name: str | None = None, convert: Callable[[Any], Any] | None = None) -> Any:
    return _field(Column(name, convert), description)


def source(description: str) -> Any:
    return _field(Source(), description)


def constant(description: str, value: Any) -> Any:
    return _field(Constant(value), description)


def expression(description: str, sql: Callable[[Any], ColumnElement[Any]], python: Callable[[Any], Any]) -> Any:
    return _field(Value(sql, python), description)


def global_id(description: str = "Opaque global ID.") -> Any:
    return _field(GlobalId(), description)


def embedded(description: str, column: str | None = None) -> Any:
    return _field(Embedded(column), description)


def one(entity: Entity, node: type, key: str, *, description: str, target_column: str = "id") -> Any:
    """One object of `entity` (as `node`) by this row's `key`, batched per request level."""
    plan = One(entity, key, target_column)

    async def resolve(self: Any, info: strawberry.Info) -> Optional[node]:  # type: ignore[valid-type]  # noqa: UP045
        found = await load_one(info.context, plan, getattr(self.row, key))
        return None if found is None else node.from_row(found)  # type: ignore[attr-defined]

    return strawberry.field(resolver=resolve, description=description, metadata={PLAN: plan})


async def load_one(ctx: Any, plan: One, value: Any) -> Any | None:
    if value is None:
        return None
    if plan.target_column == "id":
        return await load_by_id(ctx, plan.entity, value)
    entity, column = plan.entity, plan.entity.table.c[plan.target_column]
    statement = select(*entity.columns).where(entity.visible(ctx))
    return await load_one_by(ctx, (entity.name, plan.target_column), statement, column, value)


def many(
    listing: Listing,
    link: Link | None = None,
    *,
    description: str,
    connection: Any = None,
    edge: type | None = None,
    directives: Sequence[object] = (),
) -> Any:
    """A connection of `listing` with `first/after/last/before`, `filter` and `orderBy`: at the
    root, or under the parent through `link` (one statement per level for all parents)."""
    result_type = connection or Connection[listing.node]  # type: ignore[name-defined]
    edge_type = edge or Edge
    plan = Many(listing, link)

    async def resolve(
        self: Any,
        info: strawberry.Info,
        first: Optional[int] = None,  # noqa: UP045
        after: Optional[str] = None,  # noqa: UP045
        last: Optional[int] = None,  # noqa: UP045
        before: Optional[str] = None,  # noqa: UP045
        filter: Optional[listing.filter] = None,  # type: ignore[name-defined]  # noqa: UP045
        order_by: Optional[listing.order] = None,  # type: ignore[name-defined]  # noqa: UP045
    ) -> result_type:  # type: ignore[valid-type]
        ctx = info.context
        query = listing.query(filter, order_by, first, after, last, before)
        count: Callable[[], Awaitable[int]]
        if link is None:
            page = await fetch_root_page(ctx, listing.entity, query)
            count = lambda: count_root(ctx, listing.entity, query)  # noqa: E731
        else:
            page = await load_linked_page(ctx, link, self.pk, query)
            count = lambda: count_linked(ctx, link, self.pk, query)  # noqa: E731
        return make_connection(result_type, edge_type, page, listing.node, count)

    return strawberry.field(resolver=resolve, description=description, directives=directives, metadata={PLAN: plan})


def live_many(listing: Listing, *, description: str, directives: Sequence[object] = ()) -> Any:
    """A live list: the root connection of `listing` for `first`, `filter` and `orderBy`, now and
    again whenever its answer to the subscription's selection would differ (schema/core/live.py)."""
    result_type = Connection[listing.node]  # type: ignore[name-defined]

    async def resolve(
        self: Any,
        info: strawberry.Info,
        first: Optional[int] = None,  # noqa: UP045
        filter: Optional[listing.filter] = None,  # type: ignore[name-defined]  # noqa: UP045
        order_by: Optional[listing.order] = None,  # type: ignore[name-defined]  # noqa: UP045
    ) -> AsyncGenerator[result_type, None]:
        query = listing.query(filter, order_by, first, None, None, None)

        async def load() -> Any:
            ctx = info.context
            page = await fetch_root_page(ctx, listing.entity, query)
            count = lambda: count_root(ctx, listing.entity, query)  # noqa: E731
            return make_connection(result_type, Edge, page, listing.node, count)

        async for answer in live(info, load):
            yield answer

    return strawberry.subscription(resolver=resolve, description=description, directives=directives)


def link_connection(node: type, name: str, description: str, extras: dict[str, tuple[Any, Any]]) -> tuple[Any, Any]:
    """An edge type carrying a link's own fields (`extras`: name -> (annotation, declaration), e.g. a
    membership's role) beside `cursor` and `node`, and its connection type with `nodes`."""
    edge = strawberry.type(
        type(
            f"{name}Edge",
            (),
            {
                "__annotations__": {"cursor": str, "node": node, **{k: t for k, (t, _) in extras.items()}},
                **{k: declared for k, (_, declared) in extras.items()},
            },
        ),
        description=description,
    )

    def nodes(self: Any) -> list[node]:  # type: ignore[valid-type]
        return [item.node for item in self.edges]

    connection = strawberry.type(
        type(
            f"{name}Connection",
            (ConnectionBase,),
            {"__annotations__": {"edges": list[edge]}, "nodes": strawberry.field(resolver=nodes)},  # type: ignore[valid-type]
        )
    )
    return edge, connection


def make_connection(connection: Any, edge: Any, page: Page, node: Any, count: Callable[[], Awaitable[int]]) -> Any:
    """A connection of `page`'s rows: edges with cursor, node and the link's own fields."""
    extras = edge_extras(edge)
    edges = [
        edge(cursor=cursor, node=node.from_row(row), **{name: python_value(plan, row) for name, plan in extras})
        for row, cursor in zip(page.rows, page.cursors, strict=True)
    ]
    return connection(edges=edges, page_info=PageInfo.of(page), count_total=count)


def lookup(listing: Listing, *, description: str, directives: Sequence[object] = ()) -> Any:
    """At the root: one object by global ID or by slug (exactly one of them), null when not visible."""

    async def resolve(
        self: Any,
        info: strawberry.Info,
        id: Optional[strawberry.ID] = None,  # noqa: UP045
        slug: Optional[str] = None,  # noqa: UP045
    ) -> Optional[listing.node]:  # type: ignore[name-defined]  # noqa: UP045
        return await find_one(info.context, listing.entity, id, slug, listing.node.from_row)  # type: ignore[attr-defined]

    plan = Lookup(listing)
    return strawberry.field(resolver=resolve, description=description, directives=directives, metadata={PLAN: plan})


def computed(sql: Callable[..., ColumnElement[Any]], description: str) -> Callable[[Callable[..., Any]], Any]:
    """A resolver whose SQL twin is `sql(planner, selected, source)`."""

    def declare(resolver: Callable[..., Any]) -> Any:
        return strawberry.field(resolver=resolver, description=description, metadata={PLAN: Computed(sql)})

    return declare


# --- Python objects from their declarations ------------------------------------------------


class FromRow:
    """A type whose objects are built from a row (or a column's value) as its fields declare:
    `from_row` is `build`, written once here. A type may keep its source as a private `row`
    (for its `one()` fields), an entity its `pk`."""

    presence: ClassVar[Presence | None] = None

    @classmethod
    def from_row(cls, row: Any) -> Any:
        return build(cls, row)


def build(cls: type, source: Any) -> Any | None:
    """An object of the declared type `cls` from `source`, or None when `cls.presence` says so."""
    presence: Presence | None = getattr(cls, "presence", None)
    if presence is not None and not presence.present(source):
        return None
    values: dict[str, Any] = {}
    types = {f.python_name: f.type for f in cls.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        if field.name == "row":
            values["row"] = source
        elif field.name == "pk":
            values["pk"] = source.id
        else:
            plan = plan_of(field)
            if plan is None:
                raise TypeError(f"{cls.__name__}.{field.name} is declared without a plan")
            if isinstance(plan, GlobalId):
                values[field.name] = strawberry.ID(encode_id(cls.__strawberry_definition__.name, source.id))  # type: ignore[attr-defined]
            elif isinstance(plan, Embedded):
                inner = source if plan.column is None else getattr(source, plan.column)
                values[field.name] = build(named_type(types[field.name]), inner)
            else:
                values[field.name] = python_value(plan, source, field.name)
    return cls(**values)


def python_value(plan: Plan, source: Any, name: str = "") -> Any:
    """What a column, source, constant or value plan gives in Python (times in Europe/Berlin)."""
    if isinstance(plan, Column):
        found = getattr(source, plan.name or name)
        if isinstance(found, dt.datetime):
            found = found.astimezone(BERLIN)
        return plan.convert(found) if plan.convert is not None and found is not None else found
    if isinstance(plan, Source):
        return source
    if isinstance(plan, Constant):
        return plan.value
    if isinstance(plan, Value):
        return plan.python(source)
    raise TypeError(f"no Python value for {plan}")


def named_type(annotation: Any) -> type:
    while isinstance(annotation, StrawberryOptional | StrawberryContainer):
        annotation = annotation.of_type
    return annotation


def edge_extras(edge: type) -> list[tuple[str, Plan]]:
    """The fields an edge type carries besides `cursor` and `node` (a membership's role), with plans."""
    found = []
    for field in edge.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        plan = plan_of(field)
        if field.python_name not in ("cursor", "node") and plan is not None:
            found.append((field.python_name, plan))
    return found
