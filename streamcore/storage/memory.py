"""The in-memory backend: shipped, transactional, and held to the same contract as SQL.

Writers are serialized by one lock; each writing unit of work works on clones of the tables and
swaps them in on commit, so a rollback (or an exception) leaves nothing behind. Readers see the
last committed tables without taking the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
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
from streamcore.movies.models import Movie, MovieQuery
from streamcore.movies.repository import InMemoryMovieRepository, MovieTable
from streamcore.subscriptions.periods import may_watch_at
from streamcore.subscriptions.repository import (
    InMemoryPaymentRepository,
    InMemoryPlanRepository,
    InMemorySubscriptionRepository,
    SubscriptionTables,
    Viewer,
    WatchWindow,
)
from streamcore.uow import EventCollector, Publish, RowLock


@dataclass
class Tables:
    """Every in-memory table of every domain."""

    movies: MovieTable = field(default_factory=MovieTable)
    auth: AuthTables = field(default_factory=AuthTables)
    subscriptions: SubscriptionTables = field(default_factory=SubscriptionTables)

    def clone(self) -> Tables:
        """Copies whose changes do not touch these tables."""
        return Tables(
            movies=self.movies.clone(),
            auth=self.auth.clone(),
            subscriptions=self.subscriptions.clone(),
        )


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
        self.plans = InMemoryPlanRepository(tables.subscriptions)
        self.subscriptions = InMemorySubscriptionRepository(tables.subscriptions)
        self.payments = InMemoryPaymentRepository(tables.subscriptions)
        self.entitlements = MemoryEntitlementRepository(tables)
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


class MemoryEntitlementRepository:
    """``EntitlementRepository`` over all the in-memory tables."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def viewer(self, user_id: int, *, lock: RowLock | None = None) -> Viewer | None:
        """The user's role and whether it is active and not deleted."""
        user = self._t.auth.users.get(user_id)
        if user is None:
            return None
        return Viewer(role=user.role, may_log_in=user.is_active and user.deleted_at is None)

    def movie_is_live(self, movie_id: int, *, lock: RowLock | None = None) -> bool:
        """Whether the movie exists and is not deleted."""
        movie = self._t.movies.rows.get(movie_id)
        return movie is not None and movie.deleted_at is None

    def in_watchable_plan(self, user_id: int, movie_id: int, window: WatchWindow) -> bool:
        """Whether a subscription of the user that may watch now has a plan holding the movie."""
        members = self._t.subscriptions.plan_movies
        return self.movie_is_live(movie_id) and any(
            movie_id in members.get(plan_id, set())
            for plan_id in self.watchable_plan_ids(user_id, window)
        )

    def watchable_plan_ids(self, user_id: int, window: WatchWindow) -> list[int]:
        """The plans of the user's subscriptions that may watch now."""
        grace = window.canceled_after - window.open_after
        return sorted(
            {
                r.plan_id
                for r in self._t.subscriptions.subscriptions.values()
                if r.user_id == user_id
                and may_watch_at(
                    paid_until=r.paid_until,
                    canceled_at=r.canceled_at,
                    now=window.canceled_after,
                    grace=grace,
                )
            }
        )

    def movies_in_plans(
        self, plan_ids: Sequence[int], query: MovieQuery
    ) -> tuple[list[Movie], int]:
        """One page of live movies in any of the plans (all live movies for no plans)."""
        rows = self._t.movies.rows
        if plan_ids:
            members = self._t.subscriptions.plan_movies
            ids = set().union(*(members.get(plan_id, set()) for plan_id in plan_ids))
            rows = {movie_id: rows[movie_id] for movie_id in ids if movie_id in rows}
        return InMemoryMovieRepository(MovieTable(rows=rows)).list(query)
