"""What the CLI logs on stderr beside a command's output (docs/cli.md, "Log lines").

By default INFO and above, one line per record: the log mailer's "would have mailed N users"
shows, a failing mailer or receiver is one ERROR line without a traceback, and the exit code
stays 0 because the change was made. ``--verbose`` adds the DEBUG lines (the traceback, the
addresses), ``--quiet`` leaves out the INFO lines.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from typer.testing import Result

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.cli import app
from streamcore.events import movie_created
from tests.cli.conftest import Cli
from tests.integration.smtp_server import closed_port

ADD_ALIEN = ("movie", "add", "--title", "Alien", "--year", "1979")
WOULD_MAIL = (
    "INFO streamcore.mail: log mailer (no SMTP URL set): would have mailed 2 users: "
    "'New on streamcore: Alien (1979)'"
)
SMTP_SECRET = "Smtp-S3cret-pw"


def run_with_tracebacks(cli: Cli, *args: str, env: dict[str, str | None] | None = None) -> Result:
    """Like ``cli.run``, for the runs whose stderr is expected to hold a logged traceback."""
    result = cli.runner.invoke(app, ["--database-url", cli.url, *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def readers(cli: Cli) -> list[str]:
    """Two users who asked to hear of new movies, one who did not."""
    emails = ["ann@example.org", "bob@example.org", "cy@example.org"]
    with StreamCore.open(cli.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        for email in emails:
            data = UserCreate(
                email=email,
                name=email[:3],
                password="some-password-1",
                notify_new_movies=email != "cy@example.org",
            )
            core.auth.create_user(data, actor=SYSTEM)
    return emails[:2]


@pytest.fixture
def smtp_down() -> Iterator[dict[str, str | None]]:
    """The environment of a CLI whose SMTP server refuses connections."""
    with closed_port() as port:
        yield {"STREAMCORE_SMTP_URL": f"smtp://news:{SMTP_SECRET}@127.0.0.1:{port}"}


def test_the_log_mailer_says_at_info_how_many_it_would_have_mailed(
    cli: Cli, readers: list[str]
) -> None:
    result = cli.run(*ADD_ALIEN)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [WOULD_MAIL]
    assert "Alien" in result.stdout
    assert not any(email in result.output for email in readers)


def test_with_json_the_log_line_stays_on_stderr(cli: Cli, readers: list[str]) -> None:
    result = cli.run(*ADD_ALIEN, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [WOULD_MAIL]
    assert result.stdout.startswith("{")


@pytest.mark.parametrize("position", ["before", "after"])
def test_quiet_leaves_out_the_info_line(cli: Cli, readers: list[str], position: str) -> None:
    args = ["--quiet", *ADD_ALIEN] if position == "before" else [*ADD_ALIEN, "--quiet"]
    result = cli.run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_adds_the_addresses(cli: Cli, readers: list[str], flag: str) -> None:
    result = cli.run(flag, *ADD_ALIEN)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert WOULD_MAIL in lines
    for email in readers:
        assert (
            f"DEBUG streamcore.mail: log mailer: would have mailed {email}: "
            "'New on streamcore: Alien (1979)'"
        ) in lines
    assert "cy@example.org" not in result.stderr


def test_no_line_when_nobody_asked_to_hear_of_new_movies(cli: Cli) -> None:
    assert cli.ok(*ADD_ALIEN).stderr == ""


def test_a_failing_mailer_is_one_error_line_and_the_movie_stays(
    cli: Cli, readers: list[str], smtp_down: dict[str, str | None]
) -> None:
    result = cli.run(*ADD_ALIEN, env=smtp_down)
    assert result.exit_code == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("ERROR streamcore.listeners: EmailNewMovies failed: StorageError: ")
    assert line.endswith("the new movies stay created")
    assert "Traceback" not in result.output
    assert SMTP_SECRET not in result.output
    assert cli.movie(1)["title"] == "Alien"


def test_verbose_shows_the_traceback_of_a_failing_mailer(
    cli: Cli, readers: list[str], smtp_down: dict[str, str | None]
) -> None:
    result = run_with_tracebacks(cli, "--verbose", *ADD_ALIEN, env=smtp_down)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("ERROR streamcore.listeners: EmailNewMovies failed: ")
    assert "Traceback (most recent call last):" in result.stderr
    assert SMTP_SECRET not in result.output


def broken_receiver(sender: object, **_: object) -> None:
    """A receiver of embedding code with a bug."""
    raise RuntimeError("listener bug\nwith a second line")


def test_a_failing_receiver_is_one_error_line(cli: Cli) -> None:
    with movie_created.connected_to(broken_receiver):
        result = cli.run(*ADD_ALIEN)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "ERROR streamcore.events: receiver tests.cli.test_log_lines.broken_receiver of signal "
        "movie_created failed: RuntimeError: listener bug with a second line; "
        "the change stays committed"
    ]
    with movie_created.connected_to(broken_receiver):
        verbose = run_with_tracebacks(cli, *ADD_ALIEN[:3], "Aliens", "--year", "1986", "-v")
    assert verbose.exit_code == 0, verbose.stderr
    assert "Traceback (most recent call last):" in verbose.stderr


def test_the_cli_gives_the_loggers_back(cli: Cli, readers: list[str]) -> None:
    """In-process runs leave logging as they found it: no handler, no level left behind."""
    logger = logging.getLogger("streamcore")
    before = (logger.level, list(logger.handlers))
    cli.run("-v", *ADD_ALIEN)
    assert (logger.level, list(logger.handlers)) == before
