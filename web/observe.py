"""What operators see of each request: its ID, its log line, its metrics.

`Observe` is the outermost middleware. It takes `X-Request-ID` when the caller (or the load
balancer) sent a well-formed one and makes one otherwise, returns it on every response and binds
it to every log line written while the request runs. When the response is complete it writes
one line (`upl.request`) and counts the request. The `/graphql` stages fill in the request's
`Record` (operation, role, key prefix, cost, cache result, outcome) as they learn them.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db import statements
from web import logs, metrics
from web.logs import request_logger

REQUEST_LOG = logging.getLogger("upl.request")

REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
"""What a request ID may look like (UUIDs, trace IDs, base64): anything else is replaced."""


@dataclass
class Record:
    """One request, as the log line and the metrics report it."""

    request_id: str
    statements: list[int] = field(default_factory=lambda: [0])
    operation_type: str | None = None
    operation_name: str | None = None
    trusted: bool = False
    """The document is one of the office's trusted documents (its name may label metrics)."""
    role: str | None = None
    key_prefix: str | None = None
    cost: int | None = None
    cache: str | None = None
    """hit or miss (public reads looked up in the response cache)."""
    outcome: str | None = None
    """ok, errors (answered with errors) or refused (a limit, permission or bad request)."""
    error_code: str | None = None
    database: str | None = None
    """Which database answered: `primary` or a replica's name."""


_current: ContextVar[Record | None] = ContextVar("upl_request", default=None)


def record() -> Record:
    """The running request's record (a detached one outside a request, e.g. in tests)."""
    return _current.get() or Record("-")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            sent = value.decode("latin-1").strip()
            if REQUEST_ID.fullmatch(sent):
                return sent
            break
    return f"{ID_PREFIX}{next(_serial):08x}"


ID_PREFIX = secrets.token_hex(8)
"""Request IDs made here: this process's random prefix and a serial (16 + 8 hex digits; unique
across processes and restarts without a system call per request, as `uuid4` would cost)."""
_serial = itertools.count(1)


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        current = Record(request_id, statements.counting())
        _current.set(current)
        logs.request_id.set(request_id)
        status = 500
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.report(scope, current, status, time.perf_counter() - started)
            logs.request_id.set(None)

    @staticmethod
    def report(scope: Scope, current: Record, status: int, duration: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "other"
        method = scope["method"] if scope["method"] in metrics.METHODS else "other"
        metrics.child(metrics.HTTP_REQUESTS, route, method, status).inc()
        metrics.child(metrics.HTTP_DURATION, route).observe(duration)
        if current.operation_type is not None:
            name = (current.operation_name or "anonymous") if current.trusted else "other"
            outcome = current.outcome or ("ok" if status < 400 else "refused")
            role = current.role or "ANONYMOUS"
            metrics.child(metrics.OPERATIONS, current.operation_type, name, role, outcome).inc()
            metrics.STATEMENTS.observe(current.statements[0])
            if current.cost is not None:
                metrics.OPERATION_COST.observe(current.cost)
        level = logging.INFO if status < 500 else logging.WARNING if status in (503, 504) else logging.ERROR
        if not REQUEST_LOG.isEnabledFor(level):
            return  # below the configured level: no line to build
        fields = {
            "method": method,
            "path": scope["path"][:200],
            "status": status,
            "duration_ms": round(duration * 1000, 2),
            "statements": current.statements[0],
        }
        for name in (
            "operation_type",
            "operation_name",
            "role",
            "key_prefix",
            "cost",
            "cache",
            "outcome",
            "error_code",
            "database",
        ):
            value = getattr(current, name)
            if value is not None:
                fields[name] = value[:80] if isinstance(value, str) else value
        request_logger.log(level, "request", **fields)
