"""Password hashing behind a small protocol; argon2id (argon2-cffi) by default.

Production parameters are argon2-cffi's ``RFC_9106_LOW_MEMORY`` profile, the second
recommended option of RFC 9106 §4 (t=3, m=64 MiB, p=4); docs/decisions.md says why. Tests
use ``CHEAPEST``. argon2 is imported only when a hasher is built, never at CLI start-up.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import argon2


class PasswordHasher(Protocol):
    """Hashes and verifies passwords; says when a stored hash should be redone."""

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        ...

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash`` (False for a malformed hash)."""
        ...

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters than the current ones."""
        ...

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verify, for logins of unknown users."""
        ...


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """The argon2id cost parameters."""

    time_cost: int
    memory_cost_kib: int
    parallelism: int


PRODUCTION = Argon2Parameters(time_cost=3, memory_cost_kib=64 * 1024, parallelism=4)
"""RFC 9106's second recommended option (argon2-cffi's RFC_9106_LOW_MEMORY)."""

PRODUCTION_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$6UAwWoI6P0zQ/i3ZjdjNsw"
    "$6onw6YxfKQkY2rZudIK2vjnty5q8vwJXRtliBvBVLvk"
)
"""The hash of a random secret nobody kept, with the production parameters."""

CHEAPEST = Argon2Parameters(time_cost=1, memory_cost_kib=8, parallelism=1)
"""For tests only: argon2-cffi's CHEAPEST profile."""


def default_concurrency() -> int:
    """How many argon2 computations run at once by default: one per CPU, at least two."""
    return max(2, os.cpu_count() or 1)


class Argon2Hasher:
    """``PasswordHasher`` with argon2id; at most ``max_concurrent`` hashes or verifies at once.

    Each computation holds ``memory_cost`` (64 MiB in production) while it runs, and already
    uses several lanes: more at once than there are CPUs buys no throughput, only memory. A
    server's 40 request threads logging in together would hold 2.5 GiB; bounded, the others
    wait their turn (decision 117).
    """

    def __init__(
        self, parameters: Argon2Parameters = PRODUCTION, *, max_concurrent: int | None = None
    ) -> None:
        self.parameters = parameters
        self.max_concurrent = max_concurrent or default_concurrency()
        self._slots = threading.BoundedSemaphore(self.max_concurrent)

    @cached_property
    def _hasher(self) -> argon2.PasswordHasher:
        # Built on first use: opening a core (every CLI command) must not pay for argon2.
        import argon2

        return argon2.PasswordHasher(
            time_cost=self.parameters.time_cost,
            memory_cost=self.parameters.memory_cost_kib,
            parallelism=self.parameters.parallelism,
            type=argon2.Type.ID,
        )

    @cached_property
    def _errors(self) -> tuple[type[Exception], ...]:
        from argon2.exceptions import InvalidHashError, VerificationError

        return (VerificationError, InvalidHashError)

    @cached_property
    def _dummy(self) -> str:
        # A real hash of a random, forgotten secret: verifying against it costs what a real
        # verify costs. Shipped for the production parameters, so that even the first login of
        # an unknown email in a process does not pay for making it.
        if self.parameters == PRODUCTION:
            return PRODUCTION_DUMMY_HASH
        return self._hasher.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        """A new salted argon2id hash."""
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches (False for a mismatch or a malformed hash)."""
        try:
            with self._slots:
                return self._hasher.verify(stored_hash, password)
        except self._errors:
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether the hash was made with other parameters."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except self._errors:
            return True

    def verify_dummy(self, password: str) -> None:
        """One verify against a hash no password matches."""
        self.verify(self._dummy, password)
