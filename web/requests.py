"""The GraphQL request parameters, read from a GET query string or a POST JSON body, as the
GraphQL-over-HTTP specification has them (one operation per request)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from resolvers.errors import quoted
from web.errors import JSON, Refusal

MAX_BODY_BYTES = 1_048_576


@dataclass
class Params:
    """The GraphQL request parameters, from a GET query string or a POST JSON body."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None

    @property
    def variables_key(self) -> bytes:
        # the standard json module: exact for integers beyond 64 bits and NaN
        return json.dumps(self.variables, sort_keys=True).encode()


def _json_param(raw: Any, name: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise Refusal(400, "BAD_REQUEST", f"`{name}` is not valid JSON.") from exc
    if raw is not None and not isinstance(raw, dict):
        raise Refusal(400, "BAD_REQUEST", f"`{name}` must be a JSON object.")
    return raw


async def request_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise Refusal(415, "BAD_REQUEST", f"Unsupported content type {quoted(content_type or 'none')}: send {JSON}.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refusal(413, "BAD_REQUEST", f"The request body has {declared} bytes; the limit is {MAX_BODY_BYTES}.")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise Refusal(413, "BAD_REQUEST", f"The request body has {len(raw)} bytes; the limit is {MAX_BODY_BYTES}.")
    try:
        params = json.loads(raw)
    except ValueError as exc:
        raise Refusal(400, "BAD_REQUEST", "The request body is not valid JSON.") from exc
    if isinstance(params, list):
        raise Refusal(
            400,
            "BATCH_LIMIT",
            f"The request batches {len(params)} operations; the limit is 1: send one JSON object per request.",
        )
    if not isinstance(params, dict):
        raise Refusal(400, "BAD_REQUEST", "The request body must be a JSON object with a `query`.")
    return params


async def request_params(request: Request) -> Params:
    """The GraphQL request parameters from a GET query string or a POST JSON body."""
    raw = dict(request.query_params) if request.method == "GET" else await request_body(request)
    query = raw.get("query")
    extensions = _json_param(raw.get("extensions"), "extensions")
    persisted_only = query is None and "persistedQuery" in (extensions or {})
    if not persisted_only and (not isinstance(query, str) or not query.strip()):
        raise Refusal(400, "BAD_REQUEST", "No GraphQL query found: pass `query` as a string.")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise Refusal(400, "BAD_REQUEST", "`operationName` must be a string.")
    return Params(query, _json_param(raw.get("variables"), "variables"), operation_name or None, extensions)
