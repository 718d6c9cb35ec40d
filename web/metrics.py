"""Prometheus metrics (`prometheus-client`), served at `/metrics`.

On the API port `/metrics` answers only `Authorization: Bearer $UPL_METRICS_TOKEN` (401 without
it) and is not served when the token is unset; `UPL_METRICS_PORT` serves it on a port of its own
as well (`upl serve` starts that server in its main process). With several worker processes
(`upl serve --workers N`, gunicorn) `PROMETHEUS_MULTIPROC_DIR` names the directory where every
worker writes its samples; a scrape of any worker then reports them all, summed.

Label values are bounded: routes are the app's route templates (others `other`), operation
names only those of the office's trusted documents (others `other`), roles the five roles.
"""

from __future__ import annotations

import hmac
import importlib.metadata
import os
import platform
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

from web.errors import Refusal


def _version() -> str:
    try:
        return importlib.metadata.version("upl-graphql")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


VERSION = _version()
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""HTTP methods counted by name; any other a client makes up is `other` (bounded labels)."""

HTTP_REQUESTS = Counter(
    "upl_http_requests_total",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "upl_http_request_duration_seconds",
    "Time from the request's arrival to its last byte, by route template",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPERATIONS = Counter(
    "upl_graphql_operations_total",
    "GraphQL operations, by type, name (trusted documents; others `other`), role and outcome "
    "(ok, errors: answered with errors, refused: a limit, permission or bad request)",
    ["type", "name", "role", "outcome"],
)
OPERATION_COST = Histogram(
    "upl_graphql_operation_cost",
    "Query cost (nodes the operation may return) of the operations measured",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 10_000, 25_000, 100_000, 1_000_000),
)
STATEMENTS = Histogram(
    "upl_sql_statements_per_operation",
    "SQL statements one GraphQL operation sent (a cache hit: 0, a planned read: 1)",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 50),
)
POOL_CONNECTIONS = Gauge(
    "upl_db_pool_connections",
    "Database connections of this process's pools, by server (primary: SQLAlchemy; planner: the "
    "asyncpg pool of planned reads) and state (idle, in_use)",
    ["server", "state"],
    multiprocess_mode="livesum",
)
WEBHOOK_ATTEMPTS = Counter(
    "upl_webhook_attempts_total", "Webhook delivery attempts, by outcome (delivered, failed)", ["outcome"]
)
REPLICA_LAG = Gauge(
    "upl_replica_lag_seconds",
    "How far each replica's replay is behind the primary's WAL, in seconds (by LSN; -1: unreachable)",
    ["replica"],
    multiprocess_mode="max",
)
RESPONSE_CACHE = Counter(
    "upl_response_cache_requests_total", "Response cache lookups of public reads, by result (hit, miss)", ["result"]
)
RATE_LIMITED = Counter("upl_rate_limited_total", "Requests refused for a spent rate limit, by role", ["role"])
REDIS_FAILURES = Counter(
    "upl_redis_failures_total", "Redis calls that failed (the process used its own memory instead)"
)
BUILD_INFO = Gauge(
    "upl_build_info",
    "Always 1: the service's version, Python and the latest migration of the code",
    ["version", "python", "migration"],
    multiprocess_mode="max",
)


_children: dict[tuple[object, ...], Any] = {}


def child(metric: Any, *labels: object) -> Any:
    """`metric.labels(*labels)`, remembered: `labels()` validates and locks on every call (the
    label values are bounded, so the cache is too)."""
    key = (metric, *labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*(str(label) for label in labels))
    return found


def start(migration: str) -> None:
    BUILD_INFO.labels(VERSION, platform.python_version(), migration).set(1)


def registry() -> CollectorRegistry:
    """What a scrape reports: every worker's samples in multiprocess mode, else this process's."""
    from prometheus_client import REGISTRY

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)
    return collected


def exposition() -> bytes:
    return generate_latest(registry())


async def metrics(request: Request) -> Response:
    """`/metrics` on the API port: only with the token (constant-time comparison)."""
    token = request.app.state.settings.metrics_token
    if token is None:
        return Response(status_code=404)
    sent = request.headers.get("authorization", "")
    scheme, _, credential = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), token.encode()):
        message = "`/metrics` needs `Authorization: Bearer <UPL_METRICS_TOKEN>`."
        return Refusal(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": 'Bearer realm="metrics"'}).response()
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def observe_pools(pools: Iterable[tuple[str, int, int]]) -> None:
    """(server, idle, in use) of each pool, as last seen."""
    for server, idle, in_use in pools:
        POOL_CONNECTIONS.labels(server, "idle").set(idle)
        POOL_CONNECTIONS.labels(server, "in_use").set(in_use)
