"""docs/configuration.md lists every setting, and its bad-value examples print what it says."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from streamcore.config import ENV_PREFIX, Settings

CONFIG_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
SCRIPT = Path(sys.executable).parent / "streamcore"
# `$ STREAMCORE_X=value streamcore movie list` and the line it prints: runnable anywhere,
# since a bad setting stops the command before it opens a database.
BAD_VALUE = re.compile(r"^\$ (STREAMCORE_\w+)=(\S+) streamcore movie list\n(error: .*)$", re.M)


def doc_text() -> str:
    return CONFIG_DOC.read_text(encoding="utf-8")


def table_rows() -> list[str]:
    section = doc_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ")]


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_has_a_row(name: str) -> None:
    variable = f"`{ENV_PREFIX}{name.upper()}`"
    rows = [row for row in table_rows() if f"| `{name}` |" in row]
    assert rows, f"docs/configuration.md's table has no row for {name}"
    assert variable in rows[0], f"the row of {name} does not name {variable}"


def examples() -> list[tuple[str, str, str]]:
    return BAD_VALUE.findall(doc_text())


def test_the_examples_are_found() -> None:
    variables = {variable for variable, _, _ in examples()}
    assert {"STREAMCORE_TOKEN_TTL", "STREAMCORE_CORS_ORIGINS", "STREAMCORE_MAX_BODY"} <= variables


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")
@pytest.mark.parametrize(("variable", "value", "printed"), examples())
def test_a_bad_value_prints_what_the_doc_says(
    variable: str, value: str, printed: str, tmp_path: Path
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    done = subprocess.run(
        [str(SCRIPT), "movie", "list"],
        cwd=tmp_path,
        env={**environ, variable: value},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == printed
    assert not list(tmp_path.iterdir()), "a bad setting must stop before a database is made"
