"""Fixtures for the CLI tests: an in-process runner on a new SQLite file per test.

Every command runs through ``typer.testing.CliRunner`` against ``streamcore.cli.app`` with
``--database-url`` pointing to a file in ``tmp_path``; the result is then checked through the
library (``StreamCore.open(url)``) on the same file. In this Click version the runner keeps
stderr apart: ``result.stdout`` holds only stdout, ``result.stderr`` only stderr and
``result.output`` both, interleaved.

``cli`` starts from a copy of a database migrated once per session (per xdist worker), which
saves the migration each test would otherwise run; ``fresh_cli`` points to a file that does not
exist yet, for the tests about creating, migrating or not touching the database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import traceback
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.testing
from typer.testing import CliRunner, Result

from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.cli import EXIT_REFUSED, app
from streamcore.movies.models import MovieCreate

ENV_PREFIX = "STREAMCORE_"


class CliCrashedError(AssertionError):
    """An exception escaped the CLI: a user would have seen a traceback."""


def assert_no_traceback(result: Result) -> None:
    """A user mistake ends in an exit code, never in an exception escaping the CLI."""
    escaped = result.exception
    if escaped is not None and not isinstance(escaped, SystemExit):
        details = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        raise CliCrashedError(f"the CLI raised {escaped!r} instead of exiting cleanly:\n{details}")
    assert "Traceback" not in result.output


def assert_refused(result: Result, code: int = EXIT_REFUSED) -> str:
    """Exit ``code``, nothing on stdout, one ``error: ...`` line on stderr; returns it.

    ``code`` is 1 for a refused action, ``EXIT_STORAGE`` when the database failed.
    """
    assert_no_traceback(result)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    return lines[0]


def assert_usage_error(result: Result) -> str:
    """Exit 2, nothing on stdout, Click's usage message on stderr; returns stderr."""
    assert_no_traceback(result)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Error:" in result.stderr or "Usage:" in result.stderr, result.stderr
    return result.stderr


def table_headers(out: str) -> list[str]:
    """The column headers of a listing: its first line, split where two spaces part columns."""
    return re.split(r" {2,}", out.splitlines()[0].strip())


@dataclass
class Cli:
    """Runs ``streamcore`` in-process on one database and reads that database back."""

    runner: CliRunner
    url: str

    def run(
        self,
        *args: object,
        json_output: bool = False,
        with_url: bool = True,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        """``streamcore [--database-url URL] [--json] ARGS...``; never lets an exception out."""
        argv: list[str] = []
        if with_url:
            argv += ["--database-url", self.url]
        if json_output:
            argv.append("--json")
        argv += [str(arg) for arg in args]
        result = self.runner.invoke(app, argv, env=env)
        assert_no_traceback(result)
        return result

    def ok(self, *args: object, json_output: bool = False) -> Result:
        """Run and expect exit 0 with nothing on stderr."""
        result = self.run(*args, json_output=json_output)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        assert result.stderr == ""
        return result

    def json(self, *args: object) -> Any:
        """Run with ``--json`` and parse stdout."""
        return json.loads(self.ok(*args, json_output=True).stdout)

    def refused(self, *args: object, json_output: bool = False, code: int = EXIT_REFUSED) -> str:
        """Run and expect a refused action (or ``code``); returns the one stderr line."""
        return assert_refused(self.run(*args, json_output=json_output), code)

    @contextmanager
    def core(self) -> Iterator[StreamCore]:
        """The same database, opened through the library."""
        with StreamCore.open(self.url) as opened:
            yield opened

    def movie(self, movie_id: int) -> dict[str, Any]:
        """One movie (deleted or not) as the library dumps it."""
        with self.core() as core:
            movie = core.movies.get(movie_id, include_deleted=True, actor=SYSTEM)
            return movie.model_dump(mode="json")

    def total(self, trashed: str = "with") -> int:
        """How many movies the database holds (deleted ones too, by default)."""
        from streamcore.movies.models import MovieQuery

        with self.core() as core:
            query = MovieQuery(trashed=trashed)  # type: ignore[arg-type]
            return core.movies.list(query, actor=SYSTEM).total

    def seed(self, movies: Sequence[dict[str, Any]]) -> list[int]:
        """Add movies through the library; returns their ids in order."""
        with self.core() as core:
            return [core.movies.create(MovieCreate(**data), actor=SYSTEM).id for data in movies]


@pytest.fixture(scope="session", autouse=True)
def build_the_command_once() -> Iterator[None]:
    """Build ``app``'s Click command once per session, as a process does once at start.

    Typer's test runner rebuilds the whole command tree on every ``invoke`` (about 20 ms:
    signatures of every command), which was a quarter of the CLI tests' time. The built tree
    keeps no state between invocations (Click's own apps reuse theirs), so sharing it is safe.
    """
    build = getattr(typer.testing, "_get_command", None)
    if build is None:  # another Typer version: no cache, same results
        yield
        return
    built: dict[int, Any] = {}

    def cached(typer_app: typer.Typer) -> Any:
        if id(typer_app) not in built:
            built[id(typer_app)] = build(typer_app)
        return built[id(typer_app)]

    typer.testing._get_command = cached  # type: ignore[attr-defined]
    try:
        yield
    finally:
        typer.testing._get_command = build  # type: ignore[attr-defined]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``STREAMCORE_*`` variable, a wide terminal for rich, and ``tmp_path`` as cwd."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated SQLite file, made once per session, for the tests to copy."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    StreamCore.open(f"sqlite:///{path}").close()  # a new SQLite file is migrated on open
    # Fold the write-ahead log into the file, so that the file alone is the whole database
    # (closing the last connection removes the -wal and -shm files).
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    leftovers = [p for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the template is more than one file: {leftovers}"
    return path


def copy_database(template: Path, target: Path) -> None:
    """Copy the template to ``target``: the main file only (no stale -wal/-shm beside it)."""
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(template, target)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's SQLite file goes (``cli`` copies the template there)."""
    return tmp_path / "cli.db"


@pytest.fixture
def fresh_cli(clean_env: Path, db_path: Path) -> Cli:
    """A runner on a SQLite file that does not exist yet."""
    return Cli(CliRunner(), f"sqlite:///{db_path}")


@pytest.fixture
def cli(clean_env: Path, db_path: Path, migrated_template: Path) -> Cli:
    """A runner on a new, empty, migrated SQLite file in ``tmp_path``."""
    copy_database(migrated_template, db_path)
    return Cli(CliRunner(), f"sqlite:///{db_path}")


SAMPLE_MOVIES: tuple[dict[str, Any], ...] = (
    {
        "title": "Metropolis",
        "year": 1927,
        "genres": ["drama", "sci-fi"],
        "countries": ["DE"],
        "duration_minutes": 153,
    },
    {"title": "Nosferatu", "year": 1922, "genres": ["horror"], "countries": ["DE"]},
    {"title": "Alien", "year": 1979, "genres": ["horror", "sci-fi"], "countries": ["GB", "US"]},
    {"title": "Amelie", "year": 2001, "genres": ["comedy"], "countries": ["FR"]},
)
"""Ids 1..4 in this order on a fresh database."""
