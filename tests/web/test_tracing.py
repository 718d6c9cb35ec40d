"""OpenTelemetry: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, `upl serve` sends its spans over OTLP/HTTP
to a collector; here a local receiver this test starts, decoding them with OpenTelemetry's own
protobuf definitions. One span per GraphQL operation, named by the operation, under the HTTP
server span, with a child span per SQL statement."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.load import free_port
from tests.conftest import ServedProcess


class Receiver(BaseHTTPRequestHandler):
    spans: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.path == "/v1/traces":
            request = ExportTraceServiceRequest.FromString(body)
            for resource in request.resource_spans:
                service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
                for scope in resource.scope_spans:
                    Receiver.spans.extend((service, span) for span in scope.spans)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def test_spans_reach_an_otlp_receiver(edit_database_url: str) -> None:
    port = free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    served = ServedProcess(
        edit_database_url,
        env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_SERVICE_NAME": "upl-test",
        },
    )
    try:
        query = {"query": "query Firms { companies(first: 2) { nodes { name } } }", "operationName": "Firms"}
        assert httpx.post(served.url, json=query, timeout=10).status_code == 200
        deadline = time.monotonic() + 15
        while not any(span.name == "query Firms" for _, span in Receiver.spans) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        served.stop()
        receiver.shutdown()
    spans = [span for service, span in Receiver.spans if service == "upl-test"]
    (operation,) = [span for span in spans if span.name == "query Firms"]
    attributes = {a.key: a.value.string_value for a in operation.attributes}
    assert attributes["graphql.operation.type"] == "query" and attributes["graphql.operation.name"] == "Firms"
    server = [span for span in spans if span.span_id == operation.parent_span_id]
    assert server and server[0].name.startswith("POST /graphql")
    statements = [span for span in spans if span.parent_span_id == operation.span_id]
    assert statements, [span.name for span in spans]
    assert all(span.trace_id == operation.trace_id for span in statements)
    assert any("db.statement" in {a.key for a in span.attributes} or "SELECT" in span.name for span in statements)
