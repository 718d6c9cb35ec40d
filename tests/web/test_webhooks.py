"""Webhooks, end to end: the app's dispatcher POSTs to a real receiver (uvicorn on loopback) that
verifies every delivery with the `standardwebhooks` library (the specification's reference
implementation). Retries after 500s and timeouts keep the `webhook-id`; the schedule runs out
into FAILED and `webhookRedeliver` sends again; a day of failures disables the endpoint; a
dispatcher killed mid-delivery is replaced by another instance, and a change committed while
no instance runs is still delivered; private addresses are refused unless allowed; redirects
are not followed; payloads hold only what outsiders may read."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db import migrate
from db.engine import create_engine
from db.enums import Role
from resolvers import accounts, webhooks
from settings import Settings
from tests.conftest import Api, ServedProcess, free_port, serve_api
from web.webhooks import Refused, destination

QUICK = Settings(
    response_cache=False,
    planner=False,
    webhook_allow_private=True,
    webhook_retry_schedule=(0.3, 0.3, 0.3),
    webhook_timeout_seconds=1,
)
CREATE_HOOK = """mutation($input: WebhookCreateInput!) { webhookCreate(input: $input) {
  webhook { id name url types actions enabled } secret userErrors { field code message } } }"""
DELIVERIES = """query($id: ID!, $status: WebhookDeliveryStatus) { webhookDeliveries(webhookId: $id, status: $status) {
  nodes { id messageId status attempts responseStatus lastError action type objectId payload } } }"""
HOOKS = "{ webhooks { id enabled disabledReason failingSince } }"
CREATE_COMPANY = """mutation($n: String!, $p: Boolean!) { companyCreate(input: { name: $n, legalForm: GMBH, published: $p })
  { company { id } userErrors { code } } }"""


@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook endpoint on a real uvicorn: answers from `plan` in order (a status, or `hang`
    for an answer that never comes), then 200; records every request."""

    def __init__(self) -> None:
        self.plan: list[int | str] = []
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.port = free_port()
        app = Starlette(routes=[Route("/{path:path}", self.endpoint, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def url(self, path: str = "hooks") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.received.append(Received(request.url.path, dict(request.headers), body))
            answer = self.plan.pop(0) if self.plan else 200
        if answer == "hang":
            await asyncio.sleep(3600)
        if answer == 302:
            return Response(status_code=302, headers={"location": self.url("elsewhere")})
        return Response(status_code=int(answer))

    def start(self) -> Receiver:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(timeout=10)

    def reset(self, *plan: int | str) -> None:
        with self.lock:
            self.plan, self.received = list(plan), []

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every request's body, each verified with `standardwebhooks` (raises if one fails)."""
        with self.lock:
            return [Webhook(secret).verify(r.body, r.headers) for r in self.received]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def hooks_database_url(pg_server: Any) -> str:
    """A database of its own: only this module's dispatchers send from it."""
    url: str = pg_server.create_database("upl_hooks")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="module")
async def admin(hooks_database_url: str) -> dict[str, str]:
    engine = create_engine(hooks_database_url)
    try:
        await accounts.create_user(engine, "ada", "correct horse battery", Role.ADMIN)
        admin_key = await accounts.create_key(engine, "Ada's token", Role.ADMIN, "ada")
        await accounts.create_user(engine, "sam", "correct horse battery", Role.STAFF)
        staff_key = await accounts.create_key(engine, "Sam's token", Role.STAFF, "sam")
    finally:
        await engine.dispose()
    return {"admin": f"Bearer {admin_key.key}", "staff": f"Bearer {staff_key.key}"}


@pytest.fixture
async def hooks_api(hooks_database_url: str) -> AsyncIterator[Api]:
    async for value in serve_api(hooks_database_url, settings=QUICK):
        yield value


async def create_hook(api: Api, admin: dict[str, str], url: str, **extra: Any) -> tuple[str, str]:
    data = await api.query(CREATE_HOOK, {"input": {"name": "Partner", "url": url, **extra}}, as_(admin))
    payload = data["webhookCreate"]
    assert payload["userErrors"] == [], payload
    return payload["webhook"]["id"], payload["secret"]


def as_(admin: dict[str, str], role: str = "admin") -> dict[str, str]:
    return {"authorization": admin[role]}


async def company(api: Api, admin: dict[str, str], name: str, published: bool = True) -> str:
    data = await api.query(CREATE_COMPANY, {"n": name, "p": published}, as_(admin))
    company_id: str = data["companyCreate"]["company"]["id"]
    return company_id


async def deliveries(api: Api, admin: dict[str, str], hook: str, status: str | None = None) -> list[dict[str, Any]]:
    data = await api.query(DELIVERIES, {"id": hook, "status": status}, as_(admin))
    found: list[dict[str, Any]] = data["webhookDeliveries"]["nodes"]
    return found


async def until(check: Any, seconds: float = 15) -> Any:
    """Poll `check()` (async) until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def disable_all(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE webhooks SET enabled = false"))
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
async def one_endpoint_at_a_time(hooks_database_url: str) -> AsyncIterator[None]:
    yield
    await disable_all(hooks_database_url)


async def test_a_delivery_is_signed_verifiable_and_public(
    hooks_api: Api, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.reset()
    hook, secret = await create_hook(hooks_api, admin, receiver.url(), types=["COMPANY"])
    assert secret.startswith("whsec_")
    listed = (await hooks_api.query("{ webhooks { id url } }", headers=as_(admin)))["webhooks"]
    assert {"id": hook, "url": receiver.url()} in listed  # and no field holds the secret
    hidden = await company(hooks_api, admin, "Verborgen GmbH", published=False)
    shown = await company(hooks_api, admin, "Sichtbar GmbH")
    assert await until(lambda: _count(receiver, 1))
    await asyncio.sleep(0.3)  # the unpublished company's change would have come first
    (event,) = receiver.verified(secret)
    assert event["type"] == "company.create"
    assert event["data"]["objectId"] == shown != hidden
    assert event["data"]["node"]["name"] == "Sichtbar GmbH"
    assert "contacts" not in event["data"]["node"]
    headers = receiver.received[0].headers
    assert headers["webhook-id"].startswith("msg_") and headers["content-type"] == "application/json"
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43).verify(receiver.received[0].body, headers)
    (delivery,) = await until(lambda: deliveries(hooks_api, admin, hook, "DELIVERED"))
    assert delivery["messageId"] == headers["webhook-id"] and delivery["responseStatus"] == 200
    assert delivery["payload"].encode() == receiver.received[0].body


async def _count(receiver: Receiver, n: int) -> bool:
    with receiver.lock:
        return len(receiver.received) >= n


async def test_retries_after_500s_and_timeouts_keep_the_webhook_id(
    hooks_api: Api, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.reset(500, "hang", 200)
    hook, secret = await create_hook(hooks_api, admin, receiver.url())
    await company(hooks_api, admin, "Wiederholt GmbH")
    (delivery,) = await until(lambda: deliveries(hooks_api, admin, hook, "DELIVERED"))
    assert delivery["attempts"] == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.verified(secret)) == 3  # every attempt signed afresh, each verifies


async def test_failed_after_the_schedule_then_redelivered(
    hooks_api: Api, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.reset(500, 500, 500, 503)
    hook, secret = await create_hook(hooks_api, admin, receiver.url())
    await company(hooks_api, admin, "Gescheitert GmbH")
    (failed,) = await until(lambda: deliveries(hooks_api, admin, hook, "FAILED"))
    assert failed["attempts"] == 4 and failed["responseStatus"] == 503 and failed["lastError"] == "HTTP 503"
    redo = """mutation($id: ID!) { webhookRedeliver(input: { deliveryId: $id }) { delivery { status } } }"""
    data = await hooks_api.query(redo, {"id": failed["id"]}, as_(admin))
    assert data["webhookRedeliver"]["delivery"]["status"] == "PENDING"
    (delivered,) = await until(lambda: deliveries(hooks_api, admin, hook, "DELIVERED"))
    assert delivered["messageId"] == failed["messageId"]
    assert receiver.received[-1].headers["webhook-id"] == failed["messageId"]
    receiver.verified(secret)


async def test_a_day_of_failures_disables_the_endpoint(
    hooks_api: Api, admin: dict[str, str], receiver: Receiver, hooks_database_url: str
) -> None:
    receiver.reset(*[500] * 10)
    hook, _ = await create_hook(hooks_api, admin, receiver.url())
    engine = create_engine(hooks_database_url, pool_size=1)
    try:
        async with engine.begin() as connection:  # as if it had failed since yesterday
            await connection.execute(text("UPDATE webhooks SET failing_since = now() - interval '25 hours'"))
    finally:
        await engine.dispose()
    await company(hooks_api, admin, "Ausfall GmbH")

    async def disabled() -> list[Any]:
        return [
            h
            for h in (await hooks_api.query(HOOKS, headers=as_(admin)))["webhooks"]
            if h["id"] == hook and not h["enabled"]
        ]

    (found,) = await until(disabled)
    assert "every delivery failed since" in found["disabledReason"] and "HTTP 500" in found["disabledReason"]
    sent = len(receiver.received)
    await company(hooks_api, admin, "Danach GmbH")
    await asyncio.sleep(1)
    assert len(receiver.received) == sent  # nothing is sent to a disabled endpoint
    enable = """mutation($id: ID!) { webhookUpdate(input: { id: $id, enabled: true }) { webhook { enabled disabledReason failingSince } } }"""
    data = await hooks_api.query(enable, {"id": hook}, as_(admin))
    assert data["webhookUpdate"]["webhook"] == {"enabled": True, "disabledReason": None, "failingSince": None}


async def test_redirects_are_not_followed(hooks_api: Api, admin: dict[str, str], receiver: Receiver) -> None:
    receiver.reset(302, 302, 302, 302)
    hook, _ = await create_hook(hooks_api, admin, receiver.url())
    await company(hooks_api, admin, "Umleitung GmbH")
    (failed,) = await until(lambda: deliveries(hooks_api, admin, hook, "FAILED"))
    assert "redirects are not followed" in failed["lastError"]
    assert {r.path for r in receiver.received} == {"/hooks"}


async def test_only_admins_manage_webhooks(hooks_api: Api, admin: dict[str, str], receiver: Receiver) -> None:
    errors = await hooks_api.errors(HOOKS, headers=as_(admin, "staff"))
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    errors = await hooks_api.errors(CREATE_HOOK, {"input": {"name": "x", "url": receiver.url()}})
    assert errors[0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}


async def test_private_addresses_are_refused_unless_allowed(
    hooks_database_url: str, admin: dict[str, str], receiver: Receiver
) -> None:
    strict = dataclasses.replace(QUICK, webhook_allow_private=False)
    async for api in serve_api(hooks_database_url, settings=strict):
        data = await api.query(CREATE_HOOK, {"input": {"name": "x", "url": receiver.url()}}, as_(admin))
        (problem,) = data["webhookCreate"]["userErrors"]
        assert problem["field"] == ["input", "url"] and "https://" in problem["message"]
        receiver.reset()
        hook, _ = await create_hook(api, admin, f"https://localhost:{receiver.port}/hooks")
        await company(api, admin, "Intern GmbH")
        (failed,) = await until(lambda api=api, hook=hook: deliveries(api, admin, hook, "FAILED"))
        assert "private, loopback or link-local" in failed["lastError"]
        assert receiver.received == []
    for url in ("https://127.0.0.1/", "https://[::1]/", "https://169.254.169.254/latest", "https://10.1.2.3/"):
        with pytest.raises(Refused):
            await destination(url, allow_private=False)
    with pytest.raises(Refused, match="plain http"):
        await destination("http://93.184.216.34/", allow_private=True)  # a public address, plain http
    # the checked address is the one connected to; the name goes along for Host (and TLS)
    pinned = await destination(f"http://localhost:{receiver.port}/hooks", allow_private=True)
    assert pinned.url.host in {"127.0.0.1", "::1"} and pinned.host == f"localhost:{receiver.port}"


async def test_a_dispatcher_killed_mid_delivery_and_a_change_made_while_none_runs(
    hooks_database_url: str, admin: dict[str, str], receiver: Receiver
) -> None:
    env = {"UPL_WEBHOOK_ALLOW_PRIVATE": "1", "UPL_WEBHOOK_TIMEOUT_SECONDS": "2", "UPL_RATE_LIMIT": "0"}
    receiver.reset("hang")
    first = ServedProcess(hooks_database_url, env=env)
    try:
        hook, secret = await create_hook(_remote(first), admin, receiver.url())
        await company(_remote(first), admin, "Abgestürzt GmbH")
        assert await until(lambda: _count(receiver, 1))
    finally:
        first.kill()  # mid-delivery: the receiver has the request and has not answered
    engine = create_engine(hooks_database_url, pool_size=1)
    try:  # a change committed while no instance runs
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE companies SET name = 'Abgestürzt und umbenannt GmbH' WHERE name = 'Abgestürzt GmbH'")
            )
    finally:
        await engine.dispose()
    second = ServedProcess(hooks_database_url, env=env)
    try:
        assert await until(lambda: _count(receiver, 3), seconds=30)
    finally:
        second.stop()
    events = receiver.verified(secret)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    by_type = {e["type"]: e for e in events}
    assert sorted(e["type"] for e in events) == ["company.create", "company.create", "company.update"]
    assert ids.count(ids[0]) == 2  # the killed attempt is sent again, with its webhook-id
    assert by_type["company.update"]["data"]["node"]["name"] == "Abgestürzt und umbenannt GmbH"
    assert hook


def _remote(served: ServedProcess) -> Api:
    return Api(httpx.AsyncClient(base_url=served.base), counter=None)  # type: ignore[arg-type]


async def test_settled_deliveries_are_purged_after_their_retention(
    hooks_api: Api, admin: dict[str, str], receiver: Receiver, hooks_database_url: str
) -> None:
    receiver.reset()
    hook, _ = await create_hook(hooks_api, admin, receiver.url())
    await company(hooks_api, admin, "Alt GmbH")
    (delivered,) = await until(lambda: deliveries(hooks_api, admin, hook, "DELIVERED"))
    engine = create_engine(hooks_database_url, pool_size=1)
    try:
        async with engine.begin() as connection:  # as if it were 40 days old, and a pending one too
            await connection.execute(text("UPDATE webhook_deliveries SET created_at = now() - interval '40 days'"))
            await connection.execute(
                text(
                    "INSERT INTO webhook_deliveries (webhook_id, message_id, change_seq, object_type, object_id, "
                    "action, body, created_at, next_attempt_at) SELECT webhook_id, 'msg_pending_old', change_seq, "
                    "object_type, object_id, action, body, created_at, now() + interval '1 day' "
                    "FROM webhook_deliveries WHERE message_id = :m"
                ),
                {"m": delivered["messageId"]},
            )
        assert await webhooks.purge(engine) >= 1
        async with engine.connect() as connection:
            left = (await connection.execute(text("SELECT message_id FROM webhook_deliveries"))).scalars().all()
    finally:
        await engine.dispose()
    assert delivered["messageId"] not in left and "msg_pending_old" in left  # pending ones are kept


async def test_each_delivery_holds_the_object_as_it_is_then(
    hooks_api: Api, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.reset()
    hook, secret = await create_hook(hooks_api, admin, receiver.url(), actions=["UPDATE"])
    created = await company(hooks_api, admin, "Erst GmbH")
    version = "query($id: ID!) { node(id: $id) { ... on Company { version } } }"
    rename = """mutation($i: CompanyUpdateInput!) { companyUpdate(input: $i) { userErrors { code } } }"""
    for sent, name in enumerate(("Zweit GmbH", "Dritt GmbH"), start=1):
        current = (await hooks_api.query(version, {"id": created}, as_(admin)))["node"]["version"]
        await hooks_api.query(rename, {"i": {"id": created, "version": current, "name": name}}, as_(admin))
        assert await until(lambda sent=sent: _count(receiver, sent))
    names = [event["data"]["node"]["name"] for event in receiver.verified(secret)]
    assert names == ["Zweit GmbH", "Dritt GmbH"]  # not the first one read, twice
    assert hook
