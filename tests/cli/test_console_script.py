"""The installed ``streamcore`` console script, run as a real process with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from tests.integration.smtp_server import closed_port, running_smtp_server

SCRIPT = Path(sys.executable).parent / "streamcore"
HEAVY_MODULES = ("sqlalchemy", "pydantic", "rich", "alembic", "blinker")
TIMEOUT = 60

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'script.db'}"


@pytest.fixture
def env(tmp_path: Path, url: str) -> dict[str, str]:
    """Only what a process needs, plus the database URL; nothing inherited from the test run."""
    clean = {"PATH": os.defpath, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    clean["STREAMCORE_DATABASE_URL"] = url
    return clean


def streamcore(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_help_exits_0(env: dict[str, str], tmp_path: Path) -> None:
    done = streamcore("--help", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: streamcore")
    for word in ("--database-url", "--json", "db", "movie"):
        assert word in done.stdout
    assert done.stderr == ""
    assert not (tmp_path / "script.db").exists()


def test_add_then_list_as_json(env: dict[str, str], tmp_path: Path, url: str) -> None:
    added = streamcore("movie", "add", "--title", "Alien", "--year", "1979", env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "Alien" in added.stdout
    listed = streamcore("--json", "movie", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    page = json.loads(listed.stdout)
    assert [(m["title"], m["year"]) for m in page["items"]] == [("Alien", 1979)]
    with StreamCore.open(url) as core:
        assert page == core.movies.list(actor=SYSTEM).model_dump(mode="json")
    assert not (tmp_path / "streamcore.db").exists()


def test_refused_action_exits_1_with_one_line(env: dict[str, str], tmp_path: Path) -> None:
    done = streamcore("movie", "show", "42", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["error: movie 42 not found"]
    assert "Traceback" not in done.stderr


def test_usage_error_exits_2_without_traceback(env: dict[str, str], tmp_path: Path) -> None:
    done = streamcore("movie", "add", "--title", "Alien", "--year", "abc", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "--year" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


CHECK_IMPORTS = """
import json, sys
sys.argv = ["streamcore", *sys.argv[1:]]
import streamcore.cli as cli
try:
    cli.main()
except SystemExit:
    pass
loaded = {m.split(".")[0] for m in sys.modules}
print(json.dumps(sorted(loaded & set(HEAVY))), file=sys.stderr)
"""


def loaded_heavy_modules(args: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    """Which heavy top-level packages ``streamcore ARGS`` imported (printed last on stderr)."""
    code = f"HEAVY = {HEAVY_MODULES!r}\n{CHECK_IMPORTS}"
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    loaded: list[str] = json.loads(done.stderr.splitlines()[-1])
    return loaded


def test_root_help_imports_no_heavy_library(env: dict[str, str], tmp_path: Path) -> None:
    """``streamcore --help`` stays fast: no SQLAlchemy, pydantic, rich, Alembic or blinker."""
    assert loaded_heavy_modules(["--help"], env, tmp_path) == []


def test_command_help_imports_no_storage_or_rich(env: dict[str, str], tmp_path: Path) -> None:
    """Below the root, this Typer version parses values with pydantic; the rest stays out."""
    loaded = loaded_heavy_modules(["movie", "add", "--help"], env, tmp_path)
    assert set(loaded) <= {"pydantic"}


def test_the_check_sees_a_heavy_import(env: dict[str, str], tmp_path: Path) -> None:
    """The import check itself works: a command that opens a core loads SQLAlchemy."""
    loaded = loaded_heavy_modules(["movie", "list"], env, tmp_path)
    assert "sqlalchemy" in loaded


def add_reader(url: str) -> None:
    """One user who asked to hear of new movies, added through the library."""
    with StreamCore.open(url, hasher=Argon2Hasher(CHEAPEST)) as core:
        data = UserCreate(email="ann@example.org", name="Ann", password="some-password-1")
        core.auth.create_user(data, actor=SYSTEM)


def test_the_log_mailer_line_shows_by_default(
    env: dict[str, str], tmp_path: Path, url: str
) -> None:
    add_reader(url)
    done = streamcore("movie", "add", "--title", "Alien", "--year", "1979", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "INFO streamcore.mail: log mailer (no SMTP URL set): would have mailed 1 user: "
        "'New on streamcore: Alien (1979)'"
    ]


def test_movie_add_sends_its_mail_before_the_process_exits(
    env: dict[str, str], tmp_path: Path, url: str
) -> None:
    """The mail goes out on a background thread; closing the core waits for it (bounded)."""
    add_reader(url)
    with running_smtp_server() as server:
        env = env | {"STREAMCORE_SMTP_URL": server.url()}
        args = ("movie", "add", "--title", "Alien", "--year", "1979")
        done = streamcore(*args, env=env, cwd=tmp_path)
        received = [(r.rcpt_tos, str(r.message["Subject"])) for r in server.received]
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert received == [(("ann@example.org",), "New on streamcore: Alien (1979)")]


def test_a_failing_mailer_is_one_line_on_stderr(
    env: dict[str, str], tmp_path: Path, url: str
) -> None:
    add_reader(url)
    with closed_port() as port:
        env = env | {"STREAMCORE_SMTP_URL": f"smtp://127.0.0.1:{port}"}
        args = ("movie", "add", "--title", "Alien", "--year", "1979")
        done = streamcore(*args, env=env, cwd=tmp_path)
        verbose = streamcore(
            "--verbose", *args[:3], "Aliens", "--year", "1986", env=env, cwd=tmp_path
        )
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("ERROR streamcore.listeners: EmailNewMovies failed: StorageError: ")
    assert "Traceback" not in done.stderr
    assert verbose.returncode == 0, verbose.stderr
    assert "Traceback (most recent call last):" in verbose.stderr
    with StreamCore.open(url) as core:
        assert core.movies.list(actor=SYSTEM).total == 2


@pytest.mark.parametrize("command", [["user", "show"], ["plan", "show"]], ids=" ".join)
def test_an_undecodable_byte_in_a_reference_is_one_error_line(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    done = subprocess.run(
        [str(SCRIPT).encode(), *(word.encode() for word in command), b"x\xffy"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == b""
    field = {"user": "email", "plan": "plan"}[command[0]]  # a USER that is no id is an email
    assert done.stderr.decode().splitlines() == [
        f"error: {field}: must be valid Unicode text (no lone surrogates)"
    ]


def test_invalid_utf8_on_password_stdin_is_one_error_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(SCRIPT), "user", "add", "ann@example.org", "--name", "Ann", "--password-stdin"],
        input=b"secret-\xff-password\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.decode().splitlines() == ["error: password: must be valid UTF-8 text"]
