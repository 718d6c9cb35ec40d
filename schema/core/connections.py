"""Relay connections: page information, edges, connections, and building them from pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import ColumnElement

from resolvers.base import (
    DataContext,
    Entity,
    ListQuery,
    count_root,
    fetch_root_page,
    list_query,
)
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageArgs

FIRST = f"Page forwards: at most this many items (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
AFTER = "Page forwards: the items after this cursor (`pageInfo.endCursor` or an edge's `cursor`)."
LAST = f"Page backwards: at most this many items (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
BEFORE = "Page backwards: the items before this cursor (`pageInfo.startCursor` or an edge's `cursor`)."

NodeT = TypeVar("NodeT")


@strawberry.federation.type(shareable=True, description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page (paging forwards).")
    has_previous_page: bool = strawberry.field(
        description="Whether items precede this page (paging backwards; forwards: whether a cursor was given)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item of this page: pass it as `after` for the next one."
    )

    @staticmethod
    def of(page: Page) -> PageInfo:
        return PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class ConnectionBase:
    """Fields every connection has; `totalCount` runs its COUNT only when selected."""

    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items matching the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count_total()


@strawberry.type
class Connection(ConnectionBase, Generic[NodeT]):
    edges: list[Edge[NodeT]]

    @strawberry.field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def connection(page: Page, to_node: Callable[[Any], Any], count_total: Callable[[], Awaitable[int]]) -> Connection[Any]:
    return Connection(
        edges=[Edge(cursor=c, node=to_node(r)) for r, c in zip(page.rows, page.cursors, strict=True)],
        page_info=PageInfo.of(page),
        count_total=count_total,
    )


async def natural_connection(
    ctx: DataContext,
    entity: Entity,
    conditions: Sequence[ColumnElement[bool]],
    key: Hashable,
    page: PageArgs,
    to_node: Callable[[Any], Any],
) -> Connection[Any]:
    """A root connection of a log-like list in its entity's own order (no `orderBy`: the audit
    log, webhook deliveries)."""
    return await root_connection(ctx, entity, list_query(entity, conditions, key, None, None, page), to_node)


async def root_connection(
    ctx: DataContext, entity: Entity, query: ListQuery, to_node: Callable[[Any], Any]
) -> Connection[Any]:
    page = await fetch_root_page(ctx, entity, query)
    return connection(page, to_node, lambda: count_root(ctx, entity, query))
