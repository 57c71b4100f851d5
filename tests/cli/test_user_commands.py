"""``streamcore user ...`` in human and ``--json`` mode, checked through the library.

Users are seeded through the library with the cheapest argon2id parameters; the CLI itself
hashes with the production ones (~0.1-0.4 s a hash), so only the tests that are about a
password let the CLI hash one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from streamcore import StreamCore
from streamcore.auth.models import Credentials, LoginResult, User, UserCreate, UserQuery
from streamcore.auth.passwords import CHEAPEST, PRODUCTION, Argon2Hasher
from streamcore.auth.permissions import SYSTEM
from streamcore.cli import app
from streamcore.errors import NotAuthenticatedError, NotFoundError
from tests.cli.conftest import (
    Cli,
    assert_no_traceback,
    assert_refused,
    assert_usage_error,
    table_headers,
)

USER_KEYS = {
    "id",
    "email",
    "name",
    "role",
    "is_active",
    "notify_new_movies",
    "created_at",
    "updated_at",
    "deleted_at",
}
LIST_COLUMNS = ["id", "email", "name", "role", "active", "notify"]
PRODUCTION_PREFIX = (
    f"$argon2id$v=19$m={PRODUCTION.memory_cost_kib},"
    f"t={PRODUCTION.time_cost},p={PRODUCTION.parallelism}$"
)
MISMATCH = "Error: The two entered values do not match."
HUGE = "9" * 30

PASSWORDS = {
    "alice@example.org": "alice-password-1",
    "bob@example.org": "bob-password-22",
    "carol@example.net": "carol-password-333",
    "dave@example.org": "dave-password-4444",
}
SAMPLE_USERS: tuple[dict[str, Any], ...] = (
    {"email": "alice@example.org", "name": "Alice Liddell", "role": "admin"},
    {"email": "bob@example.org", "name": "Bob Dylan", "role": "editor"},
    {"email": "carol@example.net", "name": "Carol King", "role": "subscriber"},
    {"email": "dave@example.org", "name": "Dave Grohl", "role": "subscriber", "is_active": False},
)
"""Ids 1..4 in this order on a fresh database (Dave is inactive)."""


# --- helpers ---------------------------------------------------------------------------------


def invoke(cli: Cli, *args: object, input: str | None = None, json_output: bool = False) -> Result:
    """``streamcore --database-url URL [--json] ARGS...`` with ``input`` on stdin."""
    argv = ["--database-url", cli.url, *(["--json"] if json_output else [])]
    result = cli.runner.invoke(app, [*argv, *(str(a) for a in args)], input=input)
    assert_no_traceback(result)
    return result


PROMPTS = ("Password:", "Repeat for confirmation:", MISMATCH)


def succeeded(result: Result) -> Result:
    """Exit 0; stderr holds nothing but the password prompts."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    assert without_prompts(result.stderr) == ""
    return result


def without_prompts(text: str) -> str:
    """``text`` with the password prompts taken out (they go to stderr, not stdout)."""
    for prompt in PROMPTS:
        text = text.replace(prompt, "")
    return text.strip()


@contextmanager
def library(cli: Cli) -> Iterator[StreamCore]:
    """The CLI's database through the library, hashing new passwords cheaply."""
    with StreamCore.open(cli.url, hasher=Argon2Hasher(CHEAPEST)) as core:
        yield core


def seed(cli: Cli, users: tuple[dict[str, Any], ...] = SAMPLE_USERS) -> list[User]:
    with library(cli) as core:
        return [
            core.auth.create_user(UserCreate(**u, password=PASSWORDS[u["email"]]), actor=SYSTEM)
            for u in users
        ]


def stored(cli: Cli, user_id: int) -> dict[str, Any]:
    """One user (deleted or not) as the library dumps it."""
    with library(cli) as core:
        return core.auth.get_user(user_id, include_deleted=True, actor=SYSTEM).model_dump(
            mode="json"
        )


def listing(cli: Cli, **query: Any) -> dict[str, Any]:
    with library(cli) as core:
        return core.auth.list_users(UserQuery(**query), actor=SYSTEM).model_dump(mode="json")


def user_count(cli: Cli) -> int:
    return int(listing(cli, trashed="with")["total"])


def login(cli: Cli, email: str, password: str) -> LoginResult:
    with library(cli) as core:
        return core.auth.login(Credentials(email=email, password=password))


def can_log_in(cli: Cli, email: str, password: str) -> bool:
    try:
        login(cli, email, password)
    except NotAuthenticatedError:
        return False
    return True


def token_works(cli: Cli, token: str) -> bool:
    with library(cli) as core:
        try:
            core.auth.authenticate(token)
        except NotAuthenticatedError:
            return False
    return True


def password_hash(cli: Cli, user_id: int) -> str:
    """The stored hash, read with sqlite3 (the library never hands it out)."""
    path = cli.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
    assert row is not None, user_id
    (value,) = row
    return str(value)


def field_rows(stdout: str) -> dict[str, str]:
    """The two-column table of a record, prompt lines left out."""
    lines = [
        line
        for line in stdout.splitlines()
        if line.strip() and not line.startswith(("Password:", "Repeat for confirmation:"))
    ]
    return dict([*line.strip().split(maxsplit=1), ""][:2] for line in lines)


# --- add -------------------------------------------------------------------------------------


def test_add_with_password_stdin_json_is_the_library_model(cli: Cli) -> None:
    result = succeeded(
        invoke(
            cli,
            "user",
            "add",
            "  Erin@Example.ORG ",
            "--name",
            "  Erin Brockovich ",
            "--role",
            "editor",
            "--password-stdin",
            input="erin-password-1\n",
            json_output=True,
        )
    )
    shown = json.loads(result.stdout)
    assert set(shown) == USER_KEYS
    assert shown == stored(cli, shown["id"])
    assert shown["email"] == "erin@example.org"
    assert shown["name"] == "Erin Brockovich"
    assert shown["role"] == "editor"
    assert (shown["is_active"], shown["notify_new_movies"], shown["deleted_at"]) == (
        True,
        True,
        None,
    )
    assert "erin-password-1" not in result.output
    assert password_hash(cli, shown["id"]).startswith(PRODUCTION_PREFIX)
    assert can_log_in(cli, "ERIN@example.org", "erin-password-1")


def test_add_with_the_prompt_human_prints_a_field_table(cli: Cli) -> None:
    result = succeeded(
        invoke(cli, "user", "add", "frank@example.org", "--name", "Frank", input="frank-pw-1\n" * 2)
    )
    assert result.stderr.count("Password:") == 1
    assert result.stderr.count("Repeat for confirmation:") == 1
    assert "Password" not in result.stdout
    assert "frank-pw-1" not in result.output  # hidden input is not echoed
    rows = field_rows(result.stdout)
    assert set(rows) == USER_KEYS
    user = stored(cli, int(rows["id"]))
    assert rows["email"] == user["email"] == "frank@example.org"
    assert rows["name"] == "Frank"
    assert rows["role"] == user["role"] == "subscriber"
    assert rows["is_active"] == "True"
    assert rows["notify_new_movies"] == "True"
    assert rows["created_at"] == user["created_at"]
    assert rows["deleted_at"] == "-"
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)
    assert can_log_in(cli, "frank@example.org", "frank-pw-1")


def test_add_prompt_asks_again_when_the_confirmation_differs(cli: Cli) -> None:
    typed = "first-try-11\nsecond-try-22\nthird-try-333\nthird-try-333\n"
    result = succeeded(
        invoke(cli, "user", "add", "gina@example.org", "--name", "Gina", input=typed)
    )
    assert result.stderr.count(MISMATCH) == 1
    assert result.stderr.count("Password:") == 2
    assert result.stderr.count("Repeat for confirmation:") == 2
    assert user_count(cli) == 1
    assert can_log_in(cli, "gina@example.org", "third-try-333")
    assert not can_log_in(cli, "gina@example.org", "first-try-11")


def test_add_prompt_with_json_prints_only_json(cli: Cli) -> None:
    """``--json`` output is machine-readable even when the password is prompted for.

    The prompts belong on the terminal or stderr, not in the JSON on stdout.
    """
    result = succeeded(
        invoke(
            cli,
            "user",
            "add",
            "hank@example.org",
            "--name",
            "Hank",
            input="hank-password\n" * 2,
            json_output=True,
        )
    )
    assert user_count(cli) == 1
    assert "Password" not in result.stdout
    shown = json.loads(result.stdout)
    assert shown == stored(cli, shown["id"])


@pytest.mark.parametrize(
    "typed", ["", "only-once-pw\n", "one-password\nanother-one\n"], ids=["eof", "no-repeat", "bad"]
)
def test_add_prompt_without_a_confirmed_password_aborts(cli: Cli, typed: str) -> None:
    result = invoke(cli, "user", "add", "ivan@example.org", "--name", "Ivan", input=typed)
    assert result.exit_code == 1
    assert without_prompts(result.stderr).splitlines()[-1] == "Aborted!"
    assert user_count(cli) == 0


EMAIL = "longer.name@example.org"


@pytest.mark.parametrize(
    "password",
    [
        "seven77",
        "",
        "   ",
        " short7",
        "x" * 257,
        EMAIL,
        f"  {EMAIL.upper()} ",
    ],
    ids=["7-chars", "empty", "blank", "7-with-a-space", "257-chars", "email", "email-any-case"],
)
def test_add_refuses_a_password_that_breaks_the_rules(cli: Cli, password: str) -> None:
    line = assert_refused(
        invoke(
            cli,
            "user",
            "add",
            EMAIL,
            "--name",
            "Long",
            "--password-stdin",
            input=password + "\n",
        )
    )
    assert line.startswith("error: password: ")
    if password.strip() and password != EMAIL:
        assert password.strip() not in line  # the rule is named, the password is not echoed
    assert user_count(cli) == 0


def test_add_prompt_refuses_a_short_password(cli: Cli) -> None:
    result = invoke(cli, "user", "add", EMAIL, "--name", "Long", input="short\nshort\n")
    assert result.exit_code == 1
    assert without_prompts(result.stderr) == "error: password: must be 8 to 256 characters long"
    assert user_count(cli) == 0


@pytest.mark.parametrize("length", [8, 256])
def test_add_accepts_passwords_at_the_length_bounds(cli: Cli, length: int) -> None:
    password = ("pw-" * 100)[:length]
    result = invoke(
        cli, "user", "add", EMAIL, "--name", "Long", "--password-stdin", input=password + "\r\n"
    )
    assert field_rows(succeeded(result).stdout)["email"] == EMAIL
    assert stored(cli, 1)["email"] == EMAIL
    assert can_log_in(cli, EMAIL, password)


def test_add_a_duplicate_email_in_any_case_is_refused(cli: Cli) -> None:
    seed(cli, SAMPLE_USERS[:1])
    before = stored(cli, 1)
    line = assert_refused(
        invoke(
            cli,
            "user",
            "add",
            " ALICE@Example.org",
            "--name",
            "Impostor",
            "--password-stdin",
            input="impostor-pw-1\n",
            json_output=True,
        )
    )
    assert line == "error: a user with email alice@example.org already exists"
    assert user_count(cli) == 1
    assert stored(cli, 1) == before
    assert password_hash(cli, 1).startswith("$argon2id$v=19$m=8,")  # the old hash stays


def test_re_adding_the_email_of_a_deleted_user_hints_at_restoring_it(cli: Cli) -> None:
    seed(cli, SAMPLE_USERS[:2])
    cli.ok("user", "delete", "2")
    email = SAMPLE_USERS[1]["email"]
    result = invoke(
        cli,
        "user",
        "add",
        email.upper(),
        "--name",
        "Again",
        "--password-stdin",
        input="pw-again-1\n",
    )
    line = assert_refused(result)
    assert line == f"error: a deleted user (id 2) has email {email}; restore it instead"
    assert user_count(cli) == 2  # deleted ones counted: nobody was added
    assert field_rows(cli.ok("user", "restore", email).stdout)["id"] == "2"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["--role", "root"], "role"),
        (["--role", ""], "role"),
        (["--name", ""], "name"),
        (["--name", "n" * 101], "name"),
    ],
    ids=["role-root", "role-empty", "name-empty", "name-101"],
)
@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
def test_add_refuses_bad_fields(
    cli: Cli, options: list[str], field: str, json_output: bool
) -> None:
    args = ["user", "add", "jo@example.org", "--name", "Jo", *options, "--password-stdin"]
    result = invoke(cli, *args, input="jo-password-1\n", json_output=json_output)
    line = assert_refused(result)
    assert line.startswith(f"error: {field}: ")
    assert user_count(cli) == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.org", ""])
def test_add_refuses_a_bad_email(cli: Cli, email: str) -> None:
    result = invoke(
        cli, "user", "add", email, "--name", "X", "--password-stdin", input="x-password-1\n"
    )
    assert assert_refused(result).startswith("error: email: ")
    assert user_count(cli) == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["user", "add", "kim@example.org"], "--name"),
        (["user", "add", "--name", "Kim"], "EMAIL"),
        (["user", "add", "kim@example.org", "--name", "Kim", "--password", "x"], "--password"),
        (["user", "show"], "USER"),
        (["user", "list", "--limit", "ten"], "--limit"),
        (["user", "update", "1", "--active", "yes"], "yes"),
    ],
    ids=["no-name", "no-email", "password-option", "no-user", "limit-text", "extra-arg"],
)
def test_usage_errors_exit_2_without_prompting(
    fresh_cli: Cli, db_path: Path, args: list[str], fragment: str
) -> None:
    result = invoke(fresh_cli, *args, input="never-read-1\nnever-read-1\n")
    assert fragment in assert_usage_error(result)
    assert "Password" not in result.output
    assert not db_path.exists()


# --- list ------------------------------------------------------------------------------------


def test_list_json_is_the_library_page(cli: Cli) -> None:
    seed(cli)
    shown = cli.json("user", "list")
    assert set(shown) == {"items", "total", "limit", "offset"}
    assert shown == listing(cli)
    assert [u["id"] for u in shown["items"]] == [1, 2, 3, 4]
    assert (shown["total"], shown["limit"], shown["offset"]) == (4, 20, 0)
    assert all(set(u) == USER_KEYS for u in shown["items"])
    assert "password" not in json.dumps(shown)


@pytest.mark.parametrize(
    ("options", "query", "expected_ids"),
    [
        (["--q", "EXAMPLE.NET"], {"q": "EXAMPLE.NET"}, [3]),
        (["--q", "dylan"], {"q": "dylan"}, []),
        (["--q", "grohl"], {"q": "grohl"}, [4]),
        (["--role", "admin"], {"role": "admin"}, [1]),
        (["--role", "subscriber"], {"role": "subscriber"}, [3, 4]),
        (["--active"], {"is_active": True}, [1, 3]),
        (["--inactive"], {"is_active": False}, [4]),
        (["--role", "subscriber", "--inactive"], {"role": "subscriber", "is_active": False}, [4]),
        (["--limit", "1", "--offset", "1"], {"limit": 1, "offset": 1}, [3]),
        (["--offset", "10"], {"offset": 10}, []),
        (["--trashed", "only"], {"trashed": "only"}, [2]),
        (["--trashed", "with"], {"trashed": "with"}, [1, 2, 3, 4]),
        (["--trashed", "without"], {"trashed": "without"}, [1, 3, 4]),
        (["--trashed", "with", "--q", "BOB"], {"trashed": "with", "q": "BOB"}, [2]),
    ],
)
def test_list_options_pass_through(
    cli: Cli, options: list[str], query: dict[str, Any], expected_ids: list[int]
) -> None:
    seed(cli)
    with library(cli) as core:
        core.auth.delete_user(2, actor=SYSTEM)
    shown = cli.json("user", "list", *options)
    assert shown == listing(cli, **query)
    assert [u["id"] for u in shown["items"]] == expected_ids
    assert shown["limit"] == query.get("limit", 20)
    assert shown["offset"] == query.get("offset", 0)


def test_list_human_prints_a_table_and_a_footer(cli: Cli) -> None:
    seed(cli)
    out = cli.ok("user", "list", "--limit", "2", "--offset", "1").stdout
    assert table_headers(out) == LIST_COLUMNS
    assert "bob@example.org" in out
    assert "Carol King" in out
    assert "alice@example.org" not in out
    assert "Dave" not in out
    assert out.rstrip().splitlines()[-1] == "2-3 of 4"


def test_list_human_empty(cli: Cli) -> None:
    out = cli.ok("user", "list").stdout
    assert "email" in out
    assert out.rstrip().splitlines()[-1] == "none shown of 0"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["--limit", "0"], "limit"),
        (["--limit", "101"], "limit"),
        (["--offset", "-1"], "offset"),
        (["--offset", HUGE], "offset"),
        (["--trashed", "all"], "trashed"),
        (["--role", "root"], "role"),
    ],
)
def test_list_refuses_bad_values(cli: Cli, options: list[str], field: str) -> None:
    seed(cli, SAMPLE_USERS[:1])
    assert cli.refused("user", "list", *options).startswith(f"error: {field}: ")


# --- show ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["2", "bob@example.org", "BOB@Example.ORG", " bob@example.org "])
def test_show_by_id_or_email_in_any_case(cli: Cli, ref: str) -> None:
    seed(cli)
    shown = cli.json("user", "show", ref)
    assert shown == stored(cli, 2)
    assert shown["email"] == "bob@example.org"
    rows = field_rows(cli.ok("user", "show", ref).stdout)
    assert set(rows) == USER_KEYS
    assert (rows["id"], rows["name"], rows["role"]) == ("2", "Bob Dylan", "editor")


def test_show_a_deleted_user_needs_include_deleted(cli: Cli) -> None:
    seed(cli)
    with library(cli) as core:
        core.auth.delete_user(2, actor=SYSTEM)
    assert cli.refused("user", "show", "2") == "error: user 2 not found"
    assert cli.refused("user", "show", "Bob@example.org") == "error: user Bob@example.org not found"
    shown = cli.json("user", "show", "BOB@example.org", "--include-deleted")
    assert shown == stored(cli, 2)
    assert shown["deleted_at"] is not None
    assert "bob@example.org" in cli.ok("user", "show", "2", "--include-deleted").stdout


# --- update ----------------------------------------------------------------------------------


def test_update_json_changes_only_the_given_fields(cli: Cli) -> None:
    seed(cli)
    before = stored(cli, 3)
    others = [stored(cli, i) for i in (1, 2, 4)]
    shown = cli.json(
        "user", "update", "CAROL@example.NET", "--name", " Carol K. ", "--role", "editor",
        "--no-notify",
    )  # fmt: skip
    after = stored(cli, 3)
    assert shown == after
    assert (after["name"], after["role"], after["notify_new_movies"]) == (
        "Carol K.",
        "editor",
        False,
    )
    for unchanged in ("email", "is_active", "created_at", "deleted_at"):
        assert after[unchanged] == before[unchanged]
    assert after["updated_at"] > before["updated_at"]
    assert [stored(cli, i) for i in (1, 2, 4)] == others


def test_update_human_and_the_flag_pairs(cli: Cli) -> None:
    seed(cli)
    rows = field_rows(cli.ok("user", "update", "4", "--active", "--notify").stdout)
    assert (rows["is_active"], rows["notify_new_movies"]) == ("True", "True")
    assert stored(cli, 4)["is_active"] is True
    rows = field_rows(cli.ok("user", "update", "dave@example.org", "--inactive").stdout)
    assert rows["is_active"] == "False"
    assert stored(cli, 4)["is_active"] is False
    rows = field_rows(cli.ok("user", "update", "4", "--no-notify", "--role", "admin").stdout)
    assert (rows["notify_new_movies"], rows["role"]) == ("False", "admin")
    assert (stored(cli, 4)["notify_new_movies"], stored(cli, 4)["role"]) == (False, "admin")


def test_update_with_no_option_changes_nothing(cli: Cli) -> None:
    seed(cli)
    before = stored(cli, 2)
    assert cli.json("user", "update", "2") == before
    assert stored(cli, 2) == before


def test_update_inactive_revokes_tokens(cli: Cli) -> None:
    seed(cli)
    token = login(cli, "carol@example.net", PASSWORDS["carol@example.net"]).access_token
    other = login(cli, "bob@example.org", PASSWORDS["bob@example.org"]).access_token
    with library(cli) as core:
        assert core.auth.authenticate(token).id == 3
    shown = cli.json("user", "update", "Carol@Example.net", "--inactive")
    assert shown["is_active"] is False
    assert not token_works(cli, token)
    assert not can_log_in(cli, "carol@example.net", PASSWORDS["carol@example.net"])
    assert token_works(cli, other)  # only Carol's tokens go
    cli.ok("user", "update", "3", "--active")
    assert not token_works(cli, token)  # reactivating does not bring the old token back
    assert can_log_in(cli, "carol@example.net", PASSWORDS["carol@example.net"])


@pytest.mark.parametrize(
    ("options", "field"),
    [(["--role", "root"], "role"), (["--name", ""], "name"), (["--name", "  "], "name")],
    ids=["role", "name-empty", "name-blank"],
)
def test_update_refuses_bad_fields(cli: Cli, options: list[str], field: str) -> None:
    seed(cli)
    before = stored(cli, 2)
    assert cli.refused("user", "update", "2", *options).startswith(f"error: {field}: ")
    assert stored(cli, 2) == before


def test_update_a_deleted_user_is_not_found(cli: Cli) -> None:
    seed(cli)
    with library(cli) as core:
        core.auth.delete_user(2, actor=SYSTEM)
    deleted = stored(cli, 2)
    assert cli.refused("user", "update", "2", "--name", "X") == "error: user 2 not found"
    assert stored(cli, 2) == deleted


# --- delete and restore ----------------------------------------------------------------------


def test_delete_list_trashed_restore(cli: Cli) -> None:
    seed(cli)
    token = login(cli, "bob@example.org", PASSWORDS["bob@example.org"]).access_token

    out = cli.ok("user", "delete", "BOB@EXAMPLE.ORG").stdout
    assert out == "Deleted user 2 (bob@example.org).\n"
    assert stored(cli, 2)["deleted_at"] is not None
    with library(cli) as core, pytest.raises(NotFoundError):
        core.auth.get_user(2, actor=SYSTEM)
    assert not token_works(cli, token)
    assert not can_log_in(cli, "bob@example.org", PASSWORDS["bob@example.org"])

    listed = cli.json("user", "list")
    assert [u["id"] for u in listed["items"]] == [1, 3, 4]
    assert "bob@example.org" not in cli.ok("user", "list").stdout
    trashed = cli.json("user", "list", "--trashed", "only")
    assert [u["id"] for u in trashed["items"]] == [2]
    assert trashed["items"][0] == stored(cli, 2)
    assert "bob@example.org" in cli.ok("user", "list", "--trashed", "only").stdout

    restored = cli.json("user", "restore", "Bob@Example.org")
    assert restored == stored(cli, 2)
    assert restored["deleted_at"] is None
    assert [u["id"] for u in cli.json("user", "list")["items"]] == [1, 2, 3, 4]
    assert cli.json("user", "list", "--trashed", "only")["items"] == []
    assert not token_works(cli, token)  # restoring does not bring the old token back
    assert can_log_in(cli, "bob@example.org", PASSWORDS["bob@example.org"])


def test_delete_json_prints_nothing(cli: Cli) -> None:
    seed(cli)
    assert cli.ok("user", "delete", "3", json_output=True).stdout == ""
    assert stored(cli, 3)["deleted_at"] is not None
    assert [u["id"] for u in listing(cli)["items"]] == [1, 2, 4]


def test_delete_twice_is_not_found(cli: Cli) -> None:
    seed(cli)
    cli.ok("user", "delete", "3")
    deleted = stored(cli, 3)
    assert cli.refused("user", "delete", "3") == "error: user 3 not found"
    line = cli.refused("user", "delete", "carol@example.net")
    assert line == "error: user carol@example.net not found"
    assert stored(cli, 3) == deleted


def test_restore_human_by_id(cli: Cli) -> None:
    seed(cli)
    cli.ok("user", "delete", "1")
    rows = field_rows(cli.ok("user", "restore", "1").stdout)
    assert set(rows) == USER_KEYS
    assert (rows["email"], rows["deleted_at"]) == ("alice@example.org", "-")
    assert stored(cli, 1)["deleted_at"] is None


def test_restore_a_user_that_is_not_deleted_changes_nothing(cli: Cli) -> None:
    seed(cli)
    before = stored(cli, 1)
    assert cli.json("user", "restore", "alice@example.org") == before
    assert stored(cli, 1) == before


# --- set-password ----------------------------------------------------------------------------


def test_set_password_from_stdin(cli: Cli) -> None:
    seed(cli)
    old, new = PASSWORDS["carol@example.net"], "carol-new-password-9"
    token = login(cli, "carol@example.net", old).access_token
    old_hash = password_hash(cli, 3)
    result = invoke(
        cli, "user", "set-password", "CAROL@example.net", "--password-stdin", input=new + "\n"
    )
    assert succeeded(result).stdout == "Password of user 3 (carol@example.net) changed.\n"
    assert new not in result.output
    new_hash = password_hash(cli, 3)
    assert new_hash != old_hash
    assert new_hash.startswith(PRODUCTION_PREFIX)
    assert not token_works(cli, token)
    assert not can_log_in(cli, "carol@example.net", old)
    assert can_log_in(cli, "carol@example.net", new)
    assert can_log_in(cli, "alice@example.org", PASSWORDS["alice@example.org"])  # others keep


def test_set_password_with_the_prompt_json_prints_nothing_but_prompts(cli: Cli) -> None:
    seed(cli)
    new = "bob-new-password-8"
    result = succeeded(invoke(cli, "user", "set-password", "2", input=f"{new}\n{new}\n"))
    assert result.stderr.count("Repeat for confirmation:") == 1
    assert "changed" in result.stdout
    json_result = succeeded(
        invoke(
            cli,
            "user",
            "set-password",
            "bob@example.org",
            "--password-stdin",
            input=new + "-x\n",
            json_output=True,
        )
    )
    assert json_result.stdout == ""  # like the REST 204: no body
    assert can_log_in(cli, "bob@example.org", new + "-x")


@pytest.mark.parametrize(
    "password",
    ["seven77", "", "x" * 257, "carol@example.net", "  CAROL@example.NET  "],
    ids=["7-chars", "empty", "257-chars", "email", "email-any-case"],
)
def test_set_password_refuses_a_password_that_breaks_the_rules(cli: Cli, password: str) -> None:
    seed(cli, SAMPLE_USERS[2:3])
    before_hash = password_hash(cli, 1)
    token = login(cli, "carol@example.net", PASSWORDS["carol@example.net"]).access_token
    result = invoke(cli, "user", "set-password", "1", "--password-stdin", input=password + "\n")
    line = assert_refused(result)
    assert line.startswith("error: password: ")
    assert password_hash(cli, 1) == before_hash
    assert token_works(cli, token)


def test_set_password_of_a_deleted_user_is_not_found(cli: Cli) -> None:
    seed(cli)
    cli.ok("user", "delete", "2")
    before_hash = password_hash(cli, 2)
    result = invoke(cli, "user", "set-password", "2", "--password-stdin", input="whatever-pw-1\n")
    assert assert_refused(result) == "error: user 2 not found"
    assert password_hash(cli, 2) == before_hash


# --- unknown users ---------------------------------------------------------------------------

COMMANDS_ON_A_USER = [
    pytest.param(["show"], id="show"),
    pytest.param(["update", "--name", "X"], id="update"),
    pytest.param(["delete"], id="delete"),
    pytest.param(["restore"], id="restore"),
    pytest.param(["set-password", "--password-stdin"], id="set-password"),
]


@pytest.mark.parametrize("json_output", [False, True], ids=["human", "json"])
@pytest.mark.parametrize("ref", ["99", "nobody@example.org"])
@pytest.mark.parametrize("command", COMMANDS_ON_A_USER)
def test_an_unknown_user_is_refused(
    cli: Cli, command: list[str], ref: str, json_output: bool
) -> None:
    seed(cli, SAMPLE_USERS[:1])
    before = stored(cli, 1)
    result = invoke(
        cli,
        "user",
        command[0],
        ref,
        *command[1:],
        input="unused-password-1\n",
        json_output=json_output,
    )
    assert assert_refused(result) == f"error: user {ref} not found"
    assert stored(cli, 1) == before


@pytest.mark.parametrize("ref", ["0", "", HUGE, "²"], ids=["0", "empty", "huge", "superscript-2"])
def test_refs_no_user_can_have_are_not_found(cli: Cli, ref: str) -> None:
    """Ids beyond any database integer (and digits ``int()`` rejects) are just unknown."""
    seed(cli, SAMPLE_USERS[:1])
    line = assert_refused(invoke(cli, "user", "show", ref))
    assert line.endswith("not found")
    assert assert_refused(invoke(cli, "user", "update", ref, "--name", "X")).endswith("not found")
    assert stored(cli, 1)["name"] == "Alice Liddell"
