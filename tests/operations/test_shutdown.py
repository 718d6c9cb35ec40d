"""Graceful shutdown: on SIGTERM `upl serve` stops accepting, finishes the request in flight and exits."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from bench.load import free_port
from tests.conftest import ROOT


def test_sigterm_finishes_the_request_in_flight(demo_database_url: str) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": demo_database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        body = json.dumps({"query": "{ networks(first: 3) { nodes { name } } }"}).encode()
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body[:10]
            )
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)  # the request is in flight: half its body is still to come
            time.sleep(0.5)
            connection.sendall(body[10:])
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        assert b'"networks"' in answer
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why it ended
        assert server.wait(timeout=15) in (0, -signal.SIGTERM)
        refused = False
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.HTTPError:
            refused = True
        assert refused  # no longer accepting
    finally:
        if server.poll() is None:
            server.kill()
