"""Password rules and the argon2id hasher (SPEC §3.1).

Passwords are 8..256 characters and not the email (in any case). ``Argon2Hasher`` makes argon2id
hashes with its parameters, verifies them, says when a hash was made with other parameters, and
spends one real verify on a dummy hash for logins of unknown users. Every hash here uses cheap
parameters except one, which checks the production parameters once.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple
from typing import Any

import pytest

from streamcore import InvalidInputError
from streamcore.auth.models import PasswordChange, ProfilePatch, Registration, UserCreate
from streamcore.auth.passwords import CHEAPEST, PRODUCTION, Argon2Hasher, Argon2Parameters

EMAIL = "ann@example.org"
CHEAP_B = Argon2Parameters(time_cost=2, memory_cost_kib=16, parallelism=1)


def registration(password: str, email: str = EMAIL) -> Registration:
    return Registration(email=email, password=password, name="Ann")


def user_create(password: str, email: str = EMAIL) -> UserCreate:
    return UserCreate(email=email, password=password, name="Ann")


def profile_patch(password: str) -> ProfilePatch:
    return ProfilePatch(password=password)


def password_change(password: str) -> PasswordChange:
    return PasswordChange(password=password)


EVERY_PASSWORD_INPUT = [registration, user_create, profile_patch, password_change]


class CountingHasher(Argon2Hasher):
    """A real argon2id hasher that counts its verifies and remembers the hashes it was given."""

    def __init__(self, parameters: Argon2Parameters = CHEAPEST) -> None:
        super().__init__(parameters)
        self.verified: list[str] = []
        self.dummies = 0

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verified.append(stored_hash)
        return super().verify(stored_hash, password)

    def verify_dummy(self, password: str) -> None:
        self.dummies += 1
        super().verify_dummy(password)


# --- the rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["x" * 8, "x" * 256, "ü" * 8, "correct horse battery", "ann@example.org!", "ann@example"],
    ids=["8", "256", "8-non-ascii", "phrase", "email-plus-one", "email-prefix"],
)
@pytest.mark.parametrize("build", EVERY_PASSWORD_INPUT, ids=lambda b: b.__name__)
def test_a_password_of_8_to_256_characters_is_accepted(build: Any, password: str) -> None:
    assert build(password).password.get_secret_value() == password


@pytest.mark.parametrize("password", [" " * 8, "\t" * 10, " " * 256])
@pytest.mark.parametrize("build", EVERY_PASSWORD_INPUT, ids=lambda b: b.__name__)
def test_a_password_of_only_spaces_is_refused(build: Any, password: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        build(password)
    assert error.value.fields == ("password",)


@pytest.mark.parametrize("build", EVERY_PASSWORD_INPUT, ids=lambda b: b.__name__)
def test_a_password_keeps_its_surrounding_spaces(build: Any) -> None:
    assert build("  padded  ").password.get_secret_value() == "  padded  "


@pytest.mark.parametrize(
    "password", ["", "x", "x" * 7, "ü" * 7, "x" * 257, "x" * 1000], ids=lambda p: str(len(p))
)
@pytest.mark.parametrize("build", EVERY_PASSWORD_INPUT, ids=lambda b: b.__name__)
def test_a_password_of_another_length_is_refused(build: Any, password: str) -> None:
    with pytest.raises(InvalidInputError, match="8 to 256") as error:
        build(password)
    assert error.value.fields == ("password",)


@pytest.mark.parametrize(
    "password", ["ann@example.org", "ANN@EXAMPLE.ORG", "Ann@Example.Org", "aNN@eXAMPLE.oRG"]
)
@pytest.mark.parametrize("email", ["ann@example.org", "  Ann@Example.ORG "])
@pytest.mark.parametrize("build", [registration, user_create], ids=lambda b: b.__name__)
def test_a_password_equal_to_the_email_in_any_case_is_refused(
    build: Any, email: str, password: str
) -> None:
    with pytest.raises(InvalidInputError, match="email") as error:
        build(password, email=email)
    assert error.value.fields == ("password",)


# --- the hasher ---------------------------------------------------------------------------------


def test_hashes_are_salted_argon2id_with_the_hashers_parameters() -> None:
    hasher = Argon2Hasher(CHEAPEST)
    first, second = hasher.hash("correct horse"), hasher.hash("correct horse")
    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert first != second  # a new salt each time
    assert "correct horse" not in first
    assert Argon2Hasher(CHEAP_B).hash("correct horse").startswith("$argon2id$v=19$m=16,t=2,p=1$")


def test_the_production_parameters_are_rfc_9106_low_memory() -> None:
    assert astuple(PRODUCTION) == (3, 65536, 4)  # time cost, memory (KiB), parallelism
    encoded = Argon2Hasher(PRODUCTION).hash("correct horse")  # the one expensive hash
    assert encoded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert Argon2Hasher().parameters == PRODUCTION  # the default


@pytest.mark.parametrize(
    ("stored", "password", "expected"),
    [
        ("good", "correct horse", True),
        ("good", "correct horsE", False),
        ("good", "correct horse ", False),
        ("good", "", False),
        ("other-parameters", "correct horse", True),
        ("malformed", "correct horse", False),
        ("empty", "correct horse", False),
    ],
)
def test_verify(stored: str, password: str, expected: bool) -> None:
    hasher = Argon2Hasher(CHEAPEST)
    hashes = {
        "good": hasher.hash("correct horse"),
        "other-parameters": Argon2Hasher(CHEAP_B).hash("correct horse"),
        "malformed": "$argon2id$v=19$m=8,t=1,p=1$not-base64",
        "empty": "",
    }
    assert hasher.verify(hashes[stored], password) is expected


@pytest.mark.parametrize(
    ("made_with", "checked_with", "expected"),
    [(CHEAPEST, CHEAPEST, False), (CHEAPEST, CHEAP_B, True), (CHEAP_B, CHEAPEST, True)],
    ids=["same", "stronger-now", "weaker-now"],
)
def test_needs_rehash_when_the_parameters_differ(
    made_with: Argon2Parameters, checked_with: Argon2Parameters, expected: bool
) -> None:
    stored = Argon2Hasher(made_with).hash("correct horse")
    assert Argon2Hasher(checked_with).needs_rehash(stored) is expected


@pytest.mark.parametrize("stored", ["", "plain text", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_a_malformed_hash_needs_rehash(stored: str) -> None:
    assert Argon2Hasher(CHEAPEST).needs_rehash(stored) is True


def test_verify_dummy_spends_one_real_verify_that_fails() -> None:
    hasher = CountingHasher(CHEAPEST)
    for password in ("correct horse", ""):
        hasher.verify_dummy(password)  # returns nothing, raises nothing
    assert hasher.dummies == 2
    # Each dummy is one verify against a real argon2id hash with the current parameters.
    assert len(hasher.verified) == 2
    dummy = hasher.verified[0]
    assert dummy.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert not hasher.needs_rehash(dummy)


def test_the_shipped_dummy_hash_has_the_production_parameters() -> None:
    """Else a login for an unknown email would cost less than one for a known email."""
    from streamcore.auth.passwords import PRODUCTION_DUMMY_HASH

    assert not Argon2Hasher(PRODUCTION).needs_rehash(PRODUCTION_DUMMY_HASH)


# --- how many at once ---------------------------------------------------------------------------


class _Overlap:
    """Wraps the real argon2 hasher and records how many of its computations overlap."""

    def __init__(self, real: Any) -> None:
        self.real, self.now, self.most = real, 0, 0
        self.lock = threading.Lock()

    def _counted(self, work: Any, *args: Any) -> Any:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return work(*args)
        finally:
            with self.lock:
                self.now -= 1

    def hash(self, password: str) -> str:
        return str(self._counted(self.real.hash, password))

    def verify(self, stored: str, password: str) -> bool:
        return bool(self._counted(self.real.verify, stored, password))


@pytest.mark.parametrize("limit", [1, 3])
def test_no_more_than_max_concurrent_computations_run_at_once(limit: int) -> None:
    # Costly enough (16 MiB, 2 passes) that 12 threads started together would overlap.
    hasher = Argon2Hasher(Argon2Parameters(2, 16 * 1024, 1), max_concurrent=limit)
    stored = hasher.hash("correct horse battery")
    overlap = _Overlap(hasher._hasher)
    hasher.__dict__["_hasher"] = overlap  # the cached property, replaced by the wrapper
    start = threading.Barrier(12)

    def login() -> bool:
        start.wait()
        return hasher.verify(stored, "correct horse battery")

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: login(), range(12)))
    assert answers == [True] * 12
    assert overlap.most <= limit
    if limit > 1:
        assert overlap.most > 1, "the threads did overlap (else the bound proves nothing)"


def test_the_default_bound_is_one_per_cpu_and_at_least_two() -> None:
    assert Argon2Hasher(CHEAPEST).max_concurrent == max(2, os.cpu_count() or 1)
