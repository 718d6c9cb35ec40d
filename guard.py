"""Operation limits and rate limits, checked before any SQL runs.

* Limits on the document: size in bytes, lexical tokens, depth, aliases, root fields,
  directives per field; each refusal is a GraphQL error naming the limit, the value and the cap,
  with its own code (DOCUMENT_SIZE_LIMIT, TOKEN_LIMIT, DEPTH_LIMIT, ALIAS_LIMIT, ROOT_FIELD_LIMIT,
  DIRECTIVE_LIMIT, DUPLICATE_FIELD_LIMIT, COST_LIMIT, BATCH_LIMIT). Fragment cycles and unknown
  fragments are left to validation, which rejects them.
* Query cost, as GitHub's node limit: a connection costs the nodes it may return (its
  `first`/`last`, default page size when absent, times the connections above it), any other
  object costs 1 each time it can occur. The cap depends on the role (anonymous 25,000, partner
  and newsletter 100,000, staff 1,000,000); every response carries `extensions.cost`.
* Rate limit: each caller (API key, staff user, or client address) has a budget of cost points per
  minute (`limits`, moving window; in Redis when `REDIS_URL` is set, shared by all workers);
  responses carry `X-RateLimit-Limit/Remaining/Reset`, a spent budget gets 429 + `Retry-After`.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
    parse,
)
from graphql.language import IntValueNode, VariableNode
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from db.enums import Role
from resolvers.accounts import Viewer
from resolvers.pagination import DEFAULT_PAGE_SIZE

COST_CAPS = {
    Role.ANONYMOUS: 25_000,
    Role.PARTNER: 100_000,
    Role.NEWSLETTER: 100_000,
    Role.STAFF: 1_000_000,
    Role.ADMIN: 1_000_000,
}
CONTAINERS = frozenset({"edges", "node", "nodes", "pageInfo"})
"""Connection wrappers: their objects are the connection's nodes, already counted."""
BUDGET_PER_MINUTE = {
    Role.ANONYMOUS: 200_000,
    Role.PARTNER: 2_000_000,
    Role.NEWSLETTER: 2_000_000,
    Role.STAFF: 20_000_000,
    Role.ADMIN: 20_000_000,
}


@dataclass(frozen=True)
class Limits:
    max_document_bytes: int = 32_768
    max_tokens: int = 5_000
    max_depth: int = 12
    max_aliases: int = 30
    max_root_fields: int = 20
    max_directives_per_field: int = 5
    max_duplicate_fields: int = 5
    max_batch: int = 1


class LimitError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def as_graphql(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code}}


def parse_limited(query: str, limits: Limits) -> DocumentNode | None:
    """The parsed document, or LimitError; None when it does not parse (the normal path says why)."""
    size = len(query.encode())
    if size > limits.max_document_bytes:
        raise LimitError(
            "DOCUMENT_SIZE_LIMIT", f"The document has {size} bytes; the limit is {limits.max_document_bytes}."
        )
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as exc:
        if "tokens" in exc.message and "more than" in exc.message:
            raise LimitError(
                "TOKEN_LIMIT",
                f"The document has more than {limits.max_tokens} tokens; the limit is {limits.max_tokens}.",
            ) from exc
        return None


@dataclass
class Shape:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limits: Limits,
) -> Shape | None:
    """Depth, aliases and cost of the operation to run; None when the document names none."""
    try:
        operation = get_operation_ast(document, operation_name)
    except GraphQLError:
        return None
    if operation is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root_type = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    if root_type is None:
        return None
    shape = Shape()
    roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if len(roots) > limits.max_root_fields:
        raise LimitError(
            "ROOT_FIELD_LIMIT", f"The operation has {len(roots)} root fields; the limit is {limits.max_root_fields}."
        )
    walk(schema, operation.selection_set, root_type, fragments, variables or {}, 1, 1, shape, limits, frozenset())
    return shape


def page_size(node: FieldNode, variables: dict[str, Any]) -> int | None:
    """`first`/`last` of a connection field (default page size when absent), None otherwise."""
    names = {argument.name.value: argument.value for argument in node.arguments or ()}
    for name in ("first", "last"):
        value = names.get(name)
        if isinstance(value, IntValueNode):
            return max(0, int(value.value))
        if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
            return max(0, int(variables[value.name.value]))
    return None


def walk(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: Any,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    depth: int,
    multiplier: int,
    shape: Shape,
    limits: Limits,
    seen: frozenset[str],
) -> None:
    keys = Counter((s.alias or s.name).value for s in selection_set.selections if isinstance(s, FieldNode))
    if keys and max(keys.values()) > limits.max_duplicate_fields:
        key, times = keys.most_common(1)[0]
        raise LimitError(
            "DUPLICATE_FIELD_LIMIT",
            f"`{key}` is selected {times} times in one selection set; the limit is {limits.max_duplicate_fields}.",
        )
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if len(selection.directives or ()) > limits.max_directives_per_field:
                raise LimitError(
                    "DIRECTIVE_LIMIT",
                    f"The field `{selection.name.value}` has {len(selection.directives or ())} directives; "
                    f"the limit is {limits.max_directives_per_field}.",
                )
            if selection.alias is not None:
                shape.aliases += 1
                if shape.aliases > limits.max_aliases:
                    raise LimitError(
                        "ALIAS_LIMIT",
                        f"The operation has more than {limits.max_aliases} aliases; the limit is {limits.max_aliases}.",
                    )
            if depth > shape.depth:
                shape.depth = depth
                if depth > limits.max_depth:
                    raise LimitError(
                        "DEPTH_LIMIT", f"The operation is {depth} levels deep; the limit is {limits.max_depth}."
                    )
            if selection.selection_set is None:
                continue
            field_type = None
            named_parent = get_named_type(parent)
            if isinstance(named_parent, GraphQLObjectType) or hasattr(named_parent, "fields"):
                definition = getattr(named_parent, "fields", {}).get(selection.name.value)
                field_type = None if definition is None else definition.type
            inner = multiplier
            if field_type is not None:
                size = page_size(selection, variables)
                is_connection = size is not None or (
                    definition is not None and ("first" in definition.args or "last" in definition.args)
                )
                if is_connection:
                    inner = multiplier * (size if size is not None else DEFAULT_PAGE_SIZE)
                    shape.cost += inner  # the nodes the connection may return
                elif selection.name.value not in CONTAINERS and not is_leaf_type(get_named_type(field_type)):
                    shape.cost += multiplier
            walk(
                schema, selection.selection_set, field_type, fragments, variables, depth + 1, inner, shape, limits, seen
            )
        elif isinstance(selection, InlineFragmentNode):
            condition = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            walk(
                schema, selection.selection_set, condition, fragments, variables, depth, multiplier, shape, limits, seen
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue  # validation reports unknown fragments and cycles
            condition = schema.get_type(fragment.type_condition.name.value)
            walk(
                schema,
                fragment.selection_set,
                condition,
                fragments,
                variables,
                depth,
                multiplier,
                shape,
                limits,
                seen | {name},
            )


# --- rate limits ----------------------------------------------------------------------------


class RateLimiter:
    def __init__(
        self, redis_url: str | None, budgets: dict[Role, int] | None = None, key_prefix: str = "upl-rate"
    ) -> None:
        storage: Storage
        if redis_url:
            uri = redis_url.replace("redis://", "async+redis://", 1)
            storage = RedisStorage(uri, implementation="redispy", key_prefix=key_prefix)
        else:
            storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)
        self.budgets = budgets or BUDGET_PER_MINUTE

    async def spend(self, viewer: Viewer, address: str, cost: int) -> tuple[bool, dict[str, str]]:
        """Take `cost` points from the caller's budget: (allowed, X-RateLimit headers)."""
        item = RateLimitItemPerMinute(self.budgets[viewer.role])
        if viewer.api_key_id is not None:
            key = f"key:{viewer.api_key_id}"
        elif viewer.user_id is not None:
            key = f"user:{viewer.user_id}"
        else:
            key = f"ip:{address}"
        allowed = await self.limiter.hit(item, key, cost=max(cost, 1))
        stats = await self.limiter.get_window_stats(item, key)
        headers = {
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": str(max(stats.remaining, 0)),
            "X-RateLimit-Reset": str(int(stats.reset_time)),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, int(stats.reset_time - time.time())))
        return allowed, headers
