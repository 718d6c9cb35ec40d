"""Full-text search over several entities at once, ranked by PostgreSQL's `ts_rank`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all

from resolvers.base import DataContext, Entity, tsquery


def search_statement(ctx: DataContext, text: str, entities: Sequence[Entity], limit: int) -> Select[Any]:
    """(type, id, rank) of the best `limit` visible matches among `entities`."""
    query = tsquery(text)
    parts = [
        select(
            literal(entity.name).label("type_name"),
            entity.table.c.id,
            func.ts_rank(entity.table.c.search_vector, query).label("rank"),
        ).where(entity.visible(ctx), entity.table.c.search_vector.op("@@")(query))
        for entity in entities
    ]
    matches = union_all(*parts).subquery("matches")
    return (
        select(matches.c.type_name, matches.c.id)
        .order_by(matches.c.rank.desc(), matches.c.type_name, matches.c.id)
        .limit(limit)
    )
