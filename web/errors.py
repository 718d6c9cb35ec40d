"""One error type for every request refused before execution, and its one way to render."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


class Refusal(Exception):
    """A request refused before any GraphQL execution: bad HTTP, credentials, origin, a
    persisted document, a limit, a spent budget. `status=None` is a GraphQL request error: 400
    for `application/graphql-response+json` clients, 200 for legacy JSON ones (as the
    GraphQL-over-HTTP spec says)."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extensions = extensions or {}

    def with_extensions(self, extensions: dict[str, Any]) -> Refusal:
        """The same refusal, with top-level `extensions` in its body (e.g. the cost limit)."""
        self.extensions = extensions
        return self

    def as_graphql(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code}}

    def response(self, media_type: str = JSON, headers: dict[str, str] | None = None) -> Response:
        body: dict[str, Any] = {"errors": [self.as_graphql()]}
        if self.extensions:
            body["extensions"] = self.extensions
        status = self.status or (400 if media_type == GRAPHQL_RESPONSE else 200)
        return Response(
            orjson.dumps(body), status_code=status, media_type=media_type, headers={**(headers or {}), **self.headers}
        )
