"""One evaluation for every subscriber of the same subscription.

Subscribers of the same document, operation, variables and role get the same results, so one
producer runs the subscription (Strawberry's stream, with the first subscriber's context) and
hands each result to every subscriber: per change the fields are resolved once, and the live
queries read the database once, however many subscribe.

A WebSocket subscriber's results are written by the producer itself, one subscriber after the
other, on the subscriber's graphql-transport-ws operation (`DirectHandler` makes it known);
its own operation task only waits for the end. That saves, per message and subscriber, a queue,
a task switch and three generator steps (`make bench-realtime`). A send that takes longer than
`SEND_SECONDS` (a client that stopped reading) ends that subscription rather than holding up
the others. SSE subscribers read from a queue each.

Live queries (`node`, `events`) are state: a subscriber joining a running producer gets the
latest result at once. `changes` is a stream of events: a subscriber without `since` gets what
commits after it joined, as on its own. `changes(since:)` replays from its own cursor and is
never shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

EVENT_FIELDS = frozenset({"changes"})
"""Root fields whose results are events, not state (a late subscriber gets no earlier one)."""
END = None
SEND_SECONDS = 5.0
"""How long one subscriber's send may hold up the others before its subscription ends."""

OPERATION: ContextVar[Any] = ContextVar("upl_ws_operation", default=None)
"""The graphql-transport-ws operation whose task runs now (set by `DirectHandler`)."""


class DirectHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's graphql-transport-ws handler, telling the schema which operation subscribes."""

    async def run_operation(self, operation: Any) -> None:
        OPERATION.set(operation)
        await super().run_operation(operation)


async def deliver(operation: Any, result: ExecutionResult) -> None:
    """A result to one WebSocket operation, as Strawberry's own loop would send it."""
    if isinstance(result, PreExecutionError):
        await operation.send_initial_errors(result.errors or [])
    else:
        await operation.send_next(result)


@lru_cache(maxsize=1024)
def root_fields(query: str, operation_name: str | None) -> tuple[tuple[str, frozenset[str]], ...] | None:
    """The operation's root fields with the names of their arguments (None: does not parse)."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        return None
    return tuple(
        (s.name.value, frozenset(a.name.value for a in s.arguments or ()))
        for s in chosen[0].selection_set.selections
        if isinstance(s, FieldNode)
    )


class Producer:
    """One running subscription whose results go to every subscriber's queue."""

    def __init__(self, results: AsyncGenerator[ExecutionResult, None], is_state: bool, done: Callable[[], None]):
        self.results, self.is_state, self.done = results, is_state, done
        self.queues: set[asyncio.Queue[ExecutionResult | None]] = set()
        self.direct: dict[Any, asyncio.Future[None]] = {}
        """WebSocket operations written to by this producer, with the future their task awaits."""
        self.latest: ExecutionResult | None = None
        self.finished = False
        self.task = asyncio.create_task(self.run(), name="shared-subscription")

    async def run(self) -> None:
        try:
            async for result in self.results:
                if self.is_state:
                    self.latest = result
                for queue in self.queues:
                    queue.put_nowait(result)
                if self.direct:
                    await self.fan_out(result)
        finally:
            self.finished = True
            self.done()
            for queue in self.queues:
                queue.put_nowait(END)
            for ended in self.direct.values():
                if not ended.done():
                    ended.set_result(None)
            with contextlib.suppress(Exception):
                await self.results.aclose()

    async def fan_out(self, result: ExecutionResult) -> None:
        for operation, ended in list(self.direct.items()):
            if ended.done():
                continue
            try:
                async with asyncio.timeout(SEND_SECONDS):
                    await deliver(operation, result)
            except Exception:  # the connection went away, or stopped reading: this one ends
                if not ended.done():
                    ended.set_result(None)

    async def attach(self, operation: Any) -> AsyncGenerator[ExecutionResult, None]:
        """The subscription of one WebSocket operation: this producer writes to it; the
        operation's task waits here until the producer ends or the client completes."""
        ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            sent = None
            while self.latest is not None and self.latest is not sent:  # a live query: the current answer
                sent = self.latest
                await deliver(operation, sent)
            if not self.finished:
                self.direct[operation] = ended  # (no await since the last check: nothing is missed)
                await ended
        finally:
            self.direct.pop(operation, None)
            self.release()
        return
        yield  # an async generator that yields nothing: Strawberry sends `complete` at its end

    def release(self) -> None:
        """Stop the producer when nobody reads any more."""
        if not self.queues and not self.direct and not self.task.done():
            self.task.cancel()
            self.done()

    def join(self) -> asyncio.Queue[ExecutionResult | None]:
        queue: asyncio.Queue[ExecutionResult | None] = asyncio.Queue()
        if self.latest is not None:
            queue.put_nowait(self.latest)
        if self.finished:
            queue.put_nowait(END)
        self.queues.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[ExecutionResult | None]) -> None:
        self.queues.discard(queue)
        self.release()


class SharedSubscriptions:
    """The producers of one app, by document, operation, variables and role."""

    def __init__(self) -> None:
        self.producers: dict[tuple[str, str | None, str, str], Producer] = {}

    @staticmethod
    def shareable(query: str, operation_name: str | None) -> bool:
        fields = root_fields(query, operation_name)
        return fields is not None and not any(name in EVENT_FIELDS and "since" in args for name, args in fields)

    async def stream(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        role: str,
        start: Callable[[], Awaitable[AsyncGenerator[ExecutionResult, None]]],
        operation: Any = None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        """The shared results of this subscription, starting its producer if none runs; for a
        WebSocket `operation`, written to it by the producer."""
        key = (query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str), role)
        producer = self.producers.get(key)
        if producer is None or producer.finished:
            fields = root_fields(query, operation_name) or ()
            is_state = not any(name in EVENT_FIELDS for name, _ in fields)
            results = await start()
            producer = Producer(results, is_state, lambda: self.forget(key, producer))
            self.producers[key] = producer
        if operation is not None:
            return producer.attach(operation)
        return self.consume(producer, producer.join())

    def forget(self, key: tuple[str, str | None, str, str], producer: Producer | None) -> None:
        if self.producers.get(key) is producer:
            del self.producers[key]

    @staticmethod
    async def consume(
        producer: Producer, queue: asyncio.Queue[ExecutionResult | None]
    ) -> AsyncGenerator[ExecutionResult, None]:
        try:
            while (result := await queue.get()) is not END:
                yield result
        finally:
            producer.leave(queue)


class EncodedOnce:
    """JSON of the results subscribers share, encoded once for all of them: a shared result is
    the same `data` object for every subscriber, so its text is kept by identity (the last few,
    each with a reference, so an identity is never reused while kept)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.kept: dict[int, tuple[object, str]] = {}

    def of(self, data: object) -> str:
        found = self.kept.get(id(data))
        if found is not None and found[0] is data:
            return found[1]
        text = dumps(data)
        if len(self.kept) >= self.size:
            del self.kept[next(iter(self.kept))]
        self.kept[id(data)] = (data, text)
        return text

    def message(self, message: object) -> str:
        """A `graphql-transport-ws` message; a `next` with only `data` reuses the data's text."""
        if isinstance(message, dict) and message.get("type") == "next":
            payload = message.get("payload")
            if isinstance(payload, dict) and payload.keys() == {"data"}:
                return f'{{"id":{dumps(message["id"])},"type":"next","payload":{{"data":{self.of(payload["data"])}}}}}'
        return dumps(message)


def dumps(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson does not take (e.g. a non-str key): as Strawberry would
        return json.dumps(value, separators=(",", ":"))
