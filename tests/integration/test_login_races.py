"""Logins racing each other and racing account changes (SPEC §2, §3.1), on the SQL backends.

Each race starts its calls at one instant in real threads (each unit of work on its own
connection) and is repeated on fresh users. The stored hashes are made with cheaper argon2
parameters than the racing core's, so every successful login also re-hashes: the case where a
login's late write used to bring an old password back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from streamcore import StreamCore, TooManyAttemptsError
from streamcore.auth.errors import InvalidCredentialsError, InvalidTokenError
from streamcore.auth.models import Credentials, PasswordChange, UserCreate, UserPatch
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher, Argon2Parameters
from streamcore.auth.permissions import SYSTEM
from streamcore.auth.service import MAX_FAILED_LOGINS
from tests.integration.races import run_together

ROUNDS = 12
OLD, NEW = "correct horse battery", "a brand new horse"
NEW_PASSWORD = PasswordChange(password=NEW)
# Cheap enough for tests, and not CHEAPEST: a hash made with CHEAPEST needs a re-hash here.
RACING = Argon2Parameters(time_cost=2, memory_cost_kib=4096, parallelism=1)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    from tests.conftest import empty_postgres

    postgres: str = request.getfixturevalue("postgres_url")
    empty_postgres(postgres)
    return postgres


@pytest.fixture
def cores(url: str) -> Iterator[tuple[StreamCore, StreamCore]]:
    """A core that stores cheap hashes, and the racing core whose logins re-hash them."""
    with (
        StreamCore.open(url, hasher=Argon2Hasher(CHEAPEST)) as old,
        StreamCore.open(url, hasher=Argon2Hasher(RACING)) as racing,
    ):
        yield old, racing


def make_user(core: StreamCore, name: str) -> Any:
    data = UserCreate(email=f"{name}@example.org", password=OLD, name=name)
    return core.auth.create_user(data, actor=SYSTEM)


def login(core: StreamCore, email: str, password: str) -> Any:
    return core.auth.login(Credentials(email=email, password=password))


def outcome(core: StreamCore, email: str, password: str) -> str:
    try:
        login(core, email, password)
    except InvalidCredentialsError:
        return "wrong"
    except TooManyAttemptsError:
        return "locked"
    return "ok"


def still_valid(core: StreamCore, result: Any) -> bool:
    """Whether a login's token (if the login issued one) still authenticates."""
    if isinstance(result, Exception):
        assert isinstance(result, InvalidCredentialsError), result
        return False
    try:
        core.auth.authenticate(result.access_token)
    except InvalidTokenError:
        return False
    return True


def test_simultaneous_wrong_logins_never_answer_more_than_the_limit(url: str) -> None:
    with StreamCore.open(url, hasher=Argon2Hasher(CHEAPEST)) as core:
        results = run_together(
            [lambda: outcome(core, "nobody@example.org", "guess-123") for _ in range(12)]
        )
    assert sorted(results) == ["locked"] * (12 - MAX_FAILED_LOGINS) + ["wrong"] * MAX_FAILED_LOGINS


def test_simultaneous_right_logins_all_succeed(cores: tuple[StreamCore, StreamCore]) -> None:
    old, racing = cores
    make_user(old, "ann")
    results = run_together([lambda: login(racing, "ann@example.org", OLD) for _ in range(8)])
    assert [type(r).__name__ for r in results] == ["LoginResult"] * 8
    assert len({r.access_token for r in results}) == 8
    assert all(still_valid(racing, r) for r in results)
    assert outcome(racing, "ann@example.org", OLD) == "ok"  # the re-hash kept the password


def test_five_simultaneous_wrong_logins_still_lock(cores: tuple[StreamCore, StreamCore]) -> None:
    old, racing = cores
    make_user(old, "ann")
    wrong = run_together(
        [lambda: outcome(racing, "ann@example.org", "wrong-123") for _ in range(5)]
    )
    assert wrong == ["wrong"] * 5
    assert outcome(racing, "ann@example.org", OLD) == "locked"


def test_a_password_change_racing_a_login_leaves_only_the_new_password(
    cores: tuple[StreamCore, StreamCore],
) -> None:
    old, racing = cores
    for n in range(ROUNDS):
        user = make_user(old, f"u{n}")
        logged_in, _ = run_together(
            [
                lambda u=user: login(racing, u.email, OLD),
                lambda u=user: racing.auth.set_password(u.id, NEW_PASSWORD, actor=SYSTEM),
            ]
        )
        assert not still_valid(racing, logged_in), f"round {n}: the old password's token lives"
        assert outcome(racing, user.email, OLD) == "wrong", f"round {n}: the old password works"
        assert outcome(racing, user.email, NEW) == "ok", f"round {n}"


ACCOUNT_CHANGES = {
    "deactivate": (
        lambda core, i: core.auth.update_user(i, UserPatch(is_active=False), actor=SYSTEM),
        lambda core, i: core.auth.update_user(i, UserPatch(is_active=True), actor=SYSTEM),
    ),
    "delete": (
        lambda core, i: core.auth.delete_user(i, actor=SYSTEM),
        lambda core, i: core.auth.restore_user(i, actor=SYSTEM),
    ),
}


@pytest.mark.parametrize("change", list(ACCOUNT_CHANGES))
def test_an_account_closed_during_a_login_gets_no_token(
    cores: tuple[StreamCore, StreamCore], change: str
) -> None:
    old, racing = cores
    closing, reopening = ACCOUNT_CHANGES[change]
    for n in range(ROUNDS):
        user = make_user(old, f"u{n}")
        logged_in, _ = run_together(
            [lambda u=user: login(racing, u.email, OLD), lambda u=user: closing(racing, u.id)]
        )
        reopening(racing, user.id)
        assert not still_valid(racing, logged_in), f"round {n}: the token came back to life"
        assert outcome(racing, user.email, OLD) == "ok"  # the account itself works again
