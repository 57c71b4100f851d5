"""No password, password hash or bearer token ever shows up in CLI output or in a log record.

SPEC 3.1: "No password or hash ever leaves the core: not in a model returned, a log line or an
error." Every ``streamcore user`` command runs in-process with every logger at DEBUG,
SQLAlchemy's engine logger included (it logs statements, bound parameters and result rows at
that level), while users log in through the library in the same test. Then every stdout, every
stderr and every log record (message and args) is searched for each secret.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field

import pytest
from typer.testing import Result

from streamcore import StreamCore
from streamcore.auth.models import Credentials
from streamcore.cli import app
from streamcore.errors import NotAuthenticatedError
from tests.cli.conftest import Cli, assert_no_traceback

ALICE = "alice@example.org"
BOB = "bob@example.org"
PW_ALICE = "Quokka-Zeppelin-7301"
PW_BOB = "Narwhal-Obsidian-4412"
PW_TYPO = "Narwhal-Obsidian-TYPO"  # the mistyped confirmation of the prompt
PW_ALICE_NEW = "Axolotl-Tungsten-9925"
PW_BOB_NEW = "Pangolin-Cobalt-5518"
PW_REFUSED = "Ibis-7x"  # too short: refused

LOGGERS = ("", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "streamcore", "alembic")


@dataclass
class Watch:
    """Everything the test saw, and every secret it must not have seen."""

    cli: Cli
    caplog: pytest.LogCaptureFixture
    secrets: dict[str, str] = field(default_factory=dict)
    outputs: list[tuple[str, Result]] = field(default_factory=list)
    phase: str = "start"
    phases: list[tuple[str, int]] = field(default_factory=list)

    def enter(self, phase: str) -> None:
        """Later records belong to ``phase`` (shown when one of them leaks)."""
        self.phase = phase
        self.phases.append((phase, len(self.caplog.records)))

    def run(self, *args: object, input: str | None = None, json_output: bool = False) -> Result:
        """One CLI command; it must succeed."""
        label = " ".join(["--json"] * json_output + [str(a) for a in args])
        self.enter(f"cli: {label}")
        argv = ["--database-url", self.cli.url, *(["--json"] * json_output)]
        result = self.cli.runner.invoke(app, [*argv, *map(str, args)], input=input)
        assert_no_traceback(result)
        assert result.exit_code == 0, (label, result.stdout, result.stderr)
        self.outputs.append((label, result))
        self.remember_hashes()
        return result

    def refused(self, *args: object, input: str | None = None) -> Result:
        """One CLI command that must be refused (exit 1)."""
        label = " ".join(str(a) for a in args)
        self.enter(f"cli: {label}")
        argv = ["--database-url", self.cli.url]
        result = self.cli.runner.invoke(app, [*argv, *map(str, args)], input=input)
        assert_no_traceback(result)
        assert result.exit_code == 1, (label, result.stdout, result.stderr)
        self.outputs.append((label, result))
        return result

    def login(self, email: str, password: str) -> str:
        """Log in through the library (production hasher, like a server); returns the token."""
        self.enter(f"library: login {email}")
        with StreamCore.open(self.cli.url) as core:
            token = core.auth.login(Credentials(email=email, password=password)).access_token
            assert core.auth.authenticate(token).email == email
        self.secrets[f"bearer token of {email}"] = token
        self.secrets[f"stored digest of {email}'s token"] = hashlib.sha256(
            token.encode()
        ).hexdigest()
        self.remember_hashes()
        return token

    def remember_hashes(self) -> None:
        """Every argon2 hash the database held at any point, and its salt and digest parts."""
        path = self.cli.url.removeprefix("sqlite:///")
        with closing(sqlite3.connect(path)) as conn:
            rows = conn.execute("SELECT email, password_hash FROM users").fetchall()
        for email, stored in rows:
            assert stored.startswith("$argon2id$"), stored
            salt, digest = stored.split("$")[-2:]
            self.secrets[f"hash of {email} (salt {salt})"] = stored
            self.secrets[f"salt of a hash of {email} ({salt})"] = salt
            self.secrets[f"digest of a hash of {email} (salt {salt})"] = digest

    def leaks(self) -> tuple[list[str], list[str]]:
        """(leaks in CLI output and records of CLI phases, leaks in library phases)."""
        assert self.secrets, "nothing to look for"
        cli_leaks: list[str] = []
        for label, result in self.outputs:
            texts = {
                "stdout": result.stdout,
                "stderr": result.stderr,
                "exception": repr(result.exception),
            }
            for where, text in texts.items():
                cli_leaks += [f"{name} in {where} of `{label}`" for name in self.found(text)]
        library_leaks: list[str] = []
        bounds = [*self.phases, ("end", len(self.caplog.records))]
        for (phase, start), (_, end) in itertools.pairwise(bounds):
            for record in self.caplog.records[start:end]:
                text = "\n".join(
                    [record.getMessage(), repr(record.args), str(record.msg), record.exc_text or ""]
                )
                found = [
                    f"{name} in a {record.levelname} record of {record.name} during `{phase}`: "
                    f"{record.getMessage()[:160]!r}"
                    for name in self.found(text)
                ]
                (cli_leaks if phase.startswith("cli:") else library_leaks).extend(found)
        return cli_leaks, library_leaks

    def found(self, text: str) -> list[str]:
        return [name for name, secret in self.secrets.items() if secret in text]


@contextmanager
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every logger at DEBUG, SQLAlchemy's engine too, captured by ``caplog``."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    logging.getLogger().setLevel(logging.DEBUG)  # caplog restores the root level afterwards
    assert logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.DEBUG)
    yield


def test_user_commands_never_show_or_log_a_secret(
    cli: Cli, caplog: pytest.LogCaptureFixture
) -> None:
    watch = Watch(cli, caplog)
    watch.secrets.update(
        {
            "Alice's password": PW_ALICE,
            "Bob's password": PW_BOB,
            "a mistyped confirmation": PW_TYPO,
            "Alice's new password": PW_ALICE_NEW,
            "Bob's new password": PW_BOB_NEW,
            "a refused password": PW_REFUSED,
        }
    )
    with everything_logged(caplog):
        # add: from stdin, and from the prompt (with one mistyped confirmation)
        added = watch.run(
            "user", "add", ALICE, "--name", "Alice", "--role", "admin", "--password-stdin",
            input=PW_ALICE + "\n", json_output=True,
        )  # fmt: skip
        assert json.loads(added.stdout)["email"] == ALICE
        watch.run(
            "user", "add", BOB, "--name", "Bob", input=f"{PW_BOB}\n{PW_TYPO}\n{PW_BOB}\n{PW_BOB}\n"
        )

        # tokens issued through the library, then every command while they are live
        token_alice = watch.login(ALICE, PW_ALICE)
        watch.login(BOB, PW_BOB)
        for json_output in (False, True):
            watch.run("user", "list", json_output=json_output)
            watch.run("user", "list", "--q", "example", "--active", json_output=json_output)
            watch.run("user", "show", "ALICE@example.org", json_output=json_output)
            watch.run("user", "show", "2", json_output=json_output)
        watch.run("user", "update", ALICE, "--name", "Alice L.", "--no-notify")
        watch.run("user", "update", "1", "--role", "editor", "--notify", json_output=True)
        watch.refused(
            "user", "add", "carol@example.org", "--name", "Carol", "--password-stdin",
            input=f"{PW_REFUSED}\n",
        )  # fmt: skip
        watch.refused("user", "set-password", BOB, "--password-stdin", input=BOB.upper() + "\n")

        # delete and restore: human and JSON
        watch.run("user", "delete", BOB)
        watch.run("user", "list", "--trashed", "only", json_output=True)
        watch.run("user", "show", BOB, "--include-deleted")
        watch.run("user", "restore", BOB)
        watch.run("user", "delete", "2", json_output=True)
        watch.run("user", "restore", "2", json_output=True)

        # set-password: from stdin and from the prompt
        watch.run("user", "set-password", ALICE, "--password-stdin", input=PW_ALICE_NEW + "\n")
        token_alice_new = watch.login(ALICE, PW_ALICE_NEW)
        watch.run("user", "set-password", "2", input=f"{PW_BOB_NEW}\n{PW_BOB_NEW}\n")
        token_bob_new = watch.login(BOB, PW_BOB_NEW)
        watch.run("user", "update", "2", "--inactive", json_output=True)
        watch.run("user", "update", "2", "--active")
        watch.run("user", "show", "1", json_output=True)
        watch.enter("end of the scenario")

    # the scenario really ran, and the SQL it ran really was logged
    with StreamCore.open(cli.url) as core:
        assert core.auth.authenticate(token_alice_new).email == ALICE
        for revoked in (token_alice, token_bob_new):  # by set-password, by --inactive
            with pytest.raises(NotAuthenticatedError):
                core.auth.authenticate(revoked)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    for statement in ("INSERT INTO users", "UPDATE users", "DELETE FROM tokens", "SELECT"):
        assert any(statement in m for m in messages), statement
    # result logging was on (column lists are logged), but rows, which may hold a hash, are not
    assert any(m.startswith("Col ") for m in messages), "result logging was not on"
    assert not any(m.startswith("Row ") for m in messages)
    assert len(watch.outputs) > 20

    cli_leaks, library_leaks = watch.leaks()
    assert cli_leaks == [], "\n".join(cli_leaks)
    assert library_leaks == [], "\n".join(library_leaks)
