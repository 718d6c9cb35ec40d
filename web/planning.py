"""Reads answered by ONE planned SQL statement (schema/core/planner.py), with their caches.

Steady partner traffic repeats the same documents: the validated document is cached per query
text, the compiled statement per (schema, document, operation, variables, visibility), so a
repeated read compiles nothing.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
import strawberry
from graphql import DocumentNode, GraphQLError, get_operation_ast, parse, validate
from graphql import OperationType as GraphQLOperationType
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


class Plans:
    """Compiled plans by (schema, document, operation, variables, visibility), oldest dropped first."""

    def __init__(self, max_entries: int = MAX_COMPILED_PLANS) -> None:
        self.entries: dict[tuple[Any, ...], planner.CompiledPlan] = {}
        self.max_entries = max_entries

    def get(self, key: tuple[Any, ...]) -> planner.CompiledPlan | None:
        return self.entries.get(key)

    def put(self, key: tuple[Any, ...], compiled: planner.CompiledPlan) -> None:
        self.entries[key] = compiled
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
    """The read's response body from one planned statement, or None for the normal path."""
    if wants_trace(context.request):
        return None  # a gateway asked for federated tracing: that needs per-field execution
    document = validated(schema, query)
    if document is None:
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not GraphQLOperationType.QUERY:
        return None
    if permissions.refusal(schema, context.viewer, operation, context.root_fields) is not None:
        return None  # the normal path refuses it, in its usual words
    key = (id(schema), query, operation_name, variables_key, context.sees_unpublished)
    compiled = PLANS.get(key)
    if compiled is None:
        statement = planner.plan(schema._schema, document, operation_name, variables, context)
        if statement is None:
            return None
        compiled = planner.compile_plan(statement)
        if len(variables_key) <= MAX_CACHED_VARIABLES:
            PLANS.put(key, compiled)
    if context.tables_read is not None:
        context.tables_read.update(compiled.tables)
    async with context.engine.connect() as connection:
        data = (await connection.execute(compiled.statement)).scalar_one()
    context.operation_type = OperationType.QUERY
    return b'{"data":' + data.encode() + b',"extensions":' + orjson.dumps(extensions) + b"}"
