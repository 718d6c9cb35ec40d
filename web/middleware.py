"""ASGI middleware every response passes: security headers, NUL-free URLs, no keys in the access log."""

from __future__ import annotations

import logging
import re

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import JSON


class SecurityHeaders:
    """Security headers on every response (pages that need their own CSP set it themselves)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
            (b"cross-origin-resource-policy", b"cross-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RejectNulInUrls:
    """A path or query string with a NUL character (`%00`) is a broken request: 400 for every
    route, before any handler passes it to PostgreSQL (whose text cannot hold one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"].lower()):
            body = orjson.dumps(
                {"errors": [{"message": "URLs cannot contain NUL characters.", "extensions": {"code": "BAD_REQUEST"}}]}
            )
            await Response(body, status_code=400, media_type=JSON)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RedactKeys(logging.Filter):
    """Keep API keys sent in URLs (`?key=` of the iCalendar feed) out of the access log."""

    PATTERN = re.compile(r"(?i)([?&]key=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1REDACTED", a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_keys_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactKeys) for f in access.filters):
        access.addFilter(RedactKeys())
