"""Trusted documents: GraphQL operations the office registered (`upl operations register`),
the only ones a key with `trusted_documents_only` may send, also sendable by their SHA-256."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db import models
from resolvers.accounts import sha256

persisted_operations = models.table_of(models.PersistedOperation)


async def register_operation(engine: AsyncEngine, document: str, name: str | None) -> str:
    """Trust a GraphQL document; its SHA-256 (hex) names it."""
    digest = sha256(document)
    statement = insert(persisted_operations).values(sha256=digest, name=name, document=document, trusted=True)
    async with engine.begin() as connection:
        await connection.execute(
            statement.on_conflict_do_update(index_elements=["sha256"], set_={"trusted": True, "name": name})
        )
    return digest


async def trusted_document(engine: AsyncEngine, digest: str) -> str | None:
    """The trusted document with this SHA-256, if there is one."""
    async with engine.connect() as connection:
        document: str | None = await connection.scalar(
            select(persisted_operations.c.document).where(
                persisted_operations.c.sha256 == digest, persisted_operations.c.trusted.is_(True)
            )
        )
    return document
