"""Storage backends: ``memory://`` and any SQLAlchemy URL (SQLite, PostgreSQL).

Import the backend modules lazily: SQLAlchemy costs ~0.3 s to import and the in-memory
backend and the CLI's ``--help`` must not pay for it.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from streamcore.events import Event
from streamcore.uow import Publish

if TYPE_CHECKING:
    from streamcore.movies.repository import MovieRepository

MEMORY_URL = "memory://"


class StorageUnitOfWork(Protocol):
    """A backend's unit of work: every repository of every domain."""

    @property
    def movies(self) -> MovieRepository:
        """The movies of this transaction."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make the changes durable."""

    def collect(self, event: Event) -> None:
        """Queue an event for after the commit."""


class Storage(Protocol):
    """An opened backend."""

    def unit_of_work(self, *, readonly: bool = False) -> StorageUnitOfWork:
        """Open one transaction over every repository."""
        ...

    def ping(self) -> None:
        """Raise ``StorageError`` unless the storage answers."""

    def close(self) -> None:
        """Release connections and files."""


def open_storage(url: str, publish: Publish) -> Storage:
    """The backend for ``url``: ``memory://`` or a SQLAlchemy URL."""
    if url == MEMORY_URL or url.startswith(MEMORY_URL):
        from streamcore.storage.memory import MemoryStorage

        return MemoryStorage(publish)
    from streamcore.storage.sql.storage import SqlStorage

    return SqlStorage.open(url, publish)
