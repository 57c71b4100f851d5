"""Errors of the movie domain: leaves of the categories in ``streamcore.errors``."""

from __future__ import annotations

from streamcore.errors import ConflictError, NotAuthenticatedError, NotFoundError


class MovieNotFoundError(NotFoundError):
    """No movie with that id (or it is deleted and deleted ones were not asked for)."""

    def __init__(self, movie_id: int) -> None:
        super().__init__(f"movie {movie_id} not found")
        self.movie_id = movie_id


class DuplicateMovieError(ConflictError):
    """Another movie that is not deleted already has this title and year."""

    def __init__(self, title: str | None, year: int | None, *, where: str = "") -> None:
        prefix = f"{where}: " if where else ""
        what = (
            "a movie with that title and year"
            if title is None
            else f"a movie titled {title!r} from {year}"
        )
        super().__init__(f"{prefix}{what} already exists")
        self.title = title
        self.year = year


class MediaNotFoundError(NotFoundError):
    """A movie has no file that may be played: no media path, or none safe and present."""

    def __init__(self, movie_id: int, reason: str) -> None:
        super().__init__(f"movie {movie_id} cannot be played: {reason}")
        self.movie_id = movie_id
        self.reason = reason


class MediaChangedError(ConflictError):
    """The media file was replaced between looking it up and reading it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the media file {name!r} changed while it was opened; try again")


class InvalidPlaybackUrlError(NotAuthenticatedError):
    """A signed playback URL that does not verify, or has expired: it grants nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"this playback URL {reason}: ask for a new one")
        self.reason = reason
