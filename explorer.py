"""Who is calling (API keys, staff sessions), login/logout, and the self-hosted GraphiQL explorer.

* `Authorization: Bearer KEY` authenticates a partner, newsletter, staff or admin key.
* `POST /auth/login` checks a staff account's password (Argon2) and sets the session cookie: a
  random token signed with the deployment's secret (itsdangerous), `HttpOnly`, `SameSite=Lax`,
  with an expiry; the database keeps only its SHA-256. A mutation sent with the cookie also
  needs the session's CSRF token in `X-CSRF-Token` (the explorer page sends it).
* Failed logins and unknown keys are throttled per client address and per username
  (`limits`, in memory); wrong credentials get one message, whichever part was wrong.
* `GET /graphiql` serves GraphiQL 3 and its explorer plugin from `static/node_modules`
  (installed with npm, pinned by `static/package-lock.json`): no request leaves the service.
"""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path
from typing import Any

import orjson
from itsdangerous import BadSignature, TimestampSigner
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from resolvers import accounts
from resolvers.accounts import ANONYMOUS, Viewer
from settings import Settings

SESSION_COOKIE = "upl_session"
CSRF_HEADER = "x-csrf-token"
STATIC = Path(__file__).resolve().parent / "static"
MODULES = STATIC / "node_modules"

FAILURES_PER_ADDRESS = parse("20/5minutes")
FAILURES_PER_USERNAME = parse("10/15minutes")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

STATIC_FILES: dict[str, Path] = {
    "react.js": MODULES / "react/umd/react.production.min.js",
    "react-dom.js": MODULES / "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": MODULES / "graphiql/graphiql.min.js",
    "graphiql.css": MODULES / "graphiql/graphiql.min.css",
    "plugin-explorer.js": MODULES / "@graphiql/plugin-explorer/dist/index.umd.js",
    "plugin-explorer.css": MODULES / "@graphiql/plugin-explorer/dist/style.css",
    "explorer.js": STATIC / "explorer.js",
    "explorer.css": STATIC / "explorer.css",
    "login.js": STATIC / "login.js",
}


class AuthError(Exception):
    """A request whose credentials are wrong, missing where required, or throttled."""

    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}

    def response(self) -> Response:
        body = orjson.dumps({"errors": [{"message": self.message, "extensions": {"code": self.code}}]})
        return Response(body, status_code=self.status, media_type="application/json", headers=self.headers)


WRONG_CREDENTIALS = "Unknown, revoked or wrong credentials."


class Throttle:
    """Failed authentication attempts per client address and per username (moving window)."""

    def __init__(self) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def check(self, *keys: tuple[RateLimitItem, str]) -> None:
        for item, key in keys:
            if not await self.limiter.test(item, key):
                reset, _ = await self.limiter.get_window_stats(item, key)
                retry = max(1, int(reset - time.time()))
                raise AuthError(
                    429,
                    f"Too many failed attempts: try again in {retry} s.",
                    "RATE_LIMITED",
                    {"Retry-After": str(retry)},
                )

    async def fail(self, *keys: tuple[RateLimitItem, str]) -> None:
        for item, key in keys:
            await self.limiter.hit(item, key)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def signer(request: Request) -> TimestampSigner:
    return TimestampSigner(settings_of(request).secret_key, salt="upl-session")


async def session_viewer(request: Request) -> Viewer | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        token = signer(request).unsign(cookie, max_age=settings_of(request).session_max_age).decode()
    except BadSignature:
        return None
    return await accounts.viewer_for_session(request.app.state.engine, token)


async def authenticate(request: Request, query_key: str | None = None) -> Viewer:
    """The caller: a bearer key, else a session cookie, else anonymous (if the deployment allows).

    `query_key` is a key passed in the URL (`?key=`), for calendar apps that cannot send headers.
    """
    header = request.headers.get("authorization")
    if header is None and query_key:
        header = f"Bearer {query_key}"
    throttle: Throttle = request.app.state.throttle
    address = ("address", client_address(request))
    if header is not None:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthError(401, "Send the API key as `Authorization: Bearer KEY`.", "UNAUTHENTICATED")
        await throttle.check((FAILURES_PER_ADDRESS, address[1]))
        viewer = await accounts.viewer_for_key(request.app.state.engine, key.strip())
        if viewer is None:
            await throttle.fail((FAILURES_PER_ADDRESS, address[1]))
            raise AuthError(401, WRONG_CREDENTIALS, "UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"})
        return viewer
    viewer = await session_viewer(request)
    if viewer is not None:
        return viewer
    if not settings_of(request).anonymous_access:
        raise AuthError(
            401,
            "This deployment needs an API key: `Authorization: Bearer KEY`.",
            "UNAUTHENTICATED",
            {"WWW-Authenticate": "Bearer"},
        )
    return ANONYMOUS


def csrf_ok(request: Request, viewer: Viewer) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    return sent is not None and viewer.csrf_token is not None and accounts.constant_equal(sent, viewer.csrf_token)


def csrf_refusal() -> Response:
    return AuthError(
        403, "A mutation sent with a session cookie needs the `X-CSRF-Token` header of that session.", "FORBIDDEN"
    ).response()


# --- login and logout -----------------------------------------------------------------------


async def login_form(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(await request.body())
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return dict(await request.form())
    return {}


async def login(request: Request) -> Response:
    form = await login_form(request)
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return AuthError(400, "Send `username` and `password` (form fields or JSON).", "BAD_REQUEST").response()
    throttle: Throttle = request.app.state.throttle
    keys = ((FAILURES_PER_ADDRESS, client_address(request)), (FAILURES_PER_USERNAME, username.lower()))
    try:
        await throttle.check(*keys)
    except AuthError as exc:
        return exc.response()
    user = await accounts.user_with_password(request.app.state.engine, username, password)
    if user is None:
        await throttle.fail(*keys)
        return AuthError(401, WRONG_CREDENTIALS, "UNAUTHENTICATED").response()
    settings = settings_of(request)
    session = await accounts.create_session(request.app.state.engine, user.id, settings.session_max_age)
    response = JSONResponse({"username": user.username, "role": user.role.value, "csrfToken": session.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        signer(request).sign(session.token).decode(),
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            token = signer(request).unsign(cookie).decode()
        except BadSignature:
            token = None
        if token:
            await accounts.end_session(request.app.state.engine, token)
    response = JSONResponse({"loggedOut": True})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


# --- pages ----------------------------------------------------------------------------------

LOGIN_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>UPL GraphQL – Anmeldung</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/explorer.css"></head>
<body class="login"><main>
<h1>UPL GraphQL</h1><p>Staff of the Büro für Wirtschaftsförderung: log in to explore and edit the portal data.</p>
<form id="login" method="post" action="/auth/login">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button><p id="error" role="alert"></p></form>
</main><script src="/static/login.js"></script></body></html>
"""

EXPLORER_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>UPL GraphQL Explorer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="upl-csrf-token" content="{csrf}"><meta name="upl-username" content="{username}">
<link rel="stylesheet" href="/static/graphiql.css"><link rel="stylesheet" href="/static/plugin-explorer.css">
<link rel="stylesheet" href="/static/explorer.css"></head>
<body class="explorer"><header><strong>UPL GraphQL</strong>
<span id="who">{username} ({role})</span><button id="logout" type="button">Log out</button></header>
<div id="graphiql">Loading…</div>
<script src="/static/react.js"></script><script src="/static/react-dom.js"></script>
<script src="/static/graphiql.js"></script><script src="/static/plugin-explorer.js"></script>
<script src="/static/explorer.js"></script></body></html>
"""


def page(html: str, status: int = 200) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(html, status_code=status, headers=headers)


async def graphiql(request: Request) -> Response:
    viewer = await session_viewer(request)
    if viewer is None:
        return page(LOGIN_PAGE)
    return page(
        EXPLORER_PAGE.format(
            csrf=escape(viewer.csrf_token or ""), username=escape(viewer.username or ""), role=viewer.role.value.lower()
        )
    )


async def static_file(request: Request) -> Response:
    path = STATIC_FILES.get(request.path_params["name"])
    if path is None or not path.is_file():
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


async def to_explorer(_: Request) -> Response:
    return RedirectResponse("/graphiql", status_code=302)


def routes() -> list[Route]:
    return [
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
        Route("/graphiql", graphiql, methods=["GET"]),
        Route("/", to_explorer, methods=["GET"]),
        Route("/static/{name}", static_file, methods=["GET"]),
    ]
