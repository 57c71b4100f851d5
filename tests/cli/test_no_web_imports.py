"""``import streamcore`` and every CLI command but ``serve`` load no FastAPI, Starlette, uvicorn.

One fresh interpreter imports streamcore, resolves every public name, then runs a session of
commands of every group on a SQLite file, and ``--help`` of every command (``serve --help``
too), and after each one reports which web modules ``sys.modules`` holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

import streamcore.cli
from streamcore import StreamCore
from streamcore.auth.permissions import SYSTEM

WEB = ("fastapi", "starlette", "uvicorn")
PASSWORD = "correct horse battery"
SESSION = [
    ["db", "upgrade"],
    ["db", "current"],
    ["movie", "add", "--title", "Nosferatu", "--year", "1922", "--genre", "horror"],
    ["movie", "add", "--title", "Metropolis", "--year", "1927"],
    ["movie", "list", "--q", "nos"],
    ["movie", "show", "1"],
    ["movie", "update", "2", "--duration", "153"],
    ["movie", "delete", "2"],
    ["movie", "restore", "2"],
    ["movie", "import", "movies.csv"],
    ["movie", "show", "42"],  # a refused action, too
    ["user", "add", "ann@example.org", "--name", "Ann", "--password-stdin"],
    ["user", "list"],
    ["user", "show", "ann@example.org"],
    ["user", "update", "ann@example.org", "--no-notify"],
    ["plan", "add", "Basic", "--price", "9.99", "--currency", "EUR", "--period", "month"],
    ["plan", "list"],
    ["plan", "add-movie", "Basic", "1"],
    ["plan", "movies", "Basic"],
    ["subscription", "add", "--user", "ann@example.org", "--plan", "Basic"],
    ["subscription", "pay", "1", "--amount", "9.99", "--currency", "EUR", "--reference", "r1"],
    ["subscription", "list"],
    ["user", "movies", "ann@example.org"],
    ["--json", "subscription", "show", "1"],
    ["subscription", "cancel", "1"],
]

RUN = """
import io, json, sys
WEB, SESSION, HELPS, PASSWORD = json.loads(sys.argv[1])

def web():
    return sorted({m.split(".")[0] for m in sys.modules} & set(WEB))

report = []
import streamcore
for name in streamcore.__all__:
    getattr(streamcore, name)
report.append(["import streamcore", web()])
from streamcore.cli import app
for args in SESSION + HELPS:
    sys.stdin = io.TextIOWrapper(io.BytesIO((PASSWORD + "\\n").encode()))
    try:
        app(args, prog_name="streamcore", standalone_mode=False)
    except SystemExit:
        pass
    except Exception as exc:  # a refused action; the CLI's own tests check those
        if type(exc).__module__.split(".")[0] not in ("streamcore", "click"):
            raise
    report.append([" ".join(args), web()])
print(json.dumps(report))
"""


def every_help() -> list[list[str]]:
    """``[*path, "--help"]`` for the root, every group and every command."""
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append([*path, "--help"])
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(typer.main.get_command(streamcore.cli.app), [])
    return found


def web_modules_after_each(tmp_path: Path, session: list[list[str]]) -> list[tuple[str, list[str]]]:
    """Run ``session`` and every ``--help`` in one interpreter; the web modules after each."""
    (tmp_path / "movies.csv").write_text("title,year\nAlien,1979\n")
    payload = json.dumps([WEB, session, every_help(), PASSWORD])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env["STREAMCORE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    done = subprocess.run(
        [sys.executable, "-c", RUN, payload],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: list[tuple[str, list[str]]] = [
        (step, loaded) for step, loaded in json.loads(done.stdout.splitlines()[-1])
    ]
    return report


@pytest.mark.slow
def test_no_command_but_serve_loads_a_web_module(tmp_path: Path) -> None:
    report = web_modules_after_each(tmp_path, SESSION)
    steps = [step for step, _ in report]
    assert "serve --help" in steps
    assert len(steps) == 1 + len(SESSION) + len(every_help())
    assert [(step, loaded) for step, loaded in report if loaded] == []
    with StreamCore.open(f"sqlite:///{tmp_path / 'cli.db'}") as core:  # the session did run
        assert core.movies.list(actor=SYSTEM).total == 3
        assert core.subscriptions.get(1, actor=SYSTEM).status == "canceled"


def test_the_check_sees_the_server_load_them(tmp_path: Path) -> None:
    """Guards the check: a ``serve`` that is refused has loaded the api extra by then."""
    report = web_modules_after_each(tmp_path, [["--database-url", "memory://", "serve", "-h"]])
    assert dict(report)["--database-url memory:// serve -h"] == []
    refused = [["--database-url", "memory://", "serve", "--workers", "2"]]
    report = web_modules_after_each(tmp_path, refused)
    assert set(dict(report)["--database-url memory:// serve --workers 2"]) >= {
        "fastapi",
        "uvicorn",
    }
