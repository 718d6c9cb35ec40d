"""Reads answered by ONE planned SQL statement (schema/core/planner.py), with their caches.

Steady partner traffic repeats the same documents: the validated document is cached per query
text, the ready plan per (schema, document, operation, variables, role), so a repeated read
compiles nothing, checks nothing again and goes to PostgreSQL on asyncpg directly
(db/readpool.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from graphql import DocumentNode, GraphQLError, get_operation_ast, parse, validate
from graphql import OperationType as GraphQLOperationType
from sqlalchemy import event
from strawberry.types.graphql import OperationType

from schema.core import permissions, planner
from schema.core.context import Context
from schema.core.subgraph import wants_trace
from web.limits import MAX_CACHED_VARIABLES

MAX_COMPILED_PLANS = 2048


@functools.lru_cache(maxsize=2048)
def validated(schema: strawberry.Schema, query: str) -> DocumentNode | None:
    """The parsed document when it is valid for `schema` (else the normal path reports why)."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    return None if validate(schema._schema, document) else document


@dataclass
class ReadyPlan:
    """A compiled plan, and once it ran through SQLAlchemy the SQL and parameters asyncpg got,
    which every later request sends straight through the read pool."""

    compiled: planner.CompiledPlan
    driver: tuple[str, tuple[Any, ...]] | None = None


UNPLANNABLE = object()
"""Cached too: an operation the planner cannot answer is not planned again for the same key."""


class Plans:
    """Ready plans by (schema, document, operation, variables, role), oldest dropped first."""

    def __init__(self, max_entries: int = MAX_COMPILED_PLANS) -> None:
        self.entries: dict[tuple[Any, ...], Any] = {}
        self.max_entries = max_entries

    def get(self, key: tuple[Any, ...]) -> Any:
        return self.entries.get(key)

    def put(self, key: tuple[Any, ...], plan: Any) -> None:
        self.entries[key] = plan
        while len(self.entries) > self.max_entries:
            self.entries.pop(next(iter(self.entries)))


PLANS = Plans()


async def planned_response(
    schema: strawberry.Schema,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    variables_key: bytes,
    context: Context,
    extensions: dict[str, Any],
) -> bytes | None:
    """The read's response body from one planned statement, or None for the normal path.

    Keyed by the caller's role, a ready plan also stands for "this role may run this": a
    repeated read is a dictionary lookup and one statement on the read pool."""
    if wants_trace(context.request):
        return None  # a gateway asked for federated tracing: that needs per-field execution
    key = (id(schema), query, operation_name, variables_key, context.viewer.role)
    ready = PLANS.get(key)
    if ready is None:
        ready = prepare(schema, query, operation_name, variables, context) or UNPLANNABLE
        if len(variables_key) <= MAX_CACHED_VARIABLES:
            PLANS.put(key, ready)
    if ready is UNPLANNABLE:
        return None
    if context.tables_read is not None:
        context.tables_read.update(ready.compiled.tables)
    data = await run(ready, context)
    context.operation_type = OperationType.QUERY
    return b'{"data":' + data.encode() + b',"extensions":' + orjson.dumps(extensions) + b"}"


def prepare(
    schema: strawberry.Schema,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    context: Context,
) -> ReadyPlan | None:
    """The plan of a valid query this caller may run, or None when the normal path must answer."""
    document = validated(schema, query)
    if document is None:
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not GraphQLOperationType.QUERY:
        return None
    if permissions.refusal(schema, context.viewer, operation, context.root_fields) is not None:
        return None  # the normal path refuses it, in its usual words
    statement = planner.plan(schema._schema, document, operation_name, variables, context)
    return None if statement is None else ReadyPlan(planner.compile_plan(statement))


async def run(ready: ReadyPlan, context: Context) -> str:
    """The statement's one value: through SQLAlchemy the first time (which also says what asyncpg
    is sent), straight on the read pool afterwards."""
    if ready.driver is not None and context.read_pool is not None:
        sql, args = ready.driver
        result: str = await context.read_pool.fetchval(sql, args)
        return result
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, tuple(parameters)))

    async with context.engine.connect() as connection:
        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        try:
            data: str = (await connection.execute(ready.compiled.statement)).scalar_one()
        finally:
            event.remove(connection.sync_connection, "before_cursor_execute", capture)
    if len(sent) == 1:
        ready.driver = sent[0]
    return data
