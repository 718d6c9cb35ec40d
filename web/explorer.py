"""The staff explorer: GraphiQL 3 with its explorer plugin, served from `static/node_modules`
(installed with npm, pinned by `static/package-lock.json`), so no request leaves the service;
a login page for staff without a session."""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from web import auth

STATIC = Path(__file__).resolve().parent.parent / "static"
MODULES = STATIC / "node_modules"

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
    "graphql-ws.js": MODULES / "graphql-ws/umd/graphql-ws.min.js",
    "explorer.js": STATIC / "explorer.js",
    "explorer.css": STATIC / "explorer.css",
    "login.js": STATIC / "login.js",
}


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
<label id="upload">File for <code>importRun</code> (the Import tab)
<input id="import-file" type="file" accept=".csv,.txt,.xlsx,.jsonl,.ndjson,.json"></label>
<span id="who">{username} ({role})</span><button id="logout" type="button">Log out</button></header>
<div id="graphiql">Loading…</div>
<script src="/static/react.js"></script><script src="/static/react-dom.js"></script>
<script src="/static/graphiql.js"></script><script src="/static/plugin-explorer.js"></script>
<script src="/static/graphql-ws.js"></script><script src="/static/explorer.js"></script></body></html>
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
    viewer = await auth.session_viewer(request)
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
        Route("/auth/login", auth.login, methods=["POST"]),
        Route("/auth/logout", auth.logout, methods=["POST"]),
        Route("/graphiql", graphiql, methods=["GET"]),
        Route("/", to_explorer, methods=["GET"]),
        Route("/static/{name}", static_file, methods=["GET"]),
    ]
