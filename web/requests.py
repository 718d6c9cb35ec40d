"""The GraphQL request parameters, read from a GET query string or a POST JSON body, as the
GraphQL-over-HTTP specification has them (one operation per request)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, HTTPConnection, Request

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

    @cached_property
    def variables_key(self) -> bytes:
        """The variables as one canonical string (keys sorted), the key of every per-document
        cache, exact for integers beyond 64 bits and NaN."""
        if not self.variables:
            return b"null" if self.variables is None else b"{}"
        try:
            fast = orjson.dumps(self.variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # integers beyond 64 bits, lone surrogates
            fast = b"null"
        if b"null" not in fast:
            return fast
        # orjson writes NaN and Infinity as null: the standard json module keeps them apart
        return json.dumps(self.variables, sort_keys=True).encode()


def header(request: HTTPConnection, name: str) -> str | None:
    """One request header (the first of its name, as Starlette has it) from a dict built once
    per request: Starlette's `Headers.get` scans the whole list on every call."""
    found: dict[str, str] | None = request.scope.get("upl.headers")
    if found is None:
        found = {}
        for key, value in reversed(request.scope["headers"]):
            found[key.decode("latin-1")] = value.decode("latin-1")
        request.scope["upl.headers"] = found
    return found.get(name)


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


async def read_body(request: Request) -> bytes:
    """The body, refused as soon as it passes the limit. Read from `receive` directly: Starlette's
    `Request.body()` goes through an async generator that costs a tenth of a cached answer."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refusal(413, "BAD_REQUEST", f"The request body has over {MAX_BODY_BYTES} bytes, the limit.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def request_body(request: Request) -> dict[str, Any]:
    content_type = (header(request, "content-type") or "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise Refusal(415, "BAD_REQUEST", f"Unsupported content type {quoted(content_type or 'none')}: send {JSON}.")
    declared = header(request, "content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refusal(413, "BAD_REQUEST", f"The request body has {declared} bytes; the limit is {MAX_BODY_BYTES}.")
    raw = await read_body(request)
    try:
        params = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # what orjson refuses and the standard module reads: integers beyond 64 bits, NaN,
        # lone surrogates, UTF-16 (GraphQL then says what it makes of them)
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
