"""The Node harness of the tests (`tests/node/`, installed with `npm ci` by `make test`): tools and
clients that nobody here wrote (Apollo's and The Guild's federation, graphql-js, codegen, Apollo
Client), driven from Python."""

from __future__ import annotations

import selectors
import subprocess

import pytest

from tests.conftest import ROOT

HARNESS = ROOT / "tests" / "node"


def node(script: str, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
    """Run one of the harness's Node scripts to completion and return its stdout."""
    if not (HARNESS / "node_modules").is_dir():
        pytest.fail("The Node harness is not installed: run `make test` (it runs `npm ci` in tests/node).")
    result = subprocess.run(
        ["node", script, *args], cwd=HARNESS, input=stdin, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


class NodeServer:
    """A long-running harness script that prints `ready <url>` once it listens."""

    def __init__(self, script: str, *args: str) -> None:
        self.script = script
        self.process = subprocess.Popen(
            ["node", script, *args], cwd=HARNESS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.url = self._wait_until_ready(timeout=60)

    def _wait_until_ready(self, timeout: float) -> str:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        while selector.select(timeout=timeout):
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("ready "):
                return line.split(" ", 1)[1].strip()
        self.stop()
        stderr = self.process.stderr.read() if self.process.stderr else ""
        raise RuntimeError(f"{self.script} did not start: {stderr[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
