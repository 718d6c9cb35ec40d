"""Error reporting: every error gets `extensions.code`; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import asyncpg
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension

from db.engine import statement_timeout_ms
from resolvers.errors import UserInputError, shortened

logger = logging.getLogger("upl.errors")


def database_trouble(original: BaseException) -> tuple[str, str] | None:
    """(code, message) when the database timed out or could not be reached."""
    chain: list[BaseException] = []
    current: BaseException | None = original
    while current is not None and current not in chain:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__
    for cause in chain:
        if isinstance(cause, asyncpg.QueryCanceledError):
            return "TIMEOUT", f"The query ran longer than {statement_timeout_ms()} ms and was stopped: ask for less."
        if isinstance(cause, OSError | asyncpg.CannotConnectNowError | asyncpg.ConnectionDoesNotExistError):
            return "SERVICE_UNAVAILABLE", "The database is not reachable right now: try again shortly."
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return "SERVICE_UNAVAILABLE", "The database connection was lost: try again shortly."
    return None


def classify(error: GraphQLError) -> GraphQLError:
    """The error as the client should see it (never quoting more than 80 characters of input)."""
    error.message = shortened(error.message)
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        extensions = dict(error.extensions or {})
        fallback = "BAD_USER_INPUT"
        if error.path is None:
            fallback = (
                "GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"
            )
        extensions.setdefault("code", fallback)
        error.extensions = extensions
        return error
    trouble = database_trouble(original)
    if trouble is not None:
        logger.warning("database trouble at %s: %s", error.path, original)
        return GraphQLError(trouble[1], nodes=error.nodes, path=error.path, extensions={"code": trouble[0]})
    if isinstance(original, UserInputError):
        error.extensions = {**(error.extensions or {}), "code": original.code}
        return error
    error_id = uuid.uuid4().hex[:12]
    logger.error("internal error %s at %s", error_id, error.path, exc_info=original)
    return GraphQLError(
        f"Internal server error (error ID {error_id}).",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


class ErrorCodes(SchemaExtension):
    """Give each error a code and hide internals (SQL, tracebacks) behind an error ID."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [classify(e) for e in result.errors]
