"""Secrets kept in storage (the playback signing key): the port, its in-memory form, the keeper.

A secret is made once per database and never changed by streamcore: of many processes asking
for it at once, each offers its own, one is stored and every process gets that one back.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from streamcore.uow import UnitOfWork, UnitOfWorkFactory

PLAYBACK_KEY = "playback_signing_key"
"""The name the playback URLs' key is kept under."""
KEY_BYTES = 32


class SecretRepository(Protocol):
    """Named secrets, written once; every backend behaves alike (tests/contract)."""

    def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret ``name``; absent, ``make()`` is stored unless another writer was first.

        Either way the stored value is returned: two writers racing end with one secret.
        """
        ...


class SecretsUnitOfWork(UnitOfWork, Protocol):
    """What ``SecretKeeper`` needs of a unit of work."""

    @property
    def secrets(self) -> SecretRepository:
        """The secrets of this transaction."""
        ...


@dataclass
class SecretTable:
    """The in-memory rows: name → value."""

    rows: dict[str, bytes] = field(default_factory=dict)

    def clone(self) -> SecretTable:
        """A copy whose changes do not touch this table."""
        return SecretTable(rows=dict(self.rows))


class InMemorySecretRepository:
    """``SecretRepository`` over a ``SecretTable`` (the memory backend's write lock serializes)."""

    def __init__(self, table: SecretTable) -> None:
        self._table = table

    def get_or_create(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret ``name``, made and stored when absent."""
        rows = self._table.rows
        if name not in rows:
            rows[name] = make()
        return rows[name]


def new_key() -> bytes:
    """32 random bytes from the operating system's generator."""
    return secrets.token_bytes(KEY_BYTES)


class SecretKeeper:
    """One secret of the database, read (or made) on first use and then held in memory."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[SecretsUnitOfWork],
        name: str,
        *,
        make: Callable[[], bytes] = new_key,
    ) -> None:
        self._uow = uow
        self._name = name
        self._make = make
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        """The secret; raises ``StorageError`` when the storage cannot give it."""
        value = self._value
        if value is None:
            with self._lock:  # one storage round trip per process, not one per thread
                value = self._value
                if value is None:
                    value = self._value = self._load()
        return value

    def __repr__(self) -> str:
        return f"SecretKeeper({self._name!r})"  # never the value

    def _load(self) -> bytes:
        with self._uow() as uow:
            value = uow.secrets.get_or_create(self._name, self._make)
            uow.commit()
        return value
