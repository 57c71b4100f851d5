"""``MovieService``: the catalogue's use cases, one unit of work each (SPEC §3.2)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from streamcore.auth.permissions import Permission, Principal, require
from streamcore.clock import Clock, utcnow
from streamcore.errors import InvalidInputError, StreamcoreError
from streamcore.events import MovieCreated, MovieDeleted, MovieRestored, MovieUpdated
from streamcore.movies.errors import DuplicateMovieError, MovieNotFoundError
from streamcore.movies.models import Movie, MovieCreate, MoviePatch, MovieQuery
from streamcore.movies.repository import MoviesUnitOfWork, TitleYear, title_key
from streamcore.paging import Page
from streamcore.uow import RowLock, UnitOfWorkFactory
from streamcore.validation import is_valid_id

IMPORT_BATCH = 1000
"""Rows an import validates and inserts together, in its one transaction (decision 50)."""


class MovieService:
    """Create, read, change, soft-delete, restore, list and import movies."""

    def __init__(self, uow: UnitOfWorkFactory[MoviesUnitOfWork], *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    def create(self, data: MovieCreate, *, actor: Principal) -> Movie:
        """Add a movie. Raises ``DuplicateMovieError`` (a ``ConflictError``)."""
        require(actor, Permission.WRITE_MOVIES)
        with self._uow() as uow:
            _ensure_unique(uow, data.title, data.year)
            movie = uow.movies.add(data, self._clock())
            uow.collect(_created(movie.id, data, movie.created_at))
            uow.commit()
        return movie

    def get(self, movie_id: int, *, include_deleted: bool = False, actor: Principal) -> Movie:
        """One movie. Raises ``MovieNotFoundError`` (deleted ones too, unless asked for)."""
        require(
            actor, Permission.READ_DELETED_MOVIES if include_deleted else Permission.READ_MOVIES
        )
        with self._uow(readonly=True) as uow:
            return _load(uow, movie_id, include_deleted=include_deleted)

    def replace(self, movie_id: int, data: MovieCreate, *, actor: Principal) -> Movie:
        """Full update: every field takes the value in ``data`` (or its default).

        Raises ``MovieNotFoundError``, ``DuplicateMovieError``.
        """
        require(actor, Permission.WRITE_MOVIES)
        return self._change(movie_id, data.model_dump())

    def update(self, movie_id: int, patch: MoviePatch, *, actor: Principal) -> Movie:
        """Partial update: only the fields given in ``patch`` change.

        Raises ``MovieNotFoundError``, ``DuplicateMovieError``.
        """
        require(actor, Permission.WRITE_MOVIES)
        return self._change(movie_id, patch.changes())

    def delete(self, movie_id: int, *, actor: Principal) -> None:
        """Soft-delete a movie. Raises ``MovieNotFoundError`` (also if already deleted)."""
        require(actor, Permission.WRITE_MOVIES)
        with self._uow() as uow:
            movie = _load(uow, movie_id, lock="update")
            now = self._clock()
            uow.movies.save(movie.model_copy(update={"deleted_at": now, "updated_at": now}))
            uow.collect(MovieDeleted(occurred_at=now, movie_id=movie_id))
            uow.commit()

    def restore(self, movie_id: int, *, actor: Principal) -> Movie:
        """Undo a soft delete; a movie that is not deleted is returned as it is.

        Raises ``MovieNotFoundError``, ``DuplicateMovieError`` (an active movie now holds its
        title and year).
        """
        require(actor, Permission.WRITE_MOVIES)
        with self._uow() as uow:
            movie = _load(uow, movie_id, include_deleted=True, lock="update")
            if movie.deleted_at is None:
                return movie
            _ensure_unique(uow, movie.title, movie.year)
            now = self._clock()
            restored = movie.model_copy(update={"deleted_at": None, "updated_at": now})
            uow.movies.save(restored)
            uow.collect(MovieRestored(occurred_at=now, movie_id=movie_id))
            uow.commit()
        return restored

    def list(self, query: MovieQuery | None = None, *, actor: Principal) -> Page[Movie]:
        """One page of the catalogue with the filters, sort and page of ``query``."""
        query = query or MovieQuery()
        deleted = query.trashed != "without"
        require(actor, Permission.READ_DELETED_MOVIES if deleted else Permission.READ_MOVIES)
        with self._uow(readonly=True) as uow:
            items, total = uow.movies.list(query)
        return Page[Movie](items=tuple(items), total=total, limit=query.limit, offset=query.offset)

    def import_movies(
        self, rows: Iterable[tuple[int, Mapping[str, object]]], *, actor: Principal
    ) -> tuple[int, ...]:
        """Add every row or none; return the new ids in row order.

        ``rows`` pairs each row with its line in the source file, so that the error for the
        first bad row names that line. It is read as a stream, ``IMPORT_BATCH`` rows at a
        time, all in one transaction. Raises ``InvalidInputError``, ``DuplicateMovieError``.
        """
        require(actor, Permission.WRITE_MOVIES)
        with self._uow() as uow:
            uow.movies.lock_imports()
            imported = _Imported()
            now = self._clock()
            source = iter(rows)
            while True:
                batch = _validate_rows(source)
                # Rows before the first invalid one may clash with storage: that line comes
                # first, so they are inserted (which checks them) before the error is raised.
                _insert_rows(uow, batch, imported, now)
                if batch.error is not None:
                    raise batch.error
                if not batch.more:
                    break
            uow.commit()
        return tuple(imported.ids)

    def _change(self, movie_id: int, changes: Mapping[str, object]) -> Movie:
        with self._uow() as uow:
            movie = _load(uow, movie_id, lock="update")  # a concurrent change waits: none lost
            changed = tuple(k for k, v in changes.items() if _stored(v) != getattr(movie, k))
            if not changed:
                return movie
            now = self._clock()
            updated = Movie.model_validate(
                movie.model_dump() | {k: changes[k] for k in changed} | {"updated_at": now}
            )
            if {"title", "year"} & set(changed):
                _ensure_unique(uow, updated.title, updated.year, exclude_id=movie_id)
            uow.movies.save(updated)
            uow.collect(MovieUpdated(occurred_at=now, movie_id=movie_id, changed=changed))
            uow.commit()
        return updated


def _load(
    uow: MoviesUnitOfWork,
    movie_id: int,
    *,
    include_deleted: bool = False,
    lock: RowLock | None = None,
) -> Movie:
    movie = uow.movies.get(movie_id, lock=lock) if is_valid_id(movie_id) else None
    if movie is None or (movie.deleted_at is not None and not include_deleted):
        raise MovieNotFoundError(movie_id)
    return movie


def _ensure_unique(
    uow: MoviesUnitOfWork, title: str, year: int, *, exclude_id: int | None = None
) -> None:
    if uow.movies.live_conflicts([(title_key(title), year)], exclude_id=exclude_id):
        raise DuplicateMovieError(title, year)


def _stored(value: object) -> object:
    """The form a value takes on a ``Movie`` (lists are stored as tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _created(movie_id: int, data: MovieCreate, now: datetime) -> MovieCreated:
    return MovieCreated(
        occurred_at=now,
        movie_id=movie_id,
        title=data.title,
        year=data.year,
        genres=tuple(data.genres),
    )


@dataclass
class _Batch:
    """Validated rows of an import, up to ``IMPORT_BATCH`` or the first bad one."""

    lines: list[int] = field(default_factory=list)
    movies: list[MovieCreate] = field(default_factory=list)
    keys: list[TitleYear] = field(default_factory=list)
    error: StreamcoreError | None = None
    """The first bad row (invalid, or a repeat within the batch), after the good rows."""
    more: bool = False
    """Whether the source may hold further rows."""


@dataclass
class _Imported:
    """The rows an import has written so far: ids ascending, each with its line.

    Compact arrays (8 bytes a row), not lists of ints: a 200,000-row import keeps them all.
    """

    ids: array[int] = field(default_factory=lambda: array("q"))
    lines: array[int] = field(default_factory=lambda: array("q"))
    _years: dict[int, int] = field(default_factory=dict)
    _genres: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    def created(self, ids: Sequence[int], movies: Sequence[MovieCreate], now: datetime) -> _Created:
        """The ``movie_created`` events of one batch, to be built when they are published.

        Rows share equal years and genre tuples: the events of 200,000 rows wait for the
        commit in about 100 bytes a row, besides their titles.
        """
        years, genres = self._years, self._genres
        return _Created(
            now,
            array("q", ids),
            [m.title for m in movies],
            [years.setdefault(m.year, m.year) for m in movies],
            [genres.setdefault(g, g) for g in (tuple(m.genres) for m in movies)],
        )

    def line_of(self, movie_id: int) -> int | None:
        """The line of the row that became ``movie_id``, if this import wrote it."""
        at = bisect_left(self.ids, movie_id)
        return self.lines[at] if at < len(self.ids) and self.ids[at] == movie_id else None


def _validate_rows(source: Iterator[tuple[int, Mapping[str, object]]]) -> _Batch:
    """Validate the next rows of ``source``, up to a batch or the first bad one.

    A repeat of a row of an earlier batch is not caught here: that row is stored by now, so
    inserting the repeat fails like any other clash with storage.
    """
    batch = _Batch()
    seen: dict[TitleYear, int] = {}
    try:
        for line, raw in islice(source, IMPORT_BATCH):
            try:
                data = MovieCreate.model_validate(raw)
            except InvalidInputError as exc:
                batch.error = InvalidInputError(exc.errors, prefix=f"line {line}: ")
                return batch
            key = (title_key(data.title), data.year)
            if key in seen:
                where = f"line {line} (same as line {seen[key]})"
                batch.error = DuplicateMovieError(data.title, data.year, where=where)
                return batch
            seen[key] = line
            batch.lines.append(line)
            batch.movies.append(data)
            batch.keys.append(key)
    except InvalidInputError as exc:  # the file itself is unreadable at some line
        batch.error = exc
        return batch
    batch.more = len(batch.lines) == IMPORT_BATCH
    return batch


def _name_the_clash(uow: MoviesUnitOfWork, batch: _Batch, imported: _Imported) -> None:
    """Raise for the first row of ``batch`` whose (title, year) a live movie already holds.

    That movie may be a row of this file in an earlier batch: the error names its line too.
    """
    held = uow.movies.live_holders(batch.keys)
    for line, data, key in zip(batch.lines, batch.movies, batch.keys, strict=True):
        if key in held:
            first = imported.line_of(held[key])
            where = f"line {line}" if first is None else f"line {line} (same as line {first})"
            raise DuplicateMovieError(data.title, data.year, where=where)


def _insert_rows(uow: MoviesUnitOfWork, batch: _Batch, imported: _Imported, now: datetime) -> None:
    """Write the batch and queue one ``movie_created`` per row."""
    if not batch.movies:
        return
    try:
        ids = uow.movies.add_many(batch.movies, now)
    except DuplicateMovieError:
        # The unique index refused a row (decision 53): find which one, for its line.
        _name_the_clash(uow, batch, imported)
        where = f"lines {batch.lines[0]}-{batch.lines[-1]}"  # it is gone again: a race
        raise DuplicateMovieError(None, None, where=where) from None
    imported.ids.extend(ids)
    imported.lines.extend(batch.lines)
    uow.collect_all(imported.created(ids, batch.movies, now))


@dataclass(frozen=True)
class _Created:
    """One import batch's ``movie_created`` events, kept as columns until they are published.

    Each event is built as it is sent and dropped after, so none waits for the commit as an
    object (decision 54).
    """

    occurred_at: datetime
    ids: array[int]
    titles: list[str]
    years: list[int]
    genres: list[tuple[str, ...]]

    def __iter__(self) -> Iterator[MovieCreated]:
        """One ``MovieCreated`` per row, in row order."""
        for movie_id, title, year, genres in zip(
            self.ids, self.titles, self.years, self.genres, strict=True
        ):
            yield MovieCreated(
                occurred_at=self.occurred_at,
                movie_id=movie_id,
                title=title,
                year=year,
                genres=genres,
            )
