"""The layout shows the layers: the import contracts (`lint-imports`, in `make lint`) cover the
packages; this covers what they cannot: `app.py`, the package docstrings, building nothing at
import time, and short functions on the request path."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

PACKAGES = ("web", "schema", "schema/core", "schema/domains", "resolvers", "db", "cli", "settings")


def python_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in listed.stdout.split() if not f.startswith(("tests/", "migrations/"))]


def test_nothing_imports_app() -> None:
    importers = []
    for path in python_files():
        tree = ast.parse((ROOT / path).read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(name == "app" or name.startswith("app.") for name in names):
                importers.append(path)
    assert importers == [] or set(importers) <= {"bench/load.py", "bench/read_queries.py"}, importers


def test_every_package_says_what_its_layer_is() -> None:
    for package in PACKAGES:
        docstring = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text()))
        assert docstring and len(docstring) > 60, package


def test_importing_the_schema_builds_nothing() -> None:
    probe = (
        "import schema.compose, schema.core.ids, web.graphql;"
        "assert schema.compose.default_schema.cache_info().currsize == 0;"
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_functions_on_the_request_path_are_short() -> None:
    longest = []
    on_the_path = [ROOT / "app.py", ROOT / "schema/core/planner.py", ROOT / "schema/core/fields.py"]
    for path in [*sorted((ROOT / "web").glob("*.py")), *on_the_path]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                longest.append((length, f"{path.name}:{node.name}"))
    assert max(longest)[0] < 50, sorted(longest)[-5:]
