"""Health and readiness checks, and the answer to a failing database outside GraphQL execution."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import migrate
from schema.core.errors import database_trouble
from web.errors import JSON
from web.shared import SharedRedis

logger = logging.getLogger("upl.web")


async def healthz(_: Request) -> Response:
    """The process is alive (no database check)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Each dependency in the body. 503 only when the primary is unreachable or its schema is not
    at the latest migration; Redis away is `degraded` but ready (the process goes on without it)."""
    state = request.app.state
    head = state.head_revision
    checks: dict[str, dict[str, Any]] = {}
    current: str | None = None
    try:
        async with state.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = await migrate.current_revision(connection)
        checks["primary"] = {"status": "up"}
    except Exception:  # any failure to reach the database means "not ready"
        checks["primary"] = {"status": "down", "reason": "database unreachable"}
    if current is not None:
        checks["migrations"] = {"status": "up" if current == head else "down", "current": current, "expected": head}
    shared: SharedRedis | None = state.redis
    if shared is not None:
        checks["redis"] = {"status": "up"} if await shared.ping() else {"status": "down", "fallback": "process memory"}
    replicas = state.replicas.replicas
    if replicas:
        listed = [replica.status() for replica in replicas]
        checks["replicas"] = {"status": "up" if all(r["status"] == "up" for r in listed) else "down", "each": listed}
    critical = ("primary", "migrations")
    if any(checks.get(name, {"status": "down"})["status"] != "up" for name in critical):
        reason = checks["primary"].get("reason") or f"database at migration {current}, expected {head}"
        return JSONResponse({"status": "unavailable", "reason": reason, "checks": checks}, status_code=503)
    status = "ready" if all(check["status"] == "up" for check in checks.values()) else "degraded"
    return JSONResponse({"status": status, "migration": current, "checks": checks})


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
