"""Health and readiness checks, and the answer to a failing database outside GraphQL execution."""

from __future__ import annotations

import logging
import uuid

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db import migrate
from schema.core.errors import database_trouble
from web.errors import JSON

logger = logging.getLogger("upl.web")


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
