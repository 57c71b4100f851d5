"""Login, bearer tokens and password re-hashing (SPEC §3.1) on every storage backend.

A login issues an opaque bearer token of at least 256 random bits; only its SHA-256 digest is
stored. A token expires after the token lifetime (``Settings.token_ttl``) and is revoked by
logout, a password change, deactivation and deletion. Expired tokens are cleaned up. A hash made
with older argon2id parameters is re-hashed on the next successful login; a login for an unknown
email spends one verify on a dummy hash.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import string
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streamcore import NotAuthenticatedError, Settings, StreamCore
from streamcore.auth.errors import InvalidCredentialsError, InvalidTokenError
from streamcore.auth.models import (
    Credentials,
    LoginResult,
    PasswordChange,
    ProfilePatch,
    Registration,
    User,
    UserPatch,
)
from streamcore.auth.passwords import CHEAPEST, Argon2Hasher, Argon2Parameters
from streamcore.auth.permissions import SYSTEM
from streamcore.auth.service import token_digest
from streamcore.storage.memory import MemoryStorage
from streamcore.storage.sql.schema import metadata, tokens
from streamcore.storage.sql.storage import SqlStorage
from tests.conftest import FakeClock

PASSWORD = "correct horse battery"
NEW_PASSWORD = "new staple battery"
DAY = timedelta(seconds=86400)
CHEAP_B = Argon2Parameters(time_cost=2, memory_cost_kib=16, parallelism=1)
URLSAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty database that two cores can share."""
    if request.param == "sqlite":
        return sqlite_url
    from tests.conftest import empty_postgres

    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


def open_core(
    url: str,
    clock: FakeClock,
    tmp_path: Path,
    *,
    parameters: Argon2Parameters = CHEAPEST,
    hasher: Argon2Hasher | None = None,
    token_ttl: int = 86400,
) -> StreamCore:
    settings = Settings(database_url=url, media_root=tmp_path / "media", token_ttl=token_ttl)
    return StreamCore.open(settings, clock=clock, hasher=hasher or Argon2Hasher(parameters))


def register(core: StreamCore, email: str = "ann@example.org") -> User:
    return core.auth.register(Registration(email=email, password=PASSWORD, name="Someone"))


def login(core: StreamCore, email: str = "ann@example.org", password: str = PASSWORD) -> str:
    return core.auth.login(Credentials(email=email, password=password)).access_token


def valid(core: StreamCore, token: str) -> bool:
    try:
        core.auth.authenticate(token)
    except InvalidTokenError:
        return False
    return True


def stored_tokens(core: StreamCore) -> dict[str, int]:
    """The stored token rows, read straight from the backend: digest -> user id."""
    storage = core.storage
    if isinstance(storage, MemoryStorage):
        return {digest: row.user_id for digest, row in storage.tables.auth.tokens.items()}
    assert isinstance(storage, SqlStorage)
    with storage.engine.connect() as conn:
        rows = conn.execute(sa.select(tokens.c.digest, tokens.c.user_id)).all()
    return {row.digest: row.user_id for row in rows}


def everything_stored(core: StreamCore) -> str:
    """Every stored row of every table, as text."""
    storage = core.storage
    if isinstance(storage, MemoryStorage):
        return repr(storage.tables)
    assert isinstance(storage, SqlStorage)
    with storage.engine.connect() as conn:
        rows = [list(conn.execute(sa.select(table))) for table in metadata.sorted_tables]
    return repr(rows)


def stored_hash(core: StreamCore, user_id: int) -> str:
    with core.storage.unit_of_work(readonly=True) as uow:
        stored = uow.users.password_hash(user_id)
    assert stored is not None
    return stored


# --- login ----------------------------------------------------------------------------------------


def test_login_issues_a_bearer_token_for_the_token_lifetime(
    core: StreamCore, clock: FakeClock
) -> None:
    ann = register(core)

    result = core.auth.login(Credentials(email="  ANN@Example.org ", password=PASSWORD))

    assert isinstance(result, LoginResult)
    assert result.token_type == "bearer"
    assert result.user == ann
    assert result.expires_at == clock.now + DAY  # the default token lifetime
    assert core.auth.authenticate(result.access_token) == ann


def test_tokens_carry_at_least_256_random_bits(core: StreamCore) -> None:
    register(core)
    issued = [login(core) for _ in range(5)]

    assert len(set(issued)) == 5
    assert all(len(t) >= 43 and set(t) <= URLSAFE for t in issued)
    raw = [base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in issued]
    assert all(len(r) * 8 >= 256 for r in raw)
    assert all(valid(core, t) for t in issued)


def test_only_the_sha256_digest_of_a_token_is_stored(core: StreamCore) -> None:
    ann = register(core)
    issued = [login(core), login(core)]

    digests = {hashlib.sha256(t.encode()).hexdigest() for t in issued}
    assert digests == {token_digest(t) for t in issued}
    assert stored_tokens(core) == dict.fromkeys(digests, ann.id)
    dump = everything_stored(core)
    assert all(digest in dump for digest in digests)  # the dump does show stored values
    assert [t for t in issued if t in dump] == []


def test_a_stored_digest_is_not_a_token(core: StreamCore) -> None:
    register(core)
    token = login(core)
    with pytest.raises(InvalidTokenError):
        core.auth.authenticate(token_digest(token))


@pytest.mark.parametrize("token", ["", "x", "a" * 43, "not a token at all", "Bearer xyz"], ids=repr)
def test_authenticate_refuses_tokens_it_never_issued(core: StreamCore, token: str) -> None:
    register(core)
    login(core)
    with pytest.raises(InvalidTokenError) as error:
        core.auth.authenticate(token)
    assert isinstance(error.value, NotAuthenticatedError)


def test_a_failed_login_does_not_say_why(core: StreamCore) -> None:
    register(core, "ann@example.org")
    register(core, "off@example.org")
    register(core, "gone@example.org")
    core.auth.update_user(2, UserPatch(is_active=False), actor=SYSTEM)
    core.auth.delete_user(3, actor=SYSTEM)
    attempts = {
        "wrong password": ("ann@example.org", "wrong horse battery"),
        "password in another case": ("ann@example.org", PASSWORD.upper()),
        "empty password": ("ann@example.org", ""),
        "unknown email": ("nobody@example.org", PASSWORD),
        "inactive user": ("off@example.org", PASSWORD),
        "deleted user": ("gone@example.org", PASSWORD),
    }

    messages = {}
    for case, (email, password) in attempts.items():
        with pytest.raises(InvalidCredentialsError) as error:
            login(core, email, password)
        messages[case] = str(error.value)

    assert messages == dict.fromkeys(attempts, "invalid email or password")
    assert stored_tokens(core) == {}
    assert valid(core, login(core))  # the right password still works


def test_a_password_is_taken_as_typed(core: StreamCore) -> None:
    padded = "  padded password  "
    core.auth.register(Registration(email="pad@example.org", password=padded, name="Pad"))
    with pytest.raises(InvalidCredentialsError):
        login(core, "pad@example.org", padded.strip())
    assert valid(core, login(core, "pad@example.org", padded))


# --- expiry ---------------------------------------------------------------------------------------


@pytest.fixture
def short_lived(database_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[StreamCore]:
    """A core on each backend whose tokens live 10 minutes."""
    with open_core(database_url, clock, tmp_path, token_ttl=600) as opened:
        yield opened


def test_a_token_expires_after_the_configured_lifetime(
    short_lived: StreamCore, clock: FakeClock
) -> None:
    core = short_lived
    ann = register(core)
    issued_at = clock.now
    result = core.auth.login(Credentials(email="ann@example.org", password=PASSWORD))
    assert result.expires_at == issued_at + timedelta(seconds=600)

    clock.now = result.expires_at - timedelta(microseconds=1)
    assert core.auth.authenticate(result.access_token) == ann

    clock.now = result.expires_at
    with pytest.raises(InvalidTokenError):
        core.auth.authenticate(result.access_token)
    with pytest.raises(InvalidTokenError):
        core.auth.logout(result.access_token)


def test_login_deletes_expired_tokens(core: StreamCore, clock: FakeClock) -> None:
    ann, bob, cat = (register(core, f"{n}@example.org") for n in ("ann", "bob", "cat"))
    ann_token = login(core, "ann@example.org")
    clock.advance(hours=1)
    bob_token = login(core, "bob@example.org")
    clock.advance(hours=23)  # ann's token expires now, bob's in an hour

    cat_token = login(core, "cat@example.org")

    assert stored_tokens(core) == {token_digest(bob_token): bob.id, token_digest(cat_token): cat.id}
    assert not valid(core, ann_token)
    assert valid(core, bob_token)
    assert ann.id not in stored_tokens(core).values()


def test_purge_expired_deletes_expired_tokens_only(core: StreamCore, clock: FakeClock) -> None:
    register(core, "ann@example.org")
    bob = register(core, "bob@example.org")
    login(core, "ann@example.org")
    login(core, "ann@example.org")
    clock.advance(hours=12)
    fresh = login(core, "bob@example.org")
    clock.advance(hours=12)  # the first two expire now

    assert core.auth.purge_expired() == 2
    assert stored_tokens(core) == {token_digest(fresh): bob.id}
    assert valid(core, fresh)
    assert core.auth.purge_expired() == 0


# --- revocation -----------------------------------------------------------------------------------


def test_logout_revokes_only_that_token(core: StreamCore) -> None:
    ann = register(core)
    first, second = login(core), login(core)

    core.auth.logout(first)

    assert not valid(core, first)
    assert valid(core, second)
    assert stored_tokens(core) == {token_digest(second): ann.id}
    with pytest.raises(InvalidTokenError):
        core.auth.logout(first)  # already revoked
    with pytest.raises(InvalidTokenError):
        core.auth.logout("never issued")


Revoke = Callable[[StreamCore, User], object]
REVOKERS: dict[str, Revoke] = {
    "set_password": lambda core, u: core.auth.set_password(
        u.id, PasswordChange(password=NEW_PASSWORD), actor=SYSTEM
    ),
    "set_password by itself": lambda core, u: core.auth.set_password(
        u.id, PasswordChange(password=NEW_PASSWORD), actor=u.principal
    ),
    "update_profile with a password": lambda core, u: core.auth.update_profile(
        ProfilePatch(name="New Name", password=NEW_PASSWORD), actor=u.principal
    ),
    "deactivation": lambda core, u: core.auth.update_user(
        u.id, UserPatch(is_active=False), actor=SYSTEM
    ),
    "deletion": lambda core, u: core.auth.delete_user(u.id, actor=SYSTEM),
}


def test_a_password_change_deactivation_or_deletion_revokes_every_token(
    core: StreamCore,
) -> None:
    users = {name: register(core, f"user{i}@example.org") for i, name in enumerate(REVOKERS)}
    bystander = register(core, "bystander@example.org")
    issued = {name: [login(core, u.email), login(core, u.email)] for name, u in users.items()}
    other_token = login(core, bystander.email)

    steps = []
    for name, revoke in REVOKERS.items():
        revoke(core, users[name])
        steps.append({n: [valid(core, t) for t in ts] for n, ts in issued.items()})

    names = list(REVOKERS)
    assert steps == [{n: [j > i, j > i] for j, n in enumerate(names)} for i in range(len(names))]
    assert valid(core, other_token)
    assert stored_tokens(core) == {token_digest(other_token): bystander.id}


@pytest.mark.parametrize(
    "change",
    [
        lambda core, u: core.auth.update_user(u.id, UserPatch(name="Renamed"), actor=SYSTEM),
        lambda core, u: core.auth.update_user(u.id, UserPatch(role="editor"), actor=SYSTEM),
        lambda core, u: core.auth.update_profile(
            ProfilePatch(name="Renamed", notify_new_movies=False), actor=u.principal
        ),
    ],
    ids=["admin renames", "admin changes role", "profile without password"],
)
def test_other_changes_keep_the_tokens(core: StreamCore, change: Revoke) -> None:
    ann = register(core)
    token = login(core)

    changed = change(core, ann)

    assert core.auth.authenticate(token) == changed  # the token now stands for the new state


def test_reactivation_or_restore_does_not_revive_tokens(core: StreamCore) -> None:
    off, gone = register(core, "off@example.org"), register(core, "gone@example.org")
    off_token, gone_token = login(core, off.email), login(core, gone.email)
    core.auth.update_user(off.id, UserPatch(is_active=False), actor=SYSTEM)
    core.auth.delete_user(gone.id, actor=SYSTEM)

    core.auth.update_user(off.id, UserPatch(is_active=True), actor=SYSTEM)
    core.auth.restore_user(gone.id, actor=SYSTEM)

    assert (valid(core, off_token), valid(core, gone_token)) == (False, False)
    assert valid(core, login(core, off.email))
    assert valid(core, login(core, gone.email))


# --- re-hashing -----------------------------------------------------------------------------------


def test_a_hash_with_older_parameters_is_rehashed_on_the_next_successful_login(
    sql_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with open_core(sql_url, clock, tmp_path, parameters=CHEAPEST) as old:
        ann = register(old)
        old_hash = stored_hash(old, ann.id)
    assert "$m=8,t=1,p=1$" in old_hash

    with open_core(sql_url, clock, tmp_path, parameters=CHEAP_B) as new:
        with pytest.raises(InvalidCredentialsError):
            login(new, password="wrong horse battery")
        assert stored_hash(new, ann.id) == old_hash  # a failed login changes nothing

        assert valid(new, login(new))

        new_hash = stored_hash(new, ann.id)
        assert new_hash != old_hash
        assert new_hash.startswith("$argon2id$v=19$m=16,t=2,p=1$")
        assert valid(new, login(new))
        assert stored_hash(new, ann.id) == new_hash  # now current: no second re-hash

    with open_core(sql_url, clock, tmp_path, parameters=CHEAPEST) as old_again:
        assert valid(old_again, login(old_again))  # the new hash still verifies anywhere


def test_a_current_hash_is_not_rehashed(core: StreamCore) -> None:
    ann = register(core)
    before = stored_hash(core, ann.id)
    login(core)
    login(core)
    assert stored_hash(core, ann.id) == before


class CountingHasher(Argon2Hasher):
    """A real argon2id hasher (cheapest parameters) that counts its verifies."""

    def __init__(self) -> None:
        super().__init__(CHEAPEST)
        self.verifies = 0
        self.dummies = 0

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verifies += 1
        return super().verify(stored_hash, password)

    def verify_dummy(self, password: str) -> None:
        self.dummies += 1
        super().verify_dummy(password)


def test_a_login_for_an_unknown_email_verifies_against_a_dummy_hash(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    hasher = CountingHasher()
    with open_core(database_url, clock, tmp_path, hasher=hasher) as core:
        register(core, "ann@example.org")
        register(core, "gone@example.org")
        core.auth.delete_user(2, actor=SYSTEM)
        attempts = {
            "unknown email": ("nobody@example.org", PASSWORD),
            "known, right password": ("ann@example.org", PASSWORD),
            "known, wrong password": ("ann@example.org", "wrong horse battery"),
            "deleted user": ("gone@example.org", PASSWORD),
        }
        counts = {}
        for case, (email, password) in attempts.items():
            hasher.verifies = hasher.dummies = 0
            with contextlib.suppress(InvalidCredentialsError):
                login(core, email, password)
            counts[case] = (hasher.dummies, hasher.verifies)

    # (dummy verifies, argon2 verifies): exactly one argon2 verify whoever logs in; the dummy
    # one goes through ``verify`` too.
    assert counts == {
        "unknown email": (1, 1),
        "known, right password": (0, 1),
        "known, wrong password": (0, 1),
        "deleted user": (0, 1),
    }
