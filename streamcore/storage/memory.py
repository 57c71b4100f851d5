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
from typing import Any, Self

from streamcore.auth.repository import (
    AuthTables,
    InMemoryLoginAttemptRepository,
    InMemoryTokenRepository,
    InMemoryUserRepository,
    LoginAttemptRepository,
    TokenRepository,
    UserRepository,
)
from streamcore.errors import StorageError
from streamcore.movies.models import Movie, MovieQuery
from streamcore.movies.repository import InMemoryMovieRepository, MovieRepository, MovieTable
from streamcore.movies.secrets import InMemorySecretRepository, SecretRepository, SecretTable
from streamcore.subscriptions.periods import may_watch_at
from streamcore.subscriptions.repository import (
    InMemoryPaymentRepository,
    InMemoryPlanRepository,
    InMemorySubscriptionRepository,
    PaymentRepository,
    PlanRepository,
    SubscriptionRepository,
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
    secrets: SecretTable = field(default_factory=SecretTable)

    def clone(self) -> Tables:
        """Copies whose changes do not touch these tables."""
        return Tables(
            movies=self.movies.clone(),
            auth=self.auth.clone(),
            subscriptions=self.subscriptions.clone(),
            secrets=self.secrets.clone(),
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
        # Readers work on the committed tables themselves: only their reads may pass.
        view = _reads_only if self._readonly else _as_is
        self.movies: MovieRepository = view(InMemoryMovieRepository(tables.movies))
        self.users: UserRepository = view(InMemoryUserRepository(tables.auth))
        self.tokens: TokenRepository = view(InMemoryTokenRepository(tables.auth))
        self.login_attempts: LoginAttemptRepository = view(
            InMemoryLoginAttemptRepository(tables.auth)
        )
        self.plans: PlanRepository = view(InMemoryPlanRepository(tables.subscriptions))
        self.subscriptions: SubscriptionRepository = view(
            InMemorySubscriptionRepository(tables.subscriptions)
        )
        self.payments: PaymentRepository = view(InMemoryPaymentRepository(tables.subscriptions))
        self.secrets: SecretRepository = view(InMemorySecretRepository(tables.secrets))
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


READS = frozenset(
    {
        *("get", "get_by_email", "get_by_name", "get_by_reference", "list", "live_conflicts"),
        *("password_hash", "notifiable_emails", "user_for", "recent_failures", "lock"),
        *("open_for_user", "open_for_plan"),
    }
)
"""The methods of the repositories that only read (``lock`` too: readers need no lock)."""


class _ReadsOnly:
    """A repository of a read-only unit of work: its reads pass, any write is refused."""

    def __init__(self, repository: object) -> None:
        self._repository = repository

    def __getattr__(self, name: str) -> Any:
        if name not in READS:
            raise StorageError(f"a read-only unit of work cannot write ({name})")
        return getattr(self._repository, name)


def _reads_only(repository: Any) -> Any:
    return _ReadsOnly(repository)


def _as_is(repository: Any) -> Any:
    return repository


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
