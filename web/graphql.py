"""`/graphql` over the GraphQL-over-HTTP specification, as a pipeline of named stages.

Strawberry's own view answers `application/json` only; this endpoint follows the spec:
`application/graphql-response+json` when the client accepts it, with 400 for unparsable or
invalid documents and for variables that do not coerce (and no `data` entry then), GET for
queries only (405 for mutations), 415 for unsupported content types and 406 for unacceptable
`Accept` headers.

Each stage takes the request's `Call` and either fills in a part of it, answers the request
itself (a cache hit, the planned read, the executed result) or raises `Refusal`, which renders
every error body the same way:

    media type -> caller -> parameters -> CORS -> document -> limits and cost -> rate limit
    -> idempotency key -> response cache -> planned read -> execution -> caching headers
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import strawberry
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from resolvers import idempotency
from resolvers.errors import quoted
from resolvers.viewer import ANONYMOUS, Viewer
from schema.core.context import Context
from schema.core.errors import database_trouble
from schema.core.subgraph import wants_trace
from settings import Settings
from web import auth, caching, cors, limits, metrics, observe, persisted, retries, routing, tracing
from web.errors import GRAPHQL_RESPONSE, JSON, Refusal
from web.planning import planned_response
from web.requests import Params, header, request_params


@dataclass
class Call:
    """One request to `/graphql` on its way through the stages."""

    request: Request
    media_type: str = JSON
    viewer: Viewer = ANONYMOUS
    params: Params = field(default_factory=lambda: Params(None, None, None, None))
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers every answer from here on carries (CORS, rate limit)."""
    measured: limits.Measured = limits.NOT_AN_OPERATION
    cost_limit: int = 0
    cache_key: str | None = None
    generations: dict[str, int] | None = None
    context: Context | None = None
    claim: idempotency.Claim | None = None
    """Held by a mutation sent with an `Idempotency-Key` while it runs."""

    def __post_init__(self) -> None:
        # looked up once: `request.app.state.<name>` is three attribute lookups and a dict each time
        self.state: State = self.request.app.state
        self.settings: Settings = self.state.settings
        self.schema: strawberry.Schema = self.state.schema
        self.record: observe.Record = observe.record()

    @property
    def cost_extension(self) -> dict[str, Any]:
        return {"cost": {"requested": self.measured.cost, "limit": self.cost_limit}}


Stage = Callable[[Call], Awaitable[Response | None]]


# --- the stages -------------------------------------------------------------------------------


async def negotiate(call: Call) -> None:
    """The response media type for the Accept header (legacy JSON when absent)."""
    accept = header(call.request, "accept") or ""
    if not accept.strip():
        return
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types:
        call.media_type = GRAPHQL_RESPONSE
    elif not (JSON in types or "*/*" in types or "application/*" in types):
        raise Refusal(
            406, "BAD_REQUEST", f"Cannot answer with any of {quoted(accept)}: use {GRAPHQL_RESPONSE} or {JSON}."
        )


async def identify(call: Call) -> None:
    call.viewer = viewer = await auth.authenticate(call.request)
    call.record.role, call.record.key_prefix = viewer.role.value, viewer.api_key_prefix


async def read_params(call: Call) -> None:
    call.params = await request_params(call.request, uploads=call.viewer.is_staff)


async def cross_origin(call: Call) -> None:
    """A call from another site's page: allowed for its key's (or anonymous) origins only."""
    origin = cors.cross_origin(call.request)
    if origin is None:
        return
    refusal = cors.origin_refusal(call.request, call.viewer)
    if refusal is not None:
        raise Refusal(403, "FORBIDDEN", refusal)
    call.headers.update(cors.cors_headers(origin))


async def resolve_document(call: Call) -> None:
    call.query = await persisted.resolve_document(call.request, call.params, call.viewer)


async def measure(call: Call) -> None:
    """Operation limits and the cost budget, before any SQL."""
    limits_ = limits.limits_for(call.state.limits, call.viewer)
    call.cost_limit = limits.COST_CAPS[call.viewer.role]
    try:
        call.measured = limits.measured(
            call.schema._schema, call.query, call.params.operation_name, call.params.variables_key, limits_
        )
    except limits.LimitError as exc:
        raise exc.with_extensions({"cost": {"limit": call.cost_limit}}) from None
    cost, cap = call.measured.cost, call.cost_limit
    measured, record = call.measured, call.record
    if measured is not limits.NOT_AN_OPERATION:  # a document that does not parse has no cost
        record.cost = cost
        record.operation_type, record.operation_name = measured.operation_type, measured.operation_name
    if measured.operation_type == "subscription":
        raise Refusal(
            400,
            "BAD_REQUEST",
            "Subscriptions run over WebSocket (`graphql-transport-ws`) or Server-Sent Events (send "
            "`Accept: text/event-stream`) at /graphql.",
        )
    if cost > cap:
        role = call.viewer.role.value.lower()
        raise limits.LimitError(
            "COST_LIMIT", f"The query may return up to {cost} nodes; the limit for {role} callers is {cap}."
        ).with_extensions({"cost": {"limit": cap}})


async def rate_limit(call: Call) -> None:
    if not call.settings.rate_limit:
        return
    allowed, headers = await call.state.rate_limiter.spend(
        call.viewer, auth.client_address(call.request), call.measured.cost
    )
    call.headers.update(headers)
    if not allowed:
        metrics.child(metrics.RATE_LIMITED, call.viewer.role.value).inc()
        raise Refusal(429, "RATE_LIMITED", "Rate limit spent: wait for the window to move on (see Retry-After).")


async def idempotent(call: Call) -> Response | None:
    """A mutation sent with an `Idempotency-Key` runs once: a retry of the same request (from any
    instance) gets the first answer, a different request with the same key is a 422."""
    sent = header(call.request, "idempotency-key")
    if sent is None or call.measured.operation_type != "mutation":
        return None
    owner = retries.owner(call.viewer)
    if owner is None:
        return None  # anonymous callers cannot mutate: the root field policy says so
    if call.viewer.csrf_token is not None and not auth.csrf_ok(call.request, call.viewer):
        raise auth.csrf_refusal()
    key = retries.parse_key(sent)
    found = await idempotency.claim(call.state.engine, owner, key, retries.fingerprint(call.query, call.params))
    if isinstance(found, idempotency.Claim):
        call.claim = found
        return None
    if found.other_request:
        raise Refusal(422, "IDEMPOTENCY_KEY_REUSED", retries.REUSED)
    if found.lost:
        raise Refusal(409, "IDEMPOTENCY_KEY_IN_USE", retries.LOST)
    if found.running:
        raise Refusal(409, "IDEMPOTENCY_KEY_IN_USE", retries.RUNNING, {"Retry-After": "1"})
    call.record.outcome = "replayed"
    headers = {**call.headers, "Idempotent-Replayed": "true", "Cache-Control": "no-store"}
    return Response(found.body, status_code=found.status or 200, media_type=found.media_type, headers=headers)


async def cached(call: Call) -> Response | None:
    """A public read answered from the response cache while the tables it read are unchanged."""
    if not call.settings.response_cache or call.viewer.is_staff or wants_trace(call.request):
        return None
    responses: caching.ResponseCache = call.state.responses
    call.cache_key = caching.cache_key(call.query, call.params, call.viewer, call.media_type)
    call.generations = await call.state.generations.current()
    entry = await responses.get(call.cache_key, call.generations)
    call.record.cache = "miss" if entry is None else "hit"
    metrics.child(metrics.RESPONSE_CACHE, call.record.cache).inc()
    if entry is None:
        return None
    call.record.outcome = "ok"
    headers = {**call.headers, "Cache-Control": caching.cache_control(call.viewer, entry.max_age, False)}
    return caching.conditional(call.request, entry.body, entry.media_type, headers, etag=entry.etag)


async def open_context(call: Call, database: routing.Database | None = None) -> None:
    """The request's data context, on a replica for a query when one has what the caller must see."""
    state = call.state
    if database is None:
        database = routing.primary(state)
        if call.measured.operation_type == "query" and state.replicas:
            database = await routing.for_read(state, call.viewer, call.generations)
    call.record.database = database.name
    call.context = Context(
        engine=database.engine,
        write_engine=state.engine if call.claim is None else idempotency.ClaimedEngine(state.engine, call.claim),
        viewer=call.viewer,
        request=call.request,
        tables_read=set() if call.cache_key else None,
        portal_url=call.settings.portal_url,
        root_fields=call.measured.root_fields,
        read_pool=database.read_pool,
        webhooks_to_private=call.settings.webhook_allow_private,
        wake_webhooks=state.webhooks.wake if state.webhooks is not None else None,
    )


async def planned(call: Call) -> Response | None:
    """A read answered by one planned SQL statement."""
    assert call.context is not None
    if not call.settings.planner:
        return None
    params = call.params
    key, extension = params.variables_key, call.cost_extension
    body = await planned_response(
        call.schema, call.query, params.operation_name, params.variables, key, call.context, extension
    )
    if body is None:
        return None
    call.record.outcome = "ok"
    return await respond(call, body)


async def execute(call: Call) -> Response:
    """The normal path: Strawberry executes the operation (mutations, Python-only fields, ...)."""
    assert call.context is not None
    request = call.request
    allowed = {OperationType.QUERY} if request.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
    csrf_missing = call.viewer.csrf_token is not None and not auth.csrf_ok(request, call.viewer)
    if csrf_missing:
        allowed = {OperationType.QUERY}
    try:
        result = await call.schema.execute(
            call.query,
            variable_values=call.params.variables,
            context_value=call.context,
            operation_name=call.params.operation_name,
            allowed_operation_types=allowed,
            operation_extensions=call.params.extensions,
        )
    except InvalidOperationTypeError as exc:
        if csrf_missing and request.method == "POST":
            raise auth.csrf_refusal() from exc
        raise Refusal(
            405, "BAD_REQUEST", "Only queries may be sent with GET: send mutations with POST.", {"Allow": "POST"}
        ) from exc
    except CannotGetOperationTypeError as exc:
        raise Refusal(400, "BAD_REQUEST", exc.as_http_error_reason()) from exc
    except MissingQueryError as exc:
        raise Refusal(400, "BAD_REQUEST", "No GraphQL query found.") from exc
    request_error = is_request_error(result)
    call.record.outcome = "refused" if request_error else "errors" if result.errors else "ok"
    if result.errors:
        call.record.error_code = (result.errors[0].extensions or {}).get("code")
    status = 400 if request_error and call.media_type == GRAPHQL_RESPONSE else 200
    result.extensions = {**(result.extensions or {}), **call.cost_extension}
    body = encode_result(result, request_error)
    if call.context.operation_type is OperationType.MUTATION:
        await call.state.generations.refresh()  # this process's next reads see the write
        await routing.after_write(call.state, call.viewer)  # and the writer's, on every instance
    if result.errors or call.context.operation_type is not OperationType.QUERY:
        headers = {**call.headers, "Cache-Control": "no-store"}
        return Response(body, status_code=status, media_type=call.media_type, headers=headers)
    return await respond(call, body, status)


def on_replica_or_primary(stage: Stage) -> Stage:
    """A read that a replica fails to answer (it went away mid-request) is answered by the
    primary instead, and the replica leaves the rotation: callers never see a replica's outage."""

    async def run(call: Call) -> Response | None:
        if call.record.database in (None, "primary"):
            return await stage(call)
        try:
            response = await stage(call)
        except Exception as exc:
            if database_trouble(exc) is None:
                raise
        else:
            if call.record.error_code != "SERVICE_UNAVAILABLE":
                return response
        call.state.replicas.failed(call.record.database)
        call.record.outcome = call.record.error_code = None
        await open_context(call, routing.primary(call.state))
        return await stage(call)

    run.__name__ = stage.__name__
    return run


STAGES: tuple[Stage, ...] = (
    negotiate,
    identify,
    read_params,
    cross_origin,
    resolve_document,
    measure,
    rate_limit,
    idempotent,
    cached,
    open_context,
    on_replica_or_primary(planned),
    on_replica_or_primary(execute),
)


async def graphql_endpoint(request: Request) -> Response:
    call = Call(request)
    call.record.operation_type = "unknown"  # until measured: refused early, it is counted as such
    if not tracing.active():
        return await run_stages(call)
    with tracing.operation_span() as span:
        try:
            return await run_stages(call)
        finally:
            tracing.name_operation(span, call.record.operation_type, call.record.operation_name)


async def run_stages(call: Call) -> Response:
    try:
        for stage in STAGES:
            response = await stage(call)
            if response is not None:
                if call.claim is not None:
                    await retries.settle(call.state.engine, call.claim, response, call.record)
                return response
    except Refusal as refusal:
        call.record.outcome, call.record.error_code = "refused", refusal.code
        if call.claim is not None:
            await retries.release(call.state.engine, call.claim)
        return refusal.response(call.media_type, call.headers)
    except BaseException:
        if call.claim is not None:
            await retries.release(call.state.engine, call.claim)
        raise
    raise AssertionError("the last stage always answers")


# --- pieces of the stages ---------------------------------------------------------------------


async def respond(call: Call, body: bytes, status: int = 200) -> Response:
    """A successful read: its caching headers, a response cache entry, and 304 when unchanged."""
    context = call.context
    assert context is not None
    live = bool(context.root_fields & caching.UNCACHED_ROOT_FIELDS)  # the feed moves with running transactions
    max_age = 0 if live else call.settings.max_age_for(context.root_fields)
    headers = {**call.headers, "Cache-Control": caching.cache_control(call.viewer, max_age, context.personal_data)}
    if call.cache_key is not None and not live and not context.personal_data and context.tables_read is not None:
        entry = caching.CachedResponse.of(body, call.media_type, context.tables_read, call.generations or {}, max_age)
        await call.state.responses.put(call.cache_key, entry)
        return caching.conditional(call.request, body, call.media_type, headers, status, entry.etag)
    return caching.conditional(call.request, body, call.media_type, headers, status)


def is_request_error(result: ExecutionResult) -> bool:
    """Parse/validation errors, or variables that failed to coerce: no execution happened."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or [])


def encode_result(result: ExecutionResult, request_error: bool) -> bytes:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    if not request_error:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return orjson.dumps(body)
