"""GraphQL subscriptions at `/graphql`, as Strawberry implements both protocols: over WebSocket
with `graphql-transport-ws` (the npm `graphql-ws` library's: ping/pong, the protocol's close
codes, `connection_init` within 10 s, at most `UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION` operations
per connection),
and over HTTP with GraphQL over SSE (`graphql-sse`, distinct connections mode: a request that
accepts `text/event-stream` gets `next` events, then `complete`).

The caller is known from `connection_init`: `{"Authorization": "Bearer <key>"}` (the name in any
case), else the explorer's session cookie sent with the upgrade request, else anonymous where the
deployment allows it; a wrong key closes the connection with 4403. Browser connections (an
`Origin` header) are accepted from the service's own origin and `UPL_ANONYMOUS_ORIGINS`.
Subscriptions read like queries (roles, the personal-data rule) and wake on the change
notifications (`GenerationWatcher.changed`), with a poll every `POLL_SECONDS` as the safety net
for a notification missed while the listener was down.

Per process (`Running`): at most `UPL_MAX_SUBSCRIPTIONS_PER_KEY` per key, account or anonymous
address; connections that run nothing for `UPL_SUBSCRIPTION_IDLE_SECONDS` are closed; on SIGTERM
every subscription completes and WebSockets close with 1001 before the server stops. Subscribers
of the same subscription share one evaluation and one encoding (web/sharing.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, cast

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.websocket_origin import is_same_origin, normalize_origin
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from db.enums import Role
from db.generations import GenerationWatcher
from resolvers.base import DataContext
from resolvers.feed_hub import FeedHubs
from resolvers.viewer import ANONYMOUS, Viewer
from schema.core.context import Context
from settings import (
    UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    UPL_MAX_SUBSCRIPTIONS_PER_KEY,
    UPL_SUBSCRIPTION_IDLE_SECONDS,
)
from web import auth, cors, limits
from web.auth import has_nul
from web.errors import Refusal
from web.sharing import OPERATION, DirectHandler, EncodedOnce, SharedSubscriptions

POLL_SECONDS = 5.0
READERS = ((True, Role.STAFF), (False, Role.ANONYMOUS))
"""The two visibilities of the change feed, and a role that reads each."""


class GuardedSchema:
    """The schema as the WebSocket handler sees it: every operation is measured by the same
    limits and cost caps as over HTTP (web/limits.py: no fragment bomb, no runaway cost) before
    Strawberry parses and validates it, and only subscriptions are taken (queries and mutations
    go over HTTP, through the HTTP pipeline: CSRF, idempotency keys, the cache)."""

    def __init__(self, schema: Any, limits: limits.Limits) -> None:
        self.schema, self.limits = schema, limits
        self.max_per_caller = UPL_MAX_SUBSCRIPTIONS_PER_KEY.read()
        self.running = Running(UPL_SUBSCRIPTION_IDLE_SECONDS.read())
        self.shared = SharedSubscriptions()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.schema, name)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Context | None = None,
        root_value: Any = None,
        operation_name: str | None = None,
        **options: Any,
    ) -> AsyncGenerator[ExecutionResult, None]:
        assert context_value is not None
        viewer = context_value.viewer
        try:
            refusal = self.refusal(query or "", variable_values, operation_name, viewer)
        except Refusal as exc:  # a limit, a NUL in a variable
            refusal = GraphQLError(exc.message, extensions={"code": exc.code})
        if refusal is not None:
            return refused(refusal)
        if self.running.draining.is_set():
            message = "This instance is shutting down: subscribe again (through another instance)."
            return refused(GraphQLError(message, extensions={"code": "SHUTTING_DOWN"}))
        caller = caller_of(context_value)
        if self.running.per_caller.get(caller, 0) >= self.max_per_caller:
            message = f"This key (or address) already runs {self.max_per_caller} subscriptions here; end one first."
            return refused(GraphQLError(message, extensions={"code": "TOO_MANY_SUBSCRIPTIONS"}))
        counted = self.running.enter(caller, context_value.request)

        def start() -> Awaitable[AsyncGenerator[ExecutionResult, None]]:
            return self.schema.stream(query, variable_values, context_value, root_value, operation_name, **options)

        try:
            if query is not None and SharedSubscriptions.shareable(query, operation_name):
                role, operation = viewer.role.value, OPERATION.get()
                result = await self.shared.stream(query, operation_name, variable_values, role, start, operation)
            else:
                result = await start()
        except BaseException:
            self.running.leave(*counted)
            raise
        return self.running.run(result, counted)

    def refusal(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None, viewer: Viewer
    ) -> GraphQLError | None:
        if has_nul(query):
            return GraphQLError("The document contains a NUL character.", extensions={"code": "BAD_USER_INPUT"})
        variables_key = json.dumps(variables or {}, sort_keys=True).encode()
        measured = limits.measured(
            self.schema._schema, query, operation_name, variables_key, limits.limits_for(self.limits, viewer)
        )
        if measured is limits.NOT_AN_OPERATION:
            return None  # does not parse or names no operation: Strawberry says why
        if measured.operation_type != "subscription":
            message = "Only subscriptions run over WebSocket: send queries and mutations to /graphql over HTTP."
            return GraphQLError(message, extensions={"code": "BAD_REQUEST"})
        cap = limits.COST_CAPS[viewer.role]
        if measured.cost > cap:
            message = f"The subscription may return up to {measured.cost} nodes per result; the limit is {cap}."
            return GraphQLError(message, extensions={"code": "COST_LIMIT"})
        return None


async def refused(error: GraphQLError) -> AsyncGenerator[ExecutionResult, None]:
    yield PreExecutionError(data=None, errors=[error])


def caller_of(context: Context) -> str:
    """Whose subscriptions count together: a key's, an account's, else an address's."""
    viewer = context.viewer
    if viewer.api_key_id is not None:
        return f"key:{viewer.api_key_id}"
    if viewer.user_id is not None:
        return f"user:{viewer.user_id}"
    request = context.request
    return f"address:{auth.client_address(request) if request is not None else '?'}"


class Running:
    """The subscriptions running in this process: counted per caller (the per-key limit) and per
    connection (the idle timeout), and completed when the process drains.

    Draining is cooperative, so that a running subscription costs nothing extra per result: the
    subscription fields end when `Context.draining` is set (live queries after their next
    wake-up, `changes` when its feed hub hands it the end), and `closers` wake them up.
    """

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self.per_caller: dict[str, int] = {}
        self.per_connection: dict[int, int] = {}
        self.draining = asyncio.Event()
        self.none_running = asyncio.Event()
        self.closers: list[Callable[[], None]] = []
        """Called once the drain starts: they wake the subscriptions so that they see it."""
        self.sockets: dict[int, tuple[WebSocket, float]] = {}
        """Open WebSockets and since when each runs no subscription."""
        self.sweeper: asyncio.Task[None] | None = None
        PROCESS.add(self)

    def enter(self, caller: str, connection: Any) -> tuple[str, int]:
        """Count a subscription that starts now (before its first result: the limit sees it)."""
        key = id(connection)
        self.per_caller[caller] = self.per_caller.get(caller, 0) + 1
        self.per_connection[key] = self.per_connection.get(key, 0) + 1
        self.none_running.clear()
        return caller, key

    async def run(
        self, results: AsyncGenerator[ExecutionResult, None], counted: tuple[str, int]
    ) -> AsyncGenerator[ExecutionResult, None]:
        """`results`, counted while they run."""
        caller, key = counted
        try:
            async for result in results:
                yield result
        finally:
            await results.aclose()
            self.leave(caller, key)

    def leave(self, caller: str, key: int) -> None:
        self.per_caller[caller] -= 1
        if not self.per_caller[caller]:
            del self.per_caller[caller]
        self.per_connection[key] -= 1
        if not self.per_connection[key]:
            del self.per_connection[key]
            if key in self.sockets:
                self.sockets[key] = (self.sockets[key][0], asyncio.get_running_loop().time())
        if not self.per_connection:
            self.none_running.set()

    def opened(self, websocket: WebSocket) -> None:
        """A connection to sweep when idle and to close when draining."""
        self.sockets[id(websocket)] = (websocket, asyncio.get_running_loop().time())
        if self.sweeper is None or self.sweeper.done():
            self.sweeper = asyncio.create_task(self.sweep(), name="idle-websockets")

    async def sweep(self) -> None:
        """Every little while: close connections that ran no subscription for `idle_seconds`
        (1000, "Idle"), forget closed ones (one task for all connections)."""
        while self.sockets:
            await asyncio.sleep(max(1.0, min(30.0, self.idle_seconds / 4)))  # closed within a quarter late
            now = asyncio.get_running_loop().time()
            for key, (websocket, idle_since) in list(self.sockets.items()):
                if websocket.application_state is not WebSocketState.CONNECTED:
                    del self.sockets[key]
                elif key not in self.per_connection and now - idle_since >= self.idle_seconds:
                    del self.sockets[key]
                    with contextlib.suppress(Exception):
                        await websocket.close(code=1000, reason="Idle: no subscription for a while")

    async def drain(self, seconds: float = 2.0) -> None:
        """Before the server shuts down: complete every subscription, then close every
        WebSocket with 1001 (going away) so that clients reconnect to another instance."""
        self.draining.set()
        for close in self.closers:
            close()
        if self.per_connection:
            with contextlib.suppress(TimeoutError):  # Strawberry sends each `complete`
                await asyncio.wait_for(self.none_running.wait(), timeout=seconds)
        for websocket, _ in list(self.sockets.values()):
            if websocket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await websocket.close(code=1001, reason="Going away: reconnect to another instance")


PROCESS: weakref.WeakSet[Running] = weakref.WeakSet()
"""Every app's subscriptions in this process (`drain()` ends them all)."""


async def drain() -> None:
    """What the server calls when it is told to stop, before it closes connections."""
    await asyncio.gather(*(running.drain() for running in list(PROCESS)))


def drain_on_signals() -> None:
    """On SIGTERM or SIGINT, first `drain()`, then hand the signal to the server's own handler
    (uvicorn's, gunicorn's worker's), which stops accepting and finishes requests in flight.
    Without this, uvicorn cuts WebSockets with 1012 and SSE streams when its grace ends."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(number)
        if not callable(previous):
            continue

        def handle(number: int = number, previous: Any = previous) -> None:
            loop.remove_signal_handler(number)
            signal.signal(number, previous)  # a second signal goes straight to the server
            loop.create_task(drain()).add_done_callback(lambda _: previous(number, None))

        with contextlib.suppress(ValueError, RuntimeError):  # not the main thread: nothing to do
            loop.add_signal_handler(number, handle)


class Subscriptions(GraphQL[Context, None]):
    """The WebSocket side of `/graphql` (HTTP requests go to web/graphql.py)."""

    graphql_transport_ws_handler_class = DirectHandler

    def __init__(self, schema: Any, operation_limits: limits.Limits) -> None:
        super().__init__(
            GuardedSchema(schema, operation_limits),  # type: ignore[arg-type]
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.max_subscriptions_per_connection = UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION.read()
        self.encoded = EncodedOnce()

    def encode_json(self, data: object) -> str:
        """Messages to subscribers; a result they share is encoded once for all (web/sharing.py)."""
        return self.encoded.message(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.app.state
        watcher: GenerationWatcher = state.generations
        viewer = ANONYMOUS
        if not isinstance(request, WebSocket):  # SSE: the request's own headers say who calls
            try:
                viewer = await auth.authenticate(request)
            except Refusal as refusal:
                raise HTTPException(refusal.status or 400, refusal.message) from None
            forbidden = cors.origin_refusal(request, viewer)  # another site's page: as for queries
            if forbidden is not None:
                raise HTTPException(403, forbidden)
            if (origin := cors.cross_origin(request)) is not None:
                cast(MutableHeaders, response.headers).update(cors.cors_headers(origin))
        return Context(
            engine=state.read_engine,
            write_engine=None,
            viewer=viewer,
            feeds=state.feeds,
            request=request,  # type: ignore[arg-type]
            portal_url=state.settings.portal_url,
            read_pool=state.read_pool,
            changes=lambda: changed(watcher),
            generations=watcher.current,
            draining=self.schema.running.draining,  # type: ignore[attr-defined]
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        request = context.request
        assert request is not None
        params = context.connection_params or {}
        sent = next((value for name, value in params.items() if name.lower() == "authorization"), None)
        if sent is not None and not isinstance(sent, str):
            raise ConnectionRejectionError()
        self.schema.running.opened(request)  # type: ignore[attr-defined]
        origin = request.headers.get("origin")
        if sent is None and origin is not None and not is_same_origin(origin, request.headers.get("host")):
            # another site's page: its user's session cookie does not count (no cross-site socket
            # acting as the user); a key in connection_init, or anonymous, does
            context.viewer = ANONYMOUS
            if not request.app.state.settings.anonymous_access:
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
            return None
        try:
            context.viewer = await auth.authenticate(request, authorization=sent)
        except Refusal as refusal:
            raise ConnectionRejectionError({"code": refusal.code, "message": refusal.message}) from None
        if context.viewer is not ANONYMOUS:
            watch(still_allowed(request, sent, context.viewer))  # type: ignore[arg-type]
        return None

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """Other sites' pages: as for HTTP, `UPL_ANONYMOUS_ORIGINS` (same-origin pages always)."""
        allowed = request.app.state.settings.anonymous_origins
        return "*" in allowed or normalize_origin(origin) in allowed


WATCHDOGS: set[asyncio.Task[None]] = set()


def watch(work: Coroutine[Any, Any, None]) -> None:
    """Run a connection's watchdog, kept referenced while it runs."""
    watchdog = asyncio.create_task(work)
    WATCHDOGS.add(watchdog)
    watchdog.add_done_callback(WATCHDOGS.discard)


async def still_allowed(websocket: WebSocket, authorization: str | None, viewer: Viewer) -> None:
    """Close the connection with 4403 once its key is revoked or its session ended (checked after
    every announced change of keys or users, and every `POLL_SECONDS`)."""
    watcher: GenerationWatcher = websocket.app.state.generations
    while websocket.application_state is WebSocketState.CONNECTED:
        await changed(watcher)
        try:
            now = await auth.authenticate(websocket, authorization=authorization)
        except Refusal:
            now = None
        except Exception:  # the database away: judge again next time
            continue
        if now is None or now.role is not viewer.role or now.user_id != viewer.user_id:
            if websocket.application_state is WebSocketState.CONNECTED:
                await websocket.close(code=4403, reason="Forbidden: the credentials were revoked")
            return


def wants_event_stream(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/event-stream" in value.lower()
    return False


class GraphQLOverHTTP:
    """`/graphql` over HTTP: GraphQL over SSE (`graphql-sse`, distinct connections mode) when the
    client accepts `text/event-stream`, to Strawberry's view; everything else to web/graphql.py."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self.endpoint = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if wants_event_stream(scope):
            await scope["app"].state.subscriptions(scope, receive, send)
        else:
            await self.endpoint(scope, receive, send)


def feed_hubs(read_engine: Any, watcher: GenerationWatcher) -> FeedHubs:
    """The process's shared readers of the change feed (resolvers/feed_hub.py), one per visibility."""
    readers = {staff: DataContext(engine=read_engine, viewer=Viewer(role=role)) for staff, role in READERS}
    return FeedHubs(readers, lambda: changed(watcher))


async def changed(watcher: GenerationWatcher) -> None:
    """Until a change is announced, or `POLL_SECONDS` passed."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher.changed.wait(), timeout=POLL_SECONDS)
