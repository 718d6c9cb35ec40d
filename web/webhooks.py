"""The webhook dispatcher: one per process, sending the outbox (resolvers/webhooks.py) over HTTP.

Deliveries follow the Standard Webhooks specification: `webhook-id` (the same on every retry),
`webhook-timestamp` (the attempt's time) and `webhook-signature: v1,<base64 HMAC-SHA256>`
over `id.timestamp.body`, signed with the `standardwebhooks` library. An attempt succeeds on a
2xx; redirects are not followed; it may take `UPL_WEBHOOK_TIMEOUT_SECONDS` in all.

Where it may send: only `https`, and never to a private, loopback, link-local or otherwise
non-global address. The name is resolved at every attempt, the addresses are checked, and the
connection goes to the checked address (with the name for TLS and `Host`), so a name that
resolves elsewhere between check and connect (DNS rebinding) cannot redirect it.
`UPL_WEBHOOK_ALLOW_PRIVATE=1` allows such addresses, and plain `http` to them.

The dispatcher wakes on the change notifications (new changes to queue), on `wake()` (an
admin's redelivery), when the next retry is due, and every `POLL_SECONDS` at the latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook
from strawberry.utils.str_converters import to_camel_case

from db.generations import GenerationWatcher
from resolvers import webhooks
from resolvers.base import DataContext
from resolvers.pagination import MAX_PAGE_SIZE
from resolvers.viewer import ANONYMOUS
from schema.core.domain import NodeType
from schema.core.ids import encode_id
from web import metrics

logger = logging.getLogger("upl.webhooks")

POLL_SECONDS = 5.0
PURGE_SECONDS = 3600.0
"""How often a dispatcher purges settled deliveries past their retention."""
CONCURRENCY = 8
"""Attempts a dispatcher has in flight at once."""
USER_AGENT = "UPL-Webhooks/1 (+https://unternehmensportal-lichtenberg.de)"


class Refused(Exception):
    """A destination the dispatcher must not send to (the message says why)."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    """The URL with the checked address in place of the name."""
    host: str
    """The `Host` header: the name (and port) as the admin gave them."""
    extensions: dict[str, Any]


def address_of(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


async def destination(url: str, allow_private: bool) -> Target:
    """Where to connect for `url`: its name resolved now and every address checked."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise Refused(f"not a URL ({exc})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise Refused("only https URLs are sent to")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"the name {parsed.host} does not resolve ({exc})") from None
    addresses = [address_of(str(info[4][0])) for info in infos]
    private = [a for a in addresses if not is_public(a)]
    if private and not allow_private:
        raise Refused(f"{parsed.host} resolves to {private[0]}, a private, loopback or link-local address")
    if parsed.scheme == "http" and not (allow_private and len(private) == len(addresses)):
        raise Refused("plain http is sent only to private addresses, with UPL_WEBHOOK_ALLOW_PRIVATE=1")
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    host = parsed.netloc.decode("ascii")
    return Target(parsed.copy_with(host=str(addresses[0])), host, extensions)


def json_value(value: Any) -> Any:
    """A field's value as GraphQL would serialise it (enums by name, dates in ISO 8601)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if hasattr(value, "__strawberry_definition__"):
        return public_fields(value)
    return str(value)  # Decimal, and scalars serialised as text


def public_fields(obj: Any) -> dict[str, Any]:
    """The object's plain fields as outsiders read them (resolved fields, such as contact
    persons and links to other objects, are left out)."""
    definition = obj.__strawberry_definition__
    return {
        field.graphql_name or to_camel_case(field.python_name): json_value(getattr(obj, field.python_name, None))
        for field in definition.fields
        if field.base_resolver is None
    }


class Dispatcher:
    """Fills the outbox from the change feed and sends what is due, in one background task."""

    def __init__(
        self,
        engine: AsyncEngine,
        watcher: GenerationWatcher,
        node_types: dict[str, NodeType],
        *,
        schedule: Sequence[float],
        timeout: float,
        disable_after: float,
        allow_private: bool,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.engine, self.watcher, self.node_types = engine, watcher, node_types
        self.schedule, self.timeout, self.disable_after = tuple(schedule), timeout, disable_after
        self.allow_private = allow_private
        self.client = httpx.AsyncClient(
            follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False, transport=transport
        )
        self.woken = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.purged_at = -PURGE_SECONDS  # the first pump purges

    @property
    def lease_seconds(self) -> float:
        """Longer than an attempt may take: a lease runs out only when its dispatcher died."""
        return self.timeout + 5

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.client.aclose()
        await self.engine.dispose()

    def wake(self) -> None:
        self.woken.set()

    async def run(self) -> None:
        while True:
            self.woken.clear()  # before the work: a wake-up asked for while it runs is not lost
            try:
                await self.pump()
                pause = await self.pause()
            except Exception as exc:  # the database away: try again after a while
                logger.warning("webhook dispatcher paused: %s", exc)
                pause = POLL_SECONDS
            await self.sleep(pause)

    async def pump(self) -> None:
        """Queue what the feed holds, then send what is due, until nothing is."""
        while await webhooks.fill(self.engine, list(self.node_types), self.describe, encode_id) == MAX_PAGE_SIZE:
            pass
        while claimed := await webhooks.claim(self.engine, CONCURRENCY, self.lease_seconds):
            await asyncio.gather(*(self.deliver(c) for c in claimed))
        now = asyncio.get_running_loop().time()
        if now - self.purged_at >= PURGE_SECONDS:
            self.purged_at = now
            await webhooks.purge(self.engine)

    async def pause(self) -> float:
        due = await webhooks.next_due(self.engine)
        if due is None:
            return POLL_SECONDS
        return max(0.05, min(POLL_SECONDS, (due - dt.datetime.now(dt.UTC)).total_seconds()))

    async def sleep(self, seconds: float) -> None:
        """Until a change is announced, `wake()` is called, or `seconds` pass."""
        waits = [asyncio.ensure_future(self.watcher.changed.wait()), asyncio.ensure_future(self.woken.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def describe(self, type_name: str, pk: int) -> dict[str, Any] | None:
        node = self.node_types.get(type_name)
        reader = DataContext(engine=self.engine, viewer=ANONYMOUS)  # fresh loaders: the object as it is now
        found = None if node is None else await node.load(reader, pk)
        return None if found is None else public_fields(found)

    async def deliver(self, claimed: webhooks.Claimed) -> None:
        outcome = await self.attempt(claimed)
        status = await webhooks.settle(self.engine, claimed, outcome, self.schedule, self.disable_after)
        metrics.WEBHOOK_ATTEMPTS.labels("delivered" if outcome.delivered else "failed").inc()
        if not outcome.delivered:
            logger.info(
                "webhook attempt failed",
                extra={"delivery": claimed.id, "attempt": claimed.attempt, "error": outcome.error, "status": status},
            )

    async def attempt(self, claimed: webhooks.Claimed) -> webhooks.Outcome:
        """One POST of the delivery, signed now."""
        try:
            target = await destination(claimed.url, self.allow_private)
        except Refused as refused:
            return webhooks.Outcome(delivered=False, error=f"refused: {refused}")
        now = dt.datetime.now(dt.UTC)
        headers = {
            "host": target.host,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": claimed.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(claimed.secret).sign(claimed.message_id, now, claimed.body),
        }
        try:
            async with asyncio.timeout(self.timeout):
                request = self.client.build_request(
                    "POST", target.url, content=claimed.body.encode(), headers=headers, extensions=target.extensions
                )
                response = await self.client.send(request, stream=True)  # the body is not read
                await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return webhooks.Outcome(delivered=False, error=f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return webhooks.Outcome(delivered=False, error=f"could not send: {type(exc).__name__}")
        code = response.status_code
        if 200 <= code < 300:
            return webhooks.Outcome(delivered=True, status=code)
        note = " (redirects are not followed)" if 300 <= code < 400 else ""
        return webhooks.Outcome(delivered=False, status=code, error=f"HTTP {code}{note}")


def dispatcher(
    engine_for: Callable[[], AsyncEngine], watcher: GenerationWatcher, node_types: dict[str, NodeType], settings: Any
) -> Dispatcher:
    """The process's dispatcher, with its own small pool (`engine_for()`) and the settings' rules."""
    return Dispatcher(
        engine_for(),
        watcher,
        node_types,
        schedule=settings.webhook_retry_schedule,
        timeout=settings.webhook_timeout_seconds,
        disable_after=settings.webhook_disable_after_hours * 3600,
        allow_private=settings.webhook_allow_private,
    )
