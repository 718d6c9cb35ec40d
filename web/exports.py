"""`GET /export/{type}.{format}`: a type's rows as CSV, XLSX, JSON lines or GeoJSON, for keyed
callers (an API key, or a staff session in the explorer).

The query parameters are the GraphQL list's filter fields (`?ortsteil=KARLSHORST&industryCode=62`,
transfer/filters.py); `key` carries a partner key for tools that cannot send headers, as for
the iCalendar feed. What a caller sees is what the lists show it: partners get published rows
and only consented contact persons, staff everything. The body streams from one snapshot. An
export spends from the caller's rate limit what the largest query the caller may send costs.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from resolvers.base import DataContext
from resolvers.errors import UserInputError
from resolvers.viewer import Viewer
from transfer import filters, sheets
from transfer.exporter import export_file
from transfer.formats import FORMATS, MEDIA_TYPES
from web import auth, cors, limits, routing
from web.errors import Refusal
from web.observe import record


async def export(request: Request) -> Response:
    try:
        viewer = await auth.authenticate(request, query_key=request.query_params.get("key"))
    except Refusal as exc:
        return exc.response()
    name, format = request.path_params["type"], request.path_params["format"]
    sheet = sheets.by_name(name)
    if sheet is None or format not in FORMATS or (format == "geojson" and not sheet.geo):
        known = ", ".join(f"{s}.{f}" for s in sheets.SHEETS for f in FORMATS if f != "geojson" or sheets.SHEETS[s].geo)
        return PlainTextResponse(f"No export {name}.{format}: there are {known}.\n", status_code=404)
    if viewer.api_key_id is None and not viewer.is_staff:
        return PlainTextResponse("Exports are for keyed callers: send `Authorization: Bearer KEY`.\n", status_code=401)
    headers = {"Cache-Control": "private, no-store", "Vary": "Authorization, Cookie"}
    if (origin := cors.cross_origin(request)) is not None:
        if (refusal := cors.origin_refusal(request, viewer)) is not None:
            return PlainTextResponse(f"{refusal}\n", status_code=403)
        headers.update(cors.cors_headers(origin))
    if (refused := await _rate_limited(request, viewer, headers)) is not None:
        return refused
    params = {key: value for key, value in request.query_params.items() if key != "key"}
    try:
        conditions = filters.conditions_for(sheet.name, params)
    except UserInputError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=400, headers=headers)
    database = await routing.for_read(request.app.state, viewer)
    record().database = database.name
    ctx = DataContext(engine=database.engine, viewer=viewer)
    filename = f"upl-{sheet.name}-{dt.date.today().isoformat()}.{format}"
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    body = export_file(database.engine, ctx, sheet, format, conditions)
    return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=headers)


async def _rate_limited(request: Request, viewer: Viewer, headers: dict[str, str]) -> Response | None:
    """An export spends from the caller's rate limit what the largest query it may send costs."""
    state = request.app.state
    if not state.settings.rate_limit:
        return None
    spent = limits.COST_CAPS[viewer.role]
    allowed, limit_headers = await state.rate_limiter.spend(viewer, auth.client_address(request), spent)
    headers.update(limit_headers)
    if allowed:
        return None
    message = "Rate limit spent: wait for the window to move on (see Retry-After).\n"
    return PlainTextResponse(message, status_code=429, headers=headers)
