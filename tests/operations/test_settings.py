"""Configuration: environment variables only, each declared once (settings/__init__.py), listed
in the README's table, and checked when `upl serve` starts."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import settings
from settings import VARIABLES, Settings, SettingsError, check_environment
from tests.conftest import ROOT

CODE = ("app.py", "cli", "web", "schema", "resolvers", "db", "settings", "migrations")
READ_FROM_ENVIRONMENT = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_the_readme_lists_every_setting_as_declared() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings.markdown_table() in readme, "README's settings table differs: paste settings.markdown_table()"
    listed = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.M))
    assert listed == set(VARIABLES)


def test_the_code_reads_no_variable_that_is_not_declared() -> None:
    read: dict[str, list[str]] = {}
    for part in CODE:
        for path in [ROOT / part] if part.endswith(".py") else sorted((ROOT / part).rglob("*.py")):
            for name in READ_FROM_ENVIRONMENT.findall(path.read_text()):
                read.setdefault(name, []).append(str(path.relative_to(ROOT)))
    undeclared = {name: where for name, where in read.items() if name not in VARIABLES}
    assert undeclared == {}, f"declare these in settings/__init__.py (and the README): {undeclared}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("UPL_DB_POOL_SIZE", "lots", "UPL_DB_POOL_SIZE='lots': expected a whole number"),
        ("UPL_CACHE_MAX_AGE", "-5", "UPL_CACHE_MAX_AGE='-5': expected a whole number from 0 up"),
        ("UPL_RESPONSE_CACHE", "maybe", "UPL_RESPONSE_CACHE='maybe': expected 1/0"),
        ("UPL_ENV", "staging", "UPL_ENV='staging': expected one of demo, production"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL='localhost:6379': expected a URL starting with redis://"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL='mysql://x@y/z': expected a URL"),
        ("UPL_METRICS_PORT", "70000", "UPL_METRICS_PORT='70000': expected a whole number from 1 to 65535"),
        ("UPL_TRUSTED_PROXIES", "nginx", "UPL_TRUSTED_PROXIES='nginx': 'nginx' is not an IP address"),
    ],
)
def test_a_wrong_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        check_environment({name: value})
    assert str(raised.value).startswith(message)


def test_every_wrong_value_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        check_environment({"UPL_DB_POOL_SIZE": "0", "UPL_LOG_FORMAT": "xml", "UPL_PLANNER": "2"})
    assert [line.split("=")[0] for line in str(raised.value).splitlines()] == [
        "UPL_DB_POOL_SIZE",
        "UPL_PLANNER",
        "UPL_LOG_FORMAT",
    ]


def test_defaults_follow_the_environment_kind() -> None:
    demo, production = Settings.from_env({}), Settings.from_env({"UPL_ENV": "production"})
    assert (demo.anonymous_access, demo.secure_cookies) == (True, False)
    assert (production.anonymous_access, production.secure_cookies) == (False, True)
    explicit = Settings.from_env({"UPL_ENV": "production", "UPL_ANONYMOUS_ACCESS": "yes", "UPL_SECURE_COOKIES": "off"})
    assert (explicit.anonymous_access, explicit.secure_cookies) == (True, False)
    assert Settings.from_env({"UPL_RESPONSE_CACHE": " "}).response_cache is True  # blank: the default


def test_upl_serve_stops_at_a_wrong_value_with_a_message(demo_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": demo_database_url, "UPL_DB_POOL_SIZE": "many", "UPL_CACHE_MAX_AGE": "x"}
    started = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert started.returncode == 1
    assert "UPL_DB_POOL_SIZE='many': expected a whole number" in started.stderr
    assert "UPL_CACHE_MAX_AGE='x'" in started.stderr
    assert "Traceback" not in started.stderr
