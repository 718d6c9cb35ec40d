"""Errors the data layer raises for bad client input; the schema reports them as GraphQL errors."""

from __future__ import annotations

import re
from typing import Any

QUOTE_LIMIT = 80
"""At most this many characters of any input are quoted back in a message."""


class UserInputError(ValueError):
    """A client asked for something that cannot be answered (bad ID, cursor, page size...).

    The message is shown to the client as-is, so it must name what was wrong and never contain
    SQL or internals; input is quoted with `quoted` (at most 80 characters). `code` goes to the
    error's `extensions.code`.
    """

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """`repr` of a client's value for a message, shortened to `limit` characters (a 500,000
    character postal code is not sent back whole)."""
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    if len(value) > limit:
        return repr(value[: limit - 1]) + f"… ({len(value)} characters)"
    return repr(value)


_LONG_QUOTE = re.compile(rf"""(['"`])([^'"`]{{{QUOTE_LIMIT + 1},}}?)\1""")
MAX_MESSAGE = 1_000


def shortened(message: str) -> str:
    """A message with every quoted run longer than 80 characters cut (graphql-core quotes up to
    240 of a bad value), and at most 1,000 characters in all: the last guard on echoes."""

    def cut(match: re.Match[str]) -> str:
        quote, body = match.group(1), match.group(2)
        return f"{quote}{body[: QUOTE_LIMIT - 1]}…{quote}"

    message = _LONG_QUOTE.sub(cut, message)
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"
