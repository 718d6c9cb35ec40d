"""`GET /feeds/events.ics`: the events as RFC 5545 iCalendar, for calendar apps and newsletters.

Query parameters mirror the event filter: `network` (slug or global ID), `kind` (repeatable),
`ortsteil`, `from` and `to` (dates or times with offset); `key` carries an API key for calendar
apps that cannot send headers. Each event is a VEVENT with a stable UID, DTSTART/DTEND in
Europe/Berlin (with its VTIMEZONE), SUMMARY, DESCRIPTION, LOCATION, URL, ORGANIZER when the host
publishes an e-mail address, STATUS (CANCELLED for cancelled events) and SEQUENCE = the
event's version, which grows with every change. Built with the `icalendar` library.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent
from starlette.requests import Request
from starlette.responses import Response

from db.enums import EventKind, EventStatus, Ortsteil
from resolvers import events as data
from resolvers.base import DataContext, fetch_root_page, list_query, load_by_id, load_by_slug
from resolvers.companies import COMPANY
from resolvers.errors import UserInputError, quoted
from resolvers.networks import NETWORK
from resolvers.pagination import page_args
from resolvers.spaces import SPACE
from schema.core.ids import decode_id
from web import auth, routing
from web.errors import Refusal
from web.observe import record

BERLIN = ZoneInfo("Europe/Berlin")
MAX_EVENTS = 100
DEFAULT_DURATION = dt.timedelta(hours=2)
PRODID = "-//Büro für Wirtschaftsförderung Lichtenberg//UPL GraphQL//DE"


class FeedError(ValueError):
    pass


def parse_moment(name: str, text: str | None) -> dt.datetime | None:
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), BERLIN)
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise FeedError(f"`{name}` must be a date (2026-12-01) or a time with offset.") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BERLIN)


def enum_value(enum: Any, name: str, text: str) -> Any:
    try:
        return enum[text.upper()]
    except KeyError as exc:
        choices = ", ".join(member.name for member in enum)
        raise FeedError(f"`{name}` must be one of {choices} (got {quoted(text)}).") from exc


async def event_filter(ctx: DataContext, request: Request) -> data.EventFilter:
    params = request.query_params
    if slug := request.path_params.get("slug"):
        row = await load_by_slug(ctx, data.EVENT, slug)
        if row is None:
            raise FeedError(f"No event {quoted(slug)}.")
        return data.EventFilter(event_id=row.id)
    network_id = None
    if network := params.get("network"):
        row = await load_by_slug(ctx, NETWORK, network)
        if row is None:
            try:
                network_id = decode_id(network, "Network")[1]
            except UserInputError as exc:
                raise FeedError(f"No network {quoted(network)} (give its slug or global ID).") from exc
        else:
            network_id = row.id
    kinds = tuple(enum_value(EventKind, "kind", kind) for kind in params.getlist("kind")) or None
    ortsteil = enum_value(Ortsteil, "ortsteil", params["ortsteil"]) if params.get("ortsteil") else None
    starts_after = parse_moment("from", params.get("from")) or dt.datetime.now(BERLIN) - dt.timedelta(days=1)
    for name in params:
        if name not in {"network", "kind", "ortsteil", "from", "to", "key"}:
            raise FeedError(f"Unknown parameter `{name}`: use network, kind, ortsteil, from, to, key.")
    return data.EventFilter(
        starts_after=starts_after,
        starts_before=parse_moment("to", params.get("to")),
        kinds=kinds,
        network_id=network_id,
        ortsteil=ortsteil,
    )


def location(row: Any, space: Any | None) -> str | None:
    source = row if row.street or space is None else space
    parts = [row.venue_name, source.street, " ".join(p for p in (source.postal_code, source.city) if p)]
    text = ", ".join(p for p in parts if p)
    return text or row.online_url


def vevent(row: Any, host: Any | None, space: Any | None, portal_url: str) -> VEvent:
    event = VEvent()
    event.add("uid", f"event-{row.id}@upl-lichtenberg")
    event.add("dtstamp", row.updated_at.astimezone(dt.UTC))
    event.add("last-modified", row.updated_at.astimezone(dt.UTC))
    event.add("sequence", row.version - 1)
    start = row.starts_at.astimezone(BERLIN)
    event.add("dtstart", start)
    event.add("dtend", (row.ends_at or row.starts_at + DEFAULT_DURATION).astimezone(BERLIN))
    event.add("summary", row.title)
    if row.description:
        event.add("description", row.description)
    if (where := location(row, space)) is not None:
        event.add("location", where)
    event.add("url", row.registration_url or f"{portal_url}/veranstaltungen/{row.slug}")
    if host is not None and host.email:
        organizer = vCalAddress(f"mailto:{host.email}")
        organizer.params["cn"] = vText(host.name)
        event.add("organizer", organizer)
    status = {EventStatus.CANCELLED: "CANCELLED", EventStatus.POSTPONED: "TENTATIVE"}.get(row.status, "CONFIRMED")
    event.add("status", status)
    return event


async def events_ics(request: Request) -> Response:
    try:
        viewer = await auth.authenticate(request, query_key=request.query_params.get("key"))
    except Refusal as exc:
        return exc.response()
    database = await routing.for_read(request.app.state, viewer)
    record().database = database.name
    ctx = DataContext(engine=database.engine, viewer=viewer)
    try:
        domain_filter = await event_filter(ctx, request)
    except FeedError as exc:
        status = 404 if request.path_params.get("slug") else 400
        return Response(f"{exc}\n", status_code=status, media_type="text/plain")
    query = list_query(
        data.EVENT, data.event_conditions(domain_filter), ("ics",), None, None, page_args(MAX_EVENTS, None, None, None)
    )
    page = await fetch_root_page(ctx, data.EVENT, query)
    hosts = await asyncio.gather(
        *(load_by_id(ctx, COMPANY, r.host_company_id) if r.host_company_id else _none() for r in page.rows)
    )
    spaces = await asyncio.gather(
        *(load_by_id(ctx, SPACE, r.venue_space_id) if r.venue_space_id else _none() for r in page.rows)
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Veranstaltungen in Lichtenberg")
    calendar.add("x-wr-timezone", "Europe/Berlin")
    portal_url = request.app.state.settings.portal_url
    for row, host, space in zip(page.rows, hosts, spaces, strict=True):
        calendar.add_component(vevent(row, host, space, portal_url))
    calendar.add_missing_timezones()
    private = viewer.is_staff
    headers = {
        "Cache-Control": "private, no-store"
        if private
        else f"public, max-age={request.app.state.settings.cache_max_age}",
        "Content-Disposition": 'inline; filename="events.ics"',
    }
    return Response(calendar.to_ical(), media_type="text/calendar; charset=utf-8", headers=headers)


async def _none() -> None:
    return None
