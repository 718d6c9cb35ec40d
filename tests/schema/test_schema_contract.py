"""The SDL is a contract: `make schema-check` lists breaking changes against the released SDL."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from schema.compose import default_schema
from schema.core import contract
from tests.conftest import ROOT

schema = default_schema()

CURRENT = (ROOT / "schema.graphql").read_text()


def schema_check(released: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "schema-check", "--released", str(released)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_code_has_no_breaking_change_against_the_released_sdl() -> None:
    breaking, _ = contract.compare(contract.from_sdl(contract.RELEASED_SDL.read_text()), schema._schema)
    assert breaking == []


def test_a_removed_field_is_reported_and_fails_the_check(tmp_path: Path) -> None:
    released = tmp_path / "released.graphql"
    released.write_text(CURRENT.replace("  foundedYear: Int\n", "  foundedYear: Int\n  foundingStory: String\n", 1))
    result = schema_check(released)
    assert result.returncode == 1
    assert "FIELD_REMOVED: Field Company.foundingStory was removed." in result.stdout


def test_a_new_enum_value_is_only_a_warning(tmp_path: Path) -> None:
    released = tmp_path / "released.graphql"
    without_value = re.sub(r'(enum EventStatus \{\n)  """[^"]*"""\n  SCHEDULED\n\n', r"\1", CURRENT, count=1)
    assert without_value != CURRENT
    released.write_text(without_value)
    result = schema_check(released)
    assert result.returncode == 0, result.stdout
    assert "warning: VALUE_ADDED_TO_ENUM: Enum value EventStatus.SCHEDULED was added." in result.stdout


def test_a_removed_filter_field_is_breaking(tmp_path: Path) -> None:
    released = tmp_path / "released.graphql"
    with_mood = CURRENT.replace("input CompanyFilter {\n", "input CompanyFilter {\n  mood: String = null\n", 1)
    assert with_mood != CURRENT
    released.write_text(with_mood)
    result = schema_check(released)
    assert result.returncode == 1
    assert "CompanyFilter.mood was removed." in result.stdout
