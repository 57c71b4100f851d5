"""Fixtures for the CLI tests: an in-process runner on a fresh SQLite file per test.

Every command runs through ``typer.testing.CliRunner`` against ``streamcore.cli.app`` with
``--database-url`` pointing to a new file in ``tmp_path``; the result is then checked through
the library (``StreamCore.open(url)``) on the same file. In this Click version the runner keeps
stderr apart: ``result.stdout`` holds only stdout, ``result.stderr`` only stderr and
``result.output`` both, interleaved.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM
from streamcore.cli import app
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


def assert_refused(result: Result) -> str:
    """Exit 1, nothing on stdout, exactly one ``error: ...`` line on stderr; returns it."""
    assert_no_traceback(result)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
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

    def refused(self, *args: object, json_output: bool = False) -> str:
        """Run and expect a refused action; returns the one stderr line."""
        return assert_refused(self.run(*args, json_output=json_output))

    @contextmanager
    def core(self) -> Iterator[StreamCore]:
        """The same database, opened through the library."""
        with StreamCore.open(self.url) as opened:
            yield opened

    def movie(self, movie_id: int) -> dict[str, Any]:
        """One movie (deleted or not) as the library dumps it."""
        with self.core() as core:
            return core.movies.get(movie_id, include_deleted=True, actor=SYSTEM).model_dump(
                mode="json"
            )

    def total(self, trashed: str = "with") -> int:
        """How many movies the database holds (deleted ones too, by default)."""
        from streamcore.movies.models import MovieQuery

        with self.core() as core:
            return core.movies.list(MovieQuery(trashed=trashed), actor=SYSTEM).total  # type: ignore[arg-type]

    def seed(self, movies: Sequence[dict[str, Any]]) -> list[int]:
        """Add movies through the library; returns their ids in order."""
        with self.core() as core:
            return [core.movies.create(MovieCreate(**data), actor=SYSTEM).id for data in movies]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``STREAMCORE_*`` variable, a wide terminal for rich, and ``tmp_path`` as cwd."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's SQLite file goes (not created yet)."""
    return tmp_path / "cli.db"


@pytest.fixture
def cli(clean_env: Path, db_path: Path) -> Cli:
    """A runner on a fresh SQLite file in ``tmp_path``."""
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
