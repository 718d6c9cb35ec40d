"""Exports: one streamed SELECT per file, visible as the GraphQL lists are to the caller.

Rows are read through a server-side cursor in one read-only REPEATABLE READ transaction (one
consistent snapshot, constant memory) and written by a `formats.Writer` as they come. Links are
named by slugs, never by internal IDs, so a file exported from one database imports into
another. Contact persons (personal data) leave the service only for staff, or when their
publication consent is recorded: the same rule as the `contacts` fields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.base import DataContext, Entity
from resolvers.contacts import contact_rows_visible
from transfer import sheets
from transfer.formats import WRITERS
from transfer.sheets import Field, Sheet

BATCH = 1000
OWNERS: tuple[tuple[str, str, Entity], ...] = (
    ("Company", "company_id", sheets.COMPANY),
    ("Network", "network_id", sheets.NETWORK),
    ("Project", "project_id", sheets.PROJECT),
)


def _slug_of(entity: Entity, key: ColumnElement[Any], ctx: DataContext) -> ColumnElement[Any]:
    """The slug of the row `key` names, when the caller may see it (else null)."""
    target = entity.table
    return select(target.c.slug).where(target.c.id == key, entity.visible(ctx)).scalar_subquery()


def _link_keys(f: Field, owner: Any, ctx: DataContext) -> ColumnElement[Any]:
    link = f.links
    assert link is not None
    table = link.table
    where = [table.c[link.owner_column] == owner.c.id]
    if link.other is None:
        key: ColumnElement[Any] = table.c[link.other_column]
        source: Any = table
    else:
        other = link.other.table
        key = other.c.slug
        source = table.join(other, other.c.id == table.c[link.other_column])
        where.append(link.other.visible(ctx))
    keys = select(func.array_agg(aggregate_order_by(key, key.asc()))).select_from(source).where(*where)
    return keys.scalar_subquery()


def _column(sheet: Sheet, f: Field, ctx: DataContext) -> ColumnElement[Any]:
    table = sheet.table
    if f.links is not None:
        return _link_keys(f, table, ctx).label(f.key)
    if f.reference is not None:
        return _slug_of(f.reference.entity, table.c[f.db_column], ctx).label(f.key)
    return table.c[f.db_column].label(f.key)


def _contacts_query(sheet: Sheet, ctx: DataContext) -> Select[Any]:
    table = sheet.table
    owner_type = case(*((table.c[column].is_not(None), literal(name)) for name, column, _ in OWNERS))
    owner_slug = func.coalesce(*(_slug_of(entity, table.c[column], ctx) for _, column, entity in OWNERS))
    plain = [table.c[f.db_column].label(f.key) for f in sheet.fields if f.key not in ("ownerType", "owner")]
    conditions = [contact_rows_visible(ctx), owner_slug.is_not(None)]
    if not ctx.viewer.is_staff:
        conditions.append(table.c.publication_consent.is_(True))
    query = select(owner_type.label("ownerType"), owner_slug.label("owner"), *plain).where(*conditions)
    return query.order_by(owner_type, owner_slug, table.c.name, table.c.id)


def export_query(sheet: Sheet, ctx: DataContext, conditions: Sequence[ColumnElement[bool]] = ()) -> Select[Any]:
    """The SELECT of a sheet's rows as `ctx`'s caller may see them, in a stable order."""
    if sheet is sheets.CONTACTS:
        return _contacts_query(sheet, ctx)
    table = sheet.table
    columns = [_column(sheet, f, ctx) for f in sheet.fields]
    query = select(*columns)
    if sheet.link is not None:
        for f in sheet.fields:
            if f.reference is not None:
                target = f.reference.entity
                query = query.where(exists().where(target.table.c.id == table.c[f.db_column], target.visible(ctx)))
        order = [columns[sheet.fields.index(sheet.field(key))] for key in sheet.order_by]
    else:
        query = query.where(sheet.entity.visible(ctx), *conditions)
        order = [table.c[sheet.field(key).db_column] for key in sheet.order_by]
    return query.order_by(*order)


async def export_rows(
    engine: AsyncEngine, ctx: DataContext, sheet: Sheet, conditions: Sequence[ColumnElement[bool]] = ()
) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows in batches, from one snapshot, through a server-side cursor."""
    query = export_query(sheet, ctx, conditions)
    async with engine.connect() as connection:
        connection = await connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True, yield_per=BATCH
        )
        async with connection.begin():
            result = await connection.stream(query)
            async for partition in result.mappings().partitions(BATCH):
                yield [_plain(sheet, row) for row in partition]


def _plain(sheet: Sheet, row: Any) -> dict[str, Any]:
    values = dict(row)
    for f in sheet.fields:
        if f.links is not None and values[f.key] is None:
            values[f.key] = ()
    return values


async def export_file(
    engine: AsyncEngine,
    ctx: DataContext,
    sheet: Sheet,
    format: str,
    conditions: Sequence[ColumnElement[bool]] = (),
    german: bool = False,
) -> AsyncIterator[bytes]:
    """The bytes of an export file, as they are written (the query runs before the first byte, so
    a database that fails fails before anything is sent)."""
    writer = WRITERS[format](sheet, sheet.fields, german)
    batches = export_rows(engine, ctx, sheet, conditions)
    batch: list[dict[str, Any]] = await anext(batches, [])
    yield writer.start()
    while batch:
        chunk = b"".join(writer.row(row) for row in batch)
        if chunk:
            yield chunk
        batch = await anext(batches, [])
    for chunk in writer.end():
        yield chunk
