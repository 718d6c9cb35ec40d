"""What operators see: request IDs, one JSON log line per request, Prometheus metrics (one
process and several workers), and no ERROR lines for a caller's mistakes."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.load import free_port
from tests.conftest import Api, ServedProcess

TOKEN = "metrics-token-for-the-tests"
READ = {"query": "query Firms { companies(first: 2) { nodes { name } } }", "operationName": "Firms"}


def samples(exposition: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """A metric's samples by their labels, from the text format as Prometheus parses it."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def log_lines(served: ServedProcess) -> list[dict[str, Any]]:
    lines = []
    for line in served.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_a_request_id_is_taken_when_well_formed_and_made_otherwise(api: Api) -> None:
    sent = await api.client.post("/graphql", json=READ, headers={"x-request-id": "lb-7f3a9c.42"})
    assert sent.headers["x-request-id"] == "lb-7f3a9c.42"
    made = await api.client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{24}", made.headers["x-request-id"])
    for forged in ("bad id with spaces", "x" * 200, "<script>"):
        replaced = await api.client.get("/healthz", headers={"x-request-id": forged})
        assert replaced.headers["x-request-id"] != forged
    refused = await api.client.post("/graphql", content=b"{", headers={"content-type": "application/json"})
    assert refused.status_code == 400 and "x-request-id" in refused.headers


def test_one_json_line_per_request_and_no_error_for_callers_mistakes(edit_database_url: str) -> None:
    served = ServedProcess(edit_database_url, env={"UPL_LOG_FORMAT": "json"}, log_level="info")
    try:
        with httpx.Client(base_url=served.base, timeout=10) as client:
            ok = client.post("/graphql", json=READ, headers={"x-request-id": "req-ok"})
            client.post(
                "/graphql",
                json={"query": "{ companies(first: 2) { nodes { name }"},
                headers={"x-request-id": "req-syntax"},
            )
            client.post("/graphql", json={"query": "{ nothingHere }"}, headers={"x-request-id": "req-invalid"})
            client.post(
                "/graphql",
                json={"query": 'mutation { companyDelete(input: {id: "x"}) { company { name } } }'},
                headers={"x-request-id": "req-forbidden"},
            )
            client.post(
                "/graphql",
                json=READ,
                headers={"x-request-id": "req-keyed", "authorization": "Bearer upl_wrongwrongwrong"},
            )
        assert ok.status_code == 200
    finally:
        served.stop()
    lines = log_lines(served)
    requests = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    first = requests["req-ok"]
    assert first["level"] == "info" and first["logger"] == "upl.request"
    assert (first["method"], first["path"], first["status"]) == ("POST", "/graphql", 200)
    assert (first["operation_type"], first["operation_name"], first["role"]) == ("query", "Firms", "ANONYMOUS")
    assert first["cost"] >= 2 and first["statements"] >= 1 and first["duration_ms"] > 0
    assert first["time"].endswith("Z") and isinstance(first["pid"], int)
    assert requests["req-syntax"]["outcome"] == "refused"
    assert requests["req-syntax"]["error_code"] == "GRAPHQL_PARSE_FAILED"
    assert requests["req-invalid"]["error_code"] == "GRAPHQL_VALIDATION_FAILED"
    assert requests["req-forbidden"]["error_code"] == "UNAUTHENTICATED"
    assert requests["req-keyed"]["status"] == 401
    assert [line for line in lines if line.get("level") in ("error", "critical")] == []
    assert "nothingHere" not in served.log() and "upl_wrongwrong" not in served.log()
    assert all(line["event"] != "request" or line.get("request_id") for line in lines)


def test_metrics_need_the_token_and_count_what_was_sent(edit_database_url: str) -> None:
    unset = ServedProcess(edit_database_url)
    try:
        assert httpx.get(f"{unset.base}/metrics").status_code == 404  # no token: not served
    finally:
        unset.stop()
    served = ServedProcess(edit_database_url, env={"UPL_METRICS_TOKEN": TOKEN})
    try:
        with httpx.Client(base_url=served.base, timeout=10) as client:
            assert client.get("/metrics").status_code == 401
            assert client.get("/metrics", headers={"authorization": "Bearer nope"}).status_code == 401
            for _ in range(5):
                assert client.post("/graphql", json=READ).status_code == 200
            client.post("/graphql", json={"query": "{ companies(first: 2) { nodes { name }"})
            scraped = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    finally:
        served.stop()
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    requests = samples(text, "upl_http_requests_total")
    # the syntax error is a 200 for legacy JSON clients, as the GraphQL-over-HTTP spec says
    assert requests[(("method", "POST"), ("route", "/graphql"), ("status", "200"))] == 6
    operations = samples(text, "upl_graphql_operations_total")
    assert operations[(("name", "other"), ("outcome", "ok"), ("role", "ANONYMOUS"), ("type", "query"))] == 5
    assert operations[(("name", "other"), ("outcome", "refused"), ("role", "ANONYMOUS"), ("type", "unknown"))] == 1
    cache = samples(text, "upl_response_cache_requests_total")
    assert cache[(("result", "miss"),)] == 2  # the first read and the syntax error (looked up before parsing)
    assert cache[(("result", "hit"),)] == 4
    assert samples(text, "upl_sql_statements_per_operation_count")[()] == 6
    assert samples(text, "upl_graphql_operation_cost_count")[()] == 5
    assert any(labels for labels in samples(text, "upl_build_info"))
    assert samples(text, "upl_db_pool_connections")  # primary pool gauges
    for needed in ("upl_http_request_duration_seconds_bucket", "upl_rate_limited_total", "upl_redis_failures_total"):
        assert needed in text


def test_several_workers_report_together_on_the_metrics_port(edit_database_url: str) -> None:
    port = free_port()
    served = ServedProcess(edit_database_url, env={"UPL_METRICS_PORT": str(port)}, args=("--workers", "2"))
    try:
        sent = 40
        for _ in range(sent):  # a new connection each: the kernel spreads them over both workers
            assert httpx.post(served.url, json=READ, timeout=10).status_code == 200
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    finally:
        served.stop()
    requests = samples(scraped.text, "upl_http_requests_total")
    assert requests[(("method", "POST"), ("route", "/graphql"), ("status", "200"))] == sent
