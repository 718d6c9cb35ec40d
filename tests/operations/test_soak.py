"""A short soak (`make soak` runs 60 s at 32 clients): reads and concurrent staff edits of the same
events under uvicorn with 2 workers, then the database must account for every acknowledged write."""

from __future__ import annotations

import uuid

from bench.soak import run
from tests.conftest import Server, _with_database


def test_short_soak_loses_nothing(pg_server: Server) -> None:
    name = f"upl_soak_{uuid.uuid4().hex[:8]}"
    pg_server.created.append(name)
    report = run(6, 16, _with_database(pg_server.admin_url, name))
    assert report["problems"] == []
    assert report["outcomes"].get("update acknowledged", 0) > 10
    assert report["outcomes"].get("read ok", 0) > 100
    assert "5xx" not in report["outcomes"]
