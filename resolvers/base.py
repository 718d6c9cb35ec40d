"""The shared data-access machinery: entities, links, batched page/count/id loaders.

Every domain module in `resolvers/` describes its table once as an `Entity` (visibility rule,
orderings, filter clauses) and its relations once as `Link`s. The functions here turn those
descriptions into at most one SQL statement per (field, arguments) and request level:

* a root connection: one SELECT with the keyset condition (+ one COUNT when `totalCount` is
  selected);
* a nested connection for N parents: one SELECT with `unnest(:parent_ids) CROSS JOIN LATERAL
  (... LIMIT first+1)` (+ one grouped COUNT when selected);
* objects by ID or slug, in any mix: one SELECT with `id = ANY(:ids) OR slug = ANY(:slugs)`.

The same `Entity`/`Link` expressions are what a query planner reuses to compile a whole read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    String,
    Table,
    any_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.util import find_tables
from strawberry.dataloader import DataLoader

from resolvers.errors import UserInputError
from resolvers.pagination import (
    Direction,
    Ordering,
    Page,
    PageArgs,
    apply_page,
    make_page,
    page_args,
    sort_columns,
)
from resolvers.viewer import ANONYMOUS, Viewer

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

SEARCH_CONFIG = "german"
MAX_SEARCH_WORDS = 8


# --- request context ------------------------------------------------------------------------


class Loaders:
    """Per-request DataLoaders, created on first use and keyed by what they load.

    A nested connection field gets one loader per distinct argument set, so all its parents on
    one level are answered by one statement.
    """

    def __init__(self) -> None:
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def get(self, key: Hashable, load: Callable[[list[Any]], Awaitable[Sequence[Any]]]) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = DataLoader(load_fn=load)
            self._loaders[key] = loader
        return loader


@dataclass
class DataContext:
    """What the data layer needs from a request: the (autocommit) engine and the loaders."""

    engine: AsyncEngine
    loaders: Loaders = field(default_factory=Loaders)
    viewer: Viewer = ANONYMOUS
    write_engine: AsyncEngine | None = None
    """The engine for writes (transactions); `engine` reads in autocommit."""
    tables_read: set[str] | None = None
    """When a set, every read adds the tables it touched (the response cache's dependencies)."""
    known_references: set[Any] | None = None
    """When a set, the referenced rows that writes found to exist, checked once (an import)."""

    @property
    def sees_unpublished(self) -> bool:
        """Staff and admins read unpublished rows too (never soft-deleted ones)."""
        return self.viewer.is_staff

    def _track(self, query: Select[Any]) -> None:
        if self.tables_read is not None:
            self.tables_read.update(t.name for t in find_tables(query, include_aliases=True) if isinstance(t, Table))

    async def fetch_all(self, query: Select[Any]) -> list[Any]:
        self._track(query)
        async with self.engine.connect() as connection:
            result = await connection.execute(query)
            return list(result.all())

    async def fetch_scalar(self, query: Select[Any]) -> Any:
        self._track(query)
        async with self.engine.connect() as connection:
            return (await connection.execute(query)).scalar_one()


# --- entities and links ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """A table as the API sees it: which rows are visible and how lists of it can be ordered."""

    name: str
    table: Table
    orderings: dict[str, Ordering]
    default_ordering: str
    default_direction: Direction
    has_slug: bool = True

    @property
    def columns(self) -> list[ColumnElement[Any]]:
        return [c for c in self.table.c if c.name != "search_vector"]

    def visible(self, ctx: DataContext) -> ColumnElement[bool]:
        """Rows this caller may see: not deleted, and published unless the caller is staff."""
        if "deleted_at" not in self.table.c:
            return true()  # a log, not portal data (the schema decides who may read it)
        live = self.table.c.deleted_at.is_(None)
        return live if ctx.sees_unpublished else live & self.table.c.published.is_(True)

    def ordering(self, name: str | None) -> Ordering:
        return self.orderings[name or self.default_ordering]


@dataclass(frozen=True)
class Link:
    """A to-many relation from a parent row to visible rows of `target`.

    `source` is the FROM clause holding both the target table and `parent_column` (the target
    itself for a foreign key on the target; a join with the link table otherwise); `extra`
    are link-table columns the edges carry (a membership's role and since-date). `orderings`
    replace orderings of the target by name with ones on equal link-table columns that an
    index serves per parent (same name, same values, so the same order and cursors).
    """

    name: str
    target: Entity
    parent_column: ColumnElement[Any]
    source: FromClause
    extra: tuple[ColumnElement[Any], ...] = ()
    orderings: Mapping[str, Ordering] = field(default_factory=dict)

    def adapt(self, query: ListQuery) -> ListQuery:
        """`query` under this link: its ordering read from the link table where one is kept there."""
        ordering = self.orderings.get(query.ordering.name)
        return query if ordering is None else replace(query, ordering=ordering)


@dataclass(frozen=True)
class ListQuery:
    """A validated list request: filter conditions, ordering, direction and page."""

    key: Hashable
    conditions: tuple[ColumnElement[bool], ...]
    ordering: Ordering
    direction: Direction
    page: PageArgs


# --- shared filter pieces ---------------------------------------------------------------------


def search_tsquery(text: str) -> str:
    """A German tsquery with prefix matching for every word ("Herzberg" finds "Herzbergstraße").

    Only word characters reach `to_tsquery`, so no input can produce a tsquery syntax error.
    """
    words = re.findall(r"\w+", text)[:MAX_SEARCH_WORDS]
    if not words:
        raise UserInputError("The search text must contain at least one letter or digit.")
    return " & ".join(f"{word}:*" for word in words)


def tsquery(text: str) -> ColumnElement[Any]:
    return func.to_tsquery(cast(literal(SEARCH_CONFIG), REGCONFIG), literal(search_tsquery(text), String))


def search_condition(table: Table, text: str) -> ColumnElement[bool]:
    return table.c.search_vector.op("@@")(tsquery(text))


def common_conditions(table: Table, updated_since: Any, search: str | None) -> list[ColumnElement[bool]]:
    """The filters every connection takes: `updatedSince` and `search`."""
    conditions: list[ColumnElement[bool]] = []
    if updated_since is not None:
        if updated_since.tzinfo is None:
            raise UserInputError("`updatedSince` needs a time zone offset, e.g. 2026-01-01T00:00:00+01:00.")
        conditions.append(table.c.updated_at >= updated_since)
    if search is not None:
        conditions.append(search_condition(table, search))
    return conditions


def ids_param(ids: Sequence[Any], name: str = "ids") -> Any:
    return bindparam(name, list(ids), type_=ARRAY(BigInteger))


# --- loading --------------------------------------------------------------------------------


async def fetch_root_page(ctx: DataContext, entity: Entity, query: ListQuery) -> Page:
    statement = select(*entity.columns, *sort_columns(query.ordering)).where(entity.visible(ctx), *query.conditions)
    statement = apply_page(statement, query.ordering, query.direction, query.page)
    rows = await ctx.fetch_all(statement)
    return make_page(rows, query.ordering, query.page)


async def count_root(ctx: DataContext, entity: Entity, query: ListQuery) -> int:
    statement = select(func.count()).select_from(entity.table).where(entity.visible(ctx), *query.conditions)
    return int(await ctx.fetch_scalar(statement))


async def load_linked_page(ctx: DataContext, link: Link, parent_id: int, query: ListQuery) -> Page:
    """The page of `link` under one parent; batched with every sibling parent of this request."""

    query = link.adapt(query)

    async def load(parent_ids: list[int]) -> list[Page]:
        parents = func.unnest(ids_param(parent_ids, "parent_ids")).table_valued("parent_id").render_derived()
        inner = (
            select(*link.target.columns, *link.extra, *sort_columns(query.ordering))
            .select_from(link.source)
            .where(link.parent_column == parents.c.parent_id, link.target.visible(ctx), *query.conditions)
        )
        inner_page = apply_page(inner, query.ordering, query.direction, query.page).lateral("t")
        statement = select(parents.c.parent_id, inner_page).select_from(parents.join(inner_page, true()))
        grouped: dict[int, list[Any]] = {pid: [] for pid in parent_ids}
        for row in await ctx.fetch_all(statement):
            grouped[row.parent_id].append(row)
        return [make_page(grouped[pid], query.ordering, query.page) for pid in parent_ids]

    loader = ctx.loaders.get(("page", link.name, query.key), load)
    page: Page = await loader.load(parent_id)
    return page


async def count_linked(ctx: DataContext, link: Link, parent_id: int, query: ListQuery) -> int:
    """`totalCount` of a nested connection: one grouped COUNT for all parents of a level."""

    async def load(parent_ids: list[int]) -> list[int]:
        statement = (
            select(link.parent_column.label("parent_id"), func.count())
            .select_from(link.source)
            .where(link.parent_column == any_(ids_param(parent_ids)), link.target.visible(ctx), *query.conditions)
            .group_by(link.parent_column)
        )
        counts = {row[0]: row[1] for row in await ctx.fetch_all(statement)}
        return [int(counts.get(pid, 0)) for pid in parent_ids]

    loader = ctx.loaders.get(("count", link.name, query.key), load)
    count: int = await loader.load(parent_id)
    return count


RowKey = tuple[str, Any]
"""How a single row is asked for: `("id", 42)` or `("slug", "herzberg")`."""


async def load_by_key(ctx: DataContext, entity: Entity, key: RowKey) -> Any | None:
    """A visible row by id or slug (None when missing or unpublished), batched per entity.

    All ids and slugs asked for on one level of a request, in any mix, are answered by ONE
    statement: `node(id:)`, `company(slug:)` and a gateway's `_entities` all come through here.
    """

    async def load(keys: list[RowKey]) -> list[Any | None]:
        ids = [value for kind, value in keys if kind == "id"]
        slugs = [value for kind, value in keys if kind == "slug"]
        wanted: list[ColumnElement[bool]] = []
        if ids:
            wanted.append(entity.table.c.id == any_(ids_param(ids)))
        if slugs:
            wanted.append(entity.table.c.slug == any_(bindparam("slugs", slugs, type_=ARRAY(String()))))
        statement = select(*entity.columns).where(or_(*wanted), entity.visible(ctx))
        found: dict[RowKey, Any] = {}
        for row in await ctx.fetch_all(statement):
            found[("id", row.id)] = row
            if entity.has_slug:
                found[("slug", row.slug)] = row
        return [found.get(key) for key in keys]

    return await ctx.loaders.get(("key", entity.name), load).load(key)


async def load_by_id(ctx: DataContext, entity: Entity, row_id: int) -> Any | None:
    return await load_by_key(ctx, entity, ("id", row_id))


async def load_by_slug(ctx: DataContext, entity: Entity, slug: str) -> Any | None:
    return await load_by_key(ctx, entity, ("slug", slug))


async def load_one_by(
    ctx: DataContext, key: Hashable, statement: Select[Any], column: ColumnElement[Any], value: Any
) -> Any | None:
    """One row of `statement` whose `column` equals `value`, batched as `column = ANY(:values)`."""

    async def load(values: list[Any]) -> list[Any | None]:
        param = bindparam("values", values, type_=ARRAY(column.type))
        found = {
            getattr(row, str(column.key)): row for row in await ctx.fetch_all(statement.where(column == any_(param)))
        }
        return [found.get(v) for v in values]

    return await ctx.loaders.get(("one", key), load).load(value)


async def load_grouped(
    ctx: DataContext,
    key: Hashable,
    parent_id: int,
    build: Callable[[Any], Select[Any]],
) -> list[Any]:
    """Rows of a small, unpaginated list per parent (e.g. funding programmes of a project).

    `build(ids_param)` returns a SELECT whose first column is labelled `parent_id`.
    """

    async def load(parent_ids: list[int]) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = {pid: [] for pid in parent_ids}
        for row in await ctx.fetch_all(build(ids_param(parent_ids))):
            grouped[row.parent_id].append(row)
        return [grouped[pid] for pid in parent_ids]

    rows: list[Any] = await ctx.loaders.get(("grouped", key), load).load(parent_id)
    return rows


async def load_linked_edge(ctx: DataContext, link: Link, parent_pk: int, target_pk: int) -> Page:
    """The edge of `target_pk` under `parent_pk` in `link`'s default order (cursor included), as a
    one-row page: what a mutation that adds a link returns for clients to append."""
    target = link.target
    query = list_query(
        target, [target.table.c.id == target_pk], ("edge", target_pk), None, None, page_args(1, None, None, None)
    )
    return await load_linked_page(ctx, link, parent_pk, query)


def list_query(
    entity: Entity,
    conditions: Sequence[ColumnElement[bool]],
    key: Hashable,
    order: str | None,
    direction: Direction | None,
    page: PageArgs,
) -> ListQuery:
    """Bundle a list request; without `orderBy` the entity's default order applies."""
    if order is None:
        direction = entity.default_direction
    return ListQuery(
        key=(key, order, direction, page),
        conditions=tuple(conditions),
        ordering=entity.ordering(order),
        direction=direction or Direction.ASC,
        page=page,
    )
