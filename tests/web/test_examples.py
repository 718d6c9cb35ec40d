"""The examples in `examples/` against the real service under uvicorn: the newsletter script,
and the partner page in headless Chromium from another loopback origin (CORS)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright

from db.engine import create_engine
from tests.conftest import ROOT, LiveServer
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def api_server(edit_database_url: str, role_headers: dict[str, dict[str, str]]) -> Iterator[LiveServer]:
    server = LiveServer(edit_database_url).start()
    yield server
    server.stop()


def newsletter(url: str, key: str, state: Path, html: Path, today: dt.date) -> str:
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "newsletter.py"),
            "--url",
            url,
            "--key",
            key,
            "--state",
            str(state),
            "--html",
            str(html),
            "--today",
            today.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_newsletter_digest_and_changes_since_last_run(
    api_server: LiveServer, role_headers: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    key = role_headers["newsletter"]["authorization"].split(" ")[1]
    today = dt.date.today()
    state, html = tmp_path / "state.json", tmp_path / "digest.html"
    first = newsletter(api_server.url, key, state, html, today)
    assert "erster Lauf" in first and state.exists()
    start = dt.datetime.combine(today, dt.time(), dt.UTC).isoformat()
    expected = httpx.post(
        api_server.url,
        json={
            "query": f'{{ events(first: 100, filter: {{ startsAfter: "{start}" }}) {{ nodes {{ title startsAt }} }} }}'
        },
    ).json()["data"]["events"]["nodes"]
    horizon = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    for event in expected:
        if dt.datetime.fromisoformat(event["startsAt"]) < horizon:
            assert event["title"] in first

    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0).isoformat()
    created = httpx.post(
        api_server.url,
        headers=role_headers["staff"],
        json={
            "query": f'mutation {{ eventCreate(input: {{ title: "Newsletter-Neuheit", kind: INFO_SESSION, '
            f'startsAt: "{starts}", venueName: "Rathaus" }}) {{ userErrors {{ code }} }} }}'
        },
    ).json()
    assert created["data"]["eventCreate"]["userErrors"] == []
    second = newsletter(api_server.url, key, state, html, today)
    assert "* CREATE: Newsletter-Neuheit" in second
    assert "Newsletter-Neuheit" in second.split("Änderungen")[0]
    third = newsletter(api_server.url, key, state, html, today)
    assert "CREATE: Newsletter-Neuheit" not in third  # reported once
    assert "<li>" in html.read_text()


@pytest.fixture(scope="module")
def partner_site() -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(EXAMPLES / "partner-page"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_partner_page_lists_a_networks_next_events(
    api_server: LiveServer, partner_site: str, edit_database_url: str
) -> None:
    from db.enums import Role
    from resolvers import accounts

    engine = create_engine(edit_database_url)
    try:
        key = (await accounts.create_key(engine, "Partner page", Role.PARTNER, origins=[partner_site])).key
    finally:
        await engine.dispose()
    network = "unternehmensnetzwerk-herzbergstrasse"
    now = dt.datetime.now(dt.UTC).isoformat()
    async with httpx.AsyncClient() as client:
        expected: Any = (
            await client.post(
                api_server.url,
                json={
                    "query": f'{{ network(slug: "{network}") {{ events(first: 10, filter: {{ startsAfter: "{now}" }}) '
                    "{ nodes { title } } } }"
                },
            )
        ).json()["data"]["network"]["events"]["nodes"]
    assert expected
    url = f"{partner_site}/index.html?api={api_server.url}&network={network}&key={key}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url)
            await page.wait_for_selector("li.event", timeout=20_000)
            items = await page.locator("li.event").all_inner_texts()
            heading = await page.inner_text("#title")
        finally:
            await browser.close()
    assert heading == "Termine: UnternehmensNetzwerk Herzbergstraße e.V."
    assert [any(e["title"] in item for item in items) for e in expected] == [True] * len(expected)
    assert len(items) == len(expected)
