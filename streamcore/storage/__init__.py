"""Storage backends: ``memory://`` and any SQLAlchemy URL (SQLite, PostgreSQL).

Import the backend modules lazily: SQLAlchemy costs ~0.3 s to import and the in-memory
backend and the CLI's ``--help`` must not pay for it.
"""

from __future__ import annotations

from typing import Protocol

from streamcore.auth.repository import AuthUnitOfWork
from streamcore.config import Settings
from streamcore.movies.repository import MoviesUnitOfWork
from streamcore.movies.secrets import SecretsUnitOfWork
from streamcore.subscriptions.repository import SubscriptionsUnitOfWork
from streamcore.uow import Publish

MEMORY_URL = "memory://"


class StorageUnitOfWork(
    MoviesUnitOfWork, AuthUnitOfWork, SubscriptionsUnitOfWork, SecretsUnitOfWork, Protocol
):
    """A backend's unit of work: it satisfies the unit-of-work protocol of every domain."""


class Storage(Protocol):
    """An opened backend."""

    def unit_of_work(self, *, readonly: bool = False) -> StorageUnitOfWork:
        """Open one transaction over every repository."""
        ...

    def ping(self) -> None:
        """Raise ``StorageError`` unless the storage answers."""

    def close(self) -> None:
        """Release connections and files."""


def open_storage(url: str, publish: Publish, settings: Settings | None = None) -> Storage:
    """The backend for ``url``: ``memory://`` or a SQLAlchemy URL.

    ``settings`` gives a SQL backend its pool and timeout limits (``db_*``; default: the
    defaults).
    """
    if url.startswith(MEMORY_URL):
        from streamcore.storage.memory import MemoryStorage

        return MemoryStorage(publish)
    from streamcore.storage.sql.storage import SqlStorage

    return SqlStorage.open(url, publish, settings)
