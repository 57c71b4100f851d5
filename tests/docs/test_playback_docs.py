"""docs/playback.md's examples run: the shell ones against ``streamcore serve --demo``, the
Python one as a script, and each prints what the page says it prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.console import examples, run
from tests.docs.python_examples import run_examples
from tests.e2e.server import LiveServer, start_server
from tests.e2e.test_demo import ACCOUNT
from tests.tools import needs

PLAYBACK_DOC = Path(__file__).resolve().parents[2] / "docs" / "playback.md"


def doc_text() -> str:
    return PLAYBACK_DOC.read_text(encoding="utf-8")


def test_the_python_example_prints_what_the_page_says(tmp_path: Path) -> None:
    expected, printed = run_examples(PLAYBACK_DOC, tmp_path)
    assert len(expected) >= 4
    assert printed == expected


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A fresh ``streamcore serve --demo`` and the subscriber's password it printed."""
    workdir = tmp_path_factory.mktemp("playback-doc")
    server = start_server(workdir, env={"STREAMCORE_DATABASE_URL": ""}, args=["--demo"])
    try:
        passwords = {role: password for role, _, password in ACCOUNT.findall(server.log())}
        yield server, passwords["subscriber"]
    finally:
        server.stop()


@needs("curl", "ffprobe", "ffmpeg")
def test_the_shell_examples_print_what_the_page_shows(
    demo: tuple[LiveServer, str], tmp_path: Path
) -> None:
    found = examples(doc_text())
    assert any("URL" in example.saves for example in found)
    server, password = demo
    run(found, "playback.md", {"BASE": server.url, "PASSWORD": password}, tmp_path)
