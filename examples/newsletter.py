"""A newsletter digest from the UPL GraphQL service: next month's events and what changed.

    python examples/newsletter.py --url http://127.0.0.1:8000/graphql [--key KEY] \\
        [--state .newsletter-state.json] [--html digest.html]

Prints a plain-text digest; `--html` also writes an HTML one. The change-feed cursor is kept in
the state file, so the next run reports only what changed since this one. Queries are sent as
automatic persisted queries (hash first, the document only when the server asks for it), which
is also how a key restricted to trusted documents works.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

BERLIN = ZoneInfo("Europe/Berlin")

NEXT_EVENTS = """query NewsletterEvents($from: DateTime!, $to: DateTime!) {
  events(first: 100, filter: { startsAfter: $from, startsBefore: $to }) {
    nodes {
      title kind status startsAt icalUrl
      venue { name address { street postalCode } }
      host { name }
      network { name }
    }
  }
}"""

CHANGES = """query NewsletterChanges($since: String) {
  changes(since: $since, first: 100, types: [EVENT]) {
    nodes { action at node { ... on Event { title startsAt } } }
    pageInfo { endCursor hasNextPage }
  }
}"""

HEAD = "query NewsletterHead { changesHead }"


class Client:
    def __init__(self, url: str, key: str | None) -> None:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(headers=headers, timeout=30)
        self.url = url

    def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        digest = hashlib.sha256(document.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        body = self.http.post(self.url, json={"variables": variables, "extensions": extensions}).json()
        if body.get("errors", [{}])[0].get("extensions", {}).get("code") == "PERSISTED_QUERY_NOT_FOUND":
            body = self.http.post(
                self.url, json={"query": document, "variables": variables, "extensions": extensions}
            ).json()
        if "errors" in body:
            raise SystemExit(f"newsletter: {body['errors'][0]['message']}")
        data: dict[str, Any] = body["data"]
        return data


def when(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(BERLIN).strftime("%a %d.%m.%Y %H:%M")


def where(event: dict[str, Any]) -> str:
    venue = event["venue"]
    street = (venue.get("address") or {}).get("street")
    return ", ".join(part for part in (venue.get("name"), street) if part) or "online"


def collect(client: Client, state_file: Path, today: dt.date) -> dict[str, Any]:
    start = dt.datetime.combine(today, dt.time(), BERLIN)
    events = client.query(NEXT_EVENTS, {"from": start.isoformat(), "to": (start + dt.timedelta(days=31)).isoformat()})
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    changed: list[dict[str, Any]] = []
    if "cursor" in state:
        cursor = state["cursor"]
        while True:
            feed = client.query(CHANGES, {"since": cursor})["changes"]
            changed += feed["nodes"]
            cursor = feed["pageInfo"]["endCursor"]
            if not feed["pageInfo"]["hasNextPage"]:
                break
    else:
        cursor = client.query(HEAD)["changesHead"]  # first run: start following from now
    state_file.write_text(json.dumps({"cursor": cursor}))
    return {"events": events["events"]["nodes"], "changes": changed, "first_run": "cursor" not in state}


def plain(digest: dict[str, Any]) -> str:
    lines = ["Veranstaltungen in Lichtenberg – die nächsten 31 Tage", ""]
    for event in digest["events"]:
        cancelled = " [ABGESAGT]" if event["status"] == "CANCELLED" else ""
        lines.append(f"* {when(event['startsAt'])}  {event['title']}{cancelled}")
        lines.append(f"  {where(event)}" + (f" – {event['network']['name']}" if event["network"] else ""))
    lines += ["", "Änderungen seit dem letzten Newsletter", ""]
    if digest["first_run"]:
        lines.append("(erster Lauf: ab jetzt werden Änderungen verfolgt)")
    for change in digest["changes"]:
        title = change["node"]["title"] if change["node"] else "(entfernt)"
        lines.append(f"* {change['action']}: {title}")
    return "\n".join(lines) + "\n"


def as_html(digest: dict[str, Any]) -> str:
    items = "".join(
        f"<li><time>{html.escape(when(e['startsAt']))}</time> <strong>{html.escape(e['title'])}</strong>"
        f' – {html.escape(where(e))} <a href="{html.escape(e["icalUrl"])}">iCal</a></li>'
        for e in digest["events"]
    )
    changes = "".join(
        f"<li>{html.escape(c['action'])}: {html.escape(c['node']['title'] if c['node'] else '(entfernt)')}</li>"
        for c in digest["changes"]
    )
    return (
        '<!doctype html><html lang="de"><meta charset="utf-8"><title>Lichtenberg – Veranstaltungen</title>'
        f"<h1>Veranstaltungen in Lichtenberg</h1><ul>{items}</ul><h2>Änderungen</h2><ul>{changes}</ul></html>\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--key", help="an API key (newsletter role)")
    parser.add_argument("--state", default=".newsletter-state.json", help="where the change cursor is kept")
    parser.add_argument("--html", help="also write an HTML digest here")
    parser.add_argument("--today", help="the digest's first day (default: today)")
    args = parser.parse_args(argv)
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    digest = collect(Client(args.url, args.key), Path(args.state), today)
    sys.stdout.write(plain(digest))
    if args.html:
        Path(args.html).write_text(as_html(digest))


if __name__ == "__main__":
    main()
