"""``streamcore serve`` refuses what cannot work before it starts a server (in-process).

A server that does start is tested from the outside, in tests/e2e.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from streamcore import MovieCreate, StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.commands.serve import DEMO_URL
from streamcore.demo import MEDIA_PATH
from tests.cli.conftest import Cli, assert_refused


def test_memory_with_several_workers_is_refused(fresh_cli: Cli) -> None:
    memory = Cli(fresh_cli.runner, "memory://")
    line = memory.refused("serve", "--workers", "2")
    assert line == "error: workers: must be 1 with memory:// (each worker would have its own data)"


@pytest.mark.parametrize(
    "url",
    [
        "memory://",
        "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
        "sqlite://",
        "sqlite:///:memory:",
    ],
)
def test_demo_needs_a_sqlite_file(fresh_cli: Cli, clean_env: Path, url: str) -> None:
    line = Cli(fresh_cli.runner, url).refused("serve", "--demo")
    assert line == (
        "error: --demo: needs a SQLite file (sqlite:///PATH); "
        f"leave out --database-url for {DEMO_URL}"
    )
    assert list(clean_env.iterdir()) == []  # no database, no media root


def test_demo_on_a_database_with_data_is_refused(cli: Cli, clean_env: Path) -> None:
    cli.seed([{"title": "Alien", "year": 1979}])
    line = cli.refused("serve", "--demo")
    assert line == (
        "error: --demo: the demo needs an empty database; this one holds 1 movie: serve it "
        f"without --demo (streamcore serve --database-url {cli.url}) or start from a new file"
    )
    assert cli.total() == 1
    assert not (clean_env / "media").exists()


def test_demo_defaults_to_a_file_of_its_own(fresh_cli: Cli, clean_env: Path) -> None:
    """Without a URL, --demo uses streamcore-demo.db (here: already used, so refused)."""
    demo_db = clean_env / "streamcore-demo.db"
    with StreamCore.open(f"sqlite:///{demo_db}") as core:
        core.movies.create(MovieCreate(title="Alien", year=1979), actor=SYSTEM)
    line = assert_refused(fresh_cli.run("serve", "--demo", with_url=False))
    assert "this one holds 1 movie" in line
    assert f"(streamcore serve --database-url {DEMO_URL})" in line
    assert not (clean_env / "streamcore.db").exists()
    assert not (clean_env / "media" / MEDIA_PATH).exists()


def test_demo_takes_the_environments_url(fresh_cli: Cli, clean_env: Path) -> None:
    env = {"STREAMCORE_DATABASE_URL": "memory://"}
    line = assert_refused(fresh_cli.run("serve", "--demo", with_url=False, env=env))
    assert line.startswith("error: --demo: needs a SQLite file")
    assert not (clean_env / "streamcore-demo.db").exists()


MISSING = """
import sys
sys.modules[{module!r}] = None  # what Python does for a module that is not there: ImportError
sys.argv = ["streamcore", "--database-url", "memory://", "serve"]
from streamcore.cli import main
main()
"""


@pytest.mark.parametrize("module", ["fastapi", "uvicorn"])
def test_without_the_api_extra_serve_is_one_line(tmp_path: Path, module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MISSING.format(module=module)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: serve: needs the api extra ({module} is missing): pip install 'streamcore[api]'"
    ]
