"""Login lockout (SPEC §3.1) on every storage backend.

After 5 failed logins for one email within 15 minutes, further attempts for it are refused with
``TooManyAttemptsError`` (carrying the seconds to wait), even with the right password, until the
oldest of those failures has left the window. The count is per (normalised) email, unknown emails
included, is cleared by a successful login, and lives in the storage, so that every process
sharing a database shares it. The clock crosses each edge of the window exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streamcore import Settings, StreamCore, StreamcoreError, TooManyAttemptsError
from streamcore.auth.errors import InvalidCredentialsError
from streamcore.auth.models import Credentials, Registration
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"
EMAIL = "ann@example.org"
WINDOW = timedelta(minutes=15)
SECOND = timedelta(seconds=1)


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty database that two cores can share."""
    if request.param == "sqlite":
        return sqlite_url
    from tests.conftest import empty_postgres

    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


def register(core: StreamCore, email: str = EMAIL) -> None:
    core.auth.register(Registration(email=email, password=PASSWORD, name="Someone"))


def attempt(core: StreamCore, email: str = EMAIL, password: str = PASSWORD) -> str:
    """``"ok"``, ``"invalid"`` or ``"locked <retry_after>"``."""
    try:
        core.auth.login(Credentials(email=email, password=password))
    except TooManyAttemptsError as exc:
        return f"locked {exc.retry_after}"
    except InvalidCredentialsError:
        return "invalid"
    return "ok"


def fail_at_each_minute(core: StreamCore, clock: FakeClock, times: int, email: str = EMAIL) -> None:
    """``times`` failed logins, one a minute; the clock ends at the last one."""
    for n in range(times):
        if n:
            clock.advance(minutes=1)
        assert attempt(core, email, WRONG) == "invalid"


def test_five_failures_lock_the_email_even_for_the_right_password(
    core: StreamCore, clock: FakeClock
) -> None:
    register(core)
    fail_at_each_minute(core, clock, 5)  # t0 .. t0+4min

    with pytest.raises(TooManyAttemptsError) as locked:
        core.auth.login(Credentials(email=EMAIL, password=PASSWORD))

    # Open again when the failure at t0 leaves the window: at t0+15min, 11 minutes from now.
    assert locked.value.retry_after == 11 * 60
    assert isinstance(locked.value, StreamcoreError)
    assert locked.value.code == "too_many_attempts"
    assert attempt(core, EMAIL, WRONG) == "locked 660"
    clock.advance(minutes=5, seconds=29, microseconds=500_000)
    assert attempt(core) == "locked 331"  # 330.5 seconds to go, rounded up


def test_four_failures_do_not_lock(core: StreamCore, clock: FakeClock) -> None:
    register(core)
    fail_at_each_minute(core, clock, 4)
    assert attempt(core) == "ok"


def test_still_locked_one_second_before_the_oldest_failure_leaves(
    core: StreamCore, clock: FakeClock
) -> None:
    register(core)
    t0 = clock.now
    fail_at_each_minute(core, clock, 5)

    clock.now = t0 + WINDOW - SECOND
    assert attempt(core) == "locked 1"
    clock.now = t0 + WINDOW - timedelta(microseconds=1)
    assert attempt(core) == "locked 1"  # rounded up: never "retry in 0 seconds"


def test_open_again_when_the_oldest_failure_leaves_the_window(
    core: StreamCore, clock: FakeClock
) -> None:
    register(core)
    t0 = clock.now
    fail_at_each_minute(core, clock, 5)

    clock.now = t0 + WINDOW  # retry_after said: 1 second before this
    assert attempt(core) == "ok"


def test_the_window_slides(core: StreamCore, clock: FakeClock) -> None:
    register(core)
    t0 = clock.now
    fail_at_each_minute(core, clock, 5)  # t0 .. t0+4min

    clock.now = t0 + WINDOW + SECOND  # only t0+1min .. t0+4min are within the window
    assert attempt(core, EMAIL, WRONG) == "invalid"
    # Five again: open when t0+1min leaves, at t0+16min, 59 seconds from now.
    assert attempt(core) == "locked 59"


def test_refused_attempts_do_not_extend_the_lock(core: StreamCore, clock: FakeClock) -> None:
    register(core)
    t0 = clock.now
    fail_at_each_minute(core, clock, 5)
    clock.advance(minutes=1)
    assert [attempt(core, EMAIL, WRONG) for _ in range(10)] == ["locked 600"] * 10

    clock.now = t0 + WINDOW + SECOND
    assert attempt(core) == "ok"


def test_a_successful_login_clears_the_count(core: StreamCore, clock: FakeClock) -> None:
    register(core)
    fail_at_each_minute(core, clock, 4)
    assert attempt(core) == "ok"

    fail_at_each_minute(core, clock, 4)  # eight failures within the window, four since
    assert attempt(core) == "ok"


def test_failures_of_another_email_do_not_count(core: StreamCore, clock: FakeClock) -> None:
    register(core, EMAIL)
    register(core, "bob@example.org")
    fail_at_each_minute(core, clock, 5, "bob@example.org")
    fail_at_each_minute(core, clock, 5, "nobody@example.org")

    assert attempt(core, EMAIL) == "ok"
    assert attempt(core, "bob@example.org").startswith("locked")


def test_unknown_emails_lock_too(core: StreamCore, clock: FakeClock) -> None:
    fail_at_each_minute(core, clock, 5, "ghost@example.org")
    assert attempt(core, "ghost@example.org", WRONG) == "locked 660"
    assert attempt(core, "other-ghost@example.org", WRONG) == "invalid"


def test_the_count_is_per_normalised_email(core: StreamCore) -> None:
    register(core)
    for email in ["ann@example.org", "ANN@example.org", " Ann@Example.ORG", "aNN@example.org "]:
        assert attempt(core, email, WRONG) == "invalid"
    assert attempt(core, "ann@EXAMPLE.org", WRONG) == "invalid"  # the fifth
    assert attempt(core, EMAIL) == "locked 900"


def test_purge_forgets_failures_that_left_the_window(core: StreamCore, clock: FakeClock) -> None:
    register(core)
    t0 = clock.now
    fail_at_each_minute(core, clock, 3)  # t0 .. t0+2min
    clock.now = t0 + WINDOW + timedelta(minutes=1, seconds=30)  # t0, t0+1min have left

    core.auth.purge_expired()

    with core.storage.unit_of_work(readonly=True) as uow:
        kept = uow.login_attempts.recent_failures(EMAIL, datetime.min.replace(tzinfo=UTC), 100)
    assert kept == [t0 + timedelta(minutes=2)]


def test_two_cores_on_one_database_share_the_count(
    sql_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    settings = Settings(database_url=sql_url, media_root=tmp_path / "media")
    hasher = Argon2Hasher(CHEAPEST)
    with (
        StreamCore.open(settings, clock=clock, hasher=hasher) as first,
        StreamCore.open(settings, clock=clock, hasher=hasher) as second,
    ):
        register(first)
        fail_at_each_minute(first, clock, 3)
        clock.advance(minutes=1)
        fail_at_each_minute(second, clock, 2)  # t0+3min, t0+4min

        assert attempt(first) == "locked 660"
        assert attempt(second) == "locked 660"
