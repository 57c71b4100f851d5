"""The README's Python examples run, and print what the README says they print."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.compile(r"```python\n(?P<code>.*?)```\s*Output:\s*```\n(?P<output>.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    return [(m["code"], m["output"]) for m in EXAMPLE.finditer(README.read_text())]


def test_the_readme_has_examples_with_their_output() -> None:
    assert len(examples()) >= 2


@pytest.mark.parametrize(("code", "output"), examples())
def test_a_readme_example_prints_what_the_readme_shows(
    code: str, output: str, tmp_path: Path
) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == output
