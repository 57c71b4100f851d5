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
        """Insert many movies at once; return their ids in the order given."""
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


class MoviesUnitOfWork(UnitOfWork, Protocol):
    """What ``MovieService`` needs of a unit of work."""

    @property
    def movies(self) -> MovieRepository:
        """The movies of this transaction."""
        ...


@dataclass
class MovieTable:
    """The in-memory rows; cloned per unit of work so a rollback is just dropping the clone."""

    rows: dict[int, Movie] = field(default_factory=dict)
    next_id: int = 1

    def clone(self) -> MovieTable:
        """A copy whose changes do not touch this table."""
        return MovieTable(dict(self.rows), self.next_id)


class InMemoryMovieRepository:
    """``MovieRepository`` over a ``MovieTable``; linear scans, for tests and embedding."""

    def __init__(self, table: MovieTable) -> None:
        self._table = table

    def add(self, data: MovieCreate, now: datetime) -> Movie:
        """Insert one movie and return it with its id."""
        movie = self._new(data, now)
        self._insert(movie)
        return movie

    def add_many(self, rows: Sequence[MovieCreate], now: datetime) -> list[int]:
        """Insert many movies at once; return their ids in the order given."""
        ids = []
        for data in rows:
            movie = self._new(data, now)
            self._insert(movie)
            ids.append(movie.id)
        return ids

    def get(self, movie_id: int, *, lock: RowLock | None = None) -> Movie | None:
        """The movie with this id, deleted or not (writers hold every row already)."""
        return self._table.rows.get(movie_id)

    def save(self, movie: Movie) -> None:
        """Overwrite a stored movie with ``movie`` (matched by id)."""
        if movie.deleted_at is None and self.live_conflicts(
            [(title_key(movie.title), movie.year)], exclude_id=movie.id
        ):
            raise DuplicateMovieError(movie.title, movie.year)
        self._table.rows[movie.id] = movie

    def live_conflicts(
        self, keys: Iterable[TitleYear], *, exclude_id: int | None = None
    ) -> set[TitleYear]:
        """Which of ``keys`` a movie that is not deleted already holds."""
        wanted = set(keys)
        return {
            key
            for m in self._table.rows.values()
            if m.deleted_at is None
            and m.id != exclude_id
            and (key := (title_key(m.title), m.year)) in wanted
        }

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
        if self.live_conflicts([(title_key(movie.title), movie.year)]):
            raise DuplicateMovieError(movie.title, movie.year)
        self._table.rows[movie.id] = movie


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
