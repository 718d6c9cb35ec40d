"""GraphQL subscriptions over WebSocket (`graphql-transport-ws`) and over SSE (`graphql-sse`),
driven by clients nobody here wrote: Python's `gql` (its WebSocketsTransport), the npm
`graphql-ws` and `graphql-sse` reference clients, and raw `websockets` and `httpx` streams.
`changes` replays what the feed holds after `since`, then pushes each commit as it happens, with
no gap and no repeat across the switch and across a reconnect that resumes from the last cursor;
visibility follows the role; a wrong key closes with 4403."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from db.engine import create_engine
from db.enums import Role
from resolvers import accounts
from settings import Settings
from tests.conftest import LiveServer, ServedProcess
from tests.fragment_documents import BOMBS
from tests.node_harness import node
from web.sharing import EncodedOnce

CHANGES = gql(
    "subscription($since: String, $types: [SearchType!]) { changes(since: $since, types: $types) "
    "{ cursor node { objectId type action } } }"
)


def changes(**variables: Any) -> GraphQLRequest:
    return GraphQLRequest(CHANGES, variable_values=variables)


CREATE = "mutation($n: String!) { companyCreate(input: { name: $n, legalForm: GMBH }) { company { id } } }"
HEAD = "{ changesHead }"


@pytest.fixture(scope="module")
def served(edit_database_url: str) -> Iterator[ServedProcess]:
    process = ServedProcess(edit_database_url, env={"UPL_RATE_LIMIT": "0"})
    yield process
    process.stop()


def ws_url(served: ServedProcess) -> str:
    return served.url.replace("http://", "ws://")


def post(
    served: ServedProcess, query: str, variables: dict[str, Any] | None, headers: dict[str, str]
) -> dict[str, Any]:
    response = httpx.post(served.url, json={"query": query, "variables": variables}, headers=headers, timeout=10)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


async def create(served: ServedProcess, staff: dict[str, str], name: str) -> str:
    data = await asyncio.to_thread(post, served, CREATE, {"n": name}, staff)
    return str(data["companyCreate"]["company"]["id"])


async def take(subscription: Any, count: int, seconds: float = 15) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    async def collect() -> None:
        async for result in subscription:
            got.append(result["changes"])
            if len(got) == count:
                return

    await asyncio.wait_for(collect(), timeout=seconds)
    return got


async def test_changes_replay_then_live_without_gap_or_repeat_across_a_reconnect(
    served: ServedProcess, role_headers: dict[str, dict[str, str]]
) -> None:
    staff = role_headers["staff"]
    since = (await asyncio.to_thread(post, served, HEAD, None, {}))["changesHead"]
    before = [await create(served, staff, f"Vorher {i} {uuid.uuid4().hex[:6]} GmbH") for i in range(3)]
    transport = WebsocketsTransport(url=ws_url(served), init_payload={"authorization": staff["authorization"]})
    async with Client(transport=transport) as session:
        stream = session.subscribe(changes(**{"since": since, "types": ["COMPANY"]}))
        replayed = await take(stream, 3)  # what the feed held after `since`
        assert [c["node"]["objectId"] for c in replayed] == before
        during = await create(served, staff, f"Live {uuid.uuid4().hex[:6]} GmbH")
        (live,) = await take(stream, 1)  # then live, pushed as it commits
        assert live["node"] == {"objectId": during, "type": "COMPANY", "action": "CREATE"}
        last_cursor = live["cursor"]
        await stream.aclose()
    missed = [await create(served, staff, f"Offline {i} {uuid.uuid4().hex[:6]} GmbH") for i in range(2)]
    transport = WebsocketsTransport(url=ws_url(served), init_payload={"Authorization": staff["authorization"]})
    async with Client(transport=transport) as session:  # reconnect, resuming from the last cursor
        stream = session.subscribe(changes(**{"since": last_cursor, "types": ["COMPANY"]}))
        resumed = await take(stream, 2)
        assert [c["node"]["objectId"] for c in resumed] == missed  # nothing lost, nothing twice
        after = await create(served, staff, f"Danach {uuid.uuid4().hex[:6]} GmbH")
        (live,) = await take(stream, 1)
        assert live["node"]["objectId"] == after
        await stream.aclose()


async def test_each_pushed_change_reads_the_object_as_it_is_now(
    served: ServedProcess, role_headers: dict[str, dict[str, str]]
) -> None:
    staff = role_headers["staff"]
    company = await create(served, staff, f"Vorher {uuid.uuid4().hex[:6]} GmbH")
    document = gql("subscription { changes(types: [COMPANY]) { node { action node { ... on Company { phone } } } } }")
    transport = WebsocketsTransport(url=ws_url(served), init_payload={"Authorization": staff["authorization"]})
    async with Client(transport=transport) as session:
        stream = session.subscribe(GraphQLRequest(document))
        pushed = asyncio.ensure_future(take(stream, 2))
        await asyncio.sleep(0.5)  # subscribed: from now on
        for phone in ("030 6001", "030 6002"):
            await asyncio.to_thread(update, served, staff, company, phone=phone)
        phones = [change["node"]["node"]["phone"] for change in await pushed]
        await stream.aclose()
    assert phones == ["030 6001", "030 6002"]  # not the first read again


async def test_a_write_through_another_instance_is_pushed(
    served: ServedProcess, edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    other = ServedProcess(edit_database_url, env={"UPL_RATE_LIMIT": "0"})  # PostgreSQL is the bus
    try:
        staff = role_headers["staff"]
        transport = WebsocketsTransport(url=ws_url(served), init_payload={"Authorization": staff["authorization"]})
        async with Client(transport=transport) as session:
            stream = session.subscribe(changes(types=["COMPANY"]))
            first = asyncio.ensure_future(take(stream, 2))
            await asyncio.sleep(0.5)  # subscribed: from now on
            written = [await create(other, staff, f"Anderswo {i} {uuid.uuid4().hex[:6]} GmbH") for i in range(2)]
            pushed = await first
            assert [c["node"]["objectId"] for c in pushed] == written
            await stream.aclose()
    finally:
        other.stop()


async def test_visibility_follows_the_role(served: ServedProcess, role_headers: dict[str, dict[str, str]]) -> None:
    staff = role_headers["staff"]
    since = (await asyncio.to_thread(post, served, HEAD, None, {}))["changesHead"]
    created = await create(served, staff, f"Newsletter sieht das nicht {uuid.uuid4().hex[:6]} GmbH")
    newsletter = WebsocketsTransport(
        url=ws_url(served), init_payload={"Authorization": role_headers["newsletter"]["authorization"]}
    )
    async with Client(transport=newsletter) as session:
        stream = session.subscribe(changes(**{"since": since}))
        with pytest.raises(TimeoutError):
            await take(stream, 1, seconds=2)  # a company change is not the newsletter's to see
    anonymous = WebsocketsTransport(url=ws_url(served))
    async with Client(transport=anonymous) as session:
        (seen,) = await take(session.subscribe(changes(**{"since": since})), 1)
        assert seen["node"]["objectId"] == created  # published companies: public


async def close_code(served: ServedProcess, *messages: dict[str, Any]) -> int | None:
    """Send `messages` on a raw `graphql-transport-ws` connection; the code it is closed with."""
    async with connect(ws_url(served), subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
        for message in messages:
            await socket.send(json.dumps(message))
        try:
            while True:
                await asyncio.wait_for(socket.recv(), timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


NUL_SINCE = "subscription($s: String) { changes(since: $s) { cursor } }"
SUBSCRIBE: dict[str, Any] = {
    "id": "1",
    "type": "subscribe",
    "payload": {"query": "subscription { changes { cursor } }"},
}


async def test_the_protocol_s_close_codes(served: ServedProcess, role_headers: dict[str, dict[str, str]]) -> None:
    wrong = {"type": "connection_init", "payload": {"Authorization": "Bearer upl_wrong_wrong_wrong"}}
    assert await close_code(served, wrong) == 4403  # a wrong key: Forbidden
    assert await close_code(served, SUBSCRIBE) == 4401  # no connection_init first: Unauthorized
    init = {"type": "connection_init", "payload": {"Authorization": role_headers["partner"]["authorization"]}}
    assert await close_code(served, init, init) == 4429  # initialised twice
    assert await close_code(served, init, SUBSCRIBE, SUBSCRIBE) == 4409  # the same operation ID twice
    assert await close_code(served, {"type": "connection_init", "payload": "not an object"}) == 4400


async def test_at_most_the_configured_subscriptions_per_connection(served: ServedProcess) -> None:
    async with connect(ws_url(served), subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        for n in range(21):  # UPL_MAX_SUBSCRIPTIONS_PER_CONNECTION: 20 by default
            await socket.send(json.dumps({**SUBSCRIBE, "id": str(n)}))
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    assert (message["id"], message["type"]) == ("20", "error")
    assert "limit" in message["payload"][0]["message"].lower()


async def errors_of(served: ServedProcess, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The `error` message a subscribe gets on a partner key's connection."""
    async with connect(ws_url(served), subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "7", "type": "subscribe", "payload": payload}))
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    assert (message["type"], message["id"]) == ("error", "7"), message
    errors: list[dict[str, Any]] = message["payload"]
    return errors


async def test_websocket_operations_meet_the_same_limits(served: ServedProcess) -> None:
    bomb = BOMBS["two spreads per level"]
    codes = {
        "bomb": (await errors_of(served, {"query": bomb}))[0]["extensions"]["code"],
        "query": (await errors_of(served, {"query": "{ changesHead }"}))[0]["extensions"]["code"],
        "mutation": (await errors_of(served, {"query": CREATE, "variables": {"n": "x"}}))[0]["extensions"]["code"],
        "nul": (
            await errors_of(served, {"query": SUBSCRIBE["payload"]["query"].replace("cursor", "cursor ") + "#\x00"})
        )[0]["extensions"]["code"],
    }
    assert codes == {
        "bomb": "FRAGMENT_SPREAD_LIMIT",
        "query": "BAD_REQUEST",
        "mutation": "BAD_REQUEST",
        "nul": "BAD_USER_INPUT",
    }


async def test_a_revoked_key_closes_its_subscriptions_with_4403(served: ServedProcess, edit_database_url: str) -> None:
    engine = create_engine(edit_database_url, pool_size=1)
    try:
        key = await accounts.create_key(engine, f"revoked soon {uuid.uuid4().hex[:6]}", Role.PARTNER)
        async with connect(ws_url(served), subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
            await socket.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key.key}"}})
            )
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps(SUBSCRIBE))
            await accounts.revoke_key(engine, key.prefix)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(socket.recv(), timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    finally:
        await engine.dispose()


def test_a_subscription_over_http_says_where_subscriptions_run(served: ServedProcess) -> None:
    for send in (httpx.post, httpx.get):
        kwargs: dict[str, Any] = (
            {"json": SUBSCRIBE["payload"]} if send is httpx.post else {"params": SUBSCRIBE["payload"]}
        )
        response = send(served.url, **kwargs)
        assert response.status_code == 400
        assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_the_graphql_ws_reference_client(served: ServedProcess, role_headers: dict[str, dict[str, str]]) -> None:
    staff = role_headers["staff"]
    since = (await asyncio.to_thread(post, served, HEAD, None, {}))["changesHead"]
    created = await create(served, staff, f"Referenzclient {uuid.uuid4().hex[:6]} GmbH")
    out = await asyncio.to_thread(
        node,
        "subscribe.mjs",
        "ws",
        ws_url(served),
        json.dumps(
            {
                "query": "subscription($s: String) { changes(since: $s, types: [COMPANY]) { cursor node { objectId action } } }",
                "variables": {"s": since},
            }
        ),
        "1",
        staff["authorization"],
    )
    (first,) = json.loads(out)
    assert first["data"]["changes"]["node"] == {"objectId": created, "action": "CREATE"}


# --- live queries ------------------------------------------------------------------------------

LIVE_NODE = "subscription($id: ID!) { node(id: $id) { ... on Company { name phone } } }"
UPDATE = "mutation($i: CompanyUpdateInput!) { companyUpdate(input: $i) { company { version } userErrors { code } } }"
VERSION = "query($id: ID!) { node(id: $id) { ... on Company { version } } }"


def update(served: ServedProcess, staff: dict[str, str], company: str, **changes: Any) -> None:
    version = post(served, VERSION, {"id": company}, staff)["node"]["version"]
    result = post(served, UPDATE, {"i": {"id": company, "version": version, **changes}}, staff)
    assert result["companyUpdate"]["userErrors"] == []


async def test_a_live_node_is_pushed_when_its_answer_changes_and_only_then(
    served: ServedProcess, role_headers: dict[str, dict[str, str]]
) -> None:
    staff = role_headers["staff"]
    company = await create(served, staff, f"Lebendig {uuid.uuid4().hex[:6]} GmbH")
    other = await create(served, staff, f"Unbeteiligt {uuid.uuid4().hex[:6]} GmbH")
    transport = WebsocketsTransport(url=ws_url(served), init_payload={"Authorization": staff["authorization"]})
    async with Client(transport=transport) as session:
        stream = session.subscribe(GraphQLRequest(LIVE_NODE, variable_values={"id": company}))

        async def next_result(seconds: float = 10) -> dict[str, Any]:
            result: dict[str, Any] = await asyncio.wait_for(stream.__anext__(), timeout=seconds)
            return result["node"]

        first = await next_result()  # the answer now
        assert first["phone"] is None
        await asyncio.to_thread(update, served, staff, other, phone="030 1111")  # a write it does not read
        await asyncio.to_thread(update, served, staff, company, phone="030 2222")
        assert await next_result() == {"name": first["name"], "phone": "030 2222"}  # nothing for the other write
        await asyncio.to_thread(update, served, staff, company, phone="030 2222")  # the same answer again
        await asyncio.to_thread(update, served, staff, company, phone="030 3333")
        assert (await next_result())["phone"] == "030 3333"  # nothing for the write that changed nothing
        await stream.aclose()


LIVE_EVENTS = """subscription($after: DateTime!) {
  events(first: 2, filter: { kinds: [WORKSHOP], startsAfter: $after }, orderBy: { field: START_AT, direction: ASC })
  { totalCount nodes { title } } }"""
CREATE_EVENT = (
    """mutation($i: EventCreateInput!) { eventCreate(input: $i) { event { id } userErrors { code message } } }"""
)
PUBLISH_EVENT = """mutation($i: ID!) { eventUnpublish(input: { id: $i }) { userErrors { code } } }"""


def create_event(served: ServedProcess, staff: dict[str, str], title: str, kind: str, starts: str) -> str:
    data = post(
        served,
        CREATE_EVENT,
        {"i": {"title": title, "kind": kind, "startsAt": starts, "venueName": "Rathaus Lichtenberg"}},
        staff,
    )
    assert data["eventCreate"]["userErrors"] == [], data
    return str(data["eventCreate"]["event"]["id"])


async def test_a_live_event_list_is_pushed_when_its_answer_changes_and_only_then(
    served: ServedProcess, role_headers: dict[str, dict[str, str]]
) -> None:
    staff, year = role_headers["staff"], 2090 + uuid.uuid4().int % 9  # a window no other test writes to
    after = f"{year}-01-01T00:00:00+01:00"
    transport = WebsocketsTransport(url=ws_url(served))  # anonymous: published events only
    async with Client(transport=transport) as session:
        stream = session.subscribe(GraphQLRequest(LIVE_EVENTS, variable_values={"after": after}))

        async def next_result(seconds: float = 10) -> dict[str, Any]:
            result: dict[str, Any] = await asyncio.wait_for(stream.__anext__(), timeout=seconds)
            return result["events"]

        assert await next_result() == {"totalCount": 0, "nodes": []}  # the answer now
        await asyncio.to_thread(
            create_event, served, staff, "Gründen im Kiez", "WORKSHOP", f"{year}-03-01T18:00:00+01:00"
        )
        assert await next_result() == {"totalCount": 1, "nodes": [{"title": "Gründen im Kiez"}]}
        await create(served, staff, f"Unbeteiligt {uuid.uuid4().hex[:6]} GmbH")  # another table
        await asyncio.to_thread(  # the same table, not in the answer
            create_event, served, staff, "Messe", "TRADE_FAIR", f"{year}-02-01T10:00:00+01:00"
        )
        early = await asyncio.to_thread(
            create_event, served, staff, "Früh übt sich", "WORKSHOP", f"{year}-01-15T09:00:00+01:00"
        )
        pushed = await next_result()  # nothing for the two writes it does not show
        assert pushed == {"totalCount": 2, "nodes": [{"title": "Früh übt sich"}, {"title": "Gründen im Kiez"}]}
        assert (await asyncio.to_thread(post, served, PUBLISH_EVENT, {"i": early}, staff))["eventUnpublish"] == {
            "userErrors": []
        }
        assert await next_result() == {"totalCount": 1, "nodes": [{"title": "Gründen im Kiez"}]}
        await stream.aclose()


# --- GraphQL over SSE -----------------------------------------------------------------------


async def test_the_graphql_sse_reference_client(served: ServedProcess, role_headers: dict[str, dict[str, str]]) -> None:
    staff = role_headers["staff"]
    since = (await asyncio.to_thread(post, served, HEAD, None, {}))["changesHead"]
    created = [await create(served, staff, f"SSE {i} {uuid.uuid4().hex[:6]} GmbH") for i in range(2)]
    document = {
        "query": "subscription($s: String) { changes(since: $s, types: [COMPANY]) { cursor node { objectId } } }",
        "variables": {"s": since},
    }
    out = await asyncio.to_thread(
        node, "subscribe.mjs", "sse", served.url, json.dumps(document), "2", staff["authorization"]
    )
    assert [result["data"]["changes"]["node"]["objectId"] for result in json.loads(out)] == created


def test_sse_events_limits_and_credentials(served: ServedProcess, role_headers: dict[str, dict[str, str]]) -> None:
    accept = {"accept": "text/event-stream"}
    since = post(served, HEAD, None, {})["changesHead"]
    name = f"Strom {uuid.uuid4().hex[:6]} GmbH"
    post(served, CREATE, {"n": name}, role_headers["staff"])
    document = {
        "query": "subscription($s: String) { changes(since: $s) { node { objectId action } } }",
        "variables": {"s": since},
    }
    with httpx.stream("POST", served.url, json=document, headers=accept, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == "event: next"
        event = json.loads(next(lines).removeprefix("data: "))
    assert event["data"]["changes"]["node"]["action"] == "CREATE"
    refused = httpx.post(served.url, json={"query": BOMBS["two spreads per level"]}, headers=accept, timeout=10)
    assert "FRAGMENT_SPREAD_LIMIT" in refused.text  # the same limits as every other request
    wrong = httpx.post(served.url, json=document, headers={**accept, "authorization": "Bearer upl_wrong"}, timeout=10)
    assert wrong.status_code == 401
    # another site's page, with a key for its origin: CORS as for queries; from any other origin: 403
    partner = {**accept, **role_headers["partner"]}
    with httpx.stream(
        "POST", served.url, json=document, headers={**partner, "origin": "https://partner.example"}, timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://partner.example"
    elsewhere = httpx.post(served.url, json=document, headers={**partner, "origin": "https://evil.example"}, timeout=10)
    assert elsewhere.status_code == 403


# --- per-key limits, idle connections, graceful shutdown ------------------------------------


async def opened(served: ServedProcess, authorization: str | None = None) -> Any:
    """A raw `graphql-transport-ws` connection, initialised."""
    socket = await connect(ws_url(served), subprotocols=[Subprotocol("graphql-transport-ws")])
    payload = {} if authorization is None else {"Authorization": authorization}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    return socket


async def closed_with(socket: Any, seconds: float = 10) -> tuple[list[dict[str, Any]], int | None]:
    """The messages a connection still gets, and the code it is closed with."""
    messages: list[dict[str, Any]] = []
    try:
        while True:
            messages.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=seconds)))
    except ConnectionClosed as closed:
        return messages, closed.rcvd.code if closed.rcvd else None


async def test_per_key_limits_and_idle_connections(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    env = {"UPL_MAX_SUBSCRIPTIONS_PER_KEY": "2", "UPL_SUBSCRIPTION_IDLE_SECONDS": "1", "UPL_RATE_LIMIT": "0"}
    served = ServedProcess(edit_database_url, env=env)
    try:
        partner = role_headers["partner"]["authorization"]
        sockets = [await opened(served, partner) for _ in range(3)]
        for n, socket in enumerate(sockets):  # one subscription on each connection, one key
            await socket.send(json.dumps({**SUBSCRIBE, "id": str(n)}))
            await asyncio.sleep(0.3)  # running before the next one starts
        message = json.loads(await asyncio.wait_for(sockets[2].recv(), timeout=10))
        assert (message["type"], message["id"]) == ("error", "2")
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        other = await opened(served, role_headers["newsletter"]["authorization"])  # another key: its own budget
        await other.send(json.dumps({**SUBSCRIBE, "id": "n"}))
        # the connection whose subscription was refused runs nothing: closed as idle (1000)
        assert (await closed_with(sockets[2], seconds=10))[1] == 1000
        await asyncio.sleep(1.5)  # longer than the idle timeout: those running a subscription stay open
        for socket in (sockets[0], sockets[1], other):
            await socket.ping()
            await socket.close()
    finally:
        served.stop()


async def test_graceful_shutdown_completes_subscriptions(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    served = ServedProcess(edit_database_url, env={"UPL_RATE_LIMIT": "0"})
    try:
        socket = await opened(served, role_headers["partner"]["authorization"])
        await socket.send(json.dumps({**SUBSCRIBE, "id": "live"}))
        sse_body = {"query": "subscription { changes(types: [COMPANY]) { cursor } }"}
        async with httpx.AsyncClient(timeout=20) as client:
            sse_headers = {"accept": "text/event-stream", **role_headers["partner"]}
            async with client.stream("POST", served.url, json=sse_body, headers=sse_headers) as stream:
                assert stream.status_code == 200
                await asyncio.sleep(0.5)  # both subscribed
                served.process.terminate()  # SIGTERM, as systemd, Docker and Kubernetes stop it
                messages, code = await closed_with(socket)
                events = [line async for line in stream.aiter_lines() if line.startswith("event:")]
        assert messages == [{"type": "complete", "id": "live"}] and code == 1001  # reconnect elsewhere
        assert events == ["event: complete"]
        assert served.process.wait(timeout=15) in (0, -15)
    finally:
        served.stop()


# --- one evaluation for every subscriber of the same subscription ---------------------------


async def next_message(socket: Any, seconds: float = 10) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=seconds))
    return message


async def test_subscribers_of_the_same_live_query_share_one_evaluation(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    """Statements per change do not grow with the subscribers: one evaluation for all of them."""
    live = LiveServer(edit_database_url, settings=Settings(rate_limit=False, response_cache=False)).start()
    counter = live.counter
    assert counter is not None
    staff = role_headers["staff"]
    try:
        served = cast(ServedProcess, live)  # the helpers need only its `url`
        company = await create(served, staff, f"Geteilt {uuid.uuid4().hex[:6]} GmbH")
        subscribe = {"type": "subscribe", "payload": {"query": LIVE_NODE, "variables": {"id": company}}}

        async def statements_per_change(count: int, phone: str) -> int:
            sockets = [await opened(served, None) for _ in range(count)]
            try:
                for n, socket in enumerate(sockets):
                    await socket.send(json.dumps({**subscribe, "id": str(n)}))
                    assert (await next_message(socket))["type"] == "next"  # the answer now, also for late joiners
                await asyncio.sleep(0.3)
                counter.reset()
                await asyncio.to_thread(update, served, staff, company, phone=phone)
                for socket in sockets:
                    pushed = await next_message(socket)
                    assert pushed["payload"]["data"]["node"]["phone"] == phone
                await asyncio.sleep(0.3)
                return counter.count
            finally:
                for socket in sockets:
                    await socket.close()

        one = await statements_per_change(1, "030 4444")
        many = await statements_per_change(20, "030 5555")
        assert many <= one + 2, (one, many)  # not 20 evaluations
    finally:
        live.stop()


def test_a_shared_result_is_encoded_once_and_exactly() -> None:
    encoded = EncodedOnce()
    data = {"node": {"name": "Café \u201eAm Tierpark\u201c", "phone": None, "n": [1, 2.5, True]}}
    first = encoded.message({"id": "a", "type": "next", "payload": {"data": data}})
    second = encoded.message({"id": 'b"', "type": "next", "payload": {"data": data}})
    assert json.loads(first) == {"id": "a", "type": "next", "payload": {"data": data}}
    assert json.loads(second) == {"id": 'b"', "type": "next", "payload": {"data": data}}
    assert len(encoded.kept) == 1  # the data's text was made once
    errors = {"id": "c", "type": "next", "payload": {"data": None, "errors": [{"message": "x"}]}}
    assert json.loads(encoded.message(errors)) == errors
    assert json.loads(encoded.message({"type": "ping", 1: "non-str key"})) == {"type": "ping", "1": "non-str key"}


class RecordingOperation:
    """What the producer uses of Strawberry's graphql-transport-ws `Operation`; `stuck` never
    finishes a send, as a client that stopped reading (its TCP buffer full) would."""

    def __init__(self, stuck: bool = False) -> None:
        self.stuck = stuck
        self.sent: list[Any] = []

    async def send_next(self, result: Any) -> None:
        if self.stuck:
            await asyncio.sleep(3600)
        self.sent.append(result.data)


async def test_a_subscriber_that_stops_reading_does_not_hold_up_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """The producer writes to its WebSocket subscribers one after the other: a send that hangs
    ends that subscription after SEND_SECONDS, and the next subscriber still gets the result."""
    from strawberry.types import ExecutionResult

    from web import sharing

    monkeypatch.setattr(sharing, "SEND_SECONDS", 0.2)
    go = asyncio.Event()

    async def results() -> Any:
        await go.wait()
        yield ExecutionResult(data={"n": 1}, errors=None)
        await asyncio.sleep(3600)

    producer = sharing.Producer(results(), False, lambda: None)
    stuck, reader = RecordingOperation(stuck=True), RecordingOperation()
    waiting = [asyncio.create_task(anext(producer.attach(op), None)) for op in (stuck, reader)]
    await asyncio.sleep(0.05)
    assert list(producer.direct) == [stuck, reader]
    go.set()
    done = await asyncio.wait_for(waiting[0], timeout=5)  # the stuck one's subscription ended
    assert done is None and reader.sent == [{"n": 1}]
    assert not waiting[1].done() and list(producer.direct) == [reader]
    waiting[1].cancel()  # the client completes: the producer stops once nobody reads
    with contextlib.suppress(asyncio.CancelledError):
        await waiting[1]
    await asyncio.sleep(0.05)
    assert producer.task.done() and not producer.direct
