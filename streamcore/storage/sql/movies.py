"""``SqlMovieRepository``: movies over SQLAlchemy Core, one connection per unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from streamcore.movies.models import Movie, MovieCreate, MovieQuery
from streamcore.movies.repository import TitleYear, title_key
from streamcore.storage.sql.bulk import Memo, insert_columns, insert_rows
from streamcore.storage.sql.link import Link, Lookup
from streamcore.storage.sql.locks import lock_variants
from streamcore.storage.sql.schema import movie_countries, movie_genres, movies, plan_movies
from streamcore.storage.sql.text import contains
from streamcore.storage.sql.violations import integrity_failure
from streamcore.uow import RowLock

_SORT_COLUMNS = {
    "id": movies.c.id,
    "title": movies.c.title_key,
    "year": movies.c.year,
    "created_at": movies.c.created_at,
}


# Built and rendered once, run on the driver: SQLAlchemy's execution path would cost several
# times this primary-key lookup (link.py). The columns are the model's fields, in its order.
_MOVIE_BY_ID = sa.select(*(movies.c[name] for name in Movie.model_fields)).where(
    movies.c.id == sa.bindparam("id")
)
_MOVIE_BY_ID_LOCKED = {
    lock: Lookup(statement) for lock, statement in lock_variants(_MOVIE_BY_ID).items()
}

# The bulk-import path's statements, built once for the same reason (one run per batch).
# Asked by title only (the unique index's leading column), years matched in Python: much
# cheaper for SQLite than a row-value IN list.
_LIVE_BY_TITLE_KEYS = sa.select(movies.c.id, movies.c.title_key, movies.c.year).where(
    movies.c.deleted_at.is_(None),
    movies.c.title_key.in_(sa.bindparam("keys", expanding=True)),
)
_LAST_ID = sa.select(sa.func.coalesce(sa.func.max(movies.c.id), 0))
_NEXT_IDS = sa.text(
    "SELECT nextval(pg_get_serial_sequence('movies', 'id')) FROM generate_series(1, :count)"
)
_LOCK_IMPORTS = sa.text("SELECT pg_advisory_xact_lock(:key)")
IMPORT_LOCK_KEY = int.from_bytes(b"scimport", "big")
"""The advisory lock (PostgreSQL) bulk imports take: a constant bigint no other code uses."""


class SqlMovieRepository:
    """``MovieRepository`` for SQLite and PostgreSQL; never commits."""

    def __init__(self, link: Link | Connection) -> None:
        self._link = link if isinstance(link, Link) else Link.over(link)
        # An import's batches share their tag lists and those lists' JSON (add_many).
        self._tag_lists: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._memo: Memo = {}

    @property
    def _conn(self) -> Connection:
        return self._link.connection

    def add(self, data: MovieCreate, now: datetime) -> Movie:
        """Insert one movie and return it with its id."""
        stmt = sa.insert(movies).values(_row_values(data, now)).returning(movies.c.id)
        with _duplicates_as_conflicts(data):
            movie_id = self._conn.execute(stmt).scalar_one()
        self._insert_tags([(movie_id, data)])
        return Movie(
            id=movie_id, **data.model_dump(), created_at=now, updated_at=now, deleted_at=None
        )

    def add_many(self, rows: Sequence[MovieCreate], now: datetime) -> list[int]:
        """Insert many movies at once; return their ids in the order given.

        The ids are reserved first (decision 51), so the rows go to the driver in one
        ``executemany`` with their ids, column by column, and nothing is read back. The batch
        runs in a savepoint: if another writer committed one of its (title, year) keys since
        the caller checked, ``DuplicateMovieError`` leaves the transaction usable for the
        caller to find out which row it was.
        """
        if not rows:
            return []
        ids = self._reserve_ids(len(rows))
        shared = self._tag_lists  # one object per distinct tag list: its JSON is made once
        genres = [shared.setdefault(g, g) for g in (tuple(m.genres) for m in rows)]
        countries = [shared.setdefault(c, c) for c in (tuple(m.countries) for m in rows)]
        columns: dict[str, Sequence[Any]] = {
            "id": ids,
            "title": [m.title for m in rows],
            "title_key": [title_key(m.title) for m in rows],
            "description": [m.description for m in rows],
            "year": [m.year for m in rows],
            "duration_minutes": [m.duration_minutes for m in rows],
            "genres": genres,
            "countries": countries,
            "media_path": [m.media_path for m in rows],
        }
        constants = {"created_at": now, "updated_at": now, "deleted_at": None}
        with _duplicates_as_conflicts(None), self._conn.begin_nested():
            insert_columns(self._conn, movies, columns, constants, self._memo)
            _insert_new_tags(self._conn, movie_genres, "genre", ids, genres)
            _insert_new_tags(self._conn, movie_countries, "country", ids, countries)
        return ids

    def lock_imports(self) -> None:
        """Make bulk imports on this database wait for each other (decision 52).

        PostgreSQL: a transaction-level advisory lock, so two imports never insert into the
        unique index in crossing orders (a deadlock). SQLite's writer lock already does this.
        """
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(_LOCK_IMPORTS, {"key": IMPORT_LOCK_KEY})

    def live_holders(self, keys: Iterable[TitleYear]) -> dict[TitleYear, int]:
        """The id of the live movie holding each of ``keys`` that one holds."""
        wanted = set(keys)
        if not wanted:
            return {}
        titles = sorted({key for key, _ in wanted})
        found = self._conn.execute(_LIVE_BY_TITLE_KEYS, {"keys": titles})
        return {(key, year): movie_id for movie_id, key, year in found if (key, year) in wanted}

    def _reserve_ids(self, count: int) -> list[int]:
        """``count`` new ids, ascending, that no other writer will use."""
        if self._conn.dialect.name == "postgresql":
            reserved = self._conn.execute(_NEXT_IDS, {"count": count}).scalars()
            return sorted(reserved)
        # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so nobody else
        # inserts until it ends; rowids above the largest are free.
        last = self._conn.execute(_LAST_ID).scalar_one()
        return list(range(last + 1, last + 1 + count))

    def get(self, movie_id: int, *, lock: RowLock | None = None) -> Movie | None:
        """The movie with this id, deleted or not."""
        values = self._link.first(_MOVIE_BY_ID_LOCKED[lock], {"id": movie_id})
        # Validated like any Movie: in pydantic 2 cheaper than model_construct (decision 103).
        return None if values is None else Movie.model_validate(values)

    def save(self, movie: Movie) -> None:
        """Overwrite a stored movie with ``movie`` (matched by id)."""
        values = movie.model_dump(exclude={"id", "created_at"})
        values["title_key"] = title_key(movie.title)
        with _duplicates_as_conflicts(movie):
            self._conn.execute(sa.update(movies).where(movies.c.id == movie.id).values(values))
        for table in (movie_genres, movie_countries):
            self._conn.execute(sa.delete(table).where(table.c.movie_id == movie.id))
        self._insert_tags([(movie.id, movie)])
        # Plans keep a copy of the live flag too (their index serves entitlement listings).
        live = movie.deleted_at is None
        self._conn.execute(
            sa.update(plan_movies)
            .where(plan_movies.c.movie_id == movie.id, plan_movies.c.live != live)
            .values(live=live)
        )

    def live_conflicts(
        self, keys: Iterable[TitleYear], *, exclude_id: int | None = None
    ) -> set[TitleYear]:
        """Which of ``keys`` a movie that is not deleted already holds."""
        wanted = set(keys)
        if not wanted:
            return set()
        # Ask by title only (the unique index's leading column) and match years here: much
        # cheaper for SQLite than a row-value IN list.
        stmt = sa.select(movies.c.title_key, movies.c.year).where(
            movies.c.deleted_at.is_(None),
            movies.c.title_key.in_(sorted({key for key, _ in wanted})),
        )
        if exclude_id is not None:
            stmt = stmt.where(movies.c.id != exclude_id)
        found = {(key, year) for key, year in self._conn.execute(stmt)}
        return found & wanted

    def list(
        self, query: MovieQuery, *, plan_ids: Sequence[int] | None = None
    ) -> tuple[list[Movie], int]:
        """One page of movies matching ``query``, and the number of all matches.

        ``plan_ids`` keeps only movies in one of those plans (the entitlement read model).
        A plan, else a genre, else a country filter drives the query from its index, which
        also holds the live flag: the first page and the count never scan the catalogue.
        """
        scope = _Scope.of(query, plan_ids)
        column = _SORT_COLUMNS[query.sort.lstrip("-")]
        keys = [scope.id_column] if column is movies.c.id else [column, scope.id_column]
        order = [key.desc() for key in keys] if query.sort.startswith("-") else keys
        page = (
            sa.select(movies)
            .select_from(scope.source)
            .where(*scope.conditions)
            .order_by(*order)
            .limit(query.limit)
            .offset(query.offset)
        )
        items = [_movie(row) for row in self._conn.execute(page).mappings()]
        if query.offset == 0 and len(items) < query.limit:
            return items, len(items)  # the whole result is on this page: no count query
        return items, self._conn.execute(scope.count()).scalar_one()

    def _insert_tags(self, pairs: Iterable[tuple[int, MovieCreate | Movie]]) -> None:
        genres: list[dict[str, Any]] = []
        countries: list[dict[str, Any]] = []
        for movie_id, data in pairs:
            live = not isinstance(data, Movie) or data.deleted_at is None
            genres.extend({"movie_id": movie_id, "genre": g, "live": live} for g in data.genres)
            countries.extend(
                {"movie_id": movie_id, "country": c, "live": live} for c in data.countries
            )
        insert_rows(self._conn, movie_genres, genres)
        insert_rows(self._conn, movie_countries, countries)


def _insert_new_tags(
    conn: Connection,
    table: sa.Table,
    column: str,
    ids: Sequence[int],
    tags: Sequence[tuple[str, ...]],
) -> None:
    """The tag rows of new (live) movies, column by column."""
    movie_ids = [movie_id for movie_id, own in zip(ids, tags, strict=True) for _ in own]
    values = [tag for own in tags for tag in own]
    insert_columns(conn, table, {"movie_id": movie_ids, column: values}, {"live": True})


def _row_values(data: MovieCreate, now: datetime) -> dict[str, Any]:
    values = dict(data.__dict__)  # the validated fields as they are: cheaper than model_dump
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


@dataclass(frozen=True)
class _Scope:
    """FROM and WHERE of a listing: over ``movies``, or driven by one tag's index."""

    source: sa.FromClause
    id_column: sa.ColumnElement[int]
    conditions: list[sa.ColumnElement[bool]]
    tag_only: sa.Select[Any] | None
    """A count that reads only the tag index, when nothing but the tag and trash filter."""

    @classmethod
    def of(cls, query: MovieQuery, plan_ids: Sequence[int] | None = None) -> _Scope:
        filters = _membership_filters(query, plan_ids)
        driver = filters[0] if filters and not isinstance(filters[0][2], list) else None
        others = filters[1:] if driver else filters
        if driver is None:
            deleted = movies.c.deleted_at
            trash: dict[str, sa.ColumnElement[bool]]
            trash = {"without": deleted.is_(None), "only": deleted.is_not(None)}
            conditions = [trash[query.trashed]] if query.trashed in trash else []
            conditions += [
                movies.c.id.in_(sa.select(table.c.movie_id).where(_key_matches(column, value)))
                for table, column, value in others
            ]
            return cls(movies, movies.c.id, conditions + _movie_conditions(query), None)
        table, column, value = driver
        live = table.c.live
        trash = {"without": live == sa.true(), "only": live == sa.false()}
        own = [column == value, *([trash[query.trashed]] if query.trashed in trash else [])]
        # Further single-key filters join on the driver's movie id: an index lookup per row
        # instead of materialising every movie of that tag first.
        joined: sa.FromClause = table
        rest: list[sa.ColumnElement[bool]] = []
        for other, other_column, other_value in others:
            if isinstance(other_value, list):
                subquery = sa.select(other.c.movie_id).where(other_column.in_(other_value))
                rest.append(table.c.movie_id.in_(subquery))
            else:
                on = sa.and_(other.c.movie_id == table.c.movie_id, other_column == other_value)
                joined = joined.join(other, on)
        rest += _movie_conditions(query)
        source = joined.join(movies, movies.c.id == table.c.movie_id)
        only_tags = not rest and joined is table
        tag_only = sa.select(sa.func.count()).select_from(table).where(*own) if only_tags else None
        return cls(source, table.c.movie_id, own + rest, tag_only)

    def count(self) -> sa.Select[Any]:
        """The count of every match."""
        if self.tag_only is not None:
            return self.tag_only
        return sa.select(sa.func.count()).select_from(self.source).where(*self.conditions)


Filter = tuple[sa.Table, sa.Column[Any], Any]
"""A membership filter: a table of (movie_id, key, live) rows, its key column, the key(s)."""


def _membership_filters(query: MovieQuery, plan_ids: Sequence[int] | None) -> list[Filter]:
    """Plan, genre and country filters, the one that drives the query first.

    One plan drives (its index holds the live flag); several plans only restrict (an IN
    subquery), since a movie in two of them must not come twice.
    """
    filters: list[Filter] = []
    if plan_ids is not None and len(plan_ids) == 1:
        filters.append((plan_movies, plan_movies.c.plan_id, plan_ids[0]))
    if query.genre is not None:
        filters.append((movie_genres, movie_genres.c.genre, query.genre))
    if query.country is not None:
        filters.append((movie_countries, movie_countries.c.country, query.country))
    if plan_ids is not None and len(plan_ids) > 1:
        filters.append((plan_movies, plan_movies.c.plan_id, list(plan_ids)))
    return filters


def _key_matches(column: sa.Column[Any], value: Any) -> sa.ColumnElement[bool]:
    return column.in_(value) if isinstance(value, list) else column == value


def _movie_conditions(query: MovieQuery) -> list[sa.ColumnElement[bool]]:
    """The filters on the movie itself."""
    conditions: list[sa.ColumnElement[bool]] = []
    if query.q:
        conditions.append(contains(movies.c.title_key, title_key(query.q)))
    if query.year is not None:
        conditions.append(movies.c.year == query.year)
    return conditions


@contextmanager
def _duplicates_as_conflicts(movie: MovieCreate | Movie | None) -> Iterator[None]:
    """Turn the unique index's violation into ``DuplicateMovieError`` (``violations.py``)."""
    try:
        yield
    except IntegrityError as exc:
        row = {} if movie is None else {"title": movie.title, "year": movie.year}
        raise integrity_failure(exc, movies, row) from exc
