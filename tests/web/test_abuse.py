"""The service against an attacker who has read the OWASP GraphQL and API Security cheat sheets:
fragment bombs, free lists of keys, throttles turned against users, spoofed client addresses,
login CSRF, sessions that outlive a new login, NUL characters, echoed input, keys in URLs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)

from db.engine import create_engine
from db.enums import Role
from resolvers import accounts, documents
from schema.compose import default_schema
from schema.core.ids import encode_id
from settings import Settings
from tests.conftest import PASSWORD, Api, ServedProcess
from tests.fragment_documents import BOMBS
from web import auth as explorer
from web.middleware import RedactKeys
from web.shared import SharedRedis

schema = default_schema()

LIMIT_CODES = {
    "FRAGMENT_SPREAD_LIMIT",
    "SELECTION_LIMIT",
    "ALIAS_LIMIT",
    "DEPTH_LIMIT",
    "COST_LIMIT",
    "ROOT_FIELD_LIMIT",
    "DUPLICATE_FIELD_LIMIT",
}
NORMAL = {"query": "{ networks(first: 3) { nodes { name members(first: 3) { nodes { name } } } } }"}


def codes(response: httpx.Response) -> set[str]:
    return {e["extensions"]["code"] for e in response.json().get("errors", [])}


# --- 1. fragment bombs, end to end through a real server -------------------------------------


@pytest.fixture(scope="module")
def served(edit_database_url: str) -> Iterator[ServedProcess]:
    server = ServedProcess(edit_database_url, env={"UPL_RATE_LIMIT": "0"})
    yield server
    server.stop()


async def bomb_beside_a_normal_query(served: ServedProcess, send: Any) -> httpx.Response:
    """Send a bomb and, on another connection at the same time, a normal query: both answer."""
    async with httpx.AsyncClient(timeout=10) as attacker, httpx.AsyncClient(timeout=10) as neighbour:
        bombed, normal = await asyncio.gather(send(attacker), neighbour.post(served.url, json=NORMAL))
    assert normal.status_code == 200 and normal.json()["data"]["networks"]["nodes"], normal.text
    return bombed


@pytest.mark.parametrize("name", BOMBS)
async def test_fragment_bombs_are_refused_at_once(served: ServedProcess, name: str) -> None:
    document = BOMBS[name]
    assert len(document.encode()) < 3_000
    response = await bomb_beside_a_normal_query(served, lambda c: c.post(served.url, json={"query": document}))
    assert response.status_code in (200, 400)
    assert codes(response) & LIMIT_CODES, response.text[:300]
    assert "data" not in response.json()


async def test_fragment_bomb_over_get(served: ServedProcess) -> None:
    document = BOMBS["two spreads per level"]
    response = await bomb_beside_a_normal_query(served, lambda c: c.get(served.url, params={"query": document}))
    assert codes(response) == {"FRAGMENT_SPREAD_LIMIT"}


async def test_fragment_bomb_as_a_persisted_query(served: ServedProcess, edit_database_url: str) -> None:
    document = BOMBS["several fragments per level"]
    digest = hashlib.sha256(document.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registered = await bomb_beside_a_normal_query(
        served, lambda c: c.post(served.url, json={"query": document, "extensions": extensions})
    )
    assert codes(registered) == {"FRAGMENT_SPREAD_LIMIT"}
    by_hash = await bomb_beside_a_normal_query(served, lambda c: c.post(served.url, json={"extensions": extensions}))
    assert codes(by_hash) == {"FRAGMENT_SPREAD_LIMIT"}  # the APQ store kept it; it is measured again

    trusted = BOMBS["spreads in inline fragments"]
    engine = create_engine(edit_database_url)
    try:
        trusted_digest = await documents.register_operation(engine, trusted, "bomb")
    finally:
        await engine.dispose()
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": trusted_digest}}}
    from_store = await bomb_beside_a_normal_query(served, lambda c: c.post(served.url, json=body))
    assert codes(from_store) == {"FRAGMENT_SPREAD_LIMIT"}


async def test_fragments_are_measured_as_they_expand(api: Api) -> None:
    """A fragment used at three places costs three times; its aliases and depth count where used."""
    document = """
    { networks(first: 2) { nodes { ...N } } network(slug: "x") { ...N } more: networks(first: 3) { nodes { ...N } } }
    fragment N on Network { members(first: 10) { nodes { name } } }
    """
    response = await api.post(document)
    # networks: 2 + 2*10; network: 1 + 10; more: 3 + 3*10
    assert response.json()["extensions"]["cost"]["requested"] == 22 + 11 + 33
    wide = (
        "{ companies(first: 1) { nodes { ...A } } } fragment A on Company { "
        + " ".join(f"f{i}: name" for i in range(20))
        + " } "
    )
    doubled = wide.replace("nodes { ...A }", "nodes { ...A ...B } } other: companies(first: 1) { nodes { ...A }")
    doubled += "fragment B on Company { ...A }"
    response = await api.post(doubled)
    assert codes(response) == {"ALIAS_LIMIT"}  # 20 aliases, spread three times: 60 > 30


# --- 2. lists of keys cost per key --------------------------------------------------------

ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Company { name networks(first: 100) { nodes { members(first: 100) { nodes { name } } } } }
  }
}
"""
ENTITY_NAMES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Company { name } } }"


@pytest.fixture(scope="module")
def company_slugs(edit_database_url: str) -> list[str]:
    async def fetch() -> list[str]:
        connection = await asyncpg.connect(edit_database_url)
        try:
            rows = await connection.fetch("SELECT slug FROM companies WHERE published ORDER BY id")
            return [r["slug"] for r in rows]
        finally:
            await connection.close()

    return asyncio.run(fetch())


async def test_entities_cost_per_representation_and_are_capped(edit_api: Api, company_slugs: list[str]) -> None:
    hundred = [{"__typename": "Company", "slug": company_slugs[i % len(company_slugs)]} for i in range(100)]
    refused = await edit_api.post(ENTITIES, {"representations": hundred})
    assert codes(refused) == {"COST_LIMIT"}
    assert "1010100 nodes" in refused.json()["errors"][0]["message"]  # 100 x (1 + 100 + 100 x 100)
    many = [{"__typename": "Company", "slug": company_slugs[0]}] * 5000
    capped = await edit_api.post(ENTITY_NAMES, {"r": many})
    assert codes(capped) == {"REPRESENTATION_LIMIT"}
    assert "5000 representations; the limit is 100" in capped.json()["errors"][0]["message"]
    keys = ", ".join(f'{{__typename: "Company", slug: "{company_slugs[0]}"}}' for _ in range(101))
    inline = f"{{ _entities(representations: [{keys}]) {{ ... on Company {{ name }} }} }}"
    assert codes(await edit_api.post(inline)) == {"REPRESENTATION_LIMIT"}


async def test_a_gateway_key_may_send_large_batches(
    edit_database_url: str, edit_api: Api, company_slugs: list[str]
) -> None:
    engine = create_engine(edit_database_url)
    try:
        gateway = await accounts.create_key(engine, "Berlin supergraph", Role.PARTNER, gateway=True)
    finally:
        await engine.dispose()
    batch = [{"__typename": "Company", "slug": company_slugs[i % len(company_slugs)]} for i in range(2000)]
    edit_api.counter.reset()
    response = await edit_api.post(ENTITY_NAMES, {"r": batch}, headers={"authorization": f"Bearer {gateway.key}"})
    body = response.json()
    assert "errors" not in body, body["errors"]
    assert len(body["data"]["_entities"]) == 2000 and body["data"]["_entities"][0]["name"]
    assert body["extensions"]["cost"]["requested"] == 2000
    statements = [s for s in edit_api.counter.statements if "companies" in s]
    assert len(statements) == 1  # one lookup for all 2,000
    too_many = await edit_api.post(ENTITY_NAMES, {"r": batch * 6}, headers={"authorization": f"Bearer {gateway.key}"})
    assert codes(too_many) == {"REPRESENTATION_LIMIT"}


async def test_nodes_cost_per_id(api: Api) -> None:
    ids = [encode_id("Company", i) for i in range(1, 101)]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Company { networks(first: 100) { nodes { name } } } } }"
    response = await api.post(query, {"ids": ids})
    assert response.json()["extensions"]["cost"]["requested"] == 100 + 100 * 100


# --- 3. throttles that never lock out the innocent ------------------------------------------


async def test_bad_keys_do_not_lock_out_a_valid_key_from_the_same_address(
    app_at: Any, role_headers: dict[str, dict[str, str]]
) -> None:
    client = app_at("203.0.113.7")
    query = {"query": "{ ortsteile { key } }"}
    statuses = [
        (await client.post("/graphql", json=query, headers={"authorization": f"Bearer upl_guess_{n}"})).status_code
        for n in range(25)
    ]
    assert statuses[:20] == [401] * 20 and statuses[-1] == 429
    valid = await client.post("/graphql", json=query, headers=role_headers["partner"])
    assert valid.status_code == 200 and valid.json()["data"]["ortsteile"]
    other = await app_at("203.0.113.8").post("/graphql", json=query, headers={"authorization": "Bearer upl_x"})
    assert other.status_code == 401  # another address is not throttled for this one's failures


async def login(client: httpx.AsyncClient, password: str, username: str = "anna") -> httpx.Response:
    return await client.post("/auth/login", json={"username": username, "password": password})


async def test_wrong_passwords_from_many_addresses_do_not_lock_out_the_user(
    app_at: Any, edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    for n in range(10):
        assert (await login(app_at(f"198.51.100.{n}"), f"wrong password {n}")).status_code == 401
    assert (await login(app_at("198.51.100.200"), PASSWORD)).status_code == 200
    assert (await login(app_at("198.51.100.3"), PASSWORD)).status_code == 200  # one failure there: no delay

    # one address guessing: its door for anna closes after five free failures, for a growing delay
    attacker = app_at("192.0.2.66")
    statuses = [(await login(attacker, f"guess {n}")).status_code for n in range(8)]
    assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]
    closed = await login(attacker, PASSWORD)
    assert closed.status_code == 429 and int(closed.headers["retry-after"]) >= 1  # not even tried
    # ... and only that door: anna from her office, and from a browser she logged in with before
    assert (await login(app_at("198.51.100.200"), PASSWORD)).status_code == 200
    audit = await edit_api.query(
        "{ auditLog(first: 20) { nodes { action actor objectType changes } } }", headers=role_headers["admin"]
    )
    throttled = [e for e in audit["auditLog"]["nodes"] if e["action"] == "login_throttled"]
    assert throttled and throttled[0]["objectType"] == "User"
    assert throttled[0]["changes"]["address"] == [None, "192.0.2.66"]


async def test_a_known_browser_is_not_locked_out_behind_a_shared_address(app_at: Any) -> None:
    """Colleague and attacker behind one NAT: the colleague's browser has logged in before, and its
    device cookie gives it a door of its own (OWASP: device cookies)."""
    colleague, attacker = app_at("192.0.2.99"), app_at("192.0.2.99")
    assert (await login(colleague, PASSWORD)).status_code == 200
    assert colleague.cookies.get(explorer.DEVICE_COOKIE)
    for n in range(8):
        await login(attacker, f"guess {n}")
    assert (await login(attacker, PASSWORD)).status_code == 429
    assert (await login(colleague, PASSWORD)).status_code == 200


async def test_delays_grow_and_are_forgotten() -> None:
    now = [1_000_000.0]
    throttle = explorer.Throttle(clock=lambda: now[0])
    policy = explorer.WRONG_PASSWORDS
    delays = []
    for _ in range(12):
        now[0] += await throttle.retry_after("door")  # wait out any delay, then fail again
        await throttle.fail(policy, "door")
        delays.append(await throttle.retry_after("door"))
    assert delays == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64]
    now[0] += policy.forget + 1
    await throttle.fail(policy, "door")
    assert await throttle.retry_after("door") == 0  # an hour without failures: a fresh start
    assert policy.delay(100) == policy.cap


async def test_the_throttle_is_shared_through_redis() -> None:
    prefix = f"upl-test-throttle-{uuid.uuid4().hex[:8]}:"
    first, second = (explorer.Throttle(SharedRedis("redis://127.0.0.1:6379/0"), prefix=prefix) for _ in range(2))
    for _ in range(explorer.UNKNOWN_KEYS.free + 1):
        await first.fail(explorer.UNKNOWN_KEYS, "key:192.0.2.1")
    assert await second.retry_after("key:192.0.2.1") >= 1
    await second.clear("key:192.0.2.1")
    assert await first.retry_after("key:192.0.2.1") == 0


# --- 4. client addresses: forwarded headers only from trusted proxies -------------------------


def bad_keys_with_forged_addresses(url: str) -> list[int]:
    with httpx.Client(timeout=10) as client:
        return [
            client.post(
                url,
                json={"query": "{ __typename }"},
                headers={"authorization": f"Bearer upl_guess_{n}", "x-forwarded-for": f"10.9.{n}.1"},
            ).status_code
            for n in range(24)
        ]


def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(served: ServedProcess, edit_database_url: str) -> None:
    statuses = bad_keys_with_forged_addresses(served.url)
    assert statuses[:20] == [401] * 20 and set(statuses[21:]) == {429}  # one address, whatever the header said

    behind_proxy = ServedProcess(edit_database_url, env={"UPL_TRUSTED_PROXIES": "127.0.0.1/32"})
    try:
        assert set(bad_keys_with_forged_addresses(behind_proxy.url)) == {401}  # 24 clients, one failure each
        with httpx.Client(timeout=10) as client:
            remaining = [
                client.post(
                    behind_proxy.url, json={"query": "{ ortsteile { key } }"}, headers={"x-forwarded-for": address}
                ).headers["x-ratelimit-remaining"]
                for address in ("10.1.1.1", "10.1.1.1", "10.2.2.2")
            ]
        assert int(remaining[1]) < int(remaining[0]) == int(remaining[2])  # budgets per forwarded client
    finally:
        behind_proxy.stop()


def test_trusted_proxies_setting_is_checked() -> None:
    from settings import SettingsError

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UPL_TRUSTED_PROXIES", "10.0.0.0/8, nginx")
        with pytest.raises(SettingsError, match="UPL_TRUSTED_PROXIES"):
            Settings.from_env()


# --- 5. login CSRF, session rotation -------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "form"),
    [
        ({"origin": "https://evil.example"}, True),
        ({"origin": "https://evil.example"}, False),
        ({"sec-fetch-site": "cross-site"}, True),
        ({"origin": "null"}, True),
    ],
)
async def test_login_from_another_site_is_refused(app_at: Any, headers: dict[str, str], form: bool) -> None:
    client = app_at("192.0.2.10")
    credentials = {"username": "anna", "password": PASSWORD}
    response = await (
        client.post("/auth/login", data=credentials, headers=headers)
        if form
        else client.post("/auth/login", json=credentials, headers=headers)
    )
    assert response.status_code == 403 and "set-cookie" not in response.headers


async def test_login_and_logout_from_the_own_site(app_at: Any) -> None:
    client = app_at("192.0.2.11")
    same = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    response = await client.post("/auth/login", data={"username": "anna", "password": PASSWORD}, headers=same)
    assert response.status_code == 200 and client.cookies.get("upl_session")
    refused = await client.post("/auth/logout", headers={"origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "UPL GraphQL Explorer" in (await client.get("/graphiql")).text  # still logged in
    assert (await client.post("/auth/logout", headers=same)).status_code == 200


async def logged_in(client: httpx.AsyncClient, cookie: str) -> bool:
    client.cookies.set("upl_session", cookie)
    return "UPL GraphQL Explorer" in (await client.get("/graphiql")).text


async def test_a_login_ends_the_session_it_replaces(app_at: Any) -> None:
    client = app_at("192.0.2.12")
    assert (await login(client, PASSWORD)).status_code == 200
    first = client.cookies["upl_session"]
    assert (await login(client, PASSWORD)).status_code == 200
    second = client.cookies["upl_session"]
    assert first != second
    assert not await logged_in(app_at("192.0.2.12"), first)
    assert await logged_in(app_at("192.0.2.12"), second)


async def test_sessions_end_for_admins_and_log_out_everywhere(
    app_at: Any, edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    laptop, phone = app_at("192.0.2.13"), app_at("192.0.2.14")
    await login(laptop, PASSWORD)
    await login(phone, PASSWORD)
    cookies = [laptop.cookies["upl_session"], phone.cookies["upl_session"]]
    everywhere = await laptop.post("/auth/logout", json={"everywhere": True})
    assert everywhere.json()["endedSessions"] >= 2
    assert not await logged_in(app_at("192.0.2.15"), cookies[1])

    await login(phone, PASSWORD)
    users = await edit_api.query("{ users { id username } }", headers=role_headers["admin"])
    anna = next(u["id"] for u in users["users"] if u["username"] == "anna")
    otto = next(u["id"] for u in users["users"] if u["username"] == "otto")
    end = "mutation($i: SessionsEndInput!) { sessionsEnd(input: $i) { endedSessions userErrors { code } } }"
    by_staff = await edit_api.query(end, {"i": {"userId": otto}}, headers=role_headers["staff"])
    assert by_staff["sessionsEnd"]["userErrors"] == [{"code": "FORBIDDEN"}]
    by_admin = await edit_api.query(end, {"i": {"userId": anna}}, headers=role_headers["admin"])
    assert by_admin["sessionsEnd"]["endedSessions"] >= 1
    assert not await logged_in(app_at("192.0.2.15"), phone.cookies["upl_session"])
    audit = await edit_api.query("{ auditLog(first: 5) { nodes { action actor } } }", headers=role_headers["admin"])
    assert {"action": "sessions_end", "actor": "otto via key " + role_headers["admin"]["authorization"][7:19]} in audit[
        "auditLog"
    ]["nodes"]


# --- 6. NUL characters, in one place, for every entry point ---------------------------------


def nul_value(type_: GraphQLInputType, depth: int = 0) -> Any:
    """A JSON value of `type_` with a NUL in its first string, or None when it takes no string."""
    named = get_named_type(type_)
    value: Any = None
    if isinstance(named, GraphQLScalarType) and named.name not in ("Int", "Float", "Boolean", "JSON", "Upload"):
        value = "a\x00b"
    elif isinstance(named, GraphQLInputObjectType) and depth <= 3:
        inner = ((name, nul_value(field.type, depth + 1)) for name, field in named.fields.items())
        value = next(({name: v} for name, v in inner if v is not None), None)
    if value is None:
        return None
    unwrapped = type_.of_type if is_non_null_type(type_) else type_
    return [value] if is_list_type(unwrapped) else value


def string_arguments() -> list[tuple[str, str, str]]:
    """(type, field, argument) of every field argument in the schema that takes a string somewhere."""
    found = []
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__") or isinstance(type_, GraphQLInputObjectType) or not hasattr(type_, "fields"):
            continue
        for field_name, field in type_.fields.items():
            found += [(type_.name, field_name, a) for a, d in field.args.items() if nul_value(d.type) is not None]
    return found


def dummy(type_: GraphQLInputType) -> str:
    """A literal for a required argument that is not the one under test."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLInputObjectType):
        return "{}"
    return "1" if named.name in ("Int", "Float") else "true" if named.name == "Boolean" else '"x"'


def document_for(parent: str, field_name: str, argument: str) -> str:
    """A query or mutation passing `$v` to the argument, with the field reached from the root."""
    field = schema._schema.get_type(parent).fields[field_name]  # type: ignore[union-attr]
    arguments = [f"{argument}: $v"] + [
        f"{name}: {dummy(arg.type)}"
        for name, arg in field.args.items()
        if name != argument and is_non_null_type(arg.type)
    ]
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    inner = f"{field_name}({', '.join(arguments)}){selection}"
    if parent not in ("Query", "Mutation"):
        inner = f'node(id: "x") {{ ... on {parent} {{ {inner} }} }}'
    operation = "mutation" if parent == "Mutation" else "query"
    return f"{operation}($v: {field.args[argument].type}) {{ {inner} }}"


STRING_ARGUMENTS = string_arguments()


@pytest.mark.parametrize(("parent", "field_name", "argument"), STRING_ARGUMENTS)
async def test_nul_in_any_string_argument_is_bad_user_input(
    edit_api: Api, role_headers: dict[str, dict[str, str]], parent: str, field_name: str, argument: str
) -> None:
    document = document_for(parent, field_name, argument)
    value = nul_value(schema._schema.get_type(parent).fields[field_name].args[argument].type)  # type: ignore[union-attr]
    for headers in (role_headers["staff"], {}):
        response = await edit_api.post(document, {"v": value}, headers=headers)
        assert response.status_code == 200, response.text
        assert codes(response) == {"BAD_USER_INPUT"}, (document, response.text[:400])
        assert "NUL" in response.json()["errors"][0]["message"]
    # the same as a literal in the document
    literal = document.split(") {", 1)[1].rsplit("}", 1)[0]
    literal = literal.replace("$v", to_literal(value))
    operation = "mutation" if parent == "Mutation" else "query"
    response = await edit_api.post(f"{operation} {{{literal}}}", headers=role_headers["staff"])
    assert codes(response) == {"BAD_USER_INPUT"}, response.text[:400]


def to_literal(value: Any) -> str:
    """A JSON value as a GraphQL literal (input objects without quoted keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {to_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_literal(v) for v in value) + "]"
    return json.dumps(value)


def test_the_walk_finds_the_reported_entry_points() -> None:
    found = set(STRING_ARGUMENTS)
    for reported in [("Query", "company", "slug"), ("Query", "event", "slug"), ("Query", "projects", "filter")]:
        assert reported in found
    assert len(found) > 60
    # every type with such arguments is reachable by the test's documents (root or node(id:))
    node_types = {t.name for t in schema._schema.get_possible_types(schema._schema.get_type("Node"))}  # type: ignore[arg-type]
    assert {parent for parent, _, _ in found} <= {"Query", "Mutation", "Subscription"} | node_types


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/events/a%00b.ics",
        "/feeds/events.ics?network=a%00b",
        "/feeds/events.ics?kind=WORKSHOP%00",
        "/static/react%00.js",
        "/graphql?query=%7B%20company(slug%3A%20%22a%00%22)%20%7B%20id%20%7D%20%7D",
    ],
)
async def test_nul_in_urls_is_a_bad_request(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code in (400, 404), response.text
    assert "Internal" not in response.text


async def test_nul_in_login_is_a_bad_request(app_at: Any) -> None:
    response = await app_at("192.0.2.30").post("/auth/login", json={"username": "an\x00na", "password": PASSWORD})
    assert response.status_code == 400


# --- 7. no input is echoed whole -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($p: String) { companies(filter: {postalCode: $p}) { totalCount } }", {"p": "1" * 500_000}),
        ("query($n: Int) { companies(first: $n) { totalCount } }", {"n": "x" * 300_000}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "Q" * 200_000}),
        ("query($s: String!) { company(slug: $s) { id } }", {"s": "ü" * 100_000}),
        ("query($c: String) { companies(after: $c) { totalCount } }", {"c": "c" * 100_000}),
        ('{ companies(filter: {industryCode: "%s"}) { totalCount } }' % ("9" * 20_000), None),
    ],
)
async def test_errors_quote_at_most_80_characters_of_input(
    api: Api, query: str, variables: dict[str, Any] | None
) -> None:
    response = await api.post(query, variables)
    assert response.status_code in (200, 400)
    for error in response.json().get("errors", []):
        assert len(error["message"]) < 400, error["message"][:500]
    assert len(response.content) < 2_000


async def test_user_errors_quote_at_most_80_characters(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    mutation = (
        "mutation($i: CompanyCreateInput!) { companyCreate(input: $i) { company { id } userErrors { message code } } }"
    )
    variables = {"i": {"name": "Echo GmbH", "legalForm": "GMBH", "address": {"postalCode": "1" * 500_000}}}
    data = await edit_api.query(mutation, variables, headers=role_headers["staff"])
    (error,) = data["companyCreate"]["userErrors"]
    assert error["code"] == "INVALID_POSTAL_CODE" and len(error["message"]) < 200


# --- 8. keys in URLs -------------------------------------------------------------------------


async def test_only_read_only_keys_are_accepted_in_urls(
    api: Api, edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    for role, status in (("partner", 200), ("newsletter", 200), ("staff", 403), ("admin", 403)):
        key = role_headers[role]["authorization"].removeprefix("Bearer ")
        response = await edit_api.client.get("/feeds/events.ics", params={"key": key})
        assert response.status_code == status, (role, response.text)
    header = await edit_api.client.get("/feeds/events.ics", headers=role_headers["staff"])
    assert header.status_code == 200  # in a header, a staff key is fine


def test_keys_in_urls_stay_out_of_the_access_log(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    server = ServedProcess(edit_database_url, log_level="info", env={"UPL_LOG_FORMAT": "json"})
    try:
        key = role_headers["partner"]["authorization"].removeprefix("Bearer ")
        assert httpx.get(f"{server.base}/feeds/events.ics", params={"key": key, "kind": "WORKSHOP"}).status_code == 200
    finally:
        server.stop()  # the request's line is logged after its response is sent: read the log once it exited
    log = server.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/feeds/events.ics" and line.get("status") == 200 for line in lines)
    assert key not in log and key[:12] not in log  # the request line has the path, never the query string
    # uvicorn's access log, for those who turn it on (`uvicorn app:create_app`), redacts keys too
    record = logging.LogRecord(
        "uvicorn.access", 20, "", 0, '%s - "%s %s"', ("127.0.0.1", "GET", f"/x?key={key}&a=1"), None
    )
    RedactKeys().filter(record)
    assert record.args == ("127.0.0.1", "GET", "/x?key=REDACTED&a=1")
