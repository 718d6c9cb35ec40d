"""Errors the data layer raises for bad client input; the schema reports them as GraphQL errors."""

from __future__ import annotations


class UserInputError(ValueError):
    """A client asked for something that cannot be answered (bad ID, cursor, page size...).

    The message is shown to the client as-is, so it must name what was wrong and never contain
    SQL or internals. `code` goes to the error's `extensions.code`.
    """

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
