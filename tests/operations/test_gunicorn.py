"""gunicorn with uvicorn-worker, as `deploy/gunicorn.conf.py` runs the service: two workers
answer, and a scrape of either reports the requests of both (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.load import free_port
from tests.conftest import ROOT, wait_until_ready

TOKEN = "gunicorn-metrics-token"


def test_gunicorn_with_uvicorn_workers(edit_database_url: str, tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "metrics").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": edit_database_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "UPL_METRICS_TOKEN": TOKEN,
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:served_app()"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_ready(base, process), (tmp_path / "gunicorn.log").read_text()
        sent = 30
        for _ in range(sent):  # a connection each: the kernel spreads them over the workers
            response = httpx.post(f"{base}/graphql", json={"query": "{ companies(first: 1) { totalCount } }"})
            assert response.status_code == 200 and "errors" not in response.json()
        scraped = httpx.get(f"{base}/metrics", headers={"authorization": f"Bearer {TOKEN}"}).text
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    counted = sum(
        sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "upl_http_requests_total" and sample.labels["route"] == "/graphql"
    )
    assert counted == sent
    pids = {name.split("_")[-1] for name in os.listdir(tmp_path / "metrics")}
    assert len(pids) >= 2, pids  # samples of more than one worker process
