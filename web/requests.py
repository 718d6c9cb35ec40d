"""The GraphQL request parameters, read from a GET query string or a POST JSON body, as the
GraphQL-over-HTTP specification has them (one operation per request)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, HTTPConnection, Request

from resolvers.errors import quoted
from web.errors import JSON, Refusal

MAX_BODY_BYTES = 1_048_576
MAX_UPLOAD_BYTES = 20 * 1_048_576
"""A multipart request (a file for `importRun`, staff only) may be this large."""
MULTIPART = "multipart/form-data"


@dataclass(frozen=True, repr=False)
class UploadedFile:
    """A file sent with the GraphQL multipart request specification: the value of an `Upload`
    variable. Its repr (what the variables' cache and idempotency keys see) is its digest."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"<upload {self.filename} {len(self.data)} bytes sha256:{hashlib.sha256(self.data).hexdigest()}>"


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
            fast = orjson.dumps(self.variables, option=orjson.OPT_SORT_KEYS, default=repr)
        except TypeError:  # integers beyond 64 bits, lone surrogates
            fast = b"null"
        if b"null" not in fast:
            return fast
        # orjson writes NaN and Infinity as null: the standard json module keeps them apart
        return json.dumps(self.variables, sort_keys=True, default=repr).encode()


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


async def request_body(request: Request, uploads: bool = False) -> dict[str, Any]:
    content_type = (header(request, "content-type") or "").split(";")[0].strip().lower()
    if content_type == MULTIPART:
        if not uploads:
            raise Refusal(403, "FORBIDDEN", "Only staff may send files (multipart requests, for `importRun`).")
        return await multipart_params(request)
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


async def request_params(request: Request, uploads: bool = False) -> Params:
    """The GraphQL request parameters from a GET query string or a POST JSON body (or, with
    `uploads`, a multipart body with files)."""
    raw = dict(request.query_params) if request.method == "GET" else await request_body(request, uploads)
    query = raw.get("query")
    extensions = _json_param(raw.get("extensions"), "extensions")
    persisted_only = query is None and "persistedQuery" in (extensions or {})
    if not persisted_only and (not isinstance(query, str) or not query.strip()):
        raise Refusal(400, "BAD_REQUEST", "No GraphQL query found: pass `query` as a string.")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise Refusal(400, "BAD_REQUEST", "`operationName` must be a string.")
    return Params(query, _json_param(raw.get("variables"), "variables"), operation_name or None, extensions)


def _place(params: dict[str, Any], path: str, file: UploadedFile) -> None:
    """Put a file where the multipart `map` says, e.g. `variables.input.file` (a null there)."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] != "variables":
        raise Refusal(400, "BAD_REQUEST", f"The multipart map names {quoted(path)}: files go into `variables`.")
    target: Any = params
    for index, part in enumerate(parts):
        key: Any = int(part) if isinstance(target, list) and part.isdigit() else part
        try:
            value = target[key]
        except (KeyError, IndexError, TypeError):
            message = f"The multipart map names {quoted(path)}, which the operation lacks."
            raise Refusal(400, "BAD_REQUEST", message) from None
        if index < len(parts) - 1:
            target = value
        elif value is not None:
            raise Refusal(400, "BAD_REQUEST", f"{quoted(path)} must be null in `operations` (the file goes there).")
        else:
            target[key] = file


async def multipart_params(request: Request) -> dict[str, Any]:
    """The GraphQL multipart request specification (jaydenseric/graphql-multipart-request-spec):
    `operations` (the JSON request with nulls for the files), `map` (which file goes where),
    then the files. Bodies need a Content-Length, at most `MAX_UPLOAD_BYTES`."""
    declared = header(request, "content-length")
    if declared is None or not declared.isdigit():
        raise Refusal(411, "BAD_REQUEST", "A multipart request needs a Content-Length.")
    if int(declared) > MAX_UPLOAD_BYTES:
        raise Refusal(413, "BAD_REQUEST", f"The request body has {declared} bytes; the limit is {MAX_UPLOAD_BYTES}.")
    try:
        async with request.form(max_files=4, max_fields=8, max_part_size=MAX_BODY_BYTES) as form:
            operations, mapping = form.get("operations"), form.get("map")
            if not isinstance(operations, str) or not isinstance(mapping, str):
                raise Refusal(400, "BAD_REQUEST", "A multipart request needs the fields `operations` and `map` first.")
            params, places = orjson.loads(operations), orjson.loads(mapping)
            if not isinstance(params, dict) or not isinstance(places, dict):
                raise Refusal(400, "BAD_REQUEST", "`operations` must be one JSON request and `map` a JSON object.")
            for name, paths in places.items():
                upload = form.get(name)
                if isinstance(upload, str) or upload is None or not isinstance(paths, list):
                    raise Refusal(
                        400, "BAD_REQUEST", f"The multipart map names file {quoted(name)}, which was not sent."
                    )
                file = UploadedFile(upload.filename or name, upload.content_type or "", await upload.read())
                for path in paths:
                    _place(params, str(path), file)
    except orjson.JSONDecodeError:
        raise Refusal(400, "BAD_REQUEST", "`operations` and `map` must be JSON.") from None
    except MultiPartException as exc:
        raise Refusal(400, "BAD_REQUEST", f"The multipart body cannot be read: {exc.message}") from None
    return params
