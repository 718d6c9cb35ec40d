"""The change feed: every create, update, publish, unpublish and delete, in commit order.

A trigger writes one `changes` row per row change, stamped with the writing transaction's
`xid8`. Sequence numbers are handed out at insert time, not at commit, so a transaction that
started earlier can commit later with smaller numbers; a cursor on `seq` alone would skip it.
The feed therefore only hands out changes of transactions older than every transaction still
running (`xid < pg_snapshot_xmin(pg_current_snapshot())`), ordered by `(xid, seq)`: whatever
commits later has an xid at or above that horizon and comes after any cursor handed out so far.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, any_, bindparam, cast, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from db import models
from resolvers.base import DataContext
from resolvers.errors import UserInputError, quoted
from resolvers.pagination import PageArgs

changes = models.table_of(models.Change)
CURSOR_PREFIX = "x1:"


@dataclass(frozen=True, order=True)
class FeedPosition:
    xid: int
    seq: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{self.xid}:{self.seq}".encode()).decode()

    @staticmethod
    def decode(cursor: str) -> FeedPosition:
        try:
            raw = base64.urlsafe_b64decode(cursor.encode()).decode()
            if not raw.startswith(CURSOR_PREFIX):
                raise ValueError(raw)
            xid_text, seq_text = raw[len(CURSOR_PREFIX) :].split(":")
            position = FeedPosition(int(xid_text), int(seq_text))
            if position.xid < 0 or position.seq < 0 or position.xid >= 2**63 or position.seq >= 2**63:
                raise ValueError(raw)
            return position
        except (binascii.Error, UnicodeError, ValueError) as exc:
            raise UserInputError(
                f"Invalid change cursor {quoted(cursor)}: pass back an `endCursor` of `changes`."
            ) from exc


def xid8(value: Any) -> Any:
    return cast(value, models.XID8())


def visible_changes(ctx: DataContext, types: Sequence[str]) -> list[ColumnElement[bool]]:
    """Conditions on `changes` rows this caller may see, of these types."""
    conditions: list[ColumnElement[bool]] = [
        changes.c.object_type == any_(bindparam("types", list(types), type_=ARRAY(String())))
    ]
    if not ctx.sees_unpublished:
        # what an outsider saw appear or go: changes of published rows (a delete of a published row
        # is its tombstone) and unpublishing (a tombstone too); a row never published, or deleted
        # after it was unpublished, leaves no trace an outsider could see
        conditions.append(or_(changes.c.published.is_(True), changes.c.action == "UNPUBLISH"))
    return conditions


def feed_statement(ctx: DataContext, cursor: FeedPosition | None, types: Sequence[str], page: PageArgs) -> Select[Any]:
    """A page of the changes this caller may see, after (forward) or before `cursor`, of
    transactions older than every one still running; `page.limit + 1` rows, in paging order."""
    horizon = func.pg_snapshot_xmin(func.pg_current_snapshot())
    conditions = [changes.c.xid < horizon, *visible_changes(ctx, types)]
    position = tuple_(changes.c.xid, changes.c.seq)
    if cursor is not None:
        at = tuple_(xid8(literal(str(cursor.xid))), literal(cursor.seq))
        conditions.append(position > at if page.forward else position < at)
    order = (changes.c.xid, changes.c.seq) if page.forward else (changes.c.xid.desc(), changes.c.seq.desc())
    return feed_columns().where(and_(*conditions)).order_by(*order).limit(page.limit + 1)


def change_statement(ctx: DataContext, seq: int, types: Sequence[str]) -> Select[Any]:
    """One change by its number, if this caller may see it (`node(id:)` of a Change)."""
    return feed_columns().where(changes.c.seq == seq, *visible_changes(ctx, types))


def feed_columns() -> Select[Any]:
    return select(
        changes.c.seq,
        cast(changes.c.xid, String()).label("xid"),
        changes.c.at,
        changes.c.object_type,
        changes.c.object_id,
        changes.c.action,
        changes.c.deleted,
    )


def public_action(action: str, sees_unpublished: bool) -> str:
    """How a change looks to the caller: for outsiders unpublish is a delete, publish a create."""
    if sees_unpublished:
        return action
    return {"UNPUBLISH": "DELETE", "PUBLISH": "CREATE"}.get(action, action)


def head_statement() -> Select[Any]:
    """The position of the newest change a reader may pass now (start here after a full sync)."""
    horizon = func.pg_snapshot_xmin(func.pg_current_snapshot())
    return (
        select(cast(changes.c.xid, String()).label("xid"), changes.c.seq)
        .where(changes.c.xid < horizon)
        .order_by(changes.c.xid.desc(), changes.c.seq.desc())
        .limit(1)
    )
