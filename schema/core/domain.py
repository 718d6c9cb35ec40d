"""Domains and their composition, in the style of federation subgraphs.

A `Domain` owns its types (its node types and any other type it lets others extend), its root
fields (a `Query` class) and the fields it contributes to other domains' types (`extensions`,
just as a subgraph extends another subgraph's entity). `compose()` in `schema/__init__.py`
grafts the extensions of the chosen domains onto their targets and builds one schema; leaving a
domain out leaves out its types, its root fields and every field that needs it, and nothing else.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.types.base import StrawberryObjectDefinition

from resolvers.base import DataContext, Entity, load_by_id


@dataclass(frozen=True)
class NodeType:
    """How `node(id:)` and `search` fetch one of this domain's types."""

    entity: Entity
    graphql_type: type

    async def load(self, ctx: DataContext, pk: int) -> Any | None:
        row = await load_by_id(ctx, self.entity, pk)
        return None if row is None else self.graphql_type.from_row(row)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Extension:
    """Fields (the Strawberry type `fields`) a domain adds to `target`, another domain's type.

    They are grafted only when the domain owning `target` is composed too, and so are the
    domains named in `requires` (those the fields' own types come from).
    """

    target: type
    fields: type
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    name: str
    query: type
    mutation: type | None = None
    subscription: type | None = None
    """Live fields of the domain's own (merged into `Subscription`)."""
    nodes: dict[str, NodeType] = field(default_factory=dict)
    extensions: Sequence[Extension] = ()
    types: Sequence[type] = ()
    """Types other than the node types that other domains may extend."""

    @property
    def owned_types(self) -> set[type]:
        return {node.graphql_type for node in self.nodes.values()} | set(self.types)


def definition(cls: type) -> StrawberryObjectDefinition:
    result: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return result


def applicable(domains: Sequence[Domain]) -> list[Extension]:
    """The extensions of `domains` whose target and required domains are all composed."""
    names = {domain.name for domain in domains}
    owned = set().union(*(domain.owned_types for domain in domains))
    return [
        extension
        for domain in domains
        for extension in domain.extensions
        if extension.target in owned and names.issuperset(extension.requires)
    ]


@contextlib.contextmanager
def grafted(domains: Sequence[Domain]) -> Iterator[None]:
    """While building a schema: each extended type has its own fields plus those the chosen
    domains contribute. Afterwards every type is as declared again, so composing never leaves a
    trace for the next composition (the built schema keeps what it was built with)."""
    extensions = applicable(domains)
    own = {extension.target: list(definition(extension.target).fields) for extension in extensions}
    try:
        for extension in extensions:
            for extension_field in definition(extension.fields).fields:
                added = copy.copy(extension_field)
                added.origin = extension.target
                definition(extension.target).fields.append(added)
        yield
    finally:
        for target, fields in own.items():
            definition(target).fields[:] = fields
