"""The movie repository port, and its in-memory implementation.

Repositories never commit: the unit of work that owns them does. Every implementation enforces
``(title, year)`` uniqueness among movies that are not deleted and raises
``DuplicateMovieError``, so the service's pre-check is an early answer, not the only guard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from streamcore.movies.errors import DuplicateMovieError
from streamcore.movies.models import Movie, MovieCreate, MovieQuery
from streamcore.uow import RowLock, UnitOfWork

TitleYear = tuple[str, int]
"""A uniqueness key: the case-folded title and the year."""


def title_key(title: str) -> str:
    """The case-insensitive form of a title used for uniqueness, search and sort."""
    return title.casefold()


class MovieRepository(Protocol):
    """Storage of movies; every backend behaves alike (tests/contract)."""

    def add(self, data: MovieCreate, now: datetime) -> Movie:
        """Insert one movie and return it with its id."""
        ...

    def add_many(self, rows: Sequence[MovieCreate], now: datetime) -> list[int]:
        """Insert many movies at once, all or none; return their ids in the order given.

        Raises ``DuplicateMovieError`` (and inserts nothing) when a row's (title, year) is
        held by a live movie or by an earlier row; the transaction stays usable.
        """
        ...

    def get(self, movie_id: int, *, lock: RowLock | None = None) -> Movie | None:
        """The movie with this id, deleted or not; ``lock`` holds its row until commit."""
        ...

    def save(self, movie: Movie) -> None:
        """Overwrite a stored movie with ``movie`` (matched by id)."""
        ...

    def live_conflicts(
        self, keys: Iterable[TitleYear], *, exclude_id: int | None = None
    ) -> set[TitleYear]:
        """Which of ``keys`` a movie that is not deleted already holds."""
        ...

    def list(self, query: MovieQuery) -> tuple[list[Movie], int]:
        """One page of movies matching ``query``, and the number of all matches."""
        ...

    def live_holders(self, keys: Iterable[TitleYear]) -> dict[TitleYear, int]:
        """The id of the live movie holding each of ``keys`` that one holds (bulk import)."""
        ...

    def lock_imports(self) -> None:
        """Make this unit of work's bulk import wait for any other one until it ends."""
        ...


class MoviesUnitOfWork(UnitOfWork, Protocol):
    """What ``MovieService`` needs of a unit of work."""

    @property
    def movies(self) -> MovieRepository:
        """The movies of this transaction."""
        ...


@dataclass
class MovieTable:
    """The in-memory rows; cloned per unit of work so a rollback is just dropping the clone.

    ``live`` indexes the movies that are not deleted by their (title_key, year), so that a
    uniqueness check is one lookup, not a scan: an import of N rows onto N stays linear. It is
    built on first use (a table made from bare rows, as a listing does, has none yet).
    """

    rows: dict[int, Movie] = field(default_factory=dict)
    next_id: int = 1
    live: dict[TitleYear, int] | None = None

    def clone(self) -> MovieTable:
        """A copy whose changes do not touch this table (two dict copies, no re-indexing)."""
        live = None if self.live is None else dict(self.live)
        return MovieTable(dict(self.rows), self.next_id, live)

    def live_index(self) -> dict[TitleYear, int]:
        """(title_key, year) -> id of every movie that is not deleted."""
        if self.live is None:
            self.live = {_key(m): m.id for m in self.rows.values() if m.deleted_at is None}
        return self.live


class InMemoryMovieRepository:
    """``MovieRepository`` over a ``MovieTable``; for tests and embedding."""

    def __init__(self, table: MovieTable) -> None:
        self._table = table

    def add(self, data: MovieCreate, now: datetime) -> Movie:
        """Insert one movie and return it with its id."""
        movie = self._new(data, now)
        self._insert(movie)
        return movie

    def add_many(self, rows: Sequence[MovieCreate], now: datetime) -> list[int]:
        """Insert many movies at once, all or none; return their ids in the order given."""
        live = self._table.live_index()
        keys = [(title_key(data.title), data.year) for data in rows]
        seen: set[TitleYear] = set()
        for data, key in zip(rows, keys, strict=True):
            if key in live or key in seen:
                raise DuplicateMovieError(data.title, data.year)
            seen.add(key)
        movies = [self._new(data, now) for data in rows]
        for movie, key in zip(movies, keys, strict=True):
            live[key] = movie.id
            self._table.rows[movie.id] = movie
        return [movie.id for movie in movies]

    def get(self, movie_id: int, *, lock: RowLock | None = None) -> Movie | None:
        """The movie with this id, deleted or not (writers hold every row already)."""
        return self._table.rows.get(movie_id)

    def save(self, movie: Movie) -> None:
        """Overwrite a stored movie with ``movie`` (matched by id)."""
        live = self._table.live_index()
        key = _key(movie)
        if movie.deleted_at is None and live.get(key, movie.id) != movie.id:
            raise DuplicateMovieError(movie.title, movie.year)
        old = self._table.rows.get(movie.id)
        if old is not None and old.deleted_at is None and live.get(_key(old)) == movie.id:
            del live[_key(old)]
        if movie.deleted_at is None:
            live[key] = movie.id
        self._table.rows[movie.id] = movie

    def live_conflicts(
        self, keys: Iterable[TitleYear], *, exclude_id: int | None = None
    ) -> set[TitleYear]:
        """Which of ``keys`` a movie that is not deleted already holds."""
        live = self._table.live_index()
        return {
            key for key in keys if (holder := live.get(key)) is not None and holder != exclude_id
        }

    def live_holders(self, keys: Iterable[TitleYear]) -> dict[TitleYear, int]:
        """The id of the live movie holding each of ``keys`` that one holds (bulk import)."""
        live = self._table.live_index()
        return {key: holder for key in keys if (holder := live.get(key)) is not None}

    def lock_imports(self) -> None:
        """Nothing to do: the storage's write lock already serializes writing units of work."""

    def list(self, query: MovieQuery) -> tuple[list[Movie], int]:
        """One page of movies matching ``query``, and the number of all matches."""
        matches = [m for m in self._table.rows.values() if _matches(m, query)]
        name = query.sort.lstrip("-")
        matches.sort(key=lambda m: (_sort_value(m, name), m.id), reverse=query.sort[0] == "-")
        return matches[query.offset : query.offset + query.limit], len(matches)

    def _new(self, data: MovieCreate, now: datetime) -> Movie:
        movie_id = self._table.next_id
        self._table.next_id += 1
        return Movie(
            id=movie_id,
            **data.model_dump(),
            created_at=now,
            updated_at=now,
            deleted_at=None,
        )

    def _insert(self, movie: Movie) -> None:
        live = self._table.live_index()
        key = _key(movie)
        if key in live:
            raise DuplicateMovieError(movie.title, movie.year)
        live[key] = movie.id
        self._table.rows[movie.id] = movie


def _key(movie: Movie) -> TitleYear:
    return title_key(movie.title), movie.year


def _matches(movie: Movie, query: MovieQuery) -> bool:
    deleted = movie.deleted_at is not None
    if (query.trashed == "without" and deleted) or (query.trashed == "only" and not deleted):
        return False
    if query.q and title_key(query.q) not in title_key(movie.title):
        return False
    if query.genre is not None and query.genre not in movie.genres:
        return False
    if query.country is not None and query.country not in movie.countries:
        return False
    return query.year is None or movie.year == query.year


def _sort_value(movie: Movie, name: str) -> str | int | datetime:
    if name == "title":
        return title_key(movie.title)
    value: str | int | datetime = getattr(movie, name)
    return value
