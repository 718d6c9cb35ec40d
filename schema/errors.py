"""Error reporting: every error gets `extensions.code`; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import UserInputError

logger = logging.getLogger("upl.errors")


def classify(error: GraphQLError) -> GraphQLError:
    """The error as the client should see it."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_USER_INPUT")
        error.extensions = extensions
        return error
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
