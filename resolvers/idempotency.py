"""Idempotent retries of mutations (the `Idempotency-Key` header, as Stripe and the IETF draft
`draft-ietf-httpapi-idempotency-key-header` define it), kept in PostgreSQL so that a retry through
any instance finds the first request.

1. `claim` inserts the key with the request's fingerprint and a fresh claim token, in one
   statement. A key already there is the first request's: its stored answer is replayed, a
   different fingerprint is refused, a request still running is a conflict.
2. Every write transaction of the claiming request marks the key applied before it commits,
   and commits only while the claim is still its own (`ClaimedEngine`): the mark and the write
   are one transaction, so a write is applied at most once whatever crashes in between.
3. `answer` stores the response; `release` gives up a claim that applied nothing (a 5xx), so
   the retry runs. A claim that applied nothing and was left behind by a crashed process is
   taken over after `STALE_SECONDS`.

Keys belong to their caller (`owner`) and are kept for `TTL_HOURS`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Delete, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import models
from resolvers.errors import UserInputError

keys = models.table_of(models.IdempotencyKey)

TTL_HOURS = 24
STALE_SECONDS = 60
"""A claim that applied nothing for this long belongs to a request that died (statements time
out after seconds): a retry may take it over."""
PURGE_EVERY = 200
"""Expired keys are deleted on every this-many-th claim of a process."""


@dataclass(frozen=True)
class Claim:
    owner: str
    key: str
    token: str


@dataclass(frozen=True)
class Stored:
    """What the key already holds: the first request's answer, or why there is none."""

    status: int | None = None
    media_type: str | None = None
    body: bytes | None = None
    other_request: bool = False
    """The key was used with a different document, operation or variables."""
    running: bool = False
    """The first request is still running."""
    lost: bool = False
    """The first request applied its writes but failed before its answer was kept."""


class ClaimLost(UserInputError):
    code = "IDEMPOTENCY_KEY_IN_USE"


class ClaimedEngine(AsyncEngine):
    """The write engine of a request holding a claim: each transaction it begins marks the claim
    applied before committing, and rolls back when the claim has been taken over."""

    __slots__ = ("claim",)

    def __init__(self, engine: AsyncEngine, claim: Claim) -> None:
        super().__init__(engine.sync_engine)
        self.claim = claim

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with super().begin() as connection:
            yield connection
            marked = await connection.execute(
                update(keys).where(*_is(self.claim), keys.c.token == self.claim.token).values(applied=True)
            )
            if marked.rowcount != 1:
                raise ClaimLost("Another request with this Idempotency-Key took over: nothing was applied by this one.")


def _is(claim: Claim) -> tuple[ColumnElement[bool], ...]:
    return (keys.c.owner == claim.owner, keys.c.key == claim.key)


_claims_made = 0


async def claim(engine: AsyncEngine, owner: str, key: str, fingerprint: str) -> Claim | Stored:
    """The claim for a new (or expired, or abandoned) key, or what the key already holds."""
    global _claims_made
    token = secrets.token_hex(16)
    expired = keys.c.created_at < func.now() - text(f"interval '{TTL_HOURS} hours'")
    stale = text(f"interval '{STALE_SECONDS} seconds'")
    abandoned = keys.c.applied.is_(False) & keys.c.status.is_(None) & (keys.c.claimed_at < func.now() - stale)
    fresh = dict(fingerprint=fingerprint, token=token, applied=False, status=None, media_type=None, body=None)
    new = insert(keys).values(owner=owner, key=key, fingerprint=fingerprint, token=token)
    statement = new.on_conflict_do_update(
        index_elements=[keys.c.owner, keys.c.key],
        set_={**fresh, "created_at": func.now(), "claimed_at": func.now()},
        # an abandoned claim is taken over only by the same request
        where=expired | (abandoned & (keys.c.fingerprint == fingerprint)),
    ).returning(keys.c.token)
    async with engine.begin() as connection:
        _claims_made += 1
        if _claims_made % PURGE_EVERY == 0:
            await connection.execute(delete(keys).where(expired))
        won = (await connection.execute(statement)).scalar_one_or_none()
        if won == token:
            return Claim(owner, key, token)
        row = (
            await connection.execute(
                select(
                    keys.c.fingerprint,
                    keys.c.applied,
                    keys.c.status,
                    keys.c.media_type,
                    keys.c.body,
                    (keys.c.claimed_at < func.now() - stale).label("stale"),
                ).where(keys.c.owner == owner, keys.c.key == key)
            )
        ).one()
    if row.fingerprint != fingerprint:
        return Stored(other_request=True)
    if row.status is None:
        return Stored(running=not (row.applied and row.stale), lost=row.applied and row.stale)
    return Stored(row.status, row.media_type, row.body)


async def settle(
    engine: AsyncEngine, claim: Claim, status: int, media_type: str, body: bytes, *, retryable: bool = False
) -> None:
    """Keep the answer for the retries; but when the request failed in a way worth retrying (the
    database away, a timeout) and applied nothing, give the key back so that the retry runs."""
    async with engine.begin() as connection:
        if retryable and (await connection.execute(_unapplied(claim))).rowcount:
            return
        await connection.execute(
            update(keys)
            .where(*_is(claim), keys.c.token == claim.token)
            .values(status=status, media_type=media_type, body=body)
        )


async def release(engine: AsyncEngine, claim: Claim) -> None:
    """Give the key back after a failure with no answer, unless something was applied."""
    async with engine.begin() as connection:
        await connection.execute(_unapplied(claim))


def _unapplied(claim: Claim) -> Delete:
    return delete(keys).where(*_is(claim), keys.c.token == claim.token, keys.c.applied.is_(False))
