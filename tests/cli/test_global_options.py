"""The global options go before or after the command, and ``--version`` (SPEC §5, docs/cli.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

import streamcore
from streamcore.cli import app
from tests.cli.conftest import SAMPLE_MOVIES, Cli

GLOBAL_OPTIONS = {"--database-url", "--json", "--verbose", "-v", "--quiet"}


def leaves() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(command: Any, path: str) -> None:
        if isinstance(command, TyperGroup):
            found.append((path or "streamcore", command))
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            found.append((path, command))

    walk(typer.main.get_command(app), "")
    return found


@pytest.mark.parametrize(("path", "command"), leaves(), ids=[p for p, _ in leaves()])
def test_every_group_and_command_takes_the_global_options(path: str, command: Any) -> None:
    names = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    assert names >= GLOBAL_OPTIONS, f"{path}: {sorted(GLOBAL_OPTIONS - names)}"


@pytest.mark.parametrize("flag", ["--version"])
def test_version_prints_the_version(fresh_cli: Cli, db_path: Path, flag: str) -> None:
    result = fresh_cli.run(flag, with_url=False)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"streamcore {streamcore.__version__}\n"
    assert result.stderr == ""
    assert not db_path.exists()


def test_version_wins_over_a_command(fresh_cli: Cli, db_path: Path) -> None:
    result = fresh_cli.run("--version", "movie", "list", with_url=False)
    assert result.stdout == f"streamcore {streamcore.__version__}\n"
    assert not db_path.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "movie", "list"],
        ["movie", "list", "--json"],
        ["movie", "--json", "list"],
        ["movie", "list", "--limit", "2", "--json"],
    ],
    ids=["before", "after", "between", "after-other-options"],
)
def test_json_anywhere(cli: Cli, argv: list[str]) -> None:
    cli.seed(SAMPLE_MOVIES)
    result = cli.run(*argv)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("{\n")
    assert '"total": 4' in result.stdout


def test_database_url_after_the_command(cli: Cli) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    result = cli.run("movie", "show", "1", "--database-url", cli.url, with_url=False)
    assert result.exit_code == 0, result.stderr
    assert "Metropolis" in result.stdout


def test_the_last_database_url_wins(cli: Cli, tmp_path: Path) -> None:
    cli.seed(SAMPLE_MOVIES[:1])
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = cli.run(
        "--database-url",
        other,
        "--json",
        "movie",
        "list",
        "--database-url",
        cli.url,
        with_url=False,
    )
    assert result.exit_code == 0, result.stderr
    assert '"total": 1' in result.stdout
    assert not (tmp_path / "other.db").exists()


def test_the_environment_still_gives_way_to_an_option_after_the_command(
    cli: Cli, tmp_path: Path
) -> None:
    cli.seed(SAMPLE_MOVIES[:2])
    env = {"STREAMCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}
    result = cli.run("movie", "list", "--json", "--database-url", cli.url, with_url=False, env=env)
    assert '"total": 2' in result.stdout
    assert not (tmp_path / "env.db").exists()
