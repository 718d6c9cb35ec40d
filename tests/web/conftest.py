"""Fixtures of the HTTP side's tests: the app as seen from given client addresses, Chromium."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app import create_app
from settings import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's Chromium, installed by `make test` (never a test tool's own browser download)."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def app_at(edit_database_url: str) -> AsyncIterator[Any]:
    """One app; `client(address)` gives an httpx client that connects from `address`."""
    app = create_app(edit_database_url, settings=Settings())
    opened: list[httpx.AsyncClient] = []

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50_000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    async with app.router.lifespan_context(app):
        yield client
        for each in opened:
            await each.aclose()
