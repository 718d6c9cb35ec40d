"""Keyset (cursor) pagination shared by every connection, at the root and nested under a parent.

An ordering is a list of non-null SQL expressions ending in the primary key; a cursor carries
the row's values of those expressions. "After this cursor" is then a row-value comparison
`(k1, k2, id) > (:v1, :v2, :id)`, which PostgreSQL answers from the matching index: page 500
costs what page 1 does. Nullable sort columns are split into `(col IS NULL, coalesce(col, x))`
so that NULLs sort last ascending and first descending, like PostgreSQL's own default.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.sql.elements import KeyedColumnElement

from resolvers.errors import UserInputError, quoted

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
CURSOR_PREFIX = "c1:"


class Direction(Enum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class OrderKey:
    """One sort expression; `nullable` ones are split so row comparison stays total."""

    expression: ColumnElement[Any]
    nullable: bool = False
    null_fill: Any = None

    def sort_expressions(self) -> list[ColumnElement[Any]]:
        if not self.nullable:
            return [self.expression]
        from sqlalchemy import func

        # the fill is written into the SQL, not bound: an expression index (migration 0005) only
        # matches `coalesce(col, 0)` when PostgreSQL sees the constant when planning
        fill = literal(self.null_fill, type_=self.expression.type, literal_execute=True)
        return [self.expression.is_(None), func.coalesce(self.expression, fill)]


@dataclass(frozen=True)
class Ordering:
    name: str
    keys: tuple[OrderKey, ...]

    def expressions(self) -> list[ColumnElement[Any]]:
        return [expr for key in self.keys for expr in key.sort_expressions()]


@dataclass(frozen=True)
class PageArgs:
    """Validated `first/after/last/before`. `forward` pages take `limit` rows after `cursor`."""

    limit: int
    forward: bool
    after: str | None
    before: str | None

    @property
    def cursor(self) -> str | None:
        return self.after if self.forward else self.before


def page_args(first: int | None, after: str | None, last: int | None, before: str | None) -> PageArgs:
    """Check the Relay arguments and give clear messages for values out of range."""
    if first is not None and last is not None:
        raise UserInputError("Pass either `first` or `last`, not both.")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise UserInputError(f"`{name}` must not be negative (got {value}).")
        if value is not None and value > MAX_PAGE_SIZE:
            raise UserInputError(f"`{name}` is {value}, more than the maximum page size of {MAX_PAGE_SIZE}.")
    if last is not None:
        if after is not None:
            raise UserInputError("`last` pages backwards: combine it with `before`, not `after`.")
        return PageArgs(limit=last, forward=False, after=None, before=before)
    if before is not None and first is None:
        return PageArgs(limit=DEFAULT_PAGE_SIZE, forward=False, after=None, before=before)
    if before is not None:
        raise UserInputError("`first` pages forwards: combine it with `after`, not `before`.")
    return PageArgs(limit=DEFAULT_PAGE_SIZE if first is None else first, forward=True, after=after, before=None)


# --- cursors --------------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"D": value.isoformat()}
    if isinstance(value, float):
        return {"f": value}
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} into a cursor")


def _decode_value(raw: Any) -> Any:
    if raw is None or isinstance(raw, bool | int | str):
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, value),) = raw.items()
        if tag == "d" and isinstance(value, str):
            return Decimal(value)
        if tag == "t" and isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive datetime")
            return parsed
        if tag == "D" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if tag == "f" and isinstance(value, int | float):
            return float(value)
    raise ValueError("unknown cursor value")


def encode_cursor(ordering: Ordering, values: Sequence[Any]) -> str:
    # the same text PostgreSQL's jsonb prints, so the query planner can build identical cursors in SQL
    payload = json.dumps([ordering.name, [_encode_value(v) for v in values]], ensure_ascii=False)
    return base64.urlsafe_b64encode((CURSOR_PREFIX + payload).encode()).decode().rstrip("=")


def decode_cursor(ordering: Ordering, cursor: str) -> list[Any]:
    """The sort values in `cursor`; a clear error when it is forged or from another ordering."""
    invalid = UserInputError(f"Invalid cursor {quoted(cursor)}: pass a cursor exactly as this connection returned it.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(CURSOR_PREFIX):
            raise invalid
        name, values = json.loads(raw[len(CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise invalid from exc
    if name != ordering.name:
        raise UserInputError(
            f"The cursor belongs to the ordering {quoted(name)}, but this request is ordered by "
            f"{ordering.name!r}: start again without a cursor."
        )
    expressions = ordering.expressions()
    if not isinstance(values, list) or len(values) != len(expressions):
        raise invalid
    try:
        decoded = [_decode_value(v) for v in values]
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise invalid from exc
    for value, expression in zip(decoded, expressions, strict=True):
        python_type = _python_type(expression)
        if python_type is not None and value is not None and not isinstance(value, python_type):
            raise invalid
    return decoded


def _python_type(expression: ColumnElement[Any]) -> type | None:
    try:
        python_type = expression.type.python_type
    except NotImplementedError:
        return None
    if issubclass(python_type, Enum):
        return str
    if python_type is float:
        return (int, float)  # type: ignore[return-value]
    return python_type


# --- applying pages to queries ----------------------------------------------------------------


SORT_LABEL = "_sort_"


def sort_columns(ordering: Ordering) -> list[KeyedColumnElement[Any]]:
    """The sort expressions labelled `_sort_0..n`, selected so that cursors can be built."""
    return [expr.label(f"{SORT_LABEL}{i}") for i, expr in enumerate(ordering.expressions())]


def apply_page(query: Select[Any], ordering: Ordering, direction: Direction, page: PageArgs) -> Select[Any]:
    """Add the keyset condition, ORDER BY and LIMIT (one extra row tells about the next page)."""
    expressions = ordering.expressions()
    ascending = (direction is Direction.ASC) == page.forward
    if page.cursor is not None:
        values = decode_cursor(ordering, page.cursor)
        left = tuple_(*expressions)
        right = tuple_(*[literal(v, type_=e.type) for v, e in zip(values, expressions, strict=True)])
        query = query.where(left > right if ascending else left < right)
    order = [e.asc() if ascending else e.desc() for e in expressions]
    return query.order_by(*order).limit(page.limit + 1)


@dataclass
class Page:
    """One page of rows with their cursors and Relay page info."""

    rows: list[Any]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def make_page(rows: Sequence[Any], ordering: Ordering, page: PageArgs) -> Page:
    """Cut the extra row, restore the requested order for backward pages, build cursors."""
    width = len(ordering.expressions())
    more = len(rows) > page.limit
    kept = list(rows[: page.limit])
    if not page.forward:
        kept.reverse()
    cursors = [encode_cursor(ordering, [getattr(row, f"{SORT_LABEL}{i}") for i in range(width)]) for row in kept]
    if page.forward:
        return Page(kept, cursors, has_next_page=more, has_previous_page=page.after is not None)
    return Page(kept, cursors, has_next_page=page.before is not None, has_previous_page=more)
