"""``SqlMovieRepository``: movies over SQLAlchemy Core, one connection per unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from streamcore.movies.errors import DuplicateMovieError
from streamcore.movies.models import Movie, MovieCreate, MovieQuery
from streamcore.movies.repository import TitleYear, title_key
from streamcore.storage.sql.schema import movie_countries, movie_genres, movies
from streamcore.storage.sql.text import contains

_SORT_COLUMNS = {
    "id": movies.c.id,
    "title": movies.c.title_key,
    "year": movies.c.year,
    "created_at": movies.c.created_at,
}


class SqlMovieRepository:
    """``MovieRepository`` for SQLite and PostgreSQL; never commits."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, data: MovieCreate, now: datetime) -> Movie:
        """Insert one movie and return it with its id."""
        (movie_id,) = self.add_many([data], now)
        return Movie(
            id=movie_id, **data.model_dump(), created_at=now, updated_at=now, deleted_at=None
        )

    def add_many(self, rows: Sequence[MovieCreate], now: datetime) -> list[int]:
        """Insert many movies at once; return their ids in the order given."""
        if not rows:
            return []
        values = [_row_values(data, now) for data in rows]
        stmt = sa.insert(movies).returning(movies.c.id, sort_by_parameter_order=True)
        with _duplicates_as_conflicts(rows[0] if len(rows) == 1 else None):
            ids = list(self._conn.execute(stmt, values).scalars())
        self._insert_tags(zip(ids, rows, strict=True))
        return ids

    def get(self, movie_id: int) -> Movie | None:
        """The movie with this id, deleted or not."""
        row = (
            self._conn.execute(sa.select(movies).where(movies.c.id == movie_id)).mappings().first()
        )
        return None if row is None else _movie(row)

    def save(self, movie: Movie) -> None:
        """Overwrite a stored movie with ``movie`` (matched by id)."""
        values = movie.model_dump(exclude={"id", "created_at"})
        values["title_key"] = title_key(movie.title)
        with _duplicates_as_conflicts(movie):
            self._conn.execute(sa.update(movies).where(movies.c.id == movie.id).values(values))
        for table in (movie_genres, movie_countries):
            self._conn.execute(sa.delete(table).where(table.c.movie_id == movie.id))
        self._insert_tags([(movie.id, movie)])

    def live_conflicts(
        self, keys: Iterable[TitleYear], *, exclude_id: int | None = None
    ) -> set[TitleYear]:
        """Which of ``keys`` a movie that is not deleted already holds."""
        wanted = set(keys)
        if not wanted:
            return set()
        stmt = sa.select(movies.c.title_key, movies.c.year).where(
            movies.c.deleted_at.is_(None),
            sa.tuple_(movies.c.title_key, movies.c.year).in_(sorted(wanted)),
        )
        if exclude_id is not None:
            stmt = stmt.where(movies.c.id != exclude_id)
        return {(key, year) for key, year in self._conn.execute(stmt)}

    def list(self, query: MovieQuery) -> tuple[list[Movie], int]:
        """One page of movies matching ``query``, and the number of all matches."""
        conditions = _conditions(query)
        column = _SORT_COLUMNS[query.sort.lstrip("-")]
        descending = query.sort.startswith("-")
        keys = [column, movies.c.id] if column is not movies.c.id else [column]
        order = [key.desc() for key in keys] if descending else keys
        page = (
            sa.select(movies)
            .where(*conditions)
            .order_by(*order)
            .limit(query.limit)
            .offset(query.offset)
        )
        items = [_movie(row) for row in self._conn.execute(page).mappings()]
        if query.offset == 0 and len(items) < query.limit:
            return items, len(items)  # the whole result is on this page: no count query
        count = sa.select(sa.func.count()).select_from(movies).where(*conditions)
        return items, self._conn.execute(count).scalar_one()

    def _insert_tags(self, pairs: Iterable[tuple[int, MovieCreate | Movie]]) -> None:
        genres: list[dict[str, Any]] = []
        countries: list[dict[str, Any]] = []
        for movie_id, data in pairs:
            genres.extend({"movie_id": movie_id, "genre": g} for g in data.genres)
            countries.extend({"movie_id": movie_id, "country": c} for c in data.countries)
        if genres:
            self._conn.execute(sa.insert(movie_genres), genres)
        if countries:
            self._conn.execute(sa.insert(movie_countries), countries)


def _row_values(data: MovieCreate, now: datetime) -> dict[str, Any]:
    values = data.model_dump()
    values.update(title_key=title_key(data.title), created_at=now, updated_at=now, deleted_at=None)
    return values


def _movie(row: RowMapping) -> Movie:
    return Movie(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        year=row["year"],
        duration_minutes=row["duration_minutes"],
        genres=tuple(row["genres"]),
        countries=tuple(row["countries"]),
        media_path=row["media_path"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
    )


def _conditions(query: MovieQuery) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if query.trashed == "without":
        conditions.append(movies.c.deleted_at.is_(None))
    elif query.trashed == "only":
        conditions.append(movies.c.deleted_at.is_not(None))
    if query.q:
        conditions.append(contains(movies.c.title_key, title_key(query.q)))
    if query.year is not None:
        conditions.append(movies.c.year == query.year)
    if query.genre is not None:
        conditions.append(
            movies.c.id.in_(
                sa.select(movie_genres.c.movie_id).where(movie_genres.c.genre == query.genre)
            )
        )
    if query.country is not None:
        conditions.append(
            movies.c.id.in_(
                sa.select(movie_countries.c.movie_id).where(
                    movie_countries.c.country == query.country
                )
            )
        )
    return conditions


@contextmanager
def _duplicates_as_conflicts(movie: MovieCreate | Movie | None) -> Iterator[None]:
    """Turn the unique index's violation into ``DuplicateMovieError``."""
    try:
        yield
    except IntegrityError as exc:
        if not _is_title_year_violation(exc):
            raise
        raise DuplicateMovieError(
            movie.title if movie else None, movie.year if movie else None
        ) from exc


def _is_title_year_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_movies_title_year_live" in text or "movies.title_key, movies.year" in text
