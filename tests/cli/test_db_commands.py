"""``streamcore db upgrade|current`` and where the CLI finds its database."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamcore.auth.permissions import SYSTEM
from streamcore.cli import EXIT_STORAGE
from streamcore.storage.sql.migrate import head_revision
from tests.cli.conftest import Cli, assert_refused

ENV_URL = "STREAMCORE_DATABASE_URL"


@pytest.fixture(scope="module")
def head() -> str:
    return head_revision()


@pytest.fixture
def cli(fresh_cli: Cli) -> Cli:
    """These tests are about creating and migrating the file: start without one."""
    return fresh_cli


# --- db upgrade ------------------------------------------------------------------------------


def test_upgrade_a_new_file_then_again(cli: Cli, db_path: Path, head: str) -> None:
    assert not db_path.exists()
    assert cli.json("db", "upgrade") == {"previous": None, "current": head}
    assert db_path.exists()
    assert cli.json("db", "upgrade") == {"previous": head, "current": head}
    assert cli.json("db", "current") == {
        "current": head,
        "head": head,
        "up_to_date": True,
        "state": "up_to_date",
    }
    with cli.core() as core:
        assert core.movies.list(actor=SYSTEM).total == 0


def test_upgrade_human(cli: Cli, head: str) -> None:
    assert cli.ok("db", "upgrade").stdout == f"Upgraded empty -> {head}.\n"
    assert cli.ok("db", "upgrade").stdout == f"Already at {head}.\n"


def test_upgrade_keeps_the_data(cli: Cli) -> None:
    cli.ok("movie", "add", "--title", "Alien", "--year", "1979")
    cli.ok("db", "upgrade")
    assert cli.movie(1)["title"] == "Alien"


# --- db current ------------------------------------------------------------------------------


def test_current_on_a_new_file_has_no_schema_yet(cli: Cli, head: str) -> None:
    shown = cli.json("db", "current")
    assert shown == {"current": None, "head": head, "up_to_date": False, "state": "empty"}


def test_current_human(cli: Cli, head: str) -> None:
    before = cli.ok("db", "current").stdout
    assert before.splitlines() == [
        "current: none",
        f"head:    {head}",
        "status:  no schema yet: run `streamcore db upgrade`",
    ]
    cli.ok("db", "upgrade")
    after = cli.ok("db", "current").stdout
    assert after.splitlines() == [f"current: {head}", f"head:    {head}", "status:  up to date"]


def test_current_after_a_movie_command_migrated_the_new_file(cli: Cli, head: str) -> None:
    """A new SQLite file is migrated on first use."""
    cli.ok("movie", "list")
    assert cli.json("db", "current") == {
        "current": head,
        "head": head,
        "up_to_date": True,
        "state": "up_to_date",
    }


@pytest.mark.parametrize("command", ["current", "upgrade"])
@pytest.mark.parametrize("json_output", [False, True])
def test_memory_url_has_no_schema(cli: Cli, command: str, json_output: bool) -> None:
    cli.url = "memory://"
    line = cli.refused("db", command, json_output=json_output)
    assert "memory://" in line


def test_a_foreign_sqlite_file_names_db_upgrade(cli: Cli, db_path: Path) -> None:
    """A non-empty database without streamcore's schema is not migrated behind one's back."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    line = cli.refused("movie", "list", code=EXIT_STORAGE)
    assert "streamcore db upgrade" in line
    assert cli.json("db", "current")["up_to_date"] is False


def test_an_invalid_url_is_refused(cli: Cli) -> None:
    cli.url = "not a url"
    assert "database_url" in cli.refused("db", "current")


def test_a_bad_environment_setting_is_refused(cli: Cli) -> None:
    result = cli.run("movie", "list", env={"STREAMCORE_TOKEN_TTL": "soon"})
    assert "STREAMCORE_TOKEN_TTL" in assert_refused(result)


# --- databases that cannot be used: one error line, never a traceback ------------------------


@pytest.mark.parametrize("command", ["current", "upgrade"])
def test_db_commands_on_a_file_that_is_not_a_database(
    cli: Cli, db_path: Path, command: str
) -> None:
    db_path.write_text("this is not a database\n")
    assert "cannot open the database" in cli.refused("movie", "list", code=EXIT_STORAGE)
    assert "not a database" in cli.refused("db", command, code=EXIT_STORAGE)
    assert db_path.read_text() == "this is not a database\n"


def test_upgrade_a_database_holding_a_foreign_movies_table(cli: Cli, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE movies (x TEXT)")
    assert "streamcore db upgrade" in cli.refused("movie", "list", code=EXIT_STORAGE)
    assert "movies" in cli.refused("db", "upgrade", code=EXIT_STORAGE)
    assert cli.json("db", "current")["current"] is None


def test_upgrade_in_a_missing_directory(cli: Cli, tmp_path: Path) -> None:
    cli.url = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    assert "cannot open the database" in cli.refused("movie", "list", code=EXIT_STORAGE)
    assert "cannot open the database file" in cli.refused("db", "upgrade", code=EXIT_STORAGE)
    assert not (tmp_path / "missing").exists()


def test_current_does_not_create_a_missing_file(cli: Cli, db_path: Path, head: str) -> None:
    assert cli.json("db", "current") == {
        "current": None,
        "head": head,
        "up_to_date": False,
        "state": "empty",
    }
    assert not db_path.exists()


# --- configuration: defaults < environment < --database-url -----------------------------------


def test_environment_variable_selects_the_database(clean_env: Path, tmp_path: Path) -> None:
    target = tmp_path / "from-env.db"
    runner = CliRunner()
    from streamcore.cli import app

    result = runner.invoke(
        app,
        ["--json", "movie", "add", "--title", "Alien", "--year", "1979"],
        env={ENV_URL: f"sqlite:///{target}"},
    )
    assert result.exit_code == 0, result.stderr
    assert target.exists()
    assert not (clean_env / "streamcore.db").exists()
    assert Cli(runner, f"sqlite:///{target}").movie(1)["title"] == "Alien"


def test_database_url_option_beats_the_environment(clean_env: Path, tmp_path: Path) -> None:
    from_env = tmp_path / "from-env.db"
    from_option = tmp_path / "from-option.db"
    cli = Cli(CliRunner(), f"sqlite:///{from_option}")
    result = cli.run(
        "movie", "add", "--title", "Alien", "--year", "1979", env={ENV_URL: f"sqlite:///{from_env}"}
    )
    assert result.exit_code == 0, result.stderr
    assert cli.movie(1)["title"] == "Alien"
    assert not from_env.exists()


def test_empty_environment_variable_means_the_default(clean_env: Path) -> None:
    cli = Cli(CliRunner(), "sqlite:///streamcore.db")
    result = cli.run(
        "movie", "add", "--title", "Alien", "--year", "1979", with_url=False, env={ENV_URL: ""}
    )
    assert result.exit_code == 0, result.stderr
    assert (clean_env / "streamcore.db").exists()


def test_default_is_streamcore_db_in_the_working_directory(clean_env: Path) -> None:
    cli = Cli(CliRunner(), f"sqlite:///{clean_env / 'streamcore.db'}")
    result = cli.run("movie", "add", "--title", "Alien", "--year", "1979", with_url=False)
    assert result.exit_code == 0, result.stderr
    assert (clean_env / "streamcore.db").exists()
    assert cli.movie(1)["title"] == "Alien"


def test_current_on_an_older_schema_is_behind_and_on_a_newer_one_says_so(cli: Cli) -> None:
    from streamcore.storage.sql.engine import make_engine
    from streamcore.storage.sql.migrate import upgrade
    from streamcore.storage.sql.schema import REVISIONS

    engine = make_engine(cli.url)
    upgrade(engine, REVISIONS[0])
    engine.dispose()
    assert cli.json("db", "current")["state"] == "behind"
    path = cli.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    assert cli.json("db", "current")["state"] == "newer"
    line = cli.refused("db", "upgrade", code=EXIT_STORAGE)
    assert "newer than this streamcore" in line
