"""The per-request context of the GraphQL layer, and small helpers every domain uses."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from strawberry.types import Info

from db.readpool import ReadPool
from resolvers.base import DataContext
from resolvers.feed_hub import FeedHubs
from schema.core.ids import decode_id

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Context(DataContext):
    """Per-request context: data access (engine, DataLoaders) plus the HTTP request."""

    request: Request | None = None
    operation_type: Any = None
    """Set by `RootFieldPolicy`: the operation's type (query or mutation)."""
    root_fields: frozenset[str] = frozenset()
    """Set by `RootFieldPolicy`: the root fields the operation selects."""
    portal_url: str = "https://www.unternehmen-in-lichtenberg.de"
    """The portal's own pages (event links in JSON-LD), from the settings."""
    read_pool: ReadPool | None = None
    """asyncpg's pool for planned reads (db/readpool.py)."""
    personal_data: bool = False
    """Set by `PersonalData` when a response holds contact persons (then `private, no-store`)."""
    changes: Callable[[], Awaitable[None]] | None = None
    """Returns when the data may have changed (a NOTIFY heard, or a while passed): subscriptions wait on it."""
    feeds: FeedHubs | None = None
    """The process's readers of the change feed that subscriptions share (resolvers/feed_hub.py)."""
    generations: Callable[[], Awaitable[dict[str, int]]] | None = None
    """The data generations now (live queries compute again only when the tables they read moved)."""
    connection_params: dict[str, Any] | None = None
    """A WebSocket's `connection_init` payload (Strawberry sets it)."""
    draining: asyncio.Event | None = None
    """Set when the process stops: subscription fields end (their clients get `complete`)."""
    webhooks_to_private: bool = False
    """`UPL_WEBHOOK_ALLOW_PRIVATE`: webhook URLs may use plain http (to private addresses)."""
    wake_webhooks: Callable[[], None] | None = None
    """Wakes this process's webhook dispatcher (after a redelivery is asked for)."""


InfoT = Info[Context, None]


def data(info: InfoT) -> Context:
    return info.context


def berlin_time(value: dt.datetime | None) -> dt.datetime | None:
    """Times are stored as timestamptz and shown in Europe/Berlin, with the offset."""
    return None if value is None else value.astimezone(BERLIN)


def to_filter(source: Any, target: type) -> Any:
    """Copy a GraphQL input's fields into the data layer's filter dataclass: lists become tuples,
    and a global ID in `<type>_id` (`network_id`) becomes that type's primary key."""
    if source is None:
        return None
    assert is_dataclass(source)
    values: dict[str, Any] = {}
    for f in fields(target):
        value = getattr(source, f.name, None)
        if f.name.endswith("_id") and isinstance(value, str):
            value = decode_id(value, "".join(part.capitalize() for part in f.name[:-3].split("_")))[1]
        values[f.name] = tuple(value) if isinstance(value, list) else value
    return target(**values)
