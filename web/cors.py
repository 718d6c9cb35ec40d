"""CORS: a browser may call from an origin its key allows (or, without a key, an origin in
`UPL_ANONYMOUS_ORIGINS`); credentials (cookies) are never allowed cross-origin."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from resolvers.accounts import api_keys
from resolvers.viewer import Viewer
from web.requests import header

CORS_ALLOW_HEADERS = "authorization, content-type, accept, apollographql-client-name, apollographql-client-version"
ORIGINS_TTL = 30.0


class KeyOrigins:
    """Origins any active key allows (for preflights, which carry no key), refreshed every 30 s."""

    def __init__(self) -> None:
        self.loaded_at = -ORIGINS_TTL
        self.origins: frozenset[str] = frozenset()

    async def get(self, engine: AsyncEngine) -> frozenset[str]:
        if time.monotonic() - self.loaded_at > ORIGINS_TTL:
            async with engine.connect() as connection:
                rows = await connection.scalars(select(api_keys.c.origins).where(api_keys.c.revoked_at.is_(None)))
                self.origins = frozenset(origin for origins in rows for origin in origins)
            self.loaded_at = time.monotonic()
        return self.origins


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def cross_origin(request: Request) -> str | None:
    """The request's `Origin` when it is another site's, else None."""
    origin = header(request, "origin")
    if origin is None or origin == own_origin(request):
        return None
    return origin


def anonymous_allows(request: Request, origin: str) -> bool:
    allowed: tuple[str, ...] = request.app.state.settings.anonymous_origins
    return "*" in allowed or origin in allowed


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": "ETag"}


async def preflight(request: Request) -> Response:
    origin = request.headers.get("origin")
    if origin is None:
        return Response(status_code=400, content="A CORS preflight needs an Origin header.", media_type="text/plain")
    key_origins = await request.app.state.key_origins.get(request.app.state.engine)
    if origin not in key_origins and not anonymous_allows(request, origin):
        return Response(status_code=403, content=f"Origin {origin} is not allowed.", media_type="text/plain")
    headers = {
        **cors_headers(origin),
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


def origin_refusal(request: Request, viewer: Viewer) -> str | None:
    """Why this cross-origin request is refused, or None when its origin is allowed."""
    origin = cross_origin(request)
    if origin is None:
        return None
    if viewer.csrf_token is not None:
        return "Session cookies are not accepted from other origins."
    if viewer.api_key_id is not None:
        return None if origin in viewer.origins else f"This key is not allowed from {origin}."
    return None if anonymous_allows(request, origin) else f"Origin {origin} may not call without a key."
