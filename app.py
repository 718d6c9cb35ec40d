"""The Starlette app: `/graphql` over the GraphQL-over-HTTP spec, login for staff, the
self-hosted GraphiQL explorer, health and readiness checks.

Strawberry's own view answers `application/json` only; this endpoint follows the
GraphQL-over-HTTP specification: `application/graphql-response+json` when the client accepts it,
with 400 for unparsable or invalid documents and for variables that do not coerce (and no `data`
entry then), GET for queries only (405 for mutations), 415 for unsupported content types and
406 for unacceptable `Accept` headers.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import strawberry
from graphql import DocumentNode, FragmentDefinitionNode, GraphQLError, get_operation_ast, parse, validate
from graphql import OperationType as GraphQLOperationType
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import delivery
import explorer
import feeds
import guard
from db import migrate
from db.engine import create_engine, read_engine, resolve_database_url
from resolvers import accounts
from resolvers.accounts import Viewer
from resolvers.errors import quoted
from schema.compose import default_schema
from schema.core import permissions, planner
from schema.core.context import Context
from schema.core.errors import database_trouble
from schema.core.subgraph import wants_trace
from settings import DEMO_PASSWORD, Settings, SettingsError

logger = logging.getLogger("upl.app")
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


MAX_BODY_BYTES = 1_048_576


class BadRequest(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, code: str = "BAD_REQUEST"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.code = code


def error_response(
    status: int, message: str, media_type: str = JSON, headers: dict[str, str] | None = None, code: str = "BAD_REQUEST"
) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def negotiate(request: Request) -> str:
    """The response media type for the request's Accept header (legacy JSON when absent)."""
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types:
        return GRAPHQL_RESPONSE
    if JSON in types or "*/*" in types or "application/*" in types:
        return JSON
    raise BadRequest(406, f"Cannot answer with any of {quoted(accept)}: use {GRAPHQL_RESPONSE} or {JSON}.")


def _json_param(raw: Any, name: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(400, f"`{name}` is not valid JSON.") from exc
    if raw is not None and not isinstance(raw, dict):
        raise BadRequest(400, f"`{name}` must be a JSON object.")
    return raw


async def read_params(request: Request) -> dict[str, Any]:
    """The GraphQL request parameters from a GET query string or a POST JSON body."""
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON:
            raise BadRequest(415, f"Unsupported content type {quoted(content_type or 'none')}: send {JSON}.")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise BadRequest(413, f"The request body has {declared} bytes; the limit is {MAX_BODY_BYTES}.")
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise BadRequest(413, f"The request body has {len(raw)} bytes; the limit is {MAX_BODY_BYTES}.")
        try:
            params = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(400, "The request body is not valid JSON.") from exc
        if isinstance(params, list):
            raise BadRequest(
                400,
                f"The request batches {len(params)} operations; the limit is 1: send one JSON object per request.",
                code="BATCH_LIMIT",
            )
        if not isinstance(params, dict):
            raise BadRequest(400, "The request body must be a JSON object with a `query`.")
    query = params.get("query")
    persisted_only = query is None and "persistedQuery" in (_json_param(params.get("extensions"), "extensions") or {})
    if not persisted_only and (not isinstance(query, str) or not query.strip()):
        raise BadRequest(400, "No GraphQL query found: pass `query` as a string.")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest(400, "`operationName` must be a string.")
    return {
        "query": query,
        "variables": _json_param(params.get("variables"), "variables"),
        "operation_name": operation_name or None,
        "extensions": _json_param(params.get("extensions"), "extensions"),
    }


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


async def graphql_endpoint(request: Request) -> Response:
    schema: strawberry.Schema = request.app.state.schema
    settings: Settings = request.app.state.settings
    try:
        media_type = negotiate(request)
        viewer = await explorer.authenticate(request)
        params = await read_params(request)
    except BadRequest as exc:
        return error_response(exc.status, exc.message, headers=exc.headers, code=exc.code)
    except explorer.AuthError as exc:
        return exc.response()
    cors: dict[str, str] = {}
    if (origin := delivery.cross_origin(request)) is not None:
        refusal = delivery.origin_refusal(request, viewer)
        if refusal is not None:
            return explorer.AuthError(403, refusal, "FORBIDDEN").response()
        cors = delivery.cors_headers(origin)
    try:
        query = await delivery.resolve_document(request, params, viewer)
    except delivery.PersistedQueryError as exc:
        response = exc.response(media_type)
        response.headers.update(cors)
        return response

    # operation limits and the cost budget, before any SQL
    limits = guard.limits_for(request.app.state.limits, viewer)
    cap = guard.COST_CAPS[viewer.role]
    variables_key = json.dumps(params["variables"], sort_keys=True).encode()  # exact: big ints, NaN
    try:
        measure = measured_cost if len(variables_key) <= MAX_CACHED_VARIABLES else measured_cost.__wrapped__
        cost = measure(schema, query, params["operation_name"], variables_key, limits)
        if cost > cap:
            raise guard.LimitError(
                "COST_LIMIT",
                f"The query may return up to {cost} nodes; the limit for {viewer.role.value.lower()} callers is {cap}.",
            )
    except guard.LimitError as exc:
        body = orjson.dumps({"errors": [exc.as_graphql()], "extensions": {"cost": {"limit": cap}}})
        status = 400 if media_type == GRAPHQL_RESPONSE else 200
        return Response(body, status_code=status, media_type=media_type, headers=cors)
    allowed_by_rate, rate_headers = True, {}
    if settings.rate_limit:
        allowed_by_rate, rate_headers = await request.app.state.rate_limiter.spend(
            viewer, explorer.client_address(request), cost
        )
    cors = {**cors, **rate_headers}
    if not allowed_by_rate:
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": "Rate limit spent: wait for the window to move on (see Retry-After).",
                        "extensions": {"code": "RATE_LIMITED"},
                    }
                ]
            }
        )
        return Response(body, status_code=429, media_type=media_type, headers=cors)
    cost_extension = {"cost": {"requested": cost, "limit": cap}}

    cache_key, generations_before = None, None
    if settings.response_cache and not viewer.is_staff and not wants_trace(request):
        cache_key = delivery.cache_key(query, params, viewer, media_type)
        generations_before = await delivery.current_generations(request.app.state.engine)
        cached = await cached_response(request, cache_key, generations_before)
        if cached is not None:
            headers = {**cors, "Cache-Control": delivery.cache_control(viewer, cached.max_age, False)}
            return delivery.conditional(request, cached.body, cached.media_type, headers)

    context = Context(
        engine=request.app.state.read_engine,
        write_engine=request.app.state.engine,
        viewer=viewer,
        request=request,
        tables_read=set() if cache_key else None,
        portal_url=settings.portal_url,
    )
    if settings.planner:
        planned = await planned_response(schema, query, params, variables_key, context, cost_extension)
        if planned is not None:
            return await respond(request, planned, context, media_type, viewer, cors, cache_key, generations_before)

    allowed = {OperationType.QUERY} if request.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
    csrf_missing = viewer.csrf_token is not None and not explorer.csrf_ok(request, viewer)
    if csrf_missing:
        allowed = {OperationType.QUERY}
    try:
        result = await schema.execute(
            query,
            variable_values=params["variables"],
            context_value=context,
            operation_name=params["operation_name"],
            allowed_operation_types=allowed,
            operation_extensions=params["extensions"],
        )
    except InvalidOperationTypeError:
        if csrf_missing and request.method == "POST":
            return explorer.csrf_refusal()
        return error_response(
            405, "Only queries may be sent with GET: send mutations with POST.", media_type, {"Allow": "POST"}
        )
    except CannotGetOperationTypeError as exc:
        return error_response(400, exc.as_http_error_reason(), media_type)
    except MissingQueryError:
        return error_response(400, "No GraphQL query found.", media_type)
    request_error = is_request_error(result)
    status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
    result.extensions = {**(result.extensions or {}), **cost_extension}
    body = encode_result(result, request_error)
    if result.errors or context.operation_type is not OperationType.QUERY:
        return Response(body, status_code=status, media_type=media_type, headers={**cors, "Cache-Control": "no-store"})
    return await respond(request, body, context, media_type, viewer, cors, cache_key, generations_before, status)


async def respond(
    request: Request,
    body: bytes,
    context: Context,
    media_type: str,
    viewer: Viewer,
    cors: dict[str, str],
    cache_key: str | None,
    generations_before: dict[str, int] | None,
    status: int = 200,
) -> Response:
    """A successful read: its caching headers, a response cache entry, and 304 when unchanged."""
    settings: Settings = request.app.state.settings
    live = bool(context.root_fields & delivery.UNCACHED_ROOT_FIELDS)  # the feed moves with running transactions
    max_age = 0 if live else settings.max_age_for(context.root_fields)
    headers = {**cors, "Cache-Control": delivery.cache_control(viewer, max_age, context.personal_data)}
    if cache_key is not None and not live and not context.personal_data and context.tables_read is not None:
        tables = tuple(sorted(context.tables_read))
        before = generations_before or {}
        entry = delivery.CachedResponse(body, media_type, tables, tuple(before.get(t, 0) for t in tables), max_age)
        await request.app.state.response_store.set(cache_key, entry.encode(), delivery.CACHE_TTL)
    return delivery.conditional(request, body, media_type, headers, status)


MAX_CACHED_VARIABLES = 4096
"""Requests with larger variables are measured and planned afresh, so caches stay small."""


@functools.lru_cache(maxsize=4096)
def measured_cost(
    schema: strawberry.Schema, query: str, operation_name: str | None, variables_key: bytes, limits: guard.Limits
) -> int:
    """The cost of a read that keeps within `limits` (else LimitError, which is not cached).

    Partner traffic repeats the same few documents and variables: parsing and walking them
    again took ~0.6 ms of a ~1.2 ms request.
    """
    document = guard.parse_limited(query, limits)
    if document is None:
        return 0  # does not parse: the normal path reports why
    shape = guard.measure(schema._schema, document, operation_name, json.loads(variables_key), limits)
    return shape.cost if shape else 0


@functools.lru_cache(maxsize=2048)
def validated(schema: strawberry.Schema, query: str) -> DocumentNode | None:
    """The parsed document when it is valid for `schema` (else the normal path reports why)."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    return None if validate(schema._schema, document) else document


async def planned_response(
    schema: strawberry.Schema,
    query: str,
    params: dict[str, Any],
    variables_key: bytes,
    context: Context,
    extensions: dict[str, Any],
) -> bytes | None:
    """The read answered by ONE planned SQL statement, or None for the normal path."""
    if wants_trace(context.request):
        return None  # a gateway asked for federated tracing: that needs per-field execution
    document = validated(schema, query)
    if document is None:
        return None
    operation = get_operation_ast(document, params["operation_name"])
    if operation is None or operation.operation is not GraphQLOperationType.QUERY:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names = frozenset(permissions.root_fields(operation.selection_set, fragments))
    if permissions.refusal(schema, context.viewer, operation, names) is not None:
        return None
    key = (id(schema), query, params["operation_name"], variables_key, context.sees_unpublished)
    compiled = COMPILED_PLANS.get(key)
    if compiled is None:
        statement = planner.plan(schema._schema, document, params["operation_name"], params["variables"], context)
        if statement is None:
            return None
        compiled = planner.compile_plan(statement)
        if len(variables_key) <= MAX_CACHED_VARIABLES:
            COMPILED_PLANS[key] = compiled
        while len(COMPILED_PLANS) > MAX_COMPILED_PLANS:
            COMPILED_PLANS.pop(next(iter(COMPILED_PLANS)))
    if context.tables_read is not None:
        context.tables_read.update(compiled.tables)
    async with context.engine.connect() as connection:
        data = (await connection.execute(compiled.statement)).scalar_one()
    context.root_fields, context.operation_type = names, OperationType.QUERY
    return b'{"data":' + data.encode() + b',"extensions":' + orjson.dumps(extensions) + b"}"


COMPILED_PLANS: dict[tuple[Any, ...], planner.CompiledPlan] = {}
"""Planned SQL by (schema, document, operation, variables, visibility): steady traffic compiles nothing."""
MAX_COMPILED_PLANS = 2048


async def cached_response(request: Request, key: str, current: dict[str, int]) -> delivery.CachedResponse | None:
    """The cached response for `key`, if every table it read is still at the `current` generation."""
    raw = await request.app.state.response_store.get(key)
    if raw is None:
        return None
    entry = delivery.CachedResponse.decode(raw)
    if tuple(current.get(t, 0) for t in entry.tables) != entry.generations:
        return None
    return entry


async def healthz(_: Request) -> Response:
    """The process is alive (no database check)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database answers and its schema is at the latest migration."""
    head = request.app.state.head_revision
    try:
        async with request.app.state.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = await migrate.current_revision(connection)
    except Exception:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "reason": f"database at migration {current}, expected {head}"}, status_code=503
        )
    return JSONResponse({"status": "ready", "migration": current})


async def database_failure(request: Request, exc: Exception) -> Response:
    """Outside GraphQL execution (auth, the planner, the cache check): a 503 while the database
    is away, never a traceback."""
    trouble = database_trouble(exc)
    if trouble is None:
        error_id = uuid.uuid4().hex[:12]
        logger.error("internal error %s on %s", error_id, request.url.path, exc_info=exc)
        code, message, status = "INTERNAL_SERVER_ERROR", f"Internal server error (error ID {error_id}).", 500
    else:
        code, message, status = trouble[0], trouble[1], 503 if trouble[0] == "SERVICE_UNAVAILABLE" else 504
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status_code=status, media_type=JSON, headers={"Retry-After": "5"} if status == 503 else None)


class SecurityHeaders:
    """Security headers on every response (pages that need their own CSP set it themselves)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
            (b"cross-origin-resource-policy", b"cross-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RejectNulInUrls:
    """A path or query string with a NUL character (`%00`) is a broken request: 400 for every
    route, before any handler passes it to PostgreSQL (whose text cannot hold one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"].lower()):
            body = orjson.dumps(
                {"errors": [{"message": "URLs cannot contain NUL characters.", "extensions": {"code": "BAD_REQUEST"}}]}
            )
            await Response(body, status_code=400, media_type=JSON)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RedactKeys(logging.Filter):
    """Keep API keys sent in URLs (`?key=` of the iCalendar feed) out of the access log."""

    PATTERN = re.compile(r"(?i)([?&]key=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1REDACTED", a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_keys_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactKeys) for f in access.filters):
        access.addFilter(RedactKeys())


async def refuse_unsafe_production(settings: Settings, engine: AsyncEngine) -> None:
    """In production: no default secret (Settings.check) and no account with the demo password."""
    settings.check()
    if settings.production and await migrate_is_current(engine):
        holders = await accounts.users_with_password(engine, DEMO_PASSWORD)
        if holders:
            raise SettingsError(
                f"UPL_ENV=production refuses to start: {', '.join(holders)} still use the demo password "
                "(`upl users set-password USERNAME`)."
            )


async def migrate_is_current(engine: AsyncEngine) -> bool:
    async with read_engine(engine).connect() as connection:
        return await migrate.current_revision(connection) == migrate.head_revision()


def create_app(
    database_url: str | None = None,
    *,
    engine: AsyncEngine | None = None,
    schema: strawberry.Schema | None = None,
    settings: Settings | None = None,
) -> Starlette:
    """The ASGI app. Without `engine`, the lifespan creates one for `database_url` (or the default).

    Serve it with `upl serve` (or uvicorn with `--no-proxy-headers`): forwarded headers are
    believed only from `UPL_TRUSTED_PROXIES`, by this app, not by uvicorn's default of 127.0.0.1.
    """
    chosen_settings = settings or Settings.from_env()
    redact_keys_in_access_log()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = engine is None
        active = engine or create_engine(database_url or resolve_database_url())
        app.state.engine = active
        app.state.read_engine = read_engine(active)
        database = active.url.render_as_string(hide_password=True)
        app.state.apq_store = delivery.make_store(chosen_settings.redis_url, database)
        app.state.response_store = delivery.make_store(chosen_settings.redis_url, database)
        try:
            await refuse_unsafe_production(chosen_settings, active)
        except SettingsError:
            if owned:
                await active.dispose()
            raise
        # Everything built so far (schema, SQLAlchemy's compiled caches' owners, modules) lives as
        # long as the process: keep it out of the garbage collector's full passes, which otherwise
        # walk it every few thousand allocations and stall every request in flight.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if owned:
                await active.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Route("/graphql", delivery.preflight, methods=["OPTIONS"]),
            Route("/feeds/events.ics", feeds.events_ics, methods=["GET"]),
            Route("/feeds/events/{slug}.ics", feeds.events_ics, methods=["GET"]),
            *explorer.routes(),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        middleware=[
            *(
                [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(chosen_settings.trusted_proxies))]
                if chosen_settings.trusted_proxies
                else []
            ),
            Middleware(RejectNulInUrls),
            Middleware(SecurityHeaders, hsts=chosen_settings.secure_cookies),
        ],
        exception_handlers={OSError: database_failure, SQLAlchemyError: database_failure},
        lifespan=lifespan,
    )
    app.state.schema = schema or default_schema()
    app.state.settings = chosen_settings
    app.state.throttle = explorer.Throttle(chosen_settings.redis_url)
    app.state.limits = guard.Limits()
    app.state.rate_limiter = guard.RateLimiter(chosen_settings.redis_url)
    app.state.key_origins = delivery.KeyOrigins()
    app.state.head_revision = migrate.head_revision()
    return app
