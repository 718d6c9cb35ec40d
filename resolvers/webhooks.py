"""Webhooks in PostgreSQL: the endpoints, the outbox of deliveries and how it is filled, claimed
and settled. The sending itself (HTTP, signatures, address checks) is web/webhooks.py.

- **Filling**: the outbox is filled from the commit-ordered change feed as outsiders see it
  (`feed_statement` with an anonymous reader: published data only, unpublishing as DELETE).
  One instance at a time fills (the position row is locked `FOR UPDATE SKIP LOCKED`), and the
  position moves in the transaction that inserts the deliveries: a change is queued once,
  also when every instance restarted between its commit and its delivery.
- **Claiming**: a dispatcher takes due deliveries `FOR UPDATE SKIP LOCKED` and leases them
  (`claimed_until`); the attempt is counted at claim time. A dispatcher killed mid-delivery
  leaves the lease to expire, and any instance sends the delivery again with the same
  `webhook-id` (at least once).
- **Settling**: a 2xx delivers; anything else schedules the next attempt from the retry
  schedule (with jitter) until it runs out (`FAILED`). An endpoint whose attempts all failed
  for `disable_after` is disabled with its reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Float, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db import models
from resolvers.base import DataContext, Entity
from resolvers.changes import FeedPosition, feed_statement, head_statement, public_action, xid8
from resolvers.errors import quoted
from resolvers.pagination import MAX_PAGE_SIZE, Direction, Ordering, OrderKey, page_args
from resolvers.viewer import ANONYMOUS

webhooks = models.table_of(models.Webhook)
deliveries = models.table_of(models.WebhookDelivery)
outbox = models.table_of(models.WebhookOutbox)

ACTIONS = ("CREATE", "UPDATE", "DELETE")
"""What endpoints are sent: the feed as outsiders see it (publishing is a create, unpublishing a delete)."""
STATUSES = ("PENDING", "DELIVERED", "FAILED")
MAX_ENDPOINTS = 100


class WebhookError(ValueError):
    """An endpoint that cannot be created or changed as asked (the message says why)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def check_url(url: str, allow_private: bool) -> str:
    """`https://host[:port]/path` (plain `http` only where private addresses are allowed); the
    addresses are checked again at every send, when the name is resolved."""
    value = url.strip()
    scheme, sep, rest = value.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not sep or not host or any(c.isspace() for c in value) or len(value) > 2000:
        raise WebhookError("url", f"{quoted(url)} is not a URL like https://partner.example/hooks.")
    if "@" in rest.split("/", 1)[0]:
        raise WebhookError("url", "A webhook URL cannot carry credentials: verify the signature instead.")
    allowed = ("https", "http") if allow_private else ("https",)
    if scheme.lower() not in allowed:
        raise WebhookError("url", f"A webhook URL must start with https:// (got {quoted(url)}).")
    return value


def check_choices(field: str, values: Sequence[str], allowed: Sequence[str]) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise WebhookError(field, f"Unknown {field}: {', '.join(quoted(v) for v in unknown)}.")
    return sorted(set(values))


# --- endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewWebhook:
    row: Any
    secret: str
    """Shown to the admin once; kept only to sign deliveries."""


async def create_webhook(
    engine: AsyncEngine,
    name: str,
    url: str,
    types: Sequence[str],
    actions: Sequence[str],
    known_types: Sequence[str],
    allow_private: bool,
) -> NewWebhook:
    if not name.strip() or len(name) > 200:
        raise WebhookError("name", "A webhook needs a name of 1 to 200 characters.")
    secret = new_secret()
    values: dict[str, Any] = {
        "secret": secret,
        "name": name.strip(),
        "url": check_url(url, allow_private),
        "types": check_choices("types", types, known_types),
        "actions": check_choices("actions", actions, ACTIONS),
    }
    async with engine.begin() as connection:
        count = await connection.scalar(select(func.count()).select_from(webhooks))
        if count is not None and count >= MAX_ENDPOINTS:
            raise WebhookError("url", f"There are already {MAX_ENDPOINTS} webhooks: delete one first.")
        row = (await connection.execute(insert(webhooks).values(**values).returning(webhooks))).one()
    return NewWebhook(row=row, secret=secret)


async def update_webhook(
    engine: AsyncEngine,
    webhook_id: int,
    changes: dict[str, Any],
    known_types: Sequence[str],
    allow_private: bool,
) -> Any | None:
    """Apply the given changes (absent keys stay); enabling again clears why it was disabled."""
    values: dict[str, Any] = {"updated_at": func.now()}
    if "name" in changes:
        if not changes["name"].strip() or len(changes["name"]) > 200:
            raise WebhookError("name", "A webhook needs a name of 1 to 200 characters.")
        values["name"] = changes["name"].strip()
    if "url" in changes:
        values["url"] = check_url(changes["url"], allow_private)
    if "types" in changes:
        values["types"] = check_choices("types", changes["types"], known_types)
    if "actions" in changes:
        values["actions"] = check_choices("actions", changes["actions"], ACTIONS)
    if "enabled" in changes:
        values["enabled"] = changes["enabled"]
        if changes["enabled"]:
            values.update(disabled_reason=None, failing_since=None)
        else:
            values["disabled_reason"] = "Disabled by an admin."
    async with engine.begin() as connection:
        return (
            await connection.execute(
                update(webhooks).where(webhooks.c.id == webhook_id).values(**values).returning(webhooks)
            )
        ).first()


async def delete_webhook(engine: AsyncEngine, webhook_id: int) -> bool:
    """Delete the endpoint and its deliveries (their history goes with it)."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
    return bool(result.rowcount)


async def list_webhooks(engine: AsyncEngine, webhook_id: int | None = None) -> list[Any]:
    statement = select(webhooks).order_by(webhooks.c.id)
    if webhook_id is not None:
        statement = statement.where(webhooks.c.id == webhook_id)
    async with engine.connect() as connection:
        return list((await connection.execute(statement)).all())


def delivery_entity() -> Entity:
    """Deliveries as an `Entity`: newest first, keyset-paginated like every list."""
    return Entity(
        name="WebhookDelivery",
        table=deliveries,
        orderings={"CREATED_AT": Ordering("CREATED_AT", (OrderKey(deliveries.c.id),))},
        default_ordering="CREATED_AT",
        default_direction=Direction.DESC,
        has_slug=False,
    )


def delivery_conditions(webhook_id: int, status: str | None) -> list[ColumnElement[bool]]:
    conditions = [deliveries.c.webhook_id == webhook_id]
    if status is not None:
        conditions.append(deliveries.c.status == status)
    return conditions


async def load_delivery(engine: AsyncEngine, delivery_id: int) -> Any | None:
    async with engine.connect() as connection:
        return (await connection.execute(select(deliveries).where(deliveries.c.id == delivery_id))).first()


async def redeliver(engine: AsyncEngine, delivery_id: int) -> Any | None:
    """Send a delivery again now, with its `webhook-id` (the retry schedule starts again)."""
    async with engine.begin() as connection:
        return (
            await connection.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status="PENDING", attempts=0, next_attempt_at=func.now(), claimed_until=None)
                .returning(deliveries)
            )
        ).first()


# --- filling the outbox from the change feed ------------------------------------------------

PUBLIC_READER = DataContext(engine=None, viewer=ANONYMOUS)  # type: ignore[arg-type]
"""Only for building feed statements as outsiders see the feed (it never runs a query)."""

Describe = Callable[[str, int], Awaitable[dict[str, Any] | None]]
"""The object's public fields now (None when outsiders cannot see it)."""


def wanted(hook: Any, object_type: str, action: str) -> bool:
    return (not hook.types or object_type in hook.types) and (not hook.actions or action in hook.actions)


def delivery_body(row: Any, action: str, node: dict[str, Any] | None, encode_id: Callable[[str, int], str]) -> str:
    """The JSON sent for one change (Standard Webhooks' `type`, `timestamp`, `data`)."""
    cursor = FeedPosition(int(row.xid), row.seq).encode()
    data = {
        "objectType": row.object_type,
        "action": action,
        "objectId": encode_id(row.object_type, row.object_id),
        "changeId": encode_id("Change", row.seq),
        "cursor": cursor,
        "node": node,
    }
    at = row.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    event = {"type": f"{row.object_type.lower()}.{action.lower()}", "timestamp": at, "data": data}
    return orjson.dumps(event).decode()


async def fill(
    engine: AsyncEngine, types: Sequence[str], describe: Describe, encode_id: Callable[[str, int], str]
) -> int:
    """Queue deliveries for the changes after the outbox's position (one page); the number of
    feed rows passed, or -1 when another instance is filling right now."""
    async with engine.begin() as connection:
        position = (await connection.execute(select(outbox).with_for_update(skip_locked=True))).first()
        if position is None:
            return -1
        hooks = (await connection.execute(select(webhooks).where(webhooks.c.enabled))).all()
        if not hooks:  # nobody to send to: pass everything up to the feed's present end at once
            head = (await connection.execute(head_statement())).first()
            if head is not None and FeedPosition(int(head.xid), head.seq) > FeedPosition(
                int(position.xid), position.seq
            ):
                await connection.execute(update(outbox).values(xid=xid8(literal(str(head.xid))), seq=head.seq))
            return 0
        at = FeedPosition(int(position.xid), position.seq)
        page = page_args(MAX_PAGE_SIZE, at.encode(), None, None)
        rows = list((await connection.execute(feed_statement(PUBLIC_READER, at, types, page))).all())[:MAX_PAGE_SIZE]
        if not rows:
            return 0
        queued = []
        for row in rows:
            action = public_action(row.action, sees_unpublished=False)
            chosen = [h for h in hooks if wanted(h, row.object_type, action) and h.created_at <= row.at]
            if not chosen:
                continue
            node = None if action == "DELETE" else await describe(row.object_type, row.object_id)
            body = delivery_body(row, action, node, encode_id)
            queued += [
                {
                    "webhook_id": hook.id,
                    "message_id": new_message_id(),
                    "change_seq": row.seq,
                    "object_type": row.object_type,
                    "object_id": row.object_id,
                    "action": action,
                    "body": body,
                }
                for hook in chosen
            ]
        if queued:
            await connection.execute(insert(deliveries), queued)
        last = rows[-1]
        await connection.execute(update(outbox).values(xid=xid8(literal(str(last.xid))), seq=last.seq))
    return len(rows)


# --- claiming and settling ------------------------------------------------------------------


def seconds_from_now(seconds: float) -> ColumnElement[Any]:
    return func.now() + func.make_interval(0, 0, 0, 0, 0, 0, literal(float(seconds), Float()))


@dataclass(frozen=True)
class Claimed:
    id: int
    attempt: int
    message_id: str
    body: str
    url: str
    secret: str
    webhook_id: int


async def claim(engine: AsyncEngine, limit: int, lease_seconds: float) -> list[Claimed]:
    """Lease up to `limit` due deliveries of enabled endpoints, counting the attempt."""
    due = (
        select(deliveries.c.id)
        .select_from(deliveries.join(webhooks, webhooks.c.id == deliveries.c.webhook_id))
        .where(
            deliveries.c.status == "PENDING",
            deliveries.c.next_attempt_at <= func.now(),
            or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < func.now()),
            webhooks.c.enabled,
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
        .scalar_subquery()
    )
    lease = seconds_from_now(lease_seconds)
    statement = (
        update(deliveries)
        .where(deliveries.c.id.in_(due), webhooks.c.id == deliveries.c.webhook_id)
        .values(attempts=deliveries.c.attempts + 1, claimed_until=lease, last_attempt_at=func.now())
        .returning(
            deliveries.c.id,
            deliveries.c.attempts,
            deliveries.c.message_id,
            deliveries.c.body,
            webhooks.c.url,
            webhooks.c.secret,
            webhooks.c.id.label("webhook_id"),
        )
    )
    async with engine.begin() as connection:
        rows = (await connection.execute(statement)).all()
    return [Claimed(r.id, r.attempts, r.message_id, r.body, r.url, r.secret, r.webhook_id) for r in rows]


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status: int | None = None
    error: str | None = None


def next_delay(schedule: Sequence[float], attempt: int) -> float | None:
    """Seconds until the retry after attempt number `attempt` (±20 % jitter); None: no retry left."""
    if attempt > len(schedule):
        return None
    return schedule[attempt - 1] * random.uniform(0.8, 1.2)


async def settle(
    engine: AsyncEngine, claimed: Claimed, outcome: Outcome, schedule: Sequence[float], disable_after: float
) -> str | None:
    """Record an attempt's outcome (only while the lease is still this attempt's); the new status."""
    now = func.now()
    values: dict[str, Any] = {"claimed_until": None, "response_status": outcome.status, "last_error": outcome.error}
    if outcome.delivered:
        values.update(status="DELIVERED", delivered_at=now)
    else:
        delay = next_delay(schedule, claimed.attempt)
        if delay is None:
            values["status"] = "FAILED"
        else:
            values["next_attempt_at"] = seconds_from_now(delay)
    async with engine.begin() as connection:
        status = await connection.scalar(
            update(deliveries)
            .where(deliveries.c.id == claimed.id, deliveries.c.attempts == claimed.attempt)
            .values(**values)
            .returning(deliveries.c.status)
        )
        if status is None:
            return None  # the lease ran out and another attempt took over: its result counts
        hook = webhooks.c
        if outcome.delivered:
            await connection.execute(update(webhooks).where(hook.id == claimed.webhook_id).values(failing_since=None))
            return str(status)
        failing = (
            await connection.execute(
                update(webhooks)
                .where(hook.id == claimed.webhook_id)
                .values(failing_since=func.coalesce(hook.failing_since, now))
                .returning(hook.failing_since, hook.enabled, now.label("now"))
            )
        ).one()
        if failing.enabled and (failing.now - failing.failing_since).total_seconds() >= disable_after:
            since = failing.failing_since.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            last = outcome.error or f"HTTP {outcome.status}"
            reason = (
                f"Disabled: every delivery failed since {since} (the last: {last}). Fix the endpoint, then enable it."
            )
            await connection.execute(
                update(webhooks).where(hook.id == claimed.webhook_id).values(enabled=False, disabled_reason=reason)
            )
    return str(status)


RETENTION_DAYS = 30
"""Delivered and failed deliveries are kept this long (for `webhookDeliveries`), then purged."""


async def purge(engine: AsyncEngine, days: int = RETENTION_DAYS) -> int:
    """Delete settled deliveries older than `days`; how many went."""
    cutoff = func.now() - func.make_interval(0, 0, 0, days)
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(deliveries).where(deliveries.c.status != "PENDING", deliveries.c.created_at < cutoff)
        )
    return int(result.rowcount or 0)


async def next_due(engine: AsyncEngine) -> dt.datetime | None:
    """When the next pending delivery is due (None: none pending); a leased one when its lease ends."""
    due = func.greatest(deliveries.c.next_attempt_at, func.coalesce(deliveries.c.claimed_until, func.now()))
    async with engine.connect() as connection:
        return await connection.scalar(select(func.min(due)).where(deliveries.c.status == "PENDING"))
