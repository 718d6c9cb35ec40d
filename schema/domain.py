"""Domains and their composition, in the style of federation subgraphs.

A `Domain` owns its types, its root fields (a `Query` class) and the fields it contributes to
other domains' types (`extensions`: target type → a Strawberry type holding the fields, just as a
subgraph extends another subgraph's entity). `compose()` in `schema/__init__.py` grafts the
extensions of the chosen domains onto their targets and builds one schema; leaving a domain
out leaves its fields out and nothing else.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
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
class Domain:
    name: str
    query: type
    nodes: dict[str, NodeType] = field(default_factory=dict)
    extensions: Sequence[tuple[type, type]] = ()
    types: Sequence[type] = ()


def definition(cls: type) -> StrawberryObjectDefinition:
    result: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return result


_own_fields: dict[type, list[Any]] = {}


def graft(domains: Sequence[Domain]) -> None:
    """Give each extended type its own fields plus those the chosen domains contribute.

    Idempotent: the type's own fields are remembered on first use, so composing again with
    another set of domains (a test does so) starts from a clean type.
    """
    targets = {target for domain in domains for target, _ in domain.extensions}
    for target in set(_own_fields) | targets:
        own = _own_fields.setdefault(target, list(definition(target).fields))
        definition(target).fields[:] = own
    for domain in domains:
        for target, extension in domain.extensions:
            for extension_field in definition(extension).fields:
                grafted = copy.copy(extension_field)
                grafted.origin = target
                definition(target).fields.append(grafted)
