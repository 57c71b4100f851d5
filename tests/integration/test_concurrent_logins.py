"""Attempts in flight at once cannot get past the lockout limit, on the SQL backends."""

from __future__ import annotations

import threading

import pytest

from streamcore import StreamCore, TooManyAttemptsError
from streamcore.auth.errors import InvalidCredentialsError
from streamcore.auth.models import Credentials
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from streamcore.auth.service import MAX_FAILED_LOGINS


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    from tests.conftest import empty_postgres

    postgres: str = request.getfixturevalue("postgres_url")
    empty_postgres(postgres)
    return postgres


def test_simultaneous_wrong_logins_are_counted_before_they_are_verified(url: str) -> None:
    attempts = 12
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()
    StreamCore.open(url).close()  # migrate a new SQLite file once, before the race

    def attempt() -> None:
        with StreamCore.open(url, hasher=Argon2Hasher(CHEAPEST)) as core:
            barrier.wait()
            try:
                core.auth.login(Credentials(email="nobody@example.org", password="guess-123"))
                outcome = "logged in"
            except InvalidCredentialsError:
                outcome = "wrong"
            except TooManyAttemptsError:
                outcome = "locked"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert (
        sorted(outcomes)
        == ["locked"] * (attempts - MAX_FAILED_LOGINS) + ["wrong"] * MAX_FAILED_LOGINS
    )
