"""The in-memory backend: shipped, transactional, and held to the same contract as SQL.

Writers are serialized by one lock; each writing unit of work works on clones of the tables and
swaps them in on commit, so a rollback (or an exception) leaves nothing behind. Readers see the
last committed tables without taking the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from streamcore.auth.repository import (
    AuthTables,
    InMemoryLoginAttemptRepository,
    InMemoryTokenRepository,
    InMemoryUserRepository,
)
from streamcore.errors import StorageError
from streamcore.movies.repository import InMemoryMovieRepository, MovieTable
from streamcore.uow import EventCollector, Publish


@dataclass
class Tables:
    """Every in-memory table of every domain."""

    movies: MovieTable = field(default_factory=MovieTable)
    auth: AuthTables = field(default_factory=AuthTables)

    def clone(self) -> Tables:
        """Copies whose changes do not touch these tables."""
        return Tables(movies=self.movies.clone(), auth=self.auth.clone())


class MemoryStorage:
    """A process-local store."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self.tables = Tables()
        self.write_lock = threading.RLock()
        self._closed = False

    def unit_of_work(self, *, readonly: bool = False) -> MemoryUnitOfWork:
        """Open one transaction over every repository."""
        if self._closed:
            raise StorageError("the storage is closed")
        return MemoryUnitOfWork(self, readonly=readonly)

    def ping(self) -> None:
        """Raise ``StorageError`` once closed."""
        if self._closed:
            raise StorageError("the storage is closed")

    def close(self) -> None:
        """Drop the data."""
        self._closed = True
        self.tables = Tables()


class MemoryUnitOfWork(EventCollector):
    """A transaction over clones of the tables (or, read-only, over the committed ones)."""

    def __init__(self, storage: MemoryStorage, *, readonly: bool) -> None:
        super().__init__(storage._publish)
        self._storage = storage
        self._readonly = readonly
        self._working: Tables | None = None

    def __enter__(self) -> Self:
        if self._readonly:
            tables = self._storage.tables
        else:
            self._storage.write_lock.acquire()
            tables = self._working = self._storage.tables.clone()
        self.movies = InMemoryMovieRepository(tables.movies)
        self.users = InMemoryUserRepository(tables.auth)
        self.tokens = InMemoryTokenRepository(tables.auth)
        self.login_attempts = InMemoryLoginAttemptRepository(tables.auth)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._readonly:
            self._working = None
            self._storage.write_lock.release()
        self._flush_events()

    def commit(self) -> None:
        """Swap the working tables in."""
        if self._readonly or self._working is None:
            raise StorageError("commit outside a writing unit of work")
        self._storage.tables = self._working
        self._mark_committed()
