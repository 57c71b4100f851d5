"""The README's quick start: the demo server first, then the test command that CI runs.

tests/e2e/test_demo.py runs that first command as a new user would.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def quick_start() -> list[str]:
    """The commands of the quick start's block that follows "Then:"."""
    section = README.read_text(encoding="utf-8").split("\n## Quick start\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    block = re.search(r"Then:\n\n```sh\n(.*?)```", section, re.S)
    assert block, "the quick start has no sh block after 'Then:'"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_first_command_is_the_demo_and_the_second_the_tests() -> None:
    assert quick_start() == ["streamcore serve --demo", "python -m pytest"]


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f".venv/bin/{quick_start()[1]}\n" in ci


def test_the_readme_says_what_to_open_and_curl_next() -> None:
    section = README.read_text(encoding="utf-8").split("\n## Quick start\n", 1)[1]
    for text in ("http://127.0.0.1:8000/docs", "/api/auth/login", "/api/me/movie", "Range:"):
        assert text in section
