"""The ASGI app, assembled: routes, middleware, lifespan. Nothing else lives here; the HTTP side
is `web/`, the GraphQL layer `schema/`, the data layer `resolvers/`, the database `db/`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import asyncpg
import strawberry
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from db import migrate
from db.engine import behind_pgbouncer, create_engine, read_engine, resolve_database_url
from db.generations import GenerationWatcher
from db.readpool import ReadPool
from db.replicas import Replicas
from resolvers import accounts
from schema.compose import default_schema
from settings import DATABASE_LISTEN_URL, DEMO_PASSWORD, UPL_LOG_FORMAT, UPL_LOG_LEVEL, Settings, SettingsError
from web import (
    auth,
    caching,
    cors,
    explorer,
    exports,
    feeds,
    health,
    limits,
    logs,
    metrics,
    realtime,
    routing,
    shared,
    tracing,
    webhooks,
)
from web.graphql import graphql_endpoint
from web.middleware import RejectNulInUrls, SecurityHeaders, redact_keys_in_access_log
from web.observe import Observe


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


def listen_url(engine: AsyncEngine) -> str | None:
    """Where the generation watcher LISTENs: a direct connection (never through PgBouncer's
    transaction pooling, which would hand the LISTEN to a connection nobody keeps)."""
    direct = DATABASE_LISTEN_URL.read()
    if direct or behind_pgbouncer():
        return direct
    return engine.url.render_as_string(hide_password=False)


ROUTES = [
    Route("/graphql", realtime.GraphQLOverHTTP(graphql_endpoint), methods=["GET", "POST"]),
    Route("/graphql", cors.preflight, methods=["OPTIONS"]),
    Route("/feeds/events.ics", feeds.events_ics, methods=["GET"]),
    Route("/feeds/events/{slug}.ics", feeds.events_ics, methods=["GET"]),
    Route("/export/{type}.{format}", exports.export, methods=["GET"]),
    Route("/export/{type}.{format}", cors.preflight, methods=["OPTIONS"]),
    *explorer.routes(),
    Route("/healthz", health.healthz, methods=["GET"]),
    Route("/readyz", health.readyz, methods=["GET"]),
    Route("/metrics", metrics.metrics, methods=["GET"]),
]


def middleware(settings: Settings) -> list[Middleware]:
    """Request IDs, logs and metrics around everything; forwarded headers from trusted proxies
    only, NUL-free URLs, security headers."""
    proxies = list(settings.trusted_proxies)
    forwarded = [Middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)] if proxies else []
    return [
        Middleware(Observe),
        *forwarded,
        Middleware(RejectNulInUrls),
        Middleware(SecurityHeaders, hsts=settings.secure_cookies),
    ]


async def watch_pools(app: Starlette, every: float = 5.0) -> None:
    """The pools' connections as gauges, every few seconds (a scrape never waits for a pool)."""
    while True:
        pool = app.state.engine.pool
        seen = [("primary", pool.checkedin(), pool.checkedout())]
        planner = app.state.read_pool.pool
        if planner is not None:
            idle = planner.get_idle_size()
            seen.append(("planner", idle, planner.get_size() - idle))
        for replica in app.state.replicas.replicas:
            metrics.REPLICA_LAG.labels(replica.name).set(-1 if replica.lag is None else replica.lag)
            planner = replica.read_pool.pool
            if planner is not None:
                idle = planner.get_idle_size()
                seen.append((replica.name, idle, planner.get_size() - idle))
        metrics.observe_pools(seen)
        await asyncio.sleep(every)


def start_webhooks(app: Starlette, settings: Settings, engine: AsyncEngine) -> webhooks.Dispatcher | None:
    """This process's webhook dispatcher, on a small pool of its own (unless switched off)."""
    node_types = getattr(app.state.schema, "node_types", None)
    if not settings.webhooks or not node_types:
        return None
    url = engine.url.render_as_string(hide_password=False)
    dispatcher = webhooks.dispatcher(
        lambda: create_engine(url, pool_size=2), app.state.generations, node_types, settings
    )
    dispatcher.start()
    return dispatcher


def lifespan(
    settings: Settings, database_url: str | None, engine: AsyncEngine | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start: the engine (unless given), the stores, production's checks; stop: the engine."""

    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        owned = engine is None
        active = engine or create_engine(database_url or resolve_database_url())
        app.state.engine = active
        app.state.read_engine = read_engine(active)
        database = active.url.render_as_string(hide_password=True)
        app.state.apq_store = caching.make_store(app.state.redis, database)
        app.state.responses = caching.make_response_cache(app.state.redis, database)
        app.state.read_pool = ReadPool(active.url.render_as_string(hide_password=False))
        app.state.generations = GenerationWatcher(listen_url(active), app.state.read_engine)
        await app.state.generations.start()
        app.state.key_viewers = auth.KeyViewers(app.state.generations)
        app.state.feeds = realtime.feed_hubs(app.state.read_engine, app.state.generations)
        app.state.subscriptions.schema.running.closers[:] = [app.state.feeds.end, app.state.generations.wake]
        app.state.replicas = Replicas(settings.replica_urls, active, max_lag=settings.replica_max_lag_ms / 1000)
        await app.state.replicas.start()
        app.state.writes = routing.Writes(app.state.redis)
        app.state.webhooks = start_webhooks(app, settings, active)
        metrics.start(app.state.head_revision)
        pools = asyncio.create_task(watch_pools(app))
        if app.state.drain_on_signals:
            realtime.drain_on_signals()
        try:
            await refuse_unsafe_production(settings, active)
            # Everything built so far lives as long as the process: keep it out of the garbage
            # collector's full passes, which otherwise walk it and stall every request in flight.
            gc.collect()
            gc.freeze()
            yield
        finally:
            pools.cancel()
            if app.state.webhooks is not None:
                await app.state.webhooks.stop()
            await app.state.replicas.stop()
            tracing.shutdown()
            await app.state.generations.stop()
            await app.state.read_pool.close()
            if app.state.redis is not None:
                await app.state.redis.close()
            if owned:
                await active.dispose()

    return run


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
    chosen = settings or Settings.from_env()
    redact_keys_in_access_log()
    app = Starlette(
        routes=ROUTES,
        middleware=middleware(chosen),
        exception_handlers=dict.fromkeys(
            (OSError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError), health.database_failure
        ),
        lifespan=lifespan(chosen, database_url, engine),
    )
    app.state.schema = schema or default_schema()
    app.state.limits = limits.Limits()
    app.state.subscriptions = realtime.Subscriptions(app.state.schema, app.state.limits)
    app.router.routes.append(WebSocketRoute("/graphql", app.state.subscriptions))
    app.state.settings = chosen
    app.state.redis = shared.connect(chosen.redis_url)
    app.state.throttle = auth.Throttle(app.state.redis)
    app.state.rate_limiter = limits.RateLimiter(app.state.redis)
    app.state.key_origins = cors.KeyOrigins()
    app.state.head_revision = migrate.head_revision()
    app.state.drain_on_signals = False
    tracing.configure(app)
    return app


def served_app() -> Starlette:
    """What `upl serve` (and gunicorn) run in each worker: logging as the settings say, then the app."""
    logs.configure(UPL_LOG_FORMAT.read(), UPL_LOG_LEVEL.read())
    app = create_app()
    app.state.drain_on_signals = True  # the server's process: complete subscriptions before it stops
    return app
