"""The unit-of-work protocol the services use, and the event handling every backend shares.

A service opens one unit of work per use case, commits once, and collects events on it; the
events go out only after the transaction has committed *and* closed, never after a rollback.
Each domain extends ``UnitOfWork`` with the repositories it needs (``MoviesUnitOfWork``); the
storage backends satisfy all of them structurally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from types import TracebackType
from typing import Literal, Protocol, Self, TypeVar

from streamcore.events import Event

Publish = Callable[[Iterable[Event]], None]
RowLock = Literal["share", "update"]
"""A row read to act on it is held until commit: ``update`` to change it (no one else may read it
for a change or change it meanwhile), ``share`` to rely on it (no one may change it meanwhile).
PostgreSQL takes ``FOR UPDATE`` / ``FOR SHARE``; SQLite's writer lock and the memory backend's
write lock already hold every row of a writing unit of work."""
U_co = TypeVar("U_co", bound="UnitOfWork", covariant=True)


class UnitOfWork(Protocol):
    """One transaction: ``with uow_factory() as uow: ...; uow.commit()``."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make the changes durable; events are published when the block closes."""

    def collect(self, event: Event) -> None:
        """Queue an event to publish after a successful commit."""

    def collect_all(self, events: Iterable[Event]) -> None:
        """Queue many events, iterated only when they are published (a bulk import's)."""


class UnitOfWorkFactory(Protocol[U_co]):
    """Opens a unit of work; ``readonly`` ones may skip write locks."""

    def __call__(self, *, readonly: bool = False) -> U_co: ...


class EventCollector:
    """Mixin for backends: holds events until the unit of work has committed and closed."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._events: list[Iterable[Event]] = []
        self._committed = False

    def collect(self, event: Event) -> None:
        """Queue an event to publish after a successful commit."""
        self._events.append((event,))

    def collect_all(self, events: Iterable[Event]) -> None:
        """Queue many events, iterated only when they are published (a bulk import's).

        An import of 200,000 rows would otherwise hold 200,000 event objects until its
        commit: memory, and work for the cyclic garbage collector (decision 54).
        """
        self._events.append(events)

    def _mark_committed(self) -> None:
        self._committed = True

    def _flush_events(self) -> None:
        """Publish queued events if the transaction committed; drop them otherwise."""
        events, self._events = self._events, []
        if self._committed and events:
            self._publish(chain.from_iterable(events))
