"""USER and PLAN references and passwords from stdin, as a user may type them (SPEC §3, §5).

A reference is stripped (``" 1 "`` is user 1). One that no text can be (an undecodable byte of
the command line arrives as a lone surrogate) is an invalid-input error naming USER's or PLAN's
field, never a traceback. A password on stdin that is not UTF-8 names the password and never
shows it.
"""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import Result

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.cli import app
from streamcore.subscriptions.models import PlanCreate
from tests.cli.conftest import Cli, assert_no_traceback, assert_refused

UNDECODABLE = "\udcff"  # what a \xff byte in argv becomes (surrogateescape)
LONE = "\ud800"
NOT_TEXT = "must be valid Unicode text (no lone surrogates)"


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    """User 1 (ann@example.org) and plan 1 (Basic)."""
    with StreamCore.open(cli.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        user = UserCreate(email="ann@example.org", name="Ann", password="some-password-1")
        core.auth.create_user(user, actor=SYSTEM)
        plan = PlanCreate(name="Basic", price="9.99", currency="EUR", period="month")
        core.plans.create(plan, actor=SYSTEM)
    return cli


@pytest.mark.parametrize("ref", [" 1 ", "\t1\n", " ann@example.org ", " ANN@example.org\t"])
def test_a_user_reference_is_stripped(seeded: Cli, ref: str) -> None:
    assert seeded.json("user", "show", ref)["id"] == 1


@pytest.mark.parametrize("ref", [" 1 ", "  Basic ", "\tbasic\n"])
def test_a_plan_reference_is_stripped(seeded: Cli, ref: str) -> None:
    assert seeded.json("plan", "show", ref)["id"] == 1


USER_COMMANDS: list[list[str]] = [
    ["user", "show"],
    ["user", "update", "--name", "X"],
    ["user", "delete"],
    ["user", "restore"],
    ["user", "movies"],
]
PLAN_COMMANDS: list[list[str]] = [
    ["plan", "show"],
    ["plan", "update", "--price", "1"],
    ["plan", "delete"],
    ["plan", "movies"],
]


def with_ref(command: list[str], ref: str) -> list[str]:
    """``command`` with ``ref`` as its argument (after the group and command names)."""
    return [*command[:2], ref, *command[2:]]


@pytest.mark.parametrize("bad", [UNDECODABLE, LONE, f"ann{UNDECODABLE}@example.org"])
@pytest.mark.parametrize("command", USER_COMMANDS, ids=" ".join)
def test_a_user_reference_that_is_not_text_is_invalid_input(
    seeded: Cli, command: list[str], bad: str
) -> None:
    # A USER that is not an id is an email: the email rule names it.
    assert seeded.refused(*with_ref(command, bad)) == f"error: email: {NOT_TEXT}"
    assert seeded.json("user", "show", "1")["name"] == "Ann"


@pytest.mark.parametrize("bad", [UNDECODABLE, LONE, f"Basic{LONE}"])
@pytest.mark.parametrize("command", PLAN_COMMANDS, ids=" ".join)
def test_a_plan_reference_that_is_not_text_is_invalid_input(
    seeded: Cli, command: list[str], bad: str
) -> None:
    assert seeded.refused(*with_ref(command, bad)) == f"error: plan: {NOT_TEXT}"
    assert seeded.json("plan", "show", "1")["price"] == "9.99"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--user", UNDECODABLE, "--plan", "Basic"], "email"),
        (["--user", "1", "--plan", UNDECODABLE], "plan"),
    ],
)
def test_subscription_add_with_a_reference_that_is_not_text(
    seeded: Cli, args: list[str], field: str
) -> None:
    assert seeded.refused("subscription", "add", *args) == f"error: {field}: {NOT_TEXT}"


def stdin_password(cli: Cli, data: bytes, *args: str) -> Result:
    """``streamcore user ARGS... --password-stdin`` with ``data`` as the bytes on stdin."""
    argv = ["--database-url", cli.url, "user", *args, "--password-stdin"]
    result = cli.runner.invoke(app, argv, input=data)
    assert_no_traceback(result)
    return result


SECRET_BYTES = b"s3cret-\xff\xfe-password"


@pytest.mark.parametrize(
    "args",
    [["add", "bob@example.org", "--name", "Bob"], ["set-password", "1"]],
    ids=["add", "set-password"],
)
def test_a_password_on_stdin_that_is_not_utf8_is_named_and_not_shown(
    seeded: Cli, args: list[str]
) -> None:
    line = assert_refused(stdin_password(seeded, SECRET_BYTES + b"\n", *args))
    assert line == "error: password: must be valid UTF-8 text"
    assert "s3cret" not in line
    assert seeded.json("user", "list")["total"] == 1


def test_a_utf8_password_on_stdin_is_read_whatever_the_locale(seeded: Cli) -> None:
    password = "pässwörd-ünïcode"
    result = stdin_password(
        seeded, password.encode() + b"\r\n", "add", "cy@example.org", "--name", "Cy"
    )
    assert result.exit_code == 0, result.stderr
    with StreamCore.open(seeded.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        from streamcore.auth.models import Credentials

        login: Any = core.auth.login(Credentials(email="cy@example.org", password=password))
        assert login.user.email == "cy@example.org"
