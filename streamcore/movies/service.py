"""``MovieService``: the catalogue's use cases, one unit of work each (SPEC §3.2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

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

IMPORT_CHECK_CHUNK = 500
"""How many (title, year) keys one uniqueness query of an import asks about."""


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
        first bad row names that line. Raises ``InvalidInputError``, ``DuplicateMovieError``.
        """
        require(actor, Permission.WRITE_MOVIES)
        lines, movies, bad_row = _validate_rows(rows)
        with self._uow() as uow:
            # Rows before the first invalid one may clash with storage: that line comes first.
            _ensure_unique_rows(uow, lines, movies)
            if bad_row is not None:
                raise bad_row
            now = self._clock()
            ids = uow.movies.add_many(movies, now)
            for movie_id, data in zip(ids, movies, strict=True):
                uow.collect(_created(movie_id, data, now))
            uow.commit()
        return tuple(ids)

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


def _validate_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]],
) -> tuple[list[int], list[MovieCreate], StreamcoreError | None]:
    """Validate rows up to the first bad one (invalid, or a repeat within the file).

    Returns the lines and models of the good rows before it, and the error for it, if any.
    """
    lines: list[int] = []
    movies: list[MovieCreate] = []
    seen: dict[TitleYear, int] = {}
    try:
        for line, raw in rows:
            try:
                data = MovieCreate.model_validate(raw)
            except InvalidInputError as exc:
                return lines, movies, InvalidInputError(exc.errors, prefix=f"line {line}: ")
            key = (title_key(data.title), data.year)
            if key in seen:
                where = f"line {line} (same as line {seen[key]})"
                return lines, movies, DuplicateMovieError(data.title, data.year, where=where)
            seen[key] = line
            lines.append(line)
            movies.append(data)
    except InvalidInputError as exc:  # the file itself is unreadable at some line
        return lines, movies, exc
    return lines, movies, None


def _ensure_unique_rows(uow: MoviesUnitOfWork, lines: list[int], movies: list[MovieCreate]) -> None:
    """Fail on the first row whose (title, year) a movie in storage already holds."""
    for start in range(0, len(movies), IMPORT_CHECK_CHUNK):
        chunk = movies[start : start + IMPORT_CHECK_CHUNK]
        taken = uow.movies.live_conflicts((title_key(m.title), m.year) for m in chunk)
        for offset, data in enumerate(chunk):
            if (title_key(data.title), data.year) in taken:
                raise DuplicateMovieError(
                    data.title, data.year, where=f"line {lines[start + offset]}"
                )
