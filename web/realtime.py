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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
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
from settings import UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION
from web import auth, limits
from web.auth import has_nul
from web.errors import Refusal

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
        result: AsyncGenerator[ExecutionResult, None] = await self.schema.stream(
            query, variable_values, context_value, root_value, operation_name, **options
        )
        return result

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


class Subscriptions(GraphQL[Context, None]):
    """The WebSocket side of `/graphql` (HTTP requests go to web/graphql.py)."""

    def __init__(self, schema: Any, operation_limits: limits.Limits) -> None:
        super().__init__(
            GuardedSchema(schema, operation_limits),  # type: ignore[arg-type]
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.max_subscriptions_per_connection = UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION.read()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.app.state
        watcher: GenerationWatcher = state.generations
        viewer = ANONYMOUS
        if not isinstance(request, WebSocket):  # SSE: the request's own headers say who calls
            try:
                viewer = await auth.authenticate(request)
            except Refusal as refusal:
                raise HTTPException(refusal.status or 400, refusal.message) from None
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
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        request = context.request
        assert request is not None
        params = context.connection_params or {}
        sent = next((value for name, value in params.items() if name.lower() == "authorization"), None)
        if sent is not None and not isinstance(sent, str):
            raise ConnectionRejectionError()
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
            watchdog = asyncio.create_task(still_allowed(request, sent, context.viewer))  # type: ignore[arg-type]
            WATCHDOGS.add(watchdog)
            watchdog.add_done_callback(WATCHDOGS.discard)
        return None

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """Other sites' pages: as for HTTP, `UPL_ANONYMOUS_ORIGINS` (same-origin pages always)."""
        allowed = request.app.state.settings.anonymous_origins
        return "*" in allowed or normalize_origin(origin) in allowed


WATCHDOGS: set[asyncio.Task[None]] = set()


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
