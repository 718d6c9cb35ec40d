"""Live queries: a subscription field that answers what the query field of the same name and
arguments would, first now and then again whenever that answer would differ.

The subscription's own selection is run as a query (`as_query`) on a fresh context that records
the tables it read. After each announced change, the answer is computed again only when one of
those tables has a new generation (an unrelated write costs nothing), and pushed only when it
differs from the last one pushed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from graphql import (
    DocumentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ast_from_value,
    print_ast,
    type_from_ast,
    value_from_ast_untyped,
)

from resolvers.base import Loaders
from schema.core.context import InfoT


def as_query(info: InfoT) -> str:
    """The subscription's field, selection, fragments and variables, as a query document."""
    raw = info._raw_info
    operation = raw.operation
    query = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(raw.field_nodes)),
    )
    return print_ast(DocumentNode(definitions=(query, *raw.fragments.values())))


def raw_variables(info: InfoT) -> dict[str, Any]:
    """The operation's variables as a client sends them (`info` holds them coerced: datetimes,
    enums, input objects), serialised back through their types."""
    raw = info._raw_info
    held: Any = raw.variable_values  # a dict here (graphql-core types it as its VariableValues)
    coerced: dict[str, Any] = getattr(held, "coerced", held)
    values: dict[str, Any] = {}
    for definition in raw.operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in coerced:
            graphql_type: Any = type_from_ast(raw.schema, definition.type)
            literal = ast_from_value(coerced[name], graphql_type)
            values[name] = None if literal is None else value_from_ast_untyped(literal)
    return values


async def live(info: InfoT, load: Callable[[], Awaitable[Any]]) -> AsyncGenerator[Any, None]:
    """`load()`'s object now, and again each time the query's answer changes."""
    ctx = info.context
    assert ctx.changes is not None and ctx.generations is not None
    query, variables = as_query(info), raw_variables(info)
    key = info._raw_info.field_nodes[0].alias or info._raw_info.field_nodes[0].name
    last: Any = dataclasses.MISSING
    read: set[str] = set()
    seen: dict[str, int] = {}
    while True:
        current = await ctx.generations()
        if last is dataclasses.MISSING or any(current.get(t, 0) != seen.get(t, 0) for t in read):
            fresh = dataclasses.replace(ctx, loaders=Loaders(), tables_read=set())
            result = await info.schema.execute(query, variable_values=variables, context_value=fresh)
            answer = None if result.data is None else result.data.get(key.value)
            read, seen = fresh.tables_read or set(), current
            if answer != last or result.errors:
                last = answer
                ctx.loaders = Loaders()  # what the pushed result resolves is read afresh too
                yield await load()
        await ctx.changes()
        if ctx.draining is not None and ctx.draining.is_set():
            return  # the process stops: the subscription completes
