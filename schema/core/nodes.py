"""Objects with a global ID: `Node`, federation entities (`Referable`) and lookups by ID or slug."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import strawberry

from resolvers.base import DataContext, Entity, load_by_id, load_by_slug
from resolvers.errors import UserInputError
from schema.core.context import InfoT
from schema.core.ids import decode_id
from schema.core.plans import PLAN, GlobalId


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID.", metadata={PLAN: GlobalId()})


ENTITY_KEYS = ["id", "slug"]
"""The `@key`s of every entity type: its global ID, and its unique slug."""


class Referable:
    """Resolves a federation gateway's representations of an entity type.

    A gateway sends `_entities(representations: [{__typename: "Company", id: "..."}, ...])`;
    Strawberry calls `resolve_reference` once per representation. All of them go through the
    request's id/slug loader, so any number of representations of one type cost one SQL
    statement. A key that is unknown, unpublished, malformed or of another type resolves to
    null, never to an error for the whole batch.
    """

    source: ClassVar[Entity]

    @classmethod
    def from_row(cls, row: Any) -> Any:
        raise NotImplementedError  # the type's `FromRow` base builds it from its declarations

    @classmethod
    async def resolve_reference(
        cls, info: InfoT, id: strawberry.ID | None = None, slug: str | None = None, **_fields: Any
    ) -> Any | None:
        if id is not None:
            key = reference_pk(id, cls.source.name)
            row = None if key is None else await load_by_id(info.context, cls.source, key)
        elif isinstance(slug, str):
            row = await load_by_slug(info.context, cls.source, slug)
        else:
            raise UserInputError(f"A {cls.source.name} representation needs an `id` or a `slug`.")
        return None if row is None else cls.from_row(row)


def reference_pk(global_id: Any, type_name: str) -> int | None:
    """The primary key in a representation's `id`, or None when it is not a `type_name` ID of ours."""
    if not isinstance(global_id, str):
        return None
    try:
        found, pk = decode_id(global_id)
    except UserInputError:
        return None
    return pk if found == type_name else None


def slug_or_id(global_id: str | None, slug: str | None) -> None:
    if (global_id is None) == (slug is None):
        raise UserInputError("Pass exactly one of `id` or `slug`.")


async def find_one(
    ctx: DataContext, entity: Entity, global_id: str | None, slug: str | None, to_node: Callable[[Any], Any]
) -> Any | None:
    """`company(id:, slug:)` and its siblings: exactly one of the two, null when not visible."""
    slug_or_id(global_id, slug)
    if global_id is not None:
        row = await load_by_id(ctx, entity, decode_id(global_id, entity.name)[1])
    else:
        row = await load_by_slug(ctx, entity, slug or "")
    return None if row is None else to_node(row)
