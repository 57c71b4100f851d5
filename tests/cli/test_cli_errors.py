"""Exit codes and error output: 1 + one ``error:`` line for a refused action, 2 for usage.

Neither ever shows a traceback, and neither changes the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from streamcore.auth.errors import DuplicateEmailError
from streamcore.cli import EXIT_CODES, EXIT_REFUSED, EXIT_STORAGE, EXIT_USAGE, app, exit_code
from streamcore.errors import (
    CATEGORIES,
    InvalidInputError,
    NotAuthenticatedError,
    PermissionDeniedError,
    SchemaOutdatedError,
    StorageError,
    StreamcoreError,
    TooManyAttemptsError,
)
from streamcore.movies.errors import MovieNotFoundError
from streamcore.subscriptions.errors import PlanInUseError
from tests.cli.conftest import SAMPLE_MOVIES, Cli, assert_usage_error

HUGE = "9" * 30
"""An integer no database column holds."""


# --- refused actions: exit 1 -----------------------------------------------------------------

REFUSED = [
    pytest.param(["movie", "show", "99"], "movie 99 not found", id="show-unknown"),
    pytest.param(["movie", "update", "99", "--title", "X"], "not found", id="update-unknown"),
    pytest.param(["movie", "delete", "99"], "not found", id="delete-unknown"),
    pytest.param(["movie", "restore", "99"], "not found", id="restore-unknown"),
    pytest.param(
        ["movie", "add", "--title", "metropolis", "--year", "1927"],
        "already exists",
        id="add-duplicate",
    ),
    pytest.param(["movie", "add", "--title", "X", "--year", "1800"], "year", id="year-1800"),
    pytest.param(["movie", "add", "--title", "X", "--year", "3000"], "year", id="year-3000"),
    pytest.param(["movie", "add", "--title", "", "--year", "1999"], "title", id="title-empty"),
    pytest.param(["movie", "add", "--title", "   ", "--year", "1999"], "title", id="title-blank"),
    pytest.param(
        ["movie", "add", "--title", "X" * 201, "--year", "1999"], "title", id="title-too-long"
    ),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--duration", "0"],
        "duration_minutes",
        id="duration-0",
    ),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--genre", "Sci Fi"],
        "genres",
        id="genre-not-slug",
    ),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--country", "XX"],
        "countries",
        id="country-unknown",
    ),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--media", "/etc/passwd"],
        "media_path",
        id="media-absolute",
    ),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--media", "a/../../b"],
        "media_path",
        id="media-dotdot",
    ),
    pytest.param(
        ["movie", "add", "--title", "", "--year", "1800", "--country", "XX"],
        "title",
        id="several-fields-one-line",
    ),
    pytest.param(["movie", "update", "1", "--year", "1800"], "year", id="update-year-1800"),
    pytest.param(["movie", "update", "1", "--title", ""], "title", id="update-title-empty"),
    pytest.param(["movie", "list", "--limit", "0"], "limit", id="limit-0"),
    pytest.param(["movie", "list", "--limit", "101"], "limit", id="limit-101"),
    pytest.param(["movie", "list", "--offset", "-1"], "offset", id="offset-negative"),
    pytest.param(["movie", "list", "--sort", "rating"], "sort", id="sort-unknown"),
    pytest.param(["movie", "list", "--trashed", "all"], "trashed", id="trashed-unknown"),
]


@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
@pytest.mark.parametrize(("args", "fragment"), REFUSED)
def test_refused_action_exits_1_with_one_error_line(
    cli: Cli, args: list[str], fragment: str, json_output: bool
) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    before = cli.movie(1)
    line = cli.refused(*args, json_output=json_output)
    assert fragment in line
    assert cli.total() == 1
    assert cli.movie(1) == before


def test_error_line_names_every_invalid_field(cli: Cli) -> None:
    line = cli.refused("movie", "add", "--title", "", "--year", "1800", "--country", "XX")
    for field in ("title", "year", "countries"):
        assert field in line


# --- usage errors: exit 2 --------------------------------------------------------------------

USAGE = [
    pytest.param(["movie", "add", "--year", "1999"], "--title", id="missing-title"),
    pytest.param(["movie", "add", "--title", "X"], "--year", id="missing-year"),
    pytest.param(["movie", "add", "--title", "X", "--year", "abc"], "--year", id="year-abc"),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--duration", "long"],
        "--duration",
        id="duration-text",
    ),
    pytest.param(
        ["movie", "add", "--title", "X", "--year", "1999", "--rating", "5"],
        "--rating",
        id="unknown-option",
    ),
    pytest.param(["--colour", "movie", "list"], "--colour", id="unknown-global-option"),
    pytest.param(["movie", "list", "--version"], "--version", id="version-after-command"),
    pytest.param(["movie", "list", "--limit", "ten"], "--limit", id="limit-text"),
    pytest.param(["movie", "show"], "ID", id="missing-id"),
    pytest.param(["movie", "show", "abc"], "ID", id="id-text"),
    pytest.param(["movie", "show", "1", "2"], "2", id="extra-argument"),
    pytest.param(["movie", "import"], "FILE", id="missing-file"),
    pytest.param(["movie", "rate", "1"], "rate", id="unknown-command"),
    pytest.param(["db", "downgrade"], "downgrade", id="unknown-db-command"),
    pytest.param(["--database-url"], "--database-url", id="option-without-value"),
]


@pytest.mark.parametrize(("args", "fragment"), USAGE)
def test_usage_error_exits_2_and_leaves_the_database_alone(
    fresh_cli: Cli, db_path: Path, args: list[str], fragment: str
) -> None:
    stderr = assert_usage_error(fresh_cli.run(*args))
    assert fragment in stderr
    assert not db_path.exists()


@pytest.mark.parametrize("args", [[], ["movie"], ["db"]], ids=["root", "movie", "db"])
def test_a_group_without_command_shows_its_help(cli: Cli, args: list[str]) -> None:
    result = cli.run(*args, with_url=False)
    assert result.exit_code == 2
    assert result.output.startswith(f"Usage: streamcore {' '.join(args)}".rstrip() + " [OPTIONS]")
    assert "Commands:" in result.output


def test_global_options_without_a_command_is_a_usage_error(fresh_cli: Cli, db_path: Path) -> None:
    stderr = assert_usage_error(fresh_cli.run(json_output=True))
    assert "Missing command" in stderr
    assert not db_path.exists()


def all_commands() -> list[tuple[str, ...]]:
    """Every command path below the root, groups included, e.g. ``("movie", "add")``."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if path:
            paths.append(path)
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    assert len(paths) > 2
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_of_every_command(
    fresh_cli: Cli, db_path: Path, path: tuple[str, ...], flag: str
) -> None:
    result = fresh_cli.run(*path, flag)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: streamcore {' '.join(path)}")
    assert not db_path.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["movie", "show", HUGE], "not found"),
        (["movie", "update", HUGE, "--title", "X"], "not found"),
        (["movie", "delete", HUGE], "not found"),
        (["movie", "restore", HUGE], "not found"),
        (["movie", "list", "--offset", HUGE], "offset"),
        (["movie", "list", "--year", HUGE], "year"),
    ],
    ids=["show", "update", "delete", "restore", "list-offset", "list-year"],
)
def test_huge_integers_are_refused_without_traceback(
    cli: Cli, args: list[str], fragment: str
) -> None:
    """No database integer holds them; they once escaped as OverflowError."""
    cli.seed(SAMPLE_MOVIES[:1])
    assert fragment in cli.refused(*args)
    assert cli.total() == 1


# --- files that cannot be imported ----------------------------------------------------------


def test_import_a_directory_is_refused(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "movies.csv").mkdir()
    assert "cannot be read" in cli.refused("movie", "import", tmp_path / "movies.csv")


def test_import_a_csv_with_a_huge_cell_names_the_line(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_text("title,year,description\nA,1999,x\nB,2000," + "x" * 200_000 + "\n")
    line = cli.refused("movie", "import", source)
    assert line.startswith("error: line 3: ")
    assert len(line) < 300
    assert cli.total() == 0


def test_error_for_a_file_name_with_a_newline_stays_on_one_line(cli: Cli, tmp_path: Path) -> None:
    assert "does not exist" in cli.refused("movie", "import", tmp_path / "two\nlines.csv")


def test_update_setting_and_clearing_one_field_is_refused(cli: Cli) -> None:
    cli.seed([{"title": "Alien", "year": 1979, "description": "old"}])
    line = cli.refused("movie", "update", "1", "--description", "new", "--clear", "description")
    assert "description" in line
    assert cli.movie(1)["description"] == "old"


# --- the one table of exit codes --------------------------------------------------------------


def test_every_error_category_has_an_exit_code() -> None:
    assert set(EXIT_CODES) == {category.code for category in CATEGORIES}
    assert EXIT_CODES[StorageError.code] == EXIT_STORAGE == 3
    refused = {name for name, code in EXIT_CODES.items() if code == EXIT_REFUSED}
    assert refused == {category.code for category in CATEGORIES} - {StorageError.code}
    assert EXIT_USAGE not in EXIT_CODES.values()  # 2 stays Click's, for usage errors


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (MovieNotFoundError(7), 1),
        (PlanInUseError(3, active=False), 1),
        (DuplicateEmailError("ann@example.org", deleted_id=2), 1),
        (InvalidInputError.single("title", "must not be empty"), 1),
        (NotAuthenticatedError("log in"), 1),
        (PermissionDeniedError("no"), 1),
        (TooManyAttemptsError("later", retry_after=9), 1),
        (SchemaOutdatedError("behind"), 3),
        (StorageError("busy"), 3),
        (StreamcoreError("outside every category"), 1),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_leaves_exit_with_their_categorys_code(error: StreamcoreError, code: int) -> None:
    assert exit_code(error) == code


def test_an_error_message_is_printed_on_one_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Line breaks and lone surrogates in a message cannot break the one ``error:`` line."""
    from streamcore.movies.service import MovieService

    def busy(*_: object, **__: object) -> None:
        raise StorageError("the database is busy\nline two \udcff")

    monkeypatch.setattr(MovieService, "list", busy)
    line = cli.refused("movie", "list", code=EXIT_STORAGE)
    assert line == "error: the database is busy line two \\udcff"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("movie", "add", "--title", "T", "--year", "abc"), "--year"),
        (("movie", "list", "--limit", "x"), "--limit"),
        (("movie", "show", "one"), "ID"),
    ],
)
def test_an_option_that_does_not_parse_is_said_in_the_house_style(
    cli: Cli, args: tuple[str, ...], option: str
) -> None:
    stderr = assert_usage_error(cli.run(*args))
    assert option in stderr
    assert "must be a whole number" in stderr
    assert "Input should" not in stderr
