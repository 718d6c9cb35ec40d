"""OpenTelemetry traces, on when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: spans go over OTLP/HTTP to that collector, with the
SDK's standard `OTEL_*` variables (service name, sampling, batch delays) applying as documented.

Per request: the server span of the ASGI instrumentation (Starlette's), one span per GraphQL
operation named as the GraphQL semantic conventions say (`query Firms`), and a child span per SQL
statement from the asyncpg instrumentation, which sees both database paths (SQLAlchemy's
connections and the planner's pool). With tracing off nothing here runs per request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette

from settings import OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SERVICE_NAME

_tracer: Any = None


def active() -> bool:
    """Whether this process sends traces (`configure` ran with an endpoint set)."""
    return _tracer is not None


def enabled() -> bool:
    return bool(OTEL_EXPORTER_OTLP_ENDPOINT.read() or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.read())


def configure(app: Starlette) -> None:
    """Install the tracer provider, the exporter and the instrumentations (once per process)."""
    global _tracer
    if not enabled():
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if _tracer is None:
        resource = Resource.create({"service.name": OTEL_SERVICE_NAME.read()})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        AsyncPGInstrumentor().instrument()
        _tracer = trace.get_tracer("upl.graphql")
    StarletteInstrumentor.instrument_app(app)


@contextlib.contextmanager
def operation_span() -> Iterator[Any]:
    """The span of one GraphQL operation (None with tracing off); renamed once it is measured."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span("graphql") as span:
        yield span


def name_operation(span: Any, operation_type: str, name: str | None) -> None:
    if span is not None:
        span.update_name(f"{operation_type} {name}" if name else operation_type)
        span.set_attribute("graphql.operation.type", operation_type)
        if name:
            span.set_attribute("graphql.operation.name", name)


def shutdown() -> None:
    """Send what is still batched (at shutdown)."""
    if _tracer is not None:
        from opentelemetry import trace

        provider = trace.get_tracer_provider()
        if hasattr(provider, "shutdown"):
            provider.shutdown()
