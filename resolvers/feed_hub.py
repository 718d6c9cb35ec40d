"""One reader of the change feed per process and visibility, for every subscriber of `changes`.

Without it each subscriber read the feed itself on every announced change: 1,000 subscribers
meant ~450 statements per change and a p99 of 2 s on one worker (`make bench-realtime`). A hub
reads what is new after its position once per wake-up and hands the rows to every subscriber's
queue; each subscriber keeps its own cursor and type filter.

Joining without a gap: a subscriber replays from its `since` on its own until it has caught up,
then registers with the hub and takes the hub's position in the same step (no await between
them). Rows between its own cursor and that position it reads itself; rows up to its cursor
that the hub delivers again it skips. Positions are the feed's total order `(xid, seq)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from resolvers.base import DataContext
from resolvers.changes import FeedPosition, feed_statement, head_statement
from resolvers.pagination import MAX_PAGE_SIZE, page_args


def position_of(row: Any) -> FeedPosition:
    return FeedPosition(int(row.xid), row.seq)


async def read_after(ctx: DataContext, position: FeedPosition, types: list[str]) -> list[Any]:
    """One page of the rows `ctx` may see after `position` (`MAX_PAGE_SIZE + 1`: more follow)."""
    page = page_args(MAX_PAGE_SIZE, position.encode(), None, None)
    return await ctx.fetch_all(feed_statement(ctx, position, types, page))


async def head(ctx: DataContext) -> FeedPosition:
    rows = await ctx.fetch_all(head_statement())
    return position_of(rows[0]) if rows else FeedPosition(0, 0)


class FeedHub:
    """The feed as one visibility class sees it, read once per wake-up for all its subscribers."""

    def __init__(self, ctx: DataContext, types: list[str], wait: Callable[[], Awaitable[None]]) -> None:
        self.ctx, self.types, self.wait = ctx, types, wait
        self.position: FeedPosition | None = None
        self.queues: set[asyncio.Queue[list[Any] | None]] = set()
        self.task: asyncio.Task[None] | None = None
        self.starting = asyncio.Lock()

    async def join(self) -> tuple[asyncio.Queue[list[Any] | None], FeedPosition]:
        """A queue of the batches read from now on (None: the end, the process stops), and the
        position they start after."""
        async with self.starting:
            if self.position is None:
                self.position = await head(self.ctx)
            queue: asyncio.Queue[list[Any] | None] = asyncio.Queue()
            self.queues.add(queue)
            if self.task is None or self.task.done():
                self.task = asyncio.create_task(self.run(), name="feed-hub")
            return queue, self.position

    def leave(self, queue: asyncio.Queue[list[Any] | None]) -> None:
        self.queues.discard(queue)
        if not self.queues and self.task is not None:
            self.task.cancel()
            self.task, self.position = None, None  # the next subscriber starts the hub afresh

    def end(self) -> None:
        """Tell every subscriber that no batch follows."""
        for queue in self.queues:
            queue.put_nowait(None)

    async def run(self) -> None:
        while True:
            await self.wait()
            with contextlib.suppress(Exception):  # the database away: read again after the next wake-up
                await self.read_new()

    async def read_new(self) -> None:
        while self.position is not None:
            rows = await read_after(self.ctx, self.position, self.types)
            batch = rows[:MAX_PAGE_SIZE]
            if batch:
                self.position = position_of(batch[-1])
                for queue in self.queues:
                    queue.put_nowait(batch)
            if len(rows) <= MAX_PAGE_SIZE:
                return


class FeedHubs:
    """The hubs of one process, one per visibility (staff see unpublished rows, others do not);
    `contexts` holds a reading context of each."""

    def __init__(self, contexts: dict[bool, DataContext], wait: Callable[[], Awaitable[None]]) -> None:
        self.contexts, self.wait = contexts, wait
        self.hubs: dict[tuple[bool, tuple[str, ...]], FeedHub] = {}

    def of(self, ctx: DataContext, types: list[str]) -> FeedHub:
        """The hub of `ctx`'s visibility reading `types` (every type: subscribers filter their own)."""
        key = (ctx.sees_unpublished, tuple(types))
        if key not in self.hubs:
            self.hubs[key] = FeedHub(self.contexts[ctx.sees_unpublished], types, self.wait)
        return self.hubs[key]

    def end(self) -> None:
        """The process stops: every subscriber of every hub is told that nothing follows."""
        for hub in self.hubs.values():
            hub.end()
