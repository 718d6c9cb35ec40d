"""The public SDL as a contract: what changed since the last released schema, and what breaks.

`schema.graphql` is the subgraph SDL of the code (kept in step by a test); `schema/released.graphql`
is the SDL partners were last promised. graphql-core's `find_breaking_changes` compares the two,
so removing a field, narrowing a type or adding a required argument is never silent: deprecate
with `@deprecated(reason: "Use X.")` first, and release (copy the SDL over) when a break is meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLSchema, build_schema, find_breaking_changes, find_dangerous_changes

from schema.core.subgraph import standard_directive_locations

RELEASED_SDL = Path(__file__).resolve().parent.parent / "released.graphql"


@dataclass(frozen=True)
class Change:
    kind: str
    description: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.description}"


def from_sdl(sdl: str) -> GraphQLSchema:
    """A schema from a subgraph SDL (its federation directives are kept as-is, not checked), with
    the built-in directives as the service serves them (subgraph.standard_directive_locations)."""
    schema = build_schema(sdl, assume_valid_sdl=True)
    standard_directive_locations(schema)
    return schema


def compare(released: GraphQLSchema, current: GraphQLSchema) -> tuple[list[Change], list[Change]]:
    """(breaking changes, dangerous changes) from `released` to `current`."""
    breaking = [Change(c.type.name, c.description) for c in find_breaking_changes(released, current)]
    dangerous = [Change(c.type.name, c.description) for c in find_dangerous_changes(released, current)]
    return breaking, dangerous
