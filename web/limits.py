"""Operation limits and rate limits, checked before any SQL runs.

* Limits on the document: size in bytes, lexical tokens, depth, aliases, root fields,
  directives per field, and what the operation expands to (fragment spreads and field
  selections); each refusal is a GraphQL error naming the limit, the value and the cap, with its
  own code (DOCUMENT_SIZE_LIMIT, TOKEN_LIMIT, DEPTH_LIMIT, ALIAS_LIMIT, ROOT_FIELD_LIMIT,
  DIRECTIVE_LIMIT, DUPLICATE_FIELD_LIMIT, FRAGMENT_SPREAD_LIMIT, SELECTION_LIMIT,
  REPRESENTATION_LIMIT, COST_LIMIT, BATCH_LIMIT). Fragment cycles and unknown fragments are left
  to validation, which rejects them.
* Measuring is linear in the document's size: each fragment is measured once and its shape
  reused at every spread, so `...F1 ...F1` thirty levels deep costs thirty fragments of work
  (and is then refused for expanding to 2^31 spreads), not 2^30 walks.
* Query cost, as GitHub's node limit: a connection costs the nodes it may return (its
  `first`/`last`, default page size when absent, times the connections above it), `_entities`
  and `nodes(ids:)` one per key they are given, any other object 1 each time it can occur. The
  cap depends on the role (anonymous 25,000, partner and newsletter 100,000, staff 1,000,000);
  every response carries `extensions.cost`.
* No string may hold a NUL character (PostgreSQL text cannot): refused here for every literal
  and variable, as BAD_USER_INPUT.
* Rate limit: each caller (API key, staff user, or client address) has a budget of cost points per
  minute (`limits`, moving window; in Redis when `REDIS_URL` is set, shared by all workers);
  responses carry `X-RateLimit-Limit/Remaining/Reset`, a spent budget gets 429 + `Retry-After`.
"""

from __future__ import annotations

import functools
import json
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NullValueNode,
    ObjectFieldNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
    parse,
    validate,
    visit,
)
from graphql.validation import MaxIntrospectionDepthRule
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

from db.enums import Role
from resolvers.errors import QUOTE_LIMIT
from resolvers.pagination import DEFAULT_PAGE_SIZE
from resolvers.viewer import Viewer
from web.errors import Refusal
from web.shared import SharedRedis

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
    max_fragment_spreads: int = 500
    """Fragment spreads the operation expands to (a spread inside a fragment counts at every use)."""
    max_selections: int = 2_000
    """Field selections the operation expands to: what execution would walk, however it is written."""
    max_representations: int = 100
    """`_entities` representations per request; gateway keys get GATEWAY_LIMITS."""


GATEWAY_MAX_REPRESENTATIONS = 10_000


def limits_for(limits: Limits, viewer: Viewer) -> Limits:
    """The limits for this caller: a gateway key may send up to 10,000 `_entities` representations."""
    if viewer.gateway:
        return replace(limits, max_representations=GATEWAY_MAX_REPRESENTATIONS)
    return limits


class LimitError(Refusal):
    """An operation beyond a limit: a GraphQL request error (400 or 200 by media type)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(None, code, message)


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
    """What a selection set expands to. Each fragment is measured once and its Shape reused at
    every spread, so measuring costs what the document's size does, not what it expands to."""

    depth: int = 0
    """The deepest field, counted from the selection set (its own fields are 1)."""
    aliases: int = 0
    cost: int = 0
    """Nodes it may return per occurrence of its parent (multiplied by the connections above)."""
    selections: int = 0
    """Field selections in the expansion."""
    spreads: int = 0
    """Fragment spreads in the expansion."""
    fields: int = 0
    """Fields of its own level in the expansion (at the root: the root fields)."""
    introspection: bool = False
    """Selects `__schema` or `__type` somewhere."""
    names: frozenset[str] = frozenset()
    """Names of the fields of its own level (at the root: the root fields, for permissions)."""

    def add(self, inner: Shape, *, times: int = 1) -> None:
        """Add a spread or inline fragment (`times` = 1) at this level."""
        self.depth = max(self.depth, inner.depth)
        self.aliases += inner.aliases
        self.cost += inner.cost * times
        self.selections += inner.selections
        self.spreads += inner.spreads
        self.fields += inner.fields
        self.introspection |= inner.introspection
        self.names |= inner.names


INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
KEY_LISTS = {"_entities": "representations", "nodes": "ids"}
"""Root fields that return one object per key they are given: they cost per key."""


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limits: Limits,
) -> Shape | None:
    """Depth, aliases, cost and size of the operation to run; None when the document names none.

    Refuses (LimitError) an operation beyond any of `limits`, and any string with a NUL character.
    """
    try:
        operation = get_operation_ast(document, operation_name)
    except GraphQLError:
        return None
    if operation is None:
        return None
    refuse_nul(document, variables or {})
    root_type = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    if root_type is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    shape = Measurer(schema, fragments, variables or {}, limits).selection_set(operation.selection_set, root_type)
    check(shape, limits)
    if shape.introspection and validate(schema, document, [MaxIntrospectionDepthRule]):
        raise LimitError(
            "INTROSPECTION_DEPTH_LIMIT",
            "The introspection nests `fields`, `interfaces`, `possibleTypes` or `inputFields` three or more "
            "levels deep; standard introspection queries nest two.",
        )
    return shape


def check(shape: Shape, limits: Limits) -> None:
    """Refuse an operation whose expansion is beyond a limit (the first one exceeded, in this order)."""
    refusals = (
        (shape.depth, limits.max_depth, "DEPTH_LIMIT", "The operation is {} levels deep; the limit is {}."),
        (shape.aliases, limits.max_aliases, "ALIAS_LIMIT", "The operation has {} aliases; the limit is {}."),
        (
            shape.fields,
            limits.max_root_fields,
            "ROOT_FIELD_LIMIT",
            "The operation has {} root fields; the limit is {}.",
        ),
        (
            shape.spreads,
            limits.max_fragment_spreads,
            "FRAGMENT_SPREAD_LIMIT",
            "The operation expands to {} fragment spreads; the limit is {}.",
        ),
        (
            shape.selections,
            limits.max_selections,
            "SELECTION_LIMIT",
            "The operation expands to {} field selections; the limit is {}.",
        ),
    )
    for value, cap, code, message in refusals:
        if value > cap:
            raise LimitError(code, message.format(value, cap))


class Measurer:
    """Measures selection sets against the schema; fragments once each (memoised by name)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        limits: Limits,
    ) -> None:
        self.schema, self.fragments, self.variables, self.limits = schema, fragments, variables, limits
        self.measured: dict[str, Shape] = {}
        self.measuring: set[str] = set()

    def fragment(self, name: str) -> Shape:
        if name in self.measured:
            return self.measured[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.measuring:
            return Shape()  # unknown fragments and cycles: validation refuses the document
        self.measuring.add(name)
        shape = self.selection_set(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        self.measuring.discard(name)
        self.measured[name] = shape
        return shape

    def selection_set(self, selection_set: SelectionSetNode, parent: Any) -> Shape:
        self.check_duplicates(selection_set)
        shape = Shape()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, shape)
            elif isinstance(selection, InlineFragmentNode):
                condition = schema_type(self.schema, selection.type_condition) or parent
                shape.add(self.selection_set(selection.selection_set, condition))
            elif isinstance(selection, FragmentSpreadNode):
                shape.add(self.fragment(selection.name.value))
                shape.spreads += 1
        return shape

    def field(self, node: FieldNode, parent: Any, shape: Shape) -> None:
        if len(node.directives or ()) > self.limits.max_directives_per_field:
            raise LimitError(
                "DIRECTIVE_LIMIT",
                f"The field `{node.name.value}` has {len(node.directives or ())} directives; "
                f"the limit is {self.limits.max_directives_per_field}.",
            )
        shape.fields += 1
        shape.names |= {node.name.value}
        shape.selections += 1
        shape.depth = max(shape.depth, 1)
        if node.alias is not None:
            shape.aliases += 1
        if node.selection_set is None:
            return
        named_parent = get_named_type(parent) if parent is not None else None
        definition = getattr(named_parent, "fields", {}).get(node.name.value)
        field_type = None if definition is None else definition.type
        inner = self.selection_set(node.selection_set, field_type)
        if node.name.value in INTROSPECTION_ROOTS:
            # the depth limit is for data; introspection's `ofType` chains are deep by design and
            # bounded by MaxIntrospectionDepthRule (graphql-js's rule: nested lists of types)
            shape.introspection = True
        else:
            shape.depth = max(shape.depth, inner.depth + 1)
        shape.introspection |= inner.introspection
        shape.aliases += inner.aliases
        shape.selections += inner.selections
        shape.spreads += inner.spreads
        if definition is None:
            shape.cost += inner.cost
            return
        size = self.size(node, definition)
        if size is not None:
            shape.cost += size + size * inner.cost  # the nodes the field may return, and theirs
        elif node.name.value not in CONTAINERS and not is_leaf_type(get_named_type(field_type)):
            shape.cost += 1 + inner.cost
        else:
            shape.cost += inner.cost

    def size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """How many objects a list-returning field may give: a connection's page size, or the
        number of keys `_entities`/`nodes` were given; None for any other field."""
        keys = KEY_LISTS.get(node.name.value)
        if keys is not None and keys in definition.args:
            count = self.list_length(argument(node, keys))
            if node.name.value == "_entities" and count > self.limits.max_representations:
                raise LimitError(
                    "REPRESENTATION_LIMIT",
                    f"`_entities` got {count} representations; the limit is {self.limits.max_representations}.",
                )
            return count
        size = page_size(node, self.variables)
        if size is not None:
            return size
        if "first" in definition.args or "last" in definition.args:
            return DEFAULT_PAGE_SIZE
        return None

    def list_length(self, value: ValueNode | None) -> int:
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            given = self.variables.get(value.name.value)
            return len(given) if isinstance(given, list) else 1
        return 0 if value is None or isinstance(value, NullValueNode) else 1

    def check_duplicates(self, selection_set: SelectionSetNode) -> None:
        keys = Counter((s.alias or s.name).value for s in selection_set.selections if isinstance(s, FieldNode))
        if keys and max(keys.values()) > self.limits.max_duplicate_fields:
            key, times = keys.most_common(1)[0]
            cap = self.limits.max_duplicate_fields
            raise LimitError(
                "DUPLICATE_FIELD_LIMIT", f"`{key}` is selected {times} times in one selection set; the limit is {cap}."
            )


def schema_type(schema: GraphQLSchema, condition: NamedTypeNode | None) -> Any:
    return None if condition is None else schema.get_type(condition.name.value)


def argument(node: FieldNode, name: str) -> ValueNode | None:
    return next((a.value for a in node.arguments or () if a.name.value == name), None)


def page_size(node: FieldNode, variables: dict[str, Any]) -> int | None:
    """`first`/`last` of a connection field as given (literal or variable), None when absent."""
    for name in ("first", "last"):
        value = argument(node, name)
        if isinstance(value, IntValueNode):
            return max(0, int(value.value))
        if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
            return max(0, int(variables[value.name.value]))
    return None


NUL = "\x00"


class _StringLiterals(Visitor):
    """Finds the first string literal with a NUL character, and the argument it is given to."""

    def __init__(self) -> None:
        super().__init__()
        self.found: str | None = None

    def enter_string_value(self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any) -> Any:
        if NUL not in node.value:
            return None
        names = [a.name.value for a in (*ancestors, parent) if isinstance(a, ArgumentNode | ObjectFieldNode)]
        self.found = ".".join(names)[:QUOTE_LIMIT] or "a string"
        return BREAK


def nul_path(value: Any, path: str) -> str | None:
    """Where a JSON value (variables) holds a NUL character in a string or key, else None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return path
            if (found := nul_path(item, f"{path}.{key}")) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := nul_path(item, f"{path}[{index}]")) is not None:
                return found
    return None


def refuse_nul(document: DocumentNode, variables: dict[str, Any]) -> None:
    """No field takes a NUL character (PostgreSQL text cannot hold one): refused here, in one place,
    for every string argument, literal or variable, before anything runs."""
    literals = _StringLiterals()
    visit(document, literals)
    where = f"`{literals.found}`" if literals.found else None
    if where is None:
        found = next((p for name, v in variables.items() if (p := nul_path(v, f"${name}")) is not None), None)
        where = None if found is None else f"`{found[:QUOTE_LIMIT]}`"
    if where is not None:
        raise LimitError("BAD_USER_INPUT", f"{where} contains a NUL character (\\u0000), which no field accepts.")


# --- measuring a request, cached -------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """What the guard learnt of an operation: its cost and its root fields (for permissions)."""

    cost: int
    root_fields: frozenset[str]
    operation_type: str = "unknown"
    """query, mutation or subscription (what logs and metrics report)."""
    operation_name: str | None = None
    """The operation's own name in the document."""


NOT_AN_OPERATION = Measured(0, frozenset())
MAX_CACHED_VARIABLES = 4096
"""Requests with larger variables are measured (and planned) afresh, so caches stay small."""


def measured(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables_key: bytes, limits: Limits
) -> Measured:
    """The operation's measure (LimitError beyond a limit); cached for small variables.

    Partner traffic repeats the same few documents and variables: parsing and walking them
    again took ~0.6 ms of a ~1.2 ms request.
    """
    measure_now = _measured if len(variables_key) <= MAX_CACHED_VARIABLES else _measured.__wrapped__
    return measure_now(schema, query, operation_name, variables_key, limits)


@functools.lru_cache(maxsize=4096)
def _measured(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables_key: bytes, limits: Limits
) -> Measured:
    document = parse_limited(query, limits)
    if document is None:
        return NOT_AN_OPERATION  # does not parse: the normal path says why
    shape = measure(schema, document, operation_name, json.loads(variables_key), limits)
    if shape is None:
        return NOT_AN_OPERATION
    operation = get_operation_ast(document, operation_name)
    assert operation is not None  # measure found it
    name = operation.name.value if operation.name else None
    return Measured(shape.cost, shape.names, operation.operation.value, name)


# --- rate limits ----------------------------------------------------------------------------


class RateLimiter:
    """Cost points per caller and minute (moving window): in Redis when `shared` is given, and in
    this process without it or while Redis is away."""

    def __init__(
        self, shared: SharedRedis | None, budgets: dict[Role, int] | None = None, key_prefix: str = "upl-rate"
    ) -> None:
        self.shared = shared
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.redis: MovingWindowRateLimiter | None = None
        if shared is not None:
            uri = shared.url.replace("redis://", "async+redis://", 1)
            # the process's one Redis pool (its timeouts and retry), not a second one
            options: dict[str, Any] = {"connection_pool": shared.client.connection_pool}
            storage = RedisStorage(uri, implementation="redispy", key_prefix=key_prefix, **options)
            self.redis = MovingWindowRateLimiter(storage)
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

        async def count(limiter: MovingWindowRateLimiter) -> tuple[bool, WindowStats]:
            allowed = await limiter.hit(item, key, cost=max(cost, 1))
            return allowed, await limiter.get_window_stats(item, key)

        if self.shared is None or self.redis is None:
            allowed, stats = await count(self.local)
        else:
            redis = self.redis
            allowed, stats = await self.shared.run(lambda: count(redis), lambda: count(self.local))
        headers = {
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": str(max(stats.remaining, 0)),
            "X-RateLimit-Reset": str(int(stats.reset_time)),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, int(stats.reset_time - time.time())))
        return allowed, headers
