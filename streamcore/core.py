"""``StreamCore``: the one composition root that picks the implementations and wires them."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from blinker import Namespace

from streamcore.clock import Clock, utcnow
from streamcore.config import Settings
from streamcore.errors import InvalidInputError
from streamcore.events import EventPublisher, signals
from streamcore.movies.service import MovieService
from streamcore.storage import MEMORY_URL, Storage, open_storage

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class StreamCore:
    """An opened streamcore: its services, its event signals, its storage.

    >>> with StreamCore.open("memory://") as core:
    ...     core.movies.list().total
    0
    """

    def __init__(self, settings: Settings, *, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.signals: Namespace = signals
        self.events = EventPublisher(sender=self)
        self.storage: Storage = open_storage(settings.database_url, self.events.publish)
        self.movies = MovieService(self.storage.unit_of_work, clock=clock)

    @classmethod
    def open(cls, target: str | Settings | None = None, *, clock: Clock = utcnow) -> StreamCore:
        """Open the storage at ``target`` (a URL, or ``Settings``; default: the defaults).

        Raises ``StorageError`` (including ``SchemaOutdatedError``) and ``InvalidInputError``.
        """
        if isinstance(target, Settings):
            return cls(target, clock=clock)
        return cls(Settings(database_url=target) if target else Settings(), clock=clock)

    def check_health(self) -> None:
        """Raise ``StorageError`` unless the storage answers."""
        self.storage.ping()

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def upgrade_database(settings: Settings) -> tuple[str | None, str]:
    """Migrate the database of ``settings`` to the newest schema; return (before, after).

    Raises ``InvalidInputError`` for ``memory://`` (nothing to migrate), ``StorageError``.
    """
    from streamcore.storage.sql.migrate import current, head_revision, upgrade

    engine = _sql_engine(settings)
    try:
        before = current(engine)
        upgrade(engine)
        return before, head_revision()
    finally:
        engine.dispose()


def database_revision(settings: Settings) -> tuple[str | None, str]:
    """The schema revision the database is at, and the one this code needs."""
    from streamcore.storage.sql.migrate import current, head_revision

    engine = _sql_engine(settings)
    try:
        return current(engine), head_revision()
    finally:
        engine.dispose()


def _sql_engine(settings: Settings) -> Engine:
    if settings.database_url.startswith(MEMORY_URL):
        raise InvalidInputError.single("database_url", "memory:// has no schema to migrate")
    from streamcore.storage.sql.engine import make_engine

    return make_engine(settings.database_url)
